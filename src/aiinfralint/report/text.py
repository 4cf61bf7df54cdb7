"""Human output: findings grouped by file with the offending line, then a summary table.

Text from the scanned files (paths, messages, source lines, assumptions, skip reasons) is
made printable (``escape.printable``: no control characters, so no ANSI/OSC sequence or
extra line reaches the terminal) and markup-escaped, and the console has emoji codes off,
so input text prints exactly as written.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from itertools import groupby, pairwise
from typing import TYPE_CHECKING

from aiinfralint.report.base import ReportOptions, offending_line, totals
from aiinfralint.report.escape import printable

if TYPE_CHECKING:
    from rich.console import Console

    from aiinfralint.pipeline.engine import RunResult

_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

# rich.markup.RE_TAGS as a split pattern: odd items are tags (or escaped tags), even ones text.
_TAG = re.compile(r"(\\*\[[a-z#/@][^\[\]]*\])")
_STYLE_NAME = re.compile(r"[a-z]+(?: [a-z]+)*")
# Anything rich's emoji replacement (`:name:`) could possibly act on.
_EMOJI_CODE = re.compile(r":[^\s:]*:")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"\s*\S+\s*")  # rich's notion of a word, trailing space included
_TRAILING_SPACE = re.compile(r"\s+$")


def _single_cell(text: str) -> bool:
    """True if rich measures each character of `text` as exactly one cell, so cells == len()."""
    if not text.isprintable():  # control codes, tabs, line breaks, zero-width joiners
        return False
    if text.isascii():
        return True
    from rich.cells import get_character_cell_size

    return "\ufe0f" not in text and all(get_character_cell_size(c) == 1 for c in set(_NON_ASCII.findall(text)))


def _divide_line(text: str, width: int) -> list[int]:
    """`rich._wrap.divide_line(text, width, fold=True)` for text of one-cell characters."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        word_length = len(m.group().rstrip())
        if width - offset >= word_length:
            offset += end - start
        elif word_length > width:
            # Folded into pieces of `width` characters, each starting a line.
            breaks.extend(range(start or width, end, width))
            offset = (end - start) % width or width
        elif offset and start:
            breaks.append(start)
            offset = end - start
    return breaks


class _LineWriter:
    """Prints markup lines exactly as `Console.print` would, without rich's per-line cost.

    Printing one line through rich costs about 0.1 ms (markup parsing, word wrapping, cropping,
    segment rendering), which dominates a run with thousands of findings. For a line of simple
    markup (see `_runs`) whose text rich measures as one cell per character and which holds no
    emoji code, rich's output is: the text word-wrapped as `rich._wrap.divide_line` does, each
    wrapped line stripped of trailing whitespace beyond the width and cropped to it, and each
    styled run wrapped in its style's ANSI codes. This class produces that directly, taking the
    ANSI codes from the console itself so colour system, `no_color` and environment settings
    behave as before. Every other line goes through rich.
    """

    def __init__(self, con: Console, buf: io.StringIO) -> None:
        self._con = con
        self._buf = buf
        self._width = con.width
        # Jupyter consoles display instead of writing to the file.
        self._fast = not con.is_jupyter
        self._emoji = bool(getattr(con, "_emoji", True))
        self._styles: dict[str, tuple[str, str]] = {}

    def _style(self, name: str) -> tuple[str, str]:
        codes = self._styles.get(name)
        if codes is None:
            with self._con.capture() as cap:
                self._con.print(f"[{name}]x[/]", end="")
            before, _, after = cap.get().rpartition("x")
            codes = self._styles[name] = (before, after)
        return codes

    def print(self, markup: str = "") -> None:
        if self._fast and self._print_simple(markup):
            return
        if markup:
            self._con.print(markup)
        else:
            self._con.print()

    def _print_simple(self, markup: str) -> bool:
        """Write `markup` if it qualifies (see the class docstring); False, writing nothing, if not."""
        # Checked on the whole markup: the printed text is a subset of its characters.
        if not _single_cell(markup):
            return False
        emoji = self._emoji and ":" in markup and _EMOJI_CODE.search(markup) is not None
        runs = self._runs(markup, emoji)
        if runs is None:
            return False
        width = self._width
        plain = "".join([text for _, text in runs])
        size = len(plain)
        if size <= width:
            out = [text if style is None else self._styled(style, text) for style, text in runs]
            out.append("\n")
        else:
            # What `rich.text.Text.wrap` does when every character is one cell wide.
            out = []
            bounds = [0, *_divide_line(plain, width), size]
            for start, end in pairwise(bounds):
                if end - start > width:
                    space = _TRAILING_SPACE.search(plain, start, end)
                    if space is not None:
                        end -= min(space.end() - space.start(), end - start - width)
                    end = min(end, start + width)
                self._slice(runs, start, end, out)
                out.append("\n")
        self._buf.write("".join(out))
        return True

    @staticmethod
    def _runs(markup: str, emoji: bool) -> list[tuple[str | None, str]] | None:
        """The text of `markup` as (style, text) runs, parsed as `rich.markup.render` does.

        None for markup this does not handle: anything but un-nested `[style]...[/]` tags,
        backslashes before a tag other than one escaping it, or an emoji code rich would replace.
        """
        if emoji:
            from rich.emoji import Emoji
        runs: list[tuple[str | None, str]] = []
        style: str | None = None
        current = ""
        parts = _TAG.split(markup)
        for i in range(0, len(parts), 2):
            if i:
                tag = parts[i - 1]
                if tag[0] == "\\":
                    if tag[1] != "[":  # several backslashes: literal ones before the tag
                        return None
                    literal = tag[1:]  # an escaped tag is literal text
                    if emoji and ":" in literal and Emoji.replace(literal) != literal:
                        return None
                    current += literal
                elif tag == "[/]":
                    if style is None:
                        return None
                    runs.append((style, current))
                    style, current = None, ""
                elif style is None and _STYLE_NAME.fullmatch(tag, 1, len(tag) - 1):
                    if current:
                        runs.append((None, current))
                    style, current = tag[1:-1], ""
                else:
                    return None
            text = parts[i]
            if "\\" in text:
                text = text.replace("\\[", "[")
            if emoji and ":" in text and Emoji.replace(text) != text:
                return None
            current += text
        if style is not None:
            return None
        if current:
            runs.append((None, current))
        return runs

    def _styled(self, style: str, text: str) -> str:
        if not text:  # rich emits no segment for an empty span
            return ""
        before, after = self._style(style)
        return f"{before}{text}{after}"

    def _slice(self, runs: list[tuple[str | None, str]], start: int, end: int, out: list[str]) -> None:
        """Append characters start:end of the runs, styled."""
        offset = 0
        for style, text in runs:
            run_end = offset + len(text)
            if run_end > start and offset < end:
                piece = text[max(start - offset, 0) : end - offset]
                out.append(piece if style is None else self._styled(style, piece))
            offset = run_end
            if offset >= end:
                break


