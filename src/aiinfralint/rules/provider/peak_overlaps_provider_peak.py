from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from aiinfralint.analysis.provider import HOSTED_PROVIDERS, fmt_hours, overlap_minutes
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import AIFeature, provider_of
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced
from aiinfralint.timeutil import parse_window

DEFAULT_PROVIDER_PEAK = "08:00-14:00 America/New_York"
# Reported peak/off-peak difference on US-hosted model APIs: 30-40 % (domain facts 6.4)
PEAK_SLOWDOWN = 0.35
REFERENCE_DAY = datetime(2026, 3, 18)  # a Wednesday, after the US switch to daylight-saving time

_BAD = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: checkout-assistant
spec:
  model: gpt-4.1-2025-04-14
  provider: openai
  traffic:
    requestsPerDay: 120000
    timeZone: Europe/London
    peakWindows: ["12:00-18:00"]   # the US East Coast morning
  slo: {p99Ms: 2500}
  streaming: true
"""

_GOOD = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: checkout-assistant
spec:
  model: gpt-4.1-2025-04-14
  provider: openai
  fallbackModels: [gemini-2.0-flash-001]
  traffic:
    requestsPerDay: 120000
    timeZone: Europe/London
    peakWindows: ["12:00-18:00"]
  slo: {p99Ms: 2500, providerTimeoutMs: 1800}
  streaming: true
"""


def _provider_of(spec: Any) -> str | None:
    if spec.provider:
        return str(spec.provider).lower()
    return provider_of(spec.model)


class PeakOverlapsProviderPeak(Rule):
    """A latency-critical feature peaks while the shared model provider is at its own peak.

    ## What it does
    Reports an `AIFeature` with a latency objective (`slo.p99Ms`, or
    `slo.latencyCritical: true`) on a hosted model API whose traffic peak windows overlap the
    provider's busy hours (by default weekdays 08:00-14:00 America/New_York; set
    `peak-windows = { provider = "..." }` in the configuration), when the feature has no
    fallback model and no deadline on the model call (`slo.providerTimeoutMs`).

    ## Why is this bad?
    Shared model APIs are slowest when their largest customers are busy. Third-party
    monitoring of US-hosted APIs reports the same workload running 30-40% faster off-peak,
    and p99 time-to-first-token spikes of 2-21× the median. A feature whose own peak falls
    in those hours meets its worst provider latency exactly when most users are waiting,
    and without a deadline or fallback there is nothing to do about it.

    ## How the estimate is computed
    Overlap minutes are counted on a reference weekday (Wednesday 2026-03-18) in the
    feature's time zone. The added latency is the p99 objective × 35% (midpoint of the
    reported 30-40% peak/off-peak difference), an order of magnitude rather than a
    measurement; the assumptions say so.

    ## How to fix
    Put a deadline on the model call that leaves room inside the SLO
    (`slo.providerTimeoutMs`) and a fallback model or region to switch to when it expires;
    consider provisioned throughput or a priority tier for the peak, or a provider region
    whose peak is elsewhere.

    ## Options
    Configure the provider peak with `peak-windows = { provider = "08:00-14:00 America/New_York" }`.

    ## References
    - Diurnal provider latency (secondary source): https://tianpan.co/blog/2026-05-09-diurnal-latency-ai-feature-slowest-9am-et
    - P99/P50 spike factors by model: https://modelstats.ai/blog/llm-api-latency-spikes-what-average-ttft-doesnt-tell-you
    """

    code: ClassVar[str] = "AIL305"
    slug: ClassVar[str] = "peak-overlaps-provider-peak"
    severity: ClassVar[Severity] = Severity.INFO
    targets = (AIFeature,)
    inputs: ClassVar[str] = "AIFeature traffic peaks, SLO, provider and fallbacks"
    summary: ClassVar[str] = "A latency-critical feature peaks while the shared model provider is at its own peak"
    examples = (
        Example(
            "features/checkout-assistant.yaml", _BAD, expect=("AIL305",), title="London afternoon peak meets US morning"
        ),
        Example("features/checkout-assistant.yaml", _GOOD, title="deadline on the model call and a fallback"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd",
            "no $ figure: this failure costs refused or slow requests (429s, exhausted quota, latency), not extra spend",
        ),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes when requests fail, not the energy they use"),
    )

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        f: AIFeature = obj
        spec = f.spec
        if not spec.slo.is_latency_critical or not spec.traffic.peak_windows:
            return
        if spec.fallback_models or spec.slo.provider_timeout_ms:
            return
        provider = _provider_of(spec)
        if provider is None or provider not in HOSTED_PROVIDERS:
            return
        configured = ctx.config.peak_windows.get("provider")
        try:
            provider_peak = parse_window(configured or DEFAULT_PROVIDER_PEAK, "America/New_York")
        except ValueError:
            provider_peak = parse_window(DEFAULT_PROVIDER_PEAK)
            configured = None
        windows = spec.traffic.windows()
        total = 0
        hit = None
        for i, w in enumerate(windows):
            m = overlap_minutes(w, provider_peak, REFERENCE_DAY, weekdays_only_b=True)
            if m and hit is None:
                hit = (i, w)
            total += m
        if hit is None:
            return
        i, w = hit
        p99 = spec.slo.p99_ms
        added = p99 * PEAK_SLOWDOWN if p99 else None
        assumptions = [
            f"provider peak {provider_peak} on weekdays "
            + (
                "(configuration peak-windows.provider)"
                if configured
                else "(default; reported for US-hosted model APIs)"
            ),
            f"{fmt_hours(total)} of the feature's peak ({', '.join(str(x) for x in windows)}) overlap it on a reference "
            f"weekday ({REFERENCE_DAY:%Y-%m-%d})",
        ]
        if added is not None:
            assumptions.append(
                f"p99 {p99} ms × {PEAK_SLOWDOWN:.0%} (midpoint of the 30-40% peak/off-peak difference reported by "
                "third-party monitoring, low confidence) ≈ {:.0f} ms more at peak".format(added)
            )
        if spec.traffic.requests_per_day:
            assumptions.append(f"{spec.traffic.requests_per_day:,} requests/day")
        yield self.finding(
            f,
            f"{f.display_name} on {provider} peaks {w}, overlapping the provider peak {provider_peak} by "
            f"{fmt_hours(total)}, with a p99 objective{f' of {p99} ms' if p99 else ''} and no fallback model or model-call "
            "deadline.",
            remediation=(
                "Set `slo.providerTimeoutMs` to a deadline that leaves room inside the SLO and list `fallbackModels` "
                "(another provider or region) to use when it expires; consider provisioned throughput or a priority tier "
                "for the overlapping hours."
            ),
            impact=Impact(latency_ms=added, assumptions=tuple(assumptions)),
            span=f.span_of(f"traffic.peakWindows[{i}]", "traffic", "slo"),
            key=str(i),
        )
