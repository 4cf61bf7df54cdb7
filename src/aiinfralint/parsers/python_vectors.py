"""Vector stores split by time in Python code -> `VectorStore` with `TimePartitioning` (read with `ast`).

Forms read:

* ``time_partition_interval=timedelta(...)`` on a Timescale Vector client (``timescale_vector``
  ``client.Sync``/``Async``, LangChain ``TimescaleVector``, LlamaIndex ``TimescaleVectorStore``):
  the embeddings table is split into chunks of that interval, each with its own ANN index. A file
  whose searches pass a time filter (``uuid_time_filter=``, ``start_date=``, ``end_date=``,
  ``time_delta=``) routes queries by date and is left alone;
* SQLAlchemy ``Table(...)`` / declarative ``__table_args__`` and Alembic ``op.create_table(...)``
  with ``postgresql_partition_by="RANGE (<timestamp column>)"`` and a pgvector ``Vector(...)`` column;
* SQL text in the code (``op.execute``, ``cursor.execute``) creating a vector table
  ``PARTITION BY RANGE`` on a timestamp: read by the pgvector SQL reader;
* Elasticsearch/OpenSearch ``indices.create(index=f"docs-{day:%Y.%m.%d}", mappings=...)`` with a
  ``dense_vector``/``knn_vector`` field, and Milvus ``create_partition`` with a partition name
  built from a date;
* Elasticsearch/OpenSearch index templates and lifecycle policies created from Python:
  ``indices.put_index_template(...)`` / ``indices.put_template(...)`` (keyword arguments or
  ``body=``), ``ilm.put_lifecycle(name=..., policy=...)`` and opensearch-py
  ``index_management.put_policy(policy=..., body=...)``. Their literal bodies are read by the same
  functions as the JSON/YAML and Dev Tools console readers, so they give the same `VectorStore`
  (vector fields, ``index.lifecycle.name``, rollover alias) and `LifecyclePolicy` (rollover
  ``max_age`` / ``min_index_age``) facts, with spans in the Python file.
"""

from __future__ import annotations

import ast
import re

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.retrieval import TimePartitioning, VectorStore
from aiinfralint.parsers import pyfacts, vector_pgvector
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.pyfacts import Chain, Names, kwarg
from aiinfralint.parsers.vector_search import _is_policy, policy_from, store_from
from aiinfralint.yamlsafe import YList, YMap

_GATE = re.compile(
    r"time_partition_interval|postgresql_partition_by|PARTITION BY|create_partition|dense_vector|knn_vector"
    r"|put_lifecycle|put_policy"
)
_TEMPLATE_KEYS = ("index_patterns", "template", "settings", "mappings", "aliases", "composed_of", "order", "priority")
_TIME_FILTERS = frozenset({"uuid_time_filter", "start_date", "end_date", "time_delta"})
_TIME_COLUMN = re.compile(r"(DateTime|TIMESTAMP|Date|TIMESTAMPTZ)\b")
_TIME_NAME = re.compile(r"(^|_)(at|date|day|time|ts|timestamp|created|ingested|month|week)($|_)", re.IGNORECASE)
_DATE_WORDS = re.compile(r"date|day|today|now|month|week|strftime|isoformat|%Y|%m|%d", re.IGNORECASE)
_TIMEDELTA_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


