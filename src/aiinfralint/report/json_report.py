"""JSON output (SPEC §6): findings, skipped files and a summary with totals.

Input text is data here, escaped by JSON itself; an undecodable byte of a file name is
written ``\\xNN`` so the document is valid UTF-8.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiinfralint.report.base import ReportOptions, finding_dict, summary_dict
from aiinfralint.report.escape import json_text
from aiinfralint.report.gate import diff_summary, gate_summary

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult


def render(result: RunResult, options: ReportOptions) -> str:
    doc = {
        "version": options.version,
        "findings": [finding_dict(f) for f in result.findings],
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        "summary": summary_dict(result),
    }
    # the gate (baseline; --diff below); empty on a plain check, which imports neither
    # diffmode nor the gate types (see report.gate.gate_of)
    gate = gate_summary(result)
    if gate:
        doc["gate"] = gate
    diff = diff_summary(result)  # --diff only: a plain check's document is unchanged
    if diff:
        doc["diff"] = diff
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
