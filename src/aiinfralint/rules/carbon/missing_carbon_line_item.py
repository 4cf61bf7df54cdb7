from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field

from aiinfralint.estimate import inventory
from aiinfralint.model.finding import Finding, Severity
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions

_BAD_FEATURE = """\
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
  cost: {usdPerMonth: 14200, source: "FinOps dashboard, October"}
  functionalUnit: 1 answered order question
"""

_GOOD_FEATURE = """\
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
  cost: {usdPerMonth: 14200, source: "FinOps dashboard, October"}
  carbon: {kgco2ePerMonth: 1131, kwhPerMonth: 2984, method: "0.34 Wh/request x PUE 1.17 x 379 g/kWh"}
  functionalUnit: 1 answered order question
"""

_BAD_WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-inference
  namespace: llm
spec:
  replicas: 2
  selector: {matchLabels: {app: chat-inference}}
  template:
    metadata: {labels: {app: chat-inference}}
    spec:
      nodeSelector:
        node.kubernetes.io/instance-type: g5.xlarge
        topology.kubernetes.io/region: us-east-1
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
          resources:
            limits: {nvidia.com/gpu: 1}
"""

_GOOD_WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-inference
  namespace: llm
  annotations:
    aiinfralint/carbon-kgco2e-per-month: "54"
    aiinfralint/energy-kwh-per-month: "143"
    aiinfralint/carbon-source: "Kepler energy counters x eGRID SERC, October"
spec:
  replicas: 2
  selector: {matchLabels: {app: chat-inference}}
  template:
    metadata: {labels: {app: chat-inference}}
    spec:
      nodeSelector:
        node.kubernetes.io/instance-type: g5.xlarge
        topology.kubernetes.io/region: us-east-1
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
          resources:
            limits: {nvidia.com/gpu: 1}
"""


# below this a GPU workload's estimate is noise next to the rest of the estate (a one-off sample Job)
DEFAULT_MIN_KG = Decimal(1)


def _n(d: Decimal, places: int = 0) -> str:
    q = d.quantize(Decimal(1).scaleb(-places)) if places else d.quantize(Decimal(1))
    return f"{q:,f}"


def _round_for_copy(d: Decimal) -> str:
    """A figure to paste into YAML: whole units from 10 up, else two significant decimals."""
    if d >= 10:
        return str(d.quantize(Decimal(1)))
    return f"{d.quantize(Decimal('0.01')):f}"


