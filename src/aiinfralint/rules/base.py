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
from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.finding import Finding, Impact, Severity

__all__ = ["Example", "Rule", "RuleContext", "RuleOptions"]

if TYPE_CHECKING:
    from aiinfralint.config import Config
    from aiinfralint.estimate.estimator import Estimator
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
    def estimator(self) -> Estimator:
        """The run's estimator (prices, energy, carbon), built on first use and shared by every rule."""
        if self._estimator is None:
            from aiinfralint.estimate import Estimator  # measured: 17 ms a run without prompts or GPUs never needs

            self._estimator = Estimator(self.config)
        return self._estimator

    def memo(self, key: str, factory: Any) -> Any:
        """Share derived indexes (pools, queues...) between rules of one run."""
        if key not in self._cache:
            self._cache[key] = factory()
        return self._cache[key]


# Why a rule's impact has no $ or no kgCO2e figure, when the rule itself does not say:
# an estimate that is absent must say why (never a silent zero).
NO_MONEY: dict[str, str] = {
    "AIL1": "no $ figure: the loss depends on traffic and prices this prompt does not state",
    "AIL203": "no $ loss: scale-to-zero saves money; the cost is the cold-start latency (the warm-replica price is in the message)",
    "AIL204": "no $ figure: queueing delay from a mis-scaled server depends on traffic the config does not state",
    "AIL205": "no $ figure: the cost is cut streams and retries, not spend",
    "AIL206": "no $ figure: the risk is an unowned store of customer data, not spend",
    "AIL3": "no $ figure: this failure costs refused or slow requests (429s, exhausted quota, latency), not extra spend",
    "AIL4": "no $ figure: the cost is recall or latency, which the configuration does not price",
}
NO_CARBON: dict[str, str] = {
    "AIL1": "no kgCO2e figure: providers publish no energy per token for hosted models",
    "AIL203": "no kgCO2e figure: the finding is about latency, not energy",
    "AIL204": "no kgCO2e figure: scaling signals change latency, not the energy of the GPUs already running",
    "AIL205": "no kgCO2e figure: timeouts change latency, not energy",
    "AIL206": "no kgCO2e figure: scratch volumes are a data risk, not an energy one",
    "AIL3": "no kgCO2e figure: the failure changes when requests fail, not the energy they use",
    "AIL4": "no kgCO2e figure: the failure changes answer quality or latency, not energy",
}


def _reason(table: dict[str, str], code: str) -> str | None:
    for prefix in sorted(table, key=len, reverse=True):
        if code.startswith(prefix):
            return table[prefix]
    return None


def explain_missing_figures(code: str, impact: Impact) -> Impact:
    """Add the reason a $ or kgCO2e figure is absent, unless the rule gave one."""
    extra: list[str] = []
    if impact.usd_per_month is None and not any("$" in u or "price" in u or "cost" in u for u in impact.unpriced):
        why = _reason(NO_MONEY, code)
        if why:
            extra.append(why)
    if impact.kgco2e_per_month is None and not any("carbon" in u or "kgCO2e" in u or "energy" in u for u in impact.unpriced):
        why = _reason(NO_CARBON, code)
        if why:
            extra.append(why)
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
            impact = explain_missing_figures(self.code, impact)
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
