"""Provider quotas, AI features and LLM gateway configs.

Two groups live here:

* The project's own kinds (``apiVersion: aiinfralint/v1``) for what has no standard file:
  ``QuotaContract`` and ``AIFeature``. Their ``*Spec`` models are the schema (``aiinfralint
  schema`` prints it); keys are camelCase like Kubernetes objects, snake_case is accepted.
* The LiteLLM proxy ``config.yaml`` as read from the file (``LiteLLMConfig``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.timeutil import Window, parse_window, zone

API_VERSION = "aiinfralint/v1"

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|mo)\s*$")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 2592000}

# A budget at or above this is the "unlimited" idiom (LiteLLM's `max_budget: 1000000000.0`,
# 1e9 and larger in provider consoles), not a cap anyone expects to reach
UNLIMITED_BUDGET = Decimal(10) ** 9


def no_cap_reason(amount: float | Decimal | None, what: str) -> str | None:
    """Why a budget `amount` is no cap at all (None: it is a cap, or there is none to judge).

    Infinity and values of 1e9 and more are the "unlimited" idiom; `what` names the key.
    """
    if amount is None:
        return None
    value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    if value.is_nan():
        return f"{what} is not a number: no cap"
    if value.is_infinite():
        return f"{what} is infinite: no cap"
    if value >= UNLIMITED_BUDGET:
        shown = f"{value:,.0f}" if value < 10**15 else f"{float(value):g}"
        return f"{what} {shown} is the 'unlimited' idiom (1e9 or more): no cap"
    return None


def duration_seconds(text: str | int | float | None) -> float | None:
    """'30s', '1h', '7d', '1mo' (or a bare number of seconds) -> seconds; None if unreadable."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    m = _DURATION.match(str(text))
    if not m:
        return None
    return float(m.group(1)) * _DURATION_SECONDS[m.group(2)]


def provider_of(model: str) -> str | None:
    """The provider of a LiteLLM model string ('azure/x' -> azure; 'gpt-4o' -> openai)."""
    if "/" in model:
        return model.split("/", 1)[0].lower()
    low = model.lower()
    if low.startswith(("gpt-", "o1", "o3", "o4", "chatgpt", "text-embedding", "dall-e", "whisper", "tts")):
        return "openai"
    if low.startswith("claude"):
        return "anthropic"
    if low.startswith("gemini"):
        return "vertex_ai"
    return None


