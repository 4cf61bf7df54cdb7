"""Templates are not YAML: recognised by content and skipped, never AIL000 nor fake objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.files import parse_text, template_reason
from aiinfralint.pipeline.engine import RunOptions, run

DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 1\n"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (DEPLOY.format(name="${deployment_name}", ns="${namespace}"), "Terraform/envsubst"),
        ("%{ for p in ports ~}\n- port: ${p}\n%{ endfor ~}\n", "Terraform/envsubst"),
        (DEPLOY.format(name="{model}-server", ns="default"), "Python-format"),
        ("    - image: {username}/torchserve-gpu:latest\n", "Python-format"),
        ("{% for m in models %}\nkind: Deployment\n{% endfor %}\n", "Go/Jinja"),
        (DEPLOY.format(name="x", ns="default").replace("replicas: 1", "replicas: ${REPLICAS}"), "Terraform/envsubst"),
    ],
)
def test_templates_are_recognised(text: str, what: str) -> None:
    reason = template_reason(text)
    assert reason is not None and reason.startswith(what) and reason.endswith("template: render it first")
    out = parse_text(FileInput("deploy/app.yaml", text))
    assert not out.objects and not out.problems


@pytest.mark.parametrize(
    "text",
    [
        DEPLOY.format(name="vllm", ns="default"),
        'args: ["sh", "-c", "echo ${HOME}"]\n',
        '  command: curl -w "%{http_code}" x\n',
        '  summary: "{{ $labels.instance }} down"\n',
        "emptyDir: {}\nx: {a: 1}\n",
        "run: echo ${{ secrets.A }}\n",
    ],
)
def test_plain_yaml_is_not_a_template(text: str) -> None:
    assert template_reason(text) is None


def test_kustomize_patch_is_not_an_object() -> None:
    text = DEPLOY.format(name="vllm", ns="replaced-by-kustomize")
    out = parse_text(FileInput("overlay/patch.yaml", text))
    assert not out.objects and out.skipped is not None and "Kustomize patch" in out.skipped


def test_template_fixtures_from_public_repositories_are_skipped_not_ail000() -> None:
    case = Path(__file__).resolve().parent.parent / "fixtures" / "k8s" / "templates"
    result = run(RunOptions(paths=["."], cwd=case, use_cache=False, jobs=1))
    assert not result.findings
    skipped = dict(result.skipped)
    want = {
        "terraform-mlflow-values.yaml": "Terraform/envsubst",
        "envsubst-metrics-reader.yaml": "Terraform/envsubst",
        "python-format-torchserve-gpu.yaml": "Python-format",
        "go-template-service-predictor.yaml": "Go/Jinja",
    }
    for name, what in want.items():
        assert skipped[name] == f"{what} template: render it first"
