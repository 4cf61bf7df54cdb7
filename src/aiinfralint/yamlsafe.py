"""Safe, bounded YAML/JSON loading that keeps line and column of every mapping key.

A low-level module: the parsers and the estimate data
tables both load YAML with it, so it imports nothing else of the package.

Documents are *composed* (never constructed), so tags such as ``!!python/object``
or CloudFormation's ``!Ref`` stay inert data. Alias expansion and nesting depth are
bounded: a "billion laughs" document fails fast with a clear message instead of
eating memory, because the expanded size is computed on the node graph without
materialising it.

Composition uses PyYAML's libyaml parser when it is built (about twice as fast as
ruamel.yaml's C composer) with a resolver that gives exactly the tags ruamel.yaml's
safe loader gives; without it, ruamel.yaml composes. Both apply the YAML 1.2 core
schema to every document: ruamel.yaml's C composer never consults a ``%YAML 1.1``
directive, so neither does this module (``yes``/``on`` and ``1:30`` stay strings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, ScalarNode
from yaml.reader import ReaderError
from yaml.resolver import BaseResolver

MAX_DEPTH = 200
MAX_EXPANDED_NODES = 2_000_000

# None: compose with PyYAML's libyaml parser if it is built, else ruamel.yaml.
# False forces ruamel.yaml (the reference the libyaml path is tested against).
USE_LIBYAML: bool | None = None


class YamlError(Exception):
    """A document could not be loaded; carries a 1-based line and column."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YMap(dict):  # type: ignore[type-arg]
    """A mapping that remembers where it and each of its keys start (1-based)."""

    __slots__ = ("column", "key_pos", "line")

    def __init__(self, line: int = 1, column: int = 1) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_pos: dict[str, tuple[int, int]] = {}

    def pos(self, key: str) -> tuple[int, int]:
        return self.key_pos.get(key, (self.line, self.column))


class YList(list):  # type: ignore[type-arg]
    """A sequence that remembers where it and each item start (1-based)."""

    __slots__ = ("column", "item_pos", "line")

    def __init__(self, line: int = 1, column: int = 1) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.item_pos: list[tuple[int, int]] = []

    def pos(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self.item_pos):
            return self.item_pos[index]
        return (self.line, self.column)


_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _TAG_PREFIX + "str"

# ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), in its order,
# with the verbose-mode whitespace taken out: (tag suffix, regexp, first characters)
_CORE12_RESOLVERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", tuple("tTfF")),
    (
        "float",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
        r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN))$",
        tuple("-+0123456789."),
    ),
    (
        "int",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$",
        tuple("-+0123456789"),
    ),
    ("merge", r"^(?:<<)$", ("<",)),
    ("null", r"^(?:~|null|Null|NULL|)$", ("~", "n", "N", "")),
    (
        "timestamp",
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
        r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
        r"(?:[Tt]|[ \t]+)[0-9][0-9]?"
        r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
        tuple("0123456789"),
    ),
    ("value", r"^(?:=)$", ("=",)),
    ("yaml", r"^(?:!|&|\*)$", tuple("!&*")),
)

_yaml_instance: Any = None
_libyaml_loader: Any = None  # the loader class, False once PyYAML's C parser is known missing


def _yaml() -> Any:
    global _yaml_instance
    if _yaml_instance is None:
        from ruamel.yaml import YAML  # lazy: ruamel.yaml costs ~20 ms and composes only without libyaml

        _yaml_instance = YAML(typ="safe")
    return _yaml_instance


def _make_libyaml_loader() -> Any:
    """A PyYAML C-parser loader class resolving tags like ruamel.yaml's safe loader."""
    from yaml._yaml import CParser  # lazy: the module exists only when PyYAML is built with libyaml

    class Core12Resolver(BaseResolver):
        """YAML 1.2 core schema as ruamel.yaml resolves it; no path resolvers."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            # BaseResolver.resolve minus the list concatenation and path-resolver
            # checks it would do for every scalar
            if kind is ScalarNode:
                if implicit[0]:
                    for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                        if regexp.match(value):
                            return tag  # type: ignore[no-any-return]
                return _STR_TAG
            return _TAG_PREFIX + ("map" if kind is MappingNode else "seq")

    for suffix, pattern, first in _CORE12_RESOLVERS:
        Core12Resolver.add_implicit_resolver(_TAG_PREFIX + suffix, re.compile(pattern), list(first))

    class Loader(CParser, Core12Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Core12Resolver.__init__(self)

    return Loader


def _libyaml_loader_class() -> Any:
    """The libyaml loader class, or None when PyYAML's C extension is unavailable."""
    global _libyaml_loader
    if _libyaml_loader is None:
        _libyaml_loader = _make_libyaml_loader() if getattr(yaml, "__with_libyaml__", False) else False
    return _libyaml_loader or None


