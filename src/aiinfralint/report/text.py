"""Human output: one block per finding, then the totals and the defaults the estimates used.

Each finding reads like a compiler diagnostic::

    path:line:col: CODE [severity] message
      55 |   metrics:
         |   ^
        ≈ $844/month · 2,013 tokens · 31 kgCO2e/month
        help: what to do instead

``--show-assumptions`` adds the assumptions, sources and reasons a figure is missing under
the impact line and the whole remediation where the default shows its first sentence. The lines are written here as plain text, styled with SGR codes by
`ansi.Styler`. Text from the scanned files (paths,
messages, source lines, assumptions, skip reasons) goes through ``escape.printable`` before
it is wrapped or styled, so no control character, ANSI/OSC sequence or extra line from the
input reaches the terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from aiinfralint.report.ansi import Styler, cells, cut, wrap
from aiinfralint.report.base import ReportOptions, totals
from aiinfralint.report.escape import printable

if TYPE_CHECKING:
    from aiinfralint.model.finding import DefaultUsed, Finding, Impact
    from aiinfralint.pipeline.engine import RunResult

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
INDENT = "    "
DEFAULT_WIDTH = 100
_FRAME_MAX = 200  # characters of a source line quoted at most, whatever the width


def money(v: Decimal | float) -> str:
    return f"${v:,.0f}" if v >= 100 else f"${v:,.2f}"


def quantity(v: Decimal | float) -> str:
    if v >= 10:
        return f"{v:,.0f}"
    return f"{v:.1f}" if v >= Decimal("0.1") else f"{v:.2g}"


def impact_figures(imp: Impact) -> str:
    """``$844/month · 2,013 tokens · 31 kgCO2e/month · +60.0 s latency``: the figures present."""
    parts = []
    if imp.usd_per_month is not None:
        parts.append(f"{money(imp.usd_per_month)}/month")
    if imp.tokens is not None:
        parts.append(f"{imp.tokens:,} tokens")
    if imp.kgco2e_per_month is not None:
        parts.append(f"{quantity(imp.kgco2e_per_month)} kgCO2e/month")
    if imp.latency_ms is not None:
        parts.append(f"+{imp.latency_ms / 1000:,.1f} s latency")
    return " · ".join(parts)


_SENTENCE_END = re.compile(r"(?<=[a-z0-9)`\"'][.!?])\s+(?=[A-Z`(])")


def first_sentence(text: str) -> str:
    """The remediation's first sentence (the whole text with ``--show-assumptions``); an ellipsis marks the cut."""
    parts = _SENTENCE_END.split(text.strip(), maxsplit=1)
    return parts[0] + " …" if len(parts) > 1 and len(parts[0]) >= 20 else text


def _blank(prefix: str) -> str:
    """Spaces (tabs kept) as wide as `prefix`, to put a marker under the character after it."""
    if prefix.isascii():
        return "".join(c if c == "\t" else " " for c in prefix)
    return "".join("\t" if c == "\t" else " " * cells(c) for c in prefix)


class _Writer:
    """Builds the lines of one report."""

    def __init__(self, result: RunResult, options: ReportOptions) -> None:
        self.result = result
        self.options = options
        self.s = Styler(options.color)
        self.width = max(options.width or DEFAULT_WIDTH, 40)
        self.lines: list[str] = []

    def finding(self, f: Finding) -> None:
        s = self.s
        out = self.lines
        sev = f.severity.value
        style = SEVERITY_STYLE[sev]
        loc = f"{printable(f.span.path)}:{f.span.line}:{f.span.column}:"
        wrapped = wrap(printable(f.message), self.width, INDENT, cells(loc) + len(f.code) + len(sev) + 5)
        first = wrapped[0]
        wrapped[0] = f"{s(loc, 'bold')} {s(f.code, style)} {s(f'[{sev}]', style)}{' ' if first else ''}{first}"
        out.extend(wrapped)
        self.frame(f, style)
        imp = f.impact
        if imp is not None:
            figures = impact_figures(imp)
            if figures:
                out.append(f"{INDENT}{s('≈ ' + figures, 'magenta')}")
            if self.options.show_assumptions:
                self.notes("unpriced", imp.unpriced, "magenta")
                self.notes("assumes", imp.assumptions, "dim")
                self.notes("source", imp.sources, "dim")
        if f.remediation:
            hint = f.remediation if self.options.show_assumptions else first_sentence(f.remediation)
            self.labelled("help", printable(hint), "green")

    def frame(self, f: Finding, style: str) -> None:
        src = self.result.source_line(f)
        if src is None or not src.strip():
            return
        num = str(f.span.line)
        room = min(self.width - len(num) - 5, _FRAME_MAX)
        text = printable(src.rstrip())
        if cells(text) > room:
            text = cut(text, room - 1)[0] + "…"
        s = self.s
        self.lines.append(f"  {s(num + ' |', 'dim')} {text}")
        col = f.span.column
        if col >= 1:
            pad = _blank(printable(src[: col - 1]))
            if len(pad) < len(text) or (col == 1 and text):
                self.lines.append(f"  {' ' * len(num)} {s('|', 'dim')} {pad}{s('^', style)}")

    def labelled(self, label: str, text: str, style: str) -> None:
        wrapped = wrap(f"{label}: {text}", self.width - len(INDENT), " " * (len(label) + 2))
        wrapped[0] = f"{self.s(label + ':', style)}{wrapped[0][len(label) + 1 :]}"
        self.lines.extend(INDENT + line for line in wrapped)

    def notes(self, label: str, items: tuple[object, ...], style: str) -> None:
        for item in items:
            self.labelled(label, printable(str(item)), style)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 or word == "info" else f"{n:,} {word}s"


