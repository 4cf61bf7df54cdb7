"""`aiinfralint schema`: JSON Schema of the own kinds, generated from the pydantic models."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from aiinfralint.cli import main
from aiinfralint.schema import all_kinds_schema, kind_names, kind_schema

jsonschema = pytest.importorskip("jsonschema")


def _own_docs(root):
    from aiinfralint.yamlsafe import load_documents

    for p in sorted(root.rglob("*.yaml")):
        if "own-kinds-invalid" in p.parts:
            continue
        text = p.read_text(encoding="utf-8")
        if "aiinfralint/v1" not in text:
            continue
        for doc in load_documents(text):
            if isinstance(doc, dict) and doc.get("apiVersion") == "aiinfralint/v1":
                yield p, json.loads(json.dumps(doc))


def test_every_kind_has_a_valid_schema():
    assert set(kind_names()) == {"QuotaContract", "AIFeature", "VectorIndex"}
    jsonschema.Draft202012Validator.check_schema(all_kinds_schema())
    for kind in kind_names():
        schema = kind_schema(kind)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["kind"] == {"const": kind}


def test_fixture_documents_validate_against_the_schema():
    validator = jsonschema.Draft202012Validator(all_kinds_schema())
    docs = list(_own_docs(FIXTURES))
    assert len(docs) >= 10
    for path, doc in docs:
        errors = list(validator.iter_errors(doc))
        assert not errors, f"{path}: {errors[0].message}"


def test_schema_rejects_unknown_keys_and_bad_enums():
    validator = jsonschema.Draft202012Validator(kind_schema("QuotaContract"))
    doc = {
        "apiVersion": "aiinfralint/v1",
        "kind": "QuotaContract",
        "metadata": {"name": "x"},
        "spec": {"provider": "openai", "budget": {"amount": 10, "period": "fortnightly"}, "bogus": 1},
    }
    messages = " ".join(e.message for e in validator.iter_errors(doc))
    assert "fortnightly" in messages
    assert "bogus" in messages


def test_keys_are_camel_case():
    text = json.dumps(kind_schema("AIFeature"))
    for key in ("tokensPerRequest", "p99Ms", "fallbackModels", "timeoutMs", "kgco2ePerMonth"):
        assert f'"{key}"' in text


def test_cli_schema(capsys):
    assert main(["schema"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["oneOf"]) == 3
    assert main(["schema", "vectorindex"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["title"] == "VectorIndex"
    assert main(["schema", "Nope"]) == 2
    assert "unknown kind" in capsys.readouterr().err


def test_documented_examples_are_valid(run_check):
    import re

    from conftest import ROOT

    text = (ROOT / "docs" / "kinds.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 3
    files = {f"example{i}.yaml": b for i, b in enumerate(blocks)}
    result = run_check(files)
    assert not [f.message for f in result.findings if f.code == "AIL000"]
    assert len(result.project) == 3
    validator = jsonschema.Draft202012Validator(all_kinds_schema())
    from aiinfralint.yamlsafe import load_documents

    for b in blocks:
        doc = json.loads(json.dumps(next(load_documents(b))))
        assert not list(validator.iter_errors(doc))
