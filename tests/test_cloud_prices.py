"""GPU node pools priced from their own cloud's rows, with that region's grid (docs/estimates.md,
"Cloud-true GPU prices and grids")."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.config import ClusterConfig, ClusterTarget, Config, ConfigError, parse_text
from aiinfralint.estimate import Estimator, inventory
from aiinfralint.estimate.inventory import Item
from aiinfralint.pipeline.engine import RunOptions, run

POOL = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: llm, namespace: serving}
spec:
  replicas: 1
  selector: {matchLabels: {app: llm}}
  template:
    metadata: {labels: {app: llm}}
    spec:
      nodeSelector:
%(selector)s
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          resources: {limits: {nvidia.com/gpu: %(gpus)d}}
"""


def _manifest(labels: dict[str, str], gpus: int = 8) -> str:
    selector = "\n".join(f"        {k}: {v}" for k, v in labels.items())
    return POOL % {"selector": selector, "gpus": gpus}


def _run(tmp_path: Path, files: dict[str, str], config: Config | None = None) -> tuple[Item, Estimator]:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cfg = config or Config()
    result = run(RunOptions(paths=["."], config=cfg, cwd=tmp_path, select=["AIL000"], use_cache=False, jobs=1))
    est = Estimator(cfg)
    (item,) = inventory.build(result.project, cfg, est).of("gpu-workload")
    return item, est


def _text(item: Item) -> str:
    return "\n".join(item.estimate.assumptions)


# --- hand-computed node pools -------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        {
            "cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
            "node.kubernetes.io/instance-type": "a3-highgpu-8g",
            "topology.kubernetes.io/region": "us-central1",
        },
        {  # accelerator and machine family only: the cheapest GCP H100 machine
            "cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
            "cloud.google.com/machine-family": "a3",
            "topology.kubernetes.io/region": "us-central1",
        },
    ],
)
def test_gke_h100_node_pool_in_us_central1(tmp_path: Path, labels: dict[str, str]) -> None:
    item, _ = _run(tmp_path, {"gke.yaml": _manifest(labels)})
    # a3-highgpu-8g $88.49/h × 730 h
    assert item.usd_per_month == D("64597.70")
    # 8 × 700 W × 60% × 730 h / 1000 × PUE 1.10 (gcp) = 2,698.08 kWh
    assert item.kwh_per_month == D("2698.08")
    # × 430 gCO2e/kWh (gcp/us-central1) / 1000
    assert item.kgco2e_per_month == D("2698.08") * 430 / 1000 == D("1160.1744")
    text = _text(item)
    assert "a3-highgpu-8g" in text and "p5" not in text and "aws" not in text
    assert "gcp/us-central1" in text


def test_aks_a100_node_pool_in_westeurope(tmp_path: Path) -> None:
    labels = {
        "kubernetes.azure.com/agentpool": "gpupool",
        "node.kubernetes.io/instance-type": "Standard_ND96asr_v4",
        "topology.kubernetes.io/region": "westeurope",
    }
    item, _ = _run(tmp_path, {"aks.yaml": _manifest(labels)})
    # Standard_ND96asr_v4 $27.197/h (East US list price) × 730 h
    assert item.usd_per_month == D("19853.81")
    # 8 × (46 + 60% × (400 − 46)) W = 8 × 258.4 W × 730 h / 1000 × PUE 1.17 (azure)
    assert item.kwh_per_month == D("1765.59552")
    # × 328 gCO2e/kWh (azure/westeurope) / 1000
    assert item.kgco2e_per_month == D("1765.59552") * 328 / 1000 == D("579.11533056")
    assert "no price listed for westeurope, eastus price used" in _text(item)


def test_eks_p5_for_comparison(tmp_path: Path) -> None:
    labels = {
        "eks.amazonaws.com/nodegroup": "gpu",
        "node.kubernetes.io/instance-type": "p5.48xlarge",
        "topology.kubernetes.io/region": "us-east-1",
    }
    item, _ = _run(tmp_path, {"eks.yaml": _manifest(labels)})
    assert item.usd_per_month == D("40179.20")  # $55.04/h × 730 h
    assert item.kwh_per_month == D("2820.72")  # 8 × 420 W × 730 h / 1000 × 1.15
    assert item.kgco2e_per_month == D("2820.72") * 379 / 1000


def test_no_cloud_hints_keeps_the_indicative_price_and_states_the_world_average(tmp_path: Path) -> None:
    files = {"pool.yaml": _manifest({"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"})}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run(RunOptions(paths=["."], config=Config(), cwd=tmp_path, use_cache=False, jobs=1))
    used = {d.key: d for d in result.defaults_used}
    assert used["cluster.region"].value == "world average, 475 gCO2e/kWh"
    assert "topology.kubernetes.io/region" in used["cluster.region"].what
    item, _ = _run(tmp_path, {})
    # H100-SXM indicative $6.88/GPU-hour × 8 × 730 h; default PUE 1.2; world average 475 g/kWh
    assert item.usd_per_month == D("40179.20")
    assert item.kwh_per_month == D("2943.36")
    assert item.kgco2e_per_month == D("2943.36") * 475 / 1000