class _Reader:
    def __init__(self, f: FileInput, tree: ast.Module) -> None:
        self.f = f
        self.tree = tree
        self.names = Names.of(tree)
        self.found: list[ModelObject] = []
        self.time_filtered = any(isinstance(n, ast.keyword) and n.arg in _TIME_FILTERS for n in pyfacts.nodes(tree))
        self.docstrings = {
            id(n.value) for n in pyfacts.nodes(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
        }
        self.milvus = any(v.startswith("pymilvus") for v in self.names.imports.values())

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        return Span(path=self.f.path, line=line, column=getattr(node, "col_offset", 0) + 1, end_line=line)

    def read(self) -> list[ModelObject]:
        for node, chain in pyfacts.walk(self.tree):
            if isinstance(node, ast.Call):
                self._call(node, chain)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in self.docstrings:
                self._sql(node)
            elif isinstance(node, ast.ClassDef):
                self._declarative(node, chain)
        return self.found

    def _where(self, chain: Chain) -> str:
        label = pyfacts.function_label(chain)
        return "module code" if label == "<module>" else f"`{label}()`"

    def _call(self, call: ast.Call, chain: Chain) -> None:
        interval = kwarg(call, "time_partition_interval")
        if interval is not None:
            self._timescale(call, interval, chain)
        part = kwarg(call, "postgresql_partition_by")
        name = pyfacts.dotted(call.func) or ""
        last = call.func.attr if isinstance(call.func, ast.Attribute) else name
        if part is not None and last in ("Table", "create_table"):
            self._table(call, part, list(call.args), chain)
        if last == "create_partition" and self.milvus:
            self._milvus_partition(call, chain)
        elif last == "create" and ".indices" in f".{name}":
            self._dated_index(call, chain)
        elif last in ("put_index_template", "put_template") and ".indices" in f".{name}":
            self._template(call, chain)
        elif (last == "put_lifecycle" and ".ilm" in f".{name}") or (
            last == "put_policy" and "index_management" in name
        ):
            self._policy(call, chain)

    def _body(self, call: ast.Call, chain: Chain, keys: tuple[str, ...]) -> YMap:
        """`body=` as a positioned mapping, or the request's keyword arguments (client 8.x style)."""
        body = _ymap_of(kwarg(call, "body"), self.names, chain)
        if isinstance(body, YMap):
            return body
        doc = YMap(call.lineno, call.col_offset + 1)
        for kw in call.keywords:
            if kw.arg in keys:
                doc[kw.arg] = _ymap_of(kw.value, self.names, chain)
                doc.key_pos[kw.arg] = (kw.value.lineno, kw.value.col_offset + 1)
        return doc

    def _template(self, call: ast.Call, chain: Chain) -> None:
        store = store_from(self._body(call, chain, _TEMPLATE_KEYS), self.f, span=self.span(call))
        if store.vector_fields:
            self.found.append(store)

    def _policy(self, call: ast.Call, chain: Chain) -> None:
        doc = self._body(call, chain, ("policy",))
        policy = _is_policy(doc)
        if policy is None:
            return
        name = self.names.text(kwarg(call, "name") or kwarg(call, "policy") or kwarg(call, "policy_id"), chain)
        self.found.append(policy_from(doc, policy, self.f, name=name, span=self.span(call)))

    def _timescale(self, call: ast.Call, interval: ast.expr, chain: Chain) -> None:
        if self.time_filtered:
            return  # searches pass a time filter: queries are routed by date
        value = self.names.resolve(interval, chain)
        seconds = _timedelta_seconds(value, self.names, chain)
        gran, window = _granularity(seconds)
        table = (
            self.names.text(kwarg(call, "table_name"), chain)
            or self.names.text(kwarg(call, "collection_name"), chain)
            or (self.names.text(call.args[1], chain) if len(call.args) > 1 else None)
            or "embeddings"
        )
        where = f"{self._where(chain)} ({self.f.path}:{interval.lineno})"
        self._store(
            interval,
            "pgvector",
            table,
            ("embedding",),
            f"time_partition_interval {window or 'set'} in {where}",
            gran,
            window,
        )

    def _table(self, call: ast.Call, part: ast.expr, columns: list[ast.expr], chain: Chain) -> None:
        text = self.names.text(part, chain) or ""
        m = re.match(r"\s*RANGE\s*\(\s*\"?(\w+)\"?", text, re.IGNORECASE)
        if not m:
            return
        key = m.group(1)
        vectors, times = _columns(columns, self.names)
        if not vectors or not (key in times or (key not in _all_names(columns) and _TIME_NAME.search(key))):
            return
        table = next((self.names.text(a, chain) for a in call.args[:1]), None) or "table"
        where = f"{self._where(chain)} ({self.f.path}:{call.lineno})"
        self._store(call, "pgvector", table, tuple(vectors), f"postgresql_partition_by RANGE ({key}) in {where}")

    def _declarative(self, cls: ast.ClassDef, chain: Chain) -> None:
        args = next(
            (
                n.value
                for n in cls.body
                if isinstance(n, ast.Assign) and any(pyfacts.dotted(t) == "__table_args__" for t in n.targets)
            ),
            None,
        )
        if args is None:
            return
        options = args.elts[-1] if isinstance(args, ast.Tuple) and args.elts else args
        if not isinstance(options, ast.Dict):
            return
        part = next(
            (
                v
                for k, v in zip(options.keys, options.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "postgresql_partition_by"
            ),
            None,
        )
        if part is None:
            return
        fields: list[ast.expr] = []
        for stmt in cls.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                if isinstance(target, ast.Name):
                    fields.append(
                        ast.Call(func=ast.Name("Column"), args=[ast.Constant(target.id), *stmt.value.args], keywords=[])
                    )
        table = next(
            (
                self.names.text(n.value)
                for n in cls.body
                if isinstance(n, ast.Assign) and any(pyfacts.dotted(t) == "__tablename__" for t in n.targets)
            ),
            None,
        )
        fake = ast.Call(func=ast.Name("Table"), args=[ast.Constant(table or cls.name)], keywords=[])
        ast.copy_location(fake, cls)
        self._table(fake, part, fields, (*chain,))

    def _sql(self, node: ast.Constant) -> None:
        text = str(node.value)
        if "PARTITION BY" not in text.upper() or not re.search(r"\bvector\s*\(", text, re.IGNORECASE):
            return
        out = vector_pgvector.parse(FileInput(self.f.path, text))
        delta = node.lineno - 1
        for obj in out.objects:
            if isinstance(obj, VectorStore) and obj.partitioning is not None:
                self.found.append(_shifted(obj, delta))

    def _milvus_partition(self, call: ast.Call, chain: Chain) -> None:
        name = kwarg(call, "partition_name") or (call.args[-1] if call.args else None)
        if not _date_built(name, self.names, chain):
            return
        collection = self.names.text(kwarg(call, "collection_name"), chain)
        if collection is None and isinstance(call.func, ast.Attribute):
            owner = call.func.value  # `Collection("tickets").create_partition(...)` or `tickets.create_partition(...)`
            if isinstance(owner, ast.Call) and owner.args:
                collection = self.names.text(owner.args[0], chain)
            collection = collection or pyfacts.dotted(owner)
        where = f"{self._where(chain)} ({self.f.path}:{call.lineno})"
        self._store(
            call,
            "milvus",
            collection or "collection",
            ("the collection's vector field",),
            f"partitions named by date in {where}",
        )

    def _dated_index(self, call: ast.Call, chain: Chain) -> None:
        name = kwarg(call, "index")
        if not _date_built(name, self.names, chain):
            return
        raw = kwarg(call, "mappings") or kwarg(call, "body")
        body = self.names.resolve(raw, chain) if raw is not None else None
        fields = _vector_properties(body) if body is not None else []
        if not fields:
            return
        vector = fields[0][1]
        engine = "opensearch" if vector == "knn_vector" else "elasticsearch"
        shown = _source(name) if name is not None else "index"
        where = f"{self._where(chain)} ({self.f.path}:{call.lineno})"
        names = tuple(f for f, _ in fields)
        self._store(call, engine, shown, names, f"index names built from a date in {where}", "daily", "1 day")

    def _store(
        self,
        call: ast.AST,
        engine: str,
        name: str,
        fields: tuple[str, ...],
        mechanism: str,
        granularity: str | None = None,
        window: str | None = None,
    ) -> None:
        span = self.span(call)
        self.found.append(
            VectorStore(
                span=span,
                engine=engine,
                name=name,
                vector_fields=fields,
                partitioning=TimePartitioning(span=span, mechanism=mechanism, granularity=granularity, window=window),
            )
        )


def _ymap_of(node: ast.AST | None, names: Names, chain: Chain, depth: int = 0) -> object:
    """A literal dict/list as `YMap`/`YList` keeping each key's position in the Python file (names resolved)."""
    value = names.value(node, chain) if isinstance(node, ast.Name) else node
    if value is None or depth > 40:
        return None
    if isinstance(value, ast.Dict):
        out = YMap(value.lineno, value.col_offset + 1)
        for k, v in zip(value.keys, value.values, strict=True):
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                out[k.value] = _ymap_of(v, names, chain, depth + 1)
                out.key_pos[k.value] = (k.lineno, k.col_offset + 1)
        return out
    if isinstance(value, (ast.List, ast.Tuple)):
        items = YList(value.lineno, value.col_offset + 1)
        for e in value.elts:
            items.append(_ymap_of(e, names, chain, depth + 1))
            items.item_pos.append((e.lineno, e.col_offset + 1))
        return items
    if isinstance(value, ast.Constant) and isinstance(value.value, (str, int, float, bool)):
        return value.value
    return None


def _source(node: ast.AST) -> str:
    """The code of a node, or "" for one nested too deeply to print (the printer recurses)."""
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError):
        return ""


def _vector_properties(body: ast.AST) -> list[tuple[str, str]]:
    """`{"v": {"type": "dense_vector"}}` anywhere in a mapping literal -> [("v", "dense_vector")]."""
    out: list[tuple[str, str]] = []
    for node in ast.walk(body):
        if not isinstance(node, ast.Dict):
            continue
        for k, v in zip(node.keys, node.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Dict)):
                continue
            for kk, vv in zip(v.keys, v.values, strict=True):
                if (
                    isinstance(kk, ast.Constant)
                    and kk.value == "type"
                    and isinstance(vv, ast.Constant)
                    and vv.value in ("dense_vector", "knn_vector")
                ):
                    out.append((k.value, str(vv.value)))
    return out


