"""An absent $ or kgCO2e figure always says why (never a silent zero)."""

from __future__ import annotations

from decimal import Decimal

from aiinfralint.model.finding import Impact
from aiinfralint.rules.base import explain_missing_figures


def test_reasons_added_for_missing_figures():
    out = explain_missing_figures("AIL301", Impact(assumptions=("segment share 40%",)))
    assert len(out.unpriced) == 2
    assert any("$" in u for u in out.unpriced) and any("kgCO2e" in u for u in out.unpriced)


def test_rule_reasons_are_kept_and_complete_impacts_untouched():
    own = Impact(unpriced=("GPU model unknown: price and energy not computed",))
    assert explain_missing_figures("AIL201", own) == own
    full = Impact(usd_per_month=Decimal("10"), kgco2e_per_month=Decimal("1"))
    assert explain_missing_figures("AIL101", full) == full


def test_every_fixture_finding_with_an_impact_has_figures_or_reasons():
    from conftest import FIXTURES

    from aiinfralint.config import Config
    from aiinfralint.engine import RunOptions, run

    result = run(RunOptions(paths=["."], config=Config(), cwd=FIXTURES, use_cache=False, jobs=1))
    for f in result.findings:
        imp = f.impact
        if imp is None or f.code == "AIL501":
            continue
        assert imp.usd_per_month is not None or imp.unpriced, (f.code, f.message)
        assert imp.kgco2e_per_month is not None or imp.unpriced, (f.code, f.message)
