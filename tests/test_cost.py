"""The cost inventory: arithmetic against hand-computed cases, and `aiinfralint cost` end to end."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.config import Config, PricingConfig, TrafficConfig
from aiinfralint.estimate import Estimator, inventory
from aiinfralint.pipeline.engine import RunOptions, run
from aiinfralint.tokens import count_tokens

P5_SERVING = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-70b
  namespace: llm
spec:
  replicas: 1
  selector: {matchLabels: {app: chat-70b}}
  template:
    metadata: {labels: {app: chat-70b}}
    spec:
      nodeSelector:
        node.kubernetes.io/instance-type: p5.48xlarge
        %(region)s
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          resources:
            limits: {nvidia.com/gpu: 8}
"""


def _inventory(tmp_path: Path, files: dict[str, str], config: Config | None = None) -> inventory.Inventory:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cfg = config or Config()
    result = run(RunOptions(paths=["."], config=cfg, cwd=tmp_path, select=["AIL000"], use_cache=False, jobs=1))
    return inventory.build(result.project, cfg)


def _p5(region_line: str) -> str:
    return P5_SERVING % {"region": region_line}


# --- GPU workloads ------------------------------------------------------------------------


def test_p5_48xlarge_for_a_month_in_us_east_1(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, {"serving.yaml": _p5("topology.kubernetes.io/region: us-east-1")})
    (item,) = inv.of("gpu-workload")
    assert item.basis == "serving: 1 replica × 8 GPUs × 730 h"
    # $55.04/h × 730 h
    assert item.usd_per_month == D("40179.20")
    # 8 × 700 W × 60% × 730 h / 1000 × PUE 1.15 = 2,820.72 kWh; × 379 g/kWh
    assert item.kwh_per_month == D("2820.72")
    assert item.kgco2e_per_month == D("2820.72") * 379 / 1000 == D("1069.05288")
    assert item.estimate.gpu_hours_per_month == 8 * 730
    assert item.usd_basis == item.carbon_basis == "estimated"
    assert item.line == 2  # the object's kind line


def test_grid_override_for_the_region(tmp_path: Path) -> None:
    cfg = Config(pricing=PricingConfig(grid={"aws/us-east-1": {"g_per_kwh": 100}}))
    inv = _inventory(tmp_path, {"serving.yaml": _p5("topology.kubernetes.io/region: us-east-1")}, cfg)
    (item,) = inv.of("gpu-workload")
    assert item.kgco2e_per_month == D("2820.72") * 100 / 1000
    assert item.usd_per_month == D("40179.20")  # price untouched
    assert any("configuration" in s for s in item.estimate.sources)


def test_configured_region_when_the_manifest_names_none(tmp_path: Path) -> None:
    cfg = Config(traffic=TrafficConfig(region="eu-north-1"))
    inv = _inventory(tmp_path, {"serving.yaml": _p5("")}, cfg)
    (item,) = inv.of("gpu-workload")
    # eu-north-1: 9 gCO2e/kWh (CCF); the AWS PUE still applies
    assert item.kwh_per_month == D("2820.72")
    assert item.kgco2e_per_month == D("2820.72") * 9 / 1000
    assert any("eu-north-1 from [tool.aiinfralint.traffic] region" in a for a in item.estimate.assumptions)


def test_autoscaled_serving_counts_the_minimum(tmp_path: Path) -> None:
    hpa = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: chat-70b, namespace: llm}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: chat-70b}
  minReplicas: 2
  maxReplicas: 6
  metrics:
    - type: Pods
      pods:
        metric: {name: vllm_num_requests_waiting}
        target: {type: AverageValue, averageValue: "5"}
"""
    inv = _inventory(tmp_path, {"serving.yaml": _p5("topology.kubernetes.io/region: us-east-1"), "hpa.yaml": hpa})
    (item,) = inv.of("gpu-workload")
    assert "min replicas 2 (HorizontalPodAutoscaler chat-70b min 2)" in item.basis
    assert item.usd_per_month == D("40179.20") * 2
    assert item.estimate.gpu_hours_per_month == 16 * 730
    assert any("replicas added under load are not" in a for a in item.estimate.assumptions)


def test_batch_is_schedule_times_run_length(tmp_path: Path) -> None:
    cron = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly-finetune, namespace: ml}
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      activeDeadlineSeconds: 10800
      template:
        spec:
          restartPolicy: Never
          nodeSelector:
            node.kubernetes.io/instance-type: p4d.24xlarge
            topology.kubernetes.io/region: us-east-1
          containers:
            - name: trainer
              image: ghcr.io/acme/finetune:2.4.1
              resources: {limits: {nvidia.com/gpu: 8}}
"""
    inv = _inventory(tmp_path, {"cron.yaml": cron})
    (item,) = inv.of("gpu-workload")
    assert item.basis == "batch: 30 runs/month × 3 h"
    hours = D(90)
    assert item.usd_per_month == D("21.957642") * hours
    # A100 SXM4: 46 W idle + 60% × (400 − 46) W = 258.4 W per GPU
    kwh = D(8) * D("258.4") * hours / 1000 * D("1.15")
    assert item.kwh_per_month == kwh
    assert item.kgco2e_per_month == kwh * 379 / 1000


