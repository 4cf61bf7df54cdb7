"""A pull-request comment in GitHub-flavoured Markdown (SPEC §6).

Headline with counts, the cost/carbon/token delta of the change when ``--diff`` ran,
a findings table, the findings the change fixes, baseline notes and the assumptions
behind every estimate. Text from the scanned files is shown literally (``escape.md_text``:
Markdown punctuation backslash-escaped, ``& < >`` as entities, mentions, issue references,
emoji codes and links broken with a zero-width space; paths and refs as code spans), so a
hostile manifest cannot inject markup, images, links or notifications into the comment.
The first line is a hidden marker a workflow can use to update its comment in place.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from aiinfralint.model.finding import Finding
from aiinfralint.report.base import ReportOptions, totals
from aiinfralint.report.escape import md_code, md_text
from aiinfralint.report.gate import config_change_lines, gate_of, signed, signed_usd, spend_markdown
from aiinfralint.report.sarif import repo_relative
from aiinfralint.tokens import encoding_name

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.pipeline.gate_types import DiffReport

MARKER = "<!-- aiinfralint-report -->"
MAX_ROWS = 100


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
