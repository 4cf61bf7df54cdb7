"""What the prompt rules and the inventory share: which model, how much traffic, how many
tokens, what the provider's cache does with them, and how often a value changes.

One prompt has one bill: `prompt_bill` fixes its model, calls/day, static prefix tokens and
its provider's cache economics. The inventory prices the prefix as written (`prompt_spend`);
a cache finding prices what one value costs in extra misses (`cache_loss`), from the same bill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from aiinfralint.estimate.estimator import CacheRule, fmt_num, fmt_usd
from aiinfralint.estimate.names import provider_for_model
from aiinfralint.model.finding import Impact, Unpriced
from aiinfralint.model.prompt import (
    EXPERIMENT,
    IDENTITY,
    REQUEST,
    TIME,
    VOLATILITY_LABELS,
    CacheBreakpoint,
    PromptTemplate,
    Segment,
)
from aiinfralint.tokens import TokenCount, count_tokens

if TYPE_CHECKING:
    from aiinfralint.analysis.context import Context
    from aiinfralint.config import Config
    from aiinfralint.estimate import Estimator

# stated default when neither the prompt, its provider nor the config names a model
DEFAULT_MODEL = "gpt-4o"
# stated assumptions of the change-rate model (no configuration states them)
DEFAULT_ARMS = 2
DEFAULT_PROCESSES = 4


@dataclass(frozen=True)
class ModelChoice:
    model: str
    basis: str  # "from front matter `model:`", "config prompt.models", "stated default"

    def assumption(self) -> str:
        return f"model {self.model} ({self.basis})"


def prompt_provider(t: PromptTemplate) -> tuple[str | None, str]:
    """The provider a prompt is sent to, and how that is known."""
    if t.provider:
        return t.provider.lower(), "the prompt's provider"
    if t.model and provider_for_model(t.model):
        return provider_for_model(t.model), f"model {t.model}"
    if any(b.source == "cache_control" for b in t.breakpoints):
        return "anthropic", "its cache_control breakpoints (Anthropic's)"
    named = provider_for_model(f"{t.name} {t.span.path.rsplit('/', 1)[-1]}")
    if named:
        return named, "its name"
    return None, "unknown"


def choose_model(t: PromptTemplate, config: Config, est: Estimator | None = None) -> ModelChoice:
    """The model a prompt is priced as; a stated default is recorded on `est` when one is given."""
    if t.model:
        return ModelChoice(t.model, f"from {t.model_source or 'the prompt'}")
    if config.prompt.models:
        return ModelChoice(config.prompt.models[0], "first of [tool.aiinfralint.prompt] models; the prompt names none")
    provider, how = prompt_provider(t)
    default = est.default_model(provider) if est is not None and provider else None
    if provider and default:
        if est is not None:
            est.relied_on("prompt.models", default, f"model priced for a {provider} prompt naming none")
        return ModelChoice(
            default,
            f"{provider}'s stated default in cache_rules.yaml; provider from {how}; "
            "set [tool.aiinfralint.prompt] models",
        )
    if est is not None:
        est.relied_on("prompt.models", DEFAULT_MODEL, "model priced when a prompt names none")
    return ModelChoice(DEFAULT_MODEL, "stated default; the prompt names no model; set [tool.aiinfralint.prompt] models")


def calls_per_day(t: PromptTemplate, config: Config) -> tuple[float | None, str | None]:
    """Calls/day from [tool.aiinfralint.traffic] prompts (by prompt name or path glob); None: default."""
    for key, value in config.traffic.prompts.items():
        if key == t.name or fnmatch(t.span.path, key) or fnmatch(t.name, key):
            return float(value), f"[tool.aiinfralint.traffic] prompts[{key!r}]"
    return None, None


def estimator(ctx: Context) -> Estimator:
    return ctx.estimator


def tokens(text: str) -> TokenCount:
    return count_tokens(text)


def slot_label(s: Segment) -> str:
    expr = " ".join(s.text.split())
    if len(expr) > 60:
        expr = expr[:57] + "..."
    label = VOLATILITY_LABELS.get(s.volatility or "", s.volatility or "dynamic value")
    return f"`{expr}` ({label})"


def with_assumptions(impact: Impact, first: list[str], last: tuple[str, ...] = ()) -> Impact:
    return impact.model_copy(update={"assumptions": (*first, *impact.assumptions, *last)})


def option(options: dict[str, Any], name: str, default: Any) -> Any:
    """A rule option written kebab-case or snake_case."""
    norm = {str(k).replace("-", "_"): v for k, v in options.items()}
    return norm.get(name.replace("-", "_"), default)


# --- how often a value changes ------------------------------------------------------------

PER_REQUEST = "per request"
PER_SESSION = "per user/session"
PER_DAY = "per day"
PER_HOUR = "per hour"
PER_ARM = "per experiment arm"
PER_PROCESS = "per process"

_DAY_WORDS = frozenset(
    {"today", "date", "tomorrow", "yesterday", "weekday", "month", "year", "currentdate", "todaysdate", "curdate"}
)
_SESSION_WORDS = frozenset({"session", "sessionid", "conversationid", "threadid", "chatid"})
_CLOCK_FORMAT = re.compile(r"%[HIMSXTcfsp]")


@dataclass(frozen=True)
class ChangeRate:
    """How often a value in the prompt prefix changes, and the cache misses that follow."""

    case: str
    why: str

    @property
    def every_call(self) -> bool:
        return self.case in (PER_REQUEST, PER_SESSION)

    def misses_per_day(self, calls: float, rewrites: int) -> tuple[float, str]:
        """Extra misses a day this value causes over a byte-identical prefix, and the arithmetic."""
        if self.case == PER_REQUEST:
            return calls, f"every call sends a new value: {fmt_num(calls)} misses/day"
        if self.case == PER_SESSION:
            return calls, (
                f"upper bound: each user's next call assumed to come after the cache lifetime: "
                f"{fmt_num(calls)} misses/day"
            )
        if self.case in (PER_DAY, PER_HOUR):
            new = 1 if self.case == PER_DAY else 24
            n = min(calls, new)
            return n, f"{new} new value(s) a day, each written once and then hit while warm: {fmt_num(n)} misses/day"
        k = DEFAULT_ARMS if self.case == PER_ARM else DEFAULT_PROCESSES
        what = "experiment arms" if self.case == PER_ARM else "worker processes"
        n = min(calls, (k - 1) * rewrites)
        return n, (
            f"{k} {what} assumed, each keeping its own warm entry: ({k} − 1) × {rewrites} rewrites/day of a warm "
            f"entry = {fmt_num(n)} misses/day"
        )


def change_rate(seg: Segment) -> ChangeRate | None:
    """How often `seg`'s value changes; None when its volatility is not known."""
    if seg.nondeterministic:
        return ChangeRate(PER_PROCESS, f"{seg.nondeterministic} differs between processes, not between calls")
    reason = (seg.volatility_reason or seg.text).lower()
    words = set(re.split(r"[^a-z]+", reason)) | {reason.replace("_", "")}
    if seg.volatility == TIME:
        if reason in ("date.today",) or (words & _DAY_WORDS and "datetime" not in reason):
            return ChangeRate(PER_DAY, f"`{seg.volatility_reason}` is a date")
        if "strftime" in seg.text.lower() and not _CLOCK_FORMAT.search(seg.text):
            return ChangeRate(PER_DAY, "the strftime format has no time of day")
        if "hour" in words:
            return ChangeRate(PER_HOUR, f"`{seg.volatility_reason}` is an hour")
        return ChangeRate(PER_REQUEST, f"`{seg.volatility_reason}` is a clock time")
    if seg.volatility == REQUEST:
        if words & _SESSION_WORDS:
            return ChangeRate(PER_SESSION, f"`{seg.volatility_reason}` is a session id")
        return ChangeRate(PER_REQUEST, f"`{seg.volatility_reason}` is an id or random value")
    if seg.volatility == IDENTITY:
        return ChangeRate(PER_SESSION, f"`{seg.volatility_reason}` is a user or tenant attribute")
    if seg.volatility == EXPERIMENT:
        return ChangeRate(PER_ARM, f"`{seg.volatility_reason}` takes a few distinct values")
    return None


