"""Discovery, kinds of files, YAML that is not ours, suppression and Helm templates."""

from __future__ import annotations

import subprocess

from aiinfralint.config import Config

CLOUDFORMATION = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-data"
  Role:
    Type: AWS::IAM::Role
    Properties:
      Arn: !GetAtt Bucket.Arn
      Ref: !Ref Bucket
"""
WORKFLOW = """name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest
"""
COMPOSE = """services:
  vllm:
    image: vllm/vllm-openai:latest
    command: --model meta-llama/Llama-3.1-8B-Instruct
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
"""
HELM_VALUES = """replicaCount: 1
image:
  repository: vllm/vllm-openai
resources:
  limits:
    nvidia.com/gpu: 1
"""
HELM_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
spec:
  replicas: {{ .Values.replicaCount }}
"""


def test_yaml_that_is_not_ours_gives_nothing(run_check):
    result = run_check(
        {
            "cfn.yaml": CLOUDFORMATION,
            ".github/workflows/ci.yml": WORKFLOW,
            "docker-compose.yaml": COMPOSE,
            "charts/vllm/values.yaml": HELM_VALUES,
            "broken-not-ours.yaml": "foo: [unclosed\nbar: {",
        }
    )
    assert result.findings == []
    assert result.files_checked == 0


def test_helm_template_is_skipped_with_hint(run_check):
    result = run_check({"charts/x/templates/deploy.yaml": HELM_TEMPLATE})
    assert result.findings == []
    (reason,) = [r for p, r in result.skipped if p.endswith("deploy.yaml")]
    assert "helm template" in reason and "aiinfralint check -" in reason


def test_list_kind_and_multi_document(run_check):
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n"
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c\n"
    )
    result = run_check({"all.yaml": text})
    names = sorted((o.name, o.span.line) for o in result.project.objects)
    assert names == [("a", 4), ("b", 7), ("c", 11)]


def test_json_manifest_has_positions(run_check):
    text = '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": "svc"}\n}\n'
    result = run_check({"svc.json": text})
    (obj,) = result.project.objects
    assert obj.name == "svc" and obj.span.line == 1


def test_unknown_tags_are_inert_data(run_check, tmp_path):
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
        "data:\n  a: !!python/object/apply:os.system ['touch pwned']\n"
    )
    result = run_check({"cm.yaml": text})
    assert not (tmp_path / "pwned").exists()
    assert [f.code for f in result.findings] == []


def test_inline_suppression_and_file_suppression(run_check):
    broken = (
        "# aiinfralint: ignore-file[AIL000] fixture kept broken on purpose\napiVersion: v1\nkind: Service\n  bad: [\n"
    )
    result = run_check({"a.yaml": broken})
    assert result.findings == [] and len(result.suppressed) == 1


def test_suppression_requires_codes(run_check):
    broken = "# aiinfralint: ignore[] no codes\napiVersion: v1\nkind: Service\n  bad: [\n"
    result = run_check({"a.yaml": broken})
    assert [f.code for f in result.findings] == ["AIL000"]


def test_per_file_ignores_and_exclude(run_check):
    broken = "apiVersion: v1\nkind: Service\n  bad: [\n"
    cfg = Config.model_validate({"per_file_ignores": {"legacy/*": ["AIL000"]}, "exclude": ["vendor"]})
    result = run_check({"legacy/a.yaml": broken, "vendor/b.yaml": broken, "c.yaml": broken}, config=cfg)
    assert [f.span.path for f in result.findings] == ["c.yaml"]
    assert ("vendor", "excluded by configuration") in result.skipped


def test_gitignore_is_honoured(run_check, tmp_path):
    broken = "apiVersion: v1\nkind: Service\n  bad: [\n"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")
    result = run_check({"generated/a.yaml": broken, "b.yaml": broken})
    assert [f.span.path for f in result.findings] == ["b.yaml"]


def test_invalid_utf8_in_claimed_file_is_a_finding(run_check):
    data = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: \xff\xfe\xfa\n"
    result = run_check({"svc.yaml": data})
    assert [f.code for f in result.findings] == ["AIL000"]
    assert "UTF-8" in result.findings[0].message


def test_binary_and_unclaimed_are_skipped(run_check):
    result = run_check({"blob.json": b"\x00\x01\x02" * 100, "notes.txt": "hello"})
    assert result.findings == []
    reasons = dict(result.skipped)
    assert reasons["blob.json"] == "binary file"


def test_kubernetes_annotation_suppresses(run_check):
    from aiinfralint.model.k8s import Workload

    text = (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n"
        '    aiinfralint/ignore: "AIL201, AIL501"\nspec:\n  template:\n    spec:\n'
        "      containers:\n      - name: c\n        image: busybox\n"
    )
    result = run_check({"job.yaml": text})
    (job,) = list(result.project.of_type(Workload))
    assert job.ignore == frozenset({"AIL201", "AIL501"})
