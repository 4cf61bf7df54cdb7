"""`aiinfralint cost` on a terminal: one rich table per category, totals, what could not be priced.

Input text (names, paths, bases, reasons, assumptions) is made printable and markup-escaped,
and the console has emoji codes off, as in the text report.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aiinfralint.report.ansi import Styler
from aiinfralint.report.cost_base import categories, money, qty, share
from aiinfralint.report.escape import printable
from aiinfralint.report.text import defaults_lines

if TYPE_CHECKING:
    from aiinfralint.estimate.inventory import Inventory, Item
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.report.base import ReportOptions


def _esc(text: str) -> str:
    return escape(printable(text))


def render(inv: Inventory, result: RunResult, options: ReportOptions) -> str:
    buf = io.StringIO()
    con = Console(
        file=buf,
        force_terminal=options.color,
        no_color=not options.color,
        width=options.width or 140,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )
    for c, label, items in categories(inv):
        _print_category(con, inv, c, label, items)
    con.print(_totals_table(inv))
    con.print("[dim]s = stated in the configuration (line item or annotation); other figures are estimates[/]")
    if not options.quiet:
        con.print()
        con.print("[bold]Assumptions[/]")
        for a in inv.assumptions:
            con.print(f"  - {_esc(a)}")
        con.print("  - per-item assumptions and sources: aiinfralint cost --format json")
        # the same block as `check`'s text report, styled and escaped by its renderer
        defaults = defaults_lines(inv.defaults_used, Styler(options.color))
        if defaults:
            buf.write("\n" + "\n".join(defaults) + "\n")
    return buf.getvalue()


def _print_category(con: Console, inv: Inventory, c: str, label: str, items: Sequence[Item]) -> None:
    """One category's table and its reasons for missing figures, or a line saying there is none."""
    if not items:
        con.print(f"[bold]{label}[/]: none found")
        con.print()
        return
    unit_col = c == "feature"
    table = Table(title=f"{label} ({len(items)})", title_justify="left", show_lines=False)
    table.add_column("item", overflow="fold", ratio=3)
    table.add_column("counted", overflow="fold", ratio=3)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("kWh/month", justify="right", no_wrap=True)
    table.add_column("kgCO2e/month", justify="right", no_wrap=True)
    if unit_col:
        table.add_column("gCO2e/unit", justify="right", overflow="fold")
    for i in items:
        usd = money(i.usd_per_month) + (" s" if i.usd_basis == "stated" else "")
        co2 = qty(i.kgco2e_per_month) + (" s" if i.carbon_basis == "stated" else "")
        row = [f"{_esc(i.name)}\n[dim]{_esc(i.path)}:{i.line}[/]", _esc(i.basis), usd, qty(i.kwh_per_month), co2]
        if unit_col:
            row.append(f"{i.g_per_unit:,.3f}" if i.g_per_unit is not None else "–")
        table.add_row(*row)
    con.print(table)
    t = inv.totals(c)
    for reason, n in t.reasons:
        con.print(f"  [yellow]not priced[/] ({n}): {_esc(reason)}")
    con.print()


def _totals_table(inv: Inventory) -> Table:
    """Totals per category and overall, with how many items have no $ or carbon figure."""
    summary = Table(title="Totals per month", title_justify="left")
    for col in ("", "items", "$/month", "kWh/month", "kgCO2e/month", "GPU-hours", "without $", "without carbon"):
        summary.add_column(col, justify="right" if col else "left", no_wrap=True)
    for c, label, _ in categories(inv):
        t = inv.totals(c)
        summary.add_row(
            label,
            str(t.items),
            money(t.usd_per_month),
            qty(t.kwh_per_month),
            qty(t.kgco2e_per_month),
            qty(t.gpu_hours_per_month, 0),
            f"{t.usd_unpriced} ({share(t.usd_unpriced, t.items)})",
            f"{t.carbon_unpriced} ({share(t.carbon_unpriced, t.items)})",
        )
    o = inv.totals()
    summary.add_row(
        "[bold]total[/]",
        str(o.items),
        f"[bold]{money(o.usd_per_month)}[/]",
        qty(o.kwh_per_month),
        f"[bold]{qty(o.kgco2e_per_month)}[/]",
        qty(o.gpu_hours_per_month, 0),
        f"{o.usd_unpriced} ({share(o.usd_unpriced, o.items)})",
        f"{o.carbon_unpriced} ({share(o.carbon_unpriced, o.items)})",
    )
    return summary
