"""Jupyter notebooks (``.ipynb``) -> the prompts their Python code builds.

The code cells of a Python notebook are read as one module, in notebook order, by the
Python prompt reader (never executed). IPython syntax is not Python: a cell that does not
parse as it stands has its magic lines (``%time``, ``!pip``, ``x = !ls``, ``obj?``) turned
into ``pass`` and is tried again; a cell magic (``%%bash``, ``%%html``) makes the cell
non-Python, except ``%%time``/``%%timeit``/``%%capture`` and ``%%writefile x.py``, whose
bodies are Python. A cell that still does not parse is left out; lines stay aligned.

Where findings point: the span is the line and column of the ``.ipynb`` file itself (the
JSON string holding that source line; nbformat writes one source line per JSON line), which
an editor or a code-review view of the raw file jumps to. The message names the cell
(1-based, counting every cell, markdown included, as Jupyter and VS Code list them) and the
line inside it: ``ask() at cell 4, line 3 (demo.ipynb)``.

Limits: the file size cap of every reader; JSON nested deeper than the decoder's recursion
limit, invalid JSON or a notebook without a cell list is ``AIL000`` with the reason; only
notebooks whose text mentions an LLM client or prompt API are loaded at all.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, C-accelerated; not in typeshed
from typing import Any

from aiinfralint.model.base import Span
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers import python_prompts
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem
from aiinfralint.parsers.pysource import parse_quietly
from aiinfralint.parsers.registry import FileParser

# cell magics whose body is Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
MAX_CELLS = 10_000
# a line IPython rewrites: `%magic`, `!shell`, `x = !ls`, `x = %who_ls`, `obj?`, `??obj`
_MAGIC_LINE = re.compile(r"^[ \t]*(?:[%!]|\?\?|[A-Za-z_][\w., ]*=[ \t]*[%!])|^[^#\n]*[\w)\]]\?{1,2}[ \t]*$")
_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*')
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)")


def claims(f: FileInput) -> bool:
    return f.suffix == ".ipynb"


@dataclass
class _Cell:
    number: int  # 1-based, every cell counted
    text: str  # the cell's source as Jupyter shows it
    lines: list[str]  # the Python the module holds for it (same count as the cell's lines)
    # (offset in `text`, offset of the JSON string's opening quote in the file, raw JSON string body)
    pieces: list[tuple[int, int, str]] | None = None


def _source_text(source: Any) -> str | None:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def _parses(text: str) -> bool:
    try:
        parse_quietly(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _unmagic(line: str) -> str:
    if _MAGIC_LINE.search(line) is None:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}pass"


def python_lines(text: str) -> list[str] | None:
    """The cell's lines as Python (magics turned into `pass`), or None when it is not Python."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[0].startswith("%%"):
        words = lines[0][2:].split()
        magic = words[0] if words else ""
        target = words[-1] if len(words) > 1 else ""
        if magic not in PYTHON_CELL_MAGICS and not (magic == "writefile" and target.endswith(".py")):
            return None
        lines = ["", *lines[1:]]
    if _parses("\n".join(lines)):
        return lines
    lines = [_unmagic(x) for x in lines]
    return lines if _parses("\n".join(lines)) else None


def _language(nb: dict[str, Any]) -> str | None:
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        return None
    for holder, key in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(holder)
        if isinstance(value, dict) and isinstance(value.get(key), str):
            return str(value[key]).lower()
    return None


def _cells(nb: Any) -> tuple[list[Any] | None, str]:
    """The notebook's cell list (nbformat 4, or the first worksheet's of nbformat 3) and its source key."""
    if not isinstance(nb, dict):
        return None, ""
    if isinstance(nb.get("cells"), list):
        return nb["cells"], "source"
    sheets = nb.get("worksheets")
    if isinstance(sheets, list):
        cells = [c for s in sheets if isinstance(s, dict) and isinstance(s.get("cells"), list) for c in s["cells"]]
        return cells, "input"
    return None, ""


