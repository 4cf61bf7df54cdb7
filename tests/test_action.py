"""The composite action (action.yml): its steps, conditions and shell, run with a fake `gh`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
PROMPT = ROOT / "fixtures" / "prompt" / "jinja-date-in-system" / "prompts" / "support_agent.jinja2"
MARKER = "<!-- aiinfralint-report -->"

# Answers `gh api`: the comment list through jq (as gh's --jq does), PATCH/POST logged.
FAKE_GH = r"""#!/usr/bin/env bash
echo "gh $*" >> "$GH_LOG"
if [ -n "${GH_FAIL:-}" ]; then echo "$GH_FAIL" >&2; exit 1; fi
jq_filter=""; body=""; method=GET; endpoint=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jq) jq_filter=$2; shift 2 ;;
    --method) method=$2; shift 2 ;;
    -F) body=${2#body=@}; shift 2 ;;
    api|--paginate|--silent) shift ;;
    *) endpoint=$1; shift ;;
  esac
done
if [ "$method" = GET ]; then jq -r "$jq_filter" "$GH_COMMENTS"; exit; fi
{ echo "$method $endpoint"; cat -- "$body"; } >> "$GH_WRITES"
"""


def _step(name: str) -> dict[str, Any]:
    (step,) = [s for s in STEPS if s.get("name", "").startswith(name)]
    return step


class Runner:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.bin = tmp / "bin"
        self.bin.mkdir()
        for name, text in {
            "gh": FAKE_GH,
            "aiinfralint": f'#!/bin/sh\nexec "{sys.executable}" -m aiinfralint "$@"\n',
        }.items():
            p = self.bin / name
            p.write_text(text, encoding="utf-8")
            p.chmod(p.stat().st_mode | stat.S_IXUSR)
        self.temp = tmp / "runner-temp"
        self.temp.mkdir()
        self.output = tmp / "github-output"
        self.summary = tmp / "step-summary"
        self.gh_log = tmp / "gh.log"
        self.writes = tmp / "gh-writes"
        self.comments = tmp / "comments.json"
        for p in (self.output, self.summary, self.gh_log, self.writes):
            p.write_text("", encoding="utf-8")
        self.comments.write_text("[]", encoding="utf-8")

    def run(self, name: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        script = self.tmp / "step.sh"
        script.write_text(_step(name)["run"], encoding="utf-8")
        full = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GH_LOG": str(self.gh_log),
            "GH_WRITES": str(self.writes),
            "GH_COMMENTS": str(self.comments),
            "AIINFRALINT_NO_CACHE": "1",
            **env,
        }
        # GitHub runs a `shell: bash` step as `bash --noprofile --norc -eo pipefail {0}`
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=full,
            cwd=cwd or self.tmp,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    if not shutil.which("jq"):
        pytest.skip("jq is needed to stand in for gh's --jq")
    return Runner(tmp_path)


# --- the steps and their conditions ----------------------------------------------------


def test_every_shell_step_reads_inputs_from_env_never_inline():
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], f"{step['name']}: an expression in a script is injectable"


def test_sarif_is_uploaded_only_when_the_run_wrote_it_even_after_a_failure():
    check = _step("Check the SARIF report")
    upload = _step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in check["if"]
    assert "always()" in upload["if"]
    assert f"steps.{check['id']}.outputs.exists == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.paths.outputs.sarif-file }}"
    assert STEPS.index(check) < STEPS.index(upload)


def test_the_comment_is_posted_only_after_a_normal_run_of_a_pull_request():
    post = _step("Post or update")
    condition = " ".join(post["if"].split())
    assert "always()" in condition
    assert "github.event.pull_request.number" in condition
    assert "steps.gate.outputs.exit-code == '0' || steps.gate.outputs.exit-code == '1'" in condition
    assert "inputs.comment == 'true'" in condition
    assert post["env"]["AUTHOR"] == "${{ inputs.comment-author }}"
    assert ACTION["inputs"]["comment-author"]["default"] == "github-actions[bot]"


# --- the shell -------------------------------------------------------------------------


def test_reports_go_to_a_fresh_directory_under_runner_temp(runner: Runner):
    done = runner.run("Report paths", {"SARIF": "", "MARKDOWN": ""})
    assert done.returncode == 0, done.stderr
    out = runner.outputs()
    for key in ("dir", "sarif-file", "markdown-file"):
        assert Path(out[key]).is_relative_to(runner.temp), key


def _gate_env(runner: Runner, project: Path, **extra: str) -> dict[str, str]:
    return {
        "PATHS": ".",
        "BASE_REF": "",
        "FAIL_ON": "warning",
        "MARKDOWN": str(runner.temp / "comment.md"),
        "BASELINE": "",
        **extra,
    }


def _project(tmp: Path) -> Path:
    project = tmp / "project"
    (project / "prompts").mkdir(parents=True)
    shutil.copy(PROMPT, project / "prompts" / PROMPT.name)
    return project


def test_gate_with_findings_fails_and_writes_the_summary(runner: Runner):
    project = _project(runner.tmp)
    done = runner.run("Gate on what", _gate_env(runner, project), cwd=project)
    assert done.returncode == 1, done.stderr
    assert runner.outputs()["exit-code"] == "1"
    assert runner.summary.read_text(encoding="utf-8").startswith(MARKER)
    assert "::warning" in done.stdout or "::error" in done.stdout


def test_exit_2_fails_the_step_with_the_error_line(runner: Runner):
    project = _project(runner.tmp)
    done = runner.run("Gate on what", _gate_env(runner, project, FAIL_ON="sometimes"), cwd=project)
    assert done.returncode == 2
    assert runner.outputs()["exit-code"] == "2"
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert "failed with exit code 2" in error
    assert "sometimes" in error, error  # aiinfralint's own message, not "see above"
    assert runner.summary.read_text(encoding="utf-8") == ""  # nothing read back


def test_sarif_run_exit_2_names_the_error(runner: Runner):
    project = _project(runner.tmp)
    env = {
        "PATHS": "no-such-dir",
        "SARIF": str(runner.temp / "out.sarif"),
        "BASELINE": "",
    }
    done = runner.run("Full report (SARIF)", env, cwd=project)
    assert done.returncode == 2
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert "no-such-dir" in error


def _comment_env(runner: Runner, markdown: Path, **extra: str) -> dict[str, str]:
    return {
        "GH_TOKEN": "t",
        "REPO": "acme/platform",
        "HEAD_REPO": "acme/platform",
        "EVENT": "pull_request",
        "PR": "7",
        "MARKDOWN": str(markdown),
        "AUTHOR": "github-actions[bot]",
        **extra,
    }


def _report(runner: Runner) -> Path:
    md = runner.temp / "comment.md"
    md.write_text(f"{MARKER}\n## aiinfralint: 1 finding\n", encoding="utf-8")
    return md


def test_updates_its_own_comment_matched_by_marker_and_author(runner: Runner):
    import json

    runner.comments.write_text(
        json.dumps(
            [
                {"id": 11, "user": {"login": "mallory"}, "body": f"{MARKER}\nquoted"},
                {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "another bot comment"},
                {"id": 13, "user": {"login": "github-actions[bot]"}, "body": None},
                {"id": 14, "user": {"login": "github-actions[bot]"}, "body": f"{MARKER}\nold"},
            ]
        ),
        encoding="utf-8",
    )
    done = runner.run("Post or update", _comment_env(runner, _report(runner)))
    assert done.returncode == 0, done.stdout + done.stderr
    writes = runner.writes.read_text(encoding="utf-8")
    assert writes.startswith("PATCH repos/acme/platform/issues/comments/14\n")
    assert "1 finding" in writes


def test_creates_a_comment_when_only_someone_else_has_the_marker(runner: Runner):
    import json

    runner.comments.write_text(json.dumps([{"id": 11, "user": {"login": "mallory"}, "body": MARKER}]), "utf-8")
    done = runner.run("Post or update", _comment_env(runner, _report(runner)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert runner.writes.read_text(encoding="utf-8").startswith("POST repos/acme/platform/issues/7/comments\n")


def test_a_fork_gets_a_notice_and_no_api_call(runner: Runner):
    done = runner.run("Post or update", _comment_env(runner, _report(runner), HEAD_REPO="someone/platform"))
    assert done.returncode == 0
    assert done.stdout.startswith("::notice")
    assert runner.gh_log.read_text(encoding="utf-8") == ""


def test_a_read_only_token_is_a_notice_not_a_failure(runner: Runner):
    env = _comment_env(runner, _report(runner), GH_FAIL="HTTP 403: Resource not accessible by integration")
    done = runner.run("Post or update", env)
    assert done.returncode == 0
    assert "::notice" in done.stdout
    assert runner.writes.read_text(encoding="utf-8") == ""


def test_other_api_errors_are_a_warning(runner: Runner):
    done = runner.run("Post or update", _comment_env(runner, _report(runner), GH_FAIL="HTTP 502: Bad Gateway"))
    assert done.returncode == 0
    assert "::warning" in done.stdout and "502" in done.stdout


@pytest.mark.parametrize("kind", ["symlink", "missing", "foreign"])
def test_only_a_regular_report_file_is_read_back(runner: Runner, kind: str):
    md = runner.temp / "comment.md"
    secret = runner.tmp / "secret"
    secret.write_text(f"{MARKER}\nsecret\n", encoding="utf-8")
    if kind == "symlink":
        md.symlink_to(secret)
    elif kind == "foreign":
        md.write_text("not a report\n", encoding="utf-8")
    done = runner.run("Post or update", _comment_env(runner, md))
    assert done.returncode == 2
    assert "::error" in done.stdout
    assert runner.gh_log.read_text(encoding="utf-8") == ""
