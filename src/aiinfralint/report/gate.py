"""The gate's outcome as text and data, for the text, github, markdown, json and SARIF reports.

A gate result exists only after `diffmode` ran, which imports `aiinfralint.pipeline.gate_types`; a
plain check imports neither, so `gate_of` looks the type up by module presence.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiinfralint.report.base import finding_dict
from aiinfralint.report.escape import md_code, md_text, printable

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.pipeline.gate_types import DiffReport, GateResult, SpendChange, Stakes

# what the diff's $ and kgCO2e figures are, for every format
SPEND_BASIS = (
    "spend: the cost inventories of base and head (the figures `aiinfralint cost` shows), per changed GPU "
    "workload, prompt and AI feature and in total; findings: what each puts at stake, counted once per object"
)


def gate_of(result: RunResult) -> GateResult | None:
    """The result as a gate result, or None on a plain check."""
    types = sys.modules.get("aiinfralint.pipeline.gate_types")  # loaded only by a gate run
    return result if types is not None and isinstance(result, types.GateResult) else None


def gate_switched_off(result: RunResult) -> bool:
    """True if a --diff run's configuration change switches checks off (and the gate counts that)."""
    gate = gate_of(result)
    if gate is None or gate.diff is None:
        return False
    return gate.diff.fail_on != "never" and bool(gate.diff.switched_off)


def config_change_lines(d: DiffReport) -> list[str]:
    """The configuration changes as plain lines (the text, github and markdown reports use them).

    Each line is printable (no control characters); Markdown escapes them further."""
    if not d.config_changes:
        return []
    lines = [f"configuration changed since {d.base_ref}:"]
    lines += [printable(f"  {c}") for c in d.config_changes]
    if d.switched_off:
        if d.fail_on == "never":
            lines.append("  the change switches checks off; the gate does not fail on it (fail-on never)")
        else:
            lines.append("  the gate fails: this change switches checks off (review the configuration change)")
    return lines


# --- what reporters show ------------------------------------------------------------------


def _money(d: Decimal) -> float:
    return float(d.quantize(Decimal("0.01")))


def gate_summary(result: RunResult) -> dict[str, Any]:
    """The baseline's outcome as plain data (JSON `gate`, SARIF run property `gate`)."""
    gate = gate_of(result)
    if gate is None or not (gate.baseline_path or gate.baseline_written):
        return {}
    return {
        "baseline": {
            "file": gate.baseline_path or gate.baseline_written,
            "baselined": len(gate.baselined),
            "stale_entries": gate.baseline_stale,
            "written": gate.baseline_written is not None,
        }
    }


def _kg(d: Decimal) -> float:
    return float(d.quantize(Decimal("0.001")))


def diff_summary(result: RunResult) -> dict[str, Any]:
    """What `--diff` found, as plain data (JSON `diff`, SARIF run property `diff`).

    The same facts as the text and Markdown summaries: the findings the change adds,
    fixes and leaves, the $/month, kgCO2e/month and prompt-token deltas, and the
    configuration change. Empty without --diff.
    """
    gate = gate_of(result)
    d = gate.diff if gate is not None else None
    if gate is None or d is None:
        return {}
    return {
        "base_ref": d.base_ref,
        "base_commit": d.base_commit or None,
        "counts": {"added": len(d.added), "fixed": len(d.fixed), "unchanged": d.unchanged},
        "added": [finding_dict(f) for f in d.added],
        "fixed": [finding_dict(f) for f in d.fixed],
        "unchanged": [finding_dict(f) for f in d.unchanged_findings],
        "spend_basis": SPEND_BASIS,
        "usd_per_month": {
            "base": _money(d.delta.usd_base),
            "head": _money(d.delta.usd_head),
            "delta": _money(d.delta.usd_per_month),
        },
        "kgco2e_per_month": {
            "base": _kg(d.delta.kgco2e_base),
            "head": _kg(d.delta.kgco2e_head),
            "delta": _kg(d.delta.kgco2e_per_month),
        },
        "spend": [_change_dict(c) for c in d.delta.items],
        "stakes": {"added": _stakes_dict(d.delta.added_stakes), "fixed": _stakes_dict(d.delta.fixed_stakes)},
        "prompt_tokens_delta": d.delta.prompt_tokens,
        "prompt_prefix_tokens": [
            {"path": p.path, "prompt": p.name, "base": p.base, "head": p.head, "delta": p.delta}
            for p in d.delta.prompts
        ],
        "config_changes": [
            {"key": c.key, "change": c.change, "effect": c.effect, "switches_off": c.switches_off}
            for c in d.config_changes
        ],
        "config_switches_off": gate_switched_off(result),
        "fail_on": d.fail_on,
    }


def _opt(d: Decimal | None, places: str) -> float | None:
    return None if d is None else float(d.quantize(Decimal(places)))


def _change_dict(c: SpendChange) -> dict[str, Any]:
    return {
        "category": c.category,
        "path": c.path,
        "object": c.name,
        "status": c.status,
        "basis": {"base": c.basis_base, "head": c.basis_head},
        "usd_per_month": {
            "base": _opt(c.usd_base, "0.01"),
            "head": _opt(c.usd_head, "0.01"),
            "delta": _money(c.usd_per_month),
        },
        "kgco2e_per_month": {
            "base": _opt(c.kgco2e_base, "0.001"),
            "head": _opt(c.kgco2e_head, "0.001"),
            "delta": _kg(c.kgco2e_per_month),
        },
    }


def _stakes_dict(s: Stakes) -> dict[str, Any]:
    return {
        "usd_per_month": _money(s.usd_per_month),
        "kgco2e_per_month": _kg(s.kgco2e_per_month),
        "findings_priced": s.priced,
        "findings_unpriced": s.unpriced,
    }


