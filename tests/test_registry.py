"""Explicit registry and third-party rules through the `aiinfralint.rules` entry points."""

from __future__ import annotations

from typing import ClassVar

from aiinfralint.model.finding import Severity
from aiinfralint.rules import registry
from aiinfralint.rules.base import Rule


class _PluginRule(Rule):
    """A third-party rule.

    ## What it does
    Nothing.
    """

    code: ClassVar[str] = "XYZ001"
    slug: ClassVar[str] = "plugin-rule"
    severity: ClassVar[Severity] = Severity.INFO


class _EP:
    def load(self):
        return [_PluginRule]


def test_plugin_rules_are_loaded(monkeypatch):
    import importlib.metadata as md

    monkeypatch.setattr(md, "entry_points", lambda group=None: [_EP()] if group == registry.ENTRY_POINT_GROUP else [])
    registry.plugin_rules.cache_clear()
    try:
        assert _PluginRule in registry.all_rules()
        assert registry.find_rule("plugin-rule") is _PluginRule
    finally:
        registry.plugin_rules.cache_clear()


def test_every_rule_module_is_registered():
    """A rule class that exists in the package but is not in a family's RULES is a bug."""
    import importlib
    import inspect
    import pkgutil

    import aiinfralint.rules as pkg

    registered = set(registry.builtin_rules())
    found = set()
    for mod in pkgutil.walk_packages(pkg.__path__, prefix="aiinfralint.rules."):
        module = importlib.import_module(mod.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__ and hasattr(obj, "code"):
                found.add(obj)
    assert found - registered == set()


def test_a_kubernetes_file_loads_only_the_handlers_its_text_needs():
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from aiinfralint.parsers.files import parse_bytes\n"
        "out = parse_bytes('deploy.yaml', b'apiVersion: v1\\nkind: Service\\nmetadata:\\n  name: s\\n')\n"
        "assert out.objects\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('aiinfralint.'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    mods = set(json.loads(proc.stdout))
    assert "aiinfralint.parsers.kubernetes" in mods
    assert not mods & {
        "aiinfralint.parsers.litellm",
        "aiinfralint.parsers.ownkinds",
        "aiinfralint.model.provider",
        "aiinfralint.parsers.vector_search",
        "aiinfralint.model.retrieval",
    }


def test_file_parsers_claim_only_their_declared_suffixes():
    """The registry's suffix gate may skip a parser: it must never skip one that would claim."""
    from aiinfralint.parsers.base import FileInput
    from aiinfralint.parsers.registry import FILE_PARSER_MODULES, _parser
    from aiinfralint.pipeline.discovery import CANDIDATE_SUFFIXES

    # text that trips every reader's content test: LLM client, pgvector, search console
    bait = (
        'PUT _index_template/docs\n{"mappings": {"properties": {"v": {"type": "dense_vector"}}}}\n'
        "CREATE TABLE t (embedding vector(3)) PARTITION BY RANGE (created_at);\n"
        "import openai\nclient = openai.OpenAI()\nclient.chat.completions.create(messages=[])\n"
        "You are a helpful assistant. Today is {{ today }}.\n"
    )
    suffixes = sorted(CANDIDATE_SUFFIXES | {".http", ".es", ".console", ".rest", ".toml", ".cfg"})
    for module, declared in FILE_PARSER_MODULES:
        parser = _parser(module)
        for suffix in suffixes:
            for path in (f"x{suffix}", f"prompts/x{suffix}", f"app/prompts/skprompt{suffix}"):
                if parser.claims(FileInput(path, bait)):
                    assert suffix in declared, (module, path)
