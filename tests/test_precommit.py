"""The pre-commit hooks: manifest shape, file patterns, and a real `pre-commit try-repo` run.

The try-repo test needs the `pre-commit` executable (``pip install pre-commit``) and
installs the committed HEAD of this repository into a hook environment; it is skipped
when pre-commit is not installed or this checkout is not a git repository.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def _hooks() -> list[dict]:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(HOOKS.read_text(encoding="utf-8"))


def test_manifest_shape():
    hooks = {h["id"]: h for h in _hooks()}
    assert {"aiinfralint", "aiinfralint-project", "aiinfralint-delta"} <= set(hooks)
    main = hooks["aiinfralint"]
    assert main["language"] == "python" and main["pass_filenames"] is True
    assert hooks["aiinfralint-project"]["pass_filenames"] is False
    for h in hooks.values():
        assert h["entry"].split()[:2] == ["aiinfralint", "check"]
        assert h["name"] and h["description"]


def test_entries_are_valid_command_lines():
    from aiinfralint.cli import build_parser

    parser = build_parser()
    for h in _hooks():
        args = parser.parse_args([*shlex.split(h["entry"])[1:], "x.yaml"])
        assert args.command == "check"


@pytest.mark.parametrize(
    "path,claimed",
    [
        ("deploy/inference.yaml", True),
        ("k8s/job.yml", True),
        ("litellm/config.json", True),
        ("prompts/support.prompt", True),
        ("prompts/agent.prompty", True),
        ("templates/system.j2", True),
        ("templates/system.jinja2", True),
        ("app/llm.py", True),
        ("db/schema.sql", True),
        ("prompts/triage.md", True),
        ("prompts/sub/notes.txt", True),
        ("README.md", False),
        ("docs/guide.md", False),
        ("logo.png", False),
        ("Dockerfile", False),
    ],
)
def test_files_pattern(path, claimed):
    for h in _hooks():
        assert bool(re.search(h["files"], path)) is claimed, (h["id"], path)


def _pre_commit() -> str | None:
    return os.environ.get("PRE_COMMIT") or shutil.which("pre-commit")


def test_try_repo_runs_the_hook(tmp_path):
    exe = _pre_commit()
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of aiinfralint")
    fixture = FIXTURES / "core" / "suppression-stale" / "vendored.yaml"
    repo = tmp_path / "user-repo"
    (repo / "deploy").mkdir(parents=True)
    shutil.copy(fixture, repo / "deploy" / "vendored.yaml")
    (repo / "deploy" / "ok.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\nspec:\n  ports:\n  - port: 80\n", encoding="utf-8"
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    proc = subprocess.run(
        [
            exe,
            "try-repo",
            str(ROOT),
            "aiinfralint",
            "--ref",
            "HEAD",
            "--files",
            "deploy/vendored.yaml",
            "deploy/ok.yaml",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "AIL000 [error]" in out and "AIL002 [" in out, out
    assert "deploy/ok.yaml" not in out.split("\nFound ")[0]


def test_docs_snippet_matches_hook_ids():
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for h in _hooks():
        assert f"id: {h['id']}" in doc or h["id"] == "aiinfralint-project"
    assert Path(ROOT / "action.yml").exists()
