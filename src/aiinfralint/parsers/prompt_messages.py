"""YAML/JSON prompt files with a `messages` list (role/content) -> `PromptTemplate`.

Accepted shapes: a mapping with ``messages: [{role, content}, ...]`` (optionally
``model``, ``name`` and an Anthropic-style top-level ``system``), or a top-level list of
``{role, content}`` mappings that includes a system message (promptfoo chat prompts,
OpenAI request bodies). Content may be a string or a list of content blocks;
``cache_control`` on a block is a cache breakpoint after that block. Message text is
read as a template (``{{ x }}``, ``{% %}``, ``{x}``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.prompt import CacheBreakpoint, PromptTemplate, Segment
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.prompt_files import budget_from
from aiinfralint.parsers.prompt_slots import segment_template, template_syntax
from aiinfralint.parsers.registry import DocumentError, DocumentHandler
from aiinfralint.yamlsafe import YList, YMap

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "model", "human", "ai"})
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _is_message(item: Any) -> bool:
    return (
        isinstance(item, YMap)
        and isinstance(item.get("role"), str)
        and item["role"].lower() in _ROLES
        and ("content" in item or "text" in item)
    )


def claims(doc: Any, f: FileInput) -> bool:
    if isinstance(doc, YMap):
        msgs = doc.get("messages")
        return isinstance(msgs, YList) and len(msgs) > 0 and all(_is_message(m) for m in msgs)
    if isinstance(doc, YList) and doc:
        return all(_is_message(m) for m in doc) and any(m["role"].lower() in ("system", "developer") for m in doc)
    return False


def claims_text(f: FileInput) -> bool:
    return False


@lru_cache(maxsize=2)  # one builder per document: a file of many documents splits once
def _lines(text: str) -> list[str]:
    return text.split("\n")


class _Builder:
    def __init__(self, f: FileInput) -> None:
        self.f = f
        self.lines = _lines(f.text)
        self.json = f.suffix == ".json"
        self.segments: list[Segment] = []
        self.breakpoints: list[CacheBreakpoint] = []
        self.message = -1
        # characters `_place` may still search; beyond this a segment falls back to its
        # key's line (many slots that each search far would make the file quadratic)
        self.search_budget = 32 * len(f.text) + 1_000_000
        self.block_scalar: dict[int, bool] = {}

    def _place(
        self, key_line: int, rel: Span, expr: str, cursor: list[int], literal_start: int | None, indent: int
    ) -> Span:
        if literal_start is not None:
            return Span(path=self.f.path, line=literal_start + rel.line - 1, column=indent + rel.column)
        if not self.json and expr:
            last = min(len(self.lines), key_line + 200)
            for ln in range(max(cursor[0], key_line), last + 1):
                line = self.lines[ln - 1]
                self.search_budget -= len(line) + 1
                if self.search_budget < 0:
                    break
                col = line.find(expr)
                if col >= 0:
                    cursor[0] = ln
                    return Span(path=self.f.path, line=ln, column=col + 1)
        return Span(path=self.f.path, line=max(cursor[0], key_line), column=1)

    def _block_scalar(self, key_line: int) -> bool:
        """Does the key's line open a block scalar (`content: |`)? Asked once per line; a
        line longer than any key line is not searched (the pattern is quadratic on `:|#:|#...`)."""
        known = self.block_scalar.get(key_line)
        if known is None:
            line = self.lines[key_line - 1]
            known = self.block_scalar[key_line] = len(line) <= 1000 and _BLOCK_SCALAR.search(line) is not None
        return known

    def add_text(self, text: str, role: str, key_pos: tuple[int, int]) -> None:
        key_line = key_pos[0]
        literal_start: int | None = None
        indent = 0
        if not self.json and 0 < key_line <= len(self.lines) and self._block_scalar(key_line):
            if re.search(r":\s*\|", self.lines[key_line - 1]):
                # first non-blank line after the key holds the first line of text
                for ln in range(key_line + 1, min(len(self.lines), key_line + 50) + 1):
                    if self.lines[ln - 1].strip():
                        literal_start = ln
                        indent = len(self.lines[ln - 1]) - len(self.lines[ln - 1].lstrip())
                        break
                if literal_start is not None and text[:1] == "\n":
                    literal_start = None  # leading blank lines: fall back to search
        seg = segment_template(text, self.f.path, syntax=template_syntax(text), roles=False, role=role)
        cursor = [key_line]
        offset = len(self.segments)
        for s in seg.segments:
            anchor = s.text if s.kind != "text" else s.text.strip().split("\n", 1)[0][:40]
            span = self._place(key_line, s.span, anchor, cursor, literal_start, indent)
            self.segments.append(s.model_copy(update={"span": span, "message": self.message}))
        for b in seg.breakpoints:
            self.breakpoints.append(b.model_copy(update={"after": b.after + offset if b.after >= 0 else offset - 1}))

    def add_content(self, content: Any, role: str, holder: YMap, key: str) -> None:
        self.message += 1
        if isinstance(content, str):
            self.add_text(content, role, holder.pos(key))
        elif isinstance(content, YList):
            for i, block in enumerate(content):
                if isinstance(block, str):
                    self.add_text(block, role, content.pos(i))
                elif isinstance(block, YMap):
                    text = block.get("text")
                    if isinstance(text, str):
                        self.add_text(text, role, block.pos("text"))
                    elif block.get("type") not in (None, "text"):
                        line, col = block.line, block.column
                        self.segments.append(
                            Segment(
                                kind="tag",
                                text=str(block.get("type")),
                                role=role,
                                message=self.message,
                                span=Span(path=self.f.path, line=line, column=col),
                            )
                        )
                    if "cache_control" in block:
                        self._breakpoint(block)
        elif content is not None:
            line, col = holder.pos(key)
            raise DocumentError(
                f"message content must be a string or a list of content blocks, not {type(content).__name__}", line, col
            )

    def _breakpoint(self, block: YMap) -> None:
        cc = block.get("cache_control")
        ttl = cc.get("ttl") if isinstance(cc, YMap) and isinstance(cc.get("ttl"), str) else None
        line, col = block.pos("cache_control")
        self.breakpoints.append(
            CacheBreakpoint(
                after=len(self.segments) - 1,
                span=Span(path=self.f.path, line=line, column=col),
                ttl=ttl,
                source="cache_control",
            )
        )


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject]:
    b = _Builder(f)
    msgs: YList
    model: str | None = None
    name: str | None = None
    field_spans: dict[str, Span] = {}
    if isinstance(doc, YMap):
        msgs = doc["messages"]
        if isinstance(doc.get("model"), str):
            model = doc["model"].strip() or None
            line, col = doc.pos("model")
            field_spans["model"] = Span(path=f.path, line=line, column=col)
        if isinstance(doc.get("name"), str):
            name = doc["name"].strip() or None
        if "system" in doc:
            b.add_content(doc["system"], "system", doc, "system")
    else:
        msgs = doc
    for i, m in enumerate(msgs):
        role = str(m["role"]).lower()
        role = {"human": "user", "ai": "assistant", "model": "assistant"}.get(role, role)
        key = "content" if "content" in m else "text"
        b.add_content(m[key], role, m, key)
        if "cache_control" in m:
            b._breakpoint(m)
    if not b.segments:
        return []
    line, col = (doc.line, doc.column)
    label = f.path if index <= 1 else f"{f.path}#{index}"
    return [
        PromptTemplate(
            span=Span(path=f.path, line=line, column=col),
            field_spans=field_spans,
            name=name or label,
            source_kind="messages",
            segments=tuple(b.segments),
            breakpoints=tuple(b.breakpoints),
            model=model,
            model_source="`model:` in the file" if model else None,
            token_budget=budget_from(doc),
        )
    ]


HANDLER = DocumentHandler(name="prompt-messages", claims=claims, parse=parse, claims_text=claims_text)