# --- one bill per prompt ------------------------------------------------------------------


@dataclass(frozen=True)
class PromptBill:
    """Model, traffic, tokens and cache economics of one prompt, shared by `check` and `cost`."""

    choice: ModelChoice
    provider: str | None
    calls: float
    calls_note: str
    rule: CacheRule
    prefix: TokenCount  # static tokens in the cached region: the prompt's token figure everywhere
    end: int
    where: str
    # why nothing in this prompt is cached by the provider (None: its prefix can be cached)
    no_cache: str | None


def prompt_bill(t: PromptTemplate, config: Config, est: Estimator) -> PromptBill:
    choice = choose_model(t, config, est)
    calls, src = calls_per_day(t, config)
    if calls is None:
        calls = float(est.default_calls_per_day())
        note = f"{fmt_num(calls)} calls/day (default traffic; set [tool.aiinfralint.traffic] prompts)"
    else:
        note = f"{fmt_num(calls)} calls/day from {src}"
    end, where = t.prefix_region()
    prefix = count_tokens(t.static_text(0, end))
    rule = est.cache_rule(choice.model)
    provider = rule.provider or prompt_provider(t)[0]
    return PromptBill(choice, provider, calls, note, rule, prefix, end, where, _no_cache(t, rule, prefix, choice))


