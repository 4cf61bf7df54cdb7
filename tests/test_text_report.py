"""The text report: one block per finding, totals and defaults at the end, colour only when asked."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.model.base import Span
from aiinfralint.model.finding import DefaultUsed, Finding, Impact, Severity
from aiinfralint.model.project import Project
from aiinfralint.pipeline.engine import RunOptions, RunResult, run
from aiinfralint.report import text
from aiinfralint.report.ansi import Styler, color_enabled, wrap
from aiinfralint.report.base import ReportOptions

ROOT = Path(__file__).resolve().parents[1]
SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def demo() -> RunResult:
    return run(RunOptions(paths=["demo-platform"], cwd=ROOT, use_cache=False, jobs=1))


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def _check(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", "demo-platform", "--fail-on", "never", "--no-cache", *args])
    return code, capsys.readouterr().out


def test_each_finding_reads_header_frame_impact_help(demo):
    out = text.render(demo, ReportOptions(cwd=ROOT))
    block = out.split("demo-platform/k8s/nightly-finetune.yaml:8:3: AIL202 [warning] CronJob", 1)[1]
    block = block.split("\n\n", 1)[0].splitlines()
    frame = block.index('  8 |   schedule: "0 2 * * *"')
    assert block[frame + 1] == "    |   ^"  # under column 3
    assert block[frame + 2].startswith("    ≈ $") and "/month · " in block[frame + 2]
    assert "kgCO2e/month" in block[frame + 2]
    assert block[frame + 3].startswith("    help: Set `activeDeadlineSeconds`")
    assert all(line.startswith("          ") for line in block[frame + 4 :])  # the hint wraps indented
    assert "assumes:" not in out and "unpriced:" not in out


def test_lines_fit_the_width_and_continue_indented(demo):
    for width in (60, 100, 140):
        out = text.render(demo, ReportOptions(cwd=ROOT, width=width))
        for line in out.split("\nFound ", 1)[0].splitlines():  # source lines cropped, the rest wrapped
            assert len(line) <= width or re.fullmatch(r"\S+:\d+:\d+: AIL\d+ \[\w+\]", line), line
        headers = [
            i for i, line in enumerate(out.splitlines()) if re.match(r"demo-platform/\S+:\d+:\d+: AIL\d{3} \[", line)
        ]
        assert len(headers) == len(demo.findings)


def test_show_assumptions_adds_them_under_the_impact(demo):
    out = text.render(demo, ReportOptions(cwd=ROOT, show_assumptions=True))
    assert "    assumes: GPU utilisation" in out or "    assumes: " in out
    assert "    unpriced: " in out


def test_totals_at_the_end(demo):
    out = text.render(demo, ReportOptions(cwd=ROOT))
    tail = out.split("\n\nFound ", 1)[1].split("\n\n")[0].splitlines()
    tail[0] = "Found " + tail[0]
    n = len(demo.findings)
    assert tail[0].startswith(f"Found {n} findings: 1 error, 15 warnings, 2 info (9 of 9 files checked")
    # AIL201 and AIL202 both put the nightly CronJob's GPUs at stake: counted once (the larger, $3,523.20)
    assert tail[1].startswith("≈ $") and "1 on an object already counted)" in tail[1]
    assert "$4,481/month" not in tail[1]


def test_defaults_used_listed_once_with_the_key_that_changes_them(demo):
    used = (
        DefaultUsed("estimates.default-model", "gpt-4o", "model priced when a prompt names none"),
        DefaultUsed("traffic.calls-per-day", "10000", "calls per day of a prompt"),
        DefaultUsed("estimates.default-model", "gpt-4o", "model priced when a prompt names none"),
    )
    out = text.render(replace(demo, defaults_used=used), ReportOptions(cwd=ROOT))
    tail = out.split("\nDefaults used\n", 1)[1].splitlines()
    assert tail[0] == "  estimates.default-model = gpt-4o  (model priced when a prompt names none)"
    assert tail[1] == "  traffic.calls-per-day   = 10000   (calls per day of a prompt)"
    assert (
        tail[2] == "Change one in pyproject.toml, e.g. [tool.aiinfralint.estimates] default-model = … "
        "(in .aiinfralint.toml: [estimates])"
    )
    assert len(tail) == 3
    assert out.count("estimates.default-model") == 1
    quiet = text.render(replace(demo, defaults_used=used), ReportOptions(cwd=ROOT, quiet=True))
    assert "Defaults used" not in quiet and "Found" not in quiet and quiet.startswith("demo-platform/")


def test_no_findings_says_so(demo):
    out = text.render(replace(demo, findings=[]), ReportOptions(cwd=ROOT))
    assert out.startswith("No findings (9 of 9 files checked")


def _hostile(tmp_path: Path) -> RunResult:
    evil = "x\x1b[31mred\x1b]8;;http://e\x07 \u202e\nnext " * 6
    f = Finding(
        code="AIL206",
        slug="agent-scratch-volume-unbounded",
        severity=Severity.ERROR,
        span=Span(path=f"a\x1b[2Jb{evil[:5]}.yaml", line=1, column=3),
        message=evil,
        remediation=evil,
        logical_location="Job ml/x",
        fingerprint="f",
        impact=Impact(usd_per_month=Decimal(3), assumptions=(evil,)),
    )
    return RunResult(
        findings=[f],
        suppressed=[],
        skipped=[],
        files=[],
        project=run(RunOptions(paths=[str(tmp_path)], cwd=tmp_path, use_cache=False, jobs=1)).project,
        rules=[],
        defaults_used=(DefaultUsed("traffic.region", evil, evil),),
    )


@pytest.mark.parametrize("color", [False, True])
def test_hostile_text_is_shown_escaped_and_only_our_styles_reach_the_terminal(tmp_path, color):
    out = text.render(_hostile(tmp_path), ReportOptions(cwd=tmp_path, color=color, show_assumptions=True, width=50))
    ours = SGR.sub("", out)
    assert "\x1b" not in ours and "\x07" not in ours and "\u202e" not in ours and "\r" not in ours
    assert "\\x1b[31mred" in ours and "\\u202e" in ours and "\\n" in ours
    assert ("\x1b[" in out) is color
    for line in ours.splitlines():
        assert not line.startswith("next"), line  # an input line break starts no line of its own


def test_color_decision():
    tty, pipe = True, False
    assert color_enabled("auto", tty, {}) and not color_enabled("auto", pipe, {})
    assert not color_enabled("auto", tty, {"NO_COLOR": "1"})
    assert color_enabled("auto", tty, {"NO_COLOR": ""})  # only a non-empty value counts
    assert color_enabled("auto", pipe, {"FORCE_COLOR": "1"})
    assert not color_enabled("auto", pipe, {"FORCE_COLOR": "0"})
    assert not color_enabled("auto", pipe, {"FORCE_COLOR": ""})
    assert not color_enabled("auto", tty, {"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert color_enabled("always", pipe, {"NO_COLOR": "1"})  # the flag wins over both
    assert not color_enabled("never", tty, {"FORCE_COLOR": "1"})


def test_piped_output_has_no_escape_codes(at_root, capsys):
    code, out = _check(capsys)
    assert code == 0 and "AIL202 [warning]" in out and "\x1b" not in out


def test_force_color_and_the_color_flag(at_root, capsys, monkeypatch):
    assert "\x1b[" in _check(capsys, "--color", "always")[1]
    assert "\x1b[" in _check(capsys, "--format", "concise", "--color", "always")[1]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in _check(capsys)[1]
    assert "\x1b" not in _check(capsys, "--color", "never")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in _check(capsys)[1]
    assert "\x1b[" in _check(capsys, "--color", "always")[1]


def test_verbose_flags_show_assumptions(at_root, capsys):
    plain = _check(capsys)[1]
    for flag in ("--show-assumptions", "-v", "--verbose"):
        out = _check(capsys, flag)[1]
        assert "    assumes: " in out and "    assumes: " not in plain


def test_quiet_prints_findings_only(at_root, capsys):
    code, out = _check(capsys, "--quiet")
    assert code == 0
    assert out.startswith("demo-platform/k8s/chat-inference.yaml:3:1: AIL501 [info]")
    assert "Found" not in out and "≈ $4,481/month" not in out and "Defaults used" not in out


def test_wrap():
    assert wrap("short", 10, "  ") == ["short"]
    assert wrap("aaa bbb ccc ddd", 8, "  ") == ["aaa bbb", "  ccc", "  ddd"]
    assert wrap("x " + "y" * 12, 6, "  ") == ["x", "  yyyy", "  yyyy", "  yyyy"]  # a long word is cut
    assert wrap("aaa bbb", 8, "  ", used=6) == ["", "  aaa", "  bbb"]  # no room after the prefix
    assert wrap("aaa bbb", 10, "  ", used=4) == ["aaa", "  bbb"]
    assert wrap("日本語 日本語", 8, "") == ["日本語", "日本語"]  # two columns a character


def test_styler_off_returns_text_unchanged():
    assert Styler(False)("a", "bold red") == "a"
    assert Styler(True)("a", "bold red") == "\x1b[1;31ma\x1b[0m"


def test_a_replayed_report_keeps_the_presentation_asked_for(cached, capsys, monkeypatch):
    shutil.copytree(ROOT / "demo-platform", cached / "demo")
    monkeypatch.chdir(cached)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    runs = {}
    for flags in ((), ("--color", "always"), ("-v",), ("--statistics",), ()):
        assert main(["check", "demo", "--fail-on", "never", *flags]) == 0
        out = capsys.readouterr().out
        assert runs.setdefault(flags, out) == out  # the second plain run replays the first
    assert "\x1b[" in runs[("--color", "always")] and "\x1b" not in runs[()]
    assert "assumes: " in runs[("-v",)] and "assumes: " not in runs[()]
    assert runs[("--statistics",)].startswith("count  code")


def test_help_shows_the_first_sentence_and_the_whole_remediation_with_show_assumptions():
    long = "Move the date after the last breakpoint, e.g. into the user message. Then measure the hit rate again."
    assert text.first_sentence(long) == "Move the date after the last breakpoint, e.g. into the user message. …"
    assert text.first_sentence("Short one. Second.") == "Short one. Second."
    assert text.first_sentence("One sentence only.") == "One sentence only."
    f = Finding(
        code="AIL101",
        slug="prefix-cache-buster",
        severity=Severity.WARNING,
        span=Span(path="p.j2", line=1, column=1),
        message="m",
        remediation=long,
    )
    result = RunResult([f], [], [], [], Project([]), [])
    short = text.render(result, ReportOptions(color=False))
    full = text.render(result, ReportOptions(color=False, show_assumptions=True))
    assert "Then measure" not in short and "…" in short
    assert "Then measure the hit rate again." in " ".join(full.split())
