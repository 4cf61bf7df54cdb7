"""Batch runs against the realtime peak window: how many GPU-hours land inside it.

Runs are enumerated over a fixed reference month (30 days from Monday 2026-01-05,
in the job's zone) so results are deterministic and every weekday is covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from aiinfralint.cron import CronSchedule, parse_cron
from aiinfralint.model.k8s import Workload
from aiinfralint.timeutil import Window, parse_window, zone

if TYPE_CHECKING:
    from aiinfralint.analysis.context import Context

DEFAULT_PEAK = "08:00-20:00"
DEFAULT_RUN_HOURS = 4.0
REFERENCE_START = (2026, 1, 5)
REFERENCE_DAYS = 30
# beyond this many runs a month the job is effectively always on
MAX_RUNS = 3000


def peak_window(ctx: Context, tz_name: str | None) -> tuple[Window, str]:
    """The realtime peak window and where it came from (config or the stated default)."""
    text = ctx.config.peak_windows.get("realtime")
    zone_name = tz_name or "UTC"
    if text:
        try:
            w = parse_window(text, default_tz=zone_name)
            return w, f"peak window {w} from [tool.aiinfralint] peak-windows.realtime"
        except ValueError:
            pass
    w = parse_window(DEFAULT_PEAK, default_tz=zone_name)
    return w, f"peak window {w} (default; set [tool.aiinfralint] peak-windows.realtime)"


def job_zone(w: Workload) -> tuple[tzinfo, str]:
    """The CronJob's zone, or UTC with the reason."""
    if w.time_zone:
        try:
            return zone(w.time_zone), f"schedule in {w.time_zone} (spec.timeZone)"
        except ValueError:
            return zone("UTC"), f"spec.timeZone {w.time_zone!r} is unknown; UTC assumed"
    return zone("UTC"), "no spec.timeZone: the controller's zone applies, assumed UTC"


def schedule_of(w: Workload) -> CronSchedule | None:
    if not w.schedule:
        return None
    try:
        return parse_cron(w.schedule)
    except ValueError:
        return None


def _overlap_hours(begin: datetime, end: datetime, window: Window) -> float:
    """Exact hours of [begin, end) inside the daily window."""
    tz = window.tz
    b, e = begin.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = b.date() - timedelta(days=1)
    while day <= e.date():
        ws = datetime.combine(day, window.start, tzinfo=tz)
        we = datetime.combine(day, window.end, tzinfo=tz)
        if we <= ws:
            we += timedelta(days=1)
        lo, hi = max(ws, b), min(we, e)
        if hi > lo:
            total += (hi - lo).total_seconds() / 3600
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class PeakOverlap:
    runs_per_month: int
    run_hours: float
    hours_in_window: float  # per month, summed over runs (wall-clock hours, not GPU-hours)
    first_overlap: datetime | None  # a run that reaches into the window
    notes: tuple[str, ...]


# many CronJobs share a schedule and zone (a fleet of nightly jobs at 02:00): enumerate each
# distinct one once; arguments and result are immutable, so sharing the result is safe
@lru_cache(maxsize=4096)
def scheduled_overlap(sched: CronSchedule, tz: tzinfo, run_hours: float, window: Window) -> PeakOverlap:
    start = datetime(*REFERENCE_START, tzinfo=tz)
    end = start + timedelta(days=REFERENCE_DAYS)
    runs = []
    for r in sched.runs_between(start, end, tz):
        runs.append(r)
        if len(runs) > MAX_RUNS:
            break
    if len(runs) > MAX_RUNS:
        hours = window.hours() * REFERENCE_DAYS
        return PeakOverlap(
            len(runs), run_hours, hours, start, ("runs more than 100 times a day: treated as always on",)
        )
    total = 0.0
    first = None
    for r in runs:
        h = _overlap_hours(r, r + timedelta(hours=run_hours), window)
        if h > 0 and first is None:
            first = r
        total += h
    return PeakOverlap(len(runs), run_hours, total, first, ())


def fmt_hours(h: float) -> str:
    if abs(h - round(h)) < 1e-6:
        return f"{int(round(h))} h"
    if h < 1:
        return f"{round(h * 60)} min"
    return f"{h:.1f} h"
