from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import PurePosixPath
from typing import ClassVar, Literal

from pydantic import Field

from aiinfralint.analysis.schedule import (
    DEFAULT_RUN_HOURS,
    fmt_hours,
    job_zone,
    peak_window,
    schedule_of,
    scheduled_overlap,
)
from aiinfralint.analysis.workloads import constraints, gpu_impact, gpu_summary, hardware, provider_of
from aiinfralint.model.finding import Finding, Severity
from aiinfralint.model.k8s import PodTemplate, PriorityClass, Workload
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions

# taints every GPU node carries (or that the ExtendedResourceToleration admission adds):
# tolerating them dedicates nothing
GENERIC_TAINT_KEYS = frozenset(
    {"nvidia.com/gpu", "amd.com/gpu", "gpu", "sku", "CriticalAddonsOnly", "ToBeDeletedByClusterAutoscaler"}
)
GENERIC_TAINT_PREFIXES = (
    "node.kubernetes.io/",
    "node-role.kubernetes.io/",
    "node.cloudprovider.kubernetes.io/",
    "node.kubernetes.io",
)

_CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-finetune
  namespace: ml
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      activeDeadlineSeconds: 21600
      template:
        spec:
          restartPolicy: Never
          nodeSelector:
            cloud.google.com/gke-accelerator: nvidia-l4
          containers:
          - name: train
            image: ghcr.io/acme/finetune:1.4
            resources:
              limits:
                nvidia.com/gpu: 4
