"""The rule API.

A rule is one class in one module. Its docstring holds the documentation sections
(``## What it does``, ``## Why is this bad?``, ``## How the estimate is computed``,
``## How to fix``, ``## Options``, ``## References``), its ``examples`` hold a bad and a
good input that one harness runs, and `rules/CODE-slug.md` is generated from both.

Rules are pure: they read the model through the context and yield findings.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from aiinfralint.config import RuleOptions
from aiinfralint.estimate import Estimator
from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.finding import Finding, Impact, Severity, Unpriced

__all__ = ["Example", "Rule", "RuleContext", "RuleOptions", "Unpriced"]

if TYPE_CHECKING:
    from aiinfralint.config import Config
    from aiinfralint.model.project import Project


@dataclass(frozen=True)
class Example:
    """An input a rule must flag (``expect`` lists the codes) or leave alone."""

    filename: str
    source: str
    expect: tuple[str, ...] = ()
    title: str = ""
    # extra files that make up the same small project (cross-file rules)
    extra_files: tuple[tuple[str, str], ...] = ()

    @property
    def is_bad(self) -> bool:
        return bool(self.expect)


@dataclass
class RuleContext:
    project: Project
    config: Config
    _cache: dict[str, Any] = field(default_factory=dict)
    _estimator: Estimator | None = field(default=None, repr=False)

    @property
    def estimator_built(self) -> bool:
        """Whether a rule used the estimator in this run."""
        return self._estimator is not None

    @property
    def estimator(self) -> Estimator:
        """The run's estimator (prices, energy, carbon), built on first use and shared by every rule."""
        if self._estimator is None:
            self._estimator = Estimator(self.config)
        return self._estimator

    def memo(self, key: str, factory: Any) -> Any:
        """Share derived indexes (pools, queues...) between rules of one run."""
        if key not in self._cache:
            self._cache[key] = factory()
        return self._cache[key]


def explain_missing_figures(declared: Iterable[Unpriced], impact: Impact) -> Impact:
    """Add the rule's reason a $ or kgCO2e figure is absent, unless the impact gives one."""
    figures = {"usd": impact.usd_per_month, "kgco2e": impact.kgco2e_per_month}
    explained = {u.kind for u in impact.unpriced}
    extra = [u for u in declared if u.kind in figures and figures[u.kind] is None and u.kind not in explained]
    if not extra:
        return impact
    return impact.model_copy(update={"unpriced": (*impact.unpriced, *extra)})


class Rule:
    code: ClassVar[str]
    slug: ClassVar[str]
    severity: ClassVar[Severity]
    # model types the rule looks at, one object at a time (empty: override check_project)
    targets: ClassVar[tuple[type[ModelObject], ...]] = ()
    # what the rule reads, for `aiinfralint rules`
    inputs: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    examples: ClassVar[tuple[Example, ...]] = ()
    # figures the rule's estimate never has, and why (added to an impact that does not say)
    unpriced: ClassVar[tuple[Unpriced, ...]] = ()

    # the rule's options: a `RuleOptions` subclass whose fields are the options (none by default)
    Options: ClassVar[type[RuleOptions]] = RuleOptions
    options: RuleOptions

    def __init__(self, options: RuleOptions | Mapping[str, Any] | None = None) -> None:
        """Options as validated by `Options` (a bad value is a `ConfigError` naming the key)."""
        if isinstance(options, self.Options):
            self.options = options
        else:
            self.options = self.Options(**dict(options or {}))

    # --- what subclasses implement -------------------------------------------------
    def check(self, obj: Any, ctx: RuleContext) -> Iterable[Finding]:
        return ()

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        for target in self.targets:
            for obj in ctx.project.of_type(target):
                yield from self.check(obj, ctx)

    # --- helpers ---------------------------------------------------------------------
    def finding(
        self,
        obj: ModelObject,
        message: str,
        *,
        remediation: str = "",
        impact: Impact | None = None,
        span: Span | None = None,
        key: str = "",
        related: Iterable[ModelObject] = (),
    ) -> Finding:
        ignore = obj.ignore.union(*[other.ignore for other in related])
        if impact is not None:
            impact = explain_missing_figures(self.unpriced, impact)
        return Finding(
            code=self.code,
            slug=self.slug,
            severity=self.severity,
            span=span or obj.span,
            message=message,
            remediation=remediation,
            impact=impact,
            logical_location=obj.display_name,
            key=key,
            object_ignore=frozenset(ignore),
        )

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def title(cls) -> str:
        if cls.summary:
            return cls.summary
        doc = cls.doc()
        return doc.splitlines()[0] if doc else cls.slug
