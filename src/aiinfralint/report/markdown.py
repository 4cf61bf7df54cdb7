"""A pull-request comment in GitHub-flavoured Markdown (SPEC §6).

Headline with counts, the cost/carbon/token delta of the change when ``--diff`` ran,
a findings table, the findings the change fixes, baseline notes and the assumptions
behind every estimate. Text from the scanned files is shown literally (``escape.md_text``:
Markdown punctuation backslash-escaped, ``& < >`` as entities, mentions, issue references,
emoji codes and links broken with a zero-width space; paths and refs as code spans), so a
hostile manifest cannot inject markup, images, links or notifications into the comment.
The first line is a hidden marker a workflow can use to update its comment in place.

A safe fix shows as a GitHub ``suggestion`` block: the whole lines its edits touch, as read
for this run, with the edits applied, in a fence longer than any run of backticks inside.
When one of those lines was not kept, or a line holds a control or bidirectional character
(a suggestion must be literal), the fix shows as a ``diff`` block instead, never as a wrong
suggestion. Unsafe fixes are counted, not suggested.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING

from aiinfralint.model.finding import Finding, Fix
from aiinfralint.report.base import ReportOptions, totals
from aiinfralint.report.escape import md_code, md_text, printable
from aiinfralint.report.gate import config_change_lines, gate_of, signed, signed_usd, spend_markdown
from aiinfralint.report.sarif import repo_relative
from aiinfralint.tokens import encoding_name

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.pipeline.gate_types import DiffReport

MARKER = "<!-- aiinfralint-report -->"
MAX_ROWS = 100
MAX_SUGGESTIONS = 20
_BACKTICKS = re.compile(r"`+")


def cell(value: object) -> str:
    """Input text in a table cell or in prose."""
    return md_text(str(value))


def _usd(d: Decimal | None) -> str:
    return "" if d is None else f"${d:,.2f}"


def _kg(d: Decimal | None) -> str:
    return "" if d is None else f"{d:,.1f}"


def _location(f: Finding, options: ReportOptions) -> str:

    path = repo_relative(f.span.path, options.cwd) or f.span.path
    return md_code(f"{path}:{f.span.line}")


def findings_table(findings: list[Finding], options: ReportOptions) -> list[str]:
    out = [
        "| severity | rule | location | message | $/month | kgCO2e/month |",
        "|---|---|---|---|---:|---:|",
    ]
    for f in findings[:MAX_ROWS]:
        imp = f.impact
        out.append(
            f"| {f.severity.value} | {md_text(f.code)} {md_code(f.slug)} | {_location(f, options)} | {cell(f.message)} | "
            f"{_usd(imp.usd_per_month if imp else None)} | {_kg(imp.kgco2e_per_month if imp else None)} |"
        )
    if len(findings) > MAX_ROWS:
        out.append(f"\n…and {len(findings) - MAX_ROWS} more; see the SARIF upload or the job log.")
    return out


def _config_section(d: DiffReport) -> list[str]:
    lines = config_change_lines(d)
    if not lines:
        return []
    first, *rest = lines
    return [f"**{cell(first)}**", "", *[f"- {cell(line.strip())}" for line in rest], ""]


def _delta_section(d: DiffReport) -> list[str]:
    delta = d.delta
    out = [
        f"### Change since {md_code(d.base_ref, table=False)} ({md_text(d.base_commit[:12])})"
        if d.base_commit
        else f"### Change since {md_code(d.base_ref, table=False)}, compared with an empty tree (no commits yet)",
        "",
        f"{len(d.added)} new, {len(d.fixed)} fixed, {d.unchanged} unchanged finding(s).",
        "",
        *_config_section(d),
        "| spend (inventory) | base | this change | delta |",
        "|---|---:|---:|---:|",
        f"| $/month | {_usd(delta.usd_base)} | {_usd(delta.usd_head)} | **{signed_usd(delta.usd_per_month)}** |",
        f"| kgCO2e/month | {_kg(delta.kgco2e_base)} | {_kg(delta.kgco2e_head)} | **{signed(delta.kgco2e_per_month)}** |",
        "",
        *spend_markdown(d),
    ]
    if delta.prompts:
        out += [
            "| prompt | file | static prefix tokens (base) | (this change) | delta |",
            "|---|---|---:|---:|---:|",
        ]
        for p in delta.prompts:
            base = "new" if p.base is None else f"{p.base:,}"
            head = "removed" if p.head is None else f"{p.head:,}"
            out.append(f"| {cell(p.name)} | {md_code(p.path)} | {base} | {head} | **{signed(p.delta)}** |")
        out += ["", f"Static prefix: the text before the first dynamic value, counted with {_encoding()}.", ""]
    return out


def _encoding() -> str:
    return f"the offline `{encoding_name()}` encoding"


def _assumptions(findings: list[Finding]) -> list[str]:
    seen: dict[str, None] = {}
    for f in findings:
        if f.impact is not None:
            for a in (*f.impact.assumptions, *(u.reason for u in f.impact.unpriced)):
                seen.setdefault(a, None)
    if not seen:
        return []
    out = ["<details><summary>Assumptions behind the estimates</summary>", ""]
    out += [f"- {cell(a)}" for a in seen]
    out += ["", "</details>", ""]
    return out


# --- fixes: safe ones as GitHub suggestion blocks ---------------------------------------------


def _covered(fix: Fix) -> tuple[int, int]:
    """The whole lines a fix's edits touch (first, last), both inclusive."""
    return min(e.start_line for e in fix.edits), max(e.end_line for e in fix.edits)


