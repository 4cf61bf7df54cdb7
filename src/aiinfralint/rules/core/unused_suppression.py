from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, ClassVar

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Severity
from aiinfralint.rules.base import Example, Rule

if TYPE_CHECKING:
    from aiinfralint.engine import FileResult

# codes of the rules that judge suppressions themselves (evaluated after the others)
META_CODES = ("AIL001", "AIL002")

_MANIFEST = """apiVersion: v1
kind: Service
metadata:
  name: chat
  namespace: ml
spec:
  selector: {app: chat}
  ports:
  - port: 80
    targetPort: 8000
"""


class UnusedSuppression(Rule):
    """An inline suppression names a rule that reports nothing on its line or file.

    ## What it does
    After all rules ran, reports each `# aiinfralint: ignore[CODE]` (and
    `ignore-file[CODE]`) whose code, slug or prefix silenced no finding, and each one
    naming a rule that does not exist. A suppression is only judged for the rules that
    ran: with `--select AIL2`, a suppression of `AIL101` is left alone. Files that failed
    to parse are not judged (their rules could not run). Kubernetes
    `aiinfralint/ignore` annotations are not checked.

    ## Why is this bad?
    A stale suppression is a loaded gun: the problem it was written for is gone or moved,
    and the comment now silently hides the next real finding that lands on that line. A
    misspelled code hides nothing while reviewers believe something is handled.

    ## How the estimate is computed
    No estimate: the finding is about hygiene, not cost.

    ## How to fix
    Delete the suppression, or correct its code list so that it names the finding it is
    meant for (`aiinfralint rules` lists every code and slug).

    ## References
    - Suppression syntax: README, "Suppressing a finding"
    - The same idea in ruff: `RUF100` unused-noqa
    """

    code: ClassVar[str] = "AIL001"
    slug: ClassVar[str] = "unused-suppression"
    severity: ClassVar[Severity] = Severity.INFO
    inputs: ClassVar[str] = "inline suppression comments"
    summary: ClassVar[str] = "An inline suppression silences nothing"
    examples = (
        Example(
            "deploy/chat.yaml",
            "# aiinfralint: ignore-file[AIL000] was broken in 2023\n" + _MANIFEST,
            expect=("AIL001",),
            title="the file parses now, so the suppression hides nothing",
        ),
        Example(
            "deploy/chat.yaml",
            "# aiinfralint: ignore-file[AIL000] vendored upstream file, tracked in OPS-412\n"
            + _MANIFEST.replace("ports:\n  - port: 80", "ports:\n - port: 80 ["),
            title="the suppression silences a real finding",
        ),
    )




def _fully_selected(selector: str, all_rules: Sequence[type[Rule]], selected: set[str]) -> bool:
    """True if every rule the selector names ran in this run."""
    from aiinfralint.rules.registry import matches

    named = [r for r in all_rules if matches(r, [selector])]
    return bool(named) and all(r.code in selected for r in named)


def suppression_findings(
    results: Sequence[FileResult], selected: Sequence[type[Rule]], on: datetime.date | None = None
) -> Iterator[Finding]:
    """AIL001 and AIL002 findings for the suppressions of a finished run (called by the engine)."""
    from aiinfralint.rules.core.expired_suppression import ExpiredSuppression
    from aiinfralint.rules.registry import all_rules, matches
    from aiinfralint.suppress import today

    ran = {r.code for r in selected}
    want_unused = UnusedSuppression.code in ran
    want_expired = ExpiredSuppression.code in ran
    if not (want_unused or want_expired):
        return
    known = all_rules()
    day = on or today()
    for fr in results:
        items = fr.suppressions.items
        if not items:
            continue
        for s in items:
            span = Span(path=fr.path, line=s.line, column=s.column)
            written = ", ".join(s.codes)
            kind = "ignore-file" if s.whole_file else "ignore"
            if s.expired(day):
                if want_expired:
                    if s.until is None:
                        why = f"has an unreadable date `until={s.until_text}` (expected until=YYYY-MM-DD), so it is treated as expired"
                    else:
                        why = f"expired on {s.until.isoformat()}"
                    yield Finding(
                        code=ExpiredSuppression.code,
                        slug=ExpiredSuppression.slug,
                        severity=ExpiredSuppression.severity,
                        span=span,
                        message=f"Suppression `{kind}[{written}]` {why} and no longer silences {written} here.",
                        remediation=(
                            "Fix the finding it was hiding and delete the comment, or move the date forward "
                            "with a reason that still holds."
                        ),
                        logical_location=f"suppression {kind}[{written}]",
                        key=f"expired|{kind}|{written}|{s.reason}",
                    )
                continue
            if not want_unused or fr.output.problems:
                continue
            if all(c.upper() in META_CODES for c in s.codes):
                continue
            for c in s.codes:
                if c in s.used_codes or c.upper() in META_CODES:
                    continue
                if not any(matches(r, [c]) for r in known):
                    msg = f"Suppression `{kind}[{written}]` names `{c}`, which is no aiinfralint rule code, slug or prefix, so it silences nothing."
                elif _fully_selected(c, known, ran):
                    where = "in this file" if s.whole_file else f"on line {s.applies_to[-1]}" if len(s.applies_to) == 1 else f"on lines {s.applies_to[0]}-{s.applies_to[-1]}"
                    msg = f"Suppression `{kind}[{written}]` silences no {c} finding {where}."
                else:
                    continue  # some rule it names did not run: cannot judge
                yield Finding(
                    code=UnusedSuppression.code,
                    slug=UnusedSuppression.slug,
                    severity=UnusedSuppression.severity,
                    span=span,
                    message=msg,
                    remediation=(
                        "Delete the suppression, or correct its code list so that it names the finding it is meant for."
                    ),
                    logical_location=f"suppression {kind}[{written}]",
                    key=f"unused|{kind}|{c}|{s.reason}",
                )
