from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from aiinfralint.analysis.workloads import (
    RUNTIME_PICKS_GPUS,
    gpu_summary,
    llm_engine,
    model_size,
    scale_target,
    warm_replica_cost,
)
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.k8s import Autoscaler, K8sObject, Workload
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions, Unpriced

DEFAULT_LOAD_GBPS = 1.0
DEFAULT_OVERHEAD_S = 30.0
DEFAULT_UNKNOWN_S = 60.0
MAX_SECONDS = 366 * 86_400
MAX_GB_S = 10**9
# KServe modes without Knative: min 0 only means something with KEDA
_RAW_MODES = ("RawDeployment", "Standard")

_BAD = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama-chat
  namespace: llm
spec:
  predictor:
    minReplicas: 0
    maxReplicas: 4
    nodeSelector:
      cloud.google.com/gke-accelerator: nvidia-l4
    model:
      modelFormat:
        name: huggingface
      args:
      - --model_id=meta-llama/Llama-3.1-8B-Instruct
      resources:
        limits:
          nvidia.com/gpu: "1"
"""

_GOOD = _BAD.replace("    minReplicas: 0\n", "    minReplicas: 1\n")


class ScaleToZeroLlmServing(Rule):
    """An LLM server scales to zero, so the first request after idle waits for the model to load.

    ## What it does
    Finds GPU LLM servers whose minimum replica count is zero: a KServe InferenceService
    with `minReplicas: 0` (serverless mode), a Knative Service without a
    `autoscaling.knative.dev/min-scale` annotation (the Knative Pod Autoscaler scales to
    zero by default) or with `min-scale: "0"`, a KEDA ScaledObject with
    `minReplicaCount: 0` or none (KEDA's default is 0) or an HPA with `minReplicas: 0`
    targeting an LLM Deployment, an AIBrix `PodAutoscaler` with `minReplicas: 0`, a KubeAI
    `Model` with `minReplicas: 0` (its default) and an OME `InferenceService` with
    `engine.minReplicas: 0` (OME runs only LLMs, so it counts even when its serving runtime,
    not the manifest, names the GPUs), and an NVIDIA Dynamo `DynamoGraphDeployment` whose GPU
    service has autoscaling enabled with `minReplicas: 0`.
    An "LLM server" is recognised from the image, command, KServe runtime or KubeAI engine:
    vLLM, TGI, SGLang, TensorRT-LLM (and Triton with a TensorRT-LLM backend), NIM,
    Ollama, llama.cpp, LMDeploy, JetStream, the KServe Hugging Face runtime and others
    (one shared list in `analysis/workloads.py`). CPU-only servers are not reported.

    ## Why is this bad?
    A scaled-to-zero LLM server has to get a GPU node, pull a multi-gigabyte image, load
    the weights into GPU memory and warm up before it answers. That takes tens of seconds
    for a 7-8B model and minutes for a 70B one, and the user who arrives after a quiet
    period pays all of it; clients and proxies with a 30-60 s timeout fail outright.

    ## How the estimate is computed
    `latency_ms` is the cold start of a node that is already there: model size ÷ load
    bandwidth + a fixed start overhead. The size is the parameter count parsed from the
    model id (`Llama-3.1-8B`, `70b`, `Mixtral-8x7B`) × bytes per parameter from hints in the
    id and arguments (fp16/bf16 = 2, fp8/int8 = 1, AWQ/GPTQ/int4 = 0.5); bandwidth defaults
    to 1 GB/s and the overhead (container start, CUDA init, engine warm-up) to 30 s. Node
    provisioning and image pulls come on top and are not counted. When the size is
    unknown a stated default of 60 s is used with the reason. The message also states
    what one warm replica costs per month (its GPUs × 730 h from the shared GPU
    estimator): the saving scale-to-zero buys, to weigh against the latency.

    ## How to fix
    Keep one replica warm (`minReplicas: 1`, `autoscaling.knative.dev/min-scale: "1"`,
    `minReplicaCount: 1`), or keep scale-to-zero only for internal, latency-tolerant
    models and document it with `aiinfralint/ignore: "AIL203"` on the object. Shorten the
    cold path with a local model cache (KServe LocalModel, a node-local volume) and a
    pre-pulled image.

    ## References
    - KServe autoscaling (`minReplicas`, default 1): https://kserve.github.io/website/docs/model-serving/predictive-inference/autoscaling/kpa-autoscaler
    - Knative scale bounds (`min-scale`): https://knative.dev/docs/serving/autoscaling/scale-bounds/
    - KEDA ScaledObject (`minReplicaCount` default 0): https://keda.sh/docs/latest/reference/scaledobject-spec/
    """

    code: ClassVar[str] = "AIL203"
    slug: ClassVar[str] = "scale-to-zero-llm-serving"
    severity: ClassVar[Severity] = Severity.WARNING
    inputs: ClassVar[str] = (
        "KServe InferenceServices, Knative Services, KEDA ScaledObjects, HPAs, AIBrix PodAutoscalers, "
        "KubeAI Models, OME InferenceServices, Dynamo graphs"
    )
    summary: ClassVar[str] = "An LLM server scales to zero and pays a model load on the first request"
    examples = (
        Example("serving/llama-chat.yaml", _BAD, expect=("AIL203",), title="KServe predictor with minReplicas 0"),
        Example("serving/llama-chat.yaml", _GOOD, title="one replica kept warm"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd",
            "no $ loss: scale-to-zero saves money; the cost is the cold-start latency (the warm-replica price is in the message)",
        ),
        Unpriced("kgco2e", "no kgCO2e figure: the finding is about latency, not energy"),
    )

    class Options(RuleOptions):
        load_bandwidth_gb_s: float = Field(
            DEFAULT_LOAD_GBPS, gt=0, le=MAX_GB_S, allow_inf_nan=False, description="weight-loading bandwidth in GB/s"
        )
        load_gbps: float | None = Field(
            None,
            gt=0,
            le=MAX_GB_S,
            allow_inf_nan=False,
            description="older name of `load-bandwidth-gb-s` (used when that is not set)",
        )
        start_overhead_seconds: float = Field(
            DEFAULT_OVERHEAD_S,
            gt=0,
            le=MAX_SECONDS,
            allow_inf_nan=False,
            description="fixed start cost added to the load",
        )
        unknown_cold_start_seconds: float = Field(
            DEFAULT_UNKNOWN_S,
            gt=0,
            le=MAX_SECONDS,
            allow_inf_nan=False,
            description="cold start used when the model size is unknown",
        )

        def bandwidth(self) -> float:
            if "load_bandwidth_gb_s" in self.model_fields_set or self.load_gbps is None:
                return self.load_bandwidth_gb_s
            return self.load_gbps

    options: Options

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        for w in ctx.project.of_type(Workload):
            if w.min_replicas != 0 or w.min_replicas_source is None:
                continue
            if not w.uses_gpu and (w.group, w.kind) not in RUNTIME_PICKS_GPUS:
                continue  # CPU-only, unless the serving runtime, not the manifest, picks the GPUs
            if w.kind == "InferenceService" and w.deployment_mode in _RAW_MODES and w.autoscaler_class != "keda":
                continue  # no Knative: nothing scales this to zero
            engine = llm_engine(w)
            if engine is None:
                continue
            src = w.min_replicas_source
            why = src if "default" in src else f"{src} is 0"
            yield self._report(ctx, w, w, engine, why, w.span_of("minReplicas", "kind"))
            continue
        for a in ctx.project.of_type(Autoscaler):
            if a.min_replicas != 0:
                continue
            target = scale_target(ctx, a.namespace, a.target_kind, a.target_name)
            if target is None or not target.uses_gpu:
                continue
            engine = llm_engine(target)
            if engine is None:
                continue
            src = (
                "minReplicaCount 0"
                if "minReplicas" in a.field_spans
                else "no minReplicaCount, so KEDA's default of 0 applies"
            )
            if a.kind in ("HorizontalPodAutoscaler", "PodAutoscaler"):
                src = "minReplicas 0"
            yield self._report(ctx, a, target, engine, f"{a.kind} {a.name}: {src}", a.span_of("minReplicas", "kind"))

    def _report(self, ctx: RuleContext, obj: K8sObject, w: Workload, engine: str, why: str, span: object) -> Finding:
        bw = self.options.bandwidth()
        overhead = self.options.start_overhead_seconds
        size = model_size(w.model_ref, w)
        assumptions: list[str] = []
        gb = size.gigabytes
        if gb is not None:
            seconds = gb / bw + overhead
            model_txt = (
                f"{(w.model_ref or '').rsplit('/', 1)[-1] or 'the model'} (~{gb:.0f} GB)"
                if gb >= 1
                else f"{(w.model_ref or '').rsplit('/', 1)[-1] or 'the model'} (~{gb:.2g} GB)"
            )
            assumptions += [
                f"model size: {size.source}, {size.dtype_note} = {gb:.1f} GB",
                f"load at {bw:g} GB/s (option load-bandwidth-gb-s) + {overhead:g} s start overhead (option start-overhead-seconds) "
                f"= {seconds:.0f} s",
            ]
        else:
            seconds = self.options.unknown_cold_start_seconds
            model_txt = f"{w.model_ref.rsplit('/', 1)[-1]}" if w.model_ref else "its model"
            assumptions.append(
                f"model size unknown ({size.source}): a default cold start of {seconds:g} s is used "
                f"(option unknown-cold-start-seconds; reported ranges are 35-165 s for 7B and 180-465 s for 70B models)"
            )
        assumptions.append("node provisioning and image pull are not included (they add more on a cold node)")
        warm_txt, sources = self._warm(ctx, w, assumptions)
        impact = Impact(
            latency_ms=round(seconds * 1000),
            assumptions=tuple(assumptions),
            sources=sources,
        )
        gpus = gpu_summary(w) if w.uses_gpu else "GPUs picked by its serving runtime"
        message = (
            f"{w.display_name} ({engine}, {gpus}) scales to zero ({why}), so the first request after an idle "
            f"period waits {'at least' if size.lower_bound else 'about'} {seconds:.0f} s for {model_txt} to load; one warm replica costs {warm_txt}."
        )
        return self.finding(
            obj,
            message,
            remediation=(
                'Keep one replica warm (`minReplicas: 1`, `autoscaling.knative.dev/min-scale: "1"` or '
                "`minReplicaCount: 1`). If cold starts are acceptable for this model, say so with the annotation "
                '`aiinfralint/ignore: "AIL203"`, and shorten the cold path with a local model cache and a pre-pulled image.'
            ),
            impact=impact,
            span=span,  # type: ignore[arg-type]
            key=f"{obj.namespace}/{obj.name}",
            related=[w] if w is not obj else [],
        )

    @staticmethod
    def _warm(ctx: RuleContext, w: Workload, assumptions: list[str]) -> tuple[str, tuple[str, ...]]:
        """What one warm replica costs a month (its text and sources), with its assumptions."""
        if not w.uses_gpu:
            assumptions.append("the manifest names no GPUs (its serving runtime does), so a warm replica is not priced")
            return "an unknown amount (the serving runtime picks the GPUs)", ()
        warm_txt, warm = warm_replica_cost(ctx, w)
        per_replica = sum(p.gpu_count for p in w.gpu_pods)
        assumptions.append(
            f"one warm replica ({per_replica:g} GPU{'s' if per_replica != 1 else ''} × 730 h/month) costs {warm_txt}: the saving scale-to-zero buys"
        )
        assumptions.extend(a for a in warm.assumptions if a.startswith(("price:", "GPU model:")))
        assumptions.extend(f"warm replica {u}" for u in warm.unpriced if u.kind == "usd")
        return warm_txt, tuple(warm.sources)
