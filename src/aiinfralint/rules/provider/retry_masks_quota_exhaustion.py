from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from aiinfralint.analysis.provider import is_hosted
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import (
    QUOTA_CODES,
    CodeRetry,
    LiteLLMConfig,
    QuotaContract,
    duration_seconds,
    provider_of,
)
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

RATE_LIMIT_MARKERS = frozenset(
    {
        "429",
        "rate_limit",
        "rate_limit_error",
        "rate_limit_exceeded",
        "ratelimiterror",
        "throttlingexception",
        "too_many_requests",
    }
)

_BAD = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: openai-prod
spec:
  provider: openai
  models: [gpt-4.1-2025-04-14]
  budget: {amount: 30000, unit: usd, period: monthly}
  alerts:
    - {type: burn-rate, threshold: 2, window: 6h, channels: ["slack:#llm-ops"]}
  retry:
    retryOn: [429, 500, 503]
    maxAttempts: 6
    backoff: {initial: 2s, max: 60s, multiplier: 2}
"""

_GOOD = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: openai-prod
spec:
  provider: openai
  models: [gpt-4.1-2025-04-14]
  budget: {amount: 30000, unit: usd, period: monthly}
  alerts:
    - {type: burn-rate, threshold: 2, window: 6h, channels: ["slack:#llm-ops"]}
  retry:
    retryOn: [429, 500, 503]
    doNotRetryOn: [insufficient_quota, project_spend_limit_exceeded]
    maxAttempts: 4
    backoff: {initial: 1s, max: 20s, multiplier: 2, honorRetryAfter: true}
  onExhaustion: {action: fallback, fallbackModel: gemini-2.0-flash-001}
"""

_BAD_LITELLM = """\
model_list:
  - model_name: chat
    litellm_params:
      model: anthropic/claude-sonnet-4-5-20250929
      api_key: os.environ/ANTHROPIC_API_KEY
router_settings:
  num_retries: 4
"""

_GOOD_LITELLM = """\
model_list:
  - model_name: chat
    litellm_params:
      model: anthropic/claude-sonnet-4-5-20250929
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: chat-fallback
    litellm_params:
      model: openai/gpt-4.1-2025-04-14
      api_key: os.environ/OPENAI_API_KEY
router_settings:
  num_retries: 3
  retry_policy:
    RateLimitErrorRetries: 0      # 429 also means "spend limit reached": fall back instead
    TimeoutErrorRetries: 2
    InternalServerErrorRetries: 3
  fallbacks: [{"chat": ["chat-fallback"]}]
"""


def _norm(v: str | int) -> str:
    return str(v).strip().lower().replace("-", "_").replace(" ", "_")


def backoff_ms(initial_s: float, max_s: float, multiplier: float, attempts: int) -> float:
    total = 0.0
    delay = initial_s
    for _ in range(max(attempts - 1, 0)):
        total += min(delay, max_s)
        delay *= multiplier
    return total * 1000


def _code_remedy(form: str) -> str:
    if form == "litellm":
        return (
            "Pass `retry_policy=RetryPolicy(RateLimitErrorRetries=0, ...)` and configure `fallbacks`, so an "
            "exhausted quota fails over instead of being retried."
        )
    if form == "sdk":
        return (
            "Keep the SDK's `max_retries` at its default (or 0) and retry in one place that reads the error code: "
            "re-raise (or fall back) on `insufficient_quota` or a spend-limit code, retry only `rate_limit_exceeded`."
        )
    return (
        "Read the error code before retrying: re-raise (or fall back to another provider) when it is "
        "`insufficient_quota` or a spend-limit code, retry only `rate_limit_exceeded`, honour `retry-after`."
    )


