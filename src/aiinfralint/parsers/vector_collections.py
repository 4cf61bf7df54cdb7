"""Milvus, Qdrant and Weaviate collection configs (JSON/YAML), where a date split is recognisable.

Recognised shapes: a Milvus collection (`collection_name` with a schema whose fields carry
`dim` or a vector data type, optional `partitions` and `is_partition_key` fields); a Qdrant
create-collection body (`vectors: {size, distance}`, name from `collection_name` or the file);
a Weaviate class (`class` with `vectorizer`/`vectorIndexConfig`, or a `classes` list).
Partition, collection or class names carrying a date (`docs_2024_05`, `p20240501`) and a
partition key on a date field count as time partitioning.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.retrieval import TimePartitioning, VectorStore
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.registry import DocumentHandler
from aiinfralint.parsers.values import node_span as _span
from aiinfralint.yamlsafe import YList, YMap

_DATE_NAME = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?P<sep>[_\-.]?)(?:0[1-9]|1[0-2])(?:(?P=sep)(?:0[1-9]|[12]\d|3[01]))?(?!\d)"
)
_DATE_FIELD = re.compile(r"(^|_)(date|day|month|week|year|created|ingested|timestamp|ts)($|_)", re.IGNORECASE)
_VECTOR_DTYPES = re.compile(r"(float|float16|bfloat16|binary|int8|sparse_float)_?vector", re.IGNORECASE)


def _granularity(name: str) -> tuple[str, str]:
    m = _DATE_NAME.search(name)
    assert m is not None
    digits = re.sub(r"\D", "", m.group(0))
    return ("daily", "1 day") if len(digits) == 8 else ("monthly", "1 month")


def _milvus_fields(doc: YMap) -> YList | None:
    schema = doc.get("schema")
    for holder in (schema, doc):
        if isinstance(holder, YMap):
            found = holder.get("fields")
            if isinstance(found, YList):
                return found
    return None


def _kind(doc: Any) -> str | None:
    if not isinstance(doc, YMap) or "apiVersion" in doc:
        return None
    name = doc.get("collection_name", doc.get("collectionName"))
    fields = _milvus_fields(doc)
    if isinstance(name, str) and fields is not None:
        for fld in fields:
            if isinstance(fld, YMap) and (
                "dim" in fld
                or _VECTOR_DTYPES.search(str(fld.get("dtype", fld.get("data_type", fld.get("dataType", "")))))
            ):
                return "milvus"
    vectors = doc.get("vectors")
    if isinstance(vectors, YMap) and (
        "size" in vectors or any(isinstance(v, YMap) and "size" in v for v in vectors.values())
    ):
        return "qdrant"
    if isinstance(doc.get("class"), str) and (
        "vectorizer" in doc or "vectorIndexConfig" in doc or "vectorConfig" in doc
    ):
        return "weaviate"
    if isinstance(doc.get("classes"), YList) and any(
        isinstance(c, YMap) and isinstance(c.get("class"), str) for c in doc["classes"]
    ):
        return "weaviate"
    return None


def claims(doc: Any, f: FileInput) -> bool:
    return _kind(doc) is not None


def _dated(names: list[tuple[str, Span]], what: str) -> TimePartitioning | None:
    dated = [(n, s) for n, s in names if _DATE_NAME.search(n)]
    if not dated:
        return None
    name, span = dated[0]
    gran, window = _granularity(name)
    more = f" and {len(dated) - 1} more" if len(dated) > 1 else ""
    return TimePartitioning(
        span=span, mechanism=f"{what} named by date ({name}{more})", granularity=gran, window=window
    )


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject]:
    kind = _kind(doc)
    if kind == "milvus":
        return [_milvus(doc, f)]
    if kind == "qdrant":
        return [_qdrant(doc, f)]
    if kind == "weaviate":
        return [_weaviate(doc, f)]
    return []


def _milvus(doc: YMap, f: FileInput) -> VectorStore:
    name = str(doc.get("collection_name", doc.get("collectionName")))
    key = "collection_name" if "collection_name" in doc else "collectionName"
    fields = _milvus_fields(doc) or YList()
    vec = tuple(str(x.get("name")) for x in fields if isinstance(x, YMap) and ("dim" in x))
    part = _milvus_partition_key(fields, f)
    if part is None:
        names: list[tuple[str, Span]] = []
        parts = doc.get("partitions", doc.get("partition_names"))
        if isinstance(parts, YList):
            for i, p in enumerate(parts):
                pname = p.get("name", p.get("partition_name")) if isinstance(p, YMap) else p
                if isinstance(pname, str):
                    names.append((pname, _span(f, parts, i)))
        part = _dated(names, "partitions")
    if part is None:
        part = _dated([(name, _span(f, doc, key))], "collection")
    return VectorStore(span=_span(f, doc, key), engine="milvus", name=name, vector_fields=vec, partitioning=part)


def _milvus_partition_key(fields: YList, f: FileInput) -> TimePartitioning | None:
    """A Milvus partition key on a date field."""
    for fld in fields:
        if (
            isinstance(fld, YMap)
            and fld.get("is_partition_key") is True
            and _DATE_FIELD.search(str(fld.get("name", "")))
        ):
            return TimePartitioning(
                span=_span(f, fld, "is_partition_key"),
                mechanism=f"partition key on date field {fld.get('name')}",
                granularity=None,
            )
    return None


def _qdrant(doc: YMap, f: FileInput) -> VectorStore:
    name = doc.get("collection_name") if isinstance(doc.get("collection_name"), str) else PurePosixPath(f.path).stem
    key = "collection_name" if "collection_name" in doc else "vectors"
    part = _dated([(str(name), _span(f, doc, key))], "collection")
    return VectorStore(
        span=_span(f, doc, key), engine="qdrant", name=str(name), vector_fields=("vectors",), partitioning=part
    )


def _weaviate(doc: YMap, f: FileInput) -> VectorStore:
    classes = (
        [doc]
        if isinstance(doc.get("class"), str)
        else [c for c in doc["classes"] if isinstance(c, YMap) and isinstance(c.get("class"), str)]
    )
    names = [(str(c["class"]), _span(f, c, "class")) for c in classes]
    part = _dated(names, "classes")
    first = classes[0]
    base = re.sub(r"[_\-]?" + _DATE_NAME.pattern + r".*$", "", str(first["class"])) or str(first["class"])
    return VectorStore(
        span=_span(f, first, "class"),
        engine="weaviate",
        name=base if part else str(first["class"]),
        vector_fields=("vector",),
        partitioning=part,
    )


HANDLER = DocumentHandler(
    name="vector collection",
    claims=claims,
    parse=parse,
)
