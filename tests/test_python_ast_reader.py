"""The Python prompt reader on `ast`: character positions, string tokens, bounds and the prefilter."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers import python_prompts
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.pyprompts.extract import definitions
from aiinfralint.parsers.pyprompts.ir import Definition
from aiinfralint.parsers.pyprompts.sites import Sites
from aiinfralint.parsers.pyprompts.source import Source, fstring_parts


def templates(text: str) -> list[PromptTemplate]:
    out = python_prompts.parse(FileInput("app.py", text))
    assert not out.problems, out.problems
    return [o for o in out.objects if isinstance(o, PromptTemplate)]


def call(system: str, prelude: str = "") -> str:
    return (
        "import anthropic\nclient = anthropic.Anthropic()\n" + prelude + "def ask(q):\n"
        f"    return client.messages.create(model='claude-sonnet-4-5', system={system}, "
        "messages=[{'role': 'user', 'content': q}])\n"
    )


def test_columns_are_characters_not_utf8_bytes():
    """`ast` columns count UTF-8 bytes; a span after `é` or `日本` must count characters."""
    text = call("f'Résumé 日本: {user.name} at {datetime.now()}'")
    [t] = templates(text)
    line = text.splitlines()[3]
    slots = [s for s in t.segments if s.kind == "slot" and s.role == "system"]
    assert [s.text for s in slots] == ["user.name", "datetime.now()"]
    for s in slots:
        assert s.span.line == 4 and line[s.span.column - 1 :].startswith(s.text)
    first = next(s for s in t.segments if s.kind == "text")
    assert first.text == "Résumé 日本: " and line[first.span.column - 1 :].startswith("Résumé")


def test_implicit_concatenation_is_read_whole_with_a_position_per_literal():
    parts = [f'"part {i}. "' for i in range(12)]
    text = call("SYSTEM", prelude="SYSTEM = (\n    " + "\n    ".join(parts) + "\n)\n")
    [t] = templates(text)
    system = [s for s in t.segments if s.role == "system"]
    assert all(s.kind == "text" for s in system)
    assert "".join(s.text for s in system) == "".join(f"part {i}. " for i in range(12))
    assert [(s.span.line, s.span.column) for s in system] == [(4 + i, 6) for i in range(12)]


def test_fstring_concatenated_with_plain_strings_keeps_each_part_where_it_is():
    text = call("f'Today is {today}.' ' Be brief.' f' Hi {name}'", prelude="today = date.today()\n")
    [t] = templates(text)
    line = text.splitlines()[4]
    system = [s for s in t.segments if s.role == "system"]
    assert [(s.kind, s.text) for s in system] == [
        ("text", "Today is "),
        ("slot", "today"),
        ("text", "."),
        ("text", " Be brief."),
        ("text", " Hi "),
        ("slot", "name"),
    ]
    for s in system:
        assert line[s.span.column - 1 :].startswith(s.text)


def test_fstring_parts_split_fields_from_text():
    body = "a {{b}} {x!r:>{w}} c {d['}']} e"
    parts = [(kind, body[s:e]) for kind, s, e in fstring_parts(body)]
    assert parts == [
        ("text", "a {{b}} "),
        ("field", "{x!r:>{w}}"),
        ("text", " c "),
        ("field", "{d['}']}"),
        ("text", " e"),
    ]


def test_source_code_of_a_node_is_its_exact_text():
    text = "x = 'é' + f(\n\ta, *rest)\n"
    src = Source(text)
    tree = ast.parse(text)
    value = tree.body[0].value  # type: ignore[attr-defined]
    assert src.code(value.right) == "f(\n\ta, *rest)"
    assert src.pos(value.right) == (1, 11)
    assert src.code(value.right.args[1]) == "*rest"


@pytest.mark.parametrize(
    "code",
    [
        "x = a" + ".b" * 900,
        "x = a" + "()" * 900,
        "y = " + " + ".join(["'s'"] * 900),
        "if a:\n    pass\n" + "elif a:\n    pass\n" * 900,
    ],
)
def test_long_chains_are_read_without_recursion_limits(code):
    """What the C parser builds, the reader walks: no recursion over the tree."""
    text = "import openai\n" + code + "\nmessages = [{'role': 'system', 'content': 'Be brief.'}]\n"
    start = time.monotonic()
    out = python_prompts.parse(FileInput("app.py", text))
    assert not out.problems and len(out.objects) == 1
    assert time.monotonic() - start < 5


def test_the_reader_does_not_import_libcst():
    code = (
        "import sys\nfrom aiinfralint.parsers import python_prompts\nfrom aiinfralint.parsers.base import FileInput\n"
        "out = python_prompts.parse(FileInput('a.py', \"import openai\\nm = [{'role': 'system', 'content': 'x'}]\\n\"))\n"
        "assert out.objects\nprint('libcst' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


WORDS = st.sampled_from(
    ["openai", "system", "messages", " = ", "=", "langchain_core", "instructions", "x", " ", "\n", "_", "genai"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=12).map("".join))
def test_prefilter_agrees_with_the_regex_it_fronts(text):
    assert python_prompts.mentions_prompt_api(text) == (python_prompts._GATE.search(text) is not None)


def test_file_without_any_prompt_word_is_not_parsed(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(python_prompts, "module", lambda f: calls.append(f.path))
    f = FileInput("util.py", "def add(a, b):\n    return a + b\n")
    assert not python_prompts.claims(f) and calls == []


PROMPTS_MODULE = """\
from datetime import date

