"""`check --fix` on AIL205 for Istio VirtualServices and GKE BackendConfigs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_fix_core import FIXTURES, changed_lines, findings, lines_of

from aiinfralint.cli import main
from aiinfralint.fixes import yamledit
from aiinfralint.fixes.route_timeout import route_edits

FIX = ["check", "--fix", "--no-cache", "--fail-on", "never", "--select", "AIL205"]
ROUTING = FIXTURES / "k8s" / "routing"

_VS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
    name: vllm
    namespace: ns
spec:
    selector:
        matchLabels:
            app: vllm
    template:
        metadata:
            labels:
                app: vllm
        spec:
            containers:
            - name: vllm
              image: vllm/vllm-openai:v0.6.3
              ports:
              - containerPort: 8000
---
apiVersion: v1
kind: Service
metadata:
    name: vllm
    namespace: ns
spec:
    selector:
        app: vllm
    ports:
    - port: 80
      targetPort: 8000
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
    name: vllm
    namespace: ns
spec:
    hosts:
    - vllm
    http:
    - match:
      - uri:
            prefix: /health
      route:
      - destination:
            host: vllm
      timeout: 5s
    - route:
      - destination:
            host: vllm
      timeout: "1m"
"""


def _copy(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(source, tmp_path / source.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path / source.name


def _fix_twice(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    """Fix `path`; a second fix changes nothing. (lines removed, lines added)."""
    before = path.read_text()
    main([*FIX, path.name])
    after = path.read_text()
    main([*FIX, path.name])
    assert path.read_text() == after
    return changed_lines(before, after)


def test_istio_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(ROUTING / "istio.yaml", tmp_path, monkeypatch)
    assert lines_of(findings(capsys, path.name), "AIL205") == [65]
    removed, added = _fix_twice(path, capsys)
    # the short timeout is raised; the route without one and the one at 3600s are left alone
    assert (removed, added) == (["    timeout: 30s  # expect: AIL205\n"], ["    timeout: 300s  # expect: AIL205\n"])
    assert lines_of(findings(capsys, path.name), "AIL205") == []


def test_gke_backend_config_fixture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(ROUTING / "gke-ingress.yaml", tmp_path, monkeypatch)
    assert lines_of(findings(capsys, path.name), "AIL205") == [74, 147]
    removed, added = _fix_twice(path, capsys)
    assert (removed, added) == (["  timeoutSec: 60  # expect: AIL205\n"], ["  timeoutSec: 300  # expect: AIL205\n"])
    # the Ingress whose Service names no BackendConfig stays reported: there is no timeout to raise
    assert lines_of(findings(capsys, path.name), "AIL205") == [74]


def test_istio_keeps_quotes_and_other_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "vs.yaml"
    path.write_text(_VS)
    monkeypatch.chdir(tmp_path)
    assert lines_of(findings(capsys, path.name), "AIL205") == [48]
    removed, added = _fix_twice(path, capsys)
    # each rule is one round: the shortest first, then the other; quoting kept
    assert removed == ["      timeout: 5s\n", '      timeout: "1m"\n']
    assert added == ["      timeout: 300s\n", '      timeout: "300s"\n']
    assert lines_of(findings(capsys, path.name), "AIL205") == []


def test_configured_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "vs.yaml"
    path.write_text(_VS)
    (tmp_path / ".aiinfralint.toml").write_text("[fix]\nstreaming-timeout = 7200\n")
    (tmp_path / "gke.yaml").write_text((ROUTING / "gke-ingress.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    main([*FIX, "."])
    assert "timeoutSec: 7200  # expect: AIL205" in (tmp_path / "gke.yaml").read_text()
    # the clean BackendConfig keeps its 3600 s: it is not reported, so not touched
    assert "  timeoutSec: 3600\n" in (tmp_path / "gke.yaml").read_text()
    text = path.read_text()
    assert "timeout: 7200s\n" in text and 'timeout: "7200s"\n' in text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (_VS.split("---\n")[2].replace("5s", "600s").replace('"1m"', "1h"), 14),
        ("apiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: b\nspec:\n  timeoutSec: 600\n", 6),
        ("apiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: b\nspec:\n  timeoutSec: 0\n", 6),
    ],
)
def test_long_or_disabled_timeouts_are_never_lowered(text: str, line: int) -> None:
    src = yamledit.load(text)
    assert src is not None and isinstance(src.documents[0], yamledit.MappingNode)
    routed = route_edits(src, src.documents[0], line, 300)
    assert routed is not None and routed[0] == []
