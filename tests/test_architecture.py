"""The dependency rule of docs/architecture.md holds: import contracts and the gate's laziness."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_every_layer_is_a_package() -> None:
    # a directory without __init__.py is a namespace package, which the contracts cannot see
    src = ROOT / "src" / "aiinfralint"
    missing = [
        str(d.relative_to(src))
        for d in src.rglob("*")
        if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py")) and not (d / "__init__.py").exists()
    ]
    assert missing == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "github"])
def test_a_plain_check_does_not_load_the_gate(fmt: str, tmp_path: Path) -> None:
    # reporters read a gate result by module presence, so a plain check never imports it
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: chat}\nspec:\n  template:\n    spec:\n"
        "      containers: [{name: vllm, image: vllm/vllm-openai:v0.6.3}]\n"
    )
    code = (
        "import contextlib, io, json, sys\n"
        "from aiinfralint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['check', '--no-cache', '--format', {fmt!r}, '--fail-on', 'never', '.'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "aiinfralint.report" in loaded
    assert "aiinfralint.pipeline.diffmode" not in loaded
    assert "aiinfralint.pipeline.gate_types" not in loaded


def test_a_plain_result_has_no_gate_summary() -> None:
    from aiinfralint.report.gate import gate_of, gate_summary, text_summary

    class Plain:
        findings: list[object] = []

    plain = Plain()
    assert gate_of(plain) is None  # type: ignore[arg-type]
    assert gate_summary(plain) == {}  # type: ignore[arg-type]
    assert text_summary(plain) == ""  # type: ignore[arg-type]


SRC = ROOT / "src" / "aiinfralint"
DOC = ROOT / "docs" / "architecture.md"


def test_the_documented_contracts_are_the_configured_ones() -> None:
    import re
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    text = DOC.read_text()
    section = text.split("## The contracts and how CI checks them", 1)[1].split("###", 1)[0]
    numbered = re.findall(r"^(\d+)\. ", section, re.MULTILINE)
    assert len(numbered) == len(contracts)
    assert [c["type"] for c in contracts].count("layers") == 1
    # every module the doc names by path exists
    for path in set(re.findall(r"`((?:pipeline|cache|estimate|report|rules|parsers)/[a-z_]+\.py)`", text)):
        assert (SRC / path).is_file(), path
    # every debt the configuration ignores is explained in the doc
    for c in contracts:
        for edge in c.get("ignore_imports", []):
            src, dst = (m.removeprefix("aiinfralint.") for m in edge.split(" -> "))
            assert f"`{src} → {dst}`" in text or f"`{src} → " in text, edge


LAYERED = sorted(
    p.relative_to(SRC.parent).with_suffix("").as_posix().replace("/", ".")
    for p in [*(SRC / "pipeline").glob("*.py"), *(SRC / "cache").glob("*.py")]
    if p.name != "__init__.py"
)


@pytest.mark.parametrize("module", LAYERED)
def test_each_pipeline_and_cache_module_imports_alone(module: str) -> None:
    # an import cycle shows up as an ImportError for whichever module is imported first
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


SOURCES = sorted(SRC.rglob("*.py"))


def _bare_imports(path: Path) -> list[int]:
    """Lines of imports inside functions without `# lazy: <reason>` on their line or the line above."""
    lines = path.read_text().splitlines()
    bare = []
    for fn in _functions(path):
        for node in ast.walk(fn):
            if isinstance(node, ast.Import | ast.ImportFrom):
                here, before = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "# lazy:" not in here and not before.startswith("# lazy:"):
                    bare.append(node.lineno)
    return bare


def test_imports_in_functions_give_a_reason() -> None:
    bare = [f"{path.relative_to(SRC)}:{line}" for path in SOURCES for line in _bare_imports(path)]
    assert bare == []


def test_the_reason_check_sees_a_bare_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n\n\ndef f():\n    import json\n    import csv  # lazy: measured\n"
        "    # lazy: measured too\n    import gzip\n    # a comment that gives no reason\n    import bz2\n"
    )
    assert _bare_imports(sample) == [5, 10]


MAX_FUNCTION_LINES = 70  # the target is about 60; the margin keeps a docstring edit from failing CI


def test_no_function_is_long() -> None:
    long = [
        f"{path.relative_to(SRC)}:{fn.lineno} {fn.name} ({fn.end_lineno - fn.lineno + 1} lines)"
        for path in SOURCES
        for fn in _functions(path)
        if fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []
