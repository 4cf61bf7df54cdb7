"""`[tool.aiinfralint]` in pyproject.toml or `.aiinfralint.toml`: discovery and validation.

Keys may be written kebab-case (`fail-on`, as in ruff) or snake_case.

Everything is checked when the file loads, so a bad value is a `ConfigError` naming the
file and the key (exit code 2), never a traceback or a silent default later: known keys
only at every level (an unknown one gets a did-you-mean), TOML types as documented,
numbers finite and within sane bounds (a pull request must not be able to feed `nan` or a
40-digit integer into the Decimal arithmetic of every rule), pricing columns that the data
tables have, peak windows and time zones that parse, rule options of the right kind.
"""

from __future__ import annotations

import contextvars
import difflib
import fnmatch
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aiinfralint.configfile import MAX_CONFIG_BYTES, ConfigError, find_config, nearest_config
from aiinfralint.fileio import read_bytes
from aiinfralint.model.finding import Severity
from aiinfralint.selectors import selector_matches
from aiinfralint.timeutil import parse_window

__all__ = ["Config", "ConfigError", "find_config", "load", "load_file", "nearest_config"]

# sane maxima: far above any real deployment, far below what breaks the arithmetic
MAX_CALLS_PER_DAY = 10**12  # ~11.6 million calls a second
MAX_TOKENS = 10**9
MAX_AMOUNT = 10**9  # any price, power, intensity or energy column
MAX_GPU_COUNT = 10**6
MAX_PUE = 10
MAX_TEXT = 10_000  # characters of any string value
MAX_OPTION = 10**9  # numeric rule options (hours, seconds, tokens, GB/s)

FAIL_ON_VALUES = ("error", "warning", "info", "never")
PEAK_WINDOW_KEYS = ("realtime", "provider")


_VALIDATING: contextvars.ContextVar[bool] = contextvars.ContextVar("aiinfralint_config_validating", default=False)


