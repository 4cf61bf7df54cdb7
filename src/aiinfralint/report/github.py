"""GitHub Actions workflow commands: one annotation per finding (SPEC §6).

``::error file=deploy/a.yaml,line=12,col=5,title=AIL201 shared-batch-realtime-gpu-pool::message``.
Severity maps to ``error``/``warning``/``notice``. Input text is made printable first (no
control characters or escape sequences, see ``escape.printable``), then escaped as the runner
expects: ``%``, ``\\r`` and ``\\n`` everywhere, and also ``:`` and ``,`` in properties, so
no name can end a command or start another. The gate summary lines that follow the
annotations carry input text too (prompt names, paths, messages of fixed findings); they are
printed with workflow commands stopped around them. File paths are relative to the
repository root (the runner's workspace). A finding with a mechanical repair ends with the
command that applies it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiinfralint.model.finding import Finding, Severity
from aiinfralint.report.base import ReportOptions, totals
from aiinfralint.report.escape import gh_data, gh_plain_block, gh_property, printable
from aiinfralint.report.gate import text_summary
from aiinfralint.report.sarif import repo_relative

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
FIXABLE = {
    "safe": "Fixable with `aiinfralint check --fix`.",
    "unsafe": "Fixable with `aiinfralint check --fix --unsafe-fixes` (changes behaviour or cost).",
}


escape_data = gh_data
escape_property = gh_property


def _impact_text(f: Finding) -> str:
    imp = f.impact
    if imp is None:
        return ""
    parts = []
    if imp.usd_per_month is not None:
        parts.append(f"${imp.usd_per_month:,.2f}/month")
    if imp.kgco2e_per_month is not None:
        parts.append(f"{imp.kgco2e_per_month:,.1f} kgCO2e/month")
    if imp.latency_ms is not None:
        parts.append(f"+{imp.latency_ms / 1000:,.1f} s latency")
    if imp.tokens is not None:
        parts.append(f"{imp.tokens:,} tokens")
    return ("Estimated impact: " + ", ".join(parts) + ".") if parts else ""


def annotation(f: Finding, options: ReportOptions) -> str:

    props: list[str] = []
    path = repo_relative(f.span.path, options.cwd)
    if path is not None:
        props.append(f"file={gh_property(printable(path))}")
        props.append(f"line={f.span.line}")
        if f.span.end_line is not None and f.span.end_line >= f.span.line:
            props.append(f"endLine={f.span.end_line}")
        props.append(f"col={f.span.column}")
    props.append(f"title={gh_property(printable(f'{f.code} {f.slug}'))}")
    body = [printable(f.message)]
    extra = _impact_text(f)
    if extra:
        body.append(extra)
    if f.remediation and not options.quiet:
        body.append(f"Fix: {printable(f.remediation)}")
    if f.fix is not None:
        body.append(FIXABLE[f.fix.safety])
    return f"::{COMMANDS[f.severity]} {','.join(props)}::{gh_data(chr(10).join(body))}"


def render(result: RunResult, options: ReportOptions) -> str:
    lines = [annotation(f, options) for f in result.findings]
    t = totals(result.findings)
    summary = f"aiinfralint: {len(result.findings)} finding(s) in {result.files_checked} checked file(s)"
    if t.priced:
        summary += f"; estimated ${t.usd_per_month:,.2f}/month, {t.kgco2e_per_month:,.1f} kgCO2e/month"
    lines.append(summary)
    gate = text_summary(result).rstrip("\n")
    if gate:
        lines += gh_plain_block(gate.split("\n"))
    return "\n".join(lines) + "\n"