def preload() -> None:
    """Import the YAML library now (before forking workers, so they inherit it)."""
    if not _use_libyaml():
        _yaml()


def _use_libyaml() -> bool:
    if USE_LIBYAML is False:
        return False
    return _libyaml_loader_class() is not None


def _compose_libyaml(text: str) -> Iterator[Any]:
    loader = _libyaml_loader_class()(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


def _scalar(node: Any) -> Any:
    tag: str = node.tag or ""
    value: str = node.value
    if tag == _STR_TAG:  # most scalars
        return value
    if not tag.startswith(_TAG_PREFIX):
        return value  # unknown or local tag (!Ref, !GetAtt ...): plain data
    kind = tag[len(_TAG_PREFIX) :]
    if kind == "int":
        text = value.replace("_", "")
        try:
            if _INT_RE.match(value):
                return int(text)
            return int(text, 0)
        except ValueError:
            return value
    if kind == "float":
        low = value.lower()
        if low in (".inf", "+.inf"):
            return float("inf")
        if low == "-.inf":
            return float("-inf")
        if low == ".nan":
            return float("nan")
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    if kind == "bool":
        return value.lower() in ("true", "yes", "on", "y")
    if kind == "null":
        return None
    return value  # timestamps, binary, python/* and other tags stay text


def _expanded_sizes(root: Any) -> int:
    """Size of the document if every alias were expanded, computed on the DAG."""
    memo: dict[int, int] = {}
    # iterative post-order so deep documents cannot overflow the stack
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        nid = id(node)
        if nid in memo:
            continue
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)
        value = node.value
        if node.id == "scalar":
            memo[nid] = 1
            continue
        children: list[Any]
        if node.id == "mapping":
            children = [c for pair in value for c in pair]
        else:
            children = list(value)
        if done:
            memo[nid] = 1 + sum(memo.get(id(c), 1) for c in children)
            continue
        stack.append((node, depth, True))
        for child in children:
            if id(child) not in memo:
                stack.append((child, depth + 1, False))
    return memo.get(id(root), 1)


def _too_deep(node: Any) -> YamlError:
    mark = node.start_mark
    return YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)


def _convert(node: Any, depth: int = 0) -> Any:
    kind = node.id
    if kind == "scalar":
        return _scalar(node)
    value = node.value
    if depth >= MAX_DEPTH and value:
        # its children sit deeper than allowed; blame the last, as _expanded_sizes would
        last = value[-1]
        raise _too_deep(last[1] if kind == "mapping" else last)
    mark = node.start_mark
    if kind == "mapping":
        out = YMap(mark.line + 1, mark.column + 1)
        key_pos = out.key_pos
        for knode, vnode in value:
            if knode.id == "scalar":
                key = knode.value
                if key == "<<" or knode.tag == "tag:yaml.org,2002:merge":
                    merged = _convert(vnode, depth + 1)
                    sources = merged if isinstance(merged, list) else [merged]
                    for src in sources:
                        if isinstance(src, YMap):
                            for k, v in src.items():
                                if k not in out:
                                    out[k] = v
                                    key_pos[k] = src.key_pos.get(k, (src.line, src.column))
                    continue
            else:
                key = str(_convert(knode, depth + 1))
            key = str(key)
            out[key] = _convert(vnode, depth + 1)
            kmark = knode.start_mark
            key_pos[key] = (kmark.line + 1, kmark.column + 1)
        return out
    seq = YList(mark.line + 1, mark.column + 1)
    append = seq.append
    append_pos = seq.item_pos.append
    for item in value:
        append(_convert(item, depth + 1))
        imark = item.start_mark
        append_pos((imark.line + 1, imark.column + 1))
    return seq


_BRACKETS = re.compile(r"[\[\]{}]")
# one maximal run of `- - - ...` (a run never crosses a line; read once, possessively: the
# pattern `(?:-[ \t]+){2000,}` restarted at every dash of a shorter run)
_DASH_RUN = re.compile(r"(?:-[ \t]++)++")
_GUARD_DEPTH = MAX_DEPTH * 10


