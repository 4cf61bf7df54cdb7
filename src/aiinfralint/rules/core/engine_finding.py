"""Findings the engine produces itself, declared like rules.

AIL000 (a file that cannot be parsed), AIL001 and AIL002 (suppressions that silence
nothing or have expired) are not about the model, so no rule can find them: the engine
reports them while parsing and after suppressing (`engine.run`, `suppression_findings.judge_suppressions`). They
are declared here, with code, slug, severity, docs and examples, so that `rules`,
`explain`, `--select`/`--ignore`, severity overrides and the rule pages treat them like
any rule. The engine never runs them: it leaves every `EngineFinding` out of the rules it
runs, and `check_project` raises if anything tries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding
from aiinfralint.rules.base import Rule, RuleContext


class EngineFinding(Rule):
    """A finding the engine reports itself; the class only declares it (no check)."""

    engine_finding: ClassVar[bool] = True

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        raise TypeError(f"{self.code} {self.slug} is reported by the engine; it is not run as a rule")

    @classmethod
    def make(cls, span: Span, message: str, remediation: str, key: str, logical_location: str | None = None) -> Finding:
        return Finding(
            code=cls.code,
            slug=cls.slug,
            severity=cls.severity,
            span=span,
            message=message,
            remediation=remediation,
            logical_location=logical_location,
            key=key,
        )


def is_engine_finding(rule: type[Rule]) -> bool:
    return issubclass(rule, EngineFinding)