def _usd_or(d: Decimal | None, absent: str) -> str:
    return absent if d is None else f"${d:,.2f}"


def _kg_or(d: Decimal | None, absent: str) -> str:
    return absent if d is None else f"{d:,.1f}"


def spend_lines(d: DiffReport) -> list[str]:
    """The spend and carbon delta and the findings' stakes as plain lines (text and github)."""
    delta = d.delta
    lines = [
        f"  spend (inventory): ${delta.usd_base:,.2f} → ${delta.usd_head:,.2f} "
        f"({signed_usd(delta.usd_per_month)}/month), {delta.kgco2e_base:,.1f} → "
        f"{delta.kgco2e_head:,.1f} kgCO2e ({signed(delta.kgco2e_per_month)} kgCO2e/month)"
    ]
    for c in delta.items:
        absent = "unpriced" if c.status == "changed" else "none"
        lines.append(
            f"    {c.status} {c.name} ({c.path}): {_usd_or(c.usd_base, absent)} → {_usd_or(c.usd_head, absent)}/month "
            f"({signed_usd(c.usd_per_month)}), {_kg_or(c.kgco2e_base, absent)} → {_kg_or(c.kgco2e_head, absent)} "
            f"kgCO2e/month ({signed(c.kgco2e_per_month)})"
        )
    for what, st in (("new", delta.added_stakes), ("fixed", delta.fixed_stakes)):
        if st.priced or st.kgco2e_per_month:
            lines.append(
                f"  at stake in {what} findings (once per object): ${st.usd_per_month:,.2f}/month, "
                f"{st.kgco2e_per_month.quantize(Decimal('0.1')):,} kgCO2e/month"
            )
    return lines


def spend_markdown(d: DiffReport) -> list[str]:
    """The spend and carbon delta per changed object and the findings' stakes, as Markdown."""
    delta = d.delta
    out: list[str] = []
    if delta.items:
        out += [
            "| object | file | $/month (base) | (this change) | delta | kgCO2e/month (base) | (this change) | delta |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for c in delta.items:
            absent = "unpriced" if c.status == "changed" else c.status
            out.append(
                f"| {md_text(c.name)} | {md_code(c.path)} | {_usd_or(c.usd_base, absent)} | "
                f"{_usd_or(c.usd_head, absent)} | **{signed_usd(c.usd_per_month)}** | {_kg_or(c.kgco2e_base, absent)} | "
                f"{_kg_or(c.kgco2e_head, absent)} | **{signed(c.kgco2e_per_month)}** |"
            )
        out.append("")
    for what, st in (("new", delta.added_stakes), ("fixed", delta.fixed_stakes)):
        if st.priced or st.kgco2e_per_month:
            out.append(
                f"At stake in {what} findings (once per object): ${st.usd_per_month:,.2f}/month, "
                f"{st.kgco2e_per_month.quantize(Decimal('0.1')):,} kgCO2e/month.  "
            )
    if out and out[-1]:
        out.append("")
    return [*out, SPEND_BASIS[0].upper() + SPEND_BASIS[1:] + ".", ""]  # our own text: no escaping


def signed_usd(d: Decimal) -> str:
    sign = "+" if d > 0 else "-" if d < 0 else "±"
    return f"{sign}${abs(d):,.2f}"


def signed(d: Decimal | int, places: str = "0.1") -> str:
    sign = "+" if d > 0 else "-" if d < 0 else "±"
    if isinstance(d, int):
        return f"{sign}{abs(d):,}"
    return f"{sign}{abs(d.quantize(Decimal(places))):,}"


def _stake(f: Any) -> str:
    imp = f.impact
    if imp is None or (imp.usd_per_month is None and imp.kgco2e_per_month is None):
        return ""
    parts = []
    if imp.usd_per_month is not None:
        parts.append(f"${imp.usd_per_month:,.2f}/month")
    if imp.kgco2e_per_month is not None:
        parts.append(f"{imp.kgco2e_per_month.quantize(Decimal('0.1')):,} kgCO2e/month")
    return f" (was at stake: {', '.join(parts)})"


def text_summary(result: RunResult) -> str:
    """A few plain lines about the gate, appended to the text report."""
    gate = gate_of(result)
    if gate is None:
        return ""
    result = gate
    lines: list[str] = []
    d = result.diff
    if d is not None:
        lines.append(
            f"diff against {d.base_ref} ({d.base_commit[:12] or 'no commits yet'}): {len(d.added)} new, {len(d.fixed)} fixed, "
            f"{d.unchanged} unchanged finding(s)"
        )
        lines += spend_lines(d)
        lines += config_change_lines(d)
        for p in d.delta.prompts:
            lines.append(
                f"  prompt {p.name} ({p.path}): static prefix {p.base or 0} -> {p.head or 0} tokens ({signed(p.delta)})"
            )
        for f in d.fixed:
            lines.append(f"  fixed: {f.code} {f.span.path}: {f.message}{_stake(f)}")
    if result.baseline_written:
        lines.append(f"wrote {len(result.baselined)} finding(s) to baseline {result.baseline_written}")
    elif result.baseline_path:
        line = f"{len(result.baselined)} finding(s) hidden by baseline {result.baseline_path}"
        if result.baseline_stale:
            line += f"; {result.baseline_stale} baseline entr{'y' if result.baseline_stale == 1 else 'ies'} matched nothing (fixed? rewrite the baseline)"
        lines.append(line)
    # names, paths, messages and config values come from the checked tree: one line each,
    # with no control character or escape sequence of theirs
    return "".join(printable(line) + "\n" for line in lines)
