"""`check --fix` on AIL205 Ingresses: the streaming timeouts of ingress-nginx, NGINX Inc. and the ALB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_fix_core import CORPUS, FIXTURES, changed_lines, findings, lines_of

from aiinfralint.cli import main

FIX = ["check", "--fix", "--no-cache", "--fail-on", "never"]


@pytest.fixture
def ingresses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES / "k8s" / "ail205-bad-ingress-timeouts", tmp_path / "k8s")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "k8s"


def test_nginx_and_alb_timeouts(ingresses: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: p.read_text() for p in ingresses.iterdir()}
    assert len(lines_of(findings(capsys, "k8s"), "AIL205")) == 4
    main([*FIX, "k8s"])
    removed, added = changed_lines(before["ingress-nginx.yaml"], (ingresses / "ingress-nginx.yaml").read_text())
    assert removed == [
        '    nginx.ingress.kubernetes.io/proxy-read-timeout: "120"  # expect: AIL205\n',
        '    nginx.ingress.kubernetes.io/proxy-buffering: "on"\n',
    ]
    assert added == [
        '    nginx.ingress.kubernetes.io/proxy-read-timeout: "300"\n',
        '    nginx.ingress.kubernetes.io/proxy-send-timeout: "300"\n',
        '    nginx.ingress.kubernetes.io/proxy-read-timeout: "300"  # expect: AIL205\n',
        '    nginx.ingress.kubernetes.io/proxy-buffering: "off"\n',
        '    nginx.ingress.kubernetes.io/proxy-send-timeout: "300"\n',
    ]
    removed, added = changed_lines(before["ingress-alb.yaml"], (ingresses / "ingress-alb.yaml").read_text())
    alb = [
        r.replace(
            "deletion_protection.enabled=true", "deletion_protection.enabled=true,idle_timeout.timeout_seconds=300"
        )
        for r in removed
    ]
    # the NGINX Inc. ingress: buffering (on by default) turned off, its 3600 s timeouts kept
    assert added == [alb[0], '    nginx.org/proxy-buffering: "False"\n'] and len(removed) == 1
    assert (ingresses / "vllm.yaml").read_text() == before["vllm.yaml"]
    assert lines_of(findings(capsys, "k8s"), "AIL205") == []
    after = {p.name: p.read_text() for p in ingresses.iterdir()}
    main([*FIX, "k8s"])
    assert {p.name: p.read_text() for p in ingresses.iterdir()} == after


def test_configured_streaming_timeout(ingresses: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ingresses / ".aiinfralint.toml"
    config.write_text(config.read_text() + "\n[fix]\nstreaming-timeout = 3600\n")
    main([*FIX, "k8s"])
    assert 'proxy-send-timeout: "3600"' in (ingresses / "ingress-nginx.yaml").read_text()


def test_corpus_alb_ingress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CORPUS / "NVIDIA__nim-deploy" / "cloud-service-providers" / "aws" / "eks" / "ingress.yaml"
    if not source.is_file():
        pytest.skip("the corpus is not here")
    shutil.copy(source, tmp_path / "ingress.yaml")
    # the Service it names is not in the file: the finding is at info level but still fixed
    monkeypatch.chdir(tmp_path)
    before = (tmp_path / "ingress.yaml").read_text()
    if not lines_of(findings(capsys, "ingress.yaml"), "AIL205"):
        pytest.skip("AIL205 needs the server beside this Ingress")
    main([*FIX, "ingress.yaml"])
    removed, added = changed_lines(before, (tmp_path / "ingress.yaml").read_text())
    assert removed == [] and added == [
        "    alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=300\n"
    ]
    assert lines_of(findings(capsys, "ingress.yaml"), "AIL205") == []


def test_longer_timeouts_are_not_lowered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "k8s" / "ail205-bad-ingress-timeouts", tmp_path / "k8s")
    path = tmp_path / "k8s" / "ingress-nginx.yaml"
    before = path.read_text().replace('proxy-read-timeout: "120"', 'proxy-read-timeout: "3600"')
    path.write_text(before)
    monkeypatch.chdir(tmp_path)
    main([*FIX, "k8s"])
    removed, added = changed_lines(before, path.read_text())
    # only buffering was wrong on this Ingress: its 3600 s read timeout stays
    assert '    nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"  # expect: AIL205\n' not in removed
    assert '    nginx.ingress.kubernetes.io/proxy-buffering: "off"\n' in added


def test_nginx_inc_timeouts_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "k8s" / "ail205-bad-ingress-timeouts", tmp_path / "k8s")
    path = tmp_path / "k8s" / "ingress-alb.yaml"
    before = path.read_text().replace(
        '    nginx.org/proxy-read-timeout: "3600s"\n', "    nginx.org/proxy-read-timeout: 1m\n"
    )
    path.write_text(before)
    monkeypatch.chdir(tmp_path)
    main([*FIX, "k8s"])
    removed, added = changed_lines(before, path.read_text())
    assert "    nginx.org/proxy-read-timeout: 1m\n" in removed
    assert '    nginx.org/proxy-read-timeout: "300s"\n' in added
    assert not any("proxy-send-timeout" in line for line in removed + added)
