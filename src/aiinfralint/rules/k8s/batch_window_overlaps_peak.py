from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from aiinfralint.analysis.schedule import (
    DEFAULT_RUN_HOURS,
    PeakOverlap,
    fmt_hours,
    job_zone,
    peak_window,
    schedule_of,
    scheduled_overlap,
)
from aiinfralint.analysis.workloads import gpu_impact, gpu_summary, hardware
from aiinfralint.model.finding import Finding, Severity
from aiinfralint.model.k8s import Workload
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions
from aiinfralint.timeutil import Window, zone

_BAD = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-finetune
  namespace: ml
spec:
  schedule: "0 2 * * *"   # no timeZone, no activeDeadlineSeconds
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          nodeSelector:
            cloud.google.com/gke-accelerator: nvidia-tesla-a100
          containers:
          - name: train
            image: ghcr.io/acme/finetune:1.4
            resources:
              limits:
                nvidia.com/gpu: 8
"""

_GOOD = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-finetune
  namespace: ml
spec:
  schedule: "0 1 * * *"
  timeZone: Europe/Berlin
  jobTemplate:
    spec:
      activeDeadlineSeconds: 10800   # 01:00 + 3 h ends before 08:00
      template:
        spec:
          restartPolicy: Never
          nodeSelector:
            cloud.google.com/gke-accelerator: nvidia-tesla-a100
          containers:
          - name: train
            image: ghcr.io/acme/finetune:1.4
            resources:
              limits:
                nvidia.com/gpu: 8
"""


class BatchGpuWindowOverlapsPeak(Rule):
    """A scheduled GPU batch job can run into the realtime peak window.

    ## What it does
    Looks at every GPU `CronJob` (Kubernetes or Volcano) and Argo `CronWorkflow` and works
    out when its runs start (the cron schedule in `spec.timeZone` / `spec.timezone`, or UTC
    when the zone is not set, since the controller's own zone then applies) and how long
    they may last (`activeDeadlineSeconds` on the job template or workflow spec).
    It reports the job when a run can reach into the realtime peak window: either there is
    no deadline at all, so a slow run is unbounded, or start plus deadline overlaps the
    window. A job that ends before the window (01:00 start, 3 h deadline, window
    08:00-20:00) is silent.

    ## Why is this bad?
    A nightly fine-tune or embedding backfill that overruns keeps its GPUs while the
    daytime traffic arrives. Serving replicas cannot scale up onto those nodes, the
    cluster autoscaler buys more GPUs at on-demand prices, or latency degrades. Without a
    deadline nothing stops a stuck run from holding eight GPUs all day.

    ## How the estimate is computed
    Runs are enumerated over a 30-day reference month in the job's zone. Each run lasts
    `activeDeadlineSeconds`, or, without a deadline, the stated default run length
    (option `default-run-hours`, 4 h). The hours of each run that fall inside the peak
    window are summed; GPU-hours = those hours × the job's GPUs. When an unbounded job's
    assumed run would still end before the window, the estimate prices one hour of
    overrun per run instead, and says so. Dollars, energy and carbon come from the shared
    GPU estimator with the GPU model named by the node selectors (GKE accelerator,
    `nvidia.com/gpu.product`, Karpenter GPU name, instance type); an unknown GPU leaves
    the figure unpriced with the reason.

    ## How to fix
    Set `activeDeadlineSeconds` on the job template so every run ends before the window
    opens, move the schedule earlier, and set `spec.timeZone` so the schedule follows the
    clock of the traffic rather than of the control plane. Configure the window with
    `peak-windows = { realtime = "08:00-20:00 Europe/Berlin" }` under `[tool.aiinfralint]`.

    ## References
    - Job `activeDeadlineSeconds`: https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
    - CronJob time zones (GA in 1.27): https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
    """

    code: ClassVar[str] = "AIL202"
    slug: ClassVar[str] = "batch-gpu-window-overlaps-peak"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (Workload,)
    inputs: ClassVar[str] = "Kubernetes CronJobs and Argo CronWorkflows requesting GPUs"
    summary: ClassVar[str] = "A scheduled GPU batch job can run into the realtime peak window"
    examples = (
        Example("k8s/nightly-finetune.yaml", _BAD, expect=("AIL202",), title="nightly job with no deadline"),
        Example("k8s/nightly-finetune.yaml", _GOOD, title="deadline ends the run before the window"),
    )

    class Options(RuleOptions):
        default_run_hours: float = Field(
            DEFAULT_RUN_HOURS,
            gt=0,
            le=24 * 366,
            allow_inf_nan=False,
            description="run length assumed when a job sets no activeDeadlineSeconds",
        )

    options: Options

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        w: Workload = obj
        if w.kind not in ("CronJob", "CronWorkflow") or not w.uses_gpu or w.suspend:
            return
        sched = schedule_of(w)
        if sched is None:
            return
        tz, tz_note = job_zone(w)
        if sched.tz:  # CRON_TZ= prefix in the schedule wins
            tz, tz_note = zone(sched.tz), f"schedule in {sched.tz} (CRON_TZ prefix)"
        window, window_note = peak_window(ctx, getattr(tz, "key", "UTC"))
        deadline = w.active_deadline_seconds
        default_run = self.options.default_run_hours
        run_hours = deadline / 3600 if deadline else default_run
        ov = scheduled_overlap(sched, tz, run_hours, window)
        if ov.runs_per_month == 0:
            return
        if deadline and ov.hours_in_window <= 0:
            return
        start_txt = f"`{w.schedule}` ({getattr(tz, 'key', 'UTC')})"
        assumptions = [f"schedule {start_txt}: {ov.runs_per_month} runs in a 30-day month", tz_note, window_note]
        message, span, hours_in = _describe(w, ov, start_txt, window, run_hours, assumptions)
        assumptions.append(f"{hours_in:.1f} h/month inside the window × the job's GPUs")
        hw = hardware(*w.gpu_pods)
        impact = gpu_impact(ctx, hw, w.gpu_count, hours_in, extra=tuple(assumptions))
        yield self.finding(
            w,
            message,
            remediation=(
                "Set `activeDeadlineSeconds` on the job template so every run ends before the peak window opens, "
                "or move the schedule earlier. Set `spec.timeZone` so the schedule follows the traffic's clock, "
                "not the control plane's."
            ),
            impact=impact,
            span=span,
            key=f"{w.namespace}/{w.name}",
        )