def _plain(text: str) -> bool:
    """True when `text` (one line) shows as it is: no control or reordering character."""
    return printable(text) == text


def _offset(lines: list[str], first: int, line: int, column: int) -> int | None:
    """The character offset of (line, column) in ``lines`` joined with newlines (None: outside)."""
    i = line - first
    if not 0 <= i < len(lines) or not 1 <= column <= len(lines[i]) + 1:
        return None
    return sum(len(s) + 1 for s in lines[:i]) + column - 1


def applied(fix: Fix, first: int, lines: list[str]) -> list[str] | None:
    """`lines` (numbered from `first`) with the fix's edits applied; None if an edit falls
    outside them or two edits overlap."""
    text = "\n".join(lines) + "\n"
    spans = []
    for e in fix.edits:
        start, end = (
            _offset(lines, first, e.start_line, e.start_column),
            _offset(lines, first, e.end_line, e.end_column),
        )
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, e.text))
    spans.sort()
    for (_, end, _), (start, _, _) in pairwise(spans):
        if start < end:
            return None
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text[:-1].split("\n") if text.endswith("\n") else None


def _fenced(info: str, body: list[str]) -> list[str]:
    """A fenced code block longer than any run of backticks in `body`, so none can close it."""
    longest = max((len(run) for line in body for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *body, fence]


def _source_lines(result: RunResult, path: str, first: int, last: int) -> list[str] | None:
    """Lines `first`..`last` of `path` as read for this run, or None if one was not kept."""
    fr = next((fr for fr in result.files if fr.path == path), None)
    if fr is None:
        return None
    lines = [fr.line(n) for n in range(first, last + 1)]
    return None if any(line is None for line in lines) else [line for line in lines if line is not None]


def fix_block(fix: Fix, old: list[str] | None, first: int) -> list[str]:
    """A safe fix as a suggestion replacing whole lines `old` (numbered from `first`), or, when
    the lines are unknown or cannot be shown literally, as a diff block of the edits."""
    new = applied(fix, first, old) if old is not None else None
    if old is not None and new is not None:
        if all(_plain(line) for line in (*old, *new)):
            return _fenced("suggestion", new)
        hunk = [f"@@ -{first},{len(old)} +{first},{len(new)} @@"]
        return _fenced("diff", hunk + [f"-{printable(s)}" for s in old] + [f"+{printable(s)}" for s in new])
    body: list[str] = []
    for e in fix.edits:
        body.append(f"@@ line {e.start_line} column {e.start_column} to line {e.end_line} column {e.end_column} @@")
        body += [f"+{printable(s)}" for s in e.text.split("\n")[: -1 if e.text.endswith("\n") else None]]
    return _fenced("diff", body)


def fixes_section(result: RunResult, findings: list[Finding], options: ReportOptions) -> list[str]:
    safe = [(f.code, f.fix) for f in findings if f.fix is not None and f.fix.safety == "safe" and f.fix.edits]
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.safety == "unsafe")
    if not safe and not unsafe:
        return []
    out = ["### Suggested fixes", ""]
    if safe:
        out += [f"{len(safe)} finding(s) have a safe fix; `aiinfralint check --fix` applies them all.", ""]
    for code, fix in safe[:MAX_SUGGESTIONS]:
        first, last = _covered(fix)
        path = repo_relative(fix.path, options.cwd) or fix.path
        where = f"{path}:{first}" if first == last else f"{path}:{first}-{last}"
        out += [f"**{md_text(code)}** {md_code(where, table=False)}: {cell(fix.description)}", ""]
        out += [*fix_block(fix, _source_lines(result, fix.path, first, last), first), ""]
    if len(safe) > MAX_SUGGESTIONS:
        out += [f"…and {len(safe) - MAX_SUGGESTIONS} more safe fix(es).", ""]
    if unsafe:
        out += [
            f"{unsafe} finding(s) have an unsafe fix (it changes behaviour or cost): "
            "`aiinfralint check --fix --unsafe-fixes` applies them.",
            "",
        ]
    return out