class Spec(BaseModel):
    """Base of the own kinds' sections: camelCase keys, unknown keys rejected, frozen."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


def _check_zone(v: str | None) -> str | None:
    if v is not None:
        zone(v)  # ValueError names the zone and the expected form
    return v


def _check_windows(v: list[str]) -> list[str]:
    for w in v:
        parse_window(w)
    return v


def _check_hhmm(v: str) -> str:
    if not _HHMM.match(v.strip()):
        raise ValueError(f"invalid time {v!r}: expected HH:MM between 00:00 and 23:59")
    return v.strip()


def _check_duration(v: str | None) -> str | None:
    if v is not None and duration_seconds(v) is None:
        raise ValueError(f"invalid duration {v!r}: expected a number and a unit, e.g. '30s', '15m', '1h', '7d'")
    return v


# --- QuotaContract -------------------------------------------------------------------


class QuotaReset(Spec):
    """When the budget refills: a clock time in a time zone, and for longer periods the day."""

    at: str = Field("00:00", description="clock time of the reset, HH:MM")
    time_zone: str = Field("UTC", description="IANA time zone of `at`, e.g. UTC or America/New_York")
    day_of_month: int | None = Field(
        None, ge=1, le=31, description="monthly periods: day the budget resets (default 1)"
    )
    day_of_week: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = Field(
        None, description="weekly periods: day the budget resets (default monday)"
    )

    _at = field_validator("at")(_check_hhmm)
    _tz = field_validator("time_zone")(_check_zone)


class QuotaBudget(Spec):
    amount: Decimal = Field(..., ge=0, description="cap per period, in `unit`")
    unit: Literal["usd", "tokens", "requests"] = "usd"
    period: Literal["hourly", "daily", "weekly", "monthly"] = "monthly"
    reset: QuotaReset = Field(default_factory=lambda: QuotaReset.model_validate({}))
    hard: bool = Field(True, description="true: requests fail at the cap (provider spend limit); false: soft limit")

    @property
    def period_days(self) -> float:
        return {"hourly": 1 / 24, "daily": 1.0, "weekly": 7.0, "monthly": 30.0}[self.period]


class TrafficSegment(Spec):
    """A slice of the traffic that shares a clock (a region, a market, a customer group)."""

    name: str
    time_zone: str = Field(..., description="IANA time zone the segment's peak windows are written in")
    share: float = Field(..., ge=0, le=1, description="fraction of the contract's traffic, 0-1")
    peak_windows: list[str] = Field(default_factory=list, description='daily peaks, "HH:MM-HH:MM" in `timeZone`')

    _tz = field_validator("time_zone")(_check_zone)
    _w = field_validator("peak_windows")(_check_windows)

    def windows(self) -> list[Window]:
        return [parse_window(w, self.time_zone) for w in self.peak_windows]


class QuotaAlert(Spec):
    type: Literal["burn-rate", "budget-used", "forecast"] = Field(
        "burn-rate",
        description="burn-rate: spend rate over `window` vs the rate that lasts the period; "
        "budget-used: fraction of the budget consumed; forecast: projected exhaustion before reset",
    )
    threshold: float = Field(
        ..., gt=0, description="burn-rate multiple (e.g. 2 = twice the sustainable rate) or fraction used (0.8)"
    )
    window: str | None = Field(None, description="look-back for burn-rate alerts, e.g. '1h'")
    channels: list[str] = Field(
        default_factory=list, description="where the alert goes, e.g. 'slack:#llm-ops', 'pagerduty:ai-platform'"
    )

    _win = field_validator("window")(_check_duration)


class Backoff(Spec):
    initial: str = "1s"
    max: str = "30s"
    multiplier: float = Field(2.0, ge=1)
    honor_retry_after: bool = True

    _i = field_validator("initial", "max")(_check_duration)


class RetryPolicy(Spec):
    retry_on: list[str | int] = Field(
        default_factory=list,
        description="HTTP statuses or error codes that are retried, e.g. 429, 503, rate_limit_exceeded",
    )
    do_not_retry_on: list[str | int] = Field(
        default_factory=list,
        description="error codes never retried even when their status is, e.g. insufficient_quota, enforced_spend_limit_reached",
    )
    max_attempts: int = Field(3, ge=1, description="attempts including the first")
    backoff: Backoff = Field(default_factory=lambda: Backoff.model_validate({}))


class Throttle(Spec):
    start_at: float = Field(
        ..., gt=0, le=1, description="fraction of the budget at which client-side throttling starts"
    )
    max_requests_per_minute: int | None = Field(None, ge=0)


class Exhaustion(Spec):
    action: Literal["fail", "throttle", "fallback", "queue"] = "fail"
    fallback_model: str | None = None


class QuotaContractSpec(Spec):
    """A provider quota or spend cap, the traffic that draws on it, and how clients behave near it."""

    provider: str = Field(..., description="openai, anthropic, azure-openai, bedrock, vertex-ai, litellm ...")
    model: str | None = Field(None, description="shorthand for `models` with one entry")
    models: list[str] = Field(default_factory=list)
    budget: QuotaBudget
    segments: list[TrafficSegment] = Field(default_factory=list)
    alerts: list[QuotaAlert] = Field(default_factory=list)
    throttle: Throttle | None = None
    retry: RetryPolicy | None = None
    on_exhaustion: Exhaustion = Field(default_factory=lambda: Exhaustion.model_validate({}))

    @property
    def all_models(self) -> list[str]:
        return ([self.model] if self.model else []) + [m for m in self.models if m != self.model]


# --- AIFeature -----------------------------------------------------------------------


class Traffic(Spec):
    requests_per_day: int | None = Field(None, ge=0)
    time_zone: str = "UTC"
    peak_windows: list[str] = Field(default_factory=list)

    _tz = field_validator("time_zone")(_check_zone)
    _w = field_validator("peak_windows")(_check_windows)

    def windows(self) -> list[Window]:
        return [parse_window(w, self.time_zone) for w in self.peak_windows]


class TokensPerRequest(Spec):
    input: int = Field(0, ge=0)
    cached_input: int = Field(0, ge=0)
    output: int = Field(0, ge=0)


class Slo(Spec):
    p99_ms: int | None = Field(None, gt=0, description="end-to-end p99 latency objective")
    latency_critical: bool | None = Field(None, description="default: true when p99Ms is set")
    provider_timeout_ms: int | None = Field(None, gt=0, description="deadline on the model call (the latency budget)")

    @property
    def is_latency_critical(self) -> bool:
        return self.latency_critical if self.latency_critical is not None else self.p99_ms is not None


class Reranker(Spec):
    model: str
    type: Literal["cross-encoder", "llm", "api", "bi-encoder", "colbert"] = "cross-encoder"
    candidates: int | None = Field(None, ge=1, description="documents scored per query (default: retrieval topK)")
    top_n: int | None = Field(None, ge=1, description="documents kept after reranking")
    device: Literal["cpu", "gpu"] = "gpu"
    timeout_ms: int | None = Field(None, gt=0)
    fallback: Literal["none", "retrieval-order", "skip", "cached"] = "none"


class Retrieval(Spec):
    index: str | None = Field(None, description="name of a VectorIndex")
    top_k: int = Field(10, ge=1)
    timeout_ms: int | None = Field(None, gt=0)
    reranker: Reranker | None = None


class LineItem(Spec):
    usd_per_month: Decimal | None = Field(None, ge=0, alias="usdPerMonth")
    kgco2e_per_month: Decimal | None = Field(None, ge=0, alias="kgco2ePerMonth")
    kwh_per_month: Decimal | None = Field(None, ge=0, alias="kwhPerMonth")
    method: str | None = None
    source: str | None = None


class AIFeatureSpec(Spec):
    """A user-facing AI feature: model and where it runs, traffic, tokens, SLO, retrieval and its line items."""

    model: str
    provider: str | None = None
    regions: list[str] = Field(default_factory=list)
    model_version_upgrade: str | None = Field(
        None,
        description="Azure versionUpgradeOption of the deployments (OnceNewDefaultVersionAvailable, NoAutoUpgrade ...)",
    )
    fallback_models: list[str] = Field(default_factory=list)
    traffic: Traffic = Field(default_factory=lambda: Traffic.model_validate({}))
    tokens_per_request: TokensPerRequest = Field(default_factory=lambda: TokensPerRequest.model_validate({}))
    slo: Slo = Field(default_factory=lambda: Slo.model_validate({}))
    streaming: bool = False
    retrieval: Retrieval | None = None
    cost: LineItem | None = None
    carbon: LineItem | None = None
    functional_unit: str | None = Field(None, description="what one unit of service is, e.g. '1 answered question'")


class Metadata(Spec):
    model_config = ConfigDict(frozen=True, extra="allow", alias_generator=to_camel, populate_by_name=True)

    name: str
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


# --- model objects -------------------------------------------------------------------


class OwnKindObject(ModelObject):
    """An object of one of the project's own kinds."""

    kind: str
    name: str

    @property
    def display_name(self) -> str:
        return f"{self.kind} {self.name}"