def _money(v: object) -> str:
    return f"${v:,.2f}"


def render(result: RunResult, options: ReportOptions) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    con = Console(
        file=buf,
        force_terminal=options.color,
        no_color=not options.color,
        width=options.width or 100,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )
    out = _LineWriter(con, buf)
    findings = result.findings
    for path, group in groupby(findings, key=lambda f: f.span.path):
        out.print(f"[bold underline]{escape(printable(path))}[/]")
        for f in group:
            sev = f.severity.value
            out.print(
                f"  [dim]{f.span.line}:{f.span.column}[/]  [{_SEV_STYLE[sev]}]{sev}[/]  "
                f"[bold]{f.code}[/] [dim]{f.slug}[/]  {escape(printable(f.message))}"
            )
            if not options.quiet:
                src = offending_line(result, f)
                if src is not None and src.strip():
                    out.print(f"      [dim]{f.span.line:>4} |[/] {escape(printable(src.rstrip()[:160]))}")
                imp = f.impact
                if imp is not None:
                    parts = []
                    if imp.usd_per_month is not None:
                        parts.append(f"{_money(imp.usd_per_month)}/month")
                    if imp.kgco2e_per_month is not None:
                        parts.append(f"{imp.kgco2e_per_month:,.1f} kgCO2e/month")
                    if imp.latency_ms is not None:
                        parts.append(f"+{imp.latency_ms / 1000:,.1f} s latency")
                    if imp.tokens is not None:
                        parts.append(f"{imp.tokens:,} tokens")
                    if parts:
                        out.print(f"      [magenta]impact:[/] {escape(', '.join(parts))}")
                    for why in imp.unpriced:
                        out.print(f"      [magenta]unpriced:[/] {escape(printable(why))}")
                    for a in imp.assumptions:
                        out.print(f"      [dim]assumes: {escape(printable(a))}[/]")
                if f.remediation:
                    out.print(f"      [green]fix:[/] {escape(printable(f.remediation))}")
        out.print()

    t = totals(findings)
    counts = Counter(f.severity.value for f in findings)
    table = Table(title="aiinfralint summary", show_header=True, header_style="bold")
    table.add_column("", style="bold")
    table.add_column("value", justify="right")
    table.add_row("files checked", f"{result.files_checked} of {len(result.files)} read")
    table.add_row("objects", str(len(result.project)))
    table.add_row("errors / warnings / info", f"{counts['error']} / {counts['warning']} / {counts['info']}")
    if result.suppressed:
        table.add_row("suppressed", str(len(result.suppressed)))
    table.add_row("skipped files", str(len(result.skipped)))
    if t.priced or t.unpriced:
        table.add_row("estimated cost", f"{_money(t.usd_per_month)}/month ({t.priced} priced, {t.unpriced} unpriced)")
    if t.kgco2e_per_month:
        table.add_row("estimated carbon", f"{t.kgco2e_per_month:,.1f} kgCO2e/month")
    if t.gpu_hours_per_month:
        table.add_row("GPU-hours at stake", f"{t.gpu_hours_per_month:,.0f} h/month")
    if t.latency_ms_max:
        table.add_row("worst added latency", f"{t.latency_ms_max / 1000:,.1f} s")
    con.print(table)
    if options.show_skipped and result.skipped:
        out.print("[bold]skipped[/]")
        for p, r in result.skipped:
            out.print(f"  {escape(printable(p))}: [dim]{escape(printable(r))}[/]")
    elif result.skipped and not options.quiet:
        reasons = Counter(r.split(";")[0].split("(")[0].strip() for _, r in result.skipped)
        top = ", ".join(f"{n} {r}" for r, n in reasons.most_common(3))
        out.print(f"[dim]skipped {len(result.skipped)} files ({escape(printable(top))}); --show-skipped lists them[/]")
    if not findings:
        out.print("[green]No findings.[/]")
    return buf.getvalue()
