"""JSON output (SPEC §6): findings, skipped files and a summary with totals."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiinfralint.report.base import ReportOptions, finding_dict, summary_dict

if TYPE_CHECKING:
    from aiinfralint.engine import RunResult


def render(result: RunResult, options: ReportOptions) -> str:
    doc = {
        "version": options.version,
        "findings": [finding_dict(f) for f in result.findings],
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        "summary": summary_dict(result),
    }
    from aiinfralint.diffmode import gate_summary  # the gate (--diff, baseline): configuration changes too

    gate = gate_summary(result)
    if gate:
        doc["gate"] = gate
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
