"""Plain-data definitions a module offers to prompts built elsewhere (the ground for a symbol table).

A `Definition` is what one module defines that a prompt can use by name: a module constant
(`SYSTEM = "..."`), a small function returning a string (`def system(date): return f"..."`),
or a class attribute (`Prompts.main = "..."`). Its value is rendered once, in its own module,
to `Part`s: text with its position, or a slot (a parameter, or an expression that could not
be followed) with its volatility. Parts carry their file, so a prompt assembled in another
module keeps the spans of the text where it was written. Everything here is frozen and made
of primitives: `to_dict`/`from_dict` round-trip through JSON, so definitions can be cached and
gathered across files without keeping any `ast` tree alive.

An `Evaluator` given an `external` lookup asks it for names that are neither local nor module
constants (imports, `Class.attr`): that is the one place a project-wide table plugs in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

CONSTANT_KIND = "constant"
FUNCTION_KIND = "function"
ATTRIBUTE_KIND = "attribute"


@dataclass(frozen=True)
class Part:
    """One piece of a rendered value: text, or a slot, at a position in `path`."""

    kind: str  # "text" | "slot"
    text: str
    path: str
    line: int
    col: int
    volatility: str | None = None
    reason: str | None = None
    nondet: str | None = None


@dataclass(frozen=True)
class Definition:
    """A name a module defines, with its value rendered to parts."""

    path: str
    name: str  # `SYSTEM`, `build_prompt`, `Prompts.main`
    kind: str  # CONSTANT_KIND | FUNCTION_KIND | ATTRIBUTE_KIND
    line: int
    parts: tuple[Part, ...]
    params: tuple[str, ...] = ()  # a function's parameters, in order (slots of that name in `parts`)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Definition:
        parts = tuple(Part(**p) for p in data["parts"])
        return cls(
            path=data["path"],
            name=data["name"],
            kind=data["kind"],
            line=data["line"],
            parts=parts,
            params=tuple(data.get("params", ())),
        )


# a name (as written at the use site: `SYSTEM`, `prompts.SYSTEM`) -> its definition, if known
ExternalLookup = Callable[[str], Definition | None]
