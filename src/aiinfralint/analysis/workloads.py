"""What the Kubernetes rules need to know about a workload, in one data-driven place.

- which inference engine an LLM server runs (image, command, KServe runtime, KubeAI engine),
- whether a workload is an agent / document / RAG / sandbox worker,
- which GPU model and cloud a pod asks for (node selectors and required affinity),
- how large the served model is (parameters parsed from its id, bytes per parameter),
- an estimator shared by the rules of one run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aiinfralint.model.finding import Impact, Unpriced
from aiinfralint.model.k8s import K8sObject, PodTemplate, Workload

if TYPE_CHECKING:
    from aiinfralint.analysis.context import Context
    from aiinfralint.estimate.estimator import Estimator

# --- LLM servers ------------------------------------------------------------------------

# (engine, substrings of the image, substrings of command/args) — lower-case
LLM_ENGINES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "vLLM",
        ("vllm", "kubeai-engine:vllm", "kserve-runtime:vllm", "/llm-d/", "/llm-d:"),
        ("vllm serve", "vllm.entrypoints", "vllm "),
    ),
    (
        "TGI",
        ("text-generation-inference", "huggingface/text-generation", "tgi-gaudi", "tgi-"),
        ("text-generation-launcher",),
    ),
    ("SGLang", ("sglang",), ("sglang.launch_server", "sglang serve")),
    ("TensorRT-LLM", ("tensorrt-llm", "tensorrtllm", "trtllm"), ("trtllm-serve", "tensorrt_llm", "trtllm")),
    ("NVIDIA NIM", ("nvcr.io/nim/",), ()),
    ("Ollama", ("ollama", "kubeai-engine:ollama"), ("ollama serve",)),
    ("llama.cpp", ("llama.cpp", "llama-cpp", "llamacpp"), ("llama-server", "llama_cpp.server")),
    ("LMDeploy", ("lmdeploy",), ("lmdeploy serve",)),
    ("JetStream", ("jetstream", "maxtext"), ("jetstream", "maxengine_server")),
    (
        "KServe Hugging Face runtime",
        ("kserve/huggingfaceserver", "kserve-runtime:huggingface", "huggingfaceserver"),
        ("huggingfaceserver",),
    ),
    ("KubeAI engine", ("kubeai-engine:",), ()),
    ("LoRAX", ("lorax",), ("lorax-launcher",)),
    ("LocalAI", ("localai",), ()),
    ("Ray Serve LLM", ("ray-llm",), ("ray.serve.llm",)),
    ("MLC LLM", ("mlc-llm", "mlc_llm"), ("mlc_llm serve",)),
    ("Aphrodite", ("aphrodite",), ()),
)
# Triton serves vision and tabular models too: only count it with an LLM backend in sight.
_TRITON_LLM_HINTS = ("trtllm", "tensorrt_llm", "tensorrtllm", "vllm_backend", "llm")


# serving CRDs that only ever run LLM servers: (API group, kind) -> what to call the engine
# when the image does not say (the runtime is chosen by the operator, not the manifest)
LLM_SERVING_CRDS: dict[tuple[str, str], str] = {
    ("serving.kserve.io", "LLMInferenceService"): "KServe LLMInferenceService",
    ("ome.io", "InferenceService"): "OME",
    ("nvidia.com", "DynamoGraphDeployment"): "NVIDIA Dynamo",
    ("kaito.sh", "Workspace"): "KAITO",
    ("kaito.sh", "InferenceSet"): "KAITO",
    ("kubeai.org", "Model"): "KubeAI engine",
}
# serving CRDs whose manifests leave the GPUs to the serving runtime the operator picks: no
# GPU request in the manifest does not make them CPU servers
RUNTIME_PICKS_GPUS = frozenset({("ome.io", "InferenceService")})
# objects that name an LLM backend without running pods themselves (Gateway API inference
# extension: a pool of model servers behind an endpoint picker, the models and objectives on it)
LLM_BACKEND_KINDS = frozenset(
    {
        ("inference.networking.k8s.io", "InferencePool"),
        ("inference.networking.x-k8s.io", "InferencePool"),
        ("inference.networking.x-k8s.io", "InferenceModel"),
        ("inference.networking.x-k8s.io", "InferenceObjective"),
        ("inference.networking.k8s.io", "InferenceObjective"),
    }
)


def is_llm_backend(obj: K8sObject) -> bool:
    """Whether an object is an LLM backend by its API group and kind: an LLM-only serving CRD or
    a Gateway API inference extension pool, model or objective."""
    key = (obj.group, obj.kind)
    return key in LLM_BACKEND_KINDS or key in LLM_SERVING_CRDS


def llm_engine(w: Workload) -> str | None:
    """The LLM inference engine a workload runs, or None: from its images and commands first,
    else from its API group and kind for the serving CRDs that run nothing but LLMs."""
    found = _image_engine(w)
    if found is None and w.role == "serving":
        return LLM_SERVING_CRDS.get((w.group, w.kind))
    return found


def _image_engine(w: Workload) -> str | None:
    for pod in w.pods:
        for c in pod.containers:
            image = c.image.lower()
            # a bare word is matched in the repository name, not the registry or organisation
            # ("ghcr.io/vllm-project/semantic-router/dashboard" is not a vLLM server)
            repo = image.rsplit("/", 1)[-1]
            cmd = " ".join((*c.command, *c.args)).lower()
            for engine, images, cmds in LLM_ENGINES:
                if any(s in (image if "/" in s else repo) for s in images) or (cmd and any(s in cmd for s in cmds)):
                    return engine
            if "tritonserver" in image or "triton" in image.rsplit("/", 1)[-1] or "tritonserver" in cmd:
                if any(h in f"{image} {cmd}" for h in _TRITON_LLM_HINTS):
                    return "Triton (TensorRT-LLM)"
    return None


# --- agents and document workers -----------------------------------------------------------

# whole tokens of names, images and labels that mark an agent/document/RAG/sandbox worker
AGENT_TOKENS = frozenset(
    {
        "agent",
        "agents",
        "agentic",
        "langgraph",
        "langchain",
        "crewai",
        "autogen",
        "llamaindex",
        "rag",
        "retriever",
        "ingest",
        "ingestion",
        "ingestor",
        "docling",
        "unstructured",
        "pdf",
        "ocr",
        "document",
        "documents",
        "doc-parser",
        "sandbox",
        "code-interpreter",
        "interpreter",
        "browser-use",
        "computer-use",
        "e2b",
        "openhands",
        "swe-agent",
        "toolrunner",
    }
)
# phrases matched inside the joined text (for names like "codeinterpreter")
AGENT_PHRASES = ("code-interpreter", "codeinterpreter", "browser-use", "computer-use", "doc-parser", "swe-agent")
# environment variable prefixes set by agent frameworks
AGENT_ENV_PREFIXES = ("LANGCHAIN_", "LANGSMITH_", "LANGGRAPH_", "CREWAI_", "LLAMA_INDEX_", "AUTOGEN_", "E2B_")
# infrastructure that calls itself an agent but handles no user data
NOT_AGENT_TOKENS = frozenset(
    {
        "datadog",
        "dd",
        "otel",
        "opentelemetry",
        "collector",
        "fluent",
        "fluentd",
        "fluent-bit",
        "promtail",
        "vector",
        "node-exporter",
        "exporter",
        "dcgm",
        "csi",
        "driver",
        "gpu-operator",
        "device-plugin",
        "nvidia",
        "monitoring",
        "prometheus",
        "splunk",
        "newrelic",
        "dynatrace",
        "jaeger",
        "vault",
        "consul",
        "elastic",
        "filebeat",
        "metricbeat",
        "kube-proxy",
        "calico",
        "cilium",
        "istio",
        "linkerd",
        "falco",
        "tetragon",
        "sysdig",
        "twistlock",
        "velero",
        "argocd",
        "flux",
        # benchmarks and load tests write metrics, not user data
        "benchmark",
        "bench",
        "loadtest",
        "perf",
        # CI and security/observability agents
        "jenkins",
        "buildkite",
        "teamcity",
        "azure-pipelines",
        "gitlab",
        "runner",
        "actions-runner",
        "spire",
        "cloudwatch",
        "instana",
        "sumologic",
        "logdna",
        "wazuh",
        "crowdstrike",
        "falcon",
        "aqua",
        "kubearmor",
        "zabbix",
        "telegraf",
        "grafana",
        "alloy",
        "beyla",
        "pixie",
        "tailscale",
        "teleport",
        "ssm-agent",
        "omsagent",
        "ama-logs",
        "portworx",
        "newrelic-infrastructure",
        "kiam",
    }
)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)  # names, labels and images repeat across a fleet
def _tokens(text: str) -> frozenset[str]:
    t = text.lower()
    parts = {p for p in _TOKEN_SPLIT.split(t) if p}
    # keep hyphenated pairs too ("code-interpreter", "fluent-bit")
    words = [p for p in re.split(r"[^a-z0-9-]+", t) if p]
    parts.update(words)
    return frozenset(parts)


# API groups whose objects are agent sandboxes whatever their names
AGENT_GROUPS = frozenset({"agents.x-k8s.io", "extensions.agents.x-k8s.io"})


def agent_reason(w: Workload) -> str | None:
    """Why a workload is an agent/document/RAG worker: an agent-sandbox API group and kind,
    else a name, label, image or environment token ("name `rag-ingest`"); None if neither."""
    if w.kind == "DaemonSet":
        return None
    if w.group in AGENT_GROUPS:
        return f"kind {w.kind} ({w.group})"
    if llm_engine(w) is not None:
        # a model server named for what it serves ("agentic-serving-gpu-vllm-decode") keeps no
        # agent's scratch data: name tokens do not make it an agent worker
        return None
    texts: list[tuple[str, str]] = [("name", w.name)]
    for key in ("app", "app.kubernetes.io/name", "app.kubernetes.io/component", "component", "role"):
        if w.labels.get(key):
            texts.append((f"label {key}", w.labels[key]))
    for pod in w.pods:
        for key in ("app", "app.kubernetes.io/name", "app.kubernetes.io/component", "component"):
            if pod.labels.get(key):
                texts.append((f"label {key}", pod.labels[key]))
        for c in pod.containers:
            texts.append(("container", c.name))
            texts.append(("image", c.image.rsplit("/", 1)[-1].split(":")[0]))
    all_tokens: set[str] = set()
    for _, text in texts:
        all_tokens |= _tokens(text)
    if all_tokens & NOT_AGENT_TOKENS:
        return None
    for where, text in texts:
        toks = _tokens(text)
        hit = sorted(toks & AGENT_TOKENS) or [p for p in AGENT_PHRASES if p in text.lower()]
        if hit:
            return f"{where} `{text}`"
    for pod in w.pods:
        for c in pod.containers:
            for key in c.env:
                if key.upper().startswith(AGENT_ENV_PREFIXES):
                    return f"environment variable `{key}`"
    return None


# --- GPUs, pools and clouds -----------------------------------------------------------------

GPU_MODEL_KEYS = (
    "cloud.google.com/gke-accelerator",
    "nvidia.com/gpu.product",
    "karpenter.k8s.aws/instance-gpu-name",
    "kubeai.org/resource-profile",
    "accelerator",
    "gpu-type",
)
INSTANCE_TYPE_KEYS = (
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "karpenter.k8s.aws/instance-type",
)
# instance families: EKS/Karpenter (`p5`, `g6`), GKE machine families (`a3`, `g2`)
FAMILY_KEYS = ("karpenter.k8s.aws/instance-family", "cloud.google.com/machine-family")
REGION_KEYS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
# node-label prefixes that tell which cloud a pod is meant for
PROVIDER_PREFIXES = (
    ("cloud.google.com/", "gcp"),
    ("eks.amazonaws.com/", "aws"),
    ("karpenter.k8s.aws/", "aws"),
    ("alpha.eksctl.io/", "aws"),
    ("kubernetes.azure.com/", "azure"),
    ("karpenter.azure.com/", "azure"),
    ("agentpool", "azure"),
)
# instance-type names that tell the cloud: Azure `Standard_ND96asr_v4`, AWS `p5.48xlarge`,
# GCP `a3-highgpu-8g` / `g2-standard-4`
INSTANCE_CLOUDS = (
    (re.compile(r"^standard_[a-z0-9_]+$", re.IGNORECASE), "azure"),
    (re.compile(r"^[a-z][a-z0-9-]*\.(?:\d*x?large|metal(?:-\d+xl)?|medium|small|micro|nano)$"), "aws"),
    (re.compile(r"^[a-z]\d[a-z]?-(?:highgpu|megagpu|ultragpu|edgegpu|standard|highmem|highcpu)-\d+g?$"), "gcp"),
)


def constraints(pod: PodTemplate) -> dict[str, frozenset[str]]:
    """Node label key -> allowed values, from nodeSelector and the single required affinity term."""
    out: dict[str, frozenset[str]] = {k: frozenset({v}) for k, v in pod.node_selector.items()}
    for term in pod.node_terms:
        if term.operator == "In" and term.values:
            vals = frozenset(term.values)
            out[term.key] = out[term.key] & vals if term.key in out else vals
    return out


def provider_of(pod: PodTemplate) -> str | None:
    """The cloud a pod's node constraints name: a cloud's label prefix, else an instance-type name."""
    cons = constraints(pod)
    for key in cons:
        for prefix, provider in PROVIDER_PREFIXES:
            if key.startswith(prefix):
                return provider
    for key in INSTANCE_TYPE_KEYS:
        vals = cons.get(key)
        if vals and len(vals) == 1:
            value = next(iter(vals))
            for pattern, provider in INSTANCE_CLOUDS:
                if pattern.match(value):
                    return provider
    return None


@dataclass(frozen=True)
class Hardware:
    gpu: str | None
    instance_type: str | None
    region: str | None
    provider: str | None
    source: str  # what named the GPU, for assumptions
    family: str | None = None  # instance family a node selector names (`p5`, `a3`)
    file: str | None = None  # the manifest, for per-path `[cluster]` settings

    @property
    def label(self) -> str:
        return self.gpu or self.instance_type or "unknown GPU"


def hardware(*pods: PodTemplate) -> Hardware:
    """The GPU model, instance type, region and cloud the first informative pod asks for."""
    gpu = inst = region = provider = family = None
    source = "no node selector names the GPU model"
    for pod in pods:
        cons = constraints(pod)
        family = family or _one(cons, FAMILY_KEYS)
        if gpu is None:
            for key in GPU_MODEL_KEYS:
                vals = cons.get(key)
                if vals and len(vals) == 1:
                    gpu = next(iter(vals))
                    source = f"node selector {key}={gpu}"
                    break
        if inst is None:
            for key in INSTANCE_TYPE_KEYS:
                vals = cons.get(key)
                if vals and len(vals) == 1:
                    inst = next(iter(vals))
                    if gpu is None:
                        source = f"node selector {key}={inst}"
                    break
        if region is None:
            for key in REGION_KEYS:
                vals = cons.get(key)
                if vals and len(vals) == 1:
                    region = next(iter(vals))
                    break
        provider = provider or provider_of(pod)
    if gpu is None and inst is None and family is not None:
        source = f"node selector instance family {family}"
    return Hardware(gpu, inst, region, provider, source, family, next((p.span.path for p in pods if p.span), None))


def _one(cons: dict[str, frozenset[str]], keys: tuple[str, ...]) -> str | None:
    """The single value the first of `keys` a pod constrains allows."""
    for key in keys:
        vals = cons.get(key)
        if vals and len(vals) == 1:
            return next(iter(vals))
    return None


def gpu_resources(pod: PodTemplate) -> dict[str, float]:
    return pod.gpus


def gpu_summary(w: Workload) -> str:
    """ "8 × nvidia.com/gpu" (summed over GPU pods and replicas)."""
    totals: dict[str, float] = {}
    for p in w.gpu_pods:
        for k, v in p.gpus.items():
            totals[k] = totals.get(k, 0) + v * max(p.replicas, 1)
    return ", ".join(f"{_n(v)} × {k}" for k, v in sorted(totals.items())) or "no GPUs"


def _n(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def pod_labels(w: Workload, pod: PodTemplate) -> dict[str, str]:
    """Labels the running pods carry (a bare Pod carries the object's own labels)."""
    if pod.labels:
        return pod.labels
    return w.labels if w.kind == "Pod" else {}


# --- model size ---------------------------------------------------------------------------

_PARAMS = re.compile(r"(?<![a-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)\s*([bm])(?![a-z0-9])", re.IGNORECASE)
# (hints, bytes per parameter, description)
DTYPE_HINTS: tuple[tuple[tuple[str, ...], float, str], ...] = (
    (("awq", "gptq", "int4", "4bit", "4-bit", "q4", "nf4", "w4a16", "bnb-4bit", "gguf"), 0.5, "4-bit quantised"),
    (("fp8", "int8", "8bit", "8-bit", "w8a8", "q8"), 1.0, "8-bit"),
    (("float32", "fp32"), 4.0, "fp32"),
)


@dataclass(frozen=True)
class ModelSize:
    params_billion: float | None
    bytes_per_param: float
    dtype_note: str
    source: str
    lower_bound: bool = False

    @property
    def gigabytes(self) -> float | None:
        if self.params_billion is None:
            return None
        return self.params_billion * self.bytes_per_param


def model_size(model_ref: str | None, w: Workload) -> ModelSize:
    """Parameters from the model id (`Llama-3.1-8B`, `70b`, `Mixtral-8x7B`), bytes/param from hints."""
    args = " ".join(a for p in w.pods for c in p.containers for a in (*c.command, *c.args, *c.env.values()))
    hay = f"{model_ref or ''} {args}".lower()
    bpp, note = 2.0, "fp16/bf16 (2 bytes/parameter; no quantisation hint)"
    for hints, value, what in DTYPE_HINTS:
        if any(h in hay for h in hints):
            bpp, note = value, f"{what} ({value:g} bytes/parameter)"
            break
    if bpp == 2.0 and llm_engine(w) == "Ollama" and not re.search(r"(fp16|bf16|q8|q5|q6)", hay):
        bpp, note = 0.5, "4-bit (Ollama's default Q4 quantisation, 0.5 bytes/parameter)"
    params: float | None = None
    lower = False
    src = "model id not stated"
    for text in (model_ref or "", *(a for p in w.pods for c in p.containers for a in c.args)):
        tail = text.rsplit("/", 1)[-1]
        for m in _PARAMS.finditer(tail):
            experts, num, unit = m.group(1), float(m.group(2)), m.group(3).lower()
            value = num / 1000 if unit == "m" else num
            if experts:
                value *= int(experts)
            if 0.01 <= value <= 2000:
                params = value
                src = f"{value:g}B parameters parsed from `{tail}`"
                if experts:
                    src += " (experts × size: an upper bound)"
                elif re.search(r"\d+e(?![a-z])", tail[m.end() :]):
                    src += " (active parameters of a mixture-of-experts model: the weights to load are larger, so this is a lower bound)"
                    lower = True
                break
        if params is not None:
            break
    return ModelSize(params, bpp, note, src, lower)


# --- estimates ----------------------------------------------------------------------------


def estimator(ctx: Context) -> Estimator:
    return ctx.estimator


def gpu_impact(
    ctx: Context,
    hw: Hardware,
    count: float,
    hours: float,
    *,
    extra: tuple[str, ...] = (),
) -> Impact:
    """`Estimator.gpu_workload` with the hardware found, plus our own assumptions in front."""
    n = max(int(round(count)), 1)
    try:
        imp = estimator(ctx).gpu_workload(
            hw.gpu,
            n,
            Decimal(str(round(hours, 3))),
            instance_type=hw.instance_type,
            region=hw.region,
            provider=hw.provider,
            family=hw.family,
            path=hw.file,
        )
    except (OSError, KeyError, ValueError, LookupError) as exc:  # data tables missing or broken
        return Impact(
            gpu_hours_per_month=Decimal(str(round(hours * n, 1))),
            assumptions=(*extra, f"GPU model: {hw.source}"),
            unpriced=(
                Unpriced("usd", f"cost: estimate tables unavailable: {exc}"),
                Unpriced("kgco2e", f"energy and carbon: estimate tables unavailable: {exc}"),
            ),
        )
    return imp.model_copy(update={"assumptions": (*extra, f"GPU model: {hw.source}", *imp.assumptions)})


# --- cross-file lookups -------------------------------------------------------------------


def workload_index(ctx: Context) -> dict[tuple[str, str, str], Workload]:
    """(namespace, kind, name) -> workload, shared by the rules of a run."""

    def build() -> dict[tuple[str, str, str], Workload]:
        out: dict[tuple[str, str, str], Workload] = {}
        for w in ctx.project.of_type(Workload):
            out.setdefault((w.namespace, w.kind, w.name), w)
        return out

    return ctx.memo("k8s.workload_index", build)  # type: ignore[no-any-return]


def scale_target(ctx: Context, namespace: str, kind: str, name: str) -> Workload | None:
    """The workload an autoscaler's scaleTargetRef names, in the same namespace."""
    index = workload_index(ctx)
    return index.get((namespace, kind or "Deployment", name))


def warm_replica_cost(ctx: Context, w: Workload) -> tuple[str, Any]:
    """("$1,234/month", impact) for one replica of `w` kept warm 730 h/month."""
    per_replica = sum(p.gpu_count for p in w.gpu_pods)
    hw = hardware(*w.gpu_pods)
    imp = gpu_impact(ctx, hw, per_replica, 730.0)
    if imp.usd_per_month is None:
        why = hw.source if hw.gpu is None and hw.instance_type is None else "no price for it in the tables"
        return f"an unknown amount ({why})", imp
    return f"${imp.usd_per_month:,.0f}/month", imp


def option(options: dict[str, Any], default: float, *names: str) -> float:
    """A numeric rule option by any of its names (kebab-case or snake_case); default if unset or invalid."""
    norm = {str(k).replace("-", "_"): v for k, v in options.items()}
    for name in names:
        if name in norm:
            try:
                value = float(norm[name])
            except (TypeError, ValueError):
                return default
            return value if value > 0 else default
    return default
