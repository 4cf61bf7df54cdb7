"""What the gate (`--diff`, baselines) produces: plain result types.

`diffmode` builds them; reporters read them (under TYPE_CHECKING only, so a plain check
imports neither this module nor `diffmode`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from aiinfralint.model.finding import Finding
from aiinfralint.pipeline.engine import RunResult


def identity(f: Finding, path: str | None = None) -> str:
    """What the gate compares: rule, file, object and the offending value or key.

    Never the message: a finding whose wording changes is the same finding. A finding
    without a key is identified by rule and object alone (`matches` numbers repeats).
    `path` replaces the finding's path (a baseline anchors paths to its own folder).
    """
    raw = f"{f.code}|{f.span.path if path is None else path}|{f.logical_location or ''}|{f.key}"
    return "id:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def numbered(ids: Sequence[str]) -> list[str]:
    """Repeats of one identity in one run numbered in order (`id`, `id:1`, `id:2`...)."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        n = seen.get(i, 0)
        seen[i] = n + 1
        out.append(i if n == 0 else f"{i}:{n}")
    return out


@dataclass
class Matched:
    """Two runs' findings paired by identity."""

    added: list[Finding]
    fixed: list[Finding]
    unchanged: list[Finding]


def offending_value(base_key: str, head_key: str) -> str:
    """The part of `head_key` that names its offending value: from the last `:` the keys share.

    `support:today` → `support:user.tier` gives `user.tier`.
    """
    shared = next((i for i, (a, b) in enumerate(zip(base_key, head_key)) if a != b), min(len(base_key), len(head_key)))
    return head_key[head_key.rfind(":", 0, shared) + 1 :]


def match(
    base: Sequence[Finding], head: Sequence[Finding], in_base: Callable[[Finding, str], bool] | None = None
) -> Matched:
    """Pair the findings of two runs: same identity first, then same rule and object.

    A head finding whose key changed on an object that had a finding of the same rule
    in the base, and whose offending value was already there (`{{ today }}` removed,
    `{{ user.tier }}` now the first volatile value), is not new: it is counted
    unchanged, and the base finding, whose offending value is gone, is counted fixed.
    A value the base did not have (`{{ today }}` replaced by `{{ now }}`) is new.
    `in_base(head finding, value)` says whether the value occurs in the base's version
    of the finding's file (None: assume it does).
    """
    base_ids = dict(zip(numbered([identity(f) for f in base]), base, strict=True))
    head_ids = numbered([identity(f) for f in head])
    unchanged: list[Finding] = []
    loose: list[Finding] = []
    for key, f in zip(head_ids, head, strict=True):
        if base_ids.pop(key, None) is not None:
            unchanged.append(f)
        else:
            loose.append(f)
    fixed = list(base_ids.values())
    by_object: dict[tuple[str, str, str], list[Finding]] = {}
    for g in fixed:
        by_object.setdefault((g.code, g.span.path, g.logical_location or ""), []).append(g)
    added: list[Finding] = []
    for f in loose:
        gone = by_object.get((f.code, f.span.path, f.logical_location or ""), []) if f.logical_location else []
        pair = next((g for g in gone if in_base is None or in_base(f, offending_value(g.key, f.key))), None)
        if pair is not None:
            gone.remove(pair)
            unchanged.append(f)
        else:
            added.append(f)
    return Matched(added, fixed, unchanged)


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


@dataclass(frozen=True)
class SpendChange:
    """One inventory item (GPU workload, prompt, AI feature) whose spend or carbon changed.

    None on a side: the object is absent there, or that figure could not be estimated.
    """

    category: str  # "gpu-workload", "prompt", "feature"
    path: str
    name: str
    basis_base: str | None
    basis_head: str | None
    usd_base: Decimal | None
    usd_head: Decimal | None
    kgco2e_base: Decimal | None
    kgco2e_head: Decimal | None

    @property
    def status(self) -> str:
        if self.basis_base is None:
            return "added"
        return "removed" if self.basis_head is None else "changed"

    @property
    def usd_per_month(self) -> Decimal:
        return (self.usd_head or Decimal(0)) - (self.usd_base or Decimal(0))

    @property
    def kgco2e_per_month(self) -> Decimal:
        return (self.kgco2e_head or Decimal(0)) - (self.kgco2e_base or Decimal(0))


@dataclass(frozen=True)
class Stakes:
    """What the findings a change adds or fixes put at stake (counted once per object)."""

    usd_per_month: Decimal = Decimal(0)
    kgco2e_per_month: Decimal = Decimal(0)
    priced: int = 0
    unpriced: int = 0


@dataclass
class Delta:
    """Spend and carbon of the inventories of base and head (`aiinfralint cost` on each side)."""

    usd_base: Decimal = Decimal(0)
    usd_head: Decimal = Decimal(0)
    kgco2e_base: Decimal = Decimal(0)
    kgco2e_head: Decimal = Decimal(0)
    prompts: list[PromptTokens] = field(default_factory=list)
    items: list[SpendChange] = field(default_factory=list)
    added_stakes: Stakes = field(default_factory=Stakes)
    fixed_stakes: Stakes = field(default_factory=Stakes)

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
    unchanged_findings: list[Finding] = field(default_factory=list)
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
