"""A base built by several overlays: one object per overlay, named by it, in `cost` and `check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.pipeline import render

BASE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  replicas: 1
  template:
    spec:
      nodeSelector:
        cloud.google.com/gke-accelerator: nvidia-l4
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.0
          args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
          resources:
            limits:
              nvidia.com/gpu: 1
"""
SOLO = BASE.replace("name: vllm\nspec", "name: solo\nspec")
PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm\nspec:\n  replicas: 2\n"
needs_kustomize = pytest.mark.skipif(render.kustomize_command() is None, reason="no kubectl or kustomize on PATH")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {
        "base/deploy.yaml": BASE,
        "base/kustomization.yaml": "resources:\n- deploy.yaml\n",
        "overlays/dev/kustomization.yaml": "resources:\n- ../../base\n",
        "overlays/prod/kustomization.yaml": "resources:\n- ../../base\npatches:\n- path: replicas.yaml\n",
        "overlays/prod/replicas.yaml": PATCH,
        "solo/deploy.yaml": SOLO,
        "solo/kustomization.yaml": "resources:\n- deploy.yaml\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(args) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


@needs_kustomize
def test_cost_lists_one_item_per_overlay(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(["cost", ".", "--format", "json", "--no-cache"], capsys)
    items = {(i["path"], i["name"]): i for i in doc["items"]}  # type: ignore[attr-defined]
    dev = items[("base/deploy.yaml", "Deployment default/vllm (kustomize overlay overlays/dev)")]
    prod = items[("base/deploy.yaml", "Deployment default/vllm (kustomize overlay overlays/prod)")]
    assert prod["usd_per_month"] == pytest.approx(2 * dev["usd_per_month"], abs=0.02)  # prod runs 2 replicas
    # built by one kustomization only: named as any object
    assert ("solo/deploy.yaml", "Deployment default/solo") in items
    assert len(items) == len(doc["items"]) == 3  # type: ignore[arg-type]


@needs_kustomize
def test_check_counts_each_overlay_once(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(["check", ".", "--format", "json", "--no-cache", "--fail-on", "never"], capsys)
    findings = doc["findings"]
    on_base = [f for f in findings if f["path"] == "base/deploy.yaml"]  # type: ignore[attr-defined]
    objects = {f["object"] for f in on_base}
    assert objects == {
        "Deployment default/vllm (kustomize overlay overlays/dev)",
        "Deployment default/vllm (kustomize overlay overlays/prod)",
    }
    assert all(f["object"] in f["message"] for f in on_base)
    assert len({f["fingerprint"] for f in findings}) == len(findings)  # type: ignore[arg-type]
    totals = doc["summary"]["totals"]  # type: ignore[index]
    # 1 GPU (dev) + 2 GPUs (prod) + 1 GPU (solo), 730 h each: both overlays counted
    assert totals["objects"] == 3 and totals["gpu_hours_per_month"] == 4 * 730.0


@needs_kustomize
def test_identical_overlays_are_two_objects(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "overlays" / "prod" / "kustomization.yaml").write_text("resources:\n- ../../base\n", encoding="utf-8")
    doc = _json(["cost", ".", "--format", "json", "--no-cache"], capsys)
    names = sorted(i["name"] for i in doc["items"] if i["path"] == "base/deploy.yaml")  # type: ignore[attr-defined]
    assert names == [
        "Deployment default/vllm (kustomize overlay overlays/dev)",
        "Deployment default/vllm (kustomize overlay overlays/prod)",
    ]


def test_overlay_names_only_objects_several_builds_share() -> None:
    docs = [
        render.RenderedDoc("a", 1, "dev", ("Deployment", None, "vllm")),
        render.RenderedDoc("b", 1, "prod", ("Deployment", None, "vllm")),
        render.RenderedDoc("c", 9, "dev", ("Service", None, "vllm")),
        render.RenderedDoc("d", 9, "prod", ("Service", "other", "vllm")),  # a namespace tells it apart
        render.RenderedDoc("e", 20, "", ("ConfigMap", None, "x")),
    ]
    assert render.Rendered(docs).overlays() == ["dev", "prod", "", "", ""]
