"""Minimal text edits to a YAML file, located with ruamel.yaml's composer.

Composed nodes carry the exact start and end of every key and value (0-based line and
character column), so an edit replaces one scalar or inserts one entry and leaves every other
byte alone. A new entry follows the style of the mapping it joins: inside `{...}` for a flow
mapping, on its own line at the indentation of its siblings for a block mapping (after the
last entry, before any comment that follows it). Lines are counted by `\\n`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aiinfralint.model.finding import TextEdit

# a nested mapping to write: (key, value) pairs, values already YAML text
Entries = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Source:
    """A YAML file's text, its lines and its composed documents."""

    text: str
    lines: tuple[str, ...]
    documents: tuple[Node, ...]
    newline: str
    step: int

    def line(self, index: int) -> str:
        """Line `index` (0-based) without its line break ("" past the end)."""
        if 0 <= index < len(self.lines):
            return self.lines[index].rstrip("\r\n")
        return ""


# the last text composed: a file with several fixable findings is composed once
_last: tuple[str, Source | None] | None = None


def load(text: str) -> Source | None:
    """The composed documents of `text`, or None when it is not YAML that composes.

    The fixers only read the nodes, so the last text's documents are shared by the next fixer
    of the same file.
    """
    global _last
    if _last is None or _last[0] is not text:
        _last = (text, _compose(text))
    return _last[1]


def mapping_at(text: str, line: int) -> tuple[Source, MappingNode] | None:
    """The composed file and the document holding 1-based `line`, when that document is a mapping."""
    src = load(text)
    doc = document_at(src, line) if src is not None else None
    return (src, doc) if src is not None and isinstance(doc, MappingNode) else None


def _compose(text: str) -> Source | None:
    try:
        docs = tuple(d for d in YAML(typ="rt").compose_all(text) if d is not None)
    except (YAMLError, ValueError, RecursionError):
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    return Source(text, tuple(text.split("\n")), docs, newline, _indent_step(docs))


def parses(text: str) -> bool:
    return load(text) is not None


def document_at(src: Source, line: int) -> Node | None:
    """The document that holds 1-based `line`."""
    for doc in src.documents:
        if doc.start_mark.line + 1 <= line <= doc.end_mark.line + 1:
            return doc
    return None


def get(node: Node | None, *path: str) -> Node | None:
    """The value at `path` of nested mappings, or None."""
    for key in path:
        if not isinstance(node, MappingNode):
            return None
        node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)
    return node


def key_node(mapping: MappingNode, key: str) -> ScalarNode | None:
    return next((k for k, _ in mapping.value if isinstance(k, ScalarNode) and k.value == key), None)


def scalar(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, MappingNode):
        for k, v in node.value:
            yield from walk(k)
            yield from walk(v)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from walk(item)


def _edit(line: int, col: int, end_line: int, end_col: int, text: str) -> TextEdit:
    """A TextEdit from 0-based positions."""
    return TextEdit(start_line=line + 1, start_column=col + 1, end_line=end_line + 1, end_column=end_col + 1, text=text)


def replace_scalar(src: Source, node: ScalarNode, text: str) -> TextEdit | None:
    """Replace a one-line plain or quoted scalar with `text` (None for block or empty scalars)."""
    s, e = node.start_mark, node.end_mark
    if node.style in ("|", ">") or s.line != e.line or (s.line, s.column) == (e.line, e.column):
        return None
    return _edit(s.line, s.column, e.line, e.column, text)


def set_entry(src: Source, mapping: MappingNode, key: str, value: str) -> TextEdit | None:
    """Set `key` of `mapping` to the scalar text `value`: replace it, or add the entry."""
    current = get(mapping, key)
    if current is None:
        return add_entry(src, mapping, key, value)
    if not isinstance(current, ScalarNode):
        return None
    if current.value == "" and current.style is None:
        return _after_colon(src, mapping, key, " " + value)
    return replace_scalar(src, current, value)


def add_entry(src: Source, mapping: MappingNode, key: str, value: str | Entries) -> TextEdit | None:
    """Add `key: value` to `mapping` (a nested mapping when `value` is entries)."""
    return add_entries(src, mapping, [(key, value)])


def add_entries(src: Source, mapping: MappingNode, entries: Sequence[tuple[str, str | Entries]]) -> TextEdit | None:
    """Add the entries to `mapping`, in one edit, after its last entry."""
    if mapping.flow_style:
        return _add_flow(src, mapping, entries)
    if not mapping.value:
        return None
    first = mapping.value[0][0]
    indent = first.start_mark.column
    head = src.line(first.start_mark.line)[:indent]
    if head.strip(" -") or "\t" in head:
        return None  # not a plain block indentation
    text = "".join(_block(src, k, v, indent) for k, v in entries)
    return _insert_line(src, _content_end(mapping), text)