def render(result: RunResult, options: ReportOptions) -> str:
    gate = gate_of(result)
    diff = gate.diff if gate is not None else None
    findings = result.findings
    counts = Counter(f.severity.value for f in findings)
    noun = "new finding" if diff is not None else "finding"
    breakdown = ", ".join(
        f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}"
        for s in ("error", "warning", "info")
        if counts[s]
    )
    head = f"## aiinfralint: {len(findings)} {noun}{'' if len(findings) == 1 else 's'}"
    if breakdown:
        head += f" ({breakdown})"
    out = [MARKER, head, ""]
    if diff is not None:
        out += _delta_section(diff)
    if findings:
        out += ["### Findings" if diff is None else "### New findings", ""]
        out += findings_table(findings, options)
        out.append("")
        t = totals(findings)
        if t.priced or t.kgco2e_per_month:
            out += [
                f"Estimated total of the findings above: **{_usd(t.usd_per_month)}/month**, "
                f"**{_kg(t.kgco2e_per_month)} kgCO2e/month** ({t.priced} priced, {t.unpriced} unpriced).",
                "",
            ]
    else:
        out += [
            "No findings at any severity."
            if diff is None
            else "This change adds no findings."
            if not diff.config_changes
            else "This change adds no findings, but it changes the configuration (see above).",
            "",
        ]
    out += fixes_section(result, findings, options)
    if diff is not None and diff.fixed:
        out += [f"<details><summary>Fixed by this change ({len(diff.fixed)})</summary>", ""]
        out += findings_table(diff.fixed, options)
        out += ["", "</details>", ""]
    out += _assumptions(findings)
    notes = [f"{result.files_checked} file(s) checked"]
    if result.suppressed:
        notes.append(f"{len(result.suppressed)} suppressed inline or by configuration")
    if gate is not None and gate.baseline_path:
        notes.append(f"{len(gate.baselined)} hidden by baseline {md_code(str(gate.baseline_path), table=False)}")
    if result.skipped:
        notes.append(f"{len(result.skipped)} file(s) skipped")
    out.append(f"<sub>{'; '.join(notes)}. aiinfralint {cell(options.version)}.</sub>")
    return "\n".join(out) + "\n"
