"""The JSON Schema accepts what the parser accepts: camelCase or snake_case keys, not both."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aiinfralint import schema as schema_mod
from aiinfralint.model.provider import AIFeatureSpec, QuotaContractSpec
from aiinfralint.model.retrieval import VectorIndexSpec
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.schema import all_kinds_schema, kind_schema

jsonschema = pytest.importorskip("jsonschema")

SNAKE_QUOTA = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: support-openai
spec:
  provider: openai
  model: gpt-4.1-2025-04-14
  budget:
    amount: 18000
    unit: usd
    period: monthly
    reset: {at: "04:00", time_zone: Asia/Tokyo, day_of_month: 1}
  segments:
    - {name: tokyo, time_zone: Asia/Tokyo, share: 1, peak_windows: ["07:00-09:30"]}
  throttle: {start_at: 0.9, max_requests_per_minute: 300}
  retry: {retry_on: [429], max_attempts: 4, backoff: {initial: 1s, honor_retry_after: true}}
  on_exhaustion: {action: fallback, fallback_model: gpt-4.1-mini-2025-04-14}
"""

SNAKE_FEATURE = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: help-center
spec:
  model: gpt-4o
  fallback_models: [gpt-4o-mini]
  tokens_per_request: {input: 1200, cached_input: 800, output: 300}
  slo: {p99_ms: 4000, latency_critical: true}
  retrieval: {top_k: 20, reranker: {model: BAAI/bge-reranker-v2-m3, top_n: 5}}
  cost: {usd_per_month: 100}
"""


def _docs(text: str) -> list[dict[str, Any]]:
    from aiinfralint.yamlsafe import load_documents

    return [json.loads(json.dumps(d)) for d in load_documents(text)]


def _errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(all_kinds_schema())
    return [e.message for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("text", [SNAKE_QUOTA, SNAKE_FEATURE])
def test_snake_case_documents_the_parser_reads_validate(text):
    parsed = parse_bytes("own.yaml", text.encode())
    assert parsed.problems == []
    assert len(parsed.objects) == 1
    (doc,) = _docs(text)
    assert _errors(doc) == []


def test_both_spellings_of_one_key_are_rejected_like_the_parser_does():
    text = SNAKE_QUOTA.replace("start_at: 0.9", "start_at: 0.9, startAt: 0.8")
    parsed = parse_bytes("own.yaml", text.encode())
    assert parsed.objects == []
    assert len(parsed.problems) == 1
    (doc,) = _docs(text)
    assert _errors(doc)


def test_a_required_key_may_take_either_spelling_but_not_neither():
    schema = kind_schema("QuotaContract")
    validator = jsonschema.Draft202012Validator(schema)
    (doc,) = _docs(SNAKE_QUOTA)
    assert not list(validator.iter_errors(doc))
    doc["spec"]["throttle"] = {"max_requests_per_minute": 300}
    assert list(validator.iter_errors(doc)), "throttle needs startAt or start_at"
    doc["spec"]["throttle"] = {"startAt": 0.5}
    assert not list(validator.iter_errors(doc))


def test_unknown_snake_case_keys_stay_unknown():
    (doc,) = _docs(SNAKE_FEATURE)
    doc["spec"]["tokens_per_reqest"] = {"input": 1}
    assert any("tokens_per_reqest" in m for m in _errors(doc))


@pytest.mark.parametrize(
    ("kind", "spec_cls"),
    [("QuotaContract", QuotaContractSpec), ("AIFeature", AIFeatureSpec), ("VectorIndex", VectorIndexSpec)],
)
def test_every_aliased_field_has_both_keys(kind, spec_cls):
    schema = kind_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    spellings = schema_mod._key_spellings(spec_cls)
    assert sum(len(p) for p in spellings.values()) >= 3
    for model, pairs in spellings.items():
        props = schema["$defs"][model]["properties"]
        for alias, name in pairs:
            assert alias in props, (model, alias)
            assert name in props, (model, name)
