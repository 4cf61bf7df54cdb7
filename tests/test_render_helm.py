"""Helm charts: rendered with the values named in config, findings at the template's lines.

The chart is `fixtures/k8s/helm/kubeai-models` (KubeAI's `models` chart). Where `helm` is absent,
`helm template` is stood in for by its output for this chart and values file (CAPTURED); where it
is present, the real command runs and must give the same findings.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from aiinfralint.config import Config
from aiinfralint.pipeline import render
from aiinfralint.pipeline.engine import RunOptions, run

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "k8s" / "helm"
TEMPLATE = "kubeai-models/templates/models.yaml"

# `helm template release kubeai-models --values values-gpu.yaml`
CAPTURED = """---
# Source: models/templates/models.yaml
apiVersion: kubeai.org/v1
kind: Model
metadata:
  name: llama-3.1-8b-instruct-fp8-l4
spec:
  features: [TextGeneration]
  url: hf://neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8
  engine: VLLM
  args:
    - --max-model-len=16384
    - --max-num-batched-token=16384
    - --gpu-memory-utilization=0.9
    - --disable-log-requests
  minReplicas: 0
  resourceProfile: nvidia-gpu-l4:1
"""


def _line(text: str) -> int:
    lines = (CASE / TEMPLATE).read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if text in ln)


def _check(values: list[str]) -> object:
    config = Config(helm={"values": {"kubeai-models": values}})
    return run(RunOptions(paths=["."], config=config, cwd=CASE, use_cache=False, jobs=1))


def _stand_in(monkeypatch: pytest.MonkeyPatch, calls: list[list[str]]) -> None:
    which = shutil.which
    monkeypatch.setattr(render.shutil, "which", lambda name: "/usr/bin/helm" if name == "helm" else which(name))

    def fake(argv: Sequence[str], home: str) -> str:
        calls.append(list(argv))
        return CAPTURED if "--values" in argv else ""

    monkeypatch.setattr(render, "run_tool", fake)


def test_values_from_config_render_a_gpu_model_found_at_its_template_line(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    if shutil.which("helm") is None:
        _stand_in(monkeypatch, calls)
    result = _check(["values-gpu.yaml"])
    got = [(f.span.path, f.span.line, f.code) for f in result.findings]  # type: ignore[attr-defined]
    assert got == [(TEMPLATE, _line("minReplicas:"), "AIL203")]
    models = [o for o in result.project.objects if getattr(o, "name", None) == "llama-3.1-8b-instruct-fp8-l4"]  # type: ignore[attr-defined]
    assert models and all(o.span.path == TEMPLATE for o in models)
    for argv in calls:  # the stand-in saw what helm would run: a copy of the chart, the values file in it
        assert argv[:3] == ["helm", "template", "release"] and "--dependency-update" not in argv
        assert argv[-2] == "--values" and argv[-1].endswith("/chart/values-gpu.yaml") and str(CASE) not in argv[-1]
    skipped = dict(result.skipped)  # type: ignore[attr-defined]
    assert not any(p.startswith("kubeai-models/templates") for p in skipped)


def test_default_values_render_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("helm") is None:
        _stand_in(monkeypatch, [])
    result = _check([])
    assert not result.findings  # type: ignore[attr-defined]


def test_a_values_file_outside_the_chart_is_refused(tmp_path: Path) -> None:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "outside.yaml").write_text("a: 1\n")
    with pytest.raises(render.RenderError, match="not a file inside the chart"):
        render.render_chart(chart, ["../outside.yaml"])
