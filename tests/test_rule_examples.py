"""One harness for every rule's embedded examples (bad ones flag, good ones stay silent)."""

from __future__ import annotations

import pytest

from aiinfralint.rules.registry import builtin_rules

EXAMPLES = [(r, i, ex) for r in builtin_rules() for i, ex in enumerate(r.examples)]


@pytest.mark.parametrize("rule,index,example", EXAMPLES, ids=[f"{r.code}-{i}" for r, i, _ in EXAMPLES])
def test_rule_example(rule, index, example, run_check):
    files = {example.filename: example.source, **dict(example.extra_files)}
    result = run_check(files)
    codes = sorted(f.code for f in result.findings if f.code == rule.code or f.code == "AIL000")
    assert codes == sorted(example.expect), [f.message for f in result.findings]


@pytest.mark.parametrize("rule", builtin_rules(), ids=lambda r: r.code)
def test_rule_is_documented(rule):
    doc = rule.doc()
    for section in ("## What it does", "## Why is this bad?", "## How to fix"):
        assert section in doc, f"{rule.code} docstring lacks {section!r}"
    assert any(ex.is_bad for ex in rule.examples), f"{rule.code} has no bad example"
    assert any(not ex.is_bad for ex in rule.examples), f"{rule.code} has no good example"


def test_codes_and_slugs_unique():
    rules = builtin_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.slug for r in rules}) == len(rules)


def test_rule_pages_are_current():
    from conftest import ROOT

    from aiinfralint.docs import expected_pages

    stale = []
    for name, text in expected_pages().items():
        page = ROOT / "rules" / name
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            stale.append(name)
    assert not stale, f"regenerate with `python -m aiinfralint.docs rules`: {stale}"
