"""The safe YAML loader is a low-level module: the parsers and the estimate tables share it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aiinfralint import yamlsafe
from aiinfralint.estimate import tables


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_the_loader_imports_nothing_else_of_the_package():
    loaded = _modules_after("import aiinfralint.yamlsafe")
    assert {m for m in loaded if m.startswith("aiinfralint.")} == {"aiinfralint.yamlsafe"}


def test_ruamel_is_not_imported_while_libyaml_composes():
    if yamlsafe._libyaml_loader_class() is None:
        pytest.skip("PyYAML is built without libyaml")
    loaded = _modules_after("from aiinfralint.yamlsafe import load_documents; list(load_documents('a: 1'))")
    assert "ruamel.yaml" not in loaded


def test_parsers_see_the_same_loader():
    from aiinfralint.parsers import files, prompt_files

    assert files.load_documents is yamlsafe.load_documents
    assert prompt_files.YamlError is yamlsafe.YamlError


def test_estimate_tables_load_through_the_safe_loader(monkeypatch):
    calls: list[str] = []
    real = yamlsafe.load_documents

    def spy(text: str):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(yamlsafe, "load_documents", spy)
    tables.load_table.cache_clear()
    try:
        tables.load_table("gpus")
    finally:
        tables.load_table.cache_clear()
    assert len(calls) == 1


@pytest.mark.parametrize("libyaml", [None, False])
def test_broken_yaml_is_a_yamlerror_with_a_position_on_both_composers(monkeypatch, libyaml):
    monkeypatch.setattr(yamlsafe, "USE_LIBYAML", libyaml)
    with pytest.raises(yamlsafe.YamlError) as info:
        list(yamlsafe.load_documents("a: 1\nb: [1, 2\n"))
    assert info.value.message.startswith("invalid YAML: ")
    assert info.value.line >= 2


@pytest.mark.parametrize("libyaml", [None, False])
def test_a_control_character_is_a_reader_error_with_its_position(monkeypatch, libyaml):
    monkeypatch.setattr(yamlsafe, "USE_LIBYAML", libyaml)
    with pytest.raises(yamlsafe.YamlError) as info:
        list(yamlsafe.load_documents("a: 1\nb: \x07\n"))
    assert "unacceptable character #x0007" in info.value.message
    assert (info.value.line, info.value.column) == (2, 4)
