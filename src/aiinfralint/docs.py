"""Rule documentation, rendered from each rule's docstring and embedded examples.

`python -m aiinfralint.docs [DIR]` writes `rules/CODE-slug.md` (and `rules/README.md`);
a test fails when the committed pages differ from what the rules say.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from aiinfralint.report.ansi import Styler, wrap
from aiinfralint.rules.base import Rule
from aiinfralint.rules.registry import builtin_rules

_LANG = {
    ".py": "python",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".sql": "sql",
    ".j2": "jinja",
    ".jinja": "jinja",
    ".jinja2": "jinja",
    ".toml": "toml",
}


def page_name(rule: type[Rule]) -> str:
    return f"{rule.code}-{rule.slug}.md"


def help_uri(rule: type[Rule]) -> str:
    return f"https://github.com/aiinfralint/aiinfralint/blob/main/rules/{page_name(rule)}"


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return " or ".join(f"`{json.dumps(a)}`" for a in get_args(annotation))
    if get_origin(annotation) in (UnionType, Union):
        return " or ".join(_type_name(a) for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is list:
        return f"array of {_type_name(get_args(annotation)[0])}s"
    return {int: "integer", float: "number", str: "string", bool: "boolean"}.get(annotation, str(annotation))


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return f"`{json.dumps(value)}`"


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _bounds(info: FieldInfo) -> str:
    words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
    parts = [f"{words[k]} {_number(getattr(m, k))}" for m in info.metadata for k in words if hasattr(m, k)]
    return f", {', '.join(parts)}" if parts else ""


def render_options(rule: type[Rule]) -> str:
    """The "Options" section, from the fields of the rule's `Options` model."""
    fields = rule.Options.model_fields
    if not fields:
        return ""
    out = [
        "## Options",
        (
            f"Under `[tool.aiinfralint.rules.{rule.code}]` or `[tool.aiinfralint.rules.{rule.slug}]` "
            "(kebab-case or snake_case; an unknown option or a wrong type is an error):"
        ),
        "",
    ]
    for name, info in fields.items():
        out.append(
            f"- `{name.replace('_', '-')}` ({_type_name(info.annotation)}, default {_default(info.default)}"
            f"{_bounds(info)}): {info.description or ''}."
        )
    return "\n".join(out)


def _with_options(rule: type[Rule], body: str) -> str:
    section = render_options(rule)
    if not section:
        return body
    if "\n## References" in body:
        head, tail = body.split("\n## References", 1)
        return f"{head.rstrip()}\n\n{section}\n\n## References{tail}"
    return f"{body.rstrip()}\n\n{section}"


def render_rule(rule: type[Rule]) -> str:
    doc = rule.doc()
    lines = doc.splitlines()
    headline = lines[0] if lines else rule.slug
    body = _with_options(rule, "\n".join(lines[1:]).strip())
    out = [
        f"# {rule.code} `{rule.slug}`",
        "",
        f"**{headline}**",
        "",
        f"- Default severity: `{rule.severity.value}`",
        f"- Reads: {rule.inputs or 'the whole model'}",
        f"- Select with `--select {rule.code}` or `--select {rule.slug}`; silence inline with "
        f"`# aiinfralint: ignore[{rule.code}] reason`.",
        "",
        body,
        "",
    ]
    for ex in rule.examples:
        label = "Example (flagged)" if ex.is_bad else "Use instead (not flagged)"
        title = f": {ex.title}" if ex.title else ""
        out.append(f"## {label}{title}")
        out.append("")
        for name, src in ((ex.filename, ex.source), *ex.extra_files):
            lang = _LANG.get(Path(name).suffix.lower(), "text")
            out.append(f"`{name}`")
            out.append("")
            out.append(f"```{lang}")
            out.append(src.rstrip("\n"))
            out.append("```")
            out.append("")
        if ex.is_bad:
            out.append(f"Expected: {', '.join(ex.expect)}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# `code` or **bold** inside a line of prose
_INLINE = re.compile(r"(`+)(.+?)\1|\*\*(.+?)\*\*")
_LIST_ITEM = re.compile(r"^(\s*)[-*] ")


def _inline(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text of a Markdown line without its code and bold markers, and where each styled span is."""
    plain: list[str] = []
    spans: list[tuple[int, int, str]] = []
    size = last = 0
    for m in _INLINE.finditer(text):
        plain.append(text[last : m.start()])
        size += m.start() - last
        inner, style = (m.group(2).strip(), "cyan") if m.group(1) else (m.group(3), "bold")
        plain.append(inner)
        spans.append((size, size + len(inner), style))
        size += len(inner)
        last = m.end()
    plain.append(text[last:])
    return "".join(plain), spans


def _styled(plain: str, spans: list[tuple[int, int, str]], start: int, end: int, s: Styler) -> str:
    """Characters start:end of `plain`, with the styled spans that fall in them styled."""
    out: list[str] = []
    pos = start
    for a, b, style in spans:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        out.append(plain[pos:a])
        out.append(s(plain[a:b], style))
        pos = b
    out.append(plain[pos:end])
    return "".join(out)


def _prose(line: str, width: int, s: Styler) -> list[str]:
    """One Markdown line of prose or a list item, wrapped, with its inline markup as styles."""
    item = _LIST_ITEM.match(line)
    lead = f"{item.group(1)}  • " if item else ""
    plain, spans = _inline(line[item.end() :] if item else line)
    lines = wrap(plain, width - len(lead), "")
    out = []
    pos = 0
    for n, content in enumerate(lines):
        indent = lead if n == 0 else " " * len(lead)
        if plain.startswith(content, pos):
            out.append(indent + _styled(plain, spans, pos, pos + len(content), s))
        else:  # doubled spaces at a break: shown unstyled rather than misplaced
            out.append(indent + content)
        pos += len(content)
        if n < len(lines) - 1 and plain.startswith(" ", pos):
            pos += 1
    return out


def render_terminal(page: str, width: int) -> str:
    """A rule page (Markdown from `render_rule`) for a terminal: headings bold, code indented,
    inline code coloured, prose wrapped to `width`; no `#`, backticks or asterisks left."""
    s = Styler(True)
    width = max(width, 40)
    out: list[str] = []
    fence = False
    for line in page.splitlines():
        if line.startswith("```"):
            fence = not fence
            continue
        if fence:
            out.append(f"    {line}")
        elif line.startswith("#"):
            title = _inline(line.lstrip("#").strip())[0]
            out.append(s(title, "bold underline" if line.startswith("# ") else "bold"))
        elif line.strip():
            out.extend(_prose(line, width, s))
        else:
            out.append("")
    return "\n".join(out) + "\n"


def render_index(rules: tuple[type[Rule], ...]) -> str:
    out = ["# Rules", "", "| code | slug | severity | summary |", "|---|---|---|---|"]
    for r in rules:
        out.append(f"| [{r.code}]({page_name(r)}) | `{r.slug}` | {r.severity.value} | {r.title()} |")
    return "\n".join(out) + "\n"


def expected_pages() -> dict[str, str]:
    rules = builtin_rules()
    pages = {page_name(r): render_rule(r) for r in rules}
    pages["README.md"] = render_index(rules)
    return pages


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_pages().items():
        p = directory / name
        p.write_text(text, encoding="utf-8")
        written.append(p)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("rules")
    for p in write(target):
        print(p)
