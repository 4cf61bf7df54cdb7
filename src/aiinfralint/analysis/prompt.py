"""What the prompt rules share: which model, how much traffic, how many tokens."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from aiinfralint.model.finding import Impact
from aiinfralint.model.prompt import VOLATILITY_LABELS, PromptTemplate, Segment
from aiinfralint.tokens import TokenCount, count_tokens

if TYPE_CHECKING:
    from aiinfralint.analysis.context import Context
    from aiinfralint.config import Config
    from aiinfralint.estimate import Estimator

# stated defaults when neither the prompt nor the config names a model
DEFAULT_MODEL = "gpt-4o"
# `cache_control` breakpoints are Anthropic's: price those prompts as a Claude model
DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5"


@dataclass(frozen=True)
class ModelChoice:
    model: str
    basis: str  # "from front matter `model:`", "config prompt.models", "stated default"

    def assumption(self) -> str:
        return f"model {self.model} ({self.basis})"


def choose_model(t: PromptTemplate, config: Config, est: Estimator | None = None) -> ModelChoice:
    """The model a prompt is priced as; a stated default is recorded on `est` when one is given."""
    if t.model:
        return ModelChoice(t.model, f"from {t.model_source or 'the prompt'}")
    if config.prompt.models:
        return ModelChoice(config.prompt.models[0], "first of [tool.aiinfralint.prompt] models; the prompt names none")
    anthropic = t.provider == "anthropic" or any(b.source == "cache_control" for b in t.breakpoints)
    if anthropic:
        if est is not None:
            est.relied_on(
                "prompt.models", DEFAULT_ANTHROPIC_MODEL, "model priced for a cache_control prompt naming none"
            )
        return ModelChoice(
            DEFAULT_ANTHROPIC_MODEL,
            "stated default for prompts with Anthropic cache_control; set [tool.aiinfralint.prompt] models",
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


def cache_loss(ctx: Context, t: PromptTemplate, lost: TokenCount, what: str) -> Impact:
    """Monthly cost of `lost` prefix tokens that miss the cache on every call."""
    choice = choose_model(t, ctx.config, estimator(ctx))
    calls, source = calls_per_day(t, ctx.config)
    impact = estimator(ctx).prefix_cache_loss(choice.model, lost.tokens, calls)
    first = [f"{what}: {lost.describe()}", choice.assumption()]
    if source:
        first.append(f"calls/day from {source}")
    return with_assumptions(impact, first)
