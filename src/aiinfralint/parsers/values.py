"""Small readers shared by the YAML/JSON document handlers: spans and loose integers."""

from __future__ import annotations

import re
from typing import Any

from aiinfralint.model.base import Span
from aiinfralint.parsers.base import FileInput
from aiinfralint.yamlsafe import YList, YMap

_INT = re.compile(r"\s*-?\d+\s*")


def node_span(f: FileInput, node: Any, key: str | int | None = None) -> Span:
    """Where a mapping key (str), a list item (int) or the node itself starts."""
    if isinstance(node, YMap):
        line, col = node.pos(key) if isinstance(key, str) else (node.line, node.column)
    elif isinstance(node, YList):
        line, col = node.pos(key) if isinstance(key, int) else (node.line, node.column)
    else:
        line, col = 1, 1
    return Span(path=f.path, line=line, column=col)


def as_int(v: Any) -> int | None:
    """An integer written as a number or a numeric string; None for anything else (booleans too)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and _INT.fullmatch(v):
        return int(v)
    return None