def _code_cells(raw_cells: list[Any], key: str) -> list[_Cell]:
    out: list[_Cell] = []
    for number, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = _source_text(cell.get(key))
        if not text:
            continue
        lines = python_lines(text)
        if lines:
            out.append(_Cell(number, text, lines))
    return out


def _locate(raw: str, cells: list[_Cell]) -> None:
    """Find each code cell's source strings in the file text, in order, checking their value."""
    cursor = 0
    for cell in cells:
        for m in _SOURCE_KEY.finditer(raw, cursor):
            pieces = _pieces_at(raw, m.end())
            if pieces is not None and "".join(p for _, _, p, _ in pieces) == cell.text:
                cell.pieces = [(start, quote, body) for start, quote, _, body in pieces]
                cursor = pieces[-1][1] + 1 if pieces else m.end()
                break


def _pieces_at(raw: str, pos: int) -> list[tuple[int, int, str, str]] | None:
    """The JSON string (or list of strings) at `pos`: (offset in the joined value, quote offset, value, body)."""
    try:
        if raw.startswith('"', pos):
            value, end = scanstring(raw, pos + 1)
            return [(0, pos, value, raw[pos + 1 : end - 1])]
        if not raw.startswith("[", pos):
            return None
        out: list[tuple[int, int, str, str]] = []
        at, joined = pos + 1, 0
        while True:
            while raw[at] in " \t\r\n,":
                at += 1
            if raw[at] == "]":
                return out
            if raw[at] != '"':
                return None
            value, end = scanstring(raw, at + 1)
            out.append((joined, at, value, raw[at + 1 : end - 1]))
            joined += len(value)
            at = end
    except (ValueError, IndexError):
        return None


def _raw_offset(body: str, k: int) -> int:
    """Offset in a JSON string's body of its `k`-th decoded character."""
    if "\\" not in body:
        return k
    decoded = pos = 0
    for m in _ESCAPE.finditer(body):
        plain = m.start() - pos
        hexa = m.group(1)
        if plain == 0 and pos and hexa and 0xDC00 <= int(hexa, 16) <= 0xDFFF:
            pos = m.end()  # a low surrogate completes the character its high surrogate began
            continue
        if decoded + plain >= k:
            return pos + (k - decoded)
        decoded += plain + 1
        pos = m.end()
    return pos + (k - decoded)


class _Mapper:
    """Module line/column -> the notebook's cell and line, and the .ipynb file's line/column."""

    def __init__(self, raw: str, cells: list[_Cell]) -> None:
        self.raw = raw
        self.rows: list[tuple[_Cell, int]] = [(c, i) for c in cells for i in range(len(c.lines))]
        self._starts: list[int] | None = None

    def file_pos(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self.raw))]
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1

    def cell_of(self, line: int) -> tuple[_Cell, int] | None:
        if 1 <= line <= len(self.rows):
            cell, index = self.rows[line - 1]
            return cell, index + 1
        return None

    def place(self, line: int, column: int) -> tuple[int, int]:
        found = self.cell_of(line)
        if found is None or found[0].pieces is None or not found[0].pieces:
            return 1, 1
        cell, cell_line = found
        pieces = cell.pieces
        assert pieces is not None
        starts = [0, *(m.end() for m in re.finditer("\n", cell.text))]
        offset = starts[min(cell_line, len(starts)) - 1] + max(column - 1, 0)
        i = max(bisect.bisect_right([p[0] for p in pieces], offset) - 1, 0)
        start, quote, body = pieces[i]
        return self.file_pos(quote + 1 + _raw_offset(body, offset - start))

    def span(self, span: Span) -> Span:
        line, column = self.place(span.line, span.column)
        return Span(path=span.path, line=line, column=column)

    def where(self, line: int) -> str | None:
        found = self.cell_of(line)
        return f"cell {found[0].number}, line {found[1]}" if found else None