def _describe(
    w: Workload, ov: PeakOverlap, start_txt: str, window: Window, run_hours: float, assumptions: list[str]
) -> tuple[str, Any, float]:
    """(message, span, GPU hours a month inside the window) for a job with or without a deadline."""
    deadline = w.active_deadline_seconds
    gpus = gpu_summary(w)
    hours_in = float(ov.hours_in_window)
    if deadline:
        assumptions.append(f"each run lasts at most activeDeadlineSeconds {deadline} = {fmt_hours(run_hours)}")
        per_run = hours_in / ov.runs_per_month
        first = ov.first_overlap
        when = f" (e.g. the run starting {first:%a %H:%M})" if first else ""
        message = (
            f"{w.display_name} ({gpus}) starts on schedule {start_txt} and may run {fmt_hours(run_hours)} "
            f"(activeDeadlineSeconds {deadline}), reaching into the peak window {window}{when} for about "
            f"{fmt_hours(per_run)} per run."
        )
        return message, w.span_of("activeDeadlineSeconds", "schedule"), hours_in
    if hours_in > 0:
        assumptions.append(
            f"no activeDeadlineSeconds: each run assumed to last {fmt_hours(run_hours)} (option default-run-hours)"
        )
    else:
        hours_in = float(ov.runs_per_month)
        assumptions.append(
            f"no activeDeadlineSeconds: a {fmt_hours(run_hours)} run (option default-run-hours) would end before the "
            f"window, so the estimate prices one hour of overrun into the window per run"
        )
    message = (
        f"{w.display_name} ({gpus}) starts on schedule {start_txt} with no activeDeadlineSeconds, so a slow or stuck "
        f"run can hold its GPUs into the peak window {window}."
    )
    return message, w.span_of("schedule"), hours_in
