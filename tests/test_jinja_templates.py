"""Jinja prompt files read with Jinja's own lexer and parser; templates of other files skipped."""

from __future__ import annotations

import pytest

from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers.base import FileInput, ParseOutput
from aiinfralint.parsers.files import parse_text
from aiinfralint.parsers.prompt_slots import MAX_JINJA_BLOCKS, MAX_JINJA_BRACKETS, segment_jinja


def parsed(path: str, text: str) -> ParseOutput:
    return parse_text(FileInput(path, text))


def template(path: str, text: str) -> PromptTemplate:
    out = parsed(path, text)
    assert not out.problems, out.problems
    [t] = [o for o in out.objects if isinstance(o, PromptTemplate)]
    return t


def slots(t: PromptTemplate) -> list[str]:
    return [s.text for s in t.segments if s.kind == "slot"]


def test_jinja_without_double_braces_has_no_single_brace_slots():
    body = (
        "system:\nYou write React components. Use template literals such as\n"
        "`btn-${variant}` and objects like {variant} in the code you return.\n"
    )
    t = template("prompts/react_writer.j2", body)
    assert slots(t) == []
    assert all(s.volatility is None for s in t.segments)


def test_jinja_slots_positions_and_strings_holding_closers():
    body = 'system:\nToday is {{ now() }}.\n{% if mode == "}}" %}A{% endif %}\nHi {{- user.name | upper }}\n'
    t = template("prompts/a.jinja", body)
    assert slots(t) == ["now()", "user.name | upper"]
    [now, name] = [s for s in t.segments if s.kind == "slot"]
    assert (now.span.line, now.span.column, now.volatility) == (2, 10, "time")
    assert (name.span.line, name.span.column) == (4, 4)
    [control] = [s for s in t.segments if s.kind == "control"]
    assert control.text == 'mode == "}}"'
    assert t.roles == ("system",)


def test_literal_print_and_raw_blocks_are_text():
    t = template("prompts/b.j2", 'Braces: {{ "{" }} and {% raw %}{{ not_a_slot }}{% endraw %} done')
    assert slots(t) == []
    assert "{{ not_a_slot }}" in "".join(s.text for s in t.segments if s.kind == "text")


def test_comment_breakpoint_and_crlf_columns():
    t = template("prompts/c.j2", "system:\r\nStatic.\r\n{# cache_control #}\r\nAsk {{ question }}\r\n")
    assert [b.source for b in t.breakpoints] == ["template marker"]
    [q] = [s for s in t.segments if s.kind == "slot"]
    assert (q.span.line, q.span.column) == (4, 5)


def test_syntax_error_is_a_problem_with_its_line():
    out = parsed("prompts/broken.j2", "system:\nHello\n{% if user %}\nno end\n")
    assert not out.objects
    [p] = out.problems
    assert p.line == 3  # the block never closed
    assert "Jinja syntax error" in p.message


def test_prompty_body_syntax_error_line_counts_front_matter():
    text = "---\nname: x\n---\nsystem:\nHi {{ user }\n"
    [p] = parsed("x.prompty", text).problems
    assert (p.line, p.column) == (5, 4)  # an unclosed tag is reported at its opener
    assert p.message == "unclosed `{{`: no `}}` after it"
    text = "---\nname: x\n---\nsystem:\n{% if user %}\nHi\n"
    [p] = parsed("x.prompty", text).problems
    assert p.line == 5 and "Jinja syntax error" in p.message


def test_prompty_nunjucks_keeps_the_template_reader():
    text = "---\nname: x\ntemplate:\n  format:\n    kind: nunjucks\n---\nsystem:\nHi {{ name }}\n"
    assert slots(template("x.prompty", text)) == ["name"]


@pytest.mark.parametrize(
    "src",
    [
        "{{ " + "(" * (MAX_JINJA_BRACKETS + 200) + "x" + ")" * (MAX_JINJA_BRACKETS + 200) + " }}",
        "{% if a %}" * (MAX_JINJA_BLOCKS + 500) + "x" + "{% endif %}" * (MAX_JINJA_BLOCKS + 500),
    ],
)
def test_deep_templates_are_problems_not_recursion_errors(src: str):
    out = parsed("prompts/deep.j2", src)
    [p] = out.problems
    assert "nested" in p.message


def test_segment_jinja_never_renders():
    # a template calling into Python objects is read, not run
    seg = segment_jinja("{{ ''.__class__.__mro__[1].__subclasses__() }}", "x.j2")
    assert [s.kind for s in seg.segments] == ["slot"]


@pytest.mark.parametrize(
    "path,text,kind",
    [
        ("build/Dockerfile.j2", "Write a haiku about {{ topic }}.\nKeep it short.\nNo rhymes.\n", "Dockerfile"),
        ("templates/image.j2", 'FROM {{ image }}\nRUN apt-get update\nENV A=1\nCMD ["run"]\n', "Dockerfile"),
        (
            "templates/site.j2",
            "server {\n    listen {{ port }};\n    location / {\n        proxy_pass http://app;\n    }\n}\n",
            "nginx-style configuration",
        ),
        (
            "templates/unit.j2",
            "[Unit]\nDescription={{ name }}\n[Service]\nExecStart=/usr/bin/{{ bin }}\nRestart=always\n",
            "ini/systemd configuration",
        ),
        (
            "templates/values.j2",
            "model:\n  name: {{ model }}\n  replicas: 2\nserver:\n  port: 8000\n",
            "YAML",
        ),
        ("templates/run.j2", "#!/bin/bash\nexport A={{ a }}\nexec serve\n", "script"),
    ],
)
def test_templates_of_other_files_are_skipped_with_a_reason(path: str, text: str, kind: str):
    out = parsed(path, text)
    assert not out.objects
    assert out.skipped == f"not a prompt: {kind} template"


def test_prose_prompt_with_bullets_and_a_heading_is_a_prompt():
    body = "system:\nYou are a careful reviewer.\nRules:\n- cite sources\n- be brief\nUser said: {{ text }}\n"
    assert slots(template("prompts/review.j2", body)) == ["text"]
