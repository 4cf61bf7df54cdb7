"""The text reporter prints exactly what printing every line through rich printed.

`_reference_render` is the straightforward implementation (one `Console.print` per line); the
reporter must produce byte-identical output for every option combination, colour system and
kind of hostile text (markup-like brackets, backslashes, emoji codes, wide and zero-width
characters, tabs, control codes, long words).
"""

from __future__ import annotations

import io
import random
from collections import Counter
from decimal import Decimal
from itertools import groupby
from pathlib import Path

import pytest

from aiinfralint.config import Config
from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.project import Project
from aiinfralint.pipeline.engine import RunOptions, RunResult, run
from aiinfralint.report import text
from aiinfralint.report.base import ReportOptions, offending_line, totals
from aiinfralint.report.escape import printable

ROOT = Path(__file__).resolve().parents[1]

_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _money(v: object) -> str:
    return f"${v:,.2f}"


def _reference_render(result: RunResult, options: ReportOptions) -> str:
    from rich.console import Console
    from rich.markup import escape as markup_escape
    from rich.table import Table

    def escape(text: str) -> str:  # input text: printable, then markup-escaped
        return markup_escape(printable(text))

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
    findings = result.findings
    for path, group in groupby(findings, key=lambda f: f.span.path):
        con.print(f"[bold underline]{escape(path)}[/]")
        for f in group:
            sev = f.severity.value
            con.print(
                f"  [dim]{f.span.line}:{f.span.column}[/]  [{_SEV_STYLE[sev]}]{sev}[/]  "
                f"[bold]{f.code}[/] [dim]{f.slug}[/]  {escape(f.message)}"
            )
            if not options.quiet:
                src = offending_line(result, f)
                if src is not None and src.strip():
                    con.print(f"      [dim]{f.span.line:>4} |[/] {escape(src.rstrip()[:160])}")
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
                        con.print(f"      [magenta]impact:[/] {escape(', '.join(parts))}")
                    for why in imp.unpriced:
                        con.print(f"      [magenta]unpriced:[/] {escape(why)}")
                    for a in imp.assumptions:
                        con.print(f"      [dim]assumes: {escape(a)}[/]")
                if f.remediation:
                    con.print(f"      [green]fix:[/] {escape(f.remediation)}")
        con.print()

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
        con.print("[bold]skipped[/]")
        for p, r in result.skipped:
            con.print(f"  {escape(p)}: [dim]{escape(r)}[/]")
    elif result.skipped and not options.quiet:
        reasons = Counter(r.split(";")[0].split("(")[0].strip() for _, r in result.skipped)
        top = ", ".join(f"{n} {r}" for r, n in reasons.most_common(3))
        con.print(f"[dim]skipped {len(result.skipped)} files ({escape(top)}); --show-skipped lists them[/]")
    if not findings:
        con.print("[green]No findings.[/]")
    return buf.getvalue()


WIDTHS = (None, 40, 60, 100, 160)
FLAGS = ((False, False), (True, True), (False, True), (True, False))  # (quiet, show_skipped)
Combo = tuple[bool, int | None, bool, bool]  # color, width, quiet, show_skipped
# Every width with both colour modes, and every (quiet, show_skipped) pair with both colour
# modes, without rendering the whole product through the slow reference.
COMBOS: list[Combo] = [(c, width, *FLAGS[i % 4]) for c in (False, True) for i, width in enumerate(WIDTHS)]
# Twice that, for the small synthetic results.
MORE_COMBOS = COMBOS + [(c, width, *FLAGS[(i + 1) % 4]) for c in (False, True) for i, width in enumerate(WIDTHS)]


def _options(cwd: Path, combo: Combo) -> ReportOptions:
    color, width, quiet, show_skipped = combo
    return ReportOptions(cwd=cwd, color=color, width=width, quiet=quiet, show_skipped=show_skipped)


def _assert_same(result: RunResult, options: ReportOptions) -> None:
    expected = _reference_render(result, options)
    got = text.render(result, options)
    if got != expected:
        for n, (a, b) in enumerate(zip(expected.splitlines(True), got.splitlines(True))):
            assert b == a, f"line {n} differs"
    assert got == expected


@pytest.fixture(scope="module")
def trees() -> dict[str, RunResult]:
    return {
        name: run(RunOptions(paths=[name], config=Config(), cwd=ROOT, use_cache=False, jobs=1))
        for name in ("fixtures", "demo-platform")
    }


@pytest.mark.parametrize("tree", ["fixtures", "demo-platform"])
def test_trees_identical(trees: dict[str, RunResult], tree: str) -> None:
    result = trees[tree]
    assert result.findings
    for combo in COMBOS:
        _assert_same(result, _options(ROOT, combo))


