"""`check --fix` on AIL205 for routes: Gateway API, Envoy AI Gateway, Envoy Gateway policies, OpenShift."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_fix_core import CORPUS, FIXTURES, changed_lines, findings, lines_of

from aiinfralint.cli import main
from aiinfralint.fixes.route_timeout import duration, gateway_duration

FIX = ["check", "--fix", "--no-cache", "--fail-on", "never", "--select", "AIL205"]
ROUTING = FIXTURES / "k8s" / "routing"
SEMANTIC_ROUTER = CORPUS / "vllm-project__semantic-router" / "deploy" / "kubernetes"
CORPUS_ROUTES = (
    "ai-gateway/aigw-resources",
    "hallucination",
    "jailbreak-onerror",
    "response-api",
    "routing-strategies/aigw-resources",
    "streaming/aigw-resources",
)

_AIGW = """\
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIGatewayRoute
metadata:
  name: semantic-router
  namespace: aigw
spec:
  rules:
  - matches:
    - headers:
      - type: Exact
        name: x-ai-eg-model
        value: math-expert
    backendRefs:
    - name: vllm-llama3-8b-instruct
"""


def _fix_once_and_twice(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    """Fix `path` (in the working directory); check it is silent after and a second fix is a no-op."""
    before = path.read_text()
    assert lines_of(findings(capsys, path.name), "AIL205")
    main([*FIX, path.name])
    after = path.read_text()
    assert lines_of(findings(capsys, path.name), "AIL205") == []
    main([*FIX, path.name])
    assert path.read_text() == after
    return changed_lines(before, after)


def _copy(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(source, tmp_path / source.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path / source.name


@pytest.mark.parametrize(
    ("name", "removed", "added"),
    [
        (
            "gateway-api.yaml",
            [
                "      request: 60s  # expect: AIL205\n",
                "      backendRequest: 60s\n",
                "      request: 120s  # expect: AIL205\n",
            ],
            [
                "      request: 300s  # expect: AIL205\n",
                "      backendRequest: 300s\n",
                "      request: 300s  # expect: AIL205\n",
            ],
        ),
        (
            "ai-gateway.yaml",
            ["      request: 60s  # expect: AIL205\n", "      backendRequest: 60s\n"],
            ["      request: 300s  # expect: AIL205\n", "      backendRequest: 300s\n"],
        ),
        (
            "envoy-gateway.yaml",
            ["      requestTimeout: 2s  # expect: AIL205\n"],
            ["      requestTimeout: 300s  # expect: AIL205\n"],
        ),
        ("openshift.yaml", [], ["  annotations:\n", '    haproxy.router.openshift.io/timeout: "300s"\n']),
    ],
)
def test_route_fixtures(
    name: str,
    removed: list[str],
    added: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _copy(ROUTING / name, tmp_path, monkeypatch)
    assert _fix_once_and_twice(path, capsys) == (removed, added)


@pytest.mark.parametrize("where", CORPUS_ROUTES)
def test_corpus_routes(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SEMANTIC_ROUTER / where / "gwapi-resources.yaml"
    if not source.is_file():
        pytest.skip("the corpus is not here")
    path = _copy(source, tmp_path, monkeypatch)
    removed, added = _fix_once_and_twice(path, capsys)
    assert removed and all(r.strip() in ("request: 60s", "backendRequest: 60s") for r in removed)
    assert added == [r.replace("60s", "300s") for r in removed]


def test_ai_gateway_rule_without_timeouts_gets_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "route.yaml"
    path.write_text(_AIGW.replace("  rules:\n  - ", "  rules:\n  - backendRefs:\n    - name: vllm-b\n  - "))
    monkeypatch.chdir(tmp_path)
    removed, added = _fix_once_and_twice(path, capsys)
    # every rule of an AIGatewayRoute reaches an AI backend: both lose the 60 s default
    assert removed == [] and added == ["    timeouts:\n", "      request: 300s\n"] * 2


def test_ai_gateway_keeps_the_file_indentation_and_adds_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "apiVersion: aigateway.envoyproxy.io/v1alpha1\nkind: AIGatewayRoute\nmetadata:\n    name: r\n"
        "spec:\n    rules:\n        - backendRefs:\n              - name: vllm-llama3-8b-instruct\n"
        "          timeouts:\n              backendRequest: '30s'\n"
    )
    path = tmp_path / "route.yaml"
    path.write_text(text)
    monkeypatch.chdir(tmp_path)
    removed, added = _fix_once_and_twice(path, capsys)
    # the request (60 s when unset) is added: backendRequest may not exceed it
    assert removed == ["              backendRequest: '30s'\n"]
    assert added == ["              backendRequest: '300s'\n", "              request: 300s\n"]


def test_openshift_bare_milliseconds_raised_long_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROUTING / "openshift.yaml").read_text()
    path = tmp_path / "openshift.yaml"
    path.write_text(
        text.replace("  labels:\n", "  annotations:\n    haproxy.router.openshift.io/timeout: 60000\n  labels:\n", 1)
    )
    monkeypatch.chdir(tmp_path)
    removed, added = _fix_once_and_twice(path, capsys)
    assert removed == ["    haproxy.router.openshift.io/timeout: 60000\n"]
    assert added == ["    haproxy.router.openshift.io/timeout: 300s\n"]


def test_long_configured_timeout_keeps_each_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("gateway-api.yaml", "openshift.yaml"):
        shutil.copy(ROUTING / name, tmp_path / name)
    (tmp_path / ".aiinfralint.toml").write_text("[fix]\nstreaming-timeout = 200000\n")
    monkeypatch.chdir(tmp_path)
    main([*FIX, "."])
    assert "request: 55h33m20s  # expect: AIL205" in (tmp_path / "gateway-api.yaml").read_text()
    assert 'haproxy.router.openshift.io/timeout: "200000s"' in (tmp_path / "openshift.yaml").read_text()


def test_durations() -> None:
    assert gateway_duration(300) == "300s"
    assert gateway_duration(99999) == "99999s"
    assert gateway_duration(100000) == "27h46m40s"
    assert gateway_duration(7200 * 50) == "100h"
    assert duration("1h30m") == 5400 and duration("60000", "ms") == 60 and duration("5 s") is None
