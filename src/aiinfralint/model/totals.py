"""The sums of the impacts of a list of findings (the reports' totals and the gate's delta)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aiinfralint.model.finding import Finding


@dataclass
class Totals:
    usd_per_month: Decimal = Decimal(0)
    kgco2e_per_month: Decimal = Decimal(0)
    kwh_per_month: Decimal = Decimal(0)
    gpu_hours_per_month: Decimal = Decimal(0)
    latency_ms_max: float | None = None
    priced: int = 0
    unpriced: int = 0


def totals(findings: list[Finding]) -> Totals:
    t = Totals()
    for f in findings:
        imp = f.impact
        if imp is None:
            continue
        if imp.usd_per_month is not None:
            t.usd_per_month += imp.usd_per_month
            t.priced += 1
        elif imp.unpriced:
            t.unpriced += 1
        if imp.kgco2e_per_month is not None:
            t.kgco2e_per_month += imp.kgco2e_per_month
        if imp.kwh_per_month is not None:
            t.kwh_per_month += imp.kwh_per_month
        if imp.gpu_hours_per_month is not None:
            t.gpu_hours_per_month += imp.gpu_hours_per_month
        if imp.latency_ms is not None:
            t.latency_ms_max = max(t.latency_ms_max or 0.0, imp.latency_ms)
    return t
