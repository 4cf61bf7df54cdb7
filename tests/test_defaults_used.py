"""The defaults an estimate relied on, each with the configuration key that changes it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from aiinfralint.cli import main
from aiinfralint.config import Config, PricingConfig, PromptConfig, TrafficConfig
from aiinfralint.estimate import Estimator
from aiinfralint.model.finding import DefaultUsed
from aiinfralint.pipeline.engine import RunOptions, run

DEMO = Path(__file__).resolve().parent.parent / "demo-platform"


def _keys(config: Config) -> dict[str, str]:
    result = run(RunOptions(paths=["."], config=config, cwd=DEMO, use_cache=False, jobs=1))
    return {d.key: d.value for d in result.defaults_used}


def test_demo_platform_relies_on_the_estimate_defaults() -> None:
    used = _keys(Config())
    assert used["prompt.models"] == "gpt-4o"
    assert used["traffic.calls-per-day"] == "10,000"
    assert used["traffic.gpu-utilisation"] == "60%"
    assert used["cluster.region"].startswith("world average")


def test_a_configuration_that_sets_them_removes_them() -> None:
    config = Config(
        traffic=TrafficConfig(calls_per_day=5_000, gpu_utilisation=0.5, region="us-east-1"),
        prompt=PromptConfig(models=["gpt-4o-mini"]),
    )
    used = _keys(config)
    for key in (
        "prompt.models",
        "traffic.calls-per-day",
        "traffic.gpu-utilisation",
        "traffic.region",
        "cluster.region",
    ):
        assert key not in used, key


def test_a_configured_value_equal_to_the_default_is_not_a_default() -> None:
    est = Estimator(Config(traffic=TrafficConfig(calls_per_day=10_000, gpu_utilisation=0.6)))
    est.prefix_cache_loss("gpt-4o", 1000)
    est.gpu_workload("H100", 1, 730, region="us-east-1", provider="aws")
    assert est.defaults_used() == ()


def test_deduplicated_in_a_stable_order() -> None:
    est = Estimator(Config())
    for _ in range(3):
        est.gpu_workload("H100", 2, Decimal(100))
        est.gpu_workload("A100", 1, Decimal(50))
        est.prefix_cache_loss("gpt-4o", 500)
    used = est.defaults_used()
    assert len({(d.key, d.value) for d in used}) == len(used)
    assert [d.key for d in used] == sorted(d.key for d in used)
    assert DefaultUsed("traffic.gpu-utilisation", "60%", "GPU utilisation of a workload that states none") in used
    assert all(d.what for d in used)


def test_default_pue_is_recorded_unless_configured() -> None:
    est = Estimator(Config())
    est.pue(None)
    assert [d.key for d in est.defaults_used()] == ["pricing.pue.default"]
    configured = Estimator(Config(pricing=PricingConfig(pue={"default": 1.3})))
    assert configured.pue(None).pue == Decimal("1.3")
    assert configured.defaults_used() == ()


def _cost(capsys, monkeypatch, fmt: str, config_text: str | None = None, tmp_path: Path | None = None) -> str:
    monkeypatch.chdir(DEMO.parent)
    args = ["cost", "--no-cache", "--format", fmt, "demo-platform"]
    if config_text is not None and tmp_path is not None:
        cfg = tmp_path / ".aiinfralint.toml"
        cfg.write_text(config_text, encoding="utf-8")
        args += ["--config", str(cfg)]
    assert main(args) == 0
    return capsys.readouterr().out


def test_cost_lists_the_defaults_as_check_does(capsys, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(DEMO.parent)
    assert main(["check", "--no-cache", "--fail-on", "never", "demo-platform"]) == 0
    check_block = capsys.readouterr().out.split("\nDefaults used\n", 1)[1]
    text = _cost(capsys, monkeypatch, "text")
    # the same block, rendered by the same code
    assert text.split("\nDefaults used\n", 1)[1] == check_block
    doc = json.loads(_cost(capsys, monkeypatch, "json"))
    used = {d["key"]: d for d in doc["defaults_used"]}
    assert used["prompt.models"]["value"] == "gpt-4o"
    assert used["traffic.calls-per-day"] == {
        "key": "traffic.calls-per-day",
        "value": "10,000",
        "what": "calls a day of a prompt without traffic",
    }
    assert used["cluster.region"]["value"].startswith("world average")
    assert "### Defaults used" in _cost(capsys, monkeypatch, "markdown")


def test_cost_lists_no_default_the_configuration_sets(capsys, monkeypatch, tmp_path: Path) -> None:
    config = (
        "[traffic]\ncalls-per-day = 5000\ngpu-utilisation = 0.5\nregion = 'us-east-1'\n"
        "[prompt]\nmodels = ['gpt-4o-mini']\n"
    )
    doc = json.loads(_cost(capsys, monkeypatch, "json", config, tmp_path))
    keys = {d["key"] for d in doc["defaults_used"]}
    assert not keys & {"prompt.models", "traffic.calls-per-day", "traffic.gpu-utilisation", "cluster.region"}
    text = _cost(capsys, monkeypatch, "text", config, tmp_path)
    assert ("Defaults used" in text) == bool(keys), keys
    for key in ("prompt.models", "traffic.calls-per-day", "cluster.region"):
        assert f"  {key} " not in text
