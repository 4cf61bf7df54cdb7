"""SARIF 2.1.0: schema-valid on every fixture, rules with help, stable fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from fixture_harness import fixture_cases

from aiinfralint.config import Config, load_file
from aiinfralint.pipeline.engine import RunOptions, run
from aiinfralint.report.base import ReportOptions
from aiinfralint.report.sarif import FINGERPRINT_KEY, build

SCHEMA = ROOT.parent / "shared" / "reference" / "sarif-schema-2.1.0.json"

MANIFEST = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-finetune
  namespace: ml
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: train
            image: ghcr.io/acme/finetune:1.4
            resources:
              limits:
                nvidia.com/gpu: 8
"""

BROKEN = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"


def _validator():
    if not SCHEMA.exists():
        pytest.skip(f"SARIF schema not present at {SCHEMA}")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _sarif(cwd: Path, config: Config | None = None) -> dict:
    result = run(RunOptions(paths=["."], config=config or Config(), cwd=cwd, use_cache=False, jobs=1))
    return build(result, ReportOptions(cwd=cwd))


CASES = fixture_cases(FIXTURES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_sarif_is_schema_valid(case):
    validator = _validator()
    cfg = case / ".aiinfralint.toml"
    doc = _sarif(case, load_file(cfg) if cfg.exists() else None)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_all_fixtures_in_one_run_are_schema_valid_and_complete():
    validator = _validator()
    if not CASES:
        pytest.skip("no fixtures yet")
    doc = _sarif(FIXTURES)
    validator.validate(doc)
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for r in rules:
        assert r["helpUri"].endswith(f"/rules/{r['id']}-{r['name']}.md")
        assert r["help"]["markdown"].startswith(f"# {r['id']}")
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"][FINGERPRINT_KEY]


def test_result_fields(tmp_path):
    validator = _validator()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "train.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "deploy" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    doc = _sarif(tmp_path)
    validator.validate(doc)
    results = doc["runs"][0]["results"]
    broken = [r for r in results if r["ruleId"] == "AIL000"]
    assert broken and broken[0]["level"] == "error"
    assert broken[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deploy/broken.yaml"
    priced = [r for r in results if r["properties"].get("impact", {}) and r["properties"]["impact"]["usd_per_month"]]
    for r in priced:
        imp = r["properties"]["impact"]
        assert imp["assumptions"], "every number carries its assumptions"
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]


def test_paths_are_relative_to_the_repository_root(tmp_path):
    (tmp_path / ".git").mkdir()  # a work tree root, as far as path mapping is concerned
    sub = tmp_path / "infra" / "k8s"
    sub.mkdir(parents=True)
    (sub / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    doc = _sarif(sub, Config(respect_gitignore=False))
    [res] = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/k8s/broken.yaml"
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_fingerprints_survive_lines_inserted_above(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d, text in (
        (a, MANIFEST),
        (b, "# moved down\n\n\n\n" + MANIFEST.replace("kind: CronJob", "kind: CronJob\n\n")),
    ):
        (d / "deploy").mkdir(parents=True)
        (d / "deploy" / "train.yaml").write_text(text, encoding="utf-8")
        (d / "deploy" / "broken.yaml").write_text(("\n\n" if d is b else "") + BROKEN, encoding="utf-8")
    ra = run(RunOptions(paths=["."], cwd=a, use_cache=False, jobs=1)).findings
    rb = run(RunOptions(paths=["."], cwd=b, use_cache=False, jobs=1)).findings
    assert ra, "the manifest must produce findings for this test to mean anything"
    assert [f.code for f in ra] == [f.code for f in rb]
    moved = [(fa.code, fa.line, fb.line) for fa, fb in zip(ra, rb) if fa.line != fb.line]
    assert moved, "lines must have moved"
    fa_sarif = _sarif(a)["runs"][0]["results"]
    fb_sarif = _sarif(b)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in fa_sarif] == [r["partialFingerprints"] for r in fb_sarif]


def test_cli_writes_sarif(tmp_path, monkeypatch, capsys):
    from aiinfralint.cli import main

    (tmp_path / "train.yaml").write_text(MANIFEST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "sarif", "--output", "out.sarif", "--fail-on", "never"]) == 0
    doc = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert doc["version"] == "2.1.0" and doc["runs"][0]["tool"]["driver"]["name"] == "aiinfralint"