class MissingCarbonLineItem(Rule):
    """An AI feature or GPU workload states what it costs but not what it emits.

    ## What it does
    Reports two things whose cost is known but whose energy and carbon are stated nowhere:

    - an `AIFeature` with a `cost` line item and no `carbon` line item (or a `carbon` item
      with neither `kgco2ePerMonth` nor `kwhPerMonth`);
    - a Kubernetes GPU workload (Deployment, StatefulSet, Job, CronJob, KServe, Ray,
      PyTorchJob ...) whose GPU model is known from its node selectors, with no
      `aiinfralint/carbon-kgco2e-per-month` annotation on its metadata or pod template.

    The finding states the estimate, so fixing it can be as small as copying the number in.
    A feature or workload that states its carbon, with any number and method, is silent:
    the rule asks for a line item, it does not audit the figure.

    Not reported: workloads whose GPU model cannot be resolved (there is no number to
    copy; `aiinfralint cost` lists them as unpriced with the reason), workloads that scale
    to zero (the idle floor costs nothing; busy hours are not in the manifest), suspended
    CronJobs, GPU workloads estimated below 1 kgCO2e/month (option
    `min-kgco2e-per-month`), and features with no `cost` line item.

    ## Why is this bad?
    A team that reviews an AI feature by its monthly bill alone cannot weigh it against its
    emissions, and a sustainability report built from invoices misses everything
    self-hosted. The Green Software Foundation's SCI specification asks for energy × grid
    intensity per functional unit; writing it next to the cost makes it part of the review
    where the cost already is, and makes a change that doubles the GPUs show up in both.

    ## How the estimate is computed
    GPU workloads: GPUs × hours × average power × PUE × grid intensity. Serving workloads
    run replicas × GPUs × 730 h (the minimum replicas when an autoscaler owns the count);
    batch workloads run schedule × run length (`activeDeadlineSeconds`, or 4 h), one run a
    month when there is no schedule. Average power per GPU is idle + utilisation × (board
    power − idle) (Cloud Carbon Footprint method; board power × utilisation when the idle
    figure is unknown), utilisation 60% unless configured, PUE of the cloud (AWS 1.15, GCP
    1.10, Azure 1.17), location-based grid intensity of the region from the node selector
    (`topology.kubernetes.io/region`) or `[tool.aiinfralint.traffic] region`, the world
    average 475 gCO2e/kWh when unknown.

    AI features: requests/day × 30 × the vendor's disclosed energy per request (Google:
    0.24 Wh per median Gemini prompt, overhead included; OpenAI: 0.34 Wh per average
    ChatGPT query, × PUE) × the grid intensity of the feature's first region. No vendor
    publishes energy per token, so the figure does not scale with tokens per request; a
    vendor with no disclosure (Anthropic, as of the table date) leaves the estimate empty
    and the finding says so. Tables, sources and dates: `docs/estimates.md`.

    ## How to fix
    For a feature, add a `carbon` line item next to `cost`, with the method:

    ```yaml
    cost: {usdPerMonth: 14200, source: "FinOps dashboard, October"}
    carbon: {kgco2ePerMonth: 1131, kwhPerMonth: 2984, method: "0.34 Wh/request x PUE x grid"}
    ```

    For a GPU workload, annotate it (a measured figure from DCGM or Kepler energy counters
    is better than the estimate):

    ```yaml
    metadata:
      annotations:
        aiinfralint/carbon-kgco2e-per-month: "54"
        aiinfralint/energy-kwh-per-month: "143"        # optional
        aiinfralint/carbon-source: "Kepler, October"   # optional
    ```

    ## References
    - Green Software Foundation, Software Carbon Intensity (SCI) specification v1.1.0
      (ISO/IEC 21031:2024): https://github.com/Green-Software-Foundation/sci
    - Cloud Carbon Footprint methodology (GPU idle/max watts, PUE, grid factors):
      https://www.cloudcarbonfootprint.org/docs/methodology
    - `aiinfralint cost` lists every GPU workload, prompt and feature with the same figures.
    """

    code: ClassVar[str] = "AIL501"
    slug: ClassVar[str] = "missing-carbon-line-item"
    severity: ClassVar[Severity] = Severity.INFO
    inputs: ClassVar[str] = "AIFeature, Kubernetes GPU workloads"
    summary: ClassVar[str] = "An AI feature or GPU workload states what it costs but not what it emits"
    examples: ClassVar[tuple[Example, ...]] = (
        Example("features.yaml", _BAD_FEATURE, expect=("AIL501",), title="a feature with a cost and no carbon"),
        Example("features.yaml", _GOOD_FEATURE, title="the carbon line item next to the cost"),
        Example("chat-inference.yaml", _BAD_WORKLOAD, expect=("AIL501",), title="two g5.xlarge serving replicas"),
        Example("chat-inference.yaml", _GOOD_WORKLOAD, title="the workload states its carbon"),
    )

    class Options(RuleOptions):
        min_kgco2e_per_month: float = Field(
            float(DEFAULT_MIN_KG),
            ge=0,
            le=10**9,
            allow_inf_nan=False,
            description=(
                "GPU workloads estimated below this are not reported (a one-off Job of a few GPU-hours); "
                "features are always reported"
            ),
        )

    options: Options

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        est = ctx.estimator
        for f in inventory.features(ctx.project):
            yield from self._feature(f, est)
        for w in inventory.gpu_workloads(ctx.project):
            yield from self._workload(ctx, w, est)

    # -- AIFeature

    def _feature(self, f: Any, est: Any) -> Iterator[Finding]:
        spec = f.spec
        if spec.cost is None:
            return
        carbon = spec.carbon
        if carbon is not None and (carbon.kgco2e_per_month is not None or carbon.kwh_per_month is not None):
            return
        item = inventory.feature_item(f, est)
        imp = item.estimate
        notes: list[str] = []
        if spec.cost.usd_per_month is not None:
            # the stated cost is the feature's spend, not what the finding puts at stake: an assumption
            notes.append(f"the feature states a cost of ${_n(spec.cost.usd_per_month)}/month")
        what = "no carbon line item" if carbon is None else "a carbon line item with no kgco2ePerMonth or kwhPerMonth"
        if imp.kgco2e_per_month is not None:
            if item.g_per_unit is not None:
                notes.append(f"{item.g_per_unit.quantize(Decimal('0.01'))} gCO2e per {item.functional_unit}")
            estimate = (
                f"estimated {_n(imp.kgco2e_per_month, 1)} kgCO2e/month ({_n(imp.kwh_per_month or Decimal(0), 1)} kWh)"
            )
            kwh = _round_for_copy(imp.kwh_per_month or Decimal(0))
            line = (
                f"carbon: {{kgco2ePerMonth: {_round_for_copy(imp.kgco2e_per_month)}, kwhPerMonth: {kwh}, "
                f'method: "aiinfralint estimate: vendor Wh/request x PUE x grid"}}'
            )
            remediation = (
                f"Add `{line}` under spec next to `cost`, or replace the figure with the one your "
                f"provider or FinOps tooling reports, and say which method you used."
            )
        else:
            why = "; ".join(u.cause or u.reason for u in imp.unpriced if u.kind == "kgco2e")
            estimate = f"no estimate is possible: {why}"
            remediation = (
                "Add a `carbon` line item under spec with `kgco2ePerMonth` (and `kwhPerMonth`) from "
                "your provider's sustainability report or a measured figure, with its `method`; or "
                "configure the vendor's energy per request in "
                "[tool.aiinfralint.pricing.inference_energy] so the estimate can be computed."
            )
        yield self.finding(
            f,
            f"{f.display_name} states a cost line item but {what}; {estimate}.",
            remediation=remediation,
            impact=imp.model_copy(update={"usd_per_month": None, "assumptions": (*notes, *imp.assumptions)}),
            span=f.span_of("carbon", "cost"),
            key="feature",
        )

    # -- Kubernetes GPU workloads

    def _workload(self, ctx: RuleContext, w: Any, est: Any) -> Iterator[Finding]:
        stated, invalid = inventory.stated_carbon_of_workload(w)
        if stated is not None:
            return
        if w.role == "batch" and w.suspend:
            return
        item = inventory.workload_item(ctx.project, w, est)
        imp = item.estimate
        if imp.kgco2e_per_month is None or imp.kgco2e_per_month < self._threshold():
            return
        span = w.span_of(f"annotations.{inventory.CARBON_ANNOTATION}", "annotations", "kind")
        figures = (
            f"estimated {_n(imp.kgco2e_per_month, 1)} kgCO2e/month "
            f"({_n(imp.kwh_per_month or Decimal(0), 1)} kWh) for {item.basis}"
        )
        if invalid:
            message = f"{w.display_name} has {invalid}; {figures}."
        else:
            message = f"{w.display_name} runs GPUs with no carbon figure; {figures}."
        kg = _round_for_copy(imp.kgco2e_per_month)
        kwh = _round_for_copy(imp.kwh_per_month or Decimal(0))
        remediation = (
            f'Add the annotations `{inventory.CARBON_ANNOTATION}: "{kg}"` and '
            f'`{inventory.ENERGY_ANNOTATION}: "{kwh}"` to metadata.annotations, or better, a measured figure '
            f"(DCGM or Kepler energy counters × your grid intensity) with `{inventory.CARBON_SOURCE_ANNOTATION}` "
            f"saying where it came from."
        )
        # the workload's bill is not what the finding puts at stake: `aiinfralint cost` lists it, the
        # finding carries the carbon and energy it asks to state (its basis is an assumption)
        yield self.finding(
            w,
            message,
            remediation=remediation,
            impact=imp.model_copy(update={"usd_per_month": None, "assumptions": (item.basis, *imp.assumptions)}),
            span=span,
            key="workload",
        )

    def _threshold(self) -> Decimal:
        return Decimal(str(self.options.min_kgco2e_per_month))
