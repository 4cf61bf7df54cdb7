"""JSON Schema of the project's own kinds (`apiVersion: aiinfralint/v1`), for editors.

The pydantic spec models are the single source: `aiinfralint schema` prints one document
that validates any of the kinds (a `oneOf` keyed by `kind`), `aiinfralint schema KIND`
prints the schema of one kind. Point the YAML language server at it with
`# yaml-language-server: $schema=aiinfralint-kinds.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://github.com/aiinfralint/aiinfralint/schemas/aiinfralint-v1.json"


def _specs() -> dict[str, type[BaseModel]]:
    from aiinfralint.model.provider import AIFeatureSpec, QuotaContractSpec
    from aiinfralint.model.retrieval import VectorIndexSpec

    return {"QuotaContract": QuotaContractSpec, "AIFeature": AIFeatureSpec, "VectorIndex": VectorIndexSpec}


def kind_names() -> tuple[str, ...]:
    return tuple(_specs())


def resolve_kind(name: str) -> str | None:
    """The kind's canonical name for a case-insensitive spelling, or None."""
    for kind in _specs():
        if kind.lower() == name.strip().lower():
            return kind
    return None


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
    defs["Metadata"] = _metadata()
    doc = _document(kind, f"#/$defs/{kind}Spec")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID.replace("v1.json", f"v1-{kind}.json"),
        **doc,
        "$defs": dict(sorted(defs.items())),
    }


def _metadata() -> dict[str, Any]:
    from aiinfralint.model.provider import Metadata

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