def _no_cache(t: PromptTemplate, rule: CacheRule, prefix: TokenCount, choice: ModelChoice) -> str | None:
    if rule.caching == "explicit" and not t.breakpoints:
        return (
            f"{rule.provider} caches only at explicit cache_control breakpoints and this prompt has none: "
            "nothing is cached today, so there is no cache to lose (add a breakpoint after the static prefix)"
        )
    if rule.min_tokens is None:
        return f"no prompt-cache minimum known for {choice.model} ({rule.source})"
    if prefix.tokens < rule.min_tokens:
        return (
            f"the static prefix ({prefix.describe()}) is below {rule.provider}'s caching minimum of "
            f"{rule.min_tokens:,} tokens for {choice.model}: it is never cached, so there is nothing to lose"
        )
    return None


def prompt_spend(t: PromptTemplate, config: Config, est: Estimator) -> tuple[PromptBill, Impact]:
    """What the prompt's static prefix costs a month as written (the inventory's figure).

    The prefix is read from the cache up to the first value that changes on (nearly) every
    call or whose volatility is unknown; values that change per day, arm or process leave it
    warm (their few extra writes are what a cache finding prices). The rest is uncached input.
    """
    bill = prompt_bill(t, config, est)
    notes = [bill.choice.assumption(), bill.calls_note, f"static prefix {bill.where}: {bill.prefix.describe()}"]
    stop = next(
        (i for i in range(bill.end) if t.segments[i].dynamic and _breaks_cache(t.segments[i])),
        bill.end,
    )
    cached = count_tokens(t.static_text(0, stop)).tokens if bill.no_cache is None else 0
    if bill.no_cache is not None:
        notes.append(f"billed as uncached input: {bill.no_cache}")
    elif bill.rule.priced is False:
        notes.append(f"{bill.rule.provider}: {bill.rule.note or 'self-hosted'}")
    elif stop < bill.end:
        notes.append(f"{bill.prefix.tokens - cached} static tokens after {slot_label(t.segments[stop])} miss the cache")
    if cached and bill.rule.min_tokens is not None and cached < bill.rule.min_tokens:
        # a hit needs the identical part itself to reach the minimum
        notes.append(
            f"the {cached:,} tokens before it are below {bill.rule.provider}'s caching minimum of "
            f"{bill.rule.min_tokens:,}: billed as uncached input"
        )
        cached = 0
    written = _written(t, bill, stop if cached else 0)
    uncached = bill.prefix.tokens - cached - sum(written.values())
    imp = est.prefix_cost(bill.choice.model, cached, uncached, bill.calls, written=written)
    return bill, imp.model_copy(update={"assumptions": (*notes, *imp.assumptions), "tokens": bill.prefix.tokens})