def test_unknown_gpu_is_listed_unpriced_with_the_reason(tmp_path: Path) -> None:
    inv = _inventory(
        tmp_path, {"serving.yaml": _p5("").replace("node.kubernetes.io/instance-type: p5.48xlarge", "pool: gpu")}
    )
    (item,) = inv.of("gpu-workload")
    assert item.usd_per_month is None and item.kgco2e_per_month is None
    assert any("GPU model unknown" in r.reason for r in item.unpriced)
    t = inv.totals("gpu-workload")
    assert (t.items, t.usd_unpriced, t.carbon_unpriced) == (1, 1, 1)
    assert t.reasons and t.reasons[0][1] == 1


def test_stated_annotation_wins_in_the_totals(tmp_path: Path) -> None:
    text = _p5("topology.kubernetes.io/region: us-east-1").replace(
        "  namespace: llm\n", '  namespace: llm\n  annotations:\n    aiinfralint/carbon-kgco2e-per-month: "900"\n', 1
    )
    inv = _inventory(tmp_path, {"serving.yaml": text})
    (item,) = inv.of("gpu-workload")
    assert item.kgco2e_per_month == D(900) and item.carbon_basis == "stated"
    assert item.kwh_per_month is None  # a stated carbon figure is not mixed with our energy
    assert item.estimate.kgco2e_per_month == D("1069.05288")


# --- prompts ------------------------------------------------------------------------------


@pytest.mark.parametrize("model,cached_price", [("gpt-4o", D("1.25")), ("claude-sonnet-4-5", D("0.30"))])
def test_4000_token_cached_prefix_at_200000_calls_a_day(model: str, cached_price: D) -> None:
    imp = Estimator().prefix_cost(model, 4000, 0, 200_000)
    # 4,000 tokens × 200,000 calls × 30 days = 24,000,000,000 cached tokens/month
    assert imp.usd_per_month == D(24_000_000_000) * cached_price / 1_000_000
    assert imp.usd_per_month == {"gpt-4o": D(30000), "claude-sonnet-4-5": D(7200)}[model]
    assert any("200,000 calls/day" in a for a in imp.assumptions)


def test_prompt_inventory_uses_configured_calls_and_cache_price(tmp_path: Path) -> None:
    system = "You are the support assistant of Acme Travel. " * 160
    prompt = f'---\nname: support\nmodel: gpt-4o\n---\n{{{{#role "system"}}}}\n{system}\n{{{{/role}}}}\n{{{{#role "user"}}}}\n{{{{question}}}}\n{{{{/role}}}}\n'
    cfg = Config(traffic=TrafficConfig(prompts={"support": 200_000}))
    inv = _inventory(tmp_path, {"prompts/support.prompt": prompt}, cfg)
    (item,) = inv.of("prompt")
    tokens = item.estimate.tokens
    assert tokens is not None and tokens >= 1024  # above OpenAI's cache minimum
    assert abs(tokens - count_tokens(system).tokens) <= 4
    assert item.usd_per_month == D(tokens) * 200_000 * 30 * D("1.25") / 1_000_000
    assert item.kgco2e_per_month is None and item.unpriced  # says why, never zero


def test_prefix_below_cache_minimum_is_billed_as_input(tmp_path: Path) -> None:
    prompt = '---\nname: short\nmodel: gpt-4o\n---\n{{#role "system"}}\nAnswer briefly.\n{{/role}}\n{{#role "user"}}\n{{q}}\n{{/role}}\n'
    inv = _inventory(tmp_path, {"prompts/short.prompt": prompt}, Config(traffic=TrafficConfig(prompts={"short": 1000})))
    (item,) = inv.of("prompt")
    tokens = item.estimate.tokens
    assert tokens and tokens < 1024
    assert item.usd_per_month == D(tokens) * 1000 * 30 * D("2.50") / 1_000_000
    assert any("below openai's caching minimum" in a for a in item.estimate.assumptions)


# --- AI features --------------------------------------------------------------------------

FEATURE = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: order-status-chat
spec:
  model: gpt-4o-2024-08-06
  provider: azure
  regions: [eastus]
  traffic: {requestsPerDay: 250000, timeZone: America/Chicago}
  tokensPerRequest: {input: 2200, cachedInput: 1500, output: 300}
  functionalUnit: 1 answered order question
