"""AIL205 over the routing layer: Gateway API, Envoy AI Gateway, OpenShift, Istio, Envoy Gateway policies."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from fixture_harness import actual_findings, expected_markers

from aiinfralint.config import Config
from aiinfralint.parsers.k8s_routing import duration
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
---
apiVersion: v1
kind: Service
metadata: {name: vllm, namespace: llm}
spec:
  selector: {app: vllm}
"""


def _findings(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    (tmp_path / "k8s.yaml").write_text(text, encoding="utf-8")
    result = run(RunOptions(paths=["."], config=Config(), cwd=tmp_path, use_cache=False, jobs=1))
    return [(f.code, f.severity.value, f.message) for f in result.findings if f.code == "AIL205"]


@pytest.mark.parametrize(
    ("text", "unit", "seconds"),
    [
        ("300s", "s", 300),
        ("1h30m", "s", 5400),
        ("500ms", "s", 0.5),
        ("0s", "s", 0),
        ("90", "s", 90),
        ("90", "ms", 0.09),
    ],
)
def test_duration(text: str, unit: str, seconds: float) -> None:
    assert duration(text, unit) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "5 minutes", "s", "1x", None, True, [1]])
def test_duration_unreadable_is_not_set(bad: object) -> None:
    assert duration(bad) is None


def test_routing_fixtures_match_their_markers() -> None:
    case = FIXTURES / "k8s" / "routing"
    want = expected_markers(case)
    assert want
    assert actual_findings(case) == want


def test_istio_short_timeout_in_front_of_vllm(tmp_path: Path) -> None:
    vs = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: chat, namespace: llm}
spec:
  hosts: [chat.example.com]
  http:
  - route:
    - destination: {host: vllm.llm.svc.cluster.local}
    timeout: 30s
"""
    found = _findings(tmp_path, _VLLM + "---\n" + vs)
    assert [(c, s) for c, s, _ in found] == [("AIL205", "warning")]
    assert "30 s timeout (http[0].timeout)" in found[0][2]


def test_istio_without_timeout_is_silent(tmp_path: Path) -> None:
    vs = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: chat, namespace: llm}
spec:
  http:
  - route:
    - destination: {host: vllm}
"""
    assert _findings(tmp_path, _VLLM + "---\n" + vs) == []


def test_backend_traffic_policy_sets_the_route_timeout(tmp_path: Path) -> None:
    docs = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: chat, namespace: llm}
spec:
  rules:
  - backendRefs: [{name: vllm, port: 8000}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: timeouts, namespace: llm}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  timeout:
    http: {requestTimeout: 2m}
"""
    found = _findings(tmp_path, _VLLM + "---\n" + docs)
    assert len(found) == 1
    assert "120 s timeout (BackendTrafficPolicy llm/timeouts spec.timeout.http.requestTimeout)" in found[0][2]
    # without the policy the timeout is the implementation's: silent
    assert _findings(tmp_path, _VLLM + "---\n" + docs.split("---")[0]) == []


def test_aigateway_route_default_and_unfound_backend(tmp_path: Path) -> None:
    route = """\
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata: {name: r, namespace: llm}
spec:
  rules:
  - backendRefs: [{name: sglang-qwen}]
  - backendRefs: [{name: openai}]
"""
    found = _findings(tmp_path, route)
    assert [(c, s) for c, s, _ in found] == [("AIL205", "info")]
    assert "not found in the repository" in found[0][2] and "Envoy AI Gateway default" in found[0][2]
    assert "sglang-qwen" in found[0][2] and "openai" not in found[0][2]


def test_aiservicebackend_to_service_resolves_the_server(tmp_path: Path) -> None:
    docs = """\
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata: {name: r, namespace: llm}
spec:
  rules:
  - backendRefs: [{name: local}]
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIServiceBackend
metadata: {name: local, namespace: llm}
spec:
  schema: {name: OpenAI}
  backendRef: {name: vllm, kind: Service}
"""
    found = _findings(tmp_path, _VLLM + "---\n" + docs)
    assert [(c, s) for c, s, _ in found] == [("AIL205", "warning")]
    assert "Deployment llm/vllm (vLLM)" in found[0][2]


def test_openshift_bare_number_is_milliseconds(tmp_path: Path) -> None:
    route = """\
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: chat
  namespace: llm
  annotations: {haproxy.router.openshift.io/timeout: "600000"}
spec:
  to: {kind: Service, name: vllm}
"""
    assert _findings(tmp_path, _VLLM + "---\n" + route) == []
    short = route.replace('"600000"', '"60000"')
    found = _findings(tmp_path, _VLLM + "---\n" + short)
    assert len(found) == 1 and "60 s timeout" in found[0][2]


def test_backend_in_repository_that_is_not_an_llm_server_is_silent(tmp_path: Path) -> None:
    docs = """\
apiVersion: v1
kind: Service
metadata: {name: llm-dashboard, namespace: llm}
spec: {selector: {app: dash}}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: dash, namespace: llm}
spec:
  to: {kind: Service, name: llm-dashboard}
"""
    assert _findings(tmp_path, docs) == []