def _timedelta_seconds(value: ast.AST | None, names: Names, chain: Chain) -> float | None:
    if isinstance(value, ast.Call) and (pyfacts.dotted(value.func) or "").endswith("timedelta"):
        total = 0.0
        for k in value.keywords:
            n = names.number(k.value, chain)
            if k.arg in _TIMEDELTA_SECONDS and n is not None:
                total += n * _TIMEDELTA_SECONDS[k.arg]
        if value.args:
            days = names.number(value.args[0], chain)
            total += (days or 0) * 86400
        return total or None
    return names.number(value, chain)


def _granularity(seconds: float | None) -> tuple[str | None, str | None]:
    if not seconds:
        return None, None
    days = seconds / 86400
    window = f"{days:g} days" if days >= 1 else f"{seconds / 3600:g} hours"
    for limit, gran in ((3600, "hourly"), (86400, "daily"), (604800, "weekly"), (31 * 86400, "monthly")):
        if seconds <= limit:
            return gran, window
    return "yearly", window


def _columns(columns: list[ast.expr], names: Names) -> tuple[list[str], set[str]]:
    """The pgvector columns and the timestamp columns among `Column("name", Type(...))` arguments."""
    vectors: list[str] = []
    times: set[str] = set()
    for col in columns:
        if not isinstance(col, ast.Call) or not col.args:
            continue
        name = names.text(col.args[0])
        kind = " ".join(_source(a) for a in col.args[1:])
        if name is None:
            continue
        if re.search(r"\b(Vector|VECTOR|HALFVEC|HalfVector)\s*\(", kind):
            vectors.append(name)
        elif _TIME_COLUMN.search(kind):
            times.add(name)
    return vectors, times