# --- placement from configuration ---------------------------------------------------------


def test_cluster_config_per_path_places_a_gke_l4_pool(tmp_path: Path) -> None:
    cfg = Config(
        cluster=ClusterConfig(
            cloud="aws",
            region="us-east-1",
            per_path={"gke/**": ClusterTarget(cloud="gcp", region="europe-west4")},
        )
    )
    item, _ = _run(tmp_path, {"gke/l4.yaml": _manifest({"nvidia.com/gpu.product": "NVIDIA-L4"}, gpus=1)}, cfg)
    # g2-standard-4 $0.70683/h × 730 h
    assert item.usd_per_month == D("515.9859")
    # 72 W × 60% × 730 h / 1000 × PUE 1.10 = 34.6896 kWh; × 236 g/kWh (gcp/europe-west4)
    assert item.kwh_per_month == D("34.6896")
    assert item.kgco2e_per_month == D("34.6896") * 236 / 1000
    text = _text(item)
    assert 'cloud gcp from [tool.aiinfralint.cluster.per-path] "gke/**"' in text
    assert "gcp/europe-west4" in text


def test_manifest_labels_beat_the_cluster_config(tmp_path: Path) -> None:
    cfg = Config(cluster=ClusterConfig(cloud="azure", region="westeurope"))
    labels = {"node.kubernetes.io/instance-type": "p5.48xlarge", "topology.kubernetes.io/region": "us-east-1"}
    item, _ = _run(tmp_path, {"eks.yaml": _manifest(labels)}, cfg)
    assert item.usd_per_month == D("40179.20")
    assert item.kgco2e_per_month == D("2820.72") * 379 / 1000


def test_cluster_region_removes_the_world_average_default(tmp_path: Path) -> None:
    (tmp_path / "pool.yaml").write_text(_manifest({"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}))
    cfg = Config(cluster=ClusterConfig(region="us-central1"))
    result = run(RunOptions(paths=["."], config=cfg, cwd=tmp_path, use_cache=False, jobs=1))
    assert "cluster.region" not in {d.key for d in result.defaults_used}


# --- stand-ins are never silent -----------------------------------------------------------


def test_gke_t4_without_a_gcp_price_is_priced_as_nearest_and_says_so(tmp_path: Path) -> None:
    labels = {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4", "topology.kubernetes.io/region": "us-central1"}
    item, _ = _run(tmp_path, {"gke.yaml": _manifest(labels, gpus=1)})
    text = _text(item)
    assert "priced as nearest: no gcp instance price listed for T4" in text
    assert "[tool.aiinfralint.pricing.gpus.T4] usd_per_hour" in text


def test_an_unpriced_machine_of_a_cloud_is_priced_as_nearest_from_the_same_cloud() -> None:
    imp = Estimator().gpu_workload(None, 8, 730, instance_type="a3-megagpu-8g", region="us-central1")
    text = "\n".join(imp.assumptions)
    assert "a3-megagpu-8g has no on-demand price" in text
    assert "priced as nearest: H100-SXM priced from a3-highgpu-8g" in text
    assert imp.usd_per_month == D("88.49") * 730


def test_karpenter_instance_family_names_the_gpu() -> None:
    imp = Estimator().gpu_workload(None, 1, 730, family="p5", provider="aws", region="us-east-1")
    assert imp.usd_per_month == D("6.88") * 730
    assert "GPU H100-SXM from instance family p5" in "\n".join(imp.assumptions)


def test_an_ambiguous_family_names_no_gpu() -> None:
    # a3 machines carry H100 (highgpu, megagpu) and H200 (ultragpu)
    imp = Estimator().gpu_workload(None, 8, 730, family="a3", provider="gcp")
    assert imp.usd_per_month is None


# --- configuration is checked at load -----------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[tool.aiinfralint.cluster]\ncloud = "oracle"\n', "[tool.aiinfralint.cluster] cloud"),
        ("[tool.aiinfralint.cluster]\nregion = 3\n", "[tool.aiinfralint.cluster] region"),
        ('[tool.aiinfralint.cluster]\nregoin = "x"\n', "regoin: unknown key; did you mean region?"),
        ('[tool.aiinfralint.cluster.per-path."a/**"]\nzone = "x"\n', '[tool.aiinfralint.cluster.per-path."a/**"] zone'),
    ],
)
def test_bad_cluster_keys_name_the_key(toml: str, named: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        parse_text(toml.encode(), Path("pyproject.toml"))
    assert named in str(err.value)


def test_bad_cluster_config_is_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.aiinfralint.cluster]\ncloud = "oracle"\n')
    (tmp_path / "pool.yaml").write_text(_manifest({"nvidia.com/gpu.product": "NVIDIA-L4"}, gpus=1))
    assert main(["cost", str(tmp_path), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "[tool.aiinfralint.cluster] cloud" in err[0]