def totals_lines(result: RunResult, s: Styler) -> list[str]:
    """How many findings of each severity in how many files, and what they add up to."""
    findings = result.findings
    counts = Counter(f.severity.value for f in findings)
    by_sev = ", ".join(s(_plural(counts[k], k), SEVERITY_STYLE[k]) for k in ("error", "warning", "info") if counts[k])
    scope = f"{result.files_checked:,} of {len(result.files):,} files checked, {len(result.project):,} objects"
    if result.suppressed:
        scope += f", {len(result.suppressed):,} suppressed"
    if result.skipped:
        scope += f", {len(result.skipped):,} skipped"
    found = s(f"Found {_plural(len(findings), 'finding')}", "bold")
    out = [f"{found}: {by_sev} ({scope})." if findings else f"{s('No findings', 'green')} ({scope})."]
    t = totals(findings)
    figures = []
    if t.priced or t.unpriced:
        # findings about one object are counted once (model.totals: the largest figure per object)
        shared = f", {t.overlapping} on an object already counted" if t.overlapping else ""
        figures.append(f"{money(t.usd_per_month)}/month ({t.priced} priced, {t.unpriced} unpriced{shared})")
    if t.kgco2e_per_month:
        figures.append(f"{quantity(t.kgco2e_per_month)} kgCO2e/month")
    if t.gpu_hours_per_month:
        figures.append(f"{t.gpu_hours_per_month:,.0f} GPU-hours/month")
    if t.latency_ms_max:
        figures.append(f"worst added latency {t.latency_ms_max / 1000:,.1f} s")
    if figures:
        out.append(s("≈ " + " · ".join(figures), "magenta"))
    return out


def defaults_lines(defaults: tuple[DefaultUsed, ...], s: Styler) -> list[str]:
    """The defaults the estimates relied on, once each, and how to change them."""
    if not defaults:
        return []
    seen: dict[str, DefaultUsed] = {}
    for d in defaults:
        seen.setdefault(d.key, d)
    out = [s("Defaults used", "bold")]
    keys = max(len(printable(key)) for key in seen)
    settings = [f"{printable(d.key).ljust(keys)} = {printable(d.value)}" for d in seen.values()]
    width = max(len(setting) for setting in settings)
    for d, setting in zip(seen.values(), settings, strict=True):
        out.append(f"  {setting.ljust(width)}  {s('(' + printable(d.what) + ')', 'dim')}")
    out.append(s(_how_to_change(next(iter(seen))), "dim"))
    return out


def _how_to_change(key: str) -> str:
    """Where a key such as ``traffic.calls-per-day`` is written in each configuration file."""
    section, _, name = printable(key).rpartition(".")
    if not section:
        return f"Change one under [tool.aiinfralint] in pyproject.toml (top level of .aiinfralint.toml): {name} = …"
    return (
        f"Change one in pyproject.toml, e.g. [tool.aiinfralint.{section}] {name} = … "
        f"(in .aiinfralint.toml: [{section}])"
    )


def _fix_lines(result: RunResult) -> list[str]:
    """How many findings --fix repaired, or could repair (safe fixes; unsafe ones need --unsafe-fixes)."""
    more = result.unsafe_fixes_available
    if result.fixes_applied:
        return [f"{result.fixes_applied} fixed" + (f" ({more} more with --unsafe-fixes)" if more else "")]
    safe = sum(1 for f in result.findings if f.fix is not None and f.fix.safety == "safe")
    unsafe = sum(1 for f in result.findings if f.fix is not None and f.fix.safety == "unsafe")
    if safe:
        return [f"{safe} fixable with --fix" + (f" ({unsafe} more with --unsafe-fixes)" if unsafe else "")]
    return [f"{unsafe} fixable with --fix --unsafe-fixes"] if unsafe else []


def _tail(w: _Writer) -> str:
    """The totals, skipped files and the defaults the estimates used."""
    result, options, s = w.result, w.options, w.s
    lines = totals_lines(result, s)
    lines.extend(s(line, "dim") for line in _fix_lines(result))
    if options.show_skipped and result.skipped:
        lines.append(s("skipped", "bold"))
        lines.extend(f"  {printable(p)}: {s(printable(r), 'dim')}" for p, r in result.skipped)
    elif result.skipped:
        reasons = Counter(r.split(";")[0].split("(")[0].strip() for _, r in result.skipped)
        top = ", ".join(f"{n} {r}" for r, n in reasons.most_common(3))
        lines.append(s(f"skipped {len(result.skipped)} files ({printable(top)}); --show-skipped lists them", "dim"))
    defaults = defaults_lines(result.defaults_used, s)
    if defaults:
        lines.extend(["", *defaults])
    return "\n".join(lines) + "\n"


def render(result: RunResult, options: ReportOptions) -> str:
    w = _Writer(result, options)
    for f in result.findings:
        w.finding(f)
        w.lines.append("")
    body = "\n".join(w.lines) + "\n" if w.lines else ""
    if options.quiet:
        return body
    return body + _tail(w)