def _all_names(columns: list[ast.expr]) -> set[str]:
    return {
        c.args[0].value
        for c in columns
        if isinstance(c, ast.Call)
        and c.args
        and isinstance(c.args[0], ast.Constant)
        and isinstance(c.args[0].value, str)
    }


def _date_built(name: ast.AST | None, names: Names, chain: Chain) -> bool:
    """Is a name an f-string (or `.format`/`+`) that interpolates a date?"""
    name = names.resolve(name, chain)
    if isinstance(name, ast.JoinedStr):
        for part in name.values:
            if isinstance(part, ast.FormattedValue):
                spec = _source(part.format_spec) if part.format_spec is not None else ""
                if _DATE_WORDS.search(spec) or _DATE_WORDS.search(_source(part.value)):
                    return True
        return False
    if isinstance(name, (ast.BinOp, ast.Call)):
        return _DATE_WORDS.search(_source(name)) is not None and any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(name)
        )
    return False


def _shifted(store: VectorStore, delta: int) -> VectorStore:
    """A store read from SQL text inside a Python string, moved to the string's lines in the file."""

    def move(span: Span) -> Span:
        end = span.end_line + delta if span.end_line is not None else None
        return span.model_copy(update={"line": span.line + delta, "end_line": end})

    partitioning = store.partitioning
    if partitioning is not None:
        partitioning = partitioning.model_copy(update={"span": move(partitioning.span)})
    return store.model_copy(
        update={
            "span": move(store.span),
            "field_spans": {k: move(v) for k, v in store.field_spans.items()},
            "partitioning": partitioning,
        }
    )


PARSER = pyfacts.fact_parser("python-vectors", _GATE, lambda f, tree: _Reader(f, tree).read())
