"""AIL001 and AIL002: the engine judges the suppressions of a finished run.

Every finding has been matched against the inline suppressions by then
(`FileSuppressions.match` records which selectors silenced something), so what is left
unused, or past its `until=` date, is reported here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding
from aiinfralint.pipeline.suppress import FileSuppressions, Suppression, today
from aiinfralint.rules.base import Rule
from aiinfralint.rules.core.expired_suppression import ExpiredSuppression
from aiinfralint.rules.core.unused_suppression import UnusedSuppression
from aiinfralint.rules.registry import all_rules, matches

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
