"""Provider family: own kinds, the LiteLLM reader, pinning logic and the AIL30x rules."""

from __future__ import annotations

import textwrap

import pytest
from conftest import CORPUS

from aiinfralint.analysis.provider import pin_status
from aiinfralint.model.provider import AIFeature, LiteLLMConfig, QuotaContract, duration_seconds


def _codes(result, code=None):
    return sorted((f.code, f.span.line) for f in result.findings if code is None or f.code == code)


QUOTA = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: q
spec:
  provider: openai
  budget:
    amount: 1000
    period: {period}
    reset: {{at: "{at}", timeZone: {tz}}}
  segments:
    - name: seg
      timeZone: {seg_tz}
      share: 0.4
      peakWindows: ["{window}"]
  alerts:
    - {{type: burn-rate, threshold: 2, channels: [slack]}}
"""


@pytest.mark.parametrize(
    "period,at,tz,seg_tz,window,fires",
    [
        ("monthly", "00:00", "UTC", "Asia/Tokyo", "06:00-09:00", True),  # ends at the reset (09:00 JST)
        ("monthly", "00:00", "UTC", "Asia/Tokyo", "07:00-10:00", True),  # contains it
        ("monthly", "00:00", "UTC", "Asia/Tokyo", "05:00-06:30", True),  # ends 2.5 h before
        ("monthly", "00:00", "UTC", "Asia/Tokyo", "02:00-05:00", False),  # ends 4 h before
        ("monthly", "00:00", "UTC", "Asia/Tokyo", "09:30-12:00", False),  # starts after the reset
        ("daily", "15:00", "UTC", "Asia/Tokyo", "21:00-23:59", True),  # 00:00 JST, evening peak
        ("daily", "05:00", "Asia/Tokyo", "Asia/Tokyo", "19:00-23:00", False),  # trough reset
        ("weekly", "00:00", "America/Los_Angeles", "America/Los_Angeles", "20:00-23:30", True),
        ("hourly", "00:00", "UTC", "Asia/Tokyo", "06:00-09:00", False),  # hourly resets are not a clock choice
    ],
)
def test_reset_alignment(run_check, period, at, tz, seg_tz, window, fires):
    text = QUOTA.format(period=period, at=at, tz=tz, seg_tz=seg_tz, window=window)
    result = run_check({"q.yaml": text}, select=["AIL301"])
    assert [f.code for f in result.findings] == (["AIL301"] if fires else []), [f.message for f in result.findings]
    if fires:
        f = result.findings[0]
        assert f.span.line == 15  # the peak window
        assert "40%" in f.message and any("40%" in a for a in f.impact.assumptions)


def test_reset_suggestion_names_the_trough(run_check):
    text = QUOTA.format(period="monthly", at="00:00", tz="UTC", seg_tz="Asia/Tokyo", window="06:00-09:00")
    f = run_check({"q.yaml": text}, select=["AIL301"]).findings[0]
    assert "A reset at" in f.remediation


def test_own_kind_errors_point_at_the_key(run_check):
    text = textwrap.dedent(
        """\
        apiVersion: aiinfralint/v1
        kind: AIFeature
        metadata: {name: f}
        spec:
          model: gpt-4.1-2025-04-14
          slo:
            p99Ms: 800
            p95Ms: 400
        """
    )
    result = run_check({"f.yaml": text})
    assert [(f.code, f.span.line) for f in result.findings] == [("AIL000", 8)]
    assert "spec.slo.p95Ms" in result.findings[0].message


@pytest.mark.parametrize(
    "body,needle",
    [
        (
            "kind: QuotaContract\nmetadata: {name: q}\nspec: {provider: x, budget: {amount: -1}}",
            "greater than or equal to 0",
        ),
        (
            "kind: QuotaContract\nmetadata: {name: q}\nspec: {provider: x, budget: {amount: 1, reset: {at: '24:30'}}}",
            "HH:MM",
        ),
        (
            "kind: AIFeature\nmetadata: {name: f}\nspec: {model: m, traffic: {peakWindows: ['08:00-08:00']}}",
            "start and end",
        ),
        ("kind: AIFeature\nspec: {model: m}", "metadata.name is required"),
        ("kind: VectorIndex\nmetadata: {name: v}\nspec: {engine: faiss}", "spec.engine"),
        ("kind: VectorIndex\nmetadata: {name: v}\nspec: [1, 2]", "spec must be a mapping"),
    ],
)
def test_invalid_own_kinds_are_findings_not_crashes(run_check, body, needle):
    result = run_check({"k.yaml": "apiVersion: aiinfralint/v1\n" + body + "\n"})
    assert [f.code for f in result.findings] == ["AIL000"]
    assert needle in result.findings[0].message


def test_own_kinds_and_snake_case(run_check):
    text = textwrap.dedent(
        """\
        apiVersion: aiinfralint/v1
        kind: AIFeature
        metadata:
          name: search
          annotations: {aiinfralint/ignore: "AIL305"}
        spec:
          model: gpt-4.1-2025-04-14
          fallback_models: [gpt-4.1-mini-2025-04-14]
          tokens_per_request: {input: 1000, output: 200}
        """
    )
    result = run_check({"f.yaml": text})
    assert not result.findings
    feats = list(result.project.of_type(AIFeature))
    assert feats[0].spec.fallback_models == ["gpt-4.1-mini-2025-04-14"]
    assert "AIL305" in feats[0].ignore


@pytest.mark.parametrize(
    "model,pinned",
    [
        ("gpt-4o", False),
        ("openai/gpt-4o-2024-08-06", True),
        ("azure/gpt-4-1106-preview", True),
        ("gpt-4-0613", True),
        ("o3-mini", False),
        ("chatgpt-4o-latest", False),
        ("claude-sonnet-4-5", False),
        ("anthropic/claude-sonnet-4-5-20250929", True),
        ("claude-3-5-sonnet-latest", False),
        ("bedrock/eu.anthropic.claude-3-7-sonnet-20250219-v1:0", True),
        ("vertex_ai/gemini-2.0-flash", False),
        ("gemini-2.0-flash-001", True),
        ("gemini-2.5-flash-preview-05-20", True),
        ("gemini-2.5-flash", None),
        ("mistral/mistral-large-latest", False),
        ("mistral/mistral-large-2407", True),
        ("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct", None),
        ("openai/*", None),
    ],
)
def test_pin_status(model, pinned):
    assert pin_status(model)[0] is pinned


def test_duration_seconds():
    assert duration_seconds("30d") == 30 * 86400
    assert duration_seconds("1mo") == 30 * 86400
    assert duration_seconds("90s") == 90
    assert duration_seconds(12) == 12
    assert duration_seconds("soon") is None


LITELLM = """\
model_list:
  - model_name: chat
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-5-v1:0
      aws_region_name: us-east-1
  - model_name: chat
    litellm_params:
      model: bedrock/eu.anthropic.claude-sonnet-4-5-v1:0
      aws_region_name: eu-central-1
  - model_name: local
    litellm_params:
      model: openai/llama3
      api_base: http://vllm.internal:8000/v1
      api_key: os.environ/NONE
