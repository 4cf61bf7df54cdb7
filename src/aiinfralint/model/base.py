"""Base classes of the typed model: every object knows where it came from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A place in a source file (1-based line and column)."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int = 1
    column: int = 1
    end_line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class ModelObject(BaseModel):
    """Anything a parser produces and a rule can look at.

    `ignore` carries codes suppressed on the object itself (for example the
    Kubernetes annotation ``aiinfralint/ignore``).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    span: Span
    ignore: frozenset[str] = frozenset()
    # Spans of notable fields ("minReplicas", "gpu", ...) so findings point at the right line.
    field_spans: dict[str, Span] = {}

    def span_of(self, *fields: str) -> Span:
        """The span of the first field that has one, else the object's own span."""
        for name in fields:
            found = self.field_spans.get(name)
            if found is not None:
                return found
        return self.span

    @property
    def display_name(self) -> str:
        """Human name used in messages and as the logical location."""
        return type(self).__name__
