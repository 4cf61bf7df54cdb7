"""What the cost inventory renderers share: rounding and one dictionary per item and total."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiinfralint.estimate.inventory import CATEGORIES, CATEGORY_LABELS, CategoryTotals, Inventory, Item
from aiinfralint.report.base import impact_dict

if TYPE_CHECKING:
    from aiinfralint.model.finding import DefaultUsed
    from aiinfralint.report.base import ReportOptions


def num(d: Decimal | None, places: str = "0.01") -> float | None:
    if d is None:
        return None
    return float(d.quantize(Decimal(places)))


def money(d: Decimal | None) -> str:
    if d is None:
        return "–"
    if d != 0 and abs(d) < 1:
        return f"${d:,.4f}".rstrip("0")
    return f"${d:,.2f}"


def qty(d: Decimal | None, places: int = 1) -> str:
    if d is None:
        return "–"
    return f"{d:,.{places}f}"


def share(part: int, whole: int) -> str:
    if whole == 0:
        return "0%"
    return f"{100 * part / whole:.0f}%"


def item_dict(i: Item) -> dict[str, Any]:
    return {
        "category": i.category,
        "name": i.name,
        "path": i.path,
        "line": i.line,
        "basis": i.basis,
        "usd_per_month": num(i.usd_per_month),
        "usd_basis": i.usd_basis,
        "kwh_per_month": num(i.kwh_per_month),
        "kgco2e_per_month": num(i.kgco2e_per_month, "0.001"),
        "carbon_basis": i.carbon_basis,
        "gpu_hours_per_month": num(i.estimate.gpu_hours_per_month),
        "functional_unit": i.functional_unit,
        "units_per_month": num(i.units_per_month, "1"),
        "gco2e_per_unit": num(i.g_per_unit, "0.0001"),
        "usd_per_unit": num(i.usd_per_unit, "0.000001"),
        "unit_note": i.unit_note,
        "stated": {
            "usd_per_month": num(i.stated.usd_per_month),
            "kgco2e_per_month": num(i.stated.kgco2e_per_month, "0.001"),
            "kwh_per_month": num(i.stated.kwh_per_month),
            "source": i.stated.source,
        },
        "estimate": impact_dict(i.estimate),
        "unpriced": [u.reason for u in i.unpriced],
    }


def totals_dict(t: CategoryTotals) -> dict[str, Any]:
    return {
        "items": t.items,
        "usd_per_month": num(t.usd_per_month),
        "kwh_per_month": num(t.kwh_per_month),
        "kgco2e_per_month": num(t.kgco2e_per_month, "0.001"),
        "gpu_hours_per_month": num(t.gpu_hours_per_month),
        "items_without_usd": t.usd_unpriced,
        "items_without_carbon": t.carbon_unpriced,
        "share_without_usd": round(t.usd_unpriced / t.items, 4) if t.items else 0.0,
        "share_without_carbon": round(t.carbon_unpriced / t.items, 4) if t.items else 0.0,
        "unpriced_reasons": [{"reason": r, "items": n} for r, n in t.reasons],
    }


def defaults_list(defaults: tuple[DefaultUsed, ...]) -> list[dict[str, str]]:
    """The defaults the estimates relied on, once per key, for JSON (`defaults_used`)."""
    seen: dict[str, DefaultUsed] = {}
    for d in defaults:
        seen.setdefault(d.key, d)
    return [{"key": d.key, "value": d.value, "what": d.what} for d in seen.values()]


def categories(inv: Inventory) -> list[tuple[str, str, tuple[Item, ...]]]:
    """(category, label, items) for every category, empty ones included (they say 'none found')."""
    return [(c, CATEGORY_LABELS[c], inv.of(c)) for c in CATEGORIES]


def location(i: Item, options: ReportOptions | None = None) -> str:
    return f"{i.path}:{i.line}"
