from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from aiinfralint.analysis.workloads import gpu_impact, gpu_summary, hardware, llm_engine, scale_target
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.k8s import Autoscaler, Workload
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

RESOURCE_METRICS = frozenset({"cpu", "memory"})
# GPU framebuffer metrics: vLLM/TGI pre-allocate GPU memory, so these never fall
GPU_MEMORY_METRICS = ("dcgm_fi_dev_fb_used", "dcgm_fi_dev_fb_free", "gpu_memory_used", "fb_used")

_DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm-llama
  namespace: llm
spec:
  replicas: 1
  selector:
    matchLabels: {app: vllm-llama}
  template:
    metadata:
      labels: {app: vllm-llama}
    spec:
      nodeSelector:
        cloud.google.com/gke-accelerator: nvidia-l4
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.6.3
        args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
        resources:
          limits:
            nvidia.com/gpu: 1
"""

_BAD_HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: vllm-llama
  namespace: llm
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: vllm-llama
  minReplicas: 1
  maxReplicas: 8
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
"""

_GOOD_HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: vllm-llama
  namespace: llm
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: vllm-llama
  minReplicas: 1
  maxReplicas: 8
  metrics:
  - type: Pods
    pods:
      metric:
        name: vllm:num_requests_waiting
      target:
        type: AverageValue
        averageValue: "5"