class _Problem(ValueError):
    """A validation problem below the field pydantic reports it at (`path` goes deeper)."""

    def __init__(self, message: str, path: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = tuple(path)


# --- showing values in messages ------------------------------------------------------------


def show(value: Any) -> str:
    """A value as a message may quote it: short, one line, no control characters."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 100:
            return f"a {int(value.bit_length() * 0.30103) + 1}-digit number"
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:60] + "..."
        return json.dumps(text, ensure_ascii=True)
    if isinstance(value, (date, Decimal)):
        return str(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


# --- value types ---------------------------------------------------------------------------


def _number_check(
    lo: float, hi: float, *, integer: bool = False, strings: bool = False, lo_open: bool = False
) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if strings and isinstance(value, str):
            try:
                value = Decimal(value.strip())
            except InvalidOperation:
                raise _Problem(f"must be a number, got {show(value)}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise _Problem(f"must be {'a whole number' if integer else 'a number'}, got {show(value)}")
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise _Problem(f"must be a finite number, got {value}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise _Problem(f"must be a finite number, got {show(value)}")
        if value > hi:
            raise _Problem(f"must be at most {hi:,} (a sane maximum), got {show(value)}")
        if value < lo or (lo_open and value == lo):
            if lo == 0 and not lo_open:
                raise _Problem(f"must not be negative, got {show(value)}")
            raise _Problem(f"must be {'greater than' if lo_open else 'at least'} {lo:g}, got {show(value)}")
        if integer:
            if value != int(value):
                raise _Problem(f"must be a whole number, got {show(value)}")
            return int(value)
        return float(value)

    return check


def _text_check(value: Any) -> str:
    if not isinstance(value, str):
        raise _Problem(f"must be a string, got {show(value)}")
    if len(value) > MAX_TEXT:
        raise _Problem(f"must be at most {MAX_TEXT:,} characters long, got {len(value):,}")
    return value


def _choice_check(choices: Sequence[str]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in choices:
            raise _Problem(f"must be one of {', '.join(map(repr, choices))}, got {show(value)}")
        return value

    return check


def _severity_check(value: Any) -> Severity:
    if isinstance(value, Severity):
        return value
    if not isinstance(value, str) or value not in {s.value for s in Severity}:
        raise _Problem(f"must be one of 'error', 'warning', 'info', got {show(value)}")
    return Severity(value)


def _date_or_text(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return _text_check(value)


Text = Annotated[str, BeforeValidator(_text_check)]
Count = Annotated[int, BeforeValidator(_number_check(0, MAX_CALLS_PER_DAY, integer=True))]
Amount = Annotated[float, BeforeValidator(_number_check(0, MAX_AMOUNT, strings=True))]
Pue = Annotated[float, BeforeValidator(_number_check(1, MAX_PUE, strings=True))]
Fraction = Annotated[float, BeforeValidator(_number_check(0, 1))]
TokenBudget = Annotated[int, BeforeValidator(_number_check(1, MAX_TOKENS, integer=True))]
FailOn = Annotated[str, BeforeValidator(_choice_check(FAIL_ON_VALUES))]
SeverityValue = Annotated[Severity, BeforeValidator(_severity_check)]


# --- sections ------------------------------------------------------------------------------


def _suggest(key: str, known: Sequence[str]) -> str:
    def style(k: str) -> str:
        return k if "_" in key else k.replace("_", "-")

    close = difflib.get_close_matches(key.replace("-", "_").lower(), list(known), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {style(close[0])}?"
    return f"unknown key (known: {', '.join(style(k) for k in known)})"


class _Section(BaseModel):
    # validators are built on first use: a run without a configuration file never needs them
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    def __init__(self, **data: Any) -> None:
        # a section built in code fails like a loaded file: ConfigError, not ValidationError
        # (pydantic also calls this for nested sections: those let the outer call report)
        if _VALIDATING.get():
            super().__init__(**data)
            return
        token = _VALIDATING.set(True)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(describe(exc, data, type(self))) from None
        finally:
            _VALIDATING.reset(token)

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        """Accept kebab-case spellings; refuse unknown keys with a did-you-mean."""
        if not isinstance(data, Mapping):
            raise _Problem(f"must be a table, got {show(data)}")
        known = [k for k, f in cls.model_fields.items() if not f.exclude]
        out: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise _Problem(f"keys must be strings, got {show(key)}")
            name = key.replace("-", "_")
            if name not in cls.model_fields:
                raise _Problem(_suggest(key, known), (key,))
            if name in out:
                raise _Problem(f"given twice (as {spelled[name]} and {key})", (key,))
            out[name] = value
            spelled[name] = key
        return out


class TrafficConfig(_Section):
    """Traffic assumptions used by estimates when the config files do not say."""

    calls_per_day: Count = Field(default=10_000, description="default calls per day per prompt")
    # calls per day by prompt name or path glob
    prompts: dict[Text, Count] = {}
    # hours per day a GPU workload runs when nothing says (serving workloads: 24)
    gpu_utilisation: Fraction = 0.6
    region: Text | None = None


def _strings(value: Any) -> Any:
    if not isinstance(value, list):
        raise _Problem(f"must be an array of strings, got {show(value)}")
    for item in value:
        _text_check(item)
    return value


def _flag(value: Any) -> Any:
    if not isinstance(value, bool):
        raise _Problem(f"must be true or false, got {show(value)}")
    return value


def _amounts(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise _Problem(f"must be a table, got {show(value)}")
    for key, amount in value.items():
        try:
            _AMOUNT(amount)
        except _Problem as exc:
            raise _Problem(exc.message, (str(key),)) from None
    return dict(value)


_AMOUNT = _number_check(0, MAX_AMOUNT, strings=True)
# How each kind of column in the estimate tables' `columns` headers is checked (the columns
# themselves come from the shipped tables: estimate.tables.override_columns).
COLUMN_CHECKS: dict[str, Callable[[Any], Any]] = {
    "amount": _AMOUNT,
    "gpu-count": _number_check(0, MAX_GPU_COUNT, strings=True, lo_open=True),
    "text": _text_check,
    "texts": _strings,
    "date": _date_or_text,
    "flag": _flag,
    "amounts": _amounts,
}


class PricingConfig(_Section):
    """Overrides and extra rows for the shipped data tables (same columns as the tables)."""

    models: dict[str, dict[str, Any]] = {}
    gpus: dict[str, dict[str, Any]] = {}
    instances: dict[str, dict[str, Any]] = {}
    grid: dict[str, dict[str, Any]] = {}
    pue: dict[Text, Pue] = {}
    # energy per request of hosted model APIs, by vendor (openai, anthropic, gemini ...)
    inference_energy: dict[str, dict[str, Any]] = {}

    @field_validator("models", "gpus", "instances", "grid", "inference_energy", mode="before")
    @classmethod
    def _rows(cls, value: Any, info: ValidationInfo) -> dict[str, dict[str, Any]]:
        """Rows keyed by name, columns the table has (kebab-case accepted), values checked."""
        # lazy: the estimate package (25 ms) loads only for a configuration with [pricing] rows
        from aiinfralint.estimate.tables import override_columns

        columns = override_columns(str(info.field_name))
        if not isinstance(value, Mapping):
            raise _Problem(f"must be a table, got {show(value)}")
        rows: dict[str, dict[str, Any]] = {}
        for key, row in value.items():
            _text_check(key)
            if not isinstance(row, Mapping):
                raise _Problem(f"must be a table of columns, got {show(row)}", (key,))
            clean: dict[str, Any] = {}
            for col, cell in row.items():
                name = str(col).replace("-", "_")
                if name not in columns:
                    raise _Problem(_suggest(str(col), list(columns)), (key, str(col)))
                if name in clean:
                    raise _Problem("given twice", (key, str(col)))
                try:
                    clean[name] = COLUMN_CHECKS[columns[name]](cell)
                except _Problem as exc:
                    raise _Problem(exc.message, (key, str(col), *exc.path)) from None
            rows[key] = clean
        return rows

    def rows(self, table: str) -> dict[str, dict[str, Any]]:
        """The override rows of one table as plain columns (only the columns given)."""
        if table == "pue":
            return {k: {"pue": v} for k, v in self.pue.items()}
        return dict(getattr(self, table, {}))


CLOUD_VALUES = ("aws", "gcp", "azure")
Cloud = Annotated[str, BeforeValidator(_choice_check(CLOUD_VALUES))]
_REGION = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{1,63}$")


def _region_check(value: Any) -> str:
    text = _text_check(value)
    if not _REGION.match(text):
        raise _Problem(f"must be a cloud region name such as us-central1, eastus or us-east-1, got {show(value)}")
    return text


Region = Annotated[str, BeforeValidator(_region_check)]


class ClusterTarget(_Section):
    """The cloud and region GPU workloads run in, when their manifests do not say."""

    cloud: Cloud | None = None
    region: Region | None = None


class ClusterConfig(ClusterTarget):
    """`[cluster]`: cloud and region for every manifest, and per path glob (first match wins)."""

    per_path: dict[Text, ClusterTarget] = {}

    def for_path(self, path: str | None) -> tuple[str | None, str | None, str, str]:
        """(cloud, region, where the cloud came from, where the region came from) for a file."""
        cloud, region = self.cloud, self.region
        cloud_at = region_at = "[tool.aiinfralint.cluster]"
        if path:
            for glob, target in self.per_path.items():
                if fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path, f"*/{glob}"):
                    at = f"[tool.aiinfralint.cluster.per-path] {json.dumps(glob)}"
                    if target.cloud:
                        cloud, cloud_at = target.cloud, at
                    if target.region:
                        region, region_at = target.region, at
                    break
        return cloud, region, cloud_at, region_at


class PromptConfig(_Section):
    token_budget: TokenBudget | None = Field(default=None, description="AIL104: max static prefix tokens")
    models: list[Text] = []


class HelmConfig(_Section):
    """`[helm]`: the values files each chart is rendered with, besides its default values.

    Keys are chart folders relative to the configuration file's folder; values are files
    relative to the chart folder, inside it.
    """

    values: dict[Text, list[Text]] = {}

    @field_validator("values")
    @classmethod
    def _inside(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for chart, files in value.items():
            for name in [chart, *files]:
                parts = name.replace("\\", "/").split("/")
                if not name or name.startswith("/") or ".." in parts or ":" in parts[0]:
                    raise _Problem(f"must be a relative path inside the project, got {show(name)}", (chart,))
        return value


_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


def _quantity_check(value: Any) -> str:
    text = _text_check(value)
    if not _QUANTITY.match(text) or not Decimal(re.sub(r"[A-Za-z]+$", "", text)):
        raise _Problem(f'must be a positive Kubernetes quantity such as "10Gi", got {show(value)}')
    return text


class FixConfig(_Section):
    """`[fix]`: the values `check --fix` writes."""

    # the sizeLimit an AIL206 fix gives an agent's scratch emptyDir
    scratch_size_limit: Annotated[str, BeforeValidator(_quantity_check)] = "10Gi"
    # seconds an AIL205 fix sets on the proxy in front of a streaming LLM server (default: the
    # rule's own min-timeout-seconds, so the fixed route is exactly long enough not to be reported)
    streaming_timeout: float | None = Field(default=None, gt=0, le=366 * 86_400, allow_inf_nan=False)


# --- rule options --------------------------------------------------------------------------


class RuleOptions(_Section):
    """The options of one rule: each rule with options subclasses this as its `Options`.

    Keys may be written kebab-case or snake_case; an unknown key gets a did-you-mean, a wrong
    type or an out-of-range value is a `ConfigError` naming the key. The rule's page lists the
    fields (name, type, default, description), so every field needs a `description`.
    """


def _plain_option(value: Any) -> Any:
    """A rule option before its rule is known: a plain, finite, bounded TOML value.

    The rule's own `Options` model checks names and types once the rules are imported
    (`check_rule_keys`); this keeps absurd values out even of the first pass.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_check(-MAX_OPTION, MAX_OPTION)(value)
    if isinstance(value, list):
        for item in value:
            _plain_option(item)
        return value
    if isinstance(value, (str, bool)):
        return _text_check(value) if isinstance(value, str) else value
    raise _Problem(f"must be a number, string, boolean or array, got {show(value)}")


# --- the configuration ---------------------------------------------------------------------


class Config(_Section):
    select: list[Text] = []
    ignore: list[Text] = []
    extend_select: list[Text] = []
    per_file_ignores: dict[Text, list[Text]] = {}
    severity: dict[Text, SeverityValue] = {}
    exclude: list[Text] = []
    respect_gitignore: bool = True
    # seconds one file may take to parse before it is reported (AIL000) and not checked
    parse_timeout: float = Field(default=10.0, gt=0, le=3600, allow_inf_nan=False)
    fail_on: FailOn = "warning"
    # "realtime" business window used by AIL202, e.g. "08:00-20:00 America/New_York"
    peak_windows: dict[Text, Text] = {}
    # per-rule options, keyed by code or slug
    rules: dict[Text, dict[Text, Any]] = {}
    traffic: TrafficConfig = Field(default_factory=TrafficConfig.model_construct)
    pricing: PricingConfig = Field(default_factory=PricingConfig.model_construct)
    prompt: PromptConfig = Field(default_factory=PromptConfig.model_construct)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig.model_construct)
    helm: HelmConfig = Field(default_factory=HelmConfig.model_construct)
    fix: FixConfig = Field(default_factory=FixConfig.model_construct)
    # baseline file (relative to the config file) applied like --baseline
    baseline: Text | None = None
    source: str | None = Field(default=None, exclude=True)

    # keys whose tables hold data (codes, globs, model names): compared and shown as data
    DATA_KEYS: ClassVar[frozenset[str]] = frozenset({"per_file_ignores", "severity", "peak_windows", "rules"})

    @field_validator("peak_windows")
    @classmethod
    def _windows(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if key not in PEAK_WINDOW_KEYS:
                raise _Problem(_suggest(key, PEAK_WINDOW_KEYS), (key,))
            try:
                parse_window(text, "America/New_York" if key == "provider" else None)
            except ValueError as exc:
                raise _Problem(str(exc), (key,)) from None
        return value

    @field_validator("rules")
    @classmethod
    def _rule_options(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for key, options in value.items():
            for name, option in options.items():
                try:
                    _plain_option(option)
                except _Problem as exc:
                    raise _Problem(exc.message, (key, name)) from None
        return value

    def anchored(self, cwd: Path) -> Config:
        """This configuration with its path globs rewritten from its file's folder to `cwd`.

        `exclude` and `per-file-ignores` are written relative to the file that holds them
        (as in ruff); findings and discovery see paths relative to the working directory.
        A glob without a folder part (`vendor`, `*.prompt`) matches a name anywhere and is
        kept as it is.
        """
        if not self.source:
            return self
        home = Path(os.path.abspath(self.source)).parent
        if home == Path(os.path.abspath(cwd)):
            return self
        update: dict[str, Any] = {
            "exclude": [_anchor(g, home, cwd) for g in self.exclude],
            "per_file_ignores": {_anchor(g, home, cwd): codes for g, codes in self.per_file_ignores.items()},
            "cluster": self.cluster.model_copy(
                update={"per_path": {_anchor(g, home, cwd): t for g, t in self.cluster.per_path.items()}}
            ),
        }
        return self.model_copy(update=update)

    def baseline_path(self) -> str | None:
        if not self.baseline:
            return None
        if self.source and not Path(self.baseline).is_absolute():
            return str(Path(self.source).parent / self.baseline)
        return self.baseline

    def rule_options(self, code: str, slug: str) -> RuleOptions:
        """The validated options of one rule (`[rules.CODE]` wins over `[rules.slug]`)."""
        # lazy: the rules import this module (RuleOptions), so importing them here at load would be a cycle
        from aiinfralint.rules.registry import find_rule

        rule = find_rule(code)
        if rule is None:
            raise ConfigError(f"unknown rule {code}")
        return self.options_for(rule)

    def options_for(self, rule: Any) -> RuleOptions:
        """`rule.Options` from the rule's tables; a bad key or value is a `ConfigError` naming it."""
        model: type[RuleOptions] = getattr(rule, "Options", RuleOptions)
        merged: dict[str, Any] = {}
        tables = sorted(
            (k for k in self.rules if k.upper() == rule.code or k.lower() == rule.slug),
            key=lambda k: k.upper() == rule.code,
        )  # the code's table wins
        for key in tables:
            options = self.rules[key]
            if options and not model.model_fields:
                name = next(iter(options))
                raise ConfigError(f"{self._where('rules', key)} {_toml_key(name)}: rule {rule.code} takes no options")
            token = _VALIDATING.set(True)
            try:
                model.model_validate(options)
            except ValidationError as exc:
                raise ConfigError(
                    f"{self._shown()}{describe(exc, options, model, (*self._prefix(), 'rules', key))}"
                ) from None
            finally:
                _VALIDATING.reset(token)
            merged.update({name.replace("-", "_"): value for name, value in options.items()})
        return model(**merged)

    def _prefix(self) -> tuple[str, ...]:
        return ("tool", "aiinfralint") if self.source and Path(self.source).name == "pyproject.toml" else ()

    def _shown(self) -> str:
        return _display(Path(self.source)) + ": " if self.source else ""

    def _where(self, *section: str) -> str:
        return self._shown() + "[" + ".".join(_toml_key(p) for p in (*self._prefix(), *section)) + "]"


def _anchor(glob: str, home: Path, cwd: Path) -> str:
    """A glob relative to `home` (a config file's folder) as a glob relative to `cwd`."""
    plain = glob.rstrip("/")
    if "/" not in plain or plain.startswith(("*", "/")):
        return glob
    try:
        rel = os.path.relpath(os.path.join(home, plain), cwd)
    except ValueError:  # another drive (Windows)
        return glob
    return rel.replace(os.sep, "/") + ("/" if glob.endswith("/") else "")


def check_rule_keys(config: Config, rules: Sequence[Any]) -> None:
    """Rule codes and slugs used as keys and values name rules that exist.

    Needs the rule registry, so the CLI calls it once the rules are imported (while the
    run's workers parse); `select`/`ignore` are checked there too.
    """
    names = sorted({r.code for r in rules} | {r.slug for r in rules})
    prefix = "tool.aiinfralint." if config.source and Path(config.source).name == "pyproject.toml" else ""
    shown = _display(Path(config.source)) + ": " if config.source else ""

    def unknown(section: str, key: str, name: str, what: str = "rule") -> ConfigError:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else " (see `aiinfralint rules`)"
        sect = ".".join(p for p in (prefix.rstrip("."), section) if p)
        where = f"[{sect}] {_toml_key(key)}" if sect else _toml_key(key)
        return ConfigError(f"{shown}{where}: unknown {what}{hint}")

    def exact(key: str) -> Any:
        return next((r for r in rules if key.upper() == r.code or key.lower() == r.slug), None)

    for code in config.extend_select:
        if not any(selector_matches(code, r.code, r.slug) for r in rules):  # `ALL` matches every rule
            raise unknown("", "extend-select", code, f"rule selector {show(code)}")
    for glob, codes in config.per_file_ignores.items():
        for code in codes:
            if not any(selector_matches(code, r.code, r.slug) for r in rules):  # `ALL` matches every rule
                raise unknown("per-file-ignores", glob, code, f"rule selector {show(code)}")
    for key in config.severity:
        if exact(key) is None:
            raise unknown("severity", key, key)
    for key, options in config.rules.items():
        rule = exact(key)
        if rule is None:
            raise unknown("rules", key, key)
        config.options_for(rule)


# --- messages ------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

_PYDANTIC_MESSAGES = {
    "bool_type": "must be true or false",
    "list_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
}


def _bound(value: Any) -> str:
    """A limit as a message shows it: `0`, `8,784`, `0.5` (not `0.0`)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _message(err: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, _Problem):
        return problem.message, problem.path
    kind = err["type"]
    got = show(err.get("input"))
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key", ()
    if kind in ("greater_than_equal", "greater_than"):
        return (
            f"must be {'at least' if kind.endswith('equal') else 'greater than'} {_bound(ctx.get('ge', ctx.get('gt')))}, got {got}",
            (),
        )
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {_bound(ctx.get('le', ctx.get('lt')))} (a sane maximum), got {got}", ()
    if kind == "literal_error":  # expected: "'a', 'b' or 'c'"
        return f"must be one of {str(ctx.get('expected', '')).replace(' or ', ', ')}, got {got}", ()
    if kind in _PYDANTIC_MESSAGES:
        return f"{_PYDANTIC_MESSAGES[kind]}, got {got}", ()
    return f"{str(err.get('msg', 'invalid value')).rstrip('.')}, got {got}", ()


def _spelled(loc: Sequence[Any], raw: Any) -> list[str]:
    """The loc of an error in the spelling the file used (kebab-case keys stay kebab-case)."""
    out: list[str] = []
    node = raw
    for part in loc:
        if not isinstance(node, Mapping) or not isinstance(part, str):
            break  # below a value: pydantic's own tags (union members, validators)
        name = part
        for key in node:
            if isinstance(key, str) and (key == part or key.replace("-", "_") == part):
                name = key
                break
        node = node.get(name)
        out.append(name)
    return out


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=True)


def describe(exc: ValidationError, raw: Any, model: type[BaseModel] = BaseModel, prefix: Sequence[str] = ()) -> str:
    """One line for the first problem: `[tool.aiinfralint.pricing.pue] gcp: must be ...`."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    message, deeper = _message(first)
    path = [*_spelled(first["loc"], raw), *deeper]
    section = ".".join(_toml_key(p) for p in [*prefix, *path[:-1]])
    key = _toml_key(path[-1]) if path else ""
    where = f"[{section}] {key}" if section else key
    text = f"{where}: {message}" if where else message
    others = {tuple(_spelled(e["loc"], raw)) for e in errors} - {tuple(_spelled(first["loc"], raw))}
    if others:
        text += f" (and {len(others)} more problem{'s' if len(others) > 1 else ''})"
    return text


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def parse_text(data: bytes, path: Path, *, where: str | None = None) -> Config:
    """A Config from the bytes of a pyproject.toml or .aiinfralint.toml (`where` names it in messages)."""
    shown = where or _display(path)
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, deep nesting
        raise ConfigError(f"{shown}: invalid TOML: {type(exc).__name__}: {str(exc)[:120]}") from None
    tool = doc.get("tool")
    section = tool.get("aiinfralint") if isinstance(tool, dict) else None
    prefix: tuple[str, ...] = ("tool", "aiinfralint")
    if path.name == "pyproject.toml":
        body = section if section is not None else {}
    elif section is not None:
        body = section
    else:
        body, prefix = doc, ()
    token = _VALIDATING.set(True)
    try:
        cfg = Config.model_validate(body)
    except ValidationError as exc:
        if not isinstance(body, Mapping):
            raise ConfigError(f"{shown}: [{'.'.join(prefix)}] must be a table") from None
        raise ConfigError(f"{shown}: {describe(exc, body, Config, prefix)}") from None
    finally:
        _VALIDATING.reset(token)
    return cfg.model_copy(update={"source": str(path)})


def load_file(path: Path, *, explicit: bool = False) -> Config:
    """The configuration in `path`; `explicit` (named by --config): a pyproject.toml must have our table."""
    data, reason = read_bytes(path, MAX_CONFIG_BYTES)
    if data is None:
        if not os.path.lexists(path):
            raise ConfigError(f"config file not found: {path}")
        raise ConfigError(f"{_display(path)}: cannot read the configuration: {reason}")
    config = parse_text(data, path)
    if explicit and path.name == "pyproject.toml":
        tool = tomllib.loads(data.decode("utf-8")).get("tool")  # parsed once already: cannot fail
        if not isinstance(tool, dict) or "aiinfralint" not in tool:
            raise ConfigError(f"{_display(path)}: no [tool.aiinfralint] table (--config names a file without one)")
    return config


def load(explicit: str | None, cwd: Path, paths: Sequence[str] = (".",)) -> Config:
    if explicit:
        return load_file(Path(explicit), explicit=True).anchored(cwd)
    found = nearest_config(paths, cwd)
    return load_file(found).anchored(cwd) if found else defaults()


def defaults() -> Config:
    """The configuration when no file sets one (the defaults are valid: nothing to check)."""
    return Config.model_construct()
