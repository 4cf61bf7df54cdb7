"""An absent $ or kgCO2e figure always says why (never a silent zero)."""

from __future__ import annotations

from decimal import Decimal

from aiinfralint.model.finding import Impact, Unpriced
from aiinfralint.rules.base import explain_missing_figures
from aiinfralint.rules.registry import builtin_rules, find_rule


def _declared(code: str):
    rule = find_rule(code)
    assert rule is not None
    return rule.unpriced


def test_reasons_added_for_missing_figures():
    out = explain_missing_figures(_declared("AIL301"), Impact(assumptions=("segment share 40%",)))
    assert out.unpriced == _declared("AIL301")
    assert {u.kind for u in out.unpriced} == {"usd", "kgco2e"}


def test_rule_reasons_are_kept_and_complete_impacts_untouched():
    own = Impact(
        unpriced=(
            Unpriced("usd", "cost: GPU model unknown, price not computed"),
            Unpriced("kgco2e", "energy and carbon: GPU model unknown, energy not computed"),
        )
    )
    assert explain_missing_figures(_declared("AIL203"), own) == own
    full = Impact(usd_per_month=Decimal(10), kgco2e_per_month=Decimal(1))
    assert explain_missing_figures(_declared("AIL101"), full) == full


def test_each_rule_declares_one_reason_per_figure_kind():
    for rule in builtin_rules():
        kinds = [u.kind for u in rule.unpriced]
        assert len(kinds) == len(set(kinds)), rule.code
        assert all(u.reason for u in rule.unpriced), rule.code


def test_every_fixture_finding_with_an_impact_has_figures_or_reasons():
    from conftest import FIXTURES

    from aiinfralint.config import Config
    from aiinfralint.pipeline.engine import RunOptions, run

    result = run(RunOptions(paths=["."], config=Config(), cwd=FIXTURES, use_cache=False, jobs=1))
    for f in result.findings:
        imp = f.impact
        if imp is None or f.code == "AIL501":
            continue
        assert imp.usd_per_month is not None or imp.unpriced, (f.code, f.message)
        assert imp.kgco2e_per_month is not None or imp.unpriced, (f.code, f.message)
