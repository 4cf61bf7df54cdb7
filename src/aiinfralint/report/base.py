"""What every reporter shares: options, totals, finding dictionaries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiinfralint import __version__
from aiinfralint.model.finding import Finding, Impact
from aiinfralint.model.totals import COUNTED
from aiinfralint.model.totals import Totals as Totals
from aiinfralint.model.totals import totals as totals

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult


@dataclass
class ReportOptions:
    color: bool = False
    width: int | None = None
    cwd: Path = field(default_factory=Path.cwd)
    show_skipped: bool = False
    quiet: bool = False
    show_assumptions: bool = False
    version: str = __version__


def _num(d: Decimal | None, places: str = "0.01") -> float | None:
    if d is None:
        return None
    return float(d.quantize(Decimal(places)))


def impact_dict(imp: Impact | None) -> dict[str, Any] | None:
    if imp is None:
        return None
    return {
        "usd_per_month": _num(imp.usd_per_month),
        "kgco2e_per_month": _num(imp.kgco2e_per_month, "0.001"),
        "latency_ms": imp.latency_ms,
        "tokens": imp.tokens,
        "gpu_hours_per_month": _num(imp.gpu_hours_per_month),
        "kwh_per_month": _num(imp.kwh_per_month),
        "assumptions": list(imp.assumptions),
        "sources": list(imp.sources),
        "unpriced": [u.reason for u in imp.unpriced],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "slug": f.slug,
        "severity": f.severity.value,
        "path": f.span.path,
        "line": f.span.line,
        "column": f.span.column,
        "object": f.logical_location,
        "message": f.message,
        "remediation": f.remediation,
        "impact": impact_dict(f.impact),
        "fingerprint": f.fingerprint,
    }


def summary_dict(result: RunResult) -> dict[str, Any]:
    t = totals(result.findings)
    by_sev = Counter(f.severity.value for f in result.findings)
    by_code = Counter(f.code for f in result.findings)
    return {
        "files_scanned": len(result.files),
        "files_checked": result.files_checked,
        "objects": len(result.project),
        "findings": len(result.findings),
        "suppressed": len(result.suppressed),
        "skipped": len(result.skipped),
        "by_severity": {k: by_sev.get(k, 0) for k in ("error", "warning", "info")},
        "by_code": dict(sorted(by_code.items())),
        "totals": {
            "usd_per_month": _num(t.usd_per_month),
            "kgco2e_per_month": _num(t.kgco2e_per_month, "0.001"),
            "kwh_per_month": _num(t.kwh_per_month),
            "gpu_hours_per_month": _num(t.gpu_hours_per_month),
            "max_latency_ms": t.latency_ms_max,
            "findings_priced": t.priced,
            "findings_unpriced": t.unpriced,
            "objects": t.objects,
            "findings_overlapping": t.overlapping,
            "counted": COUNTED,
        },
    }


def offending_line(result: RunResult, f: Finding) -> str | None:
    """The source line a finding points at, as it was read for this run (never re-read from disk)."""
    return result.source_line(f)