class QuotaContract(OwnKindObject):
    spec: QuotaContractSpec


class AIFeature(OwnKindObject):
    spec: AIFeatureSpec


# --- LiteLLM -------------------------------------------------------------------------


class LiteLLMDeployment(BaseModel):
    """One entry of `model_list`."""

    model_config = ConfigDict(frozen=True)

    span: Span
    model_name: str
    model: str  # litellm_params.model, "provider/model"
    provider: str | None = None
    region: str | None = None
    region_source: str | None = None  # which key said so
    api_base: str | None = None
    api_version: str | None = None
    base_model: str | None = None
    model_span: Span | None = None
    base_model_span: Span | None = None


class LiteLLMConfig(ModelObject):
    """A LiteLLM proxy config document (model_list and the *_settings blocks)."""

    deployments: tuple[LiteLLMDeployment, ...] = ()
    num_retries: int | None = None
    num_retries_key: str | None = None  # "router_settings.num_retries" ...
    retry_policy: dict[str, int] | None = None
    fallbacks: bool = False
    max_budget: float | None = None
    budget_duration: str | None = None
    budget_reset_time: str | None = None
    timezone: str | None = None
    provider_budgets: dict[str, tuple[float | None, str | None]] = {}
    alerting: tuple[str, ...] = ()
    alert_types: tuple[str, ...] | None = None
    has_database: bool = False

    @property
    def display_name(self) -> str:
        return f"LiteLLM config {self.span.path}"


