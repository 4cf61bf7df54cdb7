"""Rerankers called from Python -> `CodeReranker` (read with `ast`, never executed).

Forms read:

* rerank API calls: ``co.rerank(model=..., documents=...)`` on a Cohere or Voyage client built in
  the same file (``cohere.Client``/``ClientV2``/``AsyncClientV2``, ``voyageai.Client``);
* reranker objects: LangChain ``CohereRerank``, ``NVIDIARerank``, ``VoyageAIRerank``, ``JinaRerank``,
  ``CrossEncoderReranker``/``HuggingFaceCrossEncoder``; LlamaIndex ``CohereRerank``,
  ``SentenceTransformerRerank``, ``FlagEmbeddingReranker``, ``NVIDIARerank``; sentence-transformers
  ``CrossEncoder``; FlagEmbedding ``FlagReranker``/``FlagLLMReranker``.

Candidates: a literal slice or list passed as the documents, else the retriever's ``k`` /
``similarity_top_k`` / ``top_k`` in the same function (or module). A cross-encoder whose
candidate count is not in the code is not judged (no estimate can be made).

Deadline: ``timeout=`` on the reranker or on a rerank client built in the file,
``request_options={"timeout_in_seconds": ...}``, or an enclosing ``asyncio.wait_for`` /
``asyncio.timeout`` / ``anyio.fail_after`` (also around a call of the function that reranks).
What the code does when the deadline expires is not judged.
"""

from __future__ import annotations

import ast
import re

from aiinfralint.model.base import Span
from aiinfralint.model.provider import CodeReranker, Reranker
from aiinfralint.parsers import pyfacts
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.pyfacts import Chain, Names, body_nodes, kwarg

_GATE = re.compile(r"[Rr]erank|CrossEncoder")
_CLIENT_ROOTS = {"cohere": "cohere", "voyageai": "voyage"}
# class -> reranker type; the class must be imported from one of _PACKAGES
_API_CLASSES = frozenset({"CohereRerank", "NVIDIARerank", "VoyageAIRerank", "JinaRerank"})
_LOCAL_CLASSES = frozenset(
    {
        "CrossEncoder",
        "HuggingFaceCrossEncoder",
        "SentenceTransformerRerank",
        "FlagEmbeddingReranker",
        "FlagReranker",
        "FlagLLMReranker",
        "LayerWiseFlagLLMReranker",
    }
)
_PACKAGES = ("langchain", "llama_index", "sentence_transformers", "FlagEmbedding")
_DEADLINES = frozenset({"asyncio.wait_for", "asyncio.timeout", "anyio.fail_after", "async_timeout.timeout"})
_K_KWARGS = ("similarity_top_k", "k", "n_results")  # the retriever's k, not a reranker's top_n


