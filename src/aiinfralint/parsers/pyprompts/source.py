"""Source text of an `ast` tree: character positions, code of a node, string tokens.

`ast` positions are 1-based lines and 0-based columns in UTF-8 bytes; spans speak characters,
so every column goes through `Source.pos`, which converts on non-ASCII lines only. The code of a
node is sliced from the text (no `ast.get_source_segment`, which re-splits the file each call).
Python 3.11 gives the literal parts of an f-string no positions of their own, so string tokens
are re-read from the source: `tokens` splits an (implicitly concatenated) string literal into its
tokens and `fstring_parts` an f-string body into text runs and replacement fields.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass

_NEWLINE = re.compile(r"\r\n?|\n")
_STRING_START = re.compile(r"(?P<prefix>[rRbBuUfF]{0,2})(?P<q>'''|\"\"\"|'|\")")
_GAP = re.compile(r"(?:\s++|\\\r?\n|#[^\n]*+)*+")


@dataclass(frozen=True)
class StringToken:
    """One string literal token: where its body starts and ends (character offsets in the file)."""

    prefix: str
    quote: str
    body_start: int
    body_end: int


class Source:
    """A file's text with line starts, for character positions and the code of nodes."""

    __slots__ = ("_ascii", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self._ascii = text.isascii()

    def offset(self, line: int, byte_col: int) -> int:
        """Character offset in the text of an `ast` (line, byte column)."""
        if line < 1 or line > len(self.starts):
            return len(self.text)
        start = self.starts[line - 1]
        if self._ascii:
            return start + byte_col
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        row = self.text[start:end]
        if row.isascii():
            return start + byte_col
        return start + len(row.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def line_col(self, offset: int) -> tuple[int, int]:
        """(line, 1-based character column) of a character offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def pos(self, node: ast.AST) -> tuple[int, int]:
        """(line, 1-based character column) where a node starts."""
        line: int | None = getattr(node, "lineno", None)
        if line is None:
            return 1, 1
        if line > len(self.starts):
            return line, 1
        return line, self.offset(line, getattr(node, "col_offset", 0)) - self.starts[line - 1] + 1

    def bounds(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", None)
        end_line = getattr(node, "end_lineno", None)
        if line is None or end_line is None:
            return 0, 0
        return self.offset(line, getattr(node, "col_offset", 0)), self.offset(
            end_line, getattr(node, "end_col_offset", 0) or 0
        )

    def code(self, node: ast.AST) -> str:
        start, end = self.bounds(node)
        if end <= start:
            return type(node).__name__
        return self.text[start:end]

    def tokens(self, node: ast.AST) -> list[StringToken]:
        """The string tokens of a `Constant` or `JoinedStr` node, in order."""
        start, end = self.bounds(node)
        text = self.text
        out: list[StringToken] = []
        i = start
        while i < end:
            m = _STRING_START.match(text, i)
            if m is None:
                break
            quote = m.group("q")
            body_start = m.end()
            body_end = _body_end(text, body_start, quote, "r" in m.group("prefix").lower(), end)
            out.append(StringToken(m.group("prefix"), quote, body_start, body_end))
            i = _GAP.match(text, min(body_end + len(quote), end)).end()  # type: ignore[union-attr]
        return out


def _body_end(text: str, i: int, quote: str, raw: bool, limit: int) -> int:
    """Offset of the closing quote of a token whose body starts at `i` (or `limit`)."""
    while i < limit:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i
        i += 1
    return limit


def fstring_parts(body: str) -> list[tuple[str, int, int]]:
    """An f-string body as ("text"|"field", start, end) runs (offsets in `body`)."""
    parts: list[tuple[str, int, int]] = []
    i = run = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c in "{}" and body.startswith(c * 2, i):
            i += 2
            continue
        if c != "{":
            i += 1
            continue
        if i > run:
            parts.append(("text", run, i))
        end = _field_end(body, i + 1)
        parts.append(("field", i, end))
        i = run = end
    if run < n:
        parts.append(("text", run, n))
    return parts


def _field_end(body: str, i: int) -> int:
    """Offset just past the `}` closing a replacement field that starts at `i`."""
    depth = 1
    n = len(body)
    while i < n:
        c = body[i]
        if c in "'\"":
            close = body.find(c, i + 1)
            i = n if close < 0 else close + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n