"""

_SERVING = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-inference
  namespace: ml
spec:
  replicas: 2
  selector:
    matchLabels: {app: chat-inference}
  template:
    metadata:
      labels: {app: chat-inference}
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

_QUEUED = _CRONJOB.replace(
    "  jobTemplate:\n    spec:\n",
    "  jobTemplate:\n    metadata:\n      labels:\n        kueue.x-k8s.io/queue-name: batch   # admitted by Kueue\n    spec:\n",
)


class SharedBatchRealtimeGpuPool(Rule):
    """A batch GPU job and a serving workload share GPU nodes with nothing between them.

    ## What it does
    Pairs every batch GPU workload (Job, CronJob, PyTorchJob, TrainJob, RayJob, JobSet,
    Volcano Job...) with every serving GPU workload (Deployment, StatefulSet,
    LeaderWorkerSet, InferenceService, Knative Service, RayService, KubeAI Model...) in the
    project, across files, and reports the batch workload when the two can land on the
    same GPU nodes with nothing separating them. Any one of these counts as separation:

    - disjoint node selection on a shared label key (`nodeSelector` or a single required
      node-affinity term: different `cloud.google.com/gke-nodepool`,
      `karpenter.sh/nodepool`, `eks.amazonaws.com/nodegroup`, instance type, accelerator),
      or node labels of different clouds;
    - a dedicated taint: one side tolerates a taint (other than the generic
      `nvidia.com/gpu` / `amd.com/gpu` keys) that the other does not;
    - PriorityClass ordering: the serving class's value is higher than the batch one's
      (classes defined in the project are compared; if a class is named but not defined,
      differing classes where the serving side has one count as ordered);
    - the batch workload is admitted by a queue: Kueue `kueue.x-k8s.io/queue-name`, a
      Volcano queue or `schedulerName: volcano`;
    - different GPU resources (a `nvidia.com/mig-1g.10gb` slice and a full `nvidia.com/gpu`).

    Suspended CronJobs are skipped. By default only workloads in the same directory are
    paired (any files in it), so unrelated manifests elsewhere in one repository do not
    pair up; inside directories named `samples`, `examples`, `docs`, `tutorials` or
    `demo(s)` each file is an independent example and pairs only with itself. Option
    `scope = "tree"` also pairs parent/child and sibling directories (`deploy/batch` with
    `deploy/serving`); `scope = "project"` pairs everything in the run.

    ## Why is this bad?
    When a training or backfill job lands on the nodes the inference service scales onto,
    the serving pods go Pending at the moment traffic rises, or the job is co-scheduled
    with them and competes for PCIe, NVLink and host memory bandwidth. Nothing in the
    config decides who wins, so the realtime path loses at random.

    ## How the estimate is computed
    The GPU-hours the batch workload holds inside the realtime peak window per month
    (when no run reaches the window, every GPU-hour it holds on the shared pool):
    for a CronJob, each run of its schedule (in `spec.timeZone`, UTC when unset) lasts
    `activeDeadlineSeconds` or the stated default run length (option `default-run-hours`,
    4 h), and the hours inside the window (`peak-windows.realtime`, default 08:00-20:00 in
    the job's zone) are summed over a 30-day month; an unscheduled job is assumed to run
    once a month at an unknown time, so the window's share of the day applies. GPU-hours
    = those hours × the job's GPUs, priced by the shared GPU estimator with the GPU model
    from the node selectors; an unknown GPU is left unpriced with the reason.

    ## How to fix
    Give the two sides different node pools (a batch pool and a serving pool), taint the
    serving pool and let only serving pods tolerate it, give serving pods a PriorityClass
    with a higher value than the batch one so the scheduler preempts batch pods, or admit
    batch work through a Kueue LocalQueue/ClusterQueue with quotas.

    ## References
    - Pod priority and preemption: https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
    - Taints and tolerations: https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
    - Kueue ClusterQueue: https://kueue.sigs.k8s.io/docs/concepts/cluster_queue/
    """

    code: ClassVar[str] = "AIL201"
    slug: ClassVar[str] = "shared-batch-realtime-gpu-pool"
    severity: ClassVar[Severity] = Severity.ERROR
    inputs: ClassVar[str] = "Kubernetes batch and serving workloads requesting GPUs, PriorityClasses (cross-file)"
    summary: ClassVar[str] = "A batch GPU job and a serving workload share GPU nodes with nothing between them"
    examples = (
        Example(
            "k8s/nightly-finetune.yaml",
            _CRONJOB,
            expect=("AIL201",),
            title="CronJob and Deployment in different files on the same L4 pool",
            extra_files=(("k8s/chat-inference.yaml", _SERVING),),
        ),
        Example(
            "k8s/nightly-finetune.yaml",
            _QUEUED,
            title="the batch job is admitted by a Kueue queue",
            extra_files=(("k8s/chat-inference.yaml", _SERVING),),
        ),
    )

    class Options(RuleOptions):
        scope: Literal["directory", "tree", "project"] = Field(
            "directory",
            description="which workloads are paired: same directory, same top-level tree, or the whole project",
        )
        default_run_hours: float = Field(
            DEFAULT_RUN_HOURS,
            gt=0,
            le=24 * 366,
            allow_inf_nan=False,
            description="run length assumed when a job sets no activeDeadlineSeconds",
        )

    options: Options

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        workloads = [w for w in ctx.project.of_type(Workload) if w.uses_gpu]
        batch = [w for w in workloads if w.role == "batch" and not (w.kind == "CronJob" and w.suspend)]
        serving = [w for w in workloads if w.role == "serving"]
        if not batch or not serving:
            return
        classes: dict[str, PriorityClass] = {p.name: p for p in ctx.project.of_type(PriorityClass)}
        default_pc = next((p for p in classes.values() if p.global_default), None)
        scope = self.options.scope
        # serving workloads with the same neighbourhood and the same placement behave alike:
        # judge each batch job once per group, not once per serving workload
        order = {id(s): i for i, s in enumerate(serving)}
        groups: dict[tuple[object, ...], list[Workload]] = {}
        for s in serving:
            groups.setdefault((_near_key(s.span.path, scope), _signature(s)), []).append(s)
        # only objects with an `aiinfralint/ignore` annotation can change a finding's fate
        annotated = {key: [s for s in members if s.ignore] for key, members in groups.items()}
        for b in batch:
            if _queued(b):
                continue
            bkey = _near_key(b.span.path, scope)
            matched: list[tuple[list[Workload], str]] = []
            related: list[Workload] = []
            for gkey, members in groups.items():
                key = gkey[0]
                rep = members[0]
                if scope == "tree":
                    if not _near(b.span.path, rep.span.path, scope):
                        continue
                elif key != bkey:
                    continue
                pool = _shared_pool(b, rep, classes, default_pc)
                if pool is not None:
                    matched.append((members, pool))
                    related.extend(annotated[gkey])
            if not matched:
                continue
            if len(matched) == 1:  # a group is already in serving order
                hits, pool = matched[0]
            else:
                pairs = sorted(((s, p) for ms, p in matched for s in ms), key=lambda h: order[id(h[0])])
                hits, pool = [s for s, _ in pairs], pairs[0][1]
            yield self._report(b, hits, pool, related, ctx)

    def _report(
        self, b: Workload, hits: list[Workload], pool: str, related: list[Workload], ctx: RuleContext
    ) -> Finding:
        """`hits`: the serving workloads that can share nodes with `b`; `pool`: how the first does;
        `related`: those of them whose annotations may suppress the finding."""
        names = [f"{s.display_name} ({s.span.path})" for s in hits[:3]]
        if len(hits) > 3:
            names.append(f"{len(hits) - 3} more")
        message = (
            f"{b.display_name} ({gpu_summary(b)}) can land on the same GPU nodes as {', '.join(names)}: {pool}, "
            f"and no node pool, taint, PriorityClass ordering or queue separates them."
        )
        # the hours the batch job holds GPUs inside the realtime peak window
        default_run = self.options.default_run_hours
        deadline = b.active_deadline_seconds
        run_hours = deadline / 3600 if deadline else default_run
        run_note = (
            f"each run lasts at most activeDeadlineSeconds {deadline} = {fmt_hours(run_hours)}"
            if deadline
            else f"no activeDeadlineSeconds: each run assumed to last {fmt_hours(run_hours)} (option default-run-hours)"
        )
        sched = schedule_of(b)
        tz, tz_note = job_zone(b)
        window, window_note = peak_window(ctx, getattr(tz, "key", "UTC"))
        notes = [window_note, run_note]
        if sched is not None:
            ov = scheduled_overlap(sched, tz, run_hours, window)
            hours_in = ov.hours_in_window
            notes[:0] = [f"schedule `{b.schedule}`: {ov.runs_per_month} runs in a 30-day month", tz_note]
        else:
            share = window.hours() / 24
            hours_in = run_hours * share
            notes.append(f"not scheduled: one run a month at an unknown time, {share:.0%} of it inside the window")
        if hours_in > 0:
            notes.append(f"{hours_in:.1f} h/month inside the window × the job's GPUs")
        else:
            runs = ov.runs_per_month if sched is not None else 1
            hours_in = runs * run_hours
            notes.append(
                f"no run reaches into the window, so the figure is every GPU-hour the job holds on the shared pool: "
                f"{runs} runs × {fmt_hours(run_hours)} = {hours_in:.1f} h/month × the job's GPUs"
            )
        hw = hardware(*b.gpu_pods, *hits[0].gpu_pods)
        impact = gpu_impact(ctx, hw, b.gpu_count, hours_in, extra=tuple(notes))
        return self.finding(
            b,
            message,
            remediation=(
                "Separate the two: run batch work on its own node pool (a different "
                "`cloud.google.com/gke-nodepool`, `karpenter.sh/nodepool` or node group), taint the serving pool and "
                "let only serving pods tolerate it, give the serving pods a PriorityClass with a higher value than the "
                "batch one, or admit the batch job through a Kueue queue (`kueue.x-k8s.io/queue-name`)."
            ),
            impact=impact,
            span=b.span_of("gpu", "kind"),
            key=f"{b.namespace}/{b.name}",
            related=related,
        )


# directories whose manifests are independent examples: pair only within one file there
EXAMPLE_DIRS = frozenset(
    {"samples", "sample", "examples", "example", "docs", "doc", "tutorials", "demo", "demos", "quickstart"}
)


def _near(a: str, b: str, scope: str) -> bool:
    if scope == "project":
        return True
    pa, pb = PurePosixPath(a), PurePosixPath(b)
    if any(part.lower() in EXAMPLE_DIRS for part in (*pa.parent.parts, *pb.parent.parts)):
        return a == b
    da, db = pa.parent, pb.parent
    if scope == "tree":
        return da == db or da.parent == db or db.parent == da or da.parent == db.parent
    return da == db


@lru_cache(maxsize=65536)  # asked for every document of a file
def _near_key(path: str, scope: str) -> tuple[str, str]:
    """Two paths are near (scope "directory") exactly when their keys are equal."""
    if scope == "project":
        return ("project", "")
    pp = PurePosixPath(path)
    if any(part.lower() in EXAMPLE_DIRS for part in pp.parent.parts):
        return ("file", path)
    return ("dir", str(pp.parent))


def _placement(p: PodTemplate) -> tuple[object, ...]:
    c = constraints(p)
    return (
        tuple(sorted(p.gpus)),
        provider_of(p),
        tuple(sorted((k, tuple(sorted(v))) for k, v in c.items())),
        tuple(sorted((t.key, t.operator, t.value, t.effect) for t in p.tolerations)),
        p.priority_class,
    )


def _signature(w: Workload) -> tuple[object, ...]:
    """Everything `_shared_pool` reads of a serving workload."""
    return tuple(_placement(p) for p in w.gpu_pods)


def _queued(w: Workload) -> bool:
    if w.queue_name:
        return True
    if "volcano.sh" in w.api_version:
        return True
    return any(p.scheduler_name and "volcano" in p.scheduler_name for p in w.pods)


def _shared_pool(
    b: Workload, s: Workload, classes: dict[str, PriorityClass], default_pc: PriorityClass | None
) -> str | None:
    """The pool both can use, described; None when something separates every GPU pod pair."""
    shared: str | None = None
    for bp in b.gpu_pods:
        for sp in s.gpu_pods:
            if _separated(bp, sp, classes, default_pc):
                continue
            shared = shared or _describe(bp, sp)
    return shared


def _separated(
    bp: PodTemplate, sp: PodTemplate, classes: dict[str, PriorityClass], default_pc: PriorityClass | None
) -> bool:
    if not set(bp.gpus) & set(sp.gpus):
        return True
    pb, ps = provider_of(bp), provider_of(sp)
    if pb and ps and pb != ps:
        return True
    cb, cs = constraints(bp), constraints(sp)
    for key in cb.keys() & cs.keys():
        if not cb[key] & cs[key]:
            return True
    if _dedicated_taint(bp, sp) or _dedicated_taint(sp, bp):
        return True
    return _priority_ordered(bp, sp, classes, default_pc)


def _generic(key: str) -> bool:
    return key in GENERIC_TAINT_KEYS or key.startswith(GENERIC_TAINT_PREFIXES)


def _dedicated_taint(a: PodTemplate, other: PodTemplate) -> bool:
    """`a` tolerates a non-generic taint that `other` does not tolerate."""
    if any(t.operator == "Exists" and not t.key for t in other.tolerations):
        return False
    for t in a.tolerations:
        if not t.key or _generic(t.key):
            continue
        tolerated = any(
            o.key == t.key and (o.operator == "Exists" or t.operator == "Exists" or o.value == t.value)
            for o in other.tolerations
        )
        if not tolerated:
            return True
    return False


def _priority_ordered(
    bp: PodTemplate, sp: PodTemplate, classes: dict[str, PriorityClass], default_pc: PriorityClass | None
) -> bool:
    bn, sn = bp.priority_class, sp.priority_class
    if bn == sn:
        return False
    if sn is None and default_pc is not None:
        sn = default_pc.name
    if bn is None and default_pc is not None:
        bn = default_pc.name
    if bn == sn:
        return False
    bc = classes.get(bn) if bn else None
    sc = classes.get(sn) if sn else None
    if (bn and bc is None) or (sn and sc is None):
        # a class named but not defined here: differing classes where serving has one count as ordered
        return sn is not None
    bv = bc.value if bc else 0
    sv = sc.value if sc else 0
    return sv > bv


def _describe(bp: PodTemplate, sp: PodTemplate) -> str:
    cb, cs = constraints(bp), constraints(sp)
    common = sorted(k for k in cb.keys() & cs.keys() if cb[k] & cs[k])
    if common:
        return "shared pool " + ", ".join(f"{k}={','.join(sorted(cb[k] & cs[k]))}" for k in common)
    resource = sorted(set(bp.gpus) & set(sp.gpus))[0]
    if cs:
        k = sorted(cs)[0]
        return f"serving pool {k}={','.join(sorted(cs[k]))}, which the batch job's node selection does not exclude"
    if cb:
        k = sorted(cb)[0]
        return f"batch pool {k}={','.join(sorted(cb[k]))}, which the serving pods' node selection does not exclude"
    return f"any node with {resource}"