def set_entries(src: Source, owner: MappingNode, key: str, wanted: Sequence[tuple[str, str]]) -> list[TextEdit]:
    """Edits that give the mapping `owner[key]` the wanted scalar values (replaced or added; the
    mapping created when missing). Empty when one cannot be set: all or nothing."""
    target = get(owner, key)
    if target is None:
        edit = add_entry(src, owner, key, wanted)
        return [edit] if edit is not None else []
    if not isinstance(target, MappingNode) or not target.value:
        edit = fill_empty(src, owner, key, wanted)
        return [edit] if edit is not None else []
    edits: list[TextEdit] = []
    new: list[tuple[str, str | Entries]] = []
    for name, value in wanted:
        if get(target, name) is None:
            new.append((name, value))
            continue
        edit = set_entry(src, target, name, value)
        if edit is None:
            return []
        edits.append(edit)
    if new:
        edit = add_entries(src, target, new)
        if edit is None:
            return []
        edits.append(edit)
    return edits


def fill_empty(src: Source, parent: MappingNode, key: str, entries: Entries) -> TextEdit | None:
    """Give an empty value (`key:` or `key: {}`) the mapping `entries`, keeping its style."""
    current = get(parent, key)
    knode = key_node(parent, key)
    if knode is None or current is None:
        return None
    if isinstance(current, MappingNode) and current.flow_style and not current.value:
        return _edit(
            current.start_mark.line,
            current.start_mark.column,
            current.end_mark.line,
            current.end_mark.column,
            _flow(entries),
        )
    if isinstance(current, ScalarNode) and current.value in ("", "~", "null") and current.style is None:
        indent = knode.start_mark.column + src.step
        body = "".join(src.newline + " " * indent + f"{k}: {v}" for k, v in entries)
        if current.value:
            s, e = current.start_mark, current.end_mark
            return _edit(s.line, s.column - 1, e.line, e.column, body)
        line = knode.start_mark.line
        text = src.line(line)
        return _edit(line, len(text), line, len(text), body)
    return None


def quoted_like(node: ScalarNode, value: str) -> str:
    """`value` written with the quoting of `node` (plain when that stays one plain string)."""
    if node.style == "'":
        return "'" + value.replace("'", "''") + "'"
    plain_ok = value and not any(c in value for c in ":#{}[]&*!|>'\"%@`") and value.strip() == value
    if node.style is None and plain_ok:
        return value
    return json.dumps(value)


def _after_colon(src: Source, mapping: MappingNode, key: str, text: str) -> TextEdit | None:
    knode = key_node(mapping, key)
    if knode is None:
        return None
    line, col = knode.end_mark.line, knode.end_mark.column
    colon = src.line(line).find(":", col)
    if colon < 0:
        return None
    return _edit(line, colon + 1, line, colon + 1, text)


def _flow(entries: Entries) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"


def _add_flow(src: Source, mapping: MappingNode, entries: Sequence[tuple[str, str | Entries]]) -> TextEdit:
    shown = ", ".join(f"{k}: {v if isinstance(v, str) else _flow(v)}" for k, v in entries)
    s, e = mapping.start_mark, mapping.end_mark
    if not mapping.value:
        return _edit(s.line, s.column, e.line, e.column, "{" + shown + "}")
    last = mapping.value[-1][1]
    return _edit(last.end_mark.line, last.end_mark.column, last.end_mark.line, last.end_mark.column, ", " + shown)


def _block(src: Source, key: str, value: str | Entries, indent: int) -> str:
    pad = " " * indent
    if isinstance(value, str):
        return f"{pad}{key}: {value}{src.newline}"
    inner = " " * (indent + src.step)
    return f"{pad}{key}:{src.newline}" + "".join(f"{inner}{k}: {v}{src.newline}" for k, v in value)


def _content_end(node: Node) -> tuple[int, int]:
    """0-based (line, column) where the node's own text ends (not the next token)."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last: Any = node.value[-1]
        if isinstance(node, MappingNode):
            k, v = last
            if isinstance(v, ScalarNode) and v.value == "" and v.style is None:
                return k.end_mark.line, k.end_mark.column
            last = v
        return _content_end(last)
    e = node.end_mark
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return e.line - 1 if e.column == 0 else e.line, 0
    return e.line, e.column


def _insert_line(src: Source, end: tuple[int, int], text: str) -> TextEdit:
    """Insert whole lines `text` after the line `end` is on."""
    line = end[0] + 1
    if line < len(src.lines):
        return _edit(line, 0, line, 0, text)
    # the last line of a file with no final line break: a break first
    last = len(src.lines) - 1
    tail = len(src.lines[last])
    return _edit(last, tail, last, tail, src.newline + text.removesuffix(src.newline))


def _indent_step(docs: Sequence[Node]) -> int:
    """The file's indentation step: how far a nested block mapping sits from its key (2 if none)."""
    for doc in docs:
        for node in walk(doc):
            if isinstance(node, MappingNode) and not node.flow_style:
                for k, v in node.value:
                    if isinstance(v, MappingNode) and not v.flow_style and v.value:
                        step = int(v.value[0][0].start_mark.column - k.start_mark.column)
                        if 1 <= step <= 8:
                            return step
    return 2
