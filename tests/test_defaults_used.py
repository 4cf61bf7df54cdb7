"""The defaults an estimate relied on, each with the configuration key that changes it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

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
