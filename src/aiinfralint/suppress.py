"""Inline suppressions: `# aiinfralint: ignore[AIL201] reason`.

The marker works in any comment syntax (`#`, `--`, `//`, `{# ... #}`), because it is
matched as text. On a line with code it silences findings on that line; alone on its
line it silences the next line too. `ignore-file[...]` silences the whole file. A
list of codes is required: a bare `ignore` silences nothing.

A suppression may expire: `# aiinfralint: ignore[AIL201] paused until Q3 until=2027-01-31`
silences through 31 January 2027; from the day after, it silences nothing and is
reported (AIL002 expired-suppression), as is a suppression whose codes match no
finding (AIL001 unused-suppression).
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding
from aiinfralint.rules.base import Rule
from aiinfralint.rules.core.expired_suppression import ExpiredSuppression
from aiinfralint.rules.core.unused_suppression import UnusedSuppression
from aiinfralint.rules.registry import all_rules, matches, selector_matches

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
        codes = tuple(c.strip() for c in re.split(r"[,\s]+", line[m.end():close]) if c.strip())
        if not codes:
            continue
        reason = line[close + 1:].strip().rstrip("#}->").strip()
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


# --- AIL001 / AIL002: judging the suppressions of a finished run ---------------------------

# the codes that judge suppressions: a suppression of only these is never itself unused
META_CODES = (UnusedSuppression.code, ExpiredSuppression.code)


def judge_suppressions(
    files: Iterable[tuple[str, FileSuppressions, bool]], selected: Sequence[type[Rule]], on: datetime.date | None = None
) -> Iterator[Finding]:
    """AIL001 and AIL002 findings for the suppressions of a finished run.

    `files` gives, per file, its path, its suppressions (already matched against every
    finding) and whether it parsed cleanly (a file with parse problems is not judged for
    AIL001: its rules could not run).
    """
    ran = {r.code for r in selected}
    want_unused = UnusedSuppression.code in ran
    want_expired = ExpiredSuppression.code in ran
    if not (want_unused or want_expired):
        return
    known = all_rules()
    day = on or today()
    for path, sup, parsed in files:
        for s in sup.items:
            if s.expired(day):
                if want_expired:
                    yield _expired(path, s)
            elif want_unused and parsed:
                yield from _unused(path, s, known, ran)


def _where(s: Suppression) -> tuple[str, str]:
    """The suppression's codes and kind, as its findings quote them."""
    return ", ".join(s.codes), "ignore-file" if s.whole_file else "ignore"


def _expired(path: str, s: Suppression) -> Finding:
    written, kind = _where(s)
    if s.until is None:
        why = f"has an unreadable date `until={s.until_text}` (expected until=YYYY-MM-DD), so it is treated as expired"
    else:
        why = f"expired on {s.until.isoformat()}"
    return ExpiredSuppression.make(
        Span(path=path, line=s.line, column=s.column),
        f"Suppression `{kind}[{written}]` {why} and no longer silences {written} here.",
        "Fix the finding it was hiding and delete the comment, or move the date forward with a reason that still holds.",
        key=f"expired|{kind}|{written}|{s.reason}",
        logical_location=f"suppression {kind}[{written}]",
    )


def _unused(path: str, s: Suppression, known: Sequence[type[Rule]], ran: set[str]) -> Iterator[Finding]:
    written, kind = _where(s)
    if all(c.upper() in META_CODES for c in s.codes):
        return
    for c in s.codes:
        if c in s.used_codes or c.upper() in META_CODES:
            continue
        named = [r for r in known if matches(r, [c])]
        if not named:
            msg = f"Suppression `{kind}[{written}]` names `{c}`, which is no aiinfralint rule code, slug or prefix, so it silences nothing."
        elif all(r.code in ran for r in named):
            msg = f"Suppression `{kind}[{written}]` silences no {c} finding {_lines(s)}."
        else:
            continue  # some rule it names did not run: cannot judge
        yield UnusedSuppression.make(
            Span(path=path, line=s.line, column=s.column),
            msg,
            "Delete the suppression, or correct its code list so that it names the finding it is meant for.",
            key=f"unused|{kind}|{c}|{s.reason}",
            logical_location=f"suppression {kind}[{written}]",
        )


def _lines(s: Suppression) -> str:
    if s.whole_file:
        return "in this file"
    if len(s.applies_to) == 1:
        return f"on line {s.applies_to[-1]}"
    return f"on lines {s.applies_to[0]}-{s.applies_to[-1]}"
