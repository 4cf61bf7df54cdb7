"""Findings, their severity and their estimated impact."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aiinfralint.model.base import Span


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Unpriced:
    """A figure an estimate leaves out (`kind`) and why; rendered as the reason alone.

    `cause` is the bare cause, without the figure it blocks or the key that fixes it, for a
    sentence that quotes it ("no estimate is possible: <cause>"); empty when the reason is all.
    """

    kind: Literal["usd", "kgco2e", "latency"]
    reason: str
    cause: str = ""

    def __str__(self) -> str:
        return self.reason

    @classmethod
    def usd(cls, reason: str) -> Unpriced:
        return cls("usd", reason)

    @classmethod
    def kgco2e(cls, reason: str) -> Unpriced:
        return cls("kgco2e", reason)


@dataclass(frozen=True)
class DefaultUsed:
    """A default an estimate relied on: the configuration key that changes it, its value, what it is."""

    key: str
    value: str
    what: str


class Impact(BaseModel):
    """What a finding costs, with the assumptions behind each number."""

    model_config = ConfigDict(frozen=True)

    usd_per_month: Decimal | None = None
    kgco2e_per_month: Decimal | None = None
    latency_ms: float | None = None
    tokens: int | None = None
    gpu_hours_per_month: Decimal | None = None
    kwh_per_month: Decimal | None = None
    assumptions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    unpriced: tuple[Unpriced, ...] = Field(default=(), description="which figures could not be computed, and why")

    def is_empty(self) -> bool:
        return (
            self.usd_per_month is None
            and self.kgco2e_per_month is None
            and self.latency_ms is None
            and self.tokens is None
        )


class TextEdit(BaseModel):
    """Replace the text between two positions of a file (1-based lines and columns, end exclusive).

    An insertion has equal start and end. Columns count characters of the decoded line.
    """

    model_config = ConfigDict(frozen=True)

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


class Fix(BaseModel):
    """A mechanical repair of a finding: edits to one file.

    ``safety`` is "safe" (applied by ``--fix``: it changes nothing a user relies on) or
    "unsafe" (only with ``--unsafe-fixes``: it changes behaviour or cost, said in
    ``description``).
    """

    model_config = ConfigDict(frozen=True)

    description: str
    safety: Literal["safe", "unsafe"] = "safe"
    path: str
    edits: tuple[TextEdit, ...] = ()


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    slug: str
    severity: Severity
    span: Span
    message: str
    remediation: str = ""
    impact: Impact | None = None
    logical_location: str | None = None
    # A stable identity for the problem inside its object; used for fingerprints.
    key: str = ""
    object_ignore: frozenset[str] = frozenset()
    fingerprint: str = ""
    # the mechanical repair, when there is one (resolved to text edits before reporting)
    fix: Fix | None = None

    @property
    def path(self) -> str:
        return self.span.path

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.path, self.span.line, self.span.column, self.code, self.message)
