"""Missing figures travel as `Unpriced(kind, reason)`: what is missing is read from `kind`, never from text."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.config import Config, ConfigError, PricingConfig, parse_text
from aiinfralint.estimate import Estimator
from aiinfralint.estimate.inventory import Item, Stated
from aiinfralint.estimate.tables import load_table, override_columns
from aiinfralint.model.finding import Impact, Unpriced
from aiinfralint.rules.base import explain_missing_figures


def test_estimator_says_which_figure_is_missing() -> None:
    est = Estimator(Config())
    imp = est.gpu_workload("rtx-9090-ti", 1, 730)
    assert {u.kind for u in imp.unpriced} == {"usd", "kgco2e"}
    assert all(isinstance(u, Unpriced) and str(u) == u.reason for u in imp.unpriced)
    bill = est.prefix_cost("my-finetune-v3", 1000, 0, 100)
    assert [u.kind for u in bill.unpriced] == ["usd"]


def test_a_stated_figure_drops_only_the_reason_of_its_kind() -> None:
    # reasons worded without the usual "cost:" / "energy and carbon:" prefixes: only `kind` decides
    estimate = Impact(unpriced=(Unpriced("usd", "no bill for this one"), Unpriced("kgco2e", "no power figure")))
    item = Item("feature", "f", "f.yaml", 1, "basis", estimate, Stated(usd_per_month=Decimal(5)))
    assert item.unpriced == (Unpriced("kgco2e", "no power figure"),)
    carbon = Item("feature", "f", "f.yaml", 1, "basis", estimate, Stated(kgco2e_per_month=Decimal(1)))
    assert carbon.unpriced == (Unpriced("usd", "no bill for this one"),)


def test_a_rule_reason_is_added_by_kind_not_by_wording() -> None:
    declared = (Unpriced("usd", "no $ figure: rule reason"), Unpriced("kgco2e", "no kgCO2e figure: rule reason"))
    own = Impact(unpriced=(Unpriced("usd", "the bill is unknown"),))  # no "$", "price" or "cost" in it
    out = explain_missing_figures(declared, own)
    assert out.unpriced == (Unpriced("usd", "the bill is unknown"), Unpriced("kgco2e", "no kgCO2e figure: rule reason"))


def test_override_columns_come_from_the_table_data() -> None:
    for name in ("models", "gpus", "instances", "grid", "inference_energy"):
        columns = override_columns(name)
        assert columns, name
        for key, row in load_table(name).rows.items():
            assert set(row) <= set(columns), (name, key)
    assert override_columns("gpus")["usd_per_hour"] == "amount"
    assert override_columns("instances")["count"] == "gpu-count"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            '[tool.aiinfralint.pricing.models."gpt-4o"]\ninptu = 3\n',
            "[tool.aiinfralint.pricing.models.gpt-4o] inptu: unknown key; did you mean input?",
        ),
        (
            "[tool.aiinfralint.pricing.inference_energy.openai]\nwh-per-req = 0.3\n",
            "[tool.aiinfralint.pricing.inference_energy.openai] wh-per-req: unknown key; did you mean wh-per-request?",
        ),
        (
            "[tool.aiinfralint.pricing.instances.p9]\ncount = 0\n",
            "[tool.aiinfralint.pricing.instances.p9] count:",
        ),
    ],
)
def test_a_bad_pricing_column_is_a_configuration_error(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError) as err:
        parse_text(body.encode(), path)
    assert needle in str(err.value)


def test_a_misspelt_pricing_column_exits_2_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.aiinfralint.pricing.grid.us-east-1]\ng-per-kw = 300\n")
    (tmp_path / "p.prompt").write_text("You are a helpful assistant.\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "."]) == 2
    err = capsys.readouterr().err
    assert "g-per-kw: unknown key; did you mean g-per-kwh?" in err
    assert "Traceback" not in err and "internal error" not in err


def test_a_new_grid_row_without_its_figure_falls_back_to_the_world_average() -> None:
    est = Estimator(Config(pricing=PricingConfig(grid={"aws/mars-1": {"note": "planned"}})))
    grid = est.grid_intensity("mars-1")
    assert "has no g_per_kwh" in grid.basis and "world average" in grid.basis


def test_an_energy_reason_carries_its_bare_cause() -> None:
    imp = Estimator(Config()).request_energy("acme-llm-7", 1000)
    (why,) = imp.unpriced
    assert why.kind == "kgco2e" and why.reason.startswith("energy and carbon: ") and "; set [" in why.reason
    assert why.cause and why.cause in why.reason and not why.cause.startswith("energy") and "set [" not in why.cause