class _Reader:
    def __init__(self, f: FileInput, tree: ast.Module) -> None:
        self.f = f
        self.tree = tree
        self.names = Names.of(tree)
        self.clients = self._clients()
        self.covered, self.covered_functions, self.deadline_s = self._deadlines()
        self.found: list[CodeReranker] = []

    def read(self) -> list[CodeReranker]:
        for node, chain in pyfacts.walk(self.tree):
            if isinstance(node, ast.Call):
                self._call(node, chain)
        return self.found

    def _clients(self) -> dict[str, tuple[str, ast.Call]]:
        """`co = cohere.ClientV2(...)`, `self.vo = voyageai.Client(...)` -> {"co": ("cohere", call)}."""
        out: dict[str, tuple[str, ast.Call]] = {}
        for node in pyfacts.nodes(self.tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                root = (self.names.qualified(node.value.func) or "").split(".")[0]
                if root in _CLIENT_ROOTS:
                    for target in node.targets:
                        name = pyfacts.dotted(target)
                        if name:
                            out[name] = (_CLIENT_ROOTS[root], node.value)
        return out

    def _deadlines(self) -> tuple[set[int], set[str], float | None]:
        """Nodes (and functions called) under a deadline, and the shortest readable deadline in seconds."""
        covered: set[int] = set()
        functions: set[str] = set()
        seconds: list[float] = []
        for node in pyfacts.nodes(self.tree):
            regions: list[ast.AST] = []
            limit: ast.AST | None = None
            if isinstance(node, ast.Call) and self.names.qualified(node.func) == "asyncio.wait_for" and node.args:
                regions = [node.args[0]]
                limit = node.args[1] if len(node.args) > 1 else kwarg(node, "timeout")
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    expr = item.context_expr
                    if isinstance(expr, ast.Call) and self.names.qualified(expr.func) in _DEADLINES:
                        regions = list(node.body)
                        limit = expr.args[0] if expr.args else None
            for region in regions:
                for inner in ast.walk(region):
                    covered.add(id(inner))
                    if isinstance(inner, ast.Call):
                        name = pyfacts.dotted(inner.func)
                        if name:
                            functions.add(name.rsplit(".", 1)[-1])
            value = self.names.number(limit) if limit is not None else None
            if value is not None:
                seconds.append(value)
        return covered, functions, (min(seconds) if seconds else None)

    def _under_deadline(self, node: ast.AST, chain: Chain) -> bool:
        return id(node) in self.covered or any(fn.name in self.covered_functions for fn in chain)

    def _call(self, call: ast.Call, chain: Chain) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "rerank":
            receiver = pyfacts.dotted(func.value)
            client = self.clients.get(receiver or "")
            if client is not None:
                self._api_call(call, chain, client)
            return
        full = self.names.qualified(func) or ""
        last = full.rsplit(".", 1)[-1]
        if full == last or not full.startswith(_PACKAGES):
            return  # not imported from a reranking package: someone's own class
        if last in _API_CLASSES:
            self._object(call, chain, last, "api")
        elif last in _LOCAL_CLASSES:
            self._object(call, chain, last, "cross-encoder")

    def _api_call(self, call: ast.Call, chain: Chain, client: tuple[str, ast.Call]) -> None:
        provider, built = client
        model = self.names.text(kwarg(call, "model"), chain) or "rerank model"
        docs = kwarg(call, "documents") or (call.args[1] if len(call.args) > 1 else None)
        candidates = _count(self.names.resolve(docs, chain), self.names, chain)
        options = self.names.value(kwarg(call, "request_options"), chain)
        timeout = self.names.number(kwarg(built, "timeout")) or self.names.number(kwarg(call, "timeout"), chain)
        if isinstance(options, ast.Dict):
            for k, v in zip(options.keys, options.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == "timeout_in_seconds":
                    timeout = self.names.number(v, chain) or timeout
        self._add(call, chain, f"{provider} rerank", model, "api", candidates, None, timeout)

    def _object(self, call: ast.Call, chain: Chain, cls: str, kind: str) -> None:
        first = call.args[0] if call.args else None
        model = (
            self.names.text(kwarg(call, "model"), chain)
            or self.names.text(kwarg(call, "model_name"), chain)
            or self.names.text(first, chain)
            or cls
        )
        candidates = self._scope_k(chain)
        if kind == "cross-encoder" and candidates is None:
            return  # candidates not in the code: no estimate to judge
        device = self.names.text(kwarg(call, "device"), chain)
        timeout = self.names.number(kwarg(call, "timeout"), chain)
        self._add(call, chain, cls, model, kind, candidates, device, timeout)

    def _scope_k(self, chain: Chain) -> int | None:
        """The retriever's `k` in the enclosing function, else in module code."""
        scopes: list[list[ast.stmt]] = [chain[-1].body] if chain else []
        scopes.append(self.tree.body)
        for body in scopes:
            for node in body_nodes(body):
                if isinstance(node, ast.Call):
                    found = _k_of(node, self.names, chain)
                    if found is not None:
                        return found
        return None

    def _add(
        self,
        call: ast.Call,
        chain: Chain,
        client: str,
        model: str,
        kind: str,
        candidates: int | None,
        device: str | None,
        timeout_s: float | None,
    ) -> None:
        deadline: str | None = None
        timeout_ms: int | None = None
        if timeout_s is not None and timeout_s > 0:
            timeout_ms, deadline = max(int(timeout_s * 1000), 1), "timeout"
        elif self._under_deadline(call, chain) or self._object_used_under_deadline(call):
            deadline = "asyncio deadline"
            if self.deadline_s is not None and self.deadline_s > 0:
                timeout_ms = max(int(self.deadline_s * 1000), 1)
        spec = Reranker.model_validate(
            {
                "model": model,
                "type": "api" if kind == "api" else "cross-encoder",
                "candidates": candidates,
                "device": "cpu" if device and device.lower().startswith("cpu") else "gpu",
                "timeout_ms": timeout_ms,
                # what the code does when the deadline expires is its own: not judged
                "fallback": "skip" if deadline else "none",
            }
        )
        line = call.lineno
        self.found.append(
            CodeReranker(
                span=Span(path=self.f.path, line=line, column=call.col_offset + 1, end_line=line),
                function=pyfacts.function_label(chain),
                client=client,
                reranker=spec,
                deadline=deadline,
            )
        )

    def _object_used_under_deadline(self, call: ast.Call) -> bool:
        """A reranker object built here and used (`x.rerank(...)`, `x.predict(...)`) under a deadline."""
        for node in pyfacts.nodes(self.tree):
            if isinstance(node, ast.Assign) and node.value is call:
                names = {pyfacts.dotted(t) for t in node.targets}
                for inner in pyfacts.nodes(self.tree):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Attribute)
                        and pyfacts.dotted(inner.func.value) in names
                        and id(inner) in self.covered
                    ):
                        return True
        return False


def _count(docs: ast.AST | None, names: Names, chain: Chain) -> int | None:
    """`docs[:50]` -> 50; a literal list -> its length; anything else -> None."""
    if isinstance(docs, ast.Subscript) and isinstance(docs.slice, ast.Slice) and docs.slice.lower is None:
        n = names.number(docs.slice.upper, chain)
        return int(n) if n is not None and n >= 1 else None
    if isinstance(docs, (ast.List, ast.Tuple)) and docs.elts:
        return len(docs.elts)
    return None


def _k_of(call: ast.Call, names: Names, chain: Chain) -> int | None:
    for key in _K_KWARGS:
        n = names.number(kwarg(call, key), chain)
        if n is not None and n >= 1:
            return int(n)
    kwargs = names.value(kwarg(call, "search_kwargs"), chain)
    if isinstance(kwargs, ast.Dict):
        for k, v in zip(kwargs.keys, kwargs.values, strict=True):
            if isinstance(k, ast.Constant) and k.value in ("k", "fetch_k", "top_k"):
                n = names.number(v, chain)
                if n is not None and n >= 1:
                    return int(n)
    return None


PARSER = pyfacts.fact_parser("python-rerankers", _GATE, lambda f, tree: _Reader(f, tree).read())
