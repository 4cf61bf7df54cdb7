from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import AIFeature, CodeReranker, Reranker
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

# Milliseconds per scored document (cross-encoders are linear in candidates), from
# published measurements (domain facts 6.5). (pattern, device) -> (ms/doc, basis).
PER_DOC_MS: tuple[tuple[str, str, float, str], ...] = (
    (
        r"minilm",
        "cpu",
        0.62,
        "MiniLM-L6 cross-encoder on CPU: 31 ms P95 for top-50 (raufibishov.com reranking benchmarks)",
    ),
    (
        r"minilm",
        "gpu",
        7.4,
        "MiniLM-L6 cross-encoder: ≈740 ms for 100 documents (Metarank 2024, via hybridsearchbook.com)",
    ),
    (r"electra", "cpu", 2.96, "Electra-base cross-encoder on CPU: 148 ms P95 for top-50 (raufibishov.com)"),
    (
        r"bge-reranker|m3|large|mxbai|jina-reranker",
        "cpu",
        18.75,
        "bge-reranker-v2-m3 on CPU, max_length 512: 120-180 ms per batch of 8, midpoint 150 ms (blog.findaura.ai)",
    ),
)
DEFAULT_CPU = (
    18.75,
    "no measurement for this model: bge-reranker-v2-m3 on CPU figure used (120-180 ms per batch of 8)",
)
DEFAULT_GPU = (
    7.4,
    "no GPU measurement for this model: MiniLM-L6 figure used (≈740 ms per 100 documents), a lower bound for larger models",
)
DEFAULT_SEARCH_BUDGET_MS = 500  # upper end of typical search p99 budgets (200-500 ms)

_BAD = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: support-answers
spec:
  model: claude-sonnet-4-5-20250929
  provider: anthropic
  slo: {p99Ms: 1200}
  retrieval:
    index: kb-chunks
    topK: 100
    reranker:
      model: BAAI/bge-reranker-v2-m3
      type: cross-encoder
      device: cpu
"""

_GOOD = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: support-answers
spec:
  model: claude-sonnet-4-5-20250929
  provider: anthropic
  slo: {p99Ms: 1200}
  retrieval:
    index: kb-chunks
    topK: 100
    reranker:
      model: cross-encoder/ms-marco-MiniLM-L-6-v2
      type: cross-encoder
      device: cpu
      candidates: 30
      topN: 8
      timeoutMs: 150
      fallback: retrieval-order
"""


def per_doc_ms(r: Reranker) -> tuple[float, str]:
    name = r.model.lower()
    for pattern, device, ms, basis in PER_DOC_MS:
        if device == r.device and re.search(pattern, name):
            return ms, basis
    return DEFAULT_CPU if r.device == "cpu" else DEFAULT_GPU


