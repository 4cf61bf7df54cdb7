"""AIL205 over Ingresses: GKE Ingress with BackendConfig, ALB defaults, and backends not in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfralint.config import Config
from aiinfralint.model.finding import Finding
from aiinfralint.pipeline.engine import RunOptions, run

_VLLM = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: vllm, namespace: llm}
spec:
  selector: {matchLabels: {app: vllm}}
  template:
    metadata: {labels: {app: vllm}}
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.6.3
"""


def _service(annotation: str = "") -> str:
    ann = f"\n  annotations:\n    cloud.google.com/backend-config: '{annotation}'" if annotation else ""
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: vllm
  namespace: llm{ann}
spec:
  selector: {{app: vllm}}
  ports:
  - {{name: http, port: 8000}}
"""


def _backend_config(name: str, timeout: int | None) -> str:
    spec = f"timeoutSec: {timeout}" if timeout is not None else "healthCheck: {requestPath: /health}"
    return f"""\
apiVersion: cloud.google.com/v1
kind: BackendConfig
metadata: {{name: {name}, namespace: llm}}
spec:
  {spec}
"""


def _ingress(cls: str = "gce", service: str = "vllm", port: str = "number: 8000", annotations: str = "") -> str:
    extra = "".join(f"\n    {line}" for line in annotations.splitlines())
    return f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: llm
  annotations:
    kubernetes.io/ingress.class: "{cls}"{extra}
spec:
  defaultBackend:
    service:
      name: {service}
      port: {{{port}}}
"""


def _run(tmp_path: Path, *docs: str) -> list[Finding]:
    for i, doc in enumerate(docs):
        (tmp_path / f"k{i}.yaml").write_text(doc, encoding="utf-8")
    result = run(RunOptions(paths=["."], config=Config(), cwd=tmp_path, use_cache=False, jobs=1))
    return [f for f in result.findings if f.code == "AIL205"]


def test_gke_ingress_without_backend_config_has_the_30_s_default(tmp_path: Path) -> None:
    found = _run(tmp_path, _VLLM, _service(), _ingress())
    assert [(f.severity.value, f.impact.latency_ms) for f in found] == [("warning", 30_000)]
    assert "GKE Ingress (GCE load balancer)" in found[0].message
    assert "GCE default: Service llm/vllm names no BackendConfig" in found[0].message
    assert "BackendConfig" in found[0].remediation


def test_gke_ingress_class_from_spec_and_internal(tmp_path: Path) -> None:
    ing = (
        _ingress()
        .replace('    kubernetes.io/ingress.class: "gce"\n', "")
        .replace("spec:\n  defaultBackend", "spec:\n  ingressClassName: gce-internal\n  defaultBackend")
    )
    assert [f.impact.latency_ms for f in _run(tmp_path, _VLLM, _service(), ing)] == [30_000]


def test_backend_config_timeout_raised_is_silent(tmp_path: Path) -> None:
    docs = (_VLLM, _service('{"default": "long"}'), _backend_config("long", 3600), _ingress())
    assert _run(tmp_path, *docs) == []


def test_backend_config_short_timeout_points_at_it(tmp_path: Path) -> None:
    found = _run(tmp_path, _VLLM, _service('{"default": "short"}'), _backend_config("short", 60), _ingress())
    assert [f.impact.latency_ms for f in found] == [60_000]
    assert "BackendConfig llm/short spec.timeoutSec" in found[0].message
    assert found[0].span.path.endswith("k2.yaml")
    assert found[0].span.line == 5


def test_backend_config_without_timeout_sec_keeps_the_default(tmp_path: Path) -> None:
    found = _run(tmp_path, _VLLM, _service('{"default": "hc"}'), _backend_config("hc", None), _ingress())
    assert [f.impact.latency_ms for f in found] == [30_000]
    assert "sets no timeoutSec" in found[0].message


@pytest.mark.parametrize(
    ("annotation", "port", "latency"),
    [
        ('{"ports": {"8000": "long"}}', "number: 8000", None),  # the port's own config
        ('{"ports": {"http": "long"}}', "name: http", None),
        ('{"ports": {"9000": "long"}}', "number: 8000", 30_000),  # another port's config: default
        ('{"ports": {"9000": "long"}, "default": "short"}', "number: 8000", 60_000),
    ],
)
def test_backend_config_by_port(tmp_path: Path, annotation: str, port: str, latency: float | None) -> None:
    docs = (_VLLM, _service(annotation), _backend_config("long", 3600), _backend_config("short", 60))
    found = _run(tmp_path, *docs, _ingress(port=port))
    assert [f.impact.latency_ms for f in found] == ([latency] if latency else [])


@pytest.mark.parametrize(
    ("annotation", "port"),
    [
        ('{"ports": {"http": "short"}}', "number: 8000"),  # port names vs numbers: the Service's ports decide
        ('{"default": "elsewhere"}', "number: 8000"),  # a BackendConfig defined outside the repository
        ("{not json", "number: 8000"),
        ('["short"]', "number: 8000"),
    ],
)
def test_backend_config_that_cannot_be_read_is_silent(tmp_path: Path, annotation: str, port: str) -> None:
    docs = (_VLLM, _service(annotation), _backend_config("short", 60))
    assert _run(tmp_path, *docs, _ingress(port=port)) == []


def test_gce_class_wins_over_nginx_annotations(tmp_path: Path) -> None:
    ing = _ingress(annotations='nginx.ingress.kubernetes.io/proxy-read-timeout: "600"')
    found = _run(tmp_path, _VLLM, _service(), ing)
    assert [(f.impact.latency_ms, "GKE Ingress" in f.message) for f in found] == [(30_000, True)]


def test_alb_default_and_raised_idle_timeout(tmp_path: Path) -> None:
    found = _run(tmp_path, _VLLM, _service(), _ingress(cls="alb"))
    assert [(f.severity.value, f.impact.latency_ms) for f in found] == [("warning", 60_000)]
    assert "idle_timeout.timeout_seconds not set" in found[0].message
    raised = 'alb.ingress.kubernetes.io/load-balancer-attributes: "idle_timeout.timeout_seconds=3600"'
    assert _run(tmp_path, _VLLM, _service(), _ingress(cls="alb", annotations=raised)) == []


@pytest.mark.parametrize(("cls", "latency"), [("alb", 60_000), ("nginx", 60_000), ("gce", 30_000)])
def test_unfound_backend_named_like_an_llm_server_is_info(tmp_path: Path, cls: str, latency: float) -> None:
    found = _run(tmp_path, _ingress(cls=cls, service="tgi-llama-predictor"))
    assert [(f.severity.value, f.impact.latency_ms) for f in found] == [("info", latency)]
    assert "Service llm/tgi-llama-predictor, not found in the repository but named like an LLM server" in (
        found[0].message
    )


@pytest.mark.parametrize("name", ["frontend", "vllmish", "billing"])
def test_unfound_backend_not_named_like_an_llm_server_is_silent(tmp_path: Path, name: str) -> None:
    assert _run(tmp_path, _ingress(cls="alb", service=name)) == []


def test_backend_in_repository_that_is_not_an_llm_server_is_silent(tmp_path: Path) -> None:
    web = _VLLM.replace("vllm/vllm-openai:v0.6.3", "nginx:1.27")
    assert _run(tmp_path, web, _service(), _ingress()) == []
