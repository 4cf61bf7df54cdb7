"""LiteLLM's "unlimited" budget idiom (1e9 and more, infinity) is no cap, never a $1,000,000,000 cap."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from aiinfralint.cli import main
from aiinfralint.model.provider import UNLIMITED_BUDGET, no_cap_reason

LITELLM = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_key: os.environ/OPENAI_API_KEY
litellm_settings:
  max_budget: {budget}
  budget_duration: 30d
{router}general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
"""

ROUTER = """\
router_settings:
  provider_budget_config:
    openai: {budget_limit: 100, time_period: 1d}
    anthropic: {budget_limit: 1000000000, time_period: 1d}
"""

QUOTA = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: anthropic-support-bot
spec:
  provider: anthropic
  budget: {{amount: {amount}, unit: usd, period: monthly}}
"""


def _ail302(tmp_path, capsys, name: str, text: str) -> list[dict]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    main(["check", str(tmp_path), "--select", "AIL302", "--format", "json", "--no-cache", "--fail-on", "never"])
    return json.loads(capsys.readouterr().out)["findings"]


def test_the_reason_names_the_key_and_the_idiom():
    assert no_cap_reason(1000000000.0, "litellm_settings.max_budget") == (
        "litellm_settings.max_budget 1,000,000,000 is the 'unlimited' idiom (1e9 or more): no cap"
    )
    assert no_cap_reason(float("inf"), "max_budget") == "max_budget is infinite: no cap"
    assert no_cap_reason(Decimal("999999999.99"), "max_budget") is None  # just below: a real cap
    assert no_cap_reason(5000, "max_budget") is None and no_cap_reason(None, "max_budget") is None
    assert Decimal(1_000_000_000) == UNLIMITED_BUDGET


@pytest.mark.parametrize("budget", ["1000000000.0", "1e12", ".inf", "10000000000"])
def test_litellm_unlimited_max_budget_is_not_reported(tmp_path, capsys, budget):
    assert _ail302(tmp_path, capsys, "config.yaml", LITELLM.format(budget=budget, router="")) == []


def test_a_real_cap_is_still_reported(tmp_path, capsys):
    [f] = _ail302(tmp_path, capsys, "config.yaml", LITELLM.format(budget="5000", router=""))
    assert "$5,000" in f["message"] and "cap $5,000 per month" in f["impact"]["assumptions"][0]


def test_the_unlimited_budget_is_named_on_the_real_cap_of_the_same_file(tmp_path, capsys):
    [f] = _ail302(tmp_path, capsys, "config.yaml", LITELLM.format(budget="1000000000.0", router=ROUTER))
    assert "provider budget for openai $100" in f["message"]
    assert "1,000,000,000" not in f["message"]
    assumptions = f["impact"]["assumptions"]
    assert "litellm_settings.max_budget 1,000,000,000 is the 'unlimited' idiom (1e9 or more): no cap" in assumptions
    assert any("provider_budget_config.anthropic.budget_limit 1,000,000,000" in a for a in assumptions)


@pytest.mark.parametrize(("amount", "found"), [(1000000000, 0), (25000, 1)])
def test_quota_contract_with_the_unlimited_idiom(tmp_path, capsys, amount, found):
    assert len(_ail302(tmp_path, capsys, "quota.yaml", QUOTA.format(amount=amount))) == found
