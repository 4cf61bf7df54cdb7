"""Inline suppressions: `# aiinfralint: ignore[AIL201] reason`.

The marker works in any comment syntax (`#`, `--`, `//`, `{# ... #}`), because it is
matched as text. On a line with code it silences findings on that line; alone on its
line it silences the next line too. `ignore-file[...]` silences the whole file. A
list of codes is required: a bare `ignore` silences nothing.

A suppression may expire: `# aiinfralint: ignore[AIL201] paused until Q3 until=2027-01-31`
silences through 31 January 2027; from the day after, it silences nothing and is
reported (AIL002 expired-suppression), as is a suppression whose codes match no
finding (AIL001 unused-suppression): see `suppression_findings`.

This module stays light (no model, no rules): a replayed run reads `today` from it.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field

from aiinfralint.selectors import selector_matches

# the opening of a marker; its codes run to the first `]` after it. Matched in two steps
# (opening, then `str.find`) so that a line of a thousand unclosed `ignore[` stays linear
_OPEN = re.compile(r"aiinfralint:\s*+ignore(?P<file>-file)?\[", re.IGNORECASE)
_COMMENT_ONLY = re.compile(r"^\s*(#|--|//|\{#|<!--|;)")
_UNTIL = re.compile(r"\buntil\s*[=:]\s*(?P<date>[^\s#}>,;]+)", re.IGNORECASE)


def today() -> datetime.date:
    """The date expiries are compared with (``AIINFRALINT_TODAY=YYYY-MM-DD`` pins it)."""
    pinned = os.environ.get("AIINFRALINT_TODAY")
    if pinned:
        try:
            return datetime.date.fromisoformat(pinned)
        except ValueError:
            pass
    return datetime.date.today()


@dataclass
class Suppression:
    line: int
    codes: tuple[str, ...]
    reason: str
    whole_file: bool = False
    applies_to: tuple[int, ...] = ()
    used: bool = False
    column: int = 1
    # `until=YYYY-MM-DD`: last day it applies; `until_text` is kept when the date is invalid
    until: datetime.date | None = None
    until_text: str | None = None
    # the selectors (as written) that silenced at least one finding
    used_codes: set[str] = field(default_factory=set)

    def expired(self, on: datetime.date | None = None) -> bool:
        if self.until_text is not None and self.until is None:
            return True  # an unreadable date never silences: a typo must not hide findings forever
        return self.until is not None and (on or today()) > self.until


@dataclass
class FileSuppressions:
    items: list[Suppression] = field(default_factory=list)

    def match(self, code: str, slug: str, line: int, on: datetime.date | None = None) -> Suppression | None:
        for s in self.items:
            selector = _selects(s.codes, code, slug)
            if selector is None:
                continue
            if (s.whole_file or line in s.applies_to) and not s.expired(on):
                s.used = True
                s.used_codes.add(selector)
                return s
        return None


def _selects(codes: tuple[str, ...], code: str, slug: str) -> str | None:
    for c in codes:
        if selector_matches(c, code, slug):
            return c
    return None


def parse_suppressions(text: str) -> FileSuppressions:
    out = FileSuppressions()
    if "aiinfralint:" not in text and "AIINFRALINT:" not in text.upper():
        return out
    for lineno, line in enumerate(text.split("\n"), start=1):
        if "aiinfralint" not in line.lower():
            continue
        m = _OPEN.search(line)
        if not m:
            continue
        # the first opening decides: if no `]` follows it, none follows a later one either
        close = line.find("]", m.end())
        if close < 0:
            continue
        codes = tuple(c.strip() for c in re.split(r"[,\s]+", line[m.end() : close]) if c.strip())
        if not codes:
            continue
        reason = line[close + 1 :].strip().rstrip("#}->").strip()
        alone = bool(_COMMENT_ONLY.match(line))
        applies = (lineno, lineno + 1) if alone else (lineno,)
        until, until_text = _until(reason)
        out.items.append(
            Suppression(
                lineno,
                codes,
                reason,
                whole_file=bool(m.group("file")),
                applies_to=applies,
                column=m.start() + 1,
                until=until,
                until_text=until_text,
            )
        )
    return out


def _until(reason: str) -> tuple[datetime.date | None, str | None]:
    m = _UNTIL.search(reason)
    if not m:
        return None, None
    text = m.group("date")
    try:
        return datetime.date.fromisoformat(text), text
    except ValueError:
        return None, text
