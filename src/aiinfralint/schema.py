"""JSON Schema of the project's own kinds (`apiVersion: aiinfralint/v1`), for editors.

The pydantic spec models are the single source: `aiinfralint schema` prints one document
that validates any of the kinds (a `oneOf` keyed by `kind`), `aiinfralint schema KIND`
prints the schema of one kind. Point the YAML language server at it with
`# yaml-language-server: $schema=aiinfralint-kinds.schema.json`.

The parser accepts every key in camelCase (`tokensPerRequest`, the documented spelling)
and in snake_case (`tokens_per_request`), but not both in one mapping: the schema says
the same, so an editor does not flag a document `check` reads.
"""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel

from aiinfralint.model.provider import AIFeatureSpec, Metadata, QuotaContractSpec
from aiinfralint.model.retrieval import VectorIndexSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://github.com/aiinfralint/aiinfralint/schemas/aiinfralint-v1.json"


def _specs() -> dict[str, type[BaseModel]]:
    return {"QuotaContract": QuotaContractSpec, "AIFeature": AIFeatureSpec, "VectorIndex": VectorIndexSpec}


def kind_names() -> tuple[str, ...]:
    return tuple(_specs())


def resolve_kind(name: str) -> str | None:
    """The kind's canonical name for a case-insensitive spelling, or None."""
    for kind in _specs():
        if kind.lower() == name.strip().lower():
            return kind
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation names (`Retrieval | None`, `list[TrafficSegment]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _key_spellings(root: type[BaseModel]) -> dict[str, list[tuple[str, str]]]:
    """Per model reachable from `root`: (alias, field name) of each field read under both keys."""
    out: dict[str, list[tuple[str, str]]] = {}
    stack = [root]
    while stack:
        cls = stack.pop()
        if cls.__name__ in out:
            continue
        by_name = bool(cls.model_config.get("populate_by_name") or cls.model_config.get("validate_by_name"))
        pairs: list[tuple[str, str]] = []
        for name, field in cls.model_fields.items():
            if by_name and field.alias and field.alias != name:
                pairs.append((field.alias, name))
            stack.extend(_models_in(field.annotation))
        out[cls.__name__] = pairs
    return out


def _accept_field_names(definition: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
    """Let one object schema take each aliased key under its field name too, never both at once."""
    props: dict[str, Any] = definition.get("properties", {})
    present = [(alias, name) for alias, name in pairs if alias in props]
    if not present:
        return
    required: list[str] = definition.get("required", [])
    rules: list[dict[str, Any]] = []
    widened: dict[str, Any] = {}
    for key, sub in props.items():
        widened[key] = sub
        name = next((n for a, n in present if a == key), None)
        if name is None:
            continue
        note = f"same as `{key}`"
        widened[name] = {**sub, "description": f"{sub['description']} ({note})" if "description" in sub else note}
        rules.append({"not": {"required": [key, name]}})
        if key in required:
            required.remove(key)
            rules.append({"anyOf": [{"required": [key]}, {"required": [name]}]})
    definition["properties"] = widened
    if "required" in definition and not required:
        del definition["required"]
    definition["allOf"] = [*definition.get("allOf", []), *rules]


def _document(kind: str, spec_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": kind,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "aiinfralint/v1"},
            "kind": {"const": kind},
            "metadata": {"$ref": "#/$defs/Metadata"},
            "spec": {"$ref": spec_ref},
        },
    }


def kind_schema(kind: str) -> dict[str, Any]:
    """Schema of one kind's whole document (apiVersion, kind, metadata, spec)."""
    spec_cls = _specs()[kind]
    spec = spec_cls.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = dict(spec.pop("$defs", {}))
    defs[f"{kind}Spec"] = spec
    for name, pairs in _key_spellings(spec_cls).items():
        if name in defs:
            _accept_field_names(defs[name], pairs)
    defs["Metadata"] = _metadata()
    doc = _document(kind, f"#/$defs/{kind}Spec")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID.replace("v1.json", f"v1-{kind}.json"),
        **doc,
        "$defs": dict(sorted(defs.items())),
    }


def _metadata() -> dict[str, Any]:
    schema = Metadata.model_json_schema(by_alias=True)
    schema.pop("$defs", None)
    schema["description"] = 'name (required), namespace, labels and annotations (aiinfralint/ignore: "AIL301")'
    return schema


def all_kinds_schema() -> dict[str, Any]:
    """One schema accepting any own-kind document, dispatched on `kind`."""
    defs: dict[str, Any] = {"Metadata": _metadata()}
    one_of = []
    for kind in _specs():
        sub = kind_schema(kind)
        for name, d in sub["$defs"].items():
            defs.setdefault(name, d)
        defs[kind] = _document(kind, f"#/$defs/{kind}Spec")
        one_of.append({"$ref": f"#/$defs/{kind}"})
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "aiinfralint own kinds (aiinfralint/v1)",
        "oneOf": one_of,
        "$defs": dict(sorted(defs.items())),
    }


def render(kind: str | None = None) -> str:
    schema = kind_schema(kind) if kind else all_kinds_schema()
    return json.dumps(schema, indent=2, sort_keys=False, default=str) + "\n"
