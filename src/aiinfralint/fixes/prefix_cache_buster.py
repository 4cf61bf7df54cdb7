"""AIL101 (unsafe): move the line holding the volatile value after the static instructions.

Only a line that holds nothing but the sentence with the value (a trailing template comment
may follow it) is moved, whole and with its own line ending:

- a template with role markers (`.prompty`, Jinja, dotprompt, `# system:`, `{{role "system"}}`):
  to the end of the system section, after its last non-blank line before the next role marker;
  a line inside an `{% if %}` / `{{#each}}` block is left alone, and a template without a
  system marker is not fixed;
- a YAML message list: to the end of the literal block (`content: |`) that holds it.

The prompt changes (the model reads the value later), hence unsafe. Python prompts, other YAML
layouts and lines holding more than the one sentence get no fix.
"""

from __future__ import annotations

import ast
import re
import warnings

from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit

ROLE_LINE = re.compile(
    r"^[ \t]*(?:#+[ \t]*)?(?P<role>system|user|assistant|developer|human|ai|model|tool)[ \t]*:[ \t]*$", re.I
)
HANDLEBARS_ROLE = re.compile(r"^[ \t]*\{\{\s*role\s+[\"'](?P<role>\w+)[\"']\s*\}\}[ \t]*$")
SYSTEM_ROLES = frozenset({"system", "developer"})
# a comment after the sentence: Jinja `{# ... #}`, Handlebars `{{! ... }}` / `{{!-- ... --}}`
TRAILING_COMMENT = re.compile(r"\s*(?:\{#.*?#\}|\{\{!.*?\}\})\s*$")
SLOT = re.compile(r"\{\{.*?\}\}|\{[A-Za-z_][\w.]*\}")
# a block is opened or closed on the line: `{% if %}`, `{% endfor %}`, `{{#each}}`, `{{/each}}`
BLOCK_OPEN = re.compile(r"\{%-?\s*(?:if|for|macro|block|call|filter|with|raw)\b|\{\{[#^]")
BLOCK_CLOSE = re.compile(r"\{%-?\s*end\w*|\{\{/")
SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")
LITERAL_BLOCK = re.compile(r"^(?P<indent>[ \t]*)(?:-[ \t]+)?[\w.\-\"']+[ \t]*:[ \t]*\|[-+]?[ \t]*(?:#.*)?$")
YAML_SUFFIXES = (".yaml", ".yml")
# one `{value}` of an f-string or `.format` template (`{{` is a literal brace)
PY_SLOT = re.compile(r"(?<!\{)\{(?!\{)")
TRIPLE = re.compile(r"[rRbBuUfF]{0,2}(?P<q>\"\"\"|\'\'\')")


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    path = finding.span.path
    if path.endswith((".ipynb", ".json")):
        return None
    lines = text.splitlines(keepends=True)
    at = finding.span.line - 1
    if not 0 <= at < len(lines):
        return None
    if path.endswith(".py"):
        edits = _python_move(text, lines, at)
    else:
        end = _yaml_block_end(lines, at) if path.endswith(YAML_SUFFIXES) else _system_section_end(lines, at)
        edits = _move(lines, at, end) if end is not None and end > at + 1 and _one_sentence(lines[at]) else ()
    if not edits:
        return None
    sentence = " ".join(TRAILING_COMMENT.sub("", lines[at]).split())
    return Fix(
        description=(
            f"moves `{sentence}` after the static instructions: the model sees the value later in the prompt, "
            "and the text before it is cached"
        ),
        safety="unsafe",
        path=path,
        edits=edits,
    )


