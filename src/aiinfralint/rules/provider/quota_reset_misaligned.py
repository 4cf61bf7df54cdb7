from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field

from aiinfralint.analysis.provider import fmt_hours
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import QuotaContract, QuotaContractSpec
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions, Unpriced
from aiinfralint.timeutil import Window, zone

DEFAULT_HOURS_BEFORE = 3.0
# A reference day for converting clock times between zones (a Wednesday in winter; the
# assumptions say so, since daylight-saving time moves the answer by an hour).
REFERENCE_MONTH = (2026, 1)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_BAD = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: openai-prod
spec:
  provider: openai
  models: [gpt-4o-2024-08-06]
  budget:
    amount: 40000
    unit: usd
    period: monthly
    reset: {at: "00:00", timeZone: UTC, dayOfMonth: 1}
  segments:
    - name: japan
      timeZone: Asia/Tokyo
      share: 0.35
      peakWindows: ["06:30-09:00"]   # ends at 09:00 JST = 00:00 UTC, the reset
    - name: europe
      timeZone: Europe/Berlin
      share: 0.65
      peakWindows: ["09:00-17:00"]
  alerts:
    - {type: burn-rate, threshold: 2, window: 1h, channels: ["slack:#llm-ops"]}
"""

_GOOD = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: openai-prod
spec:
  provider: openai
  models: [gpt-4o-2024-08-06]
  budget:
    amount: 40000
    unit: usd
    period: monthly
    reset: {at: "05:00", timeZone: Asia/Tokyo, dayOfMonth: 1}   # the trough of both segments
  segments:
    - name: japan
      timeZone: Asia/Tokyo
      share: 0.35
      peakWindows: ["06:30-09:00"]
    - name: europe
      timeZone: Europe/Berlin
      share: 0.65
      peakWindows: ["09:00-17:00"]
  alerts:
    - {type: burn-rate, threshold: 2, window: 1h, channels: ["slack:#llm-ops"]}
"""


def reset_instant(spec: QuotaContractSpec) -> datetime:
    """The reset moment in the reference month, in the reset's own zone."""
    r = spec.budget.reset
    tz = zone(r.time_zone)
    hh, mm = (int(x) for x in r.at.split(":"))
    year, month = REFERENCE_MONTH
    day = 14  # a mid-month weekday for daily resets
    if spec.budget.period == "monthly":
        day = min(r.day_of_month or 1, 28)
    elif spec.budget.period == "weekly":
        target = _WEEKDAYS.index(r.day_of_week or "monday")
        base = datetime(year, month, 12)  # a Monday
        day = (base + timedelta(days=target)).day
    return datetime(year, month, day, hh, mm, tzinfo=tz)


def gap_before(window: Window, moment: datetime) -> int | None:
    """Minutes from the end of the window to `moment` (0 when it ends right there);
    -1 when the window contains the moment; None when it does not end in the day before."""
    if window.contains(moment):
        return -1
    local = moment.astimezone(window.tz)
    m = local.hour * 60 + local.minute
    e = window.end.hour * 60 + window.end.minute
    return (m - e) % 1440


def _flagged(spec: QuotaContractSpec, moment: datetime, limit_min: float) -> list[tuple[int, int, Window, int]]:
    out = []
    for si, seg in enumerate(spec.segments):
        for wi, w in enumerate(seg.windows()):
            gap = gap_before(w, moment)
            if gap is not None and gap <= limit_min:
                out.append((si, wi, w, gap))
    return out


def better_reset(spec: QuotaContractSpec, limit_min: float, current: datetime) -> datetime | None:
    """The half-hour in the reset's zone that leaves the least traffic share at the exhausted end."""
    best: tuple[float, int, datetime] | None = None
    start = current.replace(hour=0, minute=0)
    for step in range(48):
        cand = start + timedelta(minutes=30 * step)
        flagged = _flagged(spec, cand, limit_min)
        score = sum({si: spec.segments[si].share for si, _, _, _ in flagged}.values())
        dist = min(step, 48 - step)
        key = (score, dist, cand)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None or best[0] >= sum(
        {si: spec.segments[si].share for si, _, _, _ in _flagged(spec, current, limit_min)}.values()
    ):
        return None
    return best[2]


