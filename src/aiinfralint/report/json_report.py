"""JSON output (SPEC §6): findings, skipped files and a summary with totals.

Each finding carries ``fix``: null, or the mechanical repair ``--fix`` can make
(``{"description", "safety": "safe"|"unsafe", "path", "edits": [{"start": {"line", "column"},
"end": {"line", "column"}, "text"}]}``, lines and columns 1-based, columns in characters, the
end exclusive). ``summary.fixes`` counts the findings a safe and an unsafe fix would repair and
the fixes this run applied.

Input text is data here, escaped by JSON itself; an undecodable byte of a file name is
written ``\\xNN`` so the document is valid UTF-8.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiinfralint.report.base import ReportOptions, finding_dict, summary_dict
from aiinfralint.report.escape import json_text
from aiinfralint.report.gate import diff_summary, gate_summary

if TYPE_CHECKING:
    from aiinfralint.model.finding import Finding, Fix
    from aiinfralint.pipeline.engine import RunResult


def fix_dict(fix: Fix | None) -> dict[str, Any] | None:
    """A finding's fix as the JSON report writes it (None: no mechanical repair)."""
    if fix is None:
        return None
    return {
        "description": fix.description,
        "safety": fix.safety,
        "path": fix.path,
        "edits": [
            {
                "start": {"line": e.start_line, "column": e.start_column},
                "end": {"line": e.end_line, "column": e.end_column},
                "text": e.text,
            }
            for e in fix.edits
        ],
    }


def fix_counts(result: RunResult) -> dict[str, int]:
    """Findings a safe fix and an unsafe fix would repair, and the fixes this run applied."""
    safeties = [f.fix.safety for f in result.findings if f.fix is not None]
    return {
        "safe": safeties.count("safe"),
        "unsafe": safeties.count("unsafe"),
        "applied": result.fixes_applied,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {**finding_dict(f), "fix": fix_dict(f.fix)}


def render(result: RunResult, options: ReportOptions) -> str:
    doc = {
        "version": options.version,
        "findings": [_finding(f) for f in result.findings],
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        "summary": {**summary_dict(result), "fixes": fix_counts(result)},
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
