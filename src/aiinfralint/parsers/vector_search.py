"""Elasticsearch / OpenSearch index templates, mappings and ILM/ISM policies (JSON or YAML).

An index (template) with `dense_vector` / `knn_vector` fields becomes a `VectorStore`;
date-math names (`<embeddings-{now/d}>`) found in it are time partitioning. An ILM policy
(`policy.phases.*.actions.rollover`) or ISM policy (`policy.states[].actions[].rollover`)
becomes a `LifecyclePolicy`; the rule joins them by policy name or ISM index patterns.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.retrieval import LifecyclePolicy, TimePartitioning, VectorStore
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.registry import DocumentHandler
from aiinfralint.parsers.values import node_span as _span
from aiinfralint.yamlsafe import YList, YMap

VECTOR_TYPES = frozenset({"dense_vector", "knn_vector"})
MAX_DEPTH = 12
# a date-math name is a `<...>` segment holding `{now...}`; segments are found first (each
# character is looked at once), then `{now...}` inside one, so no `<` rescans the text after it
_ANGLE_SEGMENT = re.compile(r"<[^<>]*+>")
_DATE_MATH = re.compile(r"\{now(?:[+-]\d++[yMwdhHms])*+(?:/(?P<unit>[yMwdhH]))?(?:\{[^{}]*+\})?\}")
_DATE_MATH_GRANULARITY = {"y": "yearly", "M": "monthly", "w": "weekly", "d": "daily", "h": "hourly", "H": "hourly"}
_LIFECYCLE_KEYS = (
    "index.lifecycle.name",
    "plugins.index_state_management.policy_id",
    "opendistro.index_state_management.policy_id",
)
_ALIAS_KEYS = (
    "index.lifecycle.rollover_alias",
    "plugins.index_state_management.rollover_alias",
    "opendistro.index_state_management.rollover_alias",
)


def _vector_fields(props: Any, prefix: str = "", depth: int = 0) -> list[str]:
    out: list[str] = []
    if not isinstance(props, YMap) or depth > MAX_DEPTH:
        return out
    for name, spec in props.items():
        if not isinstance(spec, YMap):
            continue
        full = f"{prefix}{name}"
        if spec.get("type") in VECTOR_TYPES:
            out.append(full)
        out.extend(_vector_fields(spec.get("properties"), f"{full}.", depth + 1))
        out.extend(_vector_fields(spec.get("fields"), f"{full}.", depth + 1))
    return out


def _mappings_of(doc: YMap) -> list[YMap]:
    """Every `properties` block that belongs to an index mapping in the document."""
    found: list[YMap] = []
    holders = [doc]
    tmpl = doc.get("template")
    if isinstance(tmpl, YMap):
        holders.append(tmpl)
    for h in holders:
        m = h.get("mappings")
        if isinstance(m, YMap):
            if isinstance(m.get("properties"), YMap):
                found.append(m["properties"])
            # legacy typed mappings: {"mappings": {"_doc": {"properties": ...}}}
            for v in m.values():
                if isinstance(v, YMap) and isinstance(v.get("properties"), YMap):
                    found.append(v["properties"])
    if isinstance(doc.get("properties"), YMap):
        found.append(doc["properties"])
    return found


def _settings_of(doc: YMap) -> list[YMap]:
    out = []
    for h in (doc, doc.get("template")):
        if isinstance(h, YMap) and isinstance(h.get("settings"), YMap):
            out.append(h["settings"])
    return out


def _setting(settings: YMap, dotted: str) -> tuple[str | None, YMap | None, str | None]:
    """A setting written flat (`index.lifecycle.name`) or nested, or under `index`."""
    if dotted in settings and isinstance(settings[dotted], str):
        return settings[dotted], settings, dotted
    parts = dotted.split(".")
    for start in (0, 1):  # with or without the leading "index."
        node: Any = settings
        trail = parts[start:]
        ok = True
        for i, p in enumerate(trail):
            if not isinstance(node, YMap):
                ok = False
                break
            rest = ".".join(trail[i:])
            if rest in node and isinstance(node[rest], str):
                return node[rest], node, rest
            if p not in node:
                ok = False
                break
            if i == len(trail) - 1:
                return (node[p] if isinstance(node[p], str) else None), node, p
            node = node[p]
        if not ok:
            continue
    return None, None, None


def _strings(node: Any, depth: int = 0) -> list[tuple[str, Any, Any]]:
    """(string, holder, key) for every string key and value, to find date-math names."""
    out: list[tuple[str, Any, Any]] = []
    if depth > MAX_DEPTH:
        return out
    if isinstance(node, YMap):
        for k, v in node.items():
            if isinstance(k, str):
                out.append((k, node, k))
            if isinstance(v, str):
                out.append((v, node, k))
            else:
                out.extend(_strings(v, depth + 1))
    elif isinstance(node, YList):
        for i, v in enumerate(node):
            if isinstance(v, str):
                out.append((v, node, i))
            else:
                out.extend(_strings(v, depth + 1))
    return out


def _is_policy(doc: YMap) -> YMap | None:
    p = doc.get("policy")
    if isinstance(p, YMap) and (isinstance(p.get("phases"), YMap) or isinstance(p.get("states"), YList)):
        return p
    return None


def claims(doc: Any, f: FileInput) -> bool:
    if not isinstance(doc, YMap) or "apiVersion" in doc or "model_list" in doc:
        return False
    if _is_policy(doc) is not None:
        return True
    return any(_vector_fields(p) for p in _mappings_of(doc))


def _engine(f: FileInput, doc: YMap) -> str:
    return _engine_of(f.text, f.path)


@lru_cache(maxsize=4)  # asked once per index of a file: a console file may hold thousands
def _engine_of(text: str, path: str) -> str:
    if (
        "knn_vector" in text
        or "index_state_management" in text
        or "opensearch" in path.lower()
        or "ism_template" in text
    ):
        return "opensearch"
    return "elasticsearch"


def policy_from(doc: YMap, p: YMap, f: FileInput, name: str | None = None, span: Span | None = None) -> LifecyclePolicy:
    stem = PurePosixPath(f.path).stem
    engine = "elasticsearch" if isinstance(p.get("phases"), YMap) else "opensearch"
    if name is None:
        name = p.get("policy_id") if isinstance(p.get("policy_id"), str) else stem
    age: str | None = None
    key = "max_age"
    rollover_span: Span | None = None
    if isinstance(p.get("phases"), YMap):
        for phase in p["phases"].values():
            actions = phase.get("actions") if isinstance(phase, YMap) else None
            ro = actions.get("rollover") if isinstance(actions, YMap) else None
            if isinstance(ro, YMap) and ro.get("max_age") is not None:
                age, key, rollover_span = str(ro["max_age"]), "max_age", _span(f, ro, "max_age")
                break
    else:
        for state in p["states"]:
            acts = state.get("actions") if isinstance(state, YMap) else None
            for act in acts if isinstance(acts, YList) else ():
                ro = act.get("rollover") if isinstance(act, YMap) else None
                if isinstance(ro, YMap) and ro.get("min_index_age") is not None:
                    age, key, rollover_span = str(ro["min_index_age"]), "min_index_age", _span(f, ro, "min_index_age")
                    break
            if age:
                break
    patterns: list[str] = []
    tmpl = p.get("ism_template")
    for t in tmpl if isinstance(tmpl, YList) else [tmpl]:
        if isinstance(t, YMap) and isinstance(t.get("index_patterns"), YList):
            patterns.extend(str(x) for x in t["index_patterns"])
    return LifecyclePolicy(
        span=span or _span(f, doc, "policy"),
        engine=engine,
        name=str(name),
        rollover_age=age,
        rollover_key=key,
        index_patterns=tuple(patterns),
        rollover_span=rollover_span,
    )


def date_math(text: str, span: Span) -> TimePartitioning | None:
    if "{now" not in text:
        return None
    m = None
    segment = ""
    for seg in _ANGLE_SEGMENT.finditer(text):
        for m in _DATE_MATH.finditer(seg.group()):
            pass  # the last `{now...}` of the segment names the unit
        if m is not None:
            segment = seg.group()
            break
    if m is None:
        return None
    unit = m.group("unit") or "d"
    return TimePartitioning(
        span=span,
        mechanism=f"date-math index name {segment}",
        granularity=_DATE_MATH_GRANULARITY.get(unit),
        window={"y": "1 year", "M": "1 month", "w": "1 week", "d": "1 day", "h": "1 hour", "H": "1 hour"}.get(unit),
    )


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject]:
    p = _is_policy(doc)
    if p is not None:
        return [policy_from(doc, p, f)]
    return [store_from(doc, f)]


def store_from(doc: YMap, f: FileInput, name: str | None = None, span: Span | None = None) -> VectorStore:
    """A VectorStore for an index body, template or mapping (`name`/`span` from a request line)."""
    fields: list[str] = []
    for props in _mappings_of(doc):
        fields.extend(_vector_fields(props))
    patterns = tuple(str(x) for x in doc["index_patterns"]) if isinstance(doc.get("index_patterns"), YList) else ()
    if isinstance(doc.get("index_patterns"), str):
        patterns = (doc["index_patterns"],)
    if name is None:
        name = patterns[0] if patterns else PurePosixPath(f.path).stem
    spans: dict[str, Span] = {}
    policy: str | None = None
    alias: str | None = None
    for settings in _settings_of(doc):
        for key in _LIFECYCLE_KEYS:
            value, holder, hkey = _setting(settings, key)
            if value:
                policy = value
                spans["lifecycle"] = _span(f, holder, hkey)
                break
        for key in _ALIAS_KEYS:
            value, holder, hkey = _setting(settings, key)
            if value:
                alias = value
                break
    partitioning: TimePartitioning | None = date_math(name, span) if span is not None else None
    for text, holder, key in _strings(doc):
        if partitioning is not None:
            break
        partitioning = date_math(text, Span(path=f.path, line=holder.pos(key)[0], column=holder.pos(key)[1]))
    if "index_patterns" in doc:
        spans["index_patterns"] = _span(f, doc, "index_patterns")
    return VectorStore(
        span=span or _span(f, doc, "index_patterns" if "index_patterns" in doc else None),
        field_spans=spans,
        engine=_engine(f, doc),
        name=name,
        vector_fields=tuple(fields),
        index_patterns=patterns,
        lifecycle_policy=policy,
        rollover_alias=alias,
        partitioning=partitioning,
    )


HANDLER = DocumentHandler(
    name="Elasticsearch/OpenSearch index",
    claims=claims,
    parse=parse,
)
