"""The engine: one selector match, one finalisation path, engine findings that are declared, not run."""

from __future__ import annotations

import pytest

from aiinfralint.config import Config
from aiinfralint.rules.core.engine_finding import EngineFinding, is_engine_finding
from aiinfralint.rules.registry import all_rules, find_rule, selector_matches

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
    assert sorted((f.code, f.span.path) for f in result.suppressed) == [("AIL000", "ignored/c.yaml"), ("AIL001", "ignored/d.yaml")]
    fingerprints = [f.fingerprint for f in result.findings + result.suppressed]
    assert all(fingerprints) and len(set(fingerprints)) == len(fingerprints)