class QuotaResetMisaligned(Rule):
    """A quota resets at an instant that falls at the end of a traffic segment's peak.

    ## What it does
    Reads each `QuotaContract` with a daily, weekly or monthly budget and converts the reset
    instant (`spec.budget.reset.at` in `spec.budget.reset.timeZone`, on `dayOfMonth` /
    `dayOfWeek`) into the local clock of every traffic segment. It reports a segment whose
    peak window contains the reset, or ends within a few hours before it (option
    `hours-before-reset`, default 3): that segment's busiest hours are the last hours of the
    cycle, when the budget is most likely spent.

    ## Why is this bad?
    A fixed reset such as 00:00 UTC (the default for provider spend limits and LiteLLM
    budgets) is a business decision nobody made: it is 09:00 in Tokyo and 16:00 in
    California. If the budget runs out late in the cycle, it runs out during the peak of the
    segment whose day ends at the reset, every cycle, while other segments never notice.
    The exhausted end of the cycle always lands on the same customers.

    ## How the estimate is computed
    The impact states the segment's share of the traffic (`share`), the peak window, the
    local time of the reset and how long before the reset the peak ends. Clock times are
    converted on a reference day in January 2026 (winter time; daylight-saving time can
    move the result by one hour). No dollar figure: what the exhausted end costs depends on
    `onExhaustion` (failed requests, fallback model), which the finding names. The
    remediation suggests the half-hour in the reset's zone that leaves the least traffic
    share at the end of the cycle.

    ## How to fix
    Move the reset (where the provider or gateway lets you: LiteLLM `budget_reset_time` and
    `timezone`, per-team budgets) to the trough of the combined traffic, or split the budget
    per segment so each resets on its own clock. Where the reset is fixed by the provider
    (Anthropic spend limits reset 00:00 UTC on the 1st), throttle before the end of the cycle
    and keep a fallback for the affected segment.

    ## References
    - LiteLLM budget reset time and time zone: https://docs.litellm.ai/docs/proxy/users
    - Anthropic spend limit resets on the 1st at 00:00 UTC: https://docs.anthropic.com/en/api/rate-limits
    - OpenAI monthly spend limits: https://developers.openai.com/api/docs/guides/spend-limits
    """

    code: ClassVar[str] = "AIL301"
    slug: ClassVar[str] = "quota-reset-misaligned"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (QuotaContract,)
    inputs: ClassVar[str] = "QuotaContract budgets, reset instants and traffic segments"
    summary: ClassVar[str] = "A quota resets at an instant that falls at the end of a traffic segment's peak"
    examples = (
        Example(
            "quotas/openai-prod.yaml",
            _BAD,
            expect=("AIL301",),
            title="reset at 00:00 UTC, Tokyo morning peak ends at it",
        ),
        Example("quotas/openai-prod.yaml", _GOOD, title="reset moved to the trough"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd",
            "no $ figure: this failure costs refused or slow requests (429s, exhausted quota, latency), not extra spend",
        ),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes when requests fail, not the energy they use"),
    )

    class Options(RuleOptions):
        hours_before_reset: float = Field(
            DEFAULT_HOURS_BEFORE,
            ge=0,
            le=24 * 366,
            allow_inf_nan=False,
            description="a peak that ends this close before the reset counts as the exhausted end",
        )

    options: Options

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        c: QuotaContract = obj
        spec = c.spec
        if spec.budget.period == "hourly" or not spec.segments:
            return
        limit_min = self.options.hours_before_reset * 60
        moment = reset_instant(spec)
        r = spec.budget.reset
        period = spec.budget.period
        when = {
            "monthly": f"on day {r.day_of_month or 1} ",
            "weekly": f"on {(r.day_of_week or 'monday').title()} ",
        }.get(period, "")
        suggestion = better_reset(spec, limit_min, moment)
        for si, wi, w, gap in _flagged(spec, moment, limit_min):
            seg = spec.segments[si]
            local = moment.astimezone(w.tz)
            reset_txt = f"{r.at} {r.time_zone}"
            local_txt = f"{local:%H:%M} {seg.time_zone}"
            if gap < 0:
                relation = "contains the reset"
                detail = f"the reset at {local_txt} falls inside the peak"
            else:
                relation = "ends at the reset" if gap == 0 else f"ends {fmt_hours(gap)} before the reset"
                detail = f"the peak {relation} ({local_txt})"
            message = (
                f"Segment {seg.name} ({seg.share:.0%} of traffic) peaks {w} and its peak {relation} of the "
                f"{period} {spec.budget.unit} budget {when}at {reset_txt} ({local_txt}), so it always gets the exhausted "
                f"end of the cycle."
            )
            action = spec.on_exhaustion.action
            assumptions = [
                f"segment {seg.name} carries {seg.share:.0%} of the contract's traffic (spec.segments[{si}].share)",
                f"{period} reset {when}at {reset_txt} = {local_txt}; {detail}",
                f"times converted on a reference day in {REFERENCE_MONTH[0]}-{REFERENCE_MONTH[1]:02d} (winter time; "
                "daylight-saving time can move this by 1 h)",
                f"a peak ending within {fmt_hours(limit_min)} before the reset counts as the exhausted end (option hours-before-reset)",
                f"on exhaustion the contract says `{action}`"
                + (f" to {spec.on_exhaustion.fallback_model}" if spec.on_exhaustion.fallback_model else ""),
            ]
            fix = ""
            if suggestion is not None:
                sl = suggestion.astimezone(w.tz)
                fix = (
                    f" A reset at {suggestion:%H:%M} {r.time_zone} ({sl:%H:%M} {seg.time_zone}) leaves the least "
                    "traffic at the end of the cycle."
                )
            yield self.finding(
                c,
                message,
                remediation=(
                    "Move the reset to the trough of the combined traffic, or give this segment its own budget that "
                    "resets on its own clock. Where the provider fixes the reset, throttle before the end of the cycle "
                    "and configure a fallback for this segment." + fix
                ),
                impact=Impact(assumptions=tuple(assumptions)),
                span=c.span_of(f"segments[{si}].peakWindows[{wi}]", f"segments[{si}]", "budget.reset", "budget"),
                key=f"{seg.name}/{wi}",
            )