def misses_write(bill: PromptBill) -> bool:
    """Whether a miss of this prompt's prefix writes the cache, billed as a write (explicit
    breakpoints, or a provider that charges every write); the cache findings price it the same."""
    if bill.no_cache is not None or bill.rule.priced is False:
        return False
    return bill.rule.caching == "explicit" or bill.rule.write_multiplier not in (None, 1)


def _written(t: PromptTemplate, bill: PromptBill, first: int) -> dict[str, int]:
    """The static tokens from segment `first` to the end of the prefix that every call writes to
    the cache again, by TTL: each part takes the TTL of the first breakpoint at or after it
    (5 minutes unless it says `1h`; 5 minutes without breakpoints)."""
    if not misses_write(bill) or first >= bill.end:
        return {}
    at: dict[int, CacheBreakpoint | None] = {b.after + 1: b for b in t.breakpoints if first < b.after + 1 <= bill.end}
    ends = sorted(at.items(), key=lambda e: e[0]) or [(bill.end, None)]
    out: dict[str, int] = {}
    start = count_tokens(t.static_text(0, first)).tokens
    for end, b in ends:
        upto = count_tokens(t.static_text(0, end)).tokens
        ttl = "1h" if b is not None and b.ttl == "1h" else "5m"
        out[ttl] = out.get(ttl, 0) + upto - start
        start = upto
    return out


def _breaks_cache(seg: Segment) -> bool:
    rate = change_rate(seg)
    return rate is None or rate.every_call


def cache_loss(
    ctx: Context, t: PromptTemplate, first: int, stop: int, what: str, history: int = 0
) -> tuple[Impact, int]:
    """The monthly stake of the value at segment `first`: the extra cache misses it causes × the
    static tokens between it and `stop` (plus `history` tokens of an agent loop's conversation
    that follow the prompt and miss with it), at the prompt's provider's prices; no $ when the
    provider would not cache the prefix anyway. Returns the impact and the lost token count.

    Token counts are differences of counts of the prompt from its start, so they add up to the
    inventory's figure for the same prompt (BPE merges across a boundary would not).
    """
    est = estimator(ctx)
    bill, spend = prompt_spend(t, ctx.config, est)
    static = max(0, count_tokens(t.static_text(0, stop)).tokens - count_tokens(t.static_text(0, first)).tokens)
    lost = static + history
    seg = t.segments[first]
    rate = change_rate(seg) or ChangeRate(PER_REQUEST, "volatility unknown: assumed to change on every call")
    first_notes = [
        f"{what}: {static:,} of the prompt's {bill.prefix.describe()} in its static prefix",
        bill.choice.assumption(),
        bill.calls_note,
        f"changes {rate.case}: {rate.why}",
    ]
    if history:
        first_notes.insert(
            1,
            f"agent loop ({t.agent_loop}): the conversation history after the prompt, {history:,} tokens a step "
            "(assumed; rule option agent-history-tokens), misses with it",
        )
    if spend.usd_per_month is not None:
        first_notes.append(
            f"the prompt's whole prefix spend is {fmt_usd(spend.usd_per_month)}/month (`aiinfralint cost`)"
        )
    base = with_assumptions(Impact(tokens=bill.prefix.tokens, sources=(bill.rule.source,)), first_notes)
    if bill.no_cache is not None:
        return base.model_copy(update={"unpriced": (Unpriced("usd", f"no $ at stake: {bill.no_cache}"),)}), lost
    if bill.rule.priced is False:
        why = f"no $ at stake: {bill.rule.provider} {bill.rule.note or 'prices hits and misses the same'}"
        return base.model_copy(update={"unpriced": (Unpriced("usd", why),)}), lost
    misses, arithmetic = rate.misses_per_day(bill.calls, bill.rule.warm_rewrites_per_day)
    ttl = next((b.ttl for b in t.breakpoints if b.ttl), None)
    explicit_write = bill.rule.caching == "explicit" or bill.rule.write_multiplier not in (None, 1)
    impact = est.prefix_miss_loss(bill.choice.model, lost, misses, write_ttl=(ttl or "5m") if explicit_write else None)
    first_notes.append(f"stake: {arithmetic} × {lost:,} tokens")
    return with_assumptions(impact.model_copy(update={"tokens": bill.prefix.tokens}), first_notes), lost
