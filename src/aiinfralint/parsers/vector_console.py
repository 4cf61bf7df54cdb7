"""Kibana / OpenSearch Dashboards console files: `PUT name` lines followed by JSON bodies.

Search teams keep index setup as console snippets (`PUT _ilm/policy/embeddings-daily`,
`PUT _index_template/embeddings`, `PUT %3Cembeddings-%7Bnow%2Fd%7D-000001%3E`). They are
not JSON, so the structured reader skips them; this parser reads each request, takes the
policy, template or index name from the path and hands the body to the
Elasticsearch/OpenSearch reader.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem
from aiinfralint.parsers.registry import FileParser
from aiinfralint.parsers.vector_search import _is_policy, date_math, policy_from, store_from
from aiinfralint.yamlsafe import YamlError, YList, YMap, load_documents

SUFFIXES = frozenset({".json", ".http", ".es", ".console", ".txt", ".rest"})
_REQUEST = re.compile(r"^(?P<method>GET|PUT|POST|DELETE|HEAD|PATCH)\s+(?P<path>\S+)\s*$", re.MULTILINE)
# leading blank and comment lines, then `PUT path` / `POST path`, then a body opening with `{`
# on a later line. Possessive quantifiers and no two adjacent runs that can take the same
# characters: a run of blank lines is read once, never split every possible way.
_FIRST = re.compile(r"\A(?:\s*+(?:#|//)[^\n]*+\n)*+\s*+(?:PUT|POST)\s++\S++[^\S\n]*+\n\s*+\{")
_HINTS = ("dense_vector", "knn_vector", "rollover", "{now", "%7Bnow")
_POLICY_PATH = re.compile(r"^/?(?:_ilm/policy|_plugins/_ism/policies|_opendistro/_ism/policies)/(?P<name>[^/?\s]+)")
_TEMPLATE_PATH = re.compile(r"^/?(?:_index_template|_template|_component_template)/(?P<name>[^/?\s]+)")


def claims(f: FileInput) -> bool:
    return f.suffix in SUFFIXES and any(h in f.text for h in _HINTS) and _FIRST.match(f.text) is not None


def parse(f: FileInput) -> ParseOutput:
    out = ParseOutput(claimed=True)
    text = f.text
    requests = list(_REQUEST.finditer(text))
    # newlines before the current request, counted incrementally (not from the start each time)
    newlines, counted = 0, 0
    for i, m in enumerate(requests):
        method, raw_path = m.group("method"), m.group("path")
        if method not in ("PUT", "POST"):
            continue
        end = requests[i + 1].start() if i + 1 < len(requests) else len(text)
        newlines += text.count("\n", counted, m.start())
        counted = m.start()
        line = newlines + 1
        span = Span(path=f.path, line=line, column=1)
        # the body starts at the end of the request line (the rest of that line is blank), so
        # body line 1 is file line `delta + 1`; positions are moved after loading, not by padding
        # the body with newlines (which made each request cost as much as the file before it)
        delta = newlines + text.count("\n", m.start(), m.end())
        body = text[m.end() : end]
        path = unquote(raw_path).split("?", 1)[0]
        docs: list[object] = []
        if body.strip():
            try:
                docs = [_shift_lines(d, delta) for d in load_documents(body) if d is not None]
            except YamlError as exc:
                if any(h in body for h in _HINTS):
                    out.problems.append(
                        ParseProblem(f"{method} {raw_path}: {exc.message}", exc.line + delta, exc.column)
                    )
                continue
        doc = docs[0] if docs and isinstance(docs[0], YMap) else YMap(line + 1, 1)
        objects: list[ModelObject] = []
        pm = _POLICY_PATH.match(path)
        tm = _TEMPLATE_PATH.match(path)
        policy = _is_policy(doc)
        if pm and policy is not None:
            objects.append(policy_from(doc, policy, f, name=pm.group("name"), span=span))
        elif tm:
            store = store_from(doc, f, span=span)
            if store.vector_fields or store.partitioning is not None:
                objects.append(store)
        elif not path.lstrip("/").startswith("_"):
            clean = path.strip("/")
            if clean.startswith("<") and ">" in clean:
                index, rest = clean[: clean.index(">") + 1], clean[clean.index(">") + 1 :].strip("/")
            else:
                index, _, rest = clean.partition("/")
            if rest and not rest.startswith(("_mapping", "_settings")):
                continue  # document writes (`POST index/_doc`), searches ...
            store = store_from(doc, f, name=index, span=span)
            if store.vector_fields or store.partitioning is not None or date_math(index, span) is not None:
                objects.append(store)
        out.objects.extend(objects)
    return out


def _shift_lines(doc: object, delta: int) -> object:
    """Move every position in a loaded document down by `delta` lines (iteratively, once per node)."""
    if not delta:
        return doc
    seen: set[int] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, (YMap, YList)):
            continue
        seen.add(id(node))
        node.line += delta
        if isinstance(node, YMap):
            node.key_pos = {k: (ln + delta, col) for k, (ln, col) in node.key_pos.items()}
            stack.extend(node.values())
        else:
            node.item_pos = [(ln + delta, col) for ln, col in node.item_pos]
            stack.extend(node)
    return doc


PARSER = FileParser(name="search console requests", claims=claims, parse=parse)