router_settings:
  num_retries: os.environ/NUM_RETRIES
  provider_budget_config:
    openai: {budget_limit: 100, time_period: 1d}
general_settings:
  alerting: ["slack"]
  alert_types: ["llm_exceptions"]
"""


def test_litellm_reader(run_check):
    result = run_check({"config.yaml": LITELLM})
    cfg = next(result.project.of_type(LiteLLMConfig))
    assert [d.region for d in cfg.deployments] == ["us-east-1", "eu-central-1", None]
    assert cfg.num_retries is None  # read from the environment: unknown
    assert cfg.provider_budgets == {"openai": (100.0, "1d")}
    # Bedrock versions are pinned; env-driven retries are not reported; the provider budget has
    # alerting but its alert types leave out budget alerts
    assert _codes(result) == [("AIL302", 17)]
    assert "alert_types" in result.findings[0].message


def test_litellm_retry_only_for_hosted_providers(run_check):
    text = "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/llama3\n      api_base: http://localhost:8000/v1\nlitellm_settings:\n  num_retries: 3\n"
    assert not run_check({"config.yaml": text}).findings


def test_litellm_broken_section_is_a_parse_error(run_check):
    result = run_check(
        {"config.yaml": "model_list:\n  - model_name: m\n    litellm_params: {model: gpt-4o}\nrouter_settings: 3\n"}
    )
    assert [(f.code, f.span.line) for f in result.findings] == [("AIL000", 4)]


def test_contract_models_shorthand(run_check):
    text = "apiVersion: aiinfralint/v1\nkind: QuotaContract\nmetadata: {name: q}\nspec:\n  provider: openai\n  model: gpt-4o-2024-08-06\n  budget: {amount: 5}\n  throttle: {startAt: 0.8}\n"
    result = run_check({"q.yaml": text})
    assert not result.findings
    assert next(result.project.of_type(QuotaContract)).spec.all_models == ["gpt-4o-2024-08-06"]


def test_provider_peak_window_is_configurable(run_check):
    from aiinfralint.config import Config

    text = textwrap.dedent(
        """\
        apiVersion: aiinfralint/v1
        kind: AIFeature
        metadata: {name: f}
        spec:
          model: gpt-4.1-2025-04-14
          traffic: {timeZone: Asia/Tokyo, peakWindows: ["10:00-12:00"]}
          slo: {p99Ms: 900}
        """
    )
    assert not run_check({"f.yaml": text}, select=["AIL305"]).findings
    cfg = Config(peak_windows={"provider": "09:00-13:00 Asia/Tokyo"})
    found = run_check({"f.yaml": text}, config=cfg, select=["AIL305"]).findings
    assert [f.code for f in found] == ["AIL305"]
    assert found[0].impact.latency_ms == pytest.approx(900 * 0.35)


LITELLM_CORPUS = CORPUS / "BerriAI__litellm"
# Invalid YAML upstream (a flow mapping closed at the wrong indentation); PyYAML rejects it too.
KNOWN_BROKEN = {"litellm/proxy/proxy_config.yaml"}


@pytest.mark.skipif(not LITELLM_CORPUS.is_dir(), reason="corpus not present")
def test_litellm_corpus_parses():
    from aiinfralint.config import Config
    from aiinfralint.pipeline.engine import RunOptions, run

    result = run(
        RunOptions(paths=["."], config=Config(), cwd=LITELLM_CORPUS, use_cache=False, jobs=1, select=["AIL000", "AIL3"])
    )
    broken = {f.span.path for f in result.findings if f.code == "AIL000"}
    assert broken <= KNOWN_BROKEN
    configs = list(result.project.of_type(LiteLLMConfig))
    assert len(configs) >= 10
    assert sum(len(c.deployments) for c in configs) >= 50
