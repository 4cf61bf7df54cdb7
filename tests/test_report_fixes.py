"""Fixes in the reports: JSON shape and counts, SARIF `fixes` (schema-valid), Markdown
suggestion blocks (exact text, fence length, diff fallback), the github hint, the hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Fix, Severity, TextEdit
from aiinfralint.model.project import Project
from aiinfralint.parsers.base import ParseOutput
from aiinfralint.pipeline.engine import RunResult
from aiinfralint.pipeline.read import FileResult
from aiinfralint.report import json_report, markdown, sarif
from aiinfralint.report.base import ReportOptions
from aiinfralint.report.github import annotation

SCHEMA = ROOT.parent / "shared" / "reference" / "sarif-schema-2.1.0.json"
PATH = "deploy/agent.yaml"
TEXT = "volumes:\n- name: scratch\n  emptyDir: {}\n- name: cache\n  emptyDir: {}\n"
# `emptyDir: {}` on line 3 becomes a mapping with a sizeLimit (the ` {}` is columns 12-14)
SIZE_LIMIT = Fix(
    description="sizeLimit 1Gi on the scratch emptyDir",
    path=PATH,
    edits=(TextEdit(start_line=3, start_column=12, end_line=3, end_column=15, text="\n    sizeLimit: 1Gi"),),
)


def _finding(fix: Fix | None, line: int = 3, code: str = "AIL206") -> Finding:
    return Finding(
        code=code,
        slug="unbounded-scratch",
        severity=Severity.WARNING,
        span=Span(path=PATH, line=line, column=3),
        message="scratch emptyDir has no sizeLimit",
        fix=fix,
        fingerprint=f"fp{line}",
    )


def _result(findings: list[Finding], quoted: set[int] | None = None, text: str = TEXT, **kw: int) -> RunResult:
    fr = FileResult(path=PATH, output=ParseOutput(claimed=True), text=text)
    fr.quote_lines(quoted if quoted is not None else {f.span.line for f in findings})
    return RunResult(findings, [], [], [fr], Project(), [], **kw)


def _options(tmp_path: Path) -> ReportOptions:
    return ReportOptions(cwd=tmp_path, version="0.0.0")


def test_json_carries_each_fix_and_counts(tmp_path):
    unsafe = Fix(description="minReplicas 1 (adds $2,300/month)", safety="unsafe", path=PATH, edits=())
    result = _result([_finding(SIZE_LIMIT), _finding(None, line=4), _finding(unsafe, line=5)], fixes_applied=2)
    doc = json.loads(json_report.render(result, _options(tmp_path)))
    first, plain, third = doc["findings"]
    assert first["fix"] == {
        "description": "sizeLimit 1Gi on the scratch emptyDir",
        "safety": "safe",
        "path": PATH,
        "edits": [
            {"start": {"line": 3, "column": 12}, "end": {"line": 3, "column": 15}, "text": "\n    sizeLimit: 1Gi"}
        ],
    }
    assert plain["fix"] is None
    assert third["fix"]["safety"] == "unsafe" and third["fix"]["edits"] == []
    assert doc["summary"]["fixes"] == {"safe": 1, "unsafe": 1, "applied": 2}


def _validator():
    if not SCHEMA.exists():
        pytest.skip(f"SARIF schema not present at {SCHEMA}")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_sarif_fixes_are_schema_valid_and_keep_character_columns(tmp_path):
    unsafe = Fix(
        description="pin the alias [gpt-4o] to its snapshot",
        safety="unsafe",
        path=PATH,
        edits=(TextEdit(start_line=5, start_column=3, end_line=5, end_column=3, text="# é\n  "),),
    )
    doc = sarif.build(_result([_finding(SIZE_LIMIT), _finding(unsafe, line=5), _finding(None, 4)]), _options(tmp_path))
    _validator().validate(doc)
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"  # the edits' character columns, unconverted
    safe, unsafe_result, plain = run["results"]
    assert "fixes" not in plain
    [fix] = safe["fixes"]
    assert fix == {
        "description": {"text": "sizeLimit 1Gi on the scratch emptyDir"},
        "artifactChanges": [
            {
                "artifactLocation": safe["locations"][0]["physicalLocation"]["artifactLocation"],
                "replacements": [
                    {
                        "deletedRegion": {"startLine": 3, "startColumn": 12, "endLine": 3, "endColumn": 15},
                        "insertedContent": {"text": "\n    sizeLimit: 1Gi"},
                    }
                ],
            }
        ],
    }
    assert fix["artifactChanges"][0]["artifactLocation"] == {"uri": PATH, "uriBaseId": "%SRCROOT%"}
    # unsafe fixes are offered too, and say so; brackets are escaped as in every SARIF message
    assert unsafe_result["fixes"][0]["description"]["text"] == "unsafe: pin the alias \\[gpt-4o\\] to its snapshot"
    region = unsafe_result["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    assert (region["startColumn"], region["endColumn"]) == (3, 3)  # an insertion: an empty region


def test_sarif_leaves_out_a_fix_without_edits(tmp_path):
    empty = Fix(description="nothing to write", path=PATH)
    doc = sarif.build(_result([_finding(empty)]), _options(tmp_path))
    assert "fixes" not in doc["runs"][0]["results"][0]


def _section(md: str) -> str:
    start = md.index("### Suggested fixes")
    return md[start : md.index("<sub>", start)]


def test_markdown_safe_fix_is_a_suggestion_with_the_edit_applied(tmp_path):
    md = markdown.render(_result([_finding(SIZE_LIMIT)]), _options(tmp_path))
    assert _section(md) == (
        "### Suggested fixes\n\n"
        "1 finding(s) have a safe fix; `aiinfralint check --fix` applies them all.\n\n"
        "**AIL206** `deploy/agent.yaml:3`: sizeLimit 1Gi on the scratch emptyDir\n\n"
        "```suggestion\n"
        "  emptyDir:\n"
        "    sizeLimit: 1Gi\n"
        "```\n\n"
    )


def test_markdown_suggestion_covers_every_line_between_the_edits(tmp_path):
    fix = Fix(
        description="both scratch volumes bounded",
        path=PATH,
        edits=(
            TextEdit(start_line=5, start_column=13, end_line=5, end_column=15, text="{sizeLimit: 1Gi}"),
            TextEdit(start_line=3, start_column=13, end_line=3, end_column=15, text="{sizeLimit: 1Gi}"),
        ),
    )
    section = _section(markdown.render(_result([_finding(fix)], quoted={3, 4, 5}), _options(tmp_path)))
    assert "`deploy/agent.yaml:3-5`" in section
    assert "```suggestion\n  emptyDir: {sizeLimit: 1Gi}\n- name: cache\n  emptyDir: {sizeLimit: 1Gi}\n```\n" in section


def test_markdown_fence_is_longer_than_backticks_in_the_suggestion(tmp_path):
    text = 'PROMPT = """Reply with:\n```json\n{}\n```"""\n'
    fix = Fix(
        description="sorted keys",
        path=PATH,
        edits=(TextEdit(start_line=2, start_column=4, end_line=2, end_column=8, text="yaml"),),
    )
    md = markdown.render(_result([_finding(fix, line=2)], text=text), _options(tmp_path))
    assert "````suggestion\n```yaml\n````\n" in md


def test_markdown_falls_back_to_a_diff_when_a_line_was_not_kept(tmp_path):
    # the finding points at line 1; the fix's line 3 was not kept for this run
    md = markdown.render(_result([_finding(SIZE_LIMIT, line=1)]), _options(tmp_path))
    assert "```suggestion" not in md
    assert "```diff\n@@ line 3 column 12 to line 3 column 15 @@\n+\n+    sizeLimit: 1Gi\n```\n" in md


def test_markdown_never_suggests_a_line_with_a_control_character(tmp_path):
    text = "a: 1\nemptyDir: {} # \u202eevil\n"
    fix = Fix(
        description="bounded",
        path=PATH,
        edits=(TextEdit(start_line=2, start_column=11, end_line=2, end_column=13, text="{sizeLimit: 1Gi}"),),
    )
    md = markdown.render(_result([_finding(fix, line=2)], text=text), _options(tmp_path))
    assert "```suggestion" not in md and "\u202e" not in md
    assert "```diff\n@@ -2,1 +2,1 @@\n-emptyDir: {} # \\u202eevil\n+emptyDir: {sizeLimit: 1Gi} # \\u202eevil\n```" in md


def test_markdown_counts_unsafe_fixes_without_suggesting_them(tmp_path):
    unsafe = Fix(description="minReplicas 1", safety="unsafe", path=PATH, edits=SIZE_LIMIT.edits)
    md = markdown.render(_result([_finding(unsafe)]), _options(tmp_path))
    assert "```suggestion" not in md
    assert "1 finding(s) have an unsafe fix (it changes behaviour or cost)" in md


def test_markdown_without_fixes_has_no_fix_section(tmp_path):
    md = markdown.render(_result([_finding(None)]), _options(tmp_path))
    assert "Suggested fixes" not in md


def test_github_annotation_names_the_command_that_fixes(tmp_path):
    safe = annotation(_finding(SIZE_LIMIT), _options(tmp_path))
    assert safe.endswith("%0AFixable with `aiinfralint check --fix`.")
    unsafe = annotation(_finding(SIZE_LIMIT.model_copy(update={"safety": "unsafe"})), _options(tmp_path))
    assert "--fix --unsafe-fixes" in unsafe
    assert "Fixable" not in annotation(_finding(None), _options(tmp_path))


def test_precommit_fix_hook():
    from ruamel.yaml import YAML

    hooks = {h["id"]: h for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    fix = hooks["aiinfralint-fix"]
    assert fix["entry"].split() == ["aiinfralint", "check", "--no-progress", "--fix"]
    assert fix["pass_filenames"] is True and fix["files"] == hooks["aiinfralint"]["files"]
