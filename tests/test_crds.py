"""LLM serving and agent CRDs are read by API group and kind, not by name tokens."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import FIXTURES, ROOT

from aiinfralint.analysis.workloads import agent_reason, is_llm_backend, llm_engine
from aiinfralint.model.k8s import Autoscaler, Workload
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.files import parse_text
from aiinfralint.parsers.k8s_crds import KAITO_SKU_GPUS

CRDS = FIXTURES / "k8s" / "crds"


def _objects(path: str, text: str) -> list:
    return parse_text(FileInput(path, text)).objects


def _one(path: str, text: str, kind: type = Workload):
    found = [o for o in _objects(path, text) if isinstance(o, kind)]
    assert len(found) == 1, found
    return found[0]


def _fixture(rel: str) -> str:
    return (CRDS / rel).read_text(encoding="utf-8")


def test_kaito_workspace_gets_gpus_and_instance_type_from_the_sku_table():
    w = _one("kaito/workspace.yaml", _fixture("kaito/workspace.yaml"))
    assert w.role == "serving"
    assert w.gpu_count == 1
    assert w.pods[0].node_selector == {"node.kubernetes.io/instance-type": "Standard_NC24ads_A100_v4"}
    assert llm_engine(w) == "KAITO"


def test_kaito_inference_set_reads_its_template_resource_and_replicas():
    w = _one("kaito/inferenceset.yaml", _fixture("kaito/inferenceset.yaml"))
    assert (w.role, w.gpu_count, llm_engine(w)) == ("serving", 1, "KAITO")
    twice = _fixture("kaito/inferenceset.yaml").replace("  replicas: 1\n", "  replicas: 2\n")
    assert _one("i.yaml", twice).gpu_count == 2


def test_kaito_count_multiplies_nodes_and_an_unknown_sku_has_no_gpus():
    text = _fixture("kaito/workspace.yaml").replace(
        '  instanceType: "Standard_NC24ads_A100_v4"\n',
        '  instanceType: "Standard_NC48ads_A100_v4"\n  count: 2\n',
    )
    assert _one("w.yaml", text).gpu_count == 4
    unknown = _fixture("kaito/workspace.yaml").replace("Standard_NC24ads_A100_v4", "Standard_D4s_v5")
    assert not _one("w.yaml", unknown).uses_gpu


def test_kaito_sku_gpu_counts_agree_with_the_instance_table():
    data = yaml.safe_load(
        (ROOT / "src" / "aiinfralint" / "estimate" / "data" / "instances.yaml").read_text(encoding="utf-8")
    )
    rows = data["rows"]
    shared = [sku for sku in KAITO_SKU_GPUS if sku in rows]
    assert "Standard_NC24ads_A100_v4" in shared
    for sku in shared:
        assert rows[sku]["count"] == KAITO_SKU_GPUS[sku], sku


def test_dynamo_services_become_pods_with_their_gpu_limits():
    w = _one("dynamo/agg.yaml", _fixture("dynamo/agg.yaml"))
    assert w.role == "serving"
    by_name = {p.containers[0].name: p for p in w.pods}
    assert by_name["TRTLLMWorker"].gpus == {"nvidia.com/gpu": 1.0}
    assert by_name["Frontend"].gpu_count == 0
    assert w.span_of("gpu", "kind").line == 25  # the `gpu: "1"` line
    assert llm_engine(w) is not None


def test_dynamo_multinode_gpus_are_per_node():
    text = _fixture("dynamo/agg.yaml").replace(
        "      componentType: worker\n", "      componentType: worker\n      multinode:\n        nodeCount: 2\n"
    )
    assert _one("d.yaml", text).gpu_count == 2


def test_ome_engine_min_replicas_and_model_name():
    w = _one("ome/bad.yaml", _fixture("ome/bad.yaml"))
    assert (w.min_replicas, w.min_replicas_source) == (0, "spec.engine.minReplicas")
    assert w.model_ref == "qwen1-5-7b-chat"
    assert llm_engine(w) == "OME"


def test_ome_runner_resources_are_read():
    text = _fixture("ome/bad.yaml") + (
        "    runner:\n      image: docker.io/lmsysorg/sglang:v0.4.6\n"
        "      resources:\n        limits:\n          nvidia.com/gpu: 2\n"
    )
    w = _one("ome.yaml", text)
    assert w.gpu_count == 2
    assert llm_engine(w) == "SGLang"


def test_aibrix_pod_autoscaler_is_an_autoscaler_with_one_replica_by_default():
    a = _objects("aibrix/bad.yaml", _fixture("aibrix/bad.yaml"))
    scalers = [o for o in a if isinstance(o, Autoscaler)]
    assert [(s.min_replicas, s.target_name) for s in scalers] == [
        (0, "deepseek-r1-distill-llama-8b"),
        (1, "deepseek-r1-distill-llama-8b"),
    ]
    assert scalers[1].metrics == (("Resource", "cpu"),)
    unset = _fixture("aibrix/clean.yaml").replace("  minReplicas: 1\n", "")
    assert _one("a.yaml", unset, Autoscaler).min_replicas == 1


def test_a_sandbox_is_an_agent_whatever_its_name():
    text = _fixture("sandbox/template.yaml").replace("claude-agent-worker", "python-runner")
    tmpl = next(o for o in _objects("t.yaml", text) if isinstance(o, Workload) and o.kind == "SandboxTemplate")
    assert agent_reason(tmpl) == "kind SandboxTemplate (extensions.agents.x-k8s.io)"


def test_sandbox_renamed_still_reports_its_unbounded_scratch(run_check):
    text = _fixture("sandbox/template.yaml").replace("claude-agent-worker", "python-runner")
    result = run_check({"t.yaml": text}, select=["AIL206"])
    assert sorted(f.span.line for f in result.findings) == [82, 85, 94]


def test_plain_deployment_still_falls_back_to_name_tokens():
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rag-ingest\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: w\n        image: ghcr.io/acme/w:1\n"
    )
    assert agent_reason(_one("d.yaml", deploy)) == "name `rag-ingest`"
    plain = deploy.replace("rag-ingest", "billing")
    assert agent_reason(_one("d.yaml", plain)) is None


def test_crd_kinds_without_their_group_are_not_read_as_crds():
    """A `Workspace` or `InferenceService` of another API group keeps the generic reading."""
    other = _fixture("ome/bad.yaml").replace("ome.io/v1beta1", "example.com/v1")
    w = _objects("x.yaml", other)[0]
    assert not isinstance(w, Workload) or (w.min_replicas is None and llm_engine(w) is None)


def test_fixture_files_note_their_origin():
    for p in sorted(Path(CRDS).rglob("*.yaml")):
        text = p.read_text(encoding="utf-8")
        assert "Apache" in text and p.relative_to(CRDS).as_posix() in (CRDS / "ORIGIN.md").read_text(), p


def test_inference_extension_objects_are_llm_backends_by_group_and_kind():
    pool = (
        "apiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\nmetadata:\n  name: pool-a\n"
        "spec:\n  targetPorts:\n  - number: 8000\n  selector:\n    matchLabels:\n      app: x\n"
    )
    obj = _objects("p.yaml", pool)[0]
    assert is_llm_backend(obj)
    objective = (
        "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceObjective\nmetadata:\n  name: o\n"
        "spec:\n  priority: 1\n  poolRef:\n    name: pool-a\n"
    )
    assert is_llm_backend(_objects("o.yaml", objective)[0])
    other = pool.replace("inference.networking.k8s.io/v1", "example.com/v1")
    assert not is_llm_backend(_objects("x.yaml", other)[0])


def test_cpu_kubeai_model_scaled_to_zero_is_not_reported(run_check):
    """KubeAI names its resource profile: a CPU profile is a CPU server, unlike OME's runtime-picked GPUs."""
    model = (
        "apiVersion: kubeai.org/v1\nkind: Model\nmetadata:\n  name: qwen2.5-7b-cpu\nspec:\n"
        "  features: [TextGeneration]\n  url: ollama://qwen2.5:7b\n  engine: OLlama\n"
        "  resourceProfile: cpu:2\n  minReplicas: 0\n"
    )
    assert run_check({"m.yaml": model}, select=["AIL203"]).findings == []
    assert len(run_check({"o.yaml": _fixture("ome/bad.yaml")}, select=["AIL203"]).findings) == 1


