"""pgvector DDL in `.sql` files: tables with vector columns and how they are partitioned.

A small tokenizer, no SQL execution: comments and quoted strings are blanked (keeping line
numbers), statements are split on `;`, and `CREATE TABLE`, `PARTITION OF` and pg_partman
`create_parent(...)` calls are read with regular expressions.
"""

from __future__ import annotations

import bisect
import re
from datetime import date
from typing import NamedTuple

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.retrieval import TimePartitioning, VectorStore
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem
from aiinfralint.parsers.registry import FileParser

_VECTOR_HINT = re.compile(r"\b(vector|halfvec|sparsevec)\s*\(|\busing\s+(hnsw|ivfflat)\b", re.IGNORECASE)
_IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QNAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})?"
_CREATE = re.compile(
    rf"^\s*create\s+(?:(?:global|local)\s+)?(?:(?:temporary|temp|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?(?P<name>{_QNAME})",
    re.IGNORECASE,
)
# bound lists (`[^)]{0,N}`): with `[^)]*` every unclosed `(` rescanned the rest of the statement
_PARTITION_OF = re.compile(
    rf"\bpartition\s+of\s+(?P<parent>{_QNAME})\s+for\s+values\s+from\s*\(\s*(?P<lo>[^)]{{0,400}})\)\s*to\s*\(\s*(?P<hi>[^)]{{0,400}})\)",
    re.IGNORECASE,
)
_PARTITION_BY = re.compile(r"\bpartition\s+by\s+(?P<how>range|list|hash)\s*\((?P<cols>[^)]{0,400})\)", re.IGNORECASE)
_CREATE_PARENT = re.compile(r"create_parent\s*\(", re.IGNORECASE)
_TIME_TYPES = re.compile(r"^(timestamp|timestamptz|date|time\b|timestamp\s+with)", re.IGNORECASE)
_TIME_NAME = re.compile(
    r"(^|_)(date|day|time|timestamp|ts|at|month|week|year|created|ingested|updated|inserted)($|_)", re.IGNORECASE
)
_INTERVAL_WORDS = (
    ("hour", "hourly"),
    ("dai", "daily"),
    ("day", "daily"),
    ("week", "weekly"),
    ("month", "monthly"),
    ("quarter", "quarterly"),
    ("year", "yearly"),
)
_DATE_LIT = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# what `blank` stops at: a line comment, a block comment, a string, or a dollar quote `$tag$`
# (no identifier character before its `$`)
_SPECIAL = re.compile(r"--|/\*|'|(?<![A-Za-z0-9_$])\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


def _unquote(name: str) -> str:
    return re.sub(r"\s+", "", name).replace('"', "")


def blank(text: str) -> str:
    """Replace comments and dollar-quoted bodies with spaces; skip over quoted strings (keep
    newlines and offsets)."""
    return _blank(text)[0]


def _blank(text: str) -> tuple[str, list[tuple[int, str]]]:
    """`blank` and the (offset, opener) of a block comment or dollar quote left unclosed."""
    out = list(text)
    unclosed: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while (m := _SPECIAL.search(text, i)) is not None:
        i = m.start()
        c = m.group()
        if c == "--":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif c == "/*":
            j = text.find("*/", i + 2)
            if j < 0:
                unclosed.append((i, "/*"))
                j = n
            else:
                j += 2
            _spaces(out, text, i, j)
            i = j
        elif c == "'":
            j = i + 1
            while True:  # to the closing quote; `''` inside is an escaped quote
                j = text.find("'", j)
                if j < 0:
                    j = n
                    break
                if text.startswith("''", j):
                    j += 2
                    continue
                break
            i = j + 1
        else:  # `$tag$`, not preceded by an identifier character (`a$b$` is a name)
            tag = c
            j = text.find(tag, i + len(tag))
            if j < 0:
                unclosed.append((i, tag))
                j = n
            else:
                j += len(tag)
            _spaces(out, text, i, j)
            i = j
    return "".join(out), unclosed


def _spaces(out: list[str], text: str, i: int, j: int) -> None:
    """Blank text[i:j] in `out`, keeping its newlines."""
    chunk = text[i:j]
    if "\n" not in chunk:
        out[i:j] = " " * (j - i)
        return
    for k, ch in enumerate(chunk, start=i):
        out[k] = "\n" if ch == "\n" else " "


def _statements(text: str) -> list[tuple[int, str]]:
    """(start offset, statement) of each `;`-terminated statement of the blanked text."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in re.finditer(";", text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


class _Lines:
    """Offset -> (line, column), 1-based, by bisection (counting from the start each time
    was quadratic in a file of many tables)."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.starts.extend(m.end() for m in re.finditer("\n", text))

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _columns(body: str) -> dict[str, str]:
    """column name -> type text of a CREATE TABLE body (top-level commas only)."""
    cols: dict[str, str] = {}
    depth = 0
    start = 0
    parts: list[str] = []
    for punct in _PUNCT.finditer(body):
        ch = punct.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            parts.append(body[start : punct.start()])
            start = punct.end()
    parts.append(body[start:])
    for p in parts:
        m = re.match(rf"\s*({_IDENT})\s+(.+)", p, re.DOTALL)
        if not m:
            continue
        name = _unquote(m.group(1))
        if name.lower() in ("constraint", "primary", "unique", "foreign", "check", "exclude", "like"):
            continue
        ty = " ".join(m.group(2).split())
        ty = re.split(
            r"\s+(?:not|null|default|primary|references|check|generated|collate|constraint|unique)\b",
            ty,
            maxsplit=1,
            flags=re.IGNORECASE,
        )[0]
        cols[name] = ty
    return cols


_PUNCT = re.compile(r"[(),]")
_PARENS = re.compile(r"[()]")


def _table_body(stmt: str, after: int) -> str:
    i = stmt.find("(", after)
    if i < 0:
        return ""
    depth = 0
    for m in _PARENS.finditer(stmt, i):
        if m.group() == "(":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return stmt[i + 1 : m.start()]
    return stmt[i + 1 :]


def _granularity(lo: date, hi: date) -> tuple[str, str]:
    days = (hi - lo).days
    if days <= 1:
        return "daily", "1 day"
    if days <= 7:
        return "weekly", f"{days} days"
    if days <= 31:
        return "monthly", "1 month"
    if days <= 92:
        return "quarterly", "3 months"
    return "yearly", f"{days} days"


def _date(text: str) -> date | None:
    m = _DATE_LIT.search(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


class _Table(NamedTuple):
    name: str
    offset: int
    cols: dict[str, str]
    pby_offset: int
    pby: re.Match[str] | None


def claims(f: FileInput) -> bool:
    return f.suffix == ".sql" and _VECTOR_HINT.search(f.text) is not None


_Partitions = dict[str, tuple[int, date | None, date | None]]  # parent -> (offset, lower, upper bound)
_Partman = dict[str, tuple[int, str]]  # parent -> (offset, interval)


def parse(f: FileInput) -> ParseOutput:
    original = f.text
    text, unclosed = _blank(original)
    lines = _Lines(text)
    problems: list[ParseProblem] = []
    for offset, opener in unclosed:
        line, col = lines.pos(offset)
        what = "block comment `/*`" if opener == "/*" else f"dollar quote `{opener}`"
        problems.append(ParseProblem(f"unclosed {what}: the rest of the file is inside it", line, col))
    tables, partitions, partman = _scan(text, original)
    objects: list[ModelObject] = []
    for name, offset, cols, off, pm in tables:
        vec = tuple(
            c for c, ty in cols.items() if re.match(r"(?:\w+\.)?(vector|halfvec|sparsevec)\b", ty, re.IGNORECASE)
        )
        if not vec:
            continue
        line, col = lines.pos(offset)
        partitioning = None
        if pm is not None:
            partitioning = _time_partitioning(f.path, lines, name, cols, off, pm, partitions, partman)
        objects.append(
            VectorStore(
                span=Span(path=f.path, line=line, column=col),
                engine="pgvector",
                name=name,
                vector_fields=vec,
                partitioning=partitioning,
            )
        )
    return ParseOutput(objects=objects, problems=problems, claimed=True)


def _scan(text: str, original: str) -> tuple[list[_Table], _Partitions, _Partman]:
    """The tables created, the partitions attached to a parent, and pg_partman's set-ups."""
    tables: list[_Table] = []
    partitions: _Partitions = {}
    partman: _Partman = {}
    for start, stmt in _statements(text):
        m = _CREATE.match(stmt)
        if m:
            name = _unquote(m.group("name"))
            pof = _PARTITION_OF.search(stmt)
            if pof:
                lo_off = start + pof.start("lo")
                lo = _date(original[lo_off : start + pof.end("lo")])
                hi = _date(original[start + pof.start("hi") : start + pof.end("hi")])
                parent = _unquote(pof.group("parent"))
                partitions.setdefault(parent, (start + m.start("name"), lo, hi))
                continue
            body = _table_body(stmt, m.end())
            cols = _columns(body)
            pby = _PARTITION_BY.search(stmt, m.end() + len(body))
            tables.append(_Table(name, start + m.start("name"), cols, start + pby.start() if pby else 0, pby))
            continue
        cp = _CREATE_PARENT.search(stmt)
        if cp:
            args = re.findall(r"'([^']*)'", original[start + cp.end() : start + len(stmt)])
            if args:
                partman[_unquote(args[0])] = (start + cp.start(), _partman_interval(args))
    return tables, partitions, partman


def _partman_interval(args: list[str]) -> str:
    """The interval argument of a `create_parent(...)` call, or ""."""
    return next(
        (
            a
            for a in args[1:]
            if re.search(r"\d|daily|weekly|monthly|hourly|yearly|quarterly", a, re.IGNORECASE)
            and a.lower() not in ("native", "partman")
        ),
        "",
    )


def _time_partitioning(
    path: str,
    lines: _Lines,
    name: str,
    cols: dict[str, str],
    off: int,
    pm: re.Match[str],
    partitions: _Partitions,
    partman: _Partman,
) -> TimePartitioning | None:
    """How a `PARTITION BY` clause splits a table by time, or None when it does not."""
    keys = [_unquote(k) for k in pm.group("cols").split(",")]
    key = keys[0] if keys else ""
    key_type = next((ty for c, ty in cols.items() if c.lower() == key.lower()), "")
    is_time = (
        bool(_TIME_TYPES.match(key_type))
        or (not key_type and bool(_TIME_NAME.search(key)))
        or bool(re.match(r"(date_trunc|extract|date)\s*\(", pm.group("cols"), re.IGNORECASE))
    )
    if pm.group("how").lower() != "range" or not is_time:
        return None
    pl, pc = lines.pos(off)
    gran, window = None, None
    short = name.split(".")[-1]
    child = partitions.get(name) or partitions.get(short)
    if child and child[1] and child[2]:
        gran, window = _granularity(child[1], child[2])
    pmn = partman.get(name) or partman.get(short) or partman.get(f"public.{short}")
    if pmn and pmn[1]:
        window = pmn[1]
        gran = next((g for w, g in _INTERVAL_WORDS if w in pmn[1].lower()), None) or gran
    mech = f"PARTITION BY RANGE ({key})" + (f" {key_type}" if key_type else "")
    return TimePartitioning(span=Span(path=path, line=pl, column=pc), mechanism=mech, granularity=gran, window=window)


PARSER = FileParser(name="pgvector SQL", claims=claims, parse=parse)
