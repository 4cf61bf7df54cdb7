"""Jupyter notebooks: code cells read as one Python module, findings placed on the .ipynb."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_harness import actual_findings, expected_markers

from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.parsers.notebooks import _raw_offset, python_lines
from aiinfralint.pipeline.discovery import CANDIDATE_SUFFIXES

FIXTURES = Path(__file__).parent.parent / "fixtures" / "prompt" / "notebooks"

_PROMPT = (
    'SYSTEM = f"""Today is {datetime.now()}.\n'
    + "You answer questions about the Acme billing API and nothing else. " * 12
    + '"""\n'
)
_CALL = (
    "from openai import OpenAI\n"
    "client = OpenAI()\n"
    "def ask(q):\n"
    '    return client.chat.completions.create(model="gpt-4o", messages=[\n'
    '        {"role": "system", "content": SYSTEM}, {"role": "user", "content": q}])\n'
)


def _cell(kind: str, text: str) -> dict[str, object]:
    lines = text.split("\n")
    source = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    cell: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook(*cells: dict[str, object], language: str = "python") -> bytes:
    doc = {
        "cells": list(cells),
        "metadata": {"kernelspec": {"language": language, "name": "k"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def _templates(data: bytes) -> list[PromptTemplate]:
    out = parse_bytes("nb.ipynb", data)
    assert not out.problems, out.problems
    return [o for o in out.objects if isinstance(o, PromptTemplate)]


def test_ipynb_is_a_candidate_suffix() -> None:
    assert ".ipynb" in CANDIDATE_SUFFIXES


def test_cells_are_one_module_and_spans_are_file_lines() -> None:
    data = _notebook(
        _cell("markdown", "# Billing bot"),
        _cell("code", "%pip install -q openai\nfrom datetime import datetime"),
        _cell("code", _PROMPT),
        _cell("code", _CALL),
    )
    (t,) = _templates(data)
    raw = data.decode().split("\n")
    slot = next(s for s in t.segments if s.kind == "slot")
    assert slot.text == "datetime.now()"
    # the span is the .ipynb line holding that source line, the column that of the expression
    assert raw[slot.span.line - 1][slot.span.column - 1 :].startswith("datetime.now()")
    call_line = raw[t.span.line - 1]
    assert "client.chat.completions.create" in call_line
    # the message names the cell (markdown counted) and the line inside it
    assert t.location == "cell 4, line 4"
    assert t.display_name == "ask() at cell 4, line 4 (nb.ipynb)"


def test_escaped_characters_keep_columns_right() -> None:
    prompt = _PROMPT.replace("Today is", 'Say "héllo" 😀\\t then today is')
    data = _notebook(_cell("code", "from datetime import datetime\n" + prompt + _CALL))
    (t,) = _templates(data)
    slot = next(s for s in t.segments if s.kind == "slot")
    raw = data.decode().split("\n")
    assert raw[slot.span.line - 1][slot.span.column - 1 :].startswith("datetime.now()")


def test_single_string_source() -> None:
    doc = json.loads(_notebook(_cell("code", "from datetime import datetime\n" + _PROMPT + _CALL)))
    doc["cells"][0]["source"] = "".join(doc["cells"][0]["source"])
    data = json.dumps(doc).encode()  # one line: every span is on it
    (t,) = _templates(data)
    slot = next(s for s in t.segments if s.kind == "slot")
    assert slot.span.line == 1
    assert data.decode()[slot.span.column - 1 :].startswith("datetime.now()")
    assert t.location == "cell 1, line 7"


def test_nbformat3_worksheets() -> None:
    doc = {
        "worksheets": [{"cells": [{"cell_type": "code", "input": [_PROMPT.replace('f"""', '"""'), _CALL]}]}],
        "metadata": {},
        "nbformat": 3,
    }
    (t,) = _templates(json.dumps(doc, indent=1).encode())
    assert t.location == "cell 1, line 6"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%pip install openai\nx = 1", ["pass", "x = 1"]),
        ("for i in range(2):\n    !echo hi\nfiles = !ls\nlen?", ["for i in range(2):", "    pass", "pass", "pass"]),
        ("%%time\nx = 1\n", ["", "x = 1"]),
        ("%%writefile app.py\nimport openai\n", ["", "import openai"]),
        ("%%bash\necho hi", None),
        ("%%writefile notes.txt\nhello", None),
        ("def f(:\n", None),
        # a cell that parses is kept as written: a prompt line starting with `%` or `!` stays
        ('P = """\n% of users\n!important\n"""', ['P = """', "% of users", "!important", '"""']),
    ],
)
def test_python_lines(cell: str, expected: list[str] | None) -> None:
    assert python_lines(cell) == expected


def test_raw_offset_walks_escapes() -> None:
    body = 'a\\"b\\ud83d\\ude00c\\n'
    decoded = json.loads(f'"{body}"')
    for k, ch in enumerate(decoded):
        assert json.loads(f'"{body[_raw_offset(body, k) :]}"')[0] == ch


def test_other_kernels_are_skipped() -> None:
    out = parse_bytes(
        "nb.ipynb", _notebook(_cell("code", 'library(openai)\nmessages = list(role="system")'), language="R")
    )
    assert out.skipped == "notebook kernel language is r, not Python"
    assert not out.objects and not out.problems


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"cells": [ {"cell_type": "code", "source": ["import openai"] ', "notebook is not valid JSON"),
        (b'{"cells": ' + b"[" * 100_000 + b'"openai"' + b"]" * 100_000 + b"}", "nested deeper"),
        (b'{"cells": {"openai": 1}}', "no `cells` list"),
    ],
)
def test_broken_notebooks_are_ail000(data: bytes, message: str) -> None:
    out = parse_bytes("nb.ipynb", data)
    assert out.claimed
    assert len(out.problems) == 1 and message in out.problems[0].message


def test_notebook_without_llm_code_is_not_loaded() -> None:
    out = parse_bytes("nb.ipynb", b"{not json at all")
    assert out.skipped == "notebook that mentions no LLM client or prompt API"
    assert not out.problems


def test_fixture_notebooks() -> None:
    assert actual_findings(FIXTURES) == expected_markers(FIXTURES)
    assert expected_markers(FIXTURES)
