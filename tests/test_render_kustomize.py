"""Kustomize builds: origins map findings to source files; refusals; no binary; Helm without helm."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiinfralint.config import Config
from aiinfralint.pipeline import parallel, render
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


KUSTOMIZE_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "k8s" / "kustomize"


@pytest.mark.skipif(render.kustomize_command() is None, reason="no kubectl or kustomize on PATH")
def test_llm_d_overlay_fixture_needs_the_build() -> None:
    result = run(RunOptions(paths=["."], cwd=KUSTOMIZE_FIXTURE, use_cache=False, jobs=2))
    assert [(f.span.path, f.span.line, f.code) for f in result.findings] == [("base/hpa.yaml", 12, "AIL204")]
    assert "optimized-baseline-nvidia-gpu-vllm-decode" in result.findings[0].message
    assert "Kustomize patch" in dict(result.skipped)["overlay/patch-vllm.yaml"]


def test_llm_d_overlay_fixture_without_a_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "kustomize_command", lambda: None)
    result = run(RunOptions(paths=["."], cwd=KUSTOMIZE_FIXTURE, use_cache=False, jobs=1))
    assert not result.findings  # the base alone serves no LLM: the patch is what says vLLM on GPUs
    assert "Kustomize patch" in dict(result.skipped)["overlay/patch-vllm.yaml"]


@pytest.mark.skipif(render.kustomize_command() is None, reason="no kubectl or kustomize on PATH")
def test_rendered_documents_are_parsed_by_the_pool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def not_alone(*_: object) -> None:
        raise AssertionError("a rendered source parsed in a worker of its own")

    monkeypatch.setattr(parallel, "parse_given", not_alone)
    tree = _tree(tmp_path, "resources:\n- ../base\npatches:\n- path: patch.yaml\n")
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "kustomization.yaml").write_text("resources:\n- ../base\nnamePrefix: b-\n")
    result = _run(tree)
    assert {o.span.path for o in result.project.objects} == {"base/deploy.yaml"}  # type: ignore[attr-defined]
    names = {getattr(o, "name", None) for o in result.project.objects}  # type: ignore[attr-defined]
    assert {"vllm", "b-vllm"} <= names


def test_builds_run_side_by_side_in_order() -> None:
    def build(n: int) -> int:
        if n % 2:
            raise render.RenderError(f"odd {n}")
        return n * 10

    got = render._each(build, list(range(6)), 3)
    assert [g if isinstance(g, int) else str(g) for g in got] == [0, "odd 1", 20, "odd 3", 40, "odd 5"]


def test_failure_reason_drops_kubectl_log_prefix(tmp_path: Path) -> None:
    script = (
        "echo 'E1201 17:58:36.635753   10321 run.go:72] \"command failed\" err=<' >&2; "
        "echo '\tmissing file patch.yaml' >&2; echo ' >' >&2; exit 1"
    )
    with pytest.raises(render.RenderError) as err:
        render.run_tool(["sh", "-c", script], str(tmp_path))
    assert str(err.value) == "sh failed: missing file patch.yaml"
    with pytest.raises(render.RenderError) as err:
        render.run_tool(
            ["sh", "-c", "echo 'E1201 17:58:36.635753 1 run.go:72] \"command failed\" err=x' >&2; exit 1"],
            str(tmp_path),
        )
    assert str(err.value) == 'sh failed: "command failed" err=x'


def test_go_runtime_collects_less_often_but_bounded(tmp_path: Path) -> None:
    env = render.minimal_env(str(tmp_path))
    assert env["GOGC"] == "400" and env["GOMEMLIMIT"].endswith("GiB")


def test_kustomize_runs_without_plugins_and_loads_from_its_root_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}" if name == "kubectl" else None)
    argv = render.kustomize_command()
    assert argv == ["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsRootOnly"]
    assert not any(flag in " ".join(argv) for flag in ("--enable-alpha-plugins", "--enable-exec", "--enable-helm"))


def test_tools_run_in_a_temporary_folder_with_the_minimal_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    out = render.run_tool(["sh", "-c", "pwd; env"], str(tmp_path))
    lines = out.splitlines()
    assert lines[0] == str(tmp_path)
    names = {ln.split("=", 1)[0] for ln in lines[1:] if "=" in ln}
    assert "GITHUB_TOKEN" not in names and names <= set(render.minimal_env(str(tmp_path))) | {"PWD", "SHLVL", "_"}


def test_chart_copy_follows_no_symlink(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (tmp_path / "secret").write_text("token")
    (chart / "templates" / "leak.yaml").symlink_to(tmp_path / "secret")
    (chart / "linked").symlink_to(tmp_path, target_is_directory=True)
    copy = tmp_path / "copy"
    render._copy_chart(chart, copy)
    assert (copy / "Chart.yaml").is_file()
    assert not (copy / "templates" / "leak.yaml").exists() and not (copy / "linked").exists()


@pytest.mark.skipif(render.kustomize_command() is None, reason="no kubectl or kustomize on PATH")
def test_a_checked_path_with_dotdot_builds_only_the_overlay(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _tree(repo, "namePrefix: p-\nresources:\n- ../base\npatches:\n- path: patch.yaml\n")
    (tmp_path / "work").mkdir()
    result = run(RunOptions(paths=["../repo"], cwd=tmp_path / "work", use_cache=False, jobs=1))
    objs = [(o.kind, o.name, o.span.path) for o in result.project.objects if o.kind == "Deployment"]  # type: ignore[attr-defined]
    assert objs == [("Deployment", "p-vllm", "../repo/base/deploy.yaml")]  # not the base's, not the patch's
    assert [fr.path for fr in result.files].count("../repo/base/deploy.yaml") == 1  # type: ignore[attr-defined]


@pytest.mark.skipif(render.kustomize_command() is None, reason="no kubectl or kustomize on PATH")
def test_a_kustomization_that_fails_to_build_has_one_skip_entry(tmp_path: Path) -> None:
    inline = "patches:\n- target:\n    kind: Deployment\n  patch: |-\n    $patch: delete\n    kind: Deployment\n"
    _tree(tmp_path, "resources:\n- ../base\n- missing.yaml\n" + inline)
    entries = [r for p, r in _run(tmp_path).skipped if p == "overlay/kustomization.yaml"]  # type: ignore[attr-defined]
    assert len(entries) == 1 and entries[0].startswith("kustomization not built: ") and " failed: " in entries[0]
