"""`aiinfralint cost --format markdown`: the inventory as tables for a PR comment or a wiki page.

Names, paths, bases, reasons and assumptions come from the scanned files and the configuration:
they are shown literally (``escape.md_text``, paths as code spans).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiinfralint.report.cost_base import categories, defaults_list, money, qty, share
from aiinfralint.report.escape import md_code, md_text

if TYPE_CHECKING:
    from aiinfralint.estimate.inventory import Inventory, Item
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.report.base import ReportOptions


def _cell(text: str) -> str:
    return md_text(text)


def _co2(i: Item) -> str:
    value = qty(i.kgco2e_per_month)
    return value + (" (stated)" if i.carbon_basis == "stated" else "")


def _usd(i: Item) -> str:
    value = money(i.usd_per_month)
    return value + (" (stated)" if i.usd_basis == "stated" else "")


def render(inv: Inventory, result: RunResult, options: ReportOptions) -> str:
    out = ["## aiinfralint cost inventory", ""]
    overall = inv.totals()
    out += [
        "| | items | $/month | kWh/month | kgCO2e/month | without $ | without carbon |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c, label, _ in categories(inv):
        t = inv.totals(c)
        out.append(
            f"| {label} | {t.items} | {money(t.usd_per_month)} | {qty(t.kwh_per_month)} | "
            f"{qty(t.kgco2e_per_month)} | {t.usd_unpriced} ({share(t.usd_unpriced, t.items)}) | "
            f"{t.carbon_unpriced} ({share(t.carbon_unpriced, t.items)}) |"
        )
    out.append(
        f"| **total** | {overall.items} | **{money(overall.usd_per_month)}** | {qty(overall.kwh_per_month)} | "
        f"**{qty(overall.kgco2e_per_month)}** | {overall.usd_unpriced} | {overall.carbon_unpriced} |"
    )
    out.append("")
    for c, label, items in categories(inv):
        out += [f"### {label}", ""]
        if not items:
            out += ["None found.", ""]
            continue
        unit_col = c == "feature"
        head = "| item | where | counted | $/month | kWh/month | kgCO2e/month |" + (" gCO2e/unit |" if unit_col else "")
        out += [head, "|---|---|---|---:|---:|---:|" + ("---:|" if unit_col else "")]
        for i in items:
            row = (
                f"| {_cell(i.name)} | {md_code(f'{i.path}:{i.line}')} | {_cell(i.basis)} | {_usd(i)} | "
                f"{qty(i.kwh_per_month)} | {_co2(i)} |"
            )
            if unit_col:
                unit = f"{i.g_per_unit:,.3f} per {i.functional_unit}" if i.g_per_unit is not None else "–"
                row += f" {_cell(unit)} |"
            out.append(row)
        out.append("")
        t = inv.totals(c)
        if t.reasons:
            out += ["<details><summary>Why some items could not be priced</summary>", ""]
            out += [f"- {_cell(r)} ({n} item{'s' if n != 1 else ''})" for r, n in t.reasons]
            out += ["", "</details>", ""]
    out += ["### Assumptions", ""]
    out += [f"- {_cell(a)}" for a in inv.assumptions]
    out.append("")
    if inv.defaults_used:
        out += ["### Defaults used", ""]
        out += [
            f"- {md_code(d['key'] + ' = ' + d['value'])}: {_cell(d['what'])}" for d in defaults_list(inv.defaults_used)
        ]
        out.append("")
    return "\n".join(out)
