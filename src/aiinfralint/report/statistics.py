"""``--statistics``: findings, $/month and kgCO2e/month per rule, most frequent first.

The figures are summed exactly as the JSON report's totals are (``model.totals``), so the
last row equals its ``summary.totals``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from aiinfralint.model.totals import totals
from aiinfralint.report.ansi import Styler

if TYPE_CHECKING:
    from aiinfralint.model.finding import Finding
    from aiinfralint.model.totals import Totals
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.report.base import ReportOptions

_HEADER = ("count", "code", "rule", "$/month", "kgCO2e/month")


def _figures(t: Totals) -> tuple[str, str]:
    usd = f"${t.usd_per_month:,.2f}" if t.priced else "-"
    co2 = f"{t.kgco2e_per_month:,.1f}" if t.kgco2e_per_month else "-"
    return usd, co2


def rows(findings: list[Finding]) -> list[tuple[str, ...]]:
    """One row per rule (count, code, slug, $/month, kgCO2e/month), then the total row."""
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_code[f.code].append(f)
    out: list[tuple[str, ...]] = []
    for code, group in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        out.append((f"{len(group):,}", code, group[0].slug, *_figures(totals(group))))
    out.append((f"{len(findings):,}", "", "total", *_figures(totals(findings))))
    return out


def render(result: RunResult, options: ReportOptions) -> str:
    if not result.findings:
        return "No findings.\n"
    s = Styler(options.color)
    table = [_HEADER, *rows(result.findings)]
    widths = [max(len(r[i]) for r in table) for i in range(len(_HEADER))]
    right = {0, 3, 4}
    lines = []
    for n, row in enumerate(table):
        cells = [v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(row)]
        line = "  ".join(cells).rstrip()
        lines.append(s(line, "bold") if n in (0, len(table) - 1) else line)
    return "\n".join(lines) + "\n"
