"""Human output: findings grouped by file with the offending line, then a summary table."""

from __future__ import annotations

import io
from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING

from aiinfralint.report.base import ReportOptions, offending_line, totals

if TYPE_CHECKING:
    from aiinfralint.engine import RunResult

_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _money(v: object) -> str:
    return f"${v:,.2f}"


def render(result: RunResult, options: ReportOptions) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    con = Console(
        file=buf,
        force_terminal=options.color,
        no_color=not options.color,
        width=options.width or 100,
        highlight=False,
        soft_wrap=False,
    )
    findings = result.findings
    for path, group in groupby(findings, key=lambda f: f.span.path):
        con.print(f"[bold underline]{escape(path)}[/]")
        for f in group:
            sev = f.severity.value
            con.print(
                f"  [dim]{f.span.line}:{f.span.column}[/]  [{_SEV_STYLE[sev]}]{sev}[/]  "
                f"[bold]{f.code}[/] [dim]{f.slug}[/]  {escape(f.message)}"
            )
            if not options.quiet:
                src = offending_line(result, f, options.cwd)
                if src is not None and src.strip():
                    con.print(f"      [dim]{f.span.line:>4} |[/] {escape(src.rstrip()[:160])}")
                imp = f.impact
                if imp is not None:
                    parts = []
                    if imp.usd_per_month is not None:
                        parts.append(f"{_money(imp.usd_per_month)}/month")
                    if imp.kgco2e_per_month is not None:
                        parts.append(f"{imp.kgco2e_per_month:,.1f} kgCO2e/month")
                    if imp.latency_ms is not None:
                        parts.append(f"+{imp.latency_ms / 1000:,.1f} s latency")
                    if imp.tokens is not None:
                        parts.append(f"{imp.tokens:,} tokens")
                    if parts:
                        con.print(f"      [magenta]impact:[/] {escape(', '.join(parts))}")
                    for why in imp.unpriced:
                        con.print(f"      [magenta]unpriced:[/] {escape(why)}")
                    for a in imp.assumptions:
                        con.print(f"      [dim]assumes: {escape(a)}[/]")
                if f.remediation:
                    con.print(f"      [green]fix:[/] {escape(f.remediation)}")
        con.print()

    t = totals(findings)
    counts = Counter(f.severity.value for f in findings)
    table = Table(title="aiinfralint summary", show_header=True, header_style="bold")
    table.add_column("", style="bold")
    table.add_column("value", justify="right")
    table.add_row("files checked", f"{result.files_checked} of {len(result.files)} read")
    table.add_row("objects", str(len(result.project)))
    table.add_row("errors / warnings / info", f"{counts['error']} / {counts['warning']} / {counts['info']}")
    if result.suppressed:
        table.add_row("suppressed", str(len(result.suppressed)))
    table.add_row("skipped files", str(len(result.skipped)))
    if t.priced or t.unpriced:
        table.add_row("estimated cost", f"{_money(t.usd_per_month)}/month ({t.priced} priced, {t.unpriced} unpriced)")
    if t.kgco2e_per_month:
        table.add_row("estimated carbon", f"{t.kgco2e_per_month:,.1f} kgCO2e/month")
    if t.gpu_hours_per_month:
        table.add_row("GPU-hours at stake", f"{t.gpu_hours_per_month:,.0f} h/month")
    if t.latency_ms_max:
        table.add_row("worst added latency", f"{t.latency_ms_max / 1000:,.1f} s")
    con.print(table)
    if options.show_skipped and result.skipped:
        con.print("[bold]skipped[/]")
        for p, r in result.skipped:
            con.print(f"  {escape(p)}: [dim]{escape(r)}[/]")
    elif result.skipped and not options.quiet:
        reasons = Counter(r.split(";")[0].split("(")[0].strip() for _, r in result.skipped)
        top = ", ".join(f"{n} {r}" for r, n in reasons.most_common(3))
        con.print(f"[dim]skipped {len(result.skipped)} files ({top}); --show-skipped lists them[/]")
    if not findings:
        con.print("[green]No findings.[/]")
    return buf.getvalue()