class RetryMasksQuotaExhaustion(Rule):
    """Retry logic treats 429 quota exhaustion like a transient rate limit.

    ## What it does
    Reports a `QuotaContract` whose `retry.retryOn` includes 429 (or a rate-limit error)
    while `retry.doNotRetryOn` names none of the quota-exhaustion codes
    (`insufficient_quota`, `enforced_spend_limit_reached`, `organization_spend_limit_exceeded`,
    `project_spend_limit_exceeded`). For a LiteLLM proxy config that routes to a hosted
    provider, it reports an explicit `num_retries` when `router_settings.retry_policy` does
    not set `RateLimitErrorRetries` to 0: LiteLLM raises the same `RateLimitError` for a
    rate limit and for an exhausted spend limit, so it retries both.

    The same judgement applies to retries written in Python: tenacity `@retry` with
    `retry_if_exception_type(RateLimitError)` (or no `retry=` on a function that calls an LLM
    API), `backoff.on_exception(..., RateLimitError)`, `for`/`while` loops that catch an SDK
    `RateLimitError` (or test for 429) and sleep, and LiteLLM `completion(num_retries=)` /
    `Router(num_retries=)` without `RetryPolicy(RateLimitErrorRetries=0)`. Attempts and waits
    are read from literals, defaults and module constants; a file that checks
    `insufficient_quota` (or mentions a quota or spend limit) anywhere is left alone.

    The OpenAI and Anthropic SDKs retry on their own: `OpenAI(max_retries=n)` (also
    `AsyncOpenAI`, `AzureOpenAI`, `Anthropic`, `AsyncAnthropic`) and
    `client.with_options(max_retries=n)` are reported when `n` is above the SDK default of 2
    (the default is not a choice the project made; 0 or 2 stays silent). Their `_should_retry`
    retries every 429 unless the response carries `x-should-retry: false`, which neither
    provider documents for an exhausted quota. The wait is the sum of the SDK's
    capped waits, 0.5 s doubling up to 8 s (`INITIAL_RETRY_DELAY`, `MAX_RETRY_DELAY` in
    `_constants.py` and `_calculate_retry_timeout` in `_base_client.py` of openai-python and
    anthropic-sdk-python): 5 retries ≈ 15.5 s. The SDK's jitter shortens each wait by up to
    25 %, and a `retry-after` header (honoured up to 60 s by Anthropic's SDK, 120 s by
    OpenAI's) replaces it; spend-limit errors send none.

    ## Why is this bad?
    Providers return HTTP 429 both for "slow down" and for "you are out of budget until the
    reset" (OpenAI `insufficient_quota`, Anthropic `enforced_spend_limit_reached` with no
    `retry-after`). Retrying the second kind cannot succeed: each request waits through the
    whole backoff, multiplies the load on the gateway and reports a timeout or a generic
    error instead of the real cause. Dashboards show "rate limiting" while the month's
    budget is gone.

    ## How the estimate is computed
    The added latency is the sum of the backoff delays a request waits before giving up:
    `initial × multiplier^i`, capped at `max`, for `maxAttempts − 1` retries. The impact also
    states the call amplification (`maxAttempts` calls per user request). LiteLLM's own
    backoff depends on `retry-after` headers, so for LiteLLM only the number of attempts is
    stated.

    ## How to fix
    Read the error body: retry 429 `rate_limit_exceeded` with backoff and `retry-after`, but
    fail fast (or switch to a fallback model or provider) on the quota codes, and alert. In
    LiteLLM set `retry_policy: {RateLimitErrorRetries: 0, ...}` and configure `fallbacks` to
    another deployment or provider.

    ## References
    - LiteLLM retry policies: https://docs.litellm.ai/docs/routing#advanced-custom-retries-cooldowns-based-on-error-type
    - OpenAI error codes (insufficient_quota): https://platform.openai.com/docs/guides/error-codes
    - Anthropic spend limits and 429 errors: https://docs.anthropic.com/en/api/errors
    - OpenAI SDK retry constants: https://github.com/openai/openai-python/blob/main/src/openai/_constants.py
    - Anthropic SDK retries: https://github.com/anthropics/anthropic-sdk-python/blob/main/src/anthropic/_base_client.py
    """

    code: ClassVar[str] = "AIL303"
    slug: ClassVar[str] = "retry-masks-quota-exhaustion"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (QuotaContract, LiteLLMConfig, CodeRetry)
    inputs: ClassVar[str] = (
        "QuotaContract retry policies; LiteLLM num_retries and retry_policy; retries written in Python "
        "(tenacity, backoff, retry loops, LiteLLM num_retries=, OpenAI/Anthropic SDK max_retries=)"
    )
    summary: ClassVar[str] = "Retry logic treats 429 quota exhaustion like a transient rate limit"
    examples = (
        Example(
            "quotas/openai-prod.yaml", _BAD, expect=("AIL303",), title="429 retried six times, quota codes included"
        ),
        Example(
            "litellm/config.yaml", _BAD_LITELLM, expect=("AIL303",), title="LiteLLM num_retries with no retry_policy"
        ),
        Example("quotas/openai-prod.yaml", _GOOD, title="quota codes excluded from retries"),
        Example("litellm/config.yaml", _GOOD_LITELLM, title="no retries on RateLimitError, fallback instead"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd",
            "no $ figure: this failure costs refused or slow requests (429s, exhausted quota, latency), not extra spend",
        ),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes when requests fail, not the energy they use"),
    )

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(obj, QuotaContract):
            yield from self._contract(obj)
        elif isinstance(obj, LiteLLMConfig):
            yield from self._litellm(obj)
        elif isinstance(obj, CodeRetry):
            yield from self._code(obj)

    def _contract(self, c: QuotaContract) -> Iterator[Finding]:
        retry = c.spec.retry
        if retry is None or retry.max_attempts < 2:
            return
        retried = {_norm(v) for v in retry.retry_on}
        if not (retried & RATE_LIMIT_MARKERS):
            return
        excluded = {_norm(v) for v in retry.do_not_retry_on}
        if excluded & QUOTA_CODES:
            return
        b = retry.backoff
        initial = duration_seconds(b.initial) or 1.0
        cap = duration_seconds(b.max) or 30.0
        wait = backoff_ms(initial, cap, b.multiplier, retry.max_attempts)
        yield self.finding(
            c,
            f"{c.display_name} retries 429 up to {retry.max_attempts} attempts (≈{wait / 1000:.0f} s of backoff) without "
            f"excluding insufficient_quota / spend-limit errors, so an exhausted {c.spec.budget.period} budget looks like "
            "a transient rate limit.",
            remediation=(
                "Add the quota-exhaustion codes to `retry.doNotRetryOn` (`insufficient_quota`, "
                "`enforced_spend_limit_reached`, `project_spend_limit_exceeded`) and set `onExhaustion` to fail fast or "
                "fall back, with an alert."
            ),
            impact=Impact(
                latency_ms=wait,
                assumptions=(
                    f"{retry.max_attempts - 1} retries with backoff {b.initial} × {b.multiplier:g}^n capped at {b.max}: "
                    f"≈{wait / 1000:.1f} s added before a request that cannot succeed fails",
                    f"{retry.max_attempts} provider calls per user request while the budget is exhausted",
                ),
            ),
            span=c.span_of("retry.retryOn", "retry"),
            key="retry",
        )

    def _litellm(self, cfg: LiteLLMConfig) -> Iterator[Finding]:
        if not cfg.num_retries or cfg.num_retries < 1:
            return
        hosted = sorted({d.provider or "" for d in cfg.deployments if is_hosted(d.provider, d.model, d.api_base)})
        if not hosted:
            return
        rl = (cfg.retry_policy or {}).get("RateLimitErrorRetries")
        if rl == 0:
            return
        retries = rl if rl is not None else cfg.num_retries
        how = (
            f"retry_policy.RateLimitErrorRetries {rl}"
            if rl is not None
            else f"{cfg.num_retries_key} {cfg.num_retries} with no retry_policy for RateLimitError"
        )
        yield self.finding(
            cfg,
            f"LiteLLM retries rate-limit errors {retries} times ({how}) for {', '.join(hosted)} deployments, and "
            "LiteLLM raises the same RateLimitError for an exhausted spend limit.",
            remediation=(
                "Set `router_settings.retry_policy` with `RateLimitErrorRetries: 0` (keep retries for timeouts and "
                "server errors) and configure `fallbacks` to another deployment or provider, so an exhausted quota "
                "fails over instead of being retried."
            ),
            impact=Impact(
                assumptions=(
                    f"{retries + 1} provider calls per user request once the provider's quota or spend limit is "
                    "exhausted (429 insufficient_quota / enforced_spend_limit_reached)",
                    "LiteLLM's backoff follows retry-after headers, which spend-limit errors do not send; the wait is "
                    "not estimated",
                ),
            ),
            span=cfg.span_of("retry_policy" if rl is not None else "num_retries"),
            key="num_retries",
        )

    def _code(self, r: CodeRetry) -> Iterator[Finding]:
        if r.tells_quota_apart or (r.attempts is not None and r.attempts < 2):
            return
        if r.form == "litellm" and not any(is_hosted(provider_of(m), m) for m in r.models):
            return
        forever = r.attempts is not None and r.attempts >= 10**6
        if r.attempts is None:
            times = "(attempt count set at run time)"
        else:
            times = "with no limit on attempts" if forever else f"up to {r.attempts} attempts"
        wait = "" if r.wait_s is None else f", ≈{r.wait_s:.0f} s of waiting ({r.wait_text})"
        yield self.finding(
            r,
            f"{r.display_name} retries {r.retries_on} {times}{wait} and never tells insufficient_quota or a spend "
            "limit apart, so an exhausted budget looks like a transient rate limit.",
            remediation=_code_remedy(r.form),
            impact=Impact(
                latency_ms=None if r.wait_s is None else r.wait_s * 1000,
                assumptions=(
                    f"{'unbounded' if forever else r.attempts or 'several'} provider calls per request while the quota is "
                    f"exhausted ({r.form} retry read from code)",
                    "wait not estimated" if r.wait_s is None else f"≈{r.wait_s:.0f} s before the request fails",
                ),
            ),
            key="retry",
        )
