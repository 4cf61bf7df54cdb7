"""Styled plain lines for the terminal: SGR codes around text, whether to use them at all, and
word wrapping measured in terminal columns.

Every reporter that writes for people builds its lines as plain strings and styles whole
pieces with a `Styler`; input text goes through ``escape.printable`` first, so the only
escape sequences in the output are the ones written here.

The colour decision is made once per run (`color_enabled`): an explicit ``--color always`` or
``--color never`` wins; otherwise a non-empty ``NO_COLOR`` turns colour off, a non-empty
``FORCE_COLOR`` other than ``0`` turns it on, and without either colour follows whether the
output is a terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

COLOR_CHOICES = ("auto", "always", "never")

_CODES = {
    "bold": "1",
    "dim": "2",
    "underline": "4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
}
RESET = "\x1b[0m"


def color_enabled(choice: str | None, is_tty: bool, environ: Mapping[str, str]) -> bool:
    """Whether to write colour: `choice` is the ``--color`` value (None or "auto": decide here)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if environ.get("NO_COLOR", ""):
        return False
    force = environ.get("FORCE_COLOR", "")
    if force and force != "0":
        return True
    return is_tty


class Styler:
    """Wraps text in the SGR codes of named styles, or returns it unchanged when colour is off."""

    __slots__ = ("_cache", "enabled")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._cache: dict[str, str] = {}

    def _start(self, style: str) -> str:
        start = self._cache.get(style)
        if start is None:
            start = self._cache[style] = "\x1b[" + ";".join(_CODES[name] for name in style.split()) + "m"
        return start

    def __call__(self, text: str, style: str) -> str:
        """`text` in `style`, a space-separated list of names such as ``"bold red"``."""
        if not self.enabled or not text:
            return text
        return f"{self._start(style)}{text}{RESET}"


def cells(text: str) -> int:
    """Terminal columns `text` takes (East Asian wide and full-width characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def cut(word: str, room: int) -> tuple[str, str]:
    """The longest head of `word` that fits in `room` columns (at least one character), and the rest."""
    n = room if word.isascii() else 0
    if not n:
        used = 0
        for c in word:
            used += cells(c)
            if used > room:
                break
            n += 1
    n = max(n, 1)
    return word[:n], word[n:]


def wrap(text: str, width: int, indent: str, used: int = 0) -> list[str]:
    """`text` (one printable line) broken at spaces into lines of at most `width` columns.

    Lines after the first start with `indent`; `used` is how many columns the first line
    already holds before `text` (when not even the first word fits after them, the first
    line is left empty). A word longer than a line is cut.
    """
    if used + cells(text) <= width:
        return [text]
    lines: list[str] = []
    line, col, empty = "", used, True
    fresh = len(indent)
    for word in text.split(" "):
        size = cells(word)
        if not empty and col + 1 + size <= width:
            line += " " + word
            col += 1 + size
            continue
        if not empty or (col + size > width and size <= width - fresh):
            lines.append(line)
            line, col = indent, fresh
        while col + size > width:  # a word no line can hold: cut it
            if col >= width:
                lines.append(line)
                line, col = indent, fresh
            head, word = cut(word, width - col)
            lines.append(line + head)
            line, col = indent, fresh
            size = cells(word)
        line += word
        col += size
        empty = False
    lines.append(line)
    return lines
