"""The project's own kinds (`apiVersion: aiinfralint/v1`): QuotaContract, AIFeature, VectorIndex.

Validation is pydantic; an error becomes one AIL000 finding that names the key and
points at its line (`spec.budget.amount: must be >= 0`), never a traceback.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.provider import AIFeature, AIFeatureSpec, QuotaContract, QuotaContractSpec
from aiinfralint.model.retrieval import VectorIndex, VectorIndexSpec
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.registry import DocumentError, DocumentHandler
from aiinfralint.yamlsafe import YList, YMap

API_PREFIX = "aiinfralint/"
IGNORE_ANNOTATION = "aiinfralint/ignore"
MAX_SPAN_DEPTH = 5


def _kinds() -> dict[str, tuple[type[BaseModel], type[Any]]]:
    return {
        "QuotaContract": (QuotaContractSpec, QuotaContract),
        "AIFeature": (AIFeatureSpec, AIFeature),
        "VectorIndex": (VectorIndexSpec, VectorIndex),
    }


KINDS = ("QuotaContract", "AIFeature", "VectorIndex")


def claims(doc: Any, f: FileInput) -> bool:
    return isinstance(doc, YMap) and isinstance(doc.get("apiVersion"), str) and doc["apiVersion"].startswith(API_PREFIX)


def claims_text(f: FileInput) -> bool:
    return re.search(r"apiVersion\"?\s*:\s*\"?aiinfralint/", f.text) is not None


def _walk(node: Any, loc: tuple[Any, ...]) -> tuple[int, int, list[str]]:
    """Position of the deepest part of `loc` found in the document, and the path walked."""
    line, col = (node.line, node.column) if isinstance(node, (YMap, YList)) else (1, 1)
    walked: list[str] = []
    for part in loc:
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            line, col = node.pos(part)
            node = node[part]
            walked.append(part)
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            line, col = node.pos(part)
            node = node[part]
            walked.append(f"[{part}]")
        else:
            break
    return line, col, walked


def _dotted(parts: list[str] | tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        s = f"[{p}]" if isinstance(p, int) else str(p)
        out += s if s.startswith("[") or not out else f".{s}"
    return out


def _describe(doc: YMap, err: Any, kind: str) -> tuple[str, int, int]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    line, col, _ = _walk(doc, ("spec", *loc))
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = f"unknown key (see `aiinfralint schema {kind}`)"
    return f"{_dotted(('spec', *loc))}: {msg}", line, col


def _error(doc: YMap, exc: ValidationError, kind: str) -> DocumentError:
    errors = exc.errors()
    first, line, col = _describe(doc, errors[0], kind)
    others = []
    for err in errors[1:4]:
        text, ln, _ = _describe(doc, err, kind)
        others.append(f"{text} (line {ln})")
    if len(errors) > 4:
        others.append(f"{len(errors) - 4} more")
    tail = f"; also {'; '.join(others)}" if others else ""
    return DocumentError(f"{kind} {first}{tail}", line, col)


def _spans(f: FileInput, node: Any, prefix: str, out: dict[str, Span], depth: int = 0) -> None:
    if depth > MAX_SPAN_DEPTH:
        return
    if isinstance(node, YMap):
        for key, value in node.items():
            if not isinstance(key, str):
                continue
            line, col = node.pos(key)
            path = f"{prefix}.{key}" if prefix else key
            out.setdefault(path, Span(path=f.path, line=line, column=col))
            _spans(f, value, path, out, depth + 1)
    elif isinstance(node, YList):
        for i, value in enumerate(node):
            line, col = node.pos(i)
            path = f"{prefix}[{i}]"
            out.setdefault(path, Span(path=f.path, line=line, column=col))
            _spans(f, value, path, out, depth + 1)


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject]:
    api = doc.get("apiVersion")
    kind = doc.get("kind")
    if api != "aiinfralint/v1":
        line, col = doc.pos("apiVersion")
        raise DocumentError(f"unsupported apiVersion {api!r}: this version reads aiinfralint/v1", line, col)
    kinds = _kinds()
    if kind not in kinds:
        line, col = doc.pos("kind") if "kind" in doc else (doc.line, doc.column)
        raise DocumentError(f"unknown kind {kind!r} for aiinfralint/v1 (known: {', '.join(KINDS)})", line, col)
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, YMap) else None
    if not isinstance(name, str) or not name.strip():
        line, col = doc.pos("metadata") if "metadata" in doc else (doc.line, doc.column)
        raise DocumentError(f"{kind}: metadata.name is required", line, col)
    spec_node = doc.get("spec")
    if not isinstance(spec_node, YMap):
        line, col = doc.pos("spec") if "spec" in doc else (doc.line, doc.column)
        raise DocumentError(f"{kind} {name}: spec must be a mapping", line, col)
    spec_cls, obj_cls = kinds[kind]
    try:
        spec = spec_cls.model_validate(spec_node)
    except ValidationError as exc:
        raise _error(doc, exc, kind) from None
    except ValueError as exc:  # zone/window helpers raise plain ValueError in edge cases
        line, col = doc.pos("spec")
        raise DocumentError(f"{kind} {name}: {exc}", line, col) from None
    field_spans: dict[str, Span] = {}
    _spans(f, spec_node, "", field_spans)
    ignore: frozenset[str] = frozenset()
    annotations = meta.get("annotations") if isinstance(meta, YMap) else None
    if isinstance(annotations, YMap) and isinstance(annotations.get(IGNORE_ANNOTATION), str):
        ignore = frozenset(c.strip() for c in re.split(r"[,\s]+", annotations[IGNORE_ANNOTATION]) if c.strip())
    line, col = doc.pos("kind")
    obj = obj_cls(
        span=Span(path=f.path, line=line, column=col),
        kind=kind,
        name=name.strip(),
        spec=spec,
        field_spans=field_spans,
        ignore=ignore,
    )
    return [obj]


HANDLER = DocumentHandler(
    name="aiinfralint kinds",
    claims=claims,
    parse=parse,
    claims_text=claims_text,
)
