"""What the gate (`--diff`, baselines) produces: plain result types.

`diffmode` builds them; reporters read them (under TYPE_CHECKING only, so a plain check
imports neither this module nor `diffmode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from aiinfralint.model.finding import Finding
from aiinfralint.pipeline.engine import RunResult


@dataclass(frozen=True)
class PromptTokens:
    """Static-prefix tokens of one prompt on each side (None: absent on that side)."""

    path: str
    name: str
    base: int | None
    head: int | None

    @property
    def delta(self) -> int:
        return (self.head or 0) - (self.base or 0)


@dataclass
class Delta:
    usd_base: Decimal = Decimal(0)
    usd_head: Decimal = Decimal(0)
    kgco2e_base: Decimal = Decimal(0)
    kgco2e_head: Decimal = Decimal(0)
    prompts: list[PromptTokens] = field(default_factory=list)

    @property
    def usd_per_month(self) -> Decimal:
        return self.usd_head - self.usd_base

    @property
    def kgco2e_per_month(self) -> Decimal:
        return self.kgco2e_head - self.kgco2e_base

    @property
    def prompt_tokens(self) -> int:
        return sum(p.delta for p in self.prompts)


@dataclass(frozen=True)
class ConfigChange:
    """One difference between the base's and the head's effective configuration."""

    key: str  # "ignore", "severity.AIL201", "configuration file"
    change: str  # "ignore += ALL"
    effect: str = ""  # "switches off every rule", "no file is checked"
    switches_off: bool = False  # rules or files the base checked are no longer checked

    def __str__(self) -> str:
        return f"{self.change} ({self.effect})" if self.effect else self.change


@dataclass
class DiffReport:
    base_ref: str
    base_commit: str
    added: list[Finding]
    fixed: list[Finding]
    unchanged: int
    delta: Delta
    config_changes: list[ConfigChange] = field(default_factory=list)
    # the threshold a configuration change is judged against: --fail-on, else the base's
    fail_on: str = "warning"

    @property
    def switched_off(self) -> list[ConfigChange]:
        return [c for c in self.config_changes if c.switches_off]


@dataclass
class GateResult(RunResult):
    """A run after the gate: `findings` are what is reported (new, not baselined)."""

    diff: DiffReport | None = None
    baselined: list[Finding] = field(default_factory=list)
    baseline_path: str | None = None
    baseline_stale: int = 0
    baseline_written: str | None = None