def _python_move(text: str, lines: list[str], at: int) -> tuple[TextEdit, ...]:
    """Move line `at` of a triple-quoted string to just before its closing quotes."""
    line = lines[at]
    body = line.rstrip("\r\n")
    if len(PY_SLOT.findall(body)) != 1 or SENTENCE_BREAK.search(body.strip()) or body.endswith("\\"):
        return ()
    node = _string_around(text, at + 1)
    if node is None or node.end_lineno is None:
        return ()
    segment = ast.get_source_segment(text, node) or ""
    closing = segment.splitlines()[-1]
    end = node.end_lineno
    delete = TextEdit(start_line=at + 1, start_column=1, end_line=at + 2, end_column=1, text="")
    if not closing[:-3].strip():
        if end == at + 2 or not line.endswith("\n"):
            return ()
        return (delete, TextEdit(start_line=end, start_column=1, end_line=end, end_column=1, text=line))
    newline = "\r\n" if line.endswith("\r\n") else "\n"
    col = len(closing) - 3 + 1
    return (delete, TextEdit(start_line=end, start_column=col, end_line=end, end_column=col, text=newline + body))


def _string_around(text: str, line: int) -> ast.Constant | ast.JoinedStr | None:
    """The one triple-quoted string literal that spans 1-based `line` strictly inside it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the file's invalid escapes are not ours to print
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant | ast.JoinedStr) or node.end_lineno is None:
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            continue
        if not node.lineno < line < node.end_lineno:
            continue
        segment = ast.get_source_segment(text, node) or ""
        m = TRIPLE.match(segment)
        if m and segment.endswith(m.group("q")) and segment.count(m.group("q")) == 2:
            return node
    return None


def _one_sentence(line: str) -> bool:
    """Whether the line holds one sentence with one value in it (and maybe a trailing comment)."""
    body = TRAILING_COMMENT.sub("", line).strip()
    if not body or "{%" in body or BLOCK_OPEN.search(body) or BLOCK_CLOSE.search(body):
        return False
    if len(SLOT.findall(body)) != 1 or SLOT.fullmatch(body):
        return False
    return not SENTENCE_BREAK.search(SLOT.sub("X", body))


def _system_section_end(lines: list[str], at: int) -> int | None:
    """Index after the last non-blank line of the system section holding line `at`, or None."""
    depth = 0
    start = at - 1
    while start >= 0 and _role(lines[start]) is None:
        depth += _block_change(lines[start])
        start -= 1
    if start < 0 or _role(lines[start]) not in SYSTEM_ROLES or depth != 0:
        return None
    end = at + 1
    while end < len(lines) and _role(lines[end]) is None:
        end += 1
    while end > at + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _role(line: str) -> str | None:
    m = ROLE_LINE.match(line.rstrip("\r\n")) or HANDLEBARS_ROLE.match(line.rstrip("\r\n"))
    return m.group("role").lower() if m else None


def _block_change(line: str) -> int:
    return len(BLOCK_OPEN.findall(line)) - len(BLOCK_CLOSE.findall(line))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _yaml_block_end(lines: list[str], at: int) -> int | None:
    """Index after the last non-blank line of the literal block scalar holding line `at`, or None."""
    indent = _indent(lines[at])
    head = at - 1
    while head >= 0 and (not lines[head].strip() or _indent(lines[head]) >= indent):
        head -= 1
    if head < 0 or not LITERAL_BLOCK.match(lines[head].rstrip("\r\n")):
        return None
    if sum(_block_change(line) for line in lines[head + 1 : at]) != 0:
        return None
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= indent):
        end += 1
    while end > at + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _move(lines: list[str], at: int, end: int) -> tuple[TextEdit, ...]:
    """Delete line `at` (0-based) and put it back after line `end - 1`, keeping line endings."""
    moved = lines[at]
    delete = TextEdit(start_line=at + 1, start_column=1, end_line=at + 2, end_column=1, text="")
    last = lines[end - 1]
    if last.endswith("\n"):
        insert = TextEdit(start_line=end + 1, start_column=1, end_line=end + 1, end_column=1, text=moved)
    else:
        # the section ends the file without a final newline: the moved line goes after one
        newline = "\r\n" if moved.endswith("\r\n") else "\n"
        col = len(last) + 1
        insert = TextEdit(
            start_line=end, start_column=col, end_line=end, end_column=col, text=newline + moved.rstrip("\r\n")
        )
    if not moved.endswith("\n"):
        return ()
    return (delete, insert)
