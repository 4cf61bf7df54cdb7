"""AIL501 missing-carbon-line-item: what it flags, what stays silent, and that its numbers are the inventory's."""

from __future__ import annotations

from decimal import Decimal as D

from aiinfralint.config import Config
from aiinfralint.estimate import inventory

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
  namespace: llm
%(annotations)sspec:
  replicas: 2
  selector: {matchLabels: {app: chat}}
  template:
    metadata:
      labels: {app: chat}
%(pod_annotations)s    spec:
      nodeSelector:
        node.kubernetes.io/instance-type: p5.48xlarge
        topology.kubernetes.io/region: us-east-1
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          resources: {limits: {nvidia.com/gpu: 8}}
"""


def _deployment(annotations: str = "", pod_annotations: str = "") -> str:
    return DEPLOYMENT % {"annotations": annotations, "pod_annotations": pod_annotations}


def _ail501(result):
    return [f for f in result.findings if f.code == "AIL501"]


def test_gpu_workload_without_carbon_states_the_inventory_estimate(run_check) -> None:
    result = run_check({"chat.yaml": _deployment()}, select=["AIL501"])
    (f,) = _ail501(result)
    item = inventory.build(result.project, Config()).of("gpu-workload")[0]
    assert item.kgco2e_per_month == D("1069.05288") * 2
    assert f.impact is not None and f.impact.kgco2e_per_month == item.kgco2e_per_month
    assert f.impact.usd_per_month is None  # the workload's bill is not the finding's cost
    # the message quotes only what the impact holds: kgCO2e and kWh, not the bill
    assert "2,138.1 kgCO2e/month" in f.message and "5,641.4 kWh" in f.message and "$" not in f.message
    assert 'aiinfralint/carbon-kgco2e-per-month: "2138"' in f.remediation
    assert f.span.line == 2 and f.severity.value == "info"


def test_annotation_on_metadata_or_pod_template_silences(run_check) -> None:
    meta = '  annotations:\n    aiinfralint/carbon-kgco2e-per-month: "1500"\n'
    pod = '      annotations:\n        aiinfralint/carbon-kgco2e-per-month: "0"\n'
    assert not _ail501(run_check({"a.yaml": _deployment(annotations=meta)}, select=["AIL501"]))
    assert not _ail501(run_check({"a.yaml": _deployment(pod_annotations=pod)}, select=["AIL501"]))


def test_unreadable_annotation_is_reported_at_the_annotation(run_check) -> None:
    meta = '  annotations:\n    aiinfralint/carbon-kgco2e-per-month: "TBD"\n'
    (f,) = _ail501(run_check({"a.yaml": _deployment(annotations=meta)}, select=["AIL501"]))
    assert f.span.line == 7 and "'TBD'" in f.message


def test_scale_to_zero_and_unknown_gpu_stay_silent(run_check) -> None:
    kserve = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: coder, namespace: llm}
spec:
  predictor:
    minReplicas: 0
    nodeSelector: {cloud.google.com/gke-accelerator: nvidia-l4}
    model:
      modelFormat: {name: huggingface}
      storageUri: hf://Qwen/Qwen2.5-Coder-7B-Instruct
      resources: {limits: {nvidia.com/gpu: 1}}
"""
    unknown = _deployment().replace("node.kubernetes.io/instance-type: p5.48xlarge", "pool: gpu")
    result = run_check({"kserve.yaml": kserve, "unknown.yaml": unknown}, select=["AIL501"])
    assert not _ail501(result)


def test_feature_without_cost_is_silent_and_with_cost_is_flagged_at_cost(run_check) -> None:
    base = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata: {name: answers}
spec:
  model: gemini-2.5-flash
  provider: vertex_ai
  regions: [europe-west1]
  traffic: {requestsPerDay: 40000}
  tokensPerRequest: {input: 1800, output: 250}
"""
    assert not _ail501(run_check({"f.yaml": base}, select=["AIL501"]))
    (f,) = _ail501(run_check({"f.yaml": base + "  cost: {usdPerMonth: 1450}\n"}, select=["AIL501"]))
    # 40,000 × 30 × 0.24 Wh (overhead included) = 288 kWh × 122 g/kWh = 35.136 kg
    assert f.impact is not None and f.impact.kgco2e_per_month == D("35.136")
    assert f.span.line == 10 and "35.1 kgCO2e/month" in f.message
    assert "kgco2ePerMonth: 35" in f.remediation
