"""The explicit registry of rules, plus third-party rules from entry points.

Each family module (``rules/<family>/__init__.py``) lists its rule classes in
``RULES``; this module lists the families.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterable
from functools import cache

from aiinfralint.rules.base import Rule
from aiinfralint.selectors import selector_matches

FAMILIES: tuple[str, ...] = (
    "aiinfralint.rules.core",
    "aiinfralint.rules.prompt",
    "aiinfralint.rules.k8s",
    "aiinfralint.rules.provider",
    "aiinfralint.rules.retrieval",
    "aiinfralint.rules.carbon",
)

ENTRY_POINT_GROUP = "aiinfralint.rules"


@cache
def builtin_rules() -> tuple[type[Rule], ...]:
    rules: list[type[Rule]] = []
    for fam in FAMILIES:
        rules.extend(importlib.import_module(fam).RULES)
    return tuple(sorted(rules, key=lambda r: r.code))


@cache
def plugin_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception:  # a broken plugin must not break the linter
            continue
        items = obj if isinstance(obj, (list, tuple)) else [obj]
        found.extend(r for r in items if isinstance(r, type) and issubclass(r, Rule))
    return tuple(found)


def all_rules() -> tuple[type[Rule], ...]:
    seen: dict[str, type[Rule]] = {}
    for rule in (*builtin_rules(), *plugin_rules()):
        seen.setdefault(rule.code, rule)
    return tuple(sorted(seen.values(), key=lambda r: r.code))


def find_rule(name: str) -> type[Rule] | None:
    key = name.strip()
    for rule in all_rules():
        if rule.code.upper() == key.upper() or rule.slug == key.lower():
            return rule
    return None


def matches(rule: type[Rule], selectors: Iterable[str]) -> bool:
    """True if any selector names the rule by code, slug or code prefix (``AIL2``)."""
    return any(selector_matches(s, rule.code, rule.slug) for s in selectors)