RAY_SERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: llm
spec:
  rayClusterConfig:
    headGroupSpec:
      template:
        spec:
          containers:
          - name: head
            image: rayproject/ray-ml:2.9.0
    workerGroupSpecs:
    - groupName: gpu
      replicas: 2
      minReplicas: 0
      template:
        spec:
          containers:
          - name: worker
            image: rayproject/ray-ml:2.9.0
            resources:
              limits:
                nvidia.com/gpu: 4
"""


def test_ray_worker_groups_and_other_pod_template_kinds_keep_their_gpus():
    ray = _one("ray.yaml", RAY_SERVICE)
    assert (ray.role, ray.gpu_count) == ("serving", 8)
    job = _one("job.yaml", RAY_SERVICE.replace("kind: RayService", "kind: RayJob"))
    assert (job.role, job.gpu_count) == ("batch", 8)
    fleet = RAY_SERVICE.replace(
        "apiVersion: ray.io/v1\nkind: RayService", "apiVersion: orchestration.aibrix.ai/v1alpha1\nkind: RayClusterFleet"
    )
    assert _one("fleet.yaml", fleet).role == "serving"


def test_llm_inference_service_is_an_llm_server_by_kind():
    text = (
        "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata:\n  name: qwen\nspec:\n"
        "  model:\n    uri: hf://Qwen/Qwen2.5-7B-Instruct\n    name: Qwen/Qwen2.5-7B-Instruct\n  replicas: 1\n"
        "  template:\n    containers:\n    - name: main\n      image: registry.example.com/engine:1\n"
        "      resources:\n        limits:\n          nvidia.com/gpu: 1\n"
    )
    w = _one("l.yaml", text)
    assert (w.role, w.gpu_count, w.model_ref) == ("serving", 1, "hf://Qwen/Qwen2.5-7B-Instruct")
    assert llm_engine(w) == "KServe LLMInferenceService"


def test_a_model_server_named_for_agentic_serving_is_not_an_agent_worker(run_check):
    manifest = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: agentic-serving-gpu-vllm-decode}
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.0
          volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes: [{name: scratch, emptyDir: {}}]
"""
    assert not [f for f in run_check({"d.yaml": manifest}).findings if f.code == "AIL206"]