"""


def test_feature_tokens_energy_and_sci_per_unit(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, {"features.yaml": FEATURE})
    (item,) = inv.of("feature")
    month = D(250_000 * 30)
    # 700 uncached × $2.50 + 1,500 cached × $1.25 + 300 output × $10.00 per 1M, × 7.5M requests
    usd = (700 * D("2.50") + 1500 * D("1.25") + 300 * D("10.00")) * month / 1_000_000
    assert item.usd_per_month == usd == D("49687.5")
    # 0.34 Wh/request (OpenAI) × PUE 1.17 (Azure) × 379 g/kWh (eastus)
    kwh = month * D("0.34") / 1000 * D("1.17")
    assert item.kwh_per_month == kwh == D("2983.5")
    assert item.kgco2e_per_month == kwh * 379 / 1000
    assert item.units_per_month == month
    assert item.g_per_unit == item.kgco2e_per_month * 1000 / month
    assert round(item.g_per_unit, 4) == D("0.1508")


def test_feature_stated_line_items_take_precedence(tmp_path: Path) -> None:
    text = FEATURE + "  cost: {usdPerMonth: 14200}\n  carbon: {kgco2ePerMonth: 38}\n"
    inv = _inventory(tmp_path, {"features.yaml": text})
    (item,) = inv.of("feature")
    assert item.usd_per_month == D(14200) and item.usd_basis == "stated"
    assert item.kgco2e_per_month == D(38) and item.carbon_basis == "stated"
    assert item.estimate.usd_per_month == D("49687.5")


def test_per_user_functional_unit_has_no_per_request_figure(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, {"features.yaml": FEATURE.replace("1 answered order question", "1 monthly active user")})
    (item,) = inv.of("feature")
    assert item.g_per_unit is None and item.unit_note and "not a request" in item.unit_note


def test_vendor_without_energy_disclosure_is_unpriced_then_configurable(tmp_path: Path) -> None:
    text = (
        FEATURE.replace("gpt-4o-2024-08-06", "claude-sonnet-4-5")
        .replace("azure", "anthropic")
        .replace("[eastus]", "[us-east-1]")
    )
    inv = _inventory(tmp_path, {"features.yaml": text})
    (item,) = inv.of("feature")
    assert item.kgco2e_per_month is None
    assert any("publishes no energy per request" in r.reason for r in item.unpriced)
    cfg = Config(pricing=PricingConfig(inference_energy={"anthropic": {"wh_per_request": 0.5}}))
    inv = _inventory(tmp_path, {"features.yaml": text}, cfg)
    (item,) = inv.of("feature")
    # 7.5M × 0.5 Wh × PUE 1.15 (us-east-1 is AWS) × 379 g/kWh
    assert item.kwh_per_month == D(7_500_000) * D("0.5") / 1000 * D("1.15")
    assert item.kgco2e_per_month == item.kwh_per_month * 379 / 1000


# --- the command --------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "serving.yaml").write_text(_p5("topology.kubernetes.io/region: us-east-1"), encoding="utf-8")
    (tmp_path / "features.yaml").write_text(FEATURE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    return tmp_path


def test_cost_command_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", ".", "--format", "json", "--no-cache"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {i["category"] for i in doc["items"]} == {"gpu-workload", "feature"}
    gpu = next(i for i in doc["items"] if i["category"] == "gpu-workload")
    assert gpu["path"] == "k8s/serving.yaml" and gpu["usd_per_month"] == 40179.2
    assert gpu["kgco2e_per_month"] == 1069.053 and gpu["kwh_per_month"] == 2820.72
    feat = next(i for i in doc["items"] if i["category"] == "feature")
    assert feat["gco2e_per_unit"] == 0.1508 and feat["functional_unit"] == "1 answered order question"
    total = doc["totals"]["all"]
    assert total["items"] == 2 and total["usd_per_month"] == 89866.7
    assert total["items_without_usd"] == 0 and doc["totals"]["prompt"]["items"] == 0
    assert doc["assumptions"]


def test_cost_command_text_and_markdown(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--no-cache"]) == 0
    text = capsys.readouterr().out
    for needle in (
        "GPU workloads",
        "Deployment llm/chat-70b",
        "$40,179.20",
        "1,069.1",
        "AI features",
        "Totals per month",
        "$89,866.70",
        "Prompts: none found",
    ):
        assert needle in text, needle
    out = project / "cost.md"
    assert main(["cost", ".", "--format", "markdown", "--output", str(out), "--no-cache"]) == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("## aiinfralint cost inventory")
    assert "| **total** | 2 | **$89,866.70** |" in md
    assert "0.151 per 1 answered order question" in md


def test_cost_command_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "-"]) == 2
    assert main(["cost", "--format", "sarif"]) == 2
    assert main(["cost", "--config", "missing.toml"]) == 2


def test_cost_on_the_corpus_does_not_crash() -> None:
    from conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("corpus not present")
    cfg = Config()
    result = run(RunOptions(paths=[str(CORPUS)], config=cfg, select=["AIL000"], use_cache=False))
    inv = inventory.build(result.project, cfg)
    for item in inv.items:
        assert item.usd_per_month is not None or item.unpriced, item.name
