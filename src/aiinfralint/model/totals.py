"""The sums of the impacts of a list of findings (the reports' totals).

A finding's impact is what is at stake on one object (waste, money at risk), not that
object's spend; several findings about the same object describe the same GPUs or the
same traffic. The totals therefore count each object once: per object (file and
logical location), each figure is the largest any of its findings states, and the
objects are added. A finding with no logical location is an object of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aiinfralint.model.finding import Finding

# how the totals are counted, for the reports' assumptions and the JSON summary
COUNTED = (
    "per object, the largest figure among its findings (findings about one object are not added: "
    "they put the same GPUs or traffic at stake); objects are added"
)


@dataclass
class Totals:
    usd_per_month: Decimal = Decimal(0)
    kgco2e_per_month: Decimal = Decimal(0)
    kwh_per_month: Decimal = Decimal(0)
    gpu_hours_per_month: Decimal = Decimal(0)
    latency_ms_max: float | None = None
    priced: int = 0
    unpriced: int = 0
    objects: int = 0  # objects with at least one finding that states a figure
    overlapping: int = 0  # priced findings whose object's figure another finding of it already gave


_FIGURES = ("usd_per_month", "kgco2e_per_month", "kwh_per_month", "gpu_hours_per_month")


def object_key(f: Finding, index: int) -> tuple[str, str]:
    """The object a finding is about: its file and logical location (or the finding itself)."""
    if f.logical_location:
        return f.span.path, f.logical_location
    return f.span.path, f"#{index}"


def totals(findings: list[Finding]) -> Totals:
    t = Totals()
    largest: dict[tuple[str, str], dict[str, Decimal]] = {}
    priced_on: dict[tuple[str, str], int] = {}
    for n, f in enumerate(findings):
        imp = f.impact
        if imp is None:
            continue
        key = object_key(f, n)
        if imp.usd_per_month is not None:
            t.priced += 1
            priced_on[key] = priced_on.get(key, 0) + 1
        elif imp.unpriced:
            t.unpriced += 1
        if imp.latency_ms is not None:
            t.latency_ms_max = max(t.latency_ms_max or 0.0, imp.latency_ms)
        figures = largest.setdefault(key, {})
        for name in _FIGURES:
            value = getattr(imp, name)
            if value is not None and (name not in figures or value > figures[name]):
                figures[name] = value
    for figures in largest.values():
        if figures:
            t.objects += 1
        t.usd_per_month += figures.get("usd_per_month", Decimal(0))
        t.kgco2e_per_month += figures.get("kgco2e_per_month", Decimal(0))
        t.kwh_per_month += figures.get("kwh_per_month", Decimal(0))
        t.gpu_hours_per_month += figures.get("gpu_hours_per_month", Decimal(0))
    t.overlapping = sum(n - 1 for n in priced_on.values())
    return t
