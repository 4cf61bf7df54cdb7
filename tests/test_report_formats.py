"""GitHub workflow commands and the Markdown PR comment; several outputs in one run."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.project import Project
from aiinfralint.report.base import ReportOptions
from aiinfralint.report.github import annotation, escape_data, escape_property
from aiinfralint.report.github import render as render_github
from aiinfralint.report.markdown import MARKER, cell
from aiinfralint.report.markdown import render as render_markdown

BROKEN = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"


def _finding(**kw) -> Finding:
    base = dict(
        code="AIL201",
        slug="shared-batch-realtime-gpu-pool",
        severity=Severity.ERROR,
        span=Span(path="deploy/a,b:c.yaml", line=12, column=5),
        message="100% of 8 GPUs\nshared: pool a,b",
        remediation="Use a taint.",
        impact=Impact(usd_per_month=Decimal("1234.5"), kgco2e_per_month=Decimal("12.34"), assumptions=("8 × H100",)),
        logical_location="CronJob ml/nightly",
        fingerprint="abc",
    )
    base.update(kw)
    return Finding(**base)


def _result(findings, tmp_path):
    from aiinfralint.pipeline.engine import RunResult

    return RunResult(findings=list(findings), suppressed=[], skipped=[], files=[], project=Project(), rules=[])


def test_escaping():
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotation_shape(tmp_path):
    line = annotation(_finding(), ReportOptions(cwd=tmp_path))
    assert line.startswith(
        "::error file=deploy/a%2Cb%3Ac.yaml,line=12,col=5,title=AIL201 shared-batch-realtime-gpu-pool::"
    )
    body = line.split("::", 2)[2]
    assert "\n" not in line
    # a line break inside input text is shown, not obeyed; ':' and ',' are fine in the message
    assert body.startswith("100%25 of 8 GPUs\\nshared: pool a,b%0AEstimated impact")
    assert "$1,234.50/month" in body and "Fix: Use a taint." in body


def test_severity_mapping(tmp_path):
    opts = ReportOptions(cwd=tmp_path)
    assert annotation(_finding(severity=Severity.WARNING), opts).startswith("::warning ")
    assert annotation(_finding(severity=Severity.INFO), opts).startswith("::notice ")


def test_github_render_summary(tmp_path):
    out = render_github(_result([_finding()], tmp_path), ReportOptions(cwd=tmp_path))
    lines = out.splitlines()
    assert lines[0].startswith("::error ")
    assert lines[-1].startswith("aiinfralint: 1 finding(s)")


def test_markdown_escapes_hostile_text(tmp_path):
    evil = _finding(message="name <img src=x onerror=alert(1)> | col", span=Span(path="a|b.yaml", line=3))
    md = render_markdown(_result([evil], tmp_path), ReportOptions(cwd=tmp_path))
    assert md.startswith(MARKER)
    assert "<img" not in md and "&lt;img" in md
    assert "\\| col" in md
    assert "`a\\|b.yaml:3`" in md  # a path is a code span; '|' is escaped even there in a table
    assert cell("a\tb|c") == "a b\\|c"
    assert cell("a\nb") == "a\\\\nb"  # a line break in input text is shown as \n, never obeyed


def test_markdown_table_and_totals(tmp_path):
    md = render_markdown(
        _result([_finding(), _finding(severity=Severity.WARNING, fingerprint="x")], tmp_path),
        ReportOptions(cwd=tmp_path),
    )
    assert "## aiinfralint: 2 findings (1 error, 1 warning)" in md
    assert "| error | AIL201 `shared-batch-realtime-gpu-pool` | `deploy/a,b:c.yaml:12` |" in md
    # two findings about one object: its largest stake, not their sum
    assert "**$1,234.50/month**" in md
    assert "<details><summary>Assumptions behind the estimates</summary>" in md and "- 8 × H100" in md


def test_markdown_totals_add_objects(tmp_path):
    other = _finding(logical_location="CronJob ml/weekly", fingerprint="y")
    md = render_markdown(_result([_finding(), other], tmp_path), ReportOptions(cwd=tmp_path))
    assert "**$2,469.00/month**" in md


def test_markdown_without_findings(tmp_path):
    md = render_markdown(_result([], tmp_path), ReportOptions(cwd=tmp_path))
    assert "## aiinfralint: 0 findings" in md and "No findings" in md


def test_several_outputs_in_one_run(tmp_path, monkeypatch, capsys):
    from aiinfralint.cli import main

    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "check",
            "--format",
            "github",
            "--output-format",
            "sarif:results.sarif",
            "--output-format",
            "markdown:comment.md",
            "--output-format",
            "json:report.json",
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=broken.yaml,line=")
    assert json.loads(Path("results.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert Path("comment.md").read_text(encoding="utf-8").startswith(MARKER)
    assert json.loads(Path("report.json").read_text(encoding="utf-8"))["findings"][0]["code"] == "AIL000"


def test_bad_output_spec_is_a_usage_error(tmp_path, monkeypatch, capsys):
    from aiinfralint.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", "--output-format", "sarif"]) == 2
    assert "FORMAT:PATH" in capsys.readouterr().err
    assert main(["check", "--output-format", "xml:out.xml"]) == 2
    assert "unknown format" in capsys.readouterr().err
