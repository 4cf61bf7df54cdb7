"""Kubernetes GPU family: helpers, separation logic and corpus robustness."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS

from aiinfralint.config import Config
from aiinfralint.model.k8s import Workload

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: train
  namespace: ml
spec:
  template:
    spec:
{extra}      containers:
      - name: train
        image: ghcr.io/acme/train:1
        resources:
          limits:
            {res}: 2
"""

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
  namespace: ml
spec:
  selector:
    matchLabels: {{app: chat}}
  template:
    metadata:
      labels: {{app: chat}}
    spec:
{extra}      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.6.3
        args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
        resources:
          limits:
            {res}: 1
"""


def _codes(result, code):
    return [f for f in result.findings if f.code == code]


def _pair(
    run_check,
    job_extra="",
    deploy_extra="",
    job_res="nvidia.com/gpu",
    deploy_res="nvidia.com/gpu",
    more=None,
    names=("a/job.yaml", "a/deploy.yaml"),
):
    files = {
        names[0]: JOB.format(extra=job_extra, res=job_res),
        names[1]: DEPLOY.format(extra=deploy_extra, res=deploy_res),
        **(more or {}),
    }
    return _codes(run_check(files), "AIL201")


def test_shared_pool_reported_at_gpu_line(run_check):
    found = _pair(run_check)
    assert len(found) == 1
    assert found[0].span.path == "a/job.yaml" and found[0].span.line == 14
    assert "Deployment ml/chat" in found[0].message


def test_annotation_on_a_serving_workload_suppresses_the_pair(run_check):
    annotated = DEPLOY.format(extra="", res="nvidia.com/gpu").replace(
        "  namespace: ml\n", "  namespace: ml\n  annotations:\n    aiinfralint/ignore: AIL201\n", 1
    )
    other = DEPLOY.format(extra="", res="nvidia.com/gpu").replace("name: chat", "name: chat-2", 1)
    files = {"a/job.yaml": JOB.format(extra="", res="nvidia.com/gpu"), "a/deploy.yaml": annotated}
    result = run_check(files)
    assert not _codes(result, "AIL201")
    assert any(f.code == "AIL201" for f in result.suppressed)
    # a second, unannotated serving workload in the same group still suppresses: one finding
    # names both, and an annotation on any object it involves silences it
    result = run_check({**files, "a/deploy2.yaml": other})
    assert not _codes(result, "AIL201")


def test_disjoint_node_pools_separate(run_check):
    assert not _pair(
        run_check,
        job_extra="      nodeSelector:\n        karpenter.sh/nodepool: batch\n",
        deploy_extra="      nodeSelector:\n        karpenter.sh/nodepool: serving\n",
    )


def test_same_pool_value_collides(run_check):
    assert _pair(
        run_check,
        job_extra="      nodeSelector:\n        karpenter.sh/nodepool: gpu\n",
        deploy_extra="      nodeSelector:\n        karpenter.sh/nodepool: gpu\n",
    )


def test_mig_slice_and_full_gpu_are_separate(run_check):
    assert not _pair(run_check, deploy_res="nvidia.com/mig-1g.10gb")


def test_generic_gpu_toleration_is_not_a_dedicated_taint(run_check):
    tol = "      tolerations:\n      - key: nvidia.com/gpu\n        operator: Exists\n"
    assert _pair(run_check, job_extra=tol, deploy_extra=tol)


def test_dedicated_taint_separates(run_check):
    tol = "      tolerations:\n      - key: dedicated\n        value: inference\n        effect: NoSchedule\n"
    assert not _pair(run_check, deploy_extra=tol)


def test_tolerate_everything_defeats_taint(run_check):
    tol = "      tolerations:\n      - key: dedicated\n        value: inference\n        effect: NoSchedule\n"
    everything = "      tolerations:\n      - operator: Exists\n"
    assert _pair(run_check, job_extra=everything, deploy_extra=tol)


PCS = """\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high
value: {high}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: low
value: 10
"""


def test_priority_ordering_separates(run_check):
    assert not _pair(
        run_check,
        job_extra="      priorityClassName: low\n",
        deploy_extra="      priorityClassName: high\n",
        more={"a/pc.yaml": PCS.format(high=1000)},
    )


def test_priority_inverted_collides(run_check):
    assert _pair(
        run_check,
        job_extra="      priorityClassName: high\n",
        deploy_extra="      priorityClassName: low\n",
        more={"a/pc.yaml": PCS.format(high=1000)},
    )


def test_undefined_serving_class_counts_as_ordered(run_check):
    assert not _pair(run_check, deploy_extra="      priorityClassName: online-critical\n")


def test_batch_only_class_is_not_ordered(run_check):
    assert _pair(run_check, job_extra="      priorityClassName: batch-low\n")


def test_volcano_scheduler_separates(run_check):
    assert not _pair(run_check, job_extra="      schedulerName: volcano\n")


def test_different_clouds_separate(run_check):
    assert not _pair(
        run_check,
        job_extra="      nodeSelector:\n        cloud.google.com/gke-accelerator: nvidia-l4\n",
        deploy_extra="      nodeSelector:\n        eks.amazonaws.com/nodegroup: gpu\n",
    )


def test_scope_directory_and_project(run_check, tmp_path):
    assert not _pair(run_check, names=("batch/job.yaml", "serving/deploy.yaml"))
    cfg = Config.model_validate({"rules": {"AIL201": {"scope": "tree"}}})
    from aiinfralint.pipeline.engine import RunOptions, run

    result = run(RunOptions(paths=["."], config=cfg, cwd=tmp_path, use_cache=False, jobs=1))
    assert _codes(result, "AIL201")


def test_examples_directories_pair_within_one_file(run_check):
    assert not _pair(run_check, names=("examples/job.yaml", "examples/deploy.yaml"))


def test_cpu_only_never_gives_gpu_findings(run_check):
    cpu_job = JOB.format(extra="", res="cpu")
    cpu_deploy = DEPLOY.format(extra="", res="cpu")
    result = run_check({"a/job.yaml": cpu_job, "a/deploy.yaml": cpu_deploy})
    assert not [f for f in result.findings if f.code.startswith("AIL20")]


# --- helpers --------------------------------------------------------------------------


def _workload(text: str) -> Workload:
    from aiinfralint.parsers.files import parse_bytes

    out = parse_bytes("w.yaml", text.encode())
    return next(o for o in out.objects if isinstance(o, Workload))


@pytest.mark.parametrize(
    "image,args,engine",
    [
        ("vllm/vllm-openai:v0.6.3", "", "vLLM"),
        ("ghcr.io/huggingface/text-generation-inference:2.4.0", "", "TGI"),
        ("lmsysorg/sglang:v0.3.5", "", "SGLang"),
        ("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3", "", "NVIDIA NIM"),
        ("ollama/ollama:0.4.1", "", "Ollama"),
        ("python:3.11", "vllm serve Qwen/Qwen2.5-7B", "vLLM"),
        ("nvcr.io/nvidia/tritonserver:24.08-trtllm-python-py3", "", "TensorRT-LLM"),
        ("nvcr.io/nvidia/tritonserver:24.08-py3", "", None),
        ("nginx:1.27", "", None),
    ],
)
def test_llm_engine(image, args, engine):
    from aiinfralint.analysis.workloads import llm_engine

    arg_yaml = f"\n        args: [{', '.join(repr(a) for a in args.split())}]" if args else ""
    w = _workload(
        DEPLOY.format(extra="", res="nvidia.com/gpu")
        .replace("vllm/vllm-openai:v0.6.3", image)
        .replace('\n        args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]', arg_yaml)
    )
    got = llm_engine(w)
    assert (got is None and engine is None) or (engine is not None and got is not None and got.startswith(engine))


@pytest.mark.parametrize(
    "model,gb",
    [
        ("meta-llama/Llama-3.1-8B-Instruct", 16.0),
        ("hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", 35.0),
        ("neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8", 8.0),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", 112.0),
        ("Qwen/Qwen2.5-0.5B-Instruct", 1.0),
        ("facebook/opt-125m", 0.25),
        ("my-org/house-model", None),
    ],
)
def test_model_size(model, gb):
    from aiinfralint.analysis.workloads import model_size

    w = _workload(
        DEPLOY.format(extra="", res="nvidia.com/gpu").replace(
            'args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]', "args: []"
        )
    )
    got = model_size(model, w).gigabytes
    assert got == pytest.approx(gb) if gb is not None else got is None


@pytest.mark.parametrize(
    "name,image,agent",
    [
        ("support-agent", "ghcr.io/acme/support:1", True),
        ("rag-ingest", "ghcr.io/acme/ingest:1", True),
        ("web", "ghcr.io/acme/code-interpreter:1", True),
        ("datadog-agent", "gcr.io/datadoghq/agent:7", False),
        ("otel-agent", "otel/opentelemetry-collector:0.1", False),
        ("storage-api", "ghcr.io/acme/storage:1", False),
        ("rag-benchmark", "ghcr.io/acme/bench:1", False),
        ("jenkins-agent", "jenkins/inbound-agent:3256", False),
    ],
)
def test_agent_reason(name, image, agent):
    from aiinfralint.analysis.workloads import agent_reason

    text = (
        DEPLOY.format(extra="", res="cpu")
        .replace("name: chat\n", f"name: {name}\n", 1)
        .replace("vllm/vllm-openai:v0.6.3", image)
        .replace("- name: vllm", "- name: main")
    )
    assert (agent_reason(_workload(text)) is not None) == agent


def test_kueue_label_on_cronjob_job_template():
    w = _workload(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: x\nspec:\n  schedule: '@daily'\n  jobTemplate:\n"
        "    metadata:\n      labels:\n        kueue.x-k8s.io/queue-name: batch\n    spec:\n      template:\n"
        "        spec:\n          containers:\n          - name: c\n            image: i\n"
    )
    assert w.queue_name == "batch"


def test_cron_tz_prefix_and_unknown_zone_do_not_crash(run_check):
    text = JOB.replace("kind: Job", "kind: CronJob").replace(
        "spec:\n  template:",
        "spec:\n  schedule: 'CRON_TZ=Asia/Tokyo 0 9 * * *'\n  timeZone: Mars/Olympus\n  jobTemplate:\n    spec:\n      template:",
    )
    result = run_check({"c.yaml": text.format(extra="", res="nvidia.com/gpu")})
    assert not [f for f in result.findings if f.code == "AIL000"]


def test_bad_schedule_is_a_parse_error_not_a_peak_finding(run_check):
    text = JOB.replace("kind: Job", "kind: CronJob").replace(
        "spec:\n  template:", "spec:\n  schedule: 'every night'\n  jobTemplate:\n    spec:\n      template:"
    )
    result = run_check({"c.yaml": text.format(extra="", res="nvidia.com/gpu")})
    assert not [f for f in result.findings if f.code == "AIL202"]
    (bad,) = [f for f in result.findings if f.code == "AIL000"]
    assert "invalid cron schedule 'every night'" in bad.message and bad.span.line == 7


# --- corpus -----------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_corpus_runs_without_internal_errors_and_few_findings():
    from aiinfralint.pipeline.engine import RunOptions, run

    result = run(RunOptions(paths=[str(CORPUS)], config=Config(), cwd=CORPUS, select=["AIL2"], use_cache=False, jobs=1))
    internal = [f for f in result.findings if f.span.path == "<engine>"]
    assert not internal, [f.message for f in internal]
    codes = [f.code for f in result.findings]
    # well-separated public samples must not pair up into batch/serving collisions
    assert codes.count("AIL201") == 0
    assert codes.count("AIL204") == 0
    # the routing layer's true positives: 60 s routes in front of vLLM (semantic-router's HTTPRoutes
    # and AIGatewayRoutes) and an ALB at its 60 s default in front of NIM (nim-deploy); nothing else
    paths = [Path(f.span.path).parts for f in result.findings if f.code == "AIL205"]
    routed = {p[p.index("corpus") + 1] if "corpus" in p else p[0] for p in paths}
    assert routed <= {"vllm-project__semantic-router", "NVIDIA__nim-deploy"}


def test_ail203_options_kebab_case(run_check):
    from aiinfralint.rules.k8s.scale_to_zero_llm import _BAD

    cfg = Config.model_validate({"rules": {"AIL203": {"load-bandwidth-gb-s": 2.0, "start-overhead-seconds": 10}}})
    found = [f for f in run_check({"isvc.yaml": _BAD}, config=cfg).findings if f.code == "AIL203"]
    assert found and found[0].impact.latency_ms == 18000  # 16 GB / 2 GB/s + 10 s


def test_ail205_threshold_option(run_check):
    from aiinfralint.rules.k8s.streaming_proxy_timeout import _DEPLOY, _GOOD

    cfg = Config.model_validate({"rules": {"streaming-proxy-timeout": {"min_timeout_seconds": 7200}}})
    found = [f for f in run_check({"ing.yaml": _GOOD, "vllm.yaml": _DEPLOY}, config=cfg).findings if f.code == "AIL205"]
    assert len(found) == 1 and "3600 s" in found[0].message


HOSTILE = [
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  schedule: {a: 1}\n  timeZone: 5\n  jobTemplate: [1, 2]\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      nodeSelector: [a, b]\n"
    "      tolerations: nope\n      containers:\n      - 5\n      - name: c\n        resources: {limits: {nvidia.com/gpu: [1]}}\n",
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x, annotations: {nginx.ingress.kubernetes.io/proxy-read-timeout: soon}}\n"
    "spec:\n  rules: [{http: {paths: [{backend: {service: {name: [1]}}}]}}]\n",
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  scaleTargetRef: 7\n  metrics: [1, {type: 5}]\n",
    "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec:\n  minReplicaCount: zero\n  triggers: {a: b}\n",
    "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: x}\nspec:\n  predictor: {minReplicas: [0], model: 3}\n",
    "apiVersion: kubeai.org/v1\nkind: Model\nmetadata: {name: x}\nspec: {resourceProfile: ':::', minReplicas: null}\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: x}\nspec: {schedules: [], workflowSpec: {templates: [1, {container: 2}]}}\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_manifests_never_break_rules(run_check, text):
    result = run_check({"x.yaml": text, "y.yaml": text})
    assert not [f for f in result.findings if f.span.path == "<engine>"], [f.message for f in result.findings]
