"""`check --fix` on AIL203 and AIL304 (unsafe: only with --unsafe-fixes) and AIL501 (safe)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_fix_core import CORPUS, FIXTURES, changed_lines, findings, lines_of

from aiinfralint.cli import main

FIX = ["check", "--fix", "--no-cache", "--fail-on", "never"]


def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path) -> Path:
    target = tmp_path / source.name
    (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    monkeypatch.chdir(tmp_path)
    return target


def texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if p.suffix == ".yaml"}


def test_scale_to_zero_only_with_unsafe_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy(tmp_path, monkeypatch, FIXTURES / "k8s" / "ail203-bad-scale-to-zero")
    before = texts(folder)
    capsys.readouterr()
    main(["check", "--format", "json", "--no-cache", folder.name])
    described = [f["fix"]["description"] for f in json.loads(capsys.readouterr().out)["findings"] if f.get("fix")]
    assert len(described) == 4 and any("adds $734/month" in d for d in described)
    main([*FIX, "--no-progress", folder.name])
    assert texts(folder) == before
    assert "4 fixable with --fix --unsafe-fixes" in capsys.readouterr().out
    main([*FIX, "--unsafe-fixes", folder.name])
    after = texts(folder)
    assert changed_lines(before["kserve-llama.yaml"], after["kserve-llama.yaml"]) == (
        ["    minReplicas: 0  # expect: AIL203\n"],
        ["    minReplicas: 1  # expect: AIL203\n"],
    )
    assert changed_lines(before["keda-tgi.yaml"], after["keda-tgi.yaml"]) == ([], ["  minReplicaCount: 1\n"])
    assert changed_lines(before["knative-qwen.yaml"], after["knative-qwen.yaml"]) == (
        [],
        ['        autoscaling.knative.dev/min-scale: "1"\n'],
    )
    assert lines_of(findings(capsys, folder.name), "AIL203") == []
    main([*FIX, "--unsafe-fixes", folder.name])
    assert texts(folder) == after


def test_carbon_annotations_and_feature_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy(tmp_path, monkeypatch, FIXTURES / "carbon")
    before = {p.relative_to(folder): p.read_text() for p in folder.rglob("*.yaml")}
    assert len(lines_of(findings(capsys, "carbon"), "AIL501")) == 6
    main([*FIX, "carbon"])
    after = {p.relative_to(folder): p.read_text() for p in folder.rglob("*.yaml")}
    removed, added = changed_lines(
        before[Path("gpu-workloads-without-carbon/training.yaml")],
        after[Path("gpu-workloads-without-carbon/training.yaml")],
    )
    assert removed == []
    assert added[0] == "  annotations:\n" and added[1] == '    aiinfralint/carbon-kgco2e-per-month: "81"\n'
    assert added[3].startswith('    aiinfralint/carbon-source: "aiinfralint estimate for batch')
    removed, added = changed_lines(
        before[Path("features-without-carbon/features.yaml")], after[Path("features-without-carbon/features.yaml")]
    )
    assert removed == [] and added == [
        '  carbon: {kgco2ePerMonth: 1131, kwhPerMonth: 2984, method: "aiinfralint estimate: vendor Wh/request x PUE x grid"}\n'
    ]
    # left: a feature whose vendor publishes no energy figure (nothing to write)
    assert len(lines_of(findings(capsys, "carbon"), "AIL501")) == 1
    main([*FIX, "carbon"])
    assert {p.relative_to(folder): p.read_text() for p in folder.rglob("*.yaml")} == after


def test_pin_feature_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy(tmp_path, monkeypatch, FIXTURES / "provider" / "features-risky")
    before = (folder / "features.yaml").read_text()
    main([*FIX, "--unsafe-fixes", "--select", "AIL304", folder.name])
    removed, added = changed_lines(before, (folder / "features.yaml").read_text())
    assert removed == ["  model: gpt-4o   # expect: AIL304\n"]
    assert added == ["  model: gpt-4o-2024-08-06   # expect: AIL304\n"]


def test_pin_litellm_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "litellm-config.yaml"
    config.write_text(
        "model_list:\n"
        '  - model_name: a\n    litellm_params:\n      model: "openai/gpt-4o"\n      aws_region_name: us-east-1\n'
        "  - model_name: a\n    litellm_params:\n      model: claude-sonnet-4-5-latest\n      region_name: eu-west-1\n"
    )
    monkeypatch.chdir(tmp_path)
    assert lines_of(findings(capsys, config.name), "AIL304") == [4]
    main([*FIX, "--unsafe-fixes", config.name])
    assert '      model: "openai/gpt-4o-2024-08-06"\n' in config.read_text()
    assert "      model: claude-sonnet-4-5-20250929\n" in config.read_text()
    assert lines_of(findings(capsys, config.name), "AIL304") == []


CORPUS_FILES = [
    (
        "GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/gke-online-serving-single-gpu/src/gke-config/deployment-triton.yaml",
        "AIL501",
        [],
    ),
    ("substratusai__kubeai/manifests/models/deepseek-r1-distill-llama-8b-l4.yaml", "AIL203", ["--unsafe-fixes"]),
]


@pytest.mark.parametrize(("rel", "code", "extra"), CORPUS_FILES)
def test_corpus_round_trip(
    rel: str,
    code: str,
    extra: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = CORPUS / rel
    if not source.is_file():
        pytest.skip("the corpus is not here")
    target = copy(tmp_path, monkeypatch, source)
    before = target.read_text()
    assert lines_of(findings(capsys, target.name), code)
    main([*FIX, *extra, target.name])
    after = target.read_text()
    removed, added = changed_lines(before, after)
    # AIL203 keeps a replica warm, so AIL501 then asks for its carbon: the same run states it
    assert 1 <= len(added) <= 6 and len(removed) <= 1
    assert lines_of(findings(capsys, target.name), code) == []
    main([*FIX, *extra, target.name])
    assert target.read_text() == after