"""


def _metric_kind(mtype: str, name: str) -> str:
    """'resource', 'gpu-memory' or 'server' (a queue, batch, KV-cache or other custom metric)."""
    t, n = mtype.lower(), name.lower()
    if t in ("resource", "containerresource") and n in RESOURCE_METRICS:
        return "resource"
    if t in ("cpu", "memory"):  # KEDA triggers
        return "resource"
    if any(g in n for g in GPU_MEMORY_METRICS):
        return "gpu-memory"
    return "server"


class CpuAutoscalingLlmServing(Rule):
    """A GPU LLM server is autoscaled on CPU or memory, which do not track its load.

    ## What it does
    Resolves each HorizontalPodAutoscaler, KEDA ScaledObject and AIBrix PodAutoscaler to the
    workload its `scaleTargetRef` names (same namespace, any file) and reports it when that
    workload is a GPU LLM server and every metric is CPU or memory (HPA `Resource`/`ContainerResource`
    metrics, an `autoscaling/v1` CPU target, KEDA `cpu`/`memory` triggers, AIBrix `resource`
    metric sources) or GPU
    framebuffer memory (`DCGM_FI_DEV_FB_USED`). It also reports KServe InferenceServices
    with `scaleMetric: cpu|memory` and Knative Services with
    `autoscaling.knative.dev/metric: cpu|memory` on an LLM server. An autoscaler that
    includes a server metric (`vllm:num_requests_waiting`, `vllm:num_requests_running`,
    TGI queue size, KV-cache usage, any custom or external metric) is silent.

    ## Why is this bad?
    An LLM server's bottleneck is the GPU: requests queue in the engine while the CPU
    idles below any sensible target, so a CPU-based autoscaler adds replicas late or
    never and time-to-first-token climbs. Memory does not move either: vLLM and TGI
    pre-allocate host and GPU memory at start. A GPU-memory metric is worse still: it is
    near 100% from the first second, so the autoscaler scales up to `maxReplicas` and
    never scales down.

    ## How the estimate is computed
    For GPU-memory metrics: the autoscaler holds `maxReplicas` instead of `minReplicas`,
    so the estimate prices (max − min) replicas × GPUs per replica × 730 h/month with the
    shared GPU estimator. For CPU/memory the cost is latency that depends on traffic, so no
    figure is given; the finding says why.

    ## How to fix
    Scale on the server's own signals: queue size (`vllm:num_requests_waiting`, TGI
    `tgi_queue_size`) to maximise throughput within a latency target, or batch size
    (`vllm:num_requests_running`) for tighter latency, exported through the Prometheus
    adapter or a KEDA `prometheus` trigger. For KServe and Knative, use the concurrency
    metric of the Knative Pod Autoscaler.

    ## References
    - GKE best practices for autoscaling LLM inference: https://cloud.google.com/kubernetes-engine/docs/best-practices/machine-learning/inference/autoscaling
    - vLLM metrics: https://docs.vllm.ai/en/latest/serving/metrics.html
    """

    code: ClassVar[str] = "AIL204"
    slug: ClassVar[str] = "cpu-autoscaling-llm-serving"
    severity: ClassVar[Severity] = Severity.WARNING
    inputs: ClassVar[str] = (
        "HPAs, KEDA ScaledObjects, AIBrix PodAutoscalers, KServe InferenceServices, Knative Services and their "
        "targets (cross-file)"
    )
    summary: ClassVar[str] = "A GPU LLM server is autoscaled on CPU or memory"
    examples = (
        Example(
            "k8s/hpa.yaml",
            _BAD_HPA,
            expect=("AIL204",),
            title="HPA on CPU for a vLLM Deployment",
            extra_files=(("k8s/vllm.yaml", _DEPLOY),),
        ),
        Example(
            "k8s/hpa.yaml", _GOOD_HPA, title="HPA on the vLLM queue size", extra_files=(("k8s/vllm.yaml", _DEPLOY),)
        ),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd", "no $ figure: queueing delay from a mis-scaled server depends on traffic the config does not state"
        ),
        Unpriced(
            "kgco2e", "no kgCO2e figure: scaling signals change latency, not the energy of the GPUs already running"
        ),
    )

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        for a in ctx.project.of_type(Autoscaler):
            if not a.metrics:
                continue
            kinds = [_metric_kind(t, n) for t, n in a.metrics]
            if "server" in kinds:
                continue
            target = scale_target(ctx, a.namespace, a.target_kind, a.target_name)
            if target is None or not target.uses_gpu:
                continue
            engine = llm_engine(target)
            if engine is None:
                continue
            names = sorted(
                {
                    (t.lower() if t.lower() in RESOURCE_METRICS else n.lower()) if k == "resource" else n
                    for (t, n), k in zip(a.metrics, kinds)
                }
            )
            yield self._report(
                ctx,
                a,
                target,
                engine,
                names,
                "gpu-memory" in kinds,
                a.max_replicas,
                a.min_replicas,
                a.span_of("metrics", "kind"),
            )
        for w in ctx.project.of_type(Workload):
            if w.kind not in ("InferenceService", "Service") or not w.scale_metric or not w.uses_gpu:
                continue
            metric = w.scale_metric.lower()
            if metric not in RESOURCE_METRICS:
                continue
            if w.kind == "Service" and not (w.autoscaler_class or "").startswith("hpa"):
                continue  # the Knative Pod Autoscaler does not scale on cpu/memory
            engine = llm_engine(w)
            if engine is None:
                continue
            yield self._report(
                ctx, w, w, engine, [metric], False, w.max_replicas, w.min_replicas, w.span_of("scaleMetric", "kind")
            )

    def _report(
        self,
        ctx: RuleContext,
        obj: Autoscaler | Workload,
        target: Workload,
        engine: str,
        names: list[str],
        gpu_memory: bool,
        max_r: int | None,
        min_r: int | None,
        span: object,
    ) -> Finding:
        items = [n for n in names if n]
        what = " and ".join(items) if len(items) <= 2 else ", ".join(items[:-1]) + f" and {items[-1]}"
        verb = "stays" if len(items) == 1 else "stay"
        target_txt = f"{target.display_name} ({engine}, {gpu_summary(target)})"
        subject = f"{target_txt} autoscales" if obj is target else f"{obj.display_name} scales {target_txt}"
        if gpu_memory:
            message = (
                f"{subject} on GPU memory ({what}), which the engine pre-allocates, so it scales up to "
                f"{max_r if max_r is not None else 'maxReplicas'} replicas and never back down."
            )
        else:
            message = (
                f"{subject} only on {what}, which {verb} flat while requests queue on the GPU, so replicas arrive "
                f"late or never."
            )
        if gpu_memory and max_r is not None:
            impact = _held_replicas_impact(ctx, target, max_r, min_r)
        else:
            impact = Impact(
                assumptions=(f"autoscaling metric(s): {what}",),
                unpriced=(
                    Unpriced(
                        "latency",
                        "latency: queueing delay grows with traffic and is not computable from the config; "
                        "CPU and memory of an LLM server do not track its request queue",
                    ),
                ),
            )
        return self.finding(
            obj,
            message,
            remediation=(
                "Scale on the server's own load signals: queue size (`vllm:num_requests_waiting`, TGI `tgi_queue_size`) "
                "or batch size (`vllm:num_requests_running`) through the Prometheus adapter or a KEDA `prometheus` "
                "trigger. For KServe and Knative, use the Knative Pod Autoscaler's concurrency metric instead of cpu."
            ),
            impact=impact,
            span=span,  # type: ignore[arg-type]
            key=f"{obj.namespace}/{obj.name}",
            related=[target] if target is not obj else [],
        )


def _held_replicas_impact(ctx: RuleContext, target: Workload, max_r: int, min_r: int | None) -> Impact:
    """The GPUs of the replicas a memory-driven autoscaler holds above its minimum, for a month."""
    lo = min_r if min_r is not None else 1
    extra_replicas = max(max_r - max(lo, 1), 0)
    if not extra_replicas:
        return Impact(assumptions=("maxReplicas equals minReplicas: no extra replicas",))
    per_replica = sum(p.gpu_count for p in target.gpu_pods)
    return gpu_impact(
        ctx,
        hardware(*target.gpu_pods),
        per_replica * extra_replicas,
        730.0,
        extra=(
            f"GPU memory never drops, so the autoscaler holds maxReplicas {max_r} instead of "
            f"minReplicas {lo}: {extra_replicas} extra replicas × {per_replica:g} GPUs × 730 h/month",
        ),
    )
