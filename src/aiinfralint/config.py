"""`[tool.aiinfralint]` in pyproject.toml or `.aiinfralint.toml`: discovery and validation.

Keys may be written kebab-case (`fail-on`, as in ruff) or snake_case.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiinfralint.configfile import ConfigError, find_config
from aiinfralint.model.finding import Severity

__all__ = ["Config", "ConfigError", "find_config", "load", "load_file"]

FailOn = Literal["error", "warning", "info", "never"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrafficConfig(_Section):
    """Traffic assumptions used by estimates when the config files do not say."""

    calls_per_day: int = Field(default=10_000, ge=0, description="default calls per day per prompt")
    # calls per day by prompt name or path glob
    prompts: dict[str, int] = {}
    # hours per day a GPU workload runs when nothing says (serving workloads: 24)
    gpu_utilisation: float = Field(default=0.6, ge=0.0, le=1.0)
    region: str | None = None


class PricingConfig(_Section):
    """Overrides and extra rows for the shipped data tables (same columns as the tables)."""

    models: dict[str, dict[str, Any]] = {}
    gpus: dict[str, dict[str, Any]] = {}
    instances: dict[str, dict[str, Any]] = {}
    grid: dict[str, dict[str, Any]] = {}
    pue: dict[str, float] = {}
    # energy per request of hosted model APIs, by vendor (openai, anthropic, gemini ...)
    inference_energy: dict[str, dict[str, Any]] = {}


class PromptConfig(_Section):
    token_budget: int | None = Field(default=None, ge=1, description="AIL104: max static prefix tokens")
    models: list[str] = []


class Config(_Section):
    select: list[str] = []
    ignore: list[str] = []
    extend_select: list[str] = []
    per_file_ignores: dict[str, list[str]] = {}
    severity: dict[str, Severity] = {}
    exclude: list[str] = []
    respect_gitignore: bool = True
    # seconds one file may take to parse before it is reported (AIL000) and not checked
    parse_timeout: float = Field(default=10.0, gt=0, le=3600, allow_inf_nan=False)
    fail_on: FailOn = "warning"
    # "realtime" business window used by AIL202, e.g. "08:00-20:00 America/New_York"
    peak_windows: dict[str, str] = {}
    # per-rule options, keyed by code or slug
    rules: dict[str, dict[str, Any]] = {}
    traffic: TrafficConfig = TrafficConfig()
    pricing: PricingConfig = PricingConfig()
    prompt: PromptConfig = PromptConfig()
    # baseline file (relative to the config file) applied like --baseline
    baseline: str | None = None
    source: str | None = Field(default=None, exclude=True)

    def baseline_path(self) -> str | None:
        if not self.baseline:
            return None
        if self.source and not Path(self.baseline).is_absolute():
            return str(Path(self.source).parent / self.baseline)
        return self.baseline

    def rule_options(self, code: str, slug: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        merged.update(self.rules.get(slug, {}))
        merged.update(self.rules.get(code, {}))
        return merged


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            # keys that are data (codes, globs, model names) keep their spelling
            nk = k.replace("-", "_") if k.replace("-", "_").isidentifier() and not k[:1].isupper() else k
            out[nk] = v if nk in _DATA_KEYS else _normalise(v)
        return out
    return value


_DATA_KEYS = frozenset({"per_file_ignores", "severity", "prompts", "models", "gpus", "instances", "grid", "pue", "inference_energy", "peak_windows", "rules"})


def _from_mapping(data: dict[str, Any], source: str) -> Config:
    try:
        cfg = Config.model_validate({**_normalise(data)})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {loc}: {err['msg']}")
        raise ConfigError(f"invalid configuration in {source}:\n" + "\n".join(lines)) from None
    return cfg.model_copy(update={"source": source})


def load_file(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    section = data.get("tool", {}).get("aiinfralint")
    if path.name == "pyproject.toml":
        return _from_mapping(section or {}, str(path))
    return _from_mapping(section if section is not None else data, str(path))


def load(explicit: str | None, cwd: Path) -> Config:
    if explicit:
        return load_file(Path(explicit))
    found = find_config(cwd)
    return load_file(found) if found else Config()
