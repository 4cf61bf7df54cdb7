"""The engine: one selector match, one finalisation path, engine findings that are declared, not run."""

from __future__ import annotations

import pytest

from aiinfralint.config import Config
from aiinfralint.rules.core.engine_finding import EngineFinding, is_engine_finding
from aiinfralint.rules.registry import all_rules, find_rule
from aiinfralint.selectors import selector_matches

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: chat
  namespace: ml
spec:
  selector: {app: chat}
  ports:
  - port: 80
    targetPort: 8000
"""


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("ALL", True),
        ("all", True),
        (" AIL201 ", True),
        ("ail2", True),
        ("AIL", True),
        ("AIL20", True),
        ("AIL3", False),
        ("shared-batch-realtime-gpu-pool", True),
        ("SHARED-BATCH-REALTIME-GPU-POOL", True),
        ("other-slug", False),
        ("", False),
        ("  ", False),
    ],
)
def test_selector_matches(selector, expected):
    assert selector_matches(selector, "AIL201", "shared-batch-realtime-gpu-pool") is expected


def test_engine_findings_are_declared_not_run():
    engine = [r.code for r in all_rules() if is_engine_finding(r)]
    assert engine == ["AIL000", "AIL001", "AIL002"]
    for code in engine:
        rule = find_rule(code)
        assert rule is not None and rule.doc() and rule.examples  # listed, explained, documented
        with pytest.raises(TypeError, match="reported by the engine"):
            list(rule().check_project(None))  # type: ignore[arg-type]
    assert not any(issubclass(r, EngineFinding) for r in all_rules() if r.code >= "AIL1")


def test_every_finding_goes_through_the_same_finalisation(run_check):
    """Severity overrides, fingerprints and per-file ignores apply alike to rule and engine findings."""
    text = "# aiinfralint: ignore-file[AIL201] stale\n" + SERVICE
    broken = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"
    config = Config.model_validate(
        {"severity": {"AIL001": "error", "parse-error": "info"}, "per-file-ignores": {"ignored/*": ["ail0"]}}
    )
    result = run_check({"a.yaml": text, "b.yaml": broken, "ignored/c.yaml": broken, "ignored/d.yaml": text}, config)
    by_code = {(f.code, f.span.path): f for f in result.findings}
    assert set(by_code) == {("AIL000", "b.yaml"), ("AIL001", "a.yaml")}
    assert by_code["AIL001", "a.yaml"].severity.value == "error"
    assert by_code["AIL000", "b.yaml"].severity.value == "info"
    assert sorted((f.code, f.span.path) for f in result.suppressed) == [
        ("AIL000", "ignored/c.yaml"),
        ("AIL001", "ignored/d.yaml"),
    ]
    fingerprints = [f.fingerprint for f in result.findings + result.suppressed]
    assert all(fingerprints) and len(set(fingerprints)) == len(fingerprints)


BROKEN = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"


def test_stdin_text_report_quotes_stdin_not_a_file_of_the_same_name(tmp_path, monkeypatch, capsys):
    """The quoted line comes from what was checked, not from ./chat.yaml on disk."""
    import io
    import sys

    from aiinfralint.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    (tmp_path / "chat.yaml").write_text(SERVICE.replace("namespace: ml", "namespace: UNRELATED-ON-DISK"))

    class FakeStdin:
        buffer = io.BytesIO(BROKEN.encode())

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    assert main(["check", "-", "--stdin-filename", "chat.yaml", "--format", "text"]) == 1
    out = capsys.readouterr().out
    assert "5 |  spec: [broken" in out
    assert "UNRELATED-ON-DISK" not in out


def test_reporters_never_reread_the_file(run_check, tmp_path):
    """The run keeps the lines its findings point at; the files may change or vanish after it."""
    from aiinfralint.report import text
    from aiinfralint.report.base import ReportOptions

    result = run_check({"deploy/chat.yaml": BROKEN, "ok.yaml": SERVICE})
    (tmp_path / "deploy" / "chat.yaml").unlink()
    (tmp_path / "ok.yaml").write_text("changed\n")
    [f] = result.findings
    assert result.source_line(f) == " spec: [broken"
    assert "5 |  spec: [broken" in text.render(result, ReportOptions(cwd=tmp_path, width=200))
    kept = {fr.path: (fr.text, fr.quoted) for fr in result.files}
    assert kept == {"deploy/chat.yaml": (None, ((5, " spec: [broken"),)), "ok.yaml": (None, ())}


def test_file_result_text_round_trips_through_the_parse_cache():
    from aiinfralint.cache.codec import decode, encode
    from aiinfralint.pipeline.read import parse_data

    fr = parse_data("chat.yaml", SERVICE.encode())
    assert fr.text == SERVICE
    back = decode(encode(fr))
    assert back.text == SERVICE and back == fr
    fr.quote_lines({4, 99})
    assert decode(encode(fr)).quoted == ((4, "  name: chat"),)
