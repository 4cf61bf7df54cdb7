"""The cost and carbon inventory behind `aiinfralint cost`: every GPU workload, prompt and AI
feature in a project with its $/month, kWh/month and kgCO2e/month, and why what could not
be priced was not.

- GPU workloads: serving runs replicas × GPUs × 730 h (the minimum replicas when an
  autoscaler owns the count); batch runs schedule × run length (activeDeadlineSeconds, or
  4 h); a one-off Job counts as one run a month.
- Prompts: calls/day × static prefix tokens × the cached-input price (uncached input price
  when the prefix is below the provider's cache minimum or follows a dynamic slot).
- AI features: requests/day × tokens per request × prices; energy from the vendor's
  disclosed Wh per request; a stated line item wins over the estimate in the totals.

Pure functions of the parsed project and the configuration, and the one source of an
object's spend: `cost` lists the items, `check --diff` compares the inventories of base and
head, and the rules (AIL501) use the same estimates, so a finding and the inventory never
disagree. A finding carries what is at stake on its object, never a second copy of its bill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from aiinfralint.analysis.prompt import prompt_spend
from aiinfralint.analysis.schedule import job_zone, schedule_of
from aiinfralint.analysis.workloads import hardware
from aiinfralint.estimate import Estimator
from aiinfralint.model.finding import DefaultUsed, Impact, Unpriced
from aiinfralint.model.k8s import Autoscaler, Workload
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.model.provider import AIFeature

if TYPE_CHECKING:
    from aiinfralint.config import Config
    from aiinfralint.model.project import Project

Category = Literal["gpu-workload", "prompt", "feature"]
CATEGORIES: tuple[Category, ...] = ("gpu-workload", "prompt", "feature")
CATEGORY_LABELS: dict[str, str] = {"gpu-workload": "GPU workloads", "prompt": "Prompts", "feature": "AI features"}

HOURS_PER_MONTH = Decimal(730)
DAYS_PER_MONTH = 30
DEFAULT_RUN_HOURS = Decimal(4)
# Kubernetes annotation a GPU workload states its carbon with (AIL501), and its companions
CARBON_ANNOTATION = "aiinfralint/carbon-kgco2e-per-month"
ENERGY_ANNOTATION = "aiinfralint/energy-kwh-per-month"
CARBON_SOURCE_ANNOTATION = "aiinfralint/carbon-source"


@dataclass(frozen=True)
class Stated:
    """What the configuration itself says an item costs or emits (line items, annotations)."""

    usd_per_month: Decimal | None = None
    kgco2e_per_month: Decimal | None = None
    kwh_per_month: Decimal | None = None
    source: str | None = None


@dataclass(frozen=True)
class Item:
    category: Category
    name: str
    path: str
    line: int
    basis: str  # one line: what was counted
    estimate: Impact
    stated: Stated = field(default_factory=Stated)
    functional_unit: str | None = None
    units_per_month: Decimal | None = None
    unit_note: str | None = None
    obj: Any = field(default=None, compare=False, repr=False)

    # the figure the totals use: stated where given, else the estimate
    @property
    def usd_per_month(self) -> Decimal | None:
        return self.stated.usd_per_month if self.stated.usd_per_month is not None else self.estimate.usd_per_month

    @property
    def kgco2e_per_month(self) -> Decimal | None:
        if self.stated.kgco2e_per_month is not None:
            return self.stated.kgco2e_per_month
        return self.estimate.kgco2e_per_month

    @property
    def kwh_per_month(self) -> Decimal | None:
        if self.stated.kwh_per_month is not None:
            return self.stated.kwh_per_month
        if self.stated.kgco2e_per_month is not None:
            return None  # a stated carbon figure without its energy: do not mix in our kWh
        return self.estimate.kwh_per_month

    @property
    def usd_basis(self) -> str:
        if self.stated.usd_per_month is not None:
            return "stated"
        return "estimated" if self.estimate.usd_per_month is not None else "unpriced"

    @property
    def carbon_basis(self) -> str:
        if self.stated.kgco2e_per_month is not None:
            return "stated"
        return "estimated" if self.estimate.kgco2e_per_month is not None else "unpriced"

    @property
    def g_per_unit(self) -> Decimal | None:
        kg = self.kgco2e_per_month
        if kg is None or not self.units_per_month:
            return None
        return kg * 1000 / self.units_per_month

    @property
    def usd_per_unit(self) -> Decimal | None:
        usd = self.usd_per_month
        if usd is None or not self.units_per_month:
            return None
        return usd / self.units_per_month

    @property
    def unpriced(self) -> tuple[Unpriced, ...]:
        """Why a figure the totals need is missing (a stated figure makes the estimate's reason moot)."""
        stated = {"usd": self.stated.usd_per_month, "kgco2e": self.stated.kgco2e_per_month}
        return tuple(u for u in self.estimate.unpriced if stated.get(u.kind) is None)


@dataclass(frozen=True)
class CategoryTotals:
    category: str
    items: int
    usd_per_month: Decimal
    kwh_per_month: Decimal
    kgco2e_per_month: Decimal
    gpu_hours_per_month: Decimal
    usd_unpriced: int  # items with no $ figure
    carbon_unpriced: int  # items with no kgCO2e figure
    reasons: tuple[tuple[str, int], ...]  # why, and how many items


@dataclass(frozen=True)
class Inventory:
    items: tuple[Item, ...]
    assumptions: tuple[str, ...]
    # the defaults the estimates relied on, each with the configuration key that changes it
    defaults_used: tuple[DefaultUsed, ...] = ()

    def of(self, category: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.category == category)

    def totals(self, category: str | None = None) -> CategoryTotals:
        items = self.items if category is None else self.of(category)
        reasons: dict[str, int] = {}
        for i in items:
            for u in i.unpriced:
                reasons[u.reason] = reasons.get(u.reason, 0) + 1
        return CategoryTotals(
            category=category or "all",
            items=len(items),
            usd_per_month=sum((i.usd_per_month for i in items if i.usd_per_month is not None), Decimal(0)),
            kwh_per_month=sum((i.kwh_per_month for i in items if i.kwh_per_month is not None), Decimal(0)),
            kgco2e_per_month=sum((i.kgco2e_per_month for i in items if i.kgco2e_per_month is not None), Decimal(0)),
            gpu_hours_per_month=sum(
                (i.estimate.gpu_hours_per_month for i in items if i.estimate.gpu_hours_per_month is not None),
                Decimal(0),
            ),
            usd_unpriced=sum(1 for i in items if i.usd_per_month is None),
            carbon_unpriced=sum(1 for i in items if i.kgco2e_per_month is None),
            reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


# --- GPU workloads ------------------------------------------------------------------------


def stated_carbon_of_workload(w: Any) -> tuple[Stated | None, str | None]:
    """The carbon a workload states in its annotations, or (None, why-not)."""
    sources = [("metadata.annotations", w.annotations)] + [
        (f"{p.path} annotations", p.annotations) for p in getattr(w, "pods", ())
    ]
    for where, ann in sources:
        if CARBON_ANNOTATION in ann:
            kg = _decimal(ann[CARBON_ANNOTATION])
            if kg is None or kg < 0:
                return None, f"{CARBON_ANNOTATION} is {ann[CARBON_ANNOTATION]!r}, which is not a number of kgCO2e/month"
            kwh = _decimal(ann.get(ENERGY_ANNOTATION, ""))
            src = ann.get(CARBON_SOURCE_ANNOTATION) or f"{where} {CARBON_ANNOTATION}"
            return Stated(kgco2e_per_month=kg, kwh_per_month=kwh, source=src), None
    return None, None


def _decimal(text: Any) -> Decimal | None:
    try:
        d = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _autoscaler_min(project: Project, w: Any) -> tuple[int, str] | None:
    for a in project.of_type(Autoscaler):
        if a.namespace == w.namespace and a.target_name == w.name and (a.target_kind or "Deployment") == w.kind:
            kind = "KEDA ScaledObject" if a.kind == "ScaledObject" else a.kind
            if a.min_replicas is None:
                # HPA minReplicas defaults to 1; KEDA minReplicaCount defaults to 0
                default = 0 if a.kind == "ScaledObject" else 1
                return default, f"{kind} {a.name} (default minimum {default})"
            return a.min_replicas, f"{kind} {a.name} min {a.min_replicas}"
    return None


def _fmt(n: Decimal | float | int) -> str:
    d = Decimal(str(n))
    if d == d.to_integral_value():
        return f"{d.to_integral_value():,f}"
    return f"{d:,.2f}".rstrip("0").rstrip(".")


_NOT_DEVICES = re.compile(r"^nvidia\.com/gpu[a-z]")  # HAMi vGPU cores/memory: nvidia.com/gpucores, gpumem


def pod_gpus(pod: Any) -> float:
    """GPU devices a pod asks for; HAMi's `nvidia.com/gpucores`/`gpumem` are shares, not devices."""
    return float(sum(v for k, v in pod.gpus.items() if not _NOT_DEVICES.match(k)))


def workload_hours(project: Project, w: Any) -> tuple[Decimal, Decimal, str, list[str]]:
    """(GPUs, hours/month, basis, assumptions) for one GPU workload."""
    gpu_pods = [p for p in w.pods if pod_gpus(p) > 0]
    per_replica = Decimal(str(sum(pod_gpus(p) for p in gpu_pods)))
    total = Decimal(str(sum(pod_gpus(p) * max(p.replicas, 1) for p in gpu_pods)))
    assumptions: list[str] = []
    if w.role == "batch":
        hours, basis, notes = _batch_hours(w)
        assumptions.extend(notes)
        return total, hours, basis, assumptions
    # serving and anything else that stays up: replicas × GPUs × 730 h
    scaled = _autoscaler_min(project, w)
    if w.min_replicas is not None:
        replicas = int(w.min_replicas)
        how = f"min replicas {replicas} ({w.min_replicas_source or 'autoscaled'})"
        gpus = per_replica * replicas
    elif scaled is not None:
        replicas, src = scaled
        how = f"min replicas {replicas} ({src})"
        gpus = per_replica * replicas
    else:
        gpus = total
        reps = {p.replicas for p in gpu_pods}
        how = (
            f"{next(iter(reps))} replica{'s' if next(iter(reps)) != 1 else ''}"
            if len(reps) == 1
            else "replicas as declared"
        )
    role = "serving" if w.role == "serving" else "always on"
    basis = f"{role}: {how} × {_fmt(per_replica)} GPU{'s' if per_replica != 1 else ''} × 730 h"
    assumptions.append(f"{role}: {how}; runs 730 h/month (8,760 h / 12)")
    if (w.min_replicas is not None or scaled is not None) and gpus == 0:
        assumptions.append(
            "scales to zero: only the idle floor is counted, which is nothing; busy hours are not in the manifest"
        )
    elif w.min_replicas is not None or scaled is not None:
        assumptions.append("autoscaled: the minimum is counted; replicas added under load are not")
    return gpus, HOURS_PER_MONTH, basis, assumptions


def _batch_hours(w: Any) -> tuple[Decimal, str, list[str]]:
    notes: list[str] = []
    deadline = w.active_deadline_seconds
    if deadline:
        run = Decimal(deadline) / 3600
        run_note = f"each run at most {_fmt(run)} h (activeDeadlineSeconds {deadline})"
    else:
        run = DEFAULT_RUN_HOURS
        run_note = f"each run assumed {_fmt(run)} h (no activeDeadlineSeconds)"
    if w.suspend:
        notes.append("suspended: no runs counted")
        return Decimal(0), "batch: suspended", notes
    if w.schedule:
        runs = _runs_per_month(w)
        if runs is None:
            notes.append(f"schedule {w.schedule!r} could not be read: one run a month assumed")
            runs = 1
        else:
            notes.append(f"schedule {w.schedule!r}: {runs} runs in a 30-day month")
        hours = min(Decimal(runs) * run, HOURS_PER_MONTH)
        basis = f"batch: {runs} runs/month × {_fmt(run)} h"
        if Decimal(runs) * run > HOURS_PER_MONTH:
            notes.append("runs overlap: capped at 730 h/month")
    else:
        hours = run
        basis = f"batch: 1 run/month × {_fmt(run)} h"
        notes.append("no schedule: one run a month assumed")
    notes.append(run_note)
    return hours, basis, notes


def _runs_per_month(w: Any) -> int | None:
    sched = schedule_of(w)
    if sched is None:
        return None
    tz, _ = job_zone(w)
    return _count_runs(sched, tz)


@lru_cache(maxsize=4096)
def _count_runs(sched: Any, tz: Any) -> int:
    """Runs in the reference month; many jobs share a schedule, so each is counted once."""
    start = datetime(2026, 1, 5, tzinfo=tz)
    n = 0
    for _ in sched.runs_between(start, start + timedelta(days=DAYS_PER_MONTH), tz):
        n += 1
        if n > 50_000:
            break
    return n


def workload_item(project: Project, w: Any, est: Estimator) -> Item:
    gpus, hours, basis, notes = workload_hours(project, w)
    hw = hardware(*[p for p in w.pods if pod_gpus(p) > 0])
    count = int(gpus.to_integral_value()) if gpus == gpus.to_integral_value() else int(gpus) + 1
    if count == 0 or hours == 0:
        imp = Impact(
            usd_per_month=Decimal(0),
            kgco2e_per_month=Decimal(0),
            kwh_per_month=Decimal(0),
            gpu_hours_per_month=Decimal(0),
            assumptions=tuple(notes),
        )
    else:
        try:
            imp = est.gpu_workload(
                hw.gpu,
                count,
                hours,
                instance_type=hw.instance_type,
                region=hw.region,
                provider=hw.provider,
                family=hw.family,
                path=hw.file,
            )
        except (OSError, KeyError, ValueError, LookupError) as exc:  # tables missing or broken
            imp = Impact(
                unpriced=(
                    Unpriced("usd", f"cost: estimate tables unavailable: {exc}"),
                    Unpriced("kgco2e", f"energy and carbon: estimate tables unavailable: {exc}"),
                )
            )
        imp = imp.model_copy(update={"assumptions": (*notes, f"GPU model: {hw.source}", *imp.assumptions)})
    stated, _ = stated_carbon_of_workload(w)
    return Item(
        "gpu-workload", w.display_name, w.span.path, w.span_of("kind").line, basis, imp, stated or Stated(), obj=w
    )


def gpu_workloads(project: Project) -> list[Any]:
    return [w for w in project.of_type(Workload) if any(pod_gpus(p) > 0 for p in w.pods)]


# --- prompts ------------------------------------------------------------------------------


def prompt_item(t: Any, est: Estimator, config: Config) -> Item:
    """The prompt's monthly prefix spend, from the same bill as its cache findings (analysis.prompt)."""
    bill, imp = prompt_spend(t, config, est)
    imp = imp.model_copy(
        update={
            "unpriced": (
                *imp.unpriced,
                Unpriced(
                    "kgco2e",
                    "energy and carbon: not estimated for a prompt prefix (vendors publish energy per whole "
                    "request, not per token); describe the traffic as an AIFeature to estimate it",
                ),
            ),
        }
    )
    basis = f"{_fmt(bill.calls)} calls/day × {bill.prefix.tokens} prefix tokens on {bill.choice.model}"
    return Item("prompt", t.display_name, t.span.path, t.span.line, basis, imp, obj=t)


def prompts(project: Project) -> list[Any]:
    return list(project.of_type(PromptTemplate))


# --- AI features --------------------------------------------------------------------------

_PER_PERSON = ("user", "users", "seat", "seats", "customer", "customers", "member", "members", "account", "month")


def feature_item(f: Any, est: Estimator) -> Item:
    spec = f.spec
    imp, basis, units = _feature_estimate(spec, est)
    units, unit_note = _functional_units(spec.functional_unit, units)
    line = f.span_of("cost", "model").line
    return Item(
        "feature",
        f.display_name,
        f.span.path,
        line,
        basis,
        imp,
        _feature_stated(spec),
        spec.functional_unit,
        units,
        unit_note,
        obj=f,
    )


def _feature_estimate(spec: Any, est: Estimator) -> tuple[Impact, str, Decimal | None]:
    """(estimate, basis, requests a month) of one AI feature from its traffic and token counts."""
    rpd = spec.traffic.requests_per_day
    tokens = spec.tokens_per_request
    notes: list[str] = []
    region = spec.regions[0] if spec.regions else None
    if len(spec.regions) > 1:
        notes.append(f"grid of the first region {region} used for all {len(spec.regions)} regions")
    if rpd is None:
        missing = (
            Unpriced("usd", "cost: traffic.requestsPerDay is not stated"),
            Unpriced(
                "kgco2e",
                "energy and carbon: traffic.requestsPerDay is not stated",
                "traffic.requestsPerDay is not stated",
            ),
        )
        return Impact(assumptions=tuple(notes), unpriced=missing), f"{spec.model}: no traffic stated", None
    month = Decimal(rpd) * DAYS_PER_MONTH
    notes.append(f"{rpd:,} requests/day × {DAYS_PER_MONTH} days = {_fmt(month)} requests/month")
    usd, sources, unpriced = _feature_token_cost(spec, est, month, notes)
    energy = est.request_energy(spec.model, month, region=region, provider=spec.provider)
    kwh, kg = energy.kwh_per_month, energy.kgco2e_per_month
    notes.extend(energy.assumptions)
    unpriced.extend(energy.unpriced)
    sources = (*sources, *energy.sources)
    if tokens.input or tokens.cached_input or tokens.output:
        basis = f"{rpd:,} requests/day × ({tokens.input} in + {tokens.output} out tokens) on {spec.model}"
    else:
        basis = f"{rpd:,} requests/day on {spec.model} (tokens per request not stated)"
    carbon = spec.carbon
    if carbon is not None and carbon.kwh_per_month is not None and carbon.kgco2e_per_month is None:
        # the feature states its energy: carbon follows from the grid, not from a vendor figure
        grid = est.grid_intensity(region)
        kwh = carbon.kwh_per_month
        kg = kwh * grid.g_per_kwh / 1000
        notes = [n for n in notes if "Wh/request" not in n and "PUE" not in n and "grid" not in n]
        notes.append(f"stated {kwh} kWh/month × {grid.basis}")
        unpriced = [u for u in unpriced if u.kind != "kgco2e"]
        sources = (*sources, grid.source)
    imp = Impact(
        usd_per_month=usd,
        kgco2e_per_month=kg,
        kwh_per_month=kwh,
        assumptions=tuple(notes),
        sources=tuple(dict.fromkeys(sources)),
        unpriced=tuple(unpriced),
    )
    return imp, basis, month


def _feature_token_cost(
    spec: Any, est: Estimator, month: Decimal, notes: list[str]
) -> tuple[Decimal | None, tuple[str, ...], list[Unpriced]]:
    """($/month, sources, what is missing) of a feature's tokens; the basis goes to `notes`."""
    tokens = spec.tokens_per_request
    if not (tokens.input or tokens.cached_input or tokens.output):
        return None, (), [Unpriced("usd", "cost: tokensPerRequest is not stated")]
    if tokens.cached_input <= tokens.input:
        uncached = tokens.input - tokens.cached_input
        notes.append(
            f"per request: {tokens.input} input tokens of which {tokens.cached_input} cached "
            f"(billed at the cached price), {tokens.output} output"
        )
    else:
        uncached = tokens.input
        notes.append(
            f"per request: {tokens.input} uncached input, {tokens.cached_input} cached input, "
            f"{tokens.output} output tokens"
        )
    cost = est.token_cost(
        spec.model,
        input_tokens=uncached * month,
        cached_input_tokens=tokens.cached_input * month,
        output_tokens=tokens.output * month,
    )
    if cost.usd is None:
        return None, cost.sources, [cost.missing("cost: ")]
    notes.append(cost.basis)
    return cost.usd, cost.sources, []


def _feature_stated(spec: Any) -> Stated:
    """The $ and carbon a feature states for itself (line items)."""
    source = "; ".join(
        x
        for x in (
            spec.cost.source if spec.cost else None,
            (spec.carbon.source or spec.carbon.method) if spec.carbon else None,
        )
        if x
    )
    return Stated(
        usd_per_month=spec.cost.usd_per_month if spec.cost else None,
        kgco2e_per_month=spec.carbon.kgco2e_per_month if spec.carbon else None,
        kwh_per_month=spec.carbon.kwh_per_month if spec.carbon else None,
        source=source or None,
    )


def _functional_units(fu: str | None, units: Decimal | None) -> tuple[Decimal | None, str | None]:
    """(functional units a month, note): a request is a unit unless the unit counts people."""
    if not fu:
        return None, None
    words = {w.strip(".,;:()").lower() for w in fu.split()}
    if words & set(_PER_PERSON):
        return None, (
            f"functional unit '{fu}' is not a request and the feature states only requests/day: no per-unit figure"
        )
    if units is not None:
        return units, f"one request = one '{fu}'"
    return units, None


def features(project: Project) -> list[Any]:
    return list(project.of_type(AIFeature))


# --- the whole project --------------------------------------------------------------------


def build(project: Project, config: Config, estimator: Estimator | None = None) -> Inventory:
    est = estimator or Estimator(config)
    items: list[Item] = []
    items.extend(workload_item(project, w, est) for w in gpu_workloads(project))
    items.extend(prompt_item(t, est, config) for t in prompts(project))
    items.extend(feature_item(f, est) for f in features(project))
    items.sort(key=lambda i: (CATEGORIES.index(i.category), i.path, i.line, i.name))
    t = config.traffic
    assumptions = (
        f"a month is 730 h / {DAYS_PER_MONTH} days",
        f"GPU utilisation {_fmt(Decimal(str(t.gpu_utilisation)) * 100)}% unless stated "
        f"([tool.aiinfralint.traffic] gpu-utilisation)",
        f"prompts without configured traffic: {t.calls_per_day:,} calls/day "
        f"([tool.aiinfralint.traffic] calls-per-day, prompts)",
        "carbon is location-based (grid average of the region), as in the SCI specification; "
        "market-based instruments are not netted out",
        "stated line items and carbon annotations take precedence over estimates in the totals",
        "prompts and AI features can describe the same traffic: compare them before adding the two",
    )
    return Inventory(tuple(items), assumptions, est.defaults_used())