def _guard_nesting(text: str) -> None:
    """Refuse absurd nesting before the C composer, which recurses, sees it."""
    if text.count("[") + text.count("{") > _GUARD_DEPTH:
        depth = 0
        for match in _BRACKETS.finditer(text):
            if match.group() in "[{":
                depth += 1
                if depth > _GUARD_DEPTH:
                    line = text.count("\n", 0, match.start()) + 1
                    raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, 1)
            elif depth:
                depth -= 1
    if ("- " in text or "-\t" in text) and text.count("-") >= _GUARD_DEPTH:
        for row in text.split("\n"):
            if row.count("-") >= _GUARD_DEPTH and any(
                run.group().count("-") >= _GUARD_DEPTH for run in _DASH_RUN.finditer(row)
            ):
                raise YamlError(f"nesting deeper than {MAX_DEPTH} levels")


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a UTF-8 byte offset, as libyaml's reader reports it."""
    head = text.encode("utf-8", "surrogatepass")[: max(offset, 0)].decode("utf-8", "replace")
    head = head.removeprefix("\ufeff")  # libyaml's columns do not count a BOM
    return head.count("\n") + 1, len(head) - (head.rfind("\n") + 1) + 1


def _compose_ruamel(text: str) -> Iterator[Any]:
    return _yaml().compose_all(text)  # type: ignore[no-any-return]


class _Errors(NamedTuple):
    """The exception classes of one composer's library."""

    marked: type[Exception]
    reader: type[Exception]
    base: type[Exception]


_PYYAML_ERRORS = _Errors(MarkedYAMLError, ReaderError, YAMLError)


def _ruamel_errors() -> _Errors:
    from ruamel.yaml import error, reader  # lazy: ruamel.yaml costs ~20 ms and composes only without libyaml

    return _Errors(error.MarkedYAMLError, reader.ReaderError, error.YAMLError)


def _documents(text: str, compose: Callable[[str], Iterator[Any]]) -> Iterator[Any]:
    """Convert each composed document, refusing one that expands too far through aliases."""
    # an alias is written "*name" and needs an earlier "&name" (an undefined one is a
    # composer error); without both every node is reached once, so the document cannot
    # expand and _convert's own depth check is enough
    aliases = "*" in text and "&" in text
    for node in compose(text):
        if node is None:
            continue
        if aliases and _expanded_sizes(node) > MAX_EXPANDED_NODES:
            raise YamlError(
                f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases (alias bomb?); not loaded",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        yield _convert(node)


def _marked_error(exc: Any, text: str) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    end = len(text) - text.startswith("\ufeff")  # libyaml's index skips a BOM
    if exc.context_mark is not None and getattr(mark, "index", -1) >= end:
        # ran off the end (an unclosed bracket or quote): point at where it opened,
        # not past the last line
        mark = exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    problem = exc.problem or exc.context or "invalid YAML"
    if problem == "exceeded maximum nesting depth":  # libyaml >= 0.2.5 stops at 1000
        return YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, col)
    return YamlError(f"invalid YAML: {problem}", line, col)


def _reader_error(exc: Any, text: str) -> YamlError:
    line, col = _offset_position(text, exc.position) if isinstance(exc.position, int) else (1, 1)
    if isinstance(exc.character, int):
        problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
    else:
        problem = str(exc.reason)
    return YamlError(f"invalid YAML: {problem}", line, col)


def _library_error(exc: Exception, text: str, errors: _Errors) -> YamlError:
    """The YamlError for an exception raised by the composing library."""
    if isinstance(exc, errors.marked):
        return _marked_error(exc, text)
    if isinstance(exc, errors.reader):
        return _reader_error(exc, text)
    return YamlError(f"invalid YAML: {exc}")


def load_documents(text: str) -> Iterator[Any]:
    """Yield each document of a YAML or JSON text as YMap/YList/scalars.

    Raises YamlError (with line and column) on the first broken document; documents
    before it have already been yielded.
    """
    _guard_nesting(text)
    compose: Callable[[str], Iterator[Any]]
    if _use_libyaml():
        compose, errors = _compose_libyaml, _PYYAML_ERRORS
    else:
        compose, errors = _compose_ruamel, _ruamel_errors()
    try:
        yield from _documents(text, compose)
    except YamlError:
        raise
    except errors.base as exc:
        raise _library_error(exc, text, errors) from None
    except RecursionError:
        raise YamlError(f"nesting too deep (more than {MAX_DEPTH} levels)") from None
    except MemoryError:
        raise YamlError("invalid YAML: out of memory while parsing") from None
    except (ValueError, TypeError, UnicodeError) as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
