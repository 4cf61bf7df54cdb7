"""The estimate package: arithmetic against hand-computed cases, lookups, overrides, tables."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from aiinfralint.config import Config, ConfigError, PricingConfig, TrafficConfig
from aiinfralint.estimate import TABLE_NAMES, Estimator, combine, fmt_usd, load_table
from aiinfralint.model.finding import Impact


@pytest.fixture(scope="module")
def est() -> Estimator:
    return Estimator()


# --- GPU workloads ------------------------------------------------------------------------


def test_p5_48xlarge_month_in_us_east_1(est: Estimator) -> None:
    imp = est.gpu_workload(None, 8, 730, instance_type="p5.48xlarge", region="us-east-1")
    assert imp.usd_per_month == D("55.04") * 730 == D("40179.20")
    assert imp.gpu_hours_per_month == 8 * 730
    # 8 GPUs × 700 W × 0.6 (default utilisation; no idle figure for H100) × 730 h × PUE 1.15
    kwh = D(8) * D(700) * D("0.6") * 730 / 1000 * D("1.15")
    assert imp.kwh_per_month == kwh == D("2820.72")
    assert imp.kgco2e_per_month == kwh * 379 / 1000
    assert round(imp.kgco2e_per_month, 3) == D("1069.053")
    text = " | ".join(imp.assumptions)
    for needle in ("8 × H100-SXM", "730 h", "60%", "700 W", "PUE 1.15", "379 gCO2e/kWh", "us-east-1", "$55.04/h"):
        assert needle in text, needle
    assert any(s.startswith("instances.yaml v1 (as of ") and "p5.48xlarge" in s for s in imp.sources)
    assert any(s.startswith("grid.yaml") for s in imp.sources)
    assert imp.unpriced == ()


def test_p5_with_explicit_utilisation_and_gpu_label(est: Estimator) -> None:
    imp = est.gpu_workload("NVIDIA-H100-80GB-HBM3", 8, 730, region="us-east-1", utilisation=1.0)
    # no instance named: priced per GPU-hour from the cheapest aws H100 instance ($55.04/8)
    assert imp.usd_per_month == D("6.88") * 8 * 730
    assert imp.kwh_per_month == D(8) * 700 * 730 / 1000 * D("1.15")


def test_idle_power_is_used_when_known(est: Estimator) -> None:
    # T4: 8 W idle, 70 W TDP (CCF method: idle + u × (max − idle))
    imp = est.gpu_workload("nvidia-tesla-t4", 1, 100, region="us-central1", utilisation=0.5)
    avg_w = D(8) + D("0.5") * (D(70) - D(8))
    assert imp.kwh_per_month == avg_w * 100 / 1000 * D("1.10")
    assert imp.kgco2e_per_month == imp.kwh_per_month * 430 / 1000
    assert any("8 W idle" in a for a in imp.assumptions)


def test_instance_share_and_region_price(est: Estimator) -> None:
    half = est.gpu_price_per_hour(instance_type="p5.48xlarge", count=4)
    assert half.usd_per_hour == D("27.52") and half.usd_per_gpu_hour == D("6.88")
    west = est.gpu_price_per_hour(instance_type="p5.48xlarge", count=8, region="us-west-1")
    assert west.usd_per_hour == D("68.80") and west.price_region == "us-west-1"
    other = est.gpu_price_per_hour(instance_type="p5.48xlarge", count=8, region="eu-west-1")
    assert other.usd_per_hour == D("55.04") and "us-east-1 price used" in other.basis


def test_provider_picks_that_providers_instances(est: Estimator) -> None:
    aws = est.gpu_price_per_hour("a100", provider="aws")
    gcp = est.gpu_price_per_hour("nvidia-tesla-a100", provider="gcp")
    anywhere = est.gpu_price_per_hour("a100")
    assert aws.usd_per_hour == D("21.957642") / 8 and aws.instance_type == "p4d.24xlarge"
    assert anywhere.usd_per_hour == D("2.744705") and anywhere.instance_type is None
    assert gcp.usd_per_hour == D("3.67") and gcp.instance_type == "a2-highgpu-1g"


def test_unknown_gpu_is_unpriced_with_reason_never_zero(est: Estimator) -> None:
    imp = est.gpu_workload(None, 2, 730)
    assert imp.usd_per_month is None and imp.kgco2e_per_month is None and imp.kwh_per_month is None
    assert imp.gpu_hours_per_month == 1460
    assert any("GPU model unknown" in u.reason for u in imp.unpriced)

    imp = est.gpu_workload("rtx-9090-ti", 1, 730)
    assert imp.usd_per_month is None
    assert any("'rtx-9090-ti' is not in gpus.yaml" in u.reason for u in imp.unpriced)

    price = est.gpu_price_per_hour("rtx-9090-ti")
    assert price.usd_per_hour is None and price.reason_unpriced


def test_known_gpu_without_price_still_gets_carbon(est: Estimator) -> None:
    imp = est.gpu_workload("nvidia-b200", 8, 730, region="us-central1", utilisation=0.5)
    assert imp.usd_per_month is None
    assert any("no on-demand price for B200" in u.reason for u in imp.unpriced)
    assert imp.kwh_per_month == D(8) * 1000 * D("0.5") * 730 / 1000 * D("1.10")
    assert imp.kgco2e_per_month is not None and imp.kgco2e_per_month > 0


def test_gpu_power(est: Estimator) -> None:
    assert est.gpu_power_watts("Tesla-T4")[:2] == (D(70), D(8))
    w, idle, src = est.gpu_power_watts("H100-SXM")
    assert (w, idle) == (D(700), None) and "gpus.yaml" in src
    assert est.gpu_power_watts("nonsense")[:2] == (None, None)


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("nvidia-tesla-a100", "A100-SXM4-40GB"),
        ("nvidia-a100-80gb", "A100-SXM4-80GB"),
        ("nvidia-l4", "L4"),
        ("nvidia-h100-80gb", "H100-SXM"),
        ("nvidia-h100-mega-80gb", "H100-SXM"),
        ("nvidia-tesla-t4", "T4"),
        ("nvidia-h200-141gb", "H200"),
        ("nvidia-b200", "B200"),
        ("NVIDIA-A100-SXM4-80GB", "A100-SXM4-80GB"),
        ("Tesla-T4", "T4"),
        ("NVIDIA-H100-80GB-HBM3", "H100-SXM"),
        ("NVIDIA-L4", "L4"),
        ("NVIDIA-A10G", "A10G"),
        ("a100", "A100-SXM4-40GB"),
        ("h100", "H100-SXM"),
        ("l4", "L4"),
        ("t4", "T4"),
        ("a10g", "A10G"),
        ("nvidia-gpu-l4", "L4"),
        ("nvidia-gpu-h100", "H100-SXM"),
        ("amd-gpu-mi300x", "MI300X"),
        ("H100 PCIe", "H100-PCIE"),
        ("h100_nvl", "H100-NVL"),
        ("nvidia.com/gpu.product=NVIDIA-L4", "L4"),
    ],
)
def test_gpu_names_from_kubernetes_labels(est: Estimator, name: str, row: str) -> None:
    assert est.resolve_gpu(name) == row


# --- tokens -------------------------------------------------------------------------------


def test_prefix_cache_loss_gpt_4o(est: Estimator) -> None:
    imp = est.prefix_cache_loss("gpt-4o", 4000, 200_000)
    # 4,000 × 200,000 × 30 = 24e9 tokens × ($2.50 − $1.25) / 1e6
    assert imp.usd_per_month == D(4000) * 200_000 * 30 * (D("2.50") - D("1.25")) / 1_000_000 == D(30_000)
    assert imp.tokens == 4000 and imp.unpriced == ()
    assert any("$2.50/1M" in a and "$1.25/1M" in a for a in imp.assumptions)
    assert imp.sources[0].startswith("models.yaml v1 (as of 2026-11-28): gpt-4o")


def test_prefix_cache_loss_claude_sonnet_4_5(est: Estimator) -> None:
    imp = est.prefix_cache_loss("anthropic/claude-sonnet-4-5-20250929", 4000, 200_000)
    assert imp.usd_per_month == D(4000) * 200_000 * 30 * (D("3.00") - D("0.30")) / 1_000_000 == D(64_800)
    assert any("claude-sonnet-4-5" in a for a in imp.assumptions)


def test_prefix_cache_loss_uses_configured_calls_when_missing() -> None:
    est = Estimator(Config(traffic=TrafficConfig(calls_per_day=1000)))
    imp = est.prefix_cache_loss("gpt-4o", 1000)
    assert imp.usd_per_month == D(1000) * 1000 * 30 * D("1.25") / 1_000_000
    assert any("default traffic" in a for a in imp.assumptions)


def test_prefix_cache_loss_without_cached_price(est: Estimator) -> None:
    imp = est.prefix_cache_loss("gpt-4o-2024-05-13", 4000, 1000)
    assert imp.usd_per_month is None and "cached-input" in imp.unpriced[0].reason


@pytest.mark.parametrize(
    ("model", "row"),
    [
        ("openai/gpt-4o-2024-08-06", "gpt-4o"),
        ("azure/gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),  # its own, dearer row
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("gemini/gemini-2.5-flash", "gemini-2.5-flash"),
        ("vertex_ai/gemini-2.5-pro", "gemini-2.5-pro"),
        ("gemini-2.5-flash-001", "gemini-2.5-flash"),
        ("claude-opus-4-5@20251101", "claude-opus-4-5"),
        ("GPT-4o", "gpt-4o"),
    ],
)
def test_model_alias_normalisation(est: Estimator, model: str, row: str) -> None:
    assert est.resolve_model(model) == row


def test_unknown_model_is_unpriced_with_reason(est: Estimator) -> None:
    cost = est.token_cost("claude-3-5-sonnet-latest", input_tokens=1000)
    assert cost.usd is None
    assert cost.reason_unpriced and "claude-3-5-sonnet-latest" in cost.reason_unpriced
    imp = est.prefix_cache_loss("my-finetune-v3", 4000, 1000)
    assert imp.usd_per_month is None and imp.unpriced and "my-finetune-v3" in imp.unpriced[0].reason


def test_token_cost(est: Estimator) -> None:
    cost = est.token_cost(
        "claude-sonnet-4-5",
        input_tokens=1_000_000,
        cached_input_tokens=2_000_000,
        cache_write_tokens=1_000_000,
        output_tokens=100_000,
    )
    assert cost.usd == D("3.00") + 2 * D("0.30") + D("3.75") + D("1.50")
    one_hour = est.token_cost("claude-sonnet-4-5", cache_write_tokens=1_000_000, cache_ttl="1h")
    assert one_hour.usd == D("6.00")
    # OpenAI before GPT-5.6: no write fee, writes are plain input
    assert est.token_cost("gpt-4o", cache_write_tokens=1_000_000).usd == D("2.50")
    assert est.token_cost("text-embedding-3-small", output_tokens=10).usd is None


def test_cache_minimum(est: Estimator) -> None:
    assert est.cache_minimum("gpt-4o")[:2] == (1024, "openai")
    assert est.cache_minimum("claude-sonnet-4-5-20250929")[:2] == (1024, "anthropic")
    assert est.cache_minimum("claude-haiku-4-5")[:2] == (4096, "anthropic")
    assert est.cache_minimum("gemini/gemini-2.5-pro")[:2] == (2048, "gemini")
    # an Anthropic model not listed: provider known, minimum not guessed
    mt, provider, src = est.cache_minimum("claude-unknown-9")
    assert (mt, provider) == (None, "anthropic") and "cache_rules.yaml" in src
    assert est.cache_minimum("llama-3-70b")[0] is None


# --- carbon -------------------------------------------------------------------------------


def test_grid_and_pue(est: Estimator) -> None:
    assert est.grid_intensity("us-east-1").g_per_kwh == 379
    assert est.grid_intensity("us-east-1a").g_per_kwh == 379
    assert est.grid_intensity("East US").g_per_kwh == 379
    assert est.grid_intensity("europe-west4-b").g_per_kwh == 236
    unknown = est.grid_intensity("mars-north-1")
    assert unknown.g_per_kwh == 475 and "not in grid.yaml" in unknown.basis
    none = est.grid_intensity(None)
    assert none.g_per_kwh == 475 and "region unknown" in none.basis
    assert est.pue("aws").pue == D("1.15")
    assert est.pue("GKE").pue == D("1.10")
    assert est.pue("azure").pue == D("1.17")
    default = est.pue(None)
    assert default.pue == D("1.2") and "provider unknown" in default.source


@pytest.mark.parametrize(
    ("region", "provider"),
    [
        ("us-east-1", "aws"),
        ("ap-southeast-2", "aws"),
        ("us-gov-west-1", "aws"),
        ("us-central1", "gcp"),
        ("europe-west4", "gcp"),
        ("us-central1-a", "gcp"),
        ("eastus", "azure"),
        ("westeurope", "azure"),
        ("swedencentral", "azure"),
        ("East US 2", "azure"),
        ("on-prem", None),
        (None, None),
    ],
)
def test_provider_for_region(est: Estimator, region: str | None, provider: str | None) -> None:
    assert est.provider_for_region(region) == provider


def test_unknown_region_falls_back_to_world_average(est: Estimator) -> None:
    imp = est.gpu_workload("H100", 1, 100, utilisation=1.0)
    assert imp.kwh_per_month == D(700) * 100 / 1000 * D("1.2")
    assert imp.kgco2e_per_month == imp.kwh_per_month * 475 / 1000
    assert any("world average 475" in a for a in imp.assumptions)


# --- configuration overrides --------------------------------------------------------------


def test_region_from_config() -> None:
    est = Estimator(Config(traffic=TrafficConfig(region="eu-north-1")))
    imp = est.gpu_workload(None, 8, 730, instance_type="p5.48xlarge", utilisation=0.5)
    assert imp.kgco2e_per_month == imp.kwh_per_month * 9 / 1000
    assert any("eu-north-1" in a and "traffic" in a for a in imp.assumptions)


def test_overrides_replace_and_add_rows() -> None:
    cfg = Config(
        pricing=PricingConfig(
            models={
                "gpt-4o": {"input": 2.0, "cached_input": 1.0},
                "acme-llm": {"input": 1, "cached_input": "0.5", "output": 4},
            },
            gpus={"H100-SXM": {"usd_per_hour": 4.0}, "nvidia-l40s": {"usd_per_hour": 1.5}},
            grid={"aws/us-east-1": {"g_per_kwh": 300}, "eu-north-1": {"g_per_kwh": 20}},
            pue={"aws": 1.1},
        ),
        source="/repo/pyproject.toml",
    )
    est = Estimator(cfg)
    imp = est.prefix_cache_loss("gpt-4o-2024-08-06", 4000, 200_000)
    assert imp.usd_per_month == D(24_000_000_000) * D("1.0") / 1_000_000
    assert imp.sources[0].startswith("configuration (/repo/pyproject.toml)")
    assert est.token_cost("gpt-4o", output_tokens=1_000_000).usd == D("10.00")  # untouched column
    assert est.token_cost("acme-llm", input_tokens=1_000_000).usd == D(1)

    assert est.gpu_price_per_hour("nvidia-h100-80gb", provider="aws").usd_per_hour == D("4.0")
    # a configured GPU price beats the shipped instance price
    inst = est.gpu_price_per_hour(instance_type="p5.48xlarge", count=8)
    assert inst.usd_per_hour == D("32.0") and "configuration" in inst.source
    assert est.gpu_price_per_hour("L40S").usd_per_hour == D("1.5")

    grid = est.grid_intensity("us-east-1")
    assert grid.g_per_kwh == 300 and grid.source.startswith("configuration (/repo/pyproject.toml)")
    assert est.grid_intensity("eu-north-1").g_per_kwh == 20
    assert est.pue("aws").pue == D("1.1")
    # shipped tables are untouched for other estimators
    assert Estimator().grid_intensity("us-east-1").g_per_kwh == 379


def test_override_adds_instance_type() -> None:
    est = Estimator(
        Config(
            pricing=PricingConfig(
                instances={"my-h100-box": {"provider": "aws", "gpu": "h100", "count": 8, "usd_per_hour": 30}}
            )
        )
    )
    imp = est.gpu_workload(None, 8, 100, instance_type="MY-H100-BOX", region="us-east-1", utilisation=1)
    assert imp.usd_per_month == D(3000)
    assert imp.kwh_per_month == D(8) * 700 * 100 / 1000 * D("1.15")


@pytest.mark.parametrize(
    "pricing",
    [
        {"models": {"gpt-4o": {"input": "two dollars"}}},
        {"gpus": {"H100-SXM": {"usd_per_h": 4}}},
        {"grid": {"aws/us-east-1": {"g_per_kwh": -1}}},
    ],
)
def test_bad_overrides_are_config_errors(pricing: dict) -> None:
    with pytest.raises(ConfigError):
        Estimator(Config(pricing=PricingConfig(**pricing)))


def test_kebab_case_override_columns() -> None:
    est = Estimator(Config(pricing=PricingConfig(models={"gpt-4o": {"cached-input": 0.5}})))
    assert est.token_cost("gpt-4o", cached_input_tokens=1_000_000).usd == D("0.5")


# --- combine ------------------------------------------------------------------------------


def test_combine(est: Estimator) -> None:
    a = est.prefix_cache_loss("gpt-4o", 4000, 200_000)
    b = est.gpu_workload(None, 8, 730, instance_type="p5.48xlarge", region="us-east-1")
    c = est.gpu_workload(None, 1, 10)
    total = combine([a, b, c, None])
    assert total.usd_per_month == D(30_000) + D("40179.20")
    assert total.kgco2e_per_month == b.kgco2e_per_month
    assert total.gpu_hours_per_month == 8 * 730 + 10
    assert set(a.assumptions) | set(b.assumptions) <= set(total.assumptions)
    assert c.unpriced and set(c.unpriced) <= set(total.unpriced)
    assert combine([]) == Impact()


# --- tables -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_table_is_versioned_and_every_row_sourced(name: str) -> None:
    table = load_table(name)
    assert table.version and table.as_of and table.source
    assert len(table.as_of) == 10 and table.as_of[4] == "-"  # ISO date
    assert table.rows
    for key, row in table.rows.items():
        assert str(row.get("source", "")).strip(), f"{name}.yaml row {key} has no source"


def test_table_cross_references() -> None:
    est = Estimator()
    for key, row in load_table("instances").rows.items():
        assert est.resolve_gpu(row["gpu"]), f"instances.yaml {key}: unknown GPU {row['gpu']}"
        assert row["provider"] in {"aws", "gcp", "azure"}
        assert int(row["count"]) >= 1
    for key, row in load_table("gpus").rows.items():
        assert row.get("watts") is not None, key
        if row.get("usd_per_hour") is not None:
            assert "[derived]" in row["source"] or "[derived]" in str(row.get("price_basis", ""))
    for key, row in load_table("models").rows.items():
        assert row.get("input") is not None, key
    assert load_table("grid").rows["any/unknown"]["g_per_kwh"] == 475
    assert "default" in load_table("pue").rows


def test_aliases_do_not_collide() -> None:
    est = Estimator()
    for name in ("models", "gpus"):
        table = est.table(name)
        seen: dict[str, str] = {}
        for key, row in table.rows.items():
            for alias in row.get("aliases") or ():
                norm = str(alias).lower()
                assert seen.setdefault(norm, key) == key, f"{name}: alias {alias} on {key} and {seen[norm]}"


def test_fmt_usd() -> None:
    assert fmt_usd(D("40179.2")) == "$40,179.20"
    assert fmt_usd(D("0.3")) == "$0.30"
    assert fmt_usd(D("0.075")) == "$0.075"


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, aiinfralint.estimate; "
        "bad = [m for m in ('rich', 'libcst', 'tiktoken', 'ruamel.yaml') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_gpu_sharing_suffixes_resolve_to_the_whole_gpu(est: Estimator) -> None:
    assert est.resolve_gpu("NVIDIA-A100-SXM4-40GB-SHARED") == "A100-SXM4-40GB"
    assert est.resolve_gpu("NVIDIA-A100-SXM4-80GB-MIG-1g.10gb") == "A100-SXM4-80GB"


def test_unknown_instance_type_says_so(est: Estimator) -> None:
    imp = est.gpu_workload(None, 8, 730, instance_type="x9.huge")
    assert imp.usd_per_month is None and imp.kgco2e_per_month is None
    assert all("x9.huge" in u.reason for u in imp.unpriced)
    # an instance with a known GPU but no price, and no priced instance of that GPU at its
    # cloud: energy from the GPU, price from the GPU row, flagged as a stand-in
    imp = est.gpu_workload(None, 8, 730, instance_type="a3-ultragpu-8g", region="us-central1")
    assert imp.kwh_per_month == D(8) * 700 * D("0.6") * 730 / 1000 * D("1.10")
    assert imp.usd_per_month == D("7.912") * 8 * 730
    assert any("priced as nearest: no gcp instance price listed for H200" in a for a in imp.assumptions)


def test_estimator_pickles_for_worker_processes() -> None:
    import pickle

    est = Estimator(Config(pricing=PricingConfig(pue={"aws": 1.3})))
    est.gpu_workload("h100", 1, 1, region="us-east-1")
    again = pickle.loads(pickle.dumps(est))
    assert again.pue("aws").pue == D("1.3")


def test_shared_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        load_table("grid").rows["any/unknown"]["g_per_kwh"] = 0  # type: ignore[index]
