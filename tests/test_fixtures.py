"""Every fixture case reports exactly the findings its `expect` markers announce."""

from __future__ import annotations

import pytest
from conftest import FIXTURES
from fixture_harness import actual_findings, expected_markers, fixture_cases

CASES = fixture_cases(FIXTURES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_case(case):
    want = expected_markers(case)
    got = actual_findings(case)
    missing = want - got
    unexpected = got - want
    assert not missing and not unexpected, f"missing={sorted(missing)} unexpected={sorted(unexpected)}"


def test_every_rule_has_bad_and_good_fixture():
    from aiinfralint.rules.registry import builtin_rules

    flagged = set()
    for case in CASES:
        for _, _, code in expected_markers(case):
            flagged.add(code)
    good_cases = [c for c in CASES if not expected_markers(c)]
    missing = [r.code for r in builtin_rules() if r.code not in flagged]
    assert not missing, f"rules without a bad fixture: {missing}"
    assert good_cases, "no good (silent) fixture case"
