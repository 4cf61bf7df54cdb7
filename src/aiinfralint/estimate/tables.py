"""The shipped data tables: versioned YAML package data, loaded lazily and cached per process.

Every table file has ``version``, ``as_of``, ``source`` (the default source) and ``rows``: a
mapping from the row's key to its columns, each row with its own ``source``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from types import MappingProxyType
from typing import Any

TABLE_NAMES: tuple[str, ...] = ("models", "cache_rules", "gpus", "instances", "grid", "pue", "inference_energy")
# what a column holds, as a table file's `columns` header names it
COLUMN_KINDS: frozenset[str] = frozenset({"amount", "gpu-count", "text", "texts", "date", "flag", "amounts"})


class TableError(Exception):
    """A shipped table or an override row is malformed."""


@dataclass(frozen=True)
class Table:
    name: str
    version: str
    as_of: str
    source: str
    rows: Mapping[str, Mapping[str, Any]]
    # keys of rows replaced or added by configuration
    overridden: frozenset[str] = field(default=frozenset())
    # column -> kind (COLUMN_KINDS), from the file's `columns` header; empty: not overridable by column
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.yaml"

    def cite(self, key: str | None = None) -> str:
        """`gpus.yaml v1 (as of 2026-11-28): H100-SXM — <row source>`."""
        head = f"{self.filename} v{self.version} (as of {self.as_of})"
        if key is None:
            return f"{head}: {self.source}"
        row = self.rows.get(key)
        src = str(row.get("source", self.source)) if row is not None else self.source
        if key in self.overridden:
            return f"{src} [overrides {head} row {key}]"
        return f"{head}: {key} — {src}"

    @property
    def label(self) -> str:
        return f"{self.filename} v{self.version} (as of {self.as_of})"


def to_decimal(value: Any, what: str = "value") -> Decimal | None:
    """Numbers from YAML/TOML go through `str` so 2.5 stays exactly 2.5."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TableError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TableError(f"{what}: expected a number, got {value!r}") from None


def _validate(name: str, data: Any) -> Table:
    if not isinstance(data, dict):
        raise TableError(f"{name}.yaml: top level must be a mapping")
    for key in ("version", "as_of", "source", "rows"):
        if key not in data or data[key] in (None, ""):
            raise TableError(f"{name}.yaml: missing top-level `{key}`")
    rows = data["rows"]
    if not isinstance(rows, dict):
        raise TableError(f"{name}.yaml: `rows` must be a mapping of key to columns")
    columns = _columns(name, data.get("columns"))
    clean: dict[str, dict[str, Any]] = {}
    for key, row in rows.items():
        if not isinstance(row, dict):
            raise TableError(f"{name}.yaml: row {key!r} must be a mapping")
        if not row.get("source"):
            raise TableError(f"{name}.yaml: row {key!r} has no source")
        undeclared = [str(c) for c in row if columns and str(c) not in columns]
        if undeclared:
            raise TableError(f"{name}.yaml: row {key!r} has columns the header does not declare: {undeclared}")
        clean[str(key)] = dict(row)
    return Table(
        name=name,
        version=str(data["version"]),
        as_of=str(data["as_of"]),
        source=str(data["source"]),
        rows=_frozen(clean),
        columns=MappingProxyType(columns),
    )


def _columns(name: str, header: Any) -> dict[str, str]:
    """The `columns` header: column name -> kind."""
    if header is None:
        return {}
    if not isinstance(header, dict):
        raise TableError(f"{name}.yaml: `columns` must be a mapping of column to kind")
    out = {str(col): str(kind) for col, kind in header.items()}
    bad = sorted(c for c, k in out.items() if k not in COLUMN_KINDS)
    if bad:
        raise TableError(f"{name}.yaml: columns {bad} have a kind that is not one of {sorted(COLUMN_KINDS)}")
    return out


def override_columns(name: str) -> Mapping[str, str]:
    """The columns a `[pricing.<name>]` override row may set, each with its kind (empty: none).

    Taken from the shipped table's `columns` header, so a column added to the data is
    accepted in configuration without a second list to keep in step.
    """
    if name not in TABLE_NAMES:
        return {}
    return load_table(name).columns


def _frozen(rows: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    # tables are shared by every estimator in the process: read-only views stop accidents
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in rows.items()})


@functools.cache
def load_table(name: str) -> Table:
    """Load one shipped table (cached for the life of the process)."""
    if name not in TABLE_NAMES:
        raise KeyError(f"no such table: {name}")
    # dates such as `as_of` and `deprecation_date` stay ISO text
    # lazy: the bounded YAML loader keeps `import aiinfralint.estimate` cheap until a table is read
    from aiinfralint.yamlsafe import YamlError, load_documents

    text = (resources.files("aiinfralint.estimate") / "data" / f"{name}.yaml").read_text(encoding="utf-8")
    try:
        docs = list(load_documents(text))
    except YamlError as exc:
        raise TableError(f"{name}.yaml:{exc.line}:{exc.column}: {exc.message}") from None
    return _validate(name, docs[0] if len(docs) == 1 else None)


def with_overrides(table: Table, overrides: Mapping[str, Mapping[str, Any]], source: str, resolve: Any = None) -> Table:
    """Return `table` with configuration rows merged in.

    `resolve(key) -> existing key | None` maps a user's spelling onto a shipped row (so
    `pricing.gpus["nvidia-h100-80gb"]` updates `H100-SXM`); columns not given keep their
    shipped values. A key that resolves to nothing becomes a new row.
    """
    if not overrides:
        return table
    rows = {k: dict(v) for k, v in table.rows.items()}
    touched = set()
    for key, cols in overrides.items():
        if not isinstance(cols, Mapping):
            raise TableError(f"pricing.{table.name}.{key}: expected a table of columns, got {cols!r}")
        target = resolve(key) if resolve is not None else (key if key in rows else None)
        if target is None:
            target = str(key)
            row: dict[str, Any] = {}
        else:
            row = rows[target]
        shipped = row.get("source")
        row.update(dict(cols))
        row["source"] = source if shipped is None else f"{source}; other columns: {shipped}"
        rows[target] = row
        touched.add(target)
    return Table(
        name=table.name,
        version=table.version,
        as_of=table.as_of,
        source=table.source,
        rows=_frozen(rows),
        overridden=frozenset(touched) | table.overridden,
        columns=table.columns,
    )