SYSTEM = "You are a careful research assistant. " "Cite sources."
GREETING = f"Hello {user.name}"


def lead_prompt(date_str, topic="AI"):
    return f"Today is {date_str}. Research {topic}."


class Prompts:
    main = "Answer briefly."
    unused = some_call()
"""


def test_module_definitions_are_plain_data_that_round_trip_through_json():
    defs = definitions("prompts.py", ast.parse(PROMPTS_MODULE), Source(PROMPTS_MODULE))
    by_name = {d.name: d for d in defs}
    assert set(by_name) == {"SYSTEM", "GREETING", "lead_prompt", "Prompts.main"}
    assert "".join(p.text for p in by_name["SYSTEM"].parts) == "You are a careful research assistant. Cite sources."
    lead = by_name["lead_prompt"]
    assert lead.kind == "function" and lead.params == ("date_str", "topic")
    assert [(p.kind, p.text) for p in lead.parts if p.kind == "slot"] == [("slot", "date_str"), ("slot", "topic")]
    assert by_name["Prompts.main"].parts[0].text == "Answer briefly."
    for d in defs:
        assert Definition.from_dict(json.loads(json.dumps(d.to_dict()))) == d


def test_a_name_from_another_module_is_asked_of_the_external_lookup_and_keeps_its_file():
    table = {d.name: d for d in definitions("prompts.py", ast.parse(PROMPTS_MODULE), Source(PROMPTS_MODULE))}
    text = call("SYSTEM + ' ' + Prompts.main", prelude="from prompts import SYSTEM, Prompts\n")
    [t] = Sites("app.py", ast.parse(text), Source(text), True, table.get).run()
    system = [s for s in t.segments if s.role == "system"]
    assert "".join(s.text for s in system) == "You are a careful research assistant. Cite sources. Answer briefly."
    assert system[0].span.path == "prompts.py" and (system[0].span.line, system[0].span.column) == (3, 11)
    assert system[-1].span.path == "prompts.py" and system[-1].span.line == 12
    # without the table the same names are slots, as before
    [t] = Sites("app.py", ast.parse(text), Source(text), True).run()
    assert [s.text for s in t.segments if s.role == "system" and s.kind == "slot"] == ["SYSTEM", "Prompts.main"]
