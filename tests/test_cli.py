"""The command line: exit codes, formats, stdin, selectors, config errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aiinfralint.cli import main

BROKEN = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\nspec:\n  ports:\n  - port: 80\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    return tmp_path


def test_clean_project_exits_zero(project, capsys):
    (project / "svc.yaml").write_text(SERVICE)
    assert main(["check", "."]) == 0
    assert "No findings" in capsys.readouterr().out


def test_parse_error_exits_one_and_json_shape(project, capsys):
    (project / "deploy.yaml").write_text(BROKEN)
    assert main(["check", ".", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"version", "findings", "skipped", "summary"}
    (f,) = doc["findings"]
    assert f["code"] == "AIL000" and f["slug"] == "parse-error" and f["path"] == "deploy.yaml"
    assert f["line"] == 5 and f["fingerprint"]
    for key in ("code", "slug", "severity", "path", "line", "column", "message", "impact", "fingerprint"):
        assert key in f


def test_fail_on_never_and_ignore(project):
    (project / "deploy.yaml").write_text(BROKEN)
    assert main(["check", ".", "--fail-on", "never"]) == 0
    assert main(["check", ".", "--ignore", "AIL000"]) == 0
    assert main(["check", ".", "--ignore", "parse-error"]) == 0
    assert main(["check", ".", "--select", "AIL0"]) == 1


def test_unknown_selector_is_usage_error(project, capsys):
    assert main(["check", ".", "--select", "AIL999"]) == 2
    assert "unknown rule selector" in capsys.readouterr().err


def test_bad_config_is_exit_two(project, capsys):
    (project / ".aiinfralint.toml").write_text('fail-on = "sometimes"\n')
    assert main(["check", "."]) == 2
    err = capsys.readouterr().err
    assert "fail-on: must be one of" in err and "Traceback" not in err


def test_config_from_pyproject(project):
    (project / "deploy.yaml").write_text(BROKEN)
    (project / "pyproject.toml").write_text('[tool.aiinfralint]\nignore = ["AIL000"]\n')
    assert main(["check", "."]) == 0


def test_output_file(project):
    (project / "deploy.yaml").write_text(BROKEN)
    assert main(["check", ".", "--format", "json", "--output", "out.json"]) == 1
    assert json.loads((project / "out.json").read_text())["summary"]["findings"] == 1


def test_stdin(project, monkeypatch, capsys):
    import io

    class FakeStdin:
        buffer = io.BytesIO(BROKEN.encode())

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    assert main(["check", "-", "--stdin-filename", "rendered.yaml", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"][0]["path"] == "rendered.yaml"


def test_rules_and_explain(capsys):
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert any(r["code"] == "AIL000" for r in rules)
    assert main(["explain", "parse-error"]) == 0
    assert "## What it does" in capsys.readouterr().out
    assert main(["explain", "AIL999"]) == 2


def test_version_and_no_command(capsys):
    assert main(["--version"]) == 0
    assert "aiinfralint" in capsys.readouterr().out
    assert main([]) == 2


def test_console_script_runs(project):
    (project / "svc.yaml").write_text(SERVICE)
    proc = subprocess.run([sys.executable, "-m", "aiinfralint", "check", "."], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
