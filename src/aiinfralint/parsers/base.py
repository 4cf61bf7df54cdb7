"""What a parser receives and returns; parsers never raise on bad input."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from aiinfralint.model.base import ModelObject


@dataclass(frozen=True)
class FileInput:
    """One file's decoded text and its names."""

    path: str  # path shown to users (relative to the working directory, posix)
    text: str

    @cached_property  # every handler asks; a frozen dataclass still has a __dict__
    def pure(self) -> PurePosixPath:
        return PurePosixPath(self.path)

    @cached_property
    def suffix(self) -> str:
        return self.pure.suffix.lower()

    @cached_property
    def name(self) -> str:
        return self.pure.name


@dataclass
class ParseProblem:
    """A parse error inside a claimed file (becomes an AIL000 finding)."""

    message: str
    line: int = 1
    column: int = 1


@dataclass
class ParseOutput:
    """What came out of one file: objects, problems, or a reason it was skipped."""

    objects: list[ModelObject] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    skipped: str | None = None
    claimed: bool = False  # at least one parser recognised the file as its own
    kinds: list[str] = field(default_factory=list)  # which parsers claimed it

    def extend(self, other: ParseOutput) -> None:
        self.objects.extend(other.objects)
        self.problems.extend(other.problems)
        if other.claimed:
            self.claimed = True
        self.kinds.extend(k for k in other.kinds if k not in self.kinds)