def _moved(t: PromptTemplate, mapper: _Mapper) -> PromptTemplate:
    """`t` with the notebook's own spans moved to the raw file (text of another module keeps its spans)."""
    own = t.span.path
    return t.model_copy(
        update={
            "span": mapper.span(t.span),
            "field_spans": {k: mapper.span(v) for k, v in t.field_spans.items()},
            "segments": tuple(
                s.model_copy(update={"span": mapper.span(s.span)}) if s.span.path == own else s for s in t.segments
            ),
            "breakpoints": tuple(b.model_copy(update={"span": mapper.span(b.span)}) for b in t.breakpoints),
            "location": mapper.where(t.span.line),
        }
    )


def _load(f: FileInput) -> tuple[Any, ParseProblem | None]:
    try:
        return json.loads(f.text), None
    except RecursionError:
        return None, ParseProblem("notebook JSON nested deeper than the decoder's limit; not read")
    except json.JSONDecodeError as exc:
        hint = "; a merge conflict left in it (`<<<<<<<`)?" if "\n<<<<<<< " in f.text else ""
        return None, ParseProblem(f"notebook is not valid JSON ({exc.msg}{hint})", exc.lineno, exc.colno)
    except ValueError as exc:  # e.g. an integer with more digits than the decoder accepts
        return None, ParseProblem(f"notebook is not valid JSON ({exc})")


def _python_module(f: FileInput) -> tuple[list[_Cell], str] | ParseOutput:
    """The notebook's code cells and the one Python module they make, or why it is not read."""
    if not python_prompts.mentions_prompt_api(f.text):
        return ParseOutput(skipped="notebook that mentions no LLM client or prompt API")
    nb, problem = _load(f)
    if problem is not None:
        return ParseOutput(problems=[problem], claimed=True)
    raw_cells, key = _cells(nb)
    if raw_cells is None:
        return ParseOutput(problems=[ParseProblem("notebook has no `cells` list")], claimed=True)
    if len(raw_cells) > MAX_CELLS:
        return ParseOutput(
            problems=[ParseProblem(f"notebook has more than {MAX_CELLS:,} cells; not read")], claimed=True
        )
    language = _language(nb)
    if language is not None and "python" not in language:
        return ParseOutput(skipped=f"notebook kernel language is {language}, not Python")
    cells = _code_cells(raw_cells, key)
    module = "".join(line + "\n" for c in cells for line in c.lines)
    if not python_prompts.mentions_prompt_api(module):
        return ParseOutput(skipped="notebook whose code mentions no LLM client or prompt API")
    return cells, module


def parse(f: FileInput) -> ParseOutput:
    found = _python_module(f)
    if isinstance(found, ParseOutput):
        return found
    cells, module = found
    result = python_prompts.parse(FileInput(f.path, module))
    if not result.objects and not result.problems:
        return result
    _locate(f.text, cells)
    mapper = _Mapper(f.text, cells)
    out = ParseOutput(claimed=True, skipped=result.skipped)
    for obj in result.objects:
        out.objects.append(_moved(obj, mapper) if isinstance(obj, PromptTemplate) else obj)
    for p in result.problems:
        line, column = mapper.place(p.line, p.column)
        where = mapper.where(p.line)
        out.problems.append(ParseProblem(f"{p.message} at {where}" if where else p.message, line, column))
    return out


def read_again(f: FileInput, read: Callable[[FileInput], list[PromptTemplate]]) -> list[PromptTemplate]:
    """The notebook's prompts as `read` finds them in its code cells (one module, as `parse` sees it),
    with the notebook's own spans in the raw file. The project-wide link step reads notebooks with it."""
    found = _python_module(f)
    if isinstance(found, ParseOutput):
        return []
    cells, module = found
    templates = read(FileInput(f.path, module))
    if not templates:
        return []
    _locate(f.text, cells)
    mapper = _Mapper(f.text, cells)
    return [_moved(t, mapper) for t in templates]


PARSER = FileParser(name="notebook", claims=claims, parse=parse)