# --- facts read from application code ------------------------------------------------

# error codes (in a 429 body) that mean "out of budget until the reset", not "slow down"
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "enforced_spend_limit_reached",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "billing_hard_limit_reached",
        "quota_exceeded",
        "budget_exceeded",
    }
)


class CodeRetry(ModelObject):
    """A retry around hosted LLM calls written in Python (tenacity, backoff, a loop, LiteLLM `num_retries=`)."""

    function: str  # enclosing function ("call_llm"), or "<module>"
    form: str  # "tenacity", "backoff", "loop", "litellm", "sdk" (an SDK client's max_retries=)
    retries_on: str  # what is retried: "openai.RateLimitError", "HTTP 429", "every exception"
    attempts: int | None = None  # calls in total, first one included; None: not readable
    wait_s: float | None = None  # total sleep before the last attempt; None: not readable
    wait_text: str = ""  # how the wait is made ("60 s fixed", "exponential 1-60 s")
    tells_quota_apart: bool = False  # the file checks insufficient_quota / spend-limit codes somewhere
    models: tuple[str, ...] = ()  # model strings the call names (LiteLLM `completion(model=...)`, a Router's list)

    @property
    def display_name(self) -> str:
        where = "module code" if self.function == "<module>" else f"retry helper `{self.function}()`"
        return f"{where} ({self.span.path}:{self.span.line})"


class CodeBudget(ModelObject):
    """A LiteLLM budget set from Python: `litellm.max_budget = X`, `BudgetManager.create_budget(...)`, or a key,
    team, user or budget created through the proxy's admin API with `max_budget`."""

    function: str  # enclosing function, or "<module>"
    form: str  # "litellm.max_budget", "BudgetManager", "proxy API" (the path, e.g. "/key/generate")
    amount: float  # USD
    duration: str | None = None  # "30d", "monthly"; None: never resets
    alerted: bool = False  # the file sets a soft budget, LiteLLM alerting or a spend callback that alerts
    proxy_api: bool = False  # enforced by a LiteLLM proxy whose own config holds the alerting

    @property
    def display_name(self) -> str:
        where = "module code" if self.function == "<module>" else f"`{self.function}()`"
        return f"LiteLLM budget ({self.form}) in {where} ({self.span.path}:{self.span.line})"


class CodeReranker(ModelObject):
    """A reranker called from Python (Cohere/Voyage rerank, a cross-encoder, a LangChain or LlamaIndex reranker).

    `reranker` is the same section an `AIFeature` declares, filled from the code: the model, its type,
    the candidates when the code bounds them, the device, and the deadline that applies (a client or
    call timeout, an enclosing `asyncio.wait_for`).
    """

    function: str  # enclosing function, or "<module>"
    client: str  # what the code calls: "cohere rerank", "CrossEncoder", "CohereRerank" ...
    reranker: Reranker
    deadline: str | None = None  # where a deadline comes from ("timeout", "asyncio deadline"); None: none found

    @property
    def display_name(self) -> str:
        where = "module code" if self.function == "<module>" else f"`{self.function}()`"
        return f"{self.client} ({self.reranker.model}) in {where} ({self.span.path}:{self.span.line})"