class RerankerWithoutDeadline(Rule):
    """A reranker scores top-k candidates with no deadline or fallback that fits the SLO.

    ## What it does
    Reads the `retrieval.reranker` of each `AIFeature` (cross-encoder, LLM or rerank API)
    and reports it when there is no deadline (`reranker.timeoutMs` or `retrieval.timeoutMs`),
    when the deadline is longer than the feature's p99 objective, or when a deadline exists
    but nothing happens on expiry (`fallback: none`, so the request fails instead of using the
    retrieval order).

    Rerankers called from Python are judged the same way: Cohere/Voyage `rerank()` calls,
    sentence-transformers `CrossEncoder`, FlagEmbedding rerankers, LangChain `CohereRerank` /
    `NVIDIARerank` / `HuggingFaceCrossEncoder`, LlamaIndex `SentenceTransformerRerank` /
    `FlagEmbeddingReranker`. The candidates come from a literal slice of the documents or the
    retriever's `k` / `similarity_top_k` in the same function; the deadline from a client or
    call `timeout=`, `request_options`, or an enclosing `asyncio.wait_for` / `asyncio.timeout`
    (also around a call of the function that reranks). Without a `slo.p99Ms` the budget is
    500 ms. A cross-encoder whose candidate count is not in the code is not judged.

    ## Why is this bad?
    A cross-encoder runs one forward pass per query–document pair, so its cost is linear in
    the candidate count: top-100 with a large model on CPU takes seconds. Rerankers are
    added for a few points of relevance and end up owning the tail latency; one production
    report saw p95 go from 1.4 s to 2.9 s. Without a deadline and a fallback to the
    retrieval order, the slowest reranks set the feature's p99.

    ## How the estimate is computed
    Added latency = candidates × milliseconds per document for the model and device, from
    published measurements: MiniLM-L6 ≈ 7.4 ms/doc on GPU (740 ms per 100) and 0.62 ms/doc
    on CPU (31 ms for 50); Electra-base 2.96 ms/doc on CPU; bge-reranker-v2-m3 on CPU
    18.75 ms/doc (120-180 ms per batch of 8). Unknown models use the bge figure on CPU and
    the MiniLM figure on GPU, and say so. It is compared with `slo.p99Ms` (or a 500 ms search
    budget when none is set). LLM and API rerankers are reported without a figure.

    ## How to fix
    Give the reranker a deadline well inside the SLO (`timeoutMs`), fall back to the
    retrieval order when it expires (`fallback: retrieval-order`), and rerank fewer
    candidates (`candidates: 20-50`) or a smaller model; measure the gain against the
    latency it costs.

    ## References
    - Cross-encoder reranking latency: https://www.hybridsearchbook.com/blog/cross-encoder-reranking
    - Reranker latency in production: https://www.ludmal.com/blog/hidden-cost-of-reranking
    - Sentence-Transformers cross-encoders: https://sbert.net/docs/cross_encoder/usage/usage.html
    """

    code: ClassVar[str] = "AIL402"
    slug: ClassVar[str] = "reranker-without-deadline"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (AIFeature, CodeReranker)
    inputs: ClassVar[str] = (
        "AIFeature retrieval, reranker and SLO; rerankers called from Python (Cohere/Voyage rerank, cross-encoders, "
        "LangChain and LlamaIndex rerankers)"
    )
    summary: ClassVar[str] = "A reranker scores top-k candidates with no deadline or fallback that fits the SLO"
    examples = (
        Example(
            "features/support-answers.yaml",
            _BAD,
            expect=("AIL402",),
            title="bge-reranker over top-100 on CPU, no timeout",
        ),
        Example(
            "features/support-answers.yaml",
            _GOOD,
            title="fewer candidates, 150 ms deadline, fallback to retrieval order",
        ),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the cost is recall or latency, which the configuration does not price"),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes answer quality or latency, not energy"),
    )

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(obj, CodeReranker):
            r = obj.reranker
            has_deadline = obj.deadline is not None
            yield from self._judge(obj, r, r.candidates, None, r.timeout_ms, has_deadline, "reranker")
            return
        f: AIFeature = obj
        retrieval = f.spec.retrieval
        if retrieval is None or retrieval.reranker is None:
            return
        r = retrieval.reranker
        deadline = r.timeout_ms or retrieval.timeout_ms
        yield from self._judge(
            f, r, r.candidates or retrieval.top_k, f.spec.slo.p99_ms, deadline, deadline is not None, "feature"
        )

    def _judge(
        self,
        obj: AIFeature | CodeReranker,
        r: Reranker,
        candidates: int | None,
        p99: int | None,
        deadline: int | None,
        has_deadline: bool,
        source: str,
    ) -> Iterator[Finding]:
        """One verdict for a reranker, declared in an AIFeature or read from code."""
        if r.type in ("bi-encoder",):
            return
        budget = p99 or DEFAULT_SEARCH_BUDGET_MS
        budget_txt = (
            f"p99 objective {p99} ms" if p99 else f"a {DEFAULT_SEARCH_BUDGET_MS} ms search budget (no slo.p99Ms set)"
        )
        assumptions: list[str] = []
        added: float | None = None
        if r.type == "cross-encoder" and candidates is not None:
            ms, basis = per_doc_ms(r)
            added = ms * candidates
            assumptions.append(
                f"{candidates} candidates × {ms:g} ms/document on {r.device.upper()} ≈ {added:,.0f} ms ({basis})"
            )
        else:
            assumptions.append(f"{r.type} reranker: latency per document not estimated")
        assumptions.append(f"compared with {budget_txt}")
        budget_short = budget_txt.split(" (")[0]
        bare = budget_short.removeprefix("a ")  # "500 ms search budget" / "p99 objective 1200 ms"
        if not has_deadline:
            problem = f"no timeout, against a {bare}"
        elif deadline is not None and deadline > budget:
            problem = f"a {deadline} ms timeout, longer than the {bare}"
        elif r.fallback == "none":
            problem = f"a {deadline} ms timeout but no fallback, so the request fails when it expires"
        else:
            return
        if not has_deadline and added is not None and added < budget * 0.1:
            return  # a small model over few candidates: a deadline would be nice, not necessary
        cost = f" (≈{added:,.0f} ms added)" if added is not None else ""
        where = f" on {r.device.upper()}" if r.type == "cross-encoder" else f" ({r.type})"
        count = f"{candidates} candidates" if candidates is not None else "its candidates"
        fix = (
            "Set `reranker.timeoutMs` well inside the SLO and `fallback: retrieval-order` so a slow rerank returns "
            "the retrieval order instead of blowing the budget; rerank fewer candidates (20-50) or use a smaller "
            "model."
            if source == "feature"
            else "Give the rerank call a deadline well inside the latency budget (client `timeout=`, "
            "`request_options`, or `asyncio.wait_for`) and return the retrieval order when it expires; rerank "
            "fewer candidates (20-50) or use a smaller model."
        )
        span = (
            obj.span_of("retrieval.reranker.timeoutMs", "retrieval.reranker.model", "retrieval.reranker")
            if source == "feature"
            else obj.span
        )
        yield self.finding(
            obj,
            f"{obj.display_name} reranks {count} with {r.model}{where}{cost} with {problem}.",
            remediation=fix,
            impact=Impact(latency_ms=added, assumptions=tuple(assumptions)),
            span=span,
            key="reranker",
        )
