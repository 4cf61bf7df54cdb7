"""Kustomize builds: origins map findings to source files; refusals; no binary; Helm without helm."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiinfralint.config import Config
from aiinfralint.pipeline import render
from aiinfralint.pipeline.engine import RunOptions, run

GPU_DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai
          resources:
            limits:
              nvidia.com/gpu: 1
"""
PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm\nspec:\n  replicas: 2\n"


def _tree(tmp: Path, overlay: str) -> Path:
    (tmp / "base").mkdir()
    (tmp / "base" / "deploy.yaml").write_text(GPU_DEPLOY)
    (tmp / "base" / "kustomization.yaml").write_text("resources:\n- deploy.yaml\n")
    (tmp / "overlay").mkdir()
    (tmp / "overlay" / "patch.yaml").write_text(PATCH)
    (tmp / "overlay" / "kustomization.yaml").write_text(overlay)
    return tmp


def _run(tmp: Path) -> object:
    return run(RunOptions(paths=["."], cwd=tmp, use_cache=False, jobs=1))


@pytest.mark.skipif(render.kustomize_command() is None, reason="no kubectl or kustomize on PATH")
def test_overlay_is_built_and_findings_point_at_the_base(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "namespace: prod\nresources:\n- ../base\npatches:\n- path: patch.yaml\n")
    result = _run(tree)
    assert {o.span.path for o in result.project.objects} == {"base/deploy.yaml"}  # type: ignore[attr-defined]
    objs = [o for o in result.project.objects if getattr(o, "name", None) == "vllm"]  # type: ignore[attr-defined]
    assert objs and all(o.span.path == "base/deploy.yaml" and o.span.line == 2 for o in objs)
    assert any(o.namespace == "prod" for o in objs)
    skipped = dict(result.skipped)  # type: ignore[attr-defined]
    assert "Kustomize patch" in skipped["overlay/patch.yaml"]
    assert list((tmp_path / "overlay").iterdir()) and not (tmp_path / "overlay" / ".aiinfralint").exists()


@pytest.mark.parametrize(
    ("overlay", "why"),
    [
        ("resources:\n- https://github.com/x/y//base?ref=v1\n", "remote"),
        ("resources:\n- github.com/x/y/base\n", "remote"),
        ("resources:\n- ../../outside\n", "outside the checked folder"),
        ("resources:\n- /etc\n", "outside the checked folder"),
        ("helmCharts:\n- name: x\n  repo: https://charts.example\n", "helmCharts"),
    ],
)
def test_refused_kustomizations_are_not_built(tmp_path: Path, overlay: str, why: str) -> None:
    k = _tree(tmp_path, overlay) / "overlay" / "kustomization.yaml"
    assert why in (render.read_kustomization(k, tmp_path.resolve()).refused or "")


def test_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    tree = _tree(tmp_path / "repo", "resources:\n- ../base\n- secret.yaml\n")
    (tmp_path / "outside.yaml").write_text(GPU_DEPLOY)
    (tree / "overlay" / "secret.yaml").symlink_to(tmp_path / "outside.yaml")
    refused = render.read_kustomization(tree / "overlay" / "kustomization.yaml", tree.resolve()).refused
    assert refused and "outside the checked folder" in refused


def test_minimal_environment_has_no_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    env = render.minimal_env(str(tmp_path))
    assert set(env) >= {"PATH", "HOME"} and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == str(tmp_path) and env["KUBECONFIG"].startswith(str(tmp_path))


def test_time_limit_and_output_cap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(render, "TIME_LIMIT", 0.5)
    with pytest.raises(render.RenderError, match="longer than"):
        render.run_tool(["sleep", "5"], str(tmp_path))
    monkeypatch.setattr(render, "OUTPUT_CAP", 1000)
    with pytest.raises(render.RenderError, match=r"wrote more than|failed"):
        render.run_tool(["head", "-c", "100000", "/dev/zero"], str(tmp_path))


def test_without_a_binary_patches_are_skipped_and_bases_linted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(render, "kustomize_command", lambda: None)
    result = _run(_tree(tmp_path, "resources:\n- ../base\npatches:\n- path: patch.yaml\n"))
    assert {o.span.path for o in result.project.objects} == {"base/deploy.yaml"}  # type: ignore[attr-defined]
    assert "Kustomize patch" in dict(result.skipped)["overlay/patch.yaml"]  # type: ignore[attr-defined]


@pytest.mark.skipif(shutil.which("helm") is not None, reason="helm is on PATH: the chart is rendered")
def test_chart_without_helm_is_one_skip(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "vllm"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: vllm\nversion: 0.1.0\n")
    for n in range(3):
        (chart / "templates" / f"t{n}.yaml").write_text("kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n")
    result = _run(tmp_path)
    entries = [(p, r) for p, r in result.skipped if p.startswith("charts/vllm/templates") or p == "charts/vllm"]  # type: ignore[attr-defined]
    assert entries == [("charts/vllm", render.HELM_HINT)]


HELM_OUTPUT = """---
# Source: vllm/templates/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: release-vllm
---
# Source: vllm/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-vllm
"""


def test_helm_source_comments_map_to_template_files() -> None:
    docs = render.source_documents(HELM_OUTPUT)
    assert [rel for _, rel in docs] == ["templates/svc.yaml", "templates/deploy.yaml"]
    template = (
        "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    )
    assert render.anchor_line(template, "Deployment", "release-vllm") == 3


@pytest.mark.skipif(shutil.which("helm") is None, reason="helm is not on PATH: rendering cannot be tested here")
def test_chart_is_rendered_with_helm(tmp_path: Path) -> None:
    chart = tmp_path / "vllm"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: vllm\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("gpus: 1\n")
    (chart / "templates" / "deploy.yaml").write_text(GPU_DEPLOY.replace("gpu: 1", "gpu: {{ .Values.gpus }}"))
    result = _run(tmp_path)
    assert {f.span.path for f in result.findings} == {"vllm/templates/deploy.yaml"}  # type: ignore[attr-defined]


def test_helm_values_config_is_validated() -> None:
    with pytest.raises(Exception, match="relative path inside"):
        Config(helm={"values": {"charts/x": ["../../etc/passwd"]}})
