"""Safe, bounded YAML/JSON loading that keeps line and column of every mapping key.

Documents are *composed* (never constructed), so tags such as ``!!python/object``
or CloudFormation's ``!Ref`` stay inert data. Alias expansion and nesting depth are
bounded: a "billion laughs" document fails fast with a clear message instead of
eating memory, because the expanded size is computed on the node graph without
materialising it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 200
MAX_EXPANDED_NODES = 2_000_000


class YamlError(Exception):
    """A document could not be loaded; carries a 1-based line and column."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YMap(dict):  # type: ignore[type-arg]
    """A mapping that remembers where it and each of its keys start (1-based)."""

    __slots__ = ("line", "column", "key_pos")

    def __init__(self, line: int = 1, column: int = 1) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_pos: dict[str, tuple[int, int]] = {}

    def pos(self, key: str) -> tuple[int, int]:
        return self.key_pos.get(key, (self.line, self.column))


class YList(list):  # type: ignore[type-arg]
    """A sequence that remembers where it and each item start (1-based)."""

    __slots__ = ("line", "column", "item_pos")

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

_yaml_instance: Any = None


def _yaml() -> Any:
    global _yaml_instance
    if _yaml_instance is None:
        from ruamel.yaml import YAML

        _yaml_instance = YAML(typ="safe")
    return _yaml_instance


def _scalar(node: Any) -> Any:
    tag: str = node.tag or ""
    value: str = node.value
    if not tag.startswith(_TAG_PREFIX):
        return value  # unknown or local tag (!Ref, !GetAtt ...): plain data
    kind = tag[len(_TAG_PREFIX):]
    if kind == "str":
        return value
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
            raise YamlError(
                f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1
            )
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


def _convert(node: Any, depth: int = 0) -> Any:
    kind = node.id
    if kind == "scalar":
        return _scalar(node)
    mark = node.start_mark
    if kind == "mapping":
        out = YMap(mark.line + 1, mark.column + 1)
        for knode, vnode in node.value:
            if knode.id == "scalar":
                key = knode.value
                if knode.tag == "tag:yaml.org,2002:merge" or key == "<<":
                    merged = _convert(vnode, depth + 1)
                    sources = merged if isinstance(merged, list) else [merged]
                    for src in sources:
                        if isinstance(src, YMap):
                            for k, v in src.items():
                                if k not in out:
                                    out[k] = v
                                    out.key_pos[k] = src.key_pos.get(k, (src.line, src.column))
                    continue
            else:
                key = str(_convert(knode, depth + 1))
            key = str(key)
            out[key] = _convert(vnode, depth + 1)
            out.key_pos[key] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
        return out
    seq = YList(mark.line + 1, mark.column + 1)
    for item in node.value:
        seq.append(_convert(item, depth + 1))
        seq.item_pos.append((item.start_mark.line + 1, item.start_mark.column + 1))
    return seq


_BRACKETS = re.compile(r"[\[\]{}]")
_DASH_RUN = re.compile(r"(?:-[ \t]+){%d,}" % (MAX_DEPTH * 10))
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
    if "- " in text and _DASH_RUN.search(text):
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels")


def load_documents(text: str) -> Iterator[Any]:
    """Yield each document of a YAML or JSON text as YMap/YList/scalars.

    Raises YamlError (with line and column) on the first broken document; documents
    before it have already been yielded.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    _guard_nesting(text)
    yaml = _yaml()
    try:
        for node in yaml.compose_all(text):
            if node is None:
                continue
            size = _expanded_sizes(node)
            if size > MAX_EXPANDED_NODES:
                raise YamlError(
                    f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases "
                    "(alias bomb?); not loaded",
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                )
            yield _convert(node)
    except YamlError:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        col = mark.column + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML: {problem}", line, col) from None
    except YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError(f"nesting too deep (more than {MAX_DEPTH} levels)") from None
    except (ValueError, TypeError, UnicodeError) as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