@pytest.mark.parametrize(
    "env",
    [{"TERM": "dumb"}, {"COLORTERM": "truecolor"}, {"TERM": "xterm-256color"}, {"FORCE_COLOR": "1"}, {"NO_COLOR": "1"}],
)
def test_colour_environments_identical(
    trees: dict[str, RunResult], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for color in (False, True):
        _assert_same(trees["demo-platform"], ReportOptions(cwd=ROOT, color=color, width=60))


HOSTILE = [
    "set \\[tool.aiinfralint] peak-windows",
    "list [a, b] and [bold]not bold[/] and [/] and [italic]y[/italic] and [#ff0000]hex[/]",
    "trailing backslash \\",
    "double \\\\[bold] and \\[1 and C:\\path\\[x]",
    "emoji :smile: :thumbs_up: 08:00-20:00 http://host:8080/ :warning-emoji: :smile-text:",
    "wide 中文字符 ＦＵＬＬ カタカナ and 😀 emoji and e\u0301 combining and a\u200db zwj and ☺\ufe0f",
    "tab\there and a control \x1b[31m code \x07 bell",
    "new\nline in a message",
    "a" * 130 + " " + "b" * 45 + "   ",
    "word " * 40,
    "x" + " " * 150 + "y",
    "",
    "   leading spaces, then a ] and a [ alone",
    "×" * 70 + " nbsp\xa0here",
    ":[bold]:",
    "osc \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ and \x9b31m c1 and \u202eevil bidi and bad\udcff byte",
    "name\n::add-mask::x\r\n::error file=a.py::pwned :x: @everyone",
]


def _hostile_result(tmp_path: Path) -> RunResult:
    lines = [*HOSTILE, "k: v  " * 40]
    (tmp_path / "src.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    rng = random.Random(7)
    findings = []
    for n, msg in enumerate(HOSTILE):
        other = HOSTILE[(n + 3) % len(HOSTILE)]
        impact = Impact(
            usd_per_month=Decimal(n * 1234) if n % 3 else None,
            kgco2e_per_month=Decimal("0.5") * n if n % 2 else None,
            latency_ms=1500.0 * n if n % 4 == 1 else None,
            tokens=12345 * n if n % 5 == 2 else None,
            assumptions=(other, "plain assumption") if n % 2 else (),
            unpriced=(msg,) if n % 3 == 0 else (),
        )
        findings.append(
            Finding(
                code="AIL101" if n % 4 else "AIL[red]1",
                slug="some-slug" if n % 5 else "slug:smile:",
                severity=[Severity.ERROR, Severity.WARNING, Severity.INFO][n % 3],
                span=Span(
                    path="src.yaml" if n % 6 else f"odd [dir]/{other[:20]}",
                    line=rng.randint(1, len(lines) + 2),
                    column=n,
                ),
                message=msg,
                remediation=other,
                impact=None if n % 7 == 3 else impact,
            )
        )
    skipped = [(f"skip/{m[:30]}", m) for m in HOSTILE[:6]]
    return RunResult(findings=findings, suppressed=[], skipped=skipped, files=[], project=Project(), rules=[])


def test_hostile_text_identical(tmp_path: Path) -> None:
    result = _hostile_result(tmp_path)
    for combo in MORE_COMBOS:
        _assert_same(result, _options(tmp_path, combo))
    for width in (1, 2, 7, 23):
        _assert_same(result, ReportOptions(cwd=tmp_path, color=True, width=width))


def test_no_findings_identical(tmp_path: Path) -> None:
    result = RunResult(findings=[], suppressed=[], skipped=[], files=[], project=Project(), rules=[])
    for color in (False, True):
        _assert_same(result, ReportOptions(cwd=tmp_path, color=color))


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_.,:/()= "
_ODD = ["[", "]", "\\", ":", "@", "#", "/", "é", "×", "中", "😀", "\xa0", "\u0301", "\u200d", "\ufe0f"]
_ODD += ["€", "→", "…", "א", "\t", "\x1b", "\n"]
_WORDS = [":smile:", "[bold]", "[/]", "[red]x[/red]", "\\[", "[@click]", "a" * 50, "→" * 45, "08:00-20:00", "[tool.x]"]


def _random_text(rng: random.Random, odd: float) -> str:
    words = []
    for _ in range(rng.randint(0, 25)):
        if rng.random() < 0.1:
            words.append(rng.choice(_WORDS))
        else:
            size = rng.randint(1, 12)
            words.append("".join(rng.choice(_ODD if rng.random() < odd else _ALPHABET) for _ in range(size)))
        words.append(" " * rng.choice([0, 1, 1, 1, 2, 5]))
    return "".join(words)


STYLES = [*_SEV_STYLE.values(), "bold underline", "magenta"]


def test_random_lines_identical() -> None:
    from rich.console import Console
    from rich.markup import escape

    rng = random.Random(20240601)
    fast = 0
    for n in range(800):
        odd = rng.choice([0.0, 0.005, 0.05])
        msg = _random_text(rng, odd)
        markup = rng.choice(
            [
                f"  [dim]{n}:{n % 7}[/]  [{rng.choice(STYLES)}]info[/]  [bold]AIL1[/] [dim]x[/]  {escape(msg)}",
                f"      [dim]{n:>4} |[/] {escape(msg.rstrip()[:160])}",
                f"      [dim]assumes: {escape(msg)}[/]",
                f"  {escape(msg)}: [dim]{escape(msg[::-1])}[/]",
                msg,  # unescaped: arbitrary markup
            ]
        )
        color = rng.random() < 0.5
        emoji = rng.random() < 0.5  # reports print with emoji off; the writer follows the console
        width = rng.choice([1, 3, 10, 20, 40, 60, 80, 100, 160])
        outs: list[object] = []
        for writer in (False, True):
            buf = io.StringIO()
            con = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False, emoji=emoji)
            try:
                if writer:
                    w = text._LineWriter(con, buf)
                    if w._print_simple(markup):
                        fast += 1
                    else:
                        w.print(markup)
                else:
                    con.print(markup)
            except Exception as exc:  # the same markup errors either way
                outs.append(type(exc))
            else:
                outs.append(buf.getvalue())
        assert outs[1] == outs[0], (markup, width, color)
    assert fast > 150  # the fast path was exercised, not just the fallback


def test_divide_line_matches_rich() -> None:
    wrap = pytest.importorskip("rich._wrap")
    rng = random.Random(5)
    for _ in range(3000):
        line = "".join(rng.choice(["a", "bb", " ", "  ", "x" * 12, "-", ".,"]) for _ in range(rng.randint(0, 40)))
        width = rng.randint(1, 30)
        assert text._divide_line(line, width) == wrap.divide_line(line, width, fold=True), (line, width)
