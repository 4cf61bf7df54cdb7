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
