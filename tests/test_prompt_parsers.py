"""Prompt readers: segments, roles, volatility, breakpoints and spans."""

from __future__ import annotations

import pytest

from aiinfralint.model.prompt import CONSTANT, EXPERIMENT, IDENTITY, REQUEST, TIME, UNKNOWN, PromptTemplate
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.files import parse_text
from aiinfralint.parsers.prompt_slots import classify


def templates(path: str, text: str) -> list[PromptTemplate]:
    out = parse_text(FileInput(path, text))
    assert not out.problems, out.problems
    return [o for o in out.objects if isinstance(o, PromptTemplate)]


@pytest.mark.parametrize(
    "expr,cls",
    [
        ("datetime.now()", TIME),
        ("date.today().isoformat()", TIME),
        ("current_date", TIME),
        ("time.Date", TIME),
        ("user.tier", IDENTITY),
        ("tenant_id", IDENTITY),
        ("customer.firstName", IDENTITY),
        ("uuid.uuid4()", REQUEST),
        ("request_id", REQUEST),
        ("random.choice(greetings)", REQUEST),
        ("variant", EXPERIMENT),
        ("json.dumps(flags)", EXPERIMENT),
        ("promo_banner", EXPERIMENT),
        ("question", UNKNOWN),
        ("context", UNKNOWN),
        ("update_notes", UNKNOWN),
        ("candidate", UNKNOWN),
    ],
)
def test_volatility_classes(expr, cls):
    assert classify(expr)[0] == cls


def test_prompty_roles_model_and_spans():
    text = (
        "---\nname: helper\nmodel:\n  api: chat\n  configuration:\n    azure_deployment: gpt-4o\n---\n"
        "system:\nYou help. Today is {{ today }}.\n\nuser:\n{{ question }}\n"
    )
    [t] = templates("prompts/helper.prompty", text)
    assert t.name == "helper" and t.model == "gpt-4o" and t.source_kind == "prompty"
    slot = next(s for s in t.segments if s.kind == "slot" and s.text == "today")
    assert (slot.span.line, slot.span.column) == (9, 20) and slot.role == "system" and slot.volatility == TIME
    assert t.prefix_region()[1] == "in the system prompt"
    assert [s.role for s in t.segments if s.kind == "slot"] == ["system", "user"]


def test_dotprompt_role_helpers():
    text = '---\nmodel: gemini-2.5-flash\n---\n{{role "system"}}\nStatic.\n{{role "user"}}\n{{ q }}\n'
    [t] = templates("prompts/a.prompt", text)
    assert t.source_kind == "dotprompt" and t.roles == ("system", "user")


def test_chat_templates_ansible_and_config_templates_are_not_prompts():
    assert (
        templates("chat_templates/x.jinja", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}") == []
    )
    assert (
        templates("roles/x/templates/motd.j2", "Host {{ inventory_hostname }} built {{ ansible_date_time.date }}") == []
    )
    assert parse_text(FileInput("deploy/payload.json.j2", '{"id": "{{ request_id }}"}')).objects == []
    assert parse_text(FileInput("docs/prompts/README.md", "Today {{ date }}")).objects == []


def test_single_brace_text_prompts():
    [t] = templates("app/prompts/summary.txt", 'Summarise for {customer_name} on ${today}: {"a": 1}')
    slots = [s.text for s in t.segments if s.kind == "slot"]
    assert slots == ["customer_name", "today"]


def test_yaml_messages_with_cache_control():
    text = (
        "model: claude-sonnet-4-5\nmessages:\n  - role: system\n    content:\n      - type: text\n"
        "        text: |\n          Static rules.\n          User: {{ user.name }}\n"
        '        cache_control: {type: ephemeral}\n  - role: user\n    content: "{{ q }}"\n'
    )
    [t] = templates("prompts/x.yaml", text)
    assert t.model == "claude-sonnet-4-5" and len(t.breakpoints) == 1
    bp = t.breakpoints[0]
    assert bp.span.line == 9 and t.segments[bp.after].role == "system"
    slot = next(s for s in t.segments if s.text == "user.name")
    assert slot.span.line == 8


def test_invalid_front_matter_is_a_parse_problem():
    out = parse_text(FileInput("prompts/bad.prompty", "---\nname: [unclosed\n---\nsystem:\nhi\n"))
    assert out.problems and out.problems[0].line >= 2


PY_ANTHROPIC = """\
import anthropic
from datetime import date

client = anthropic.Anthropic()
RULES = "Static rules. Static rules. Static rules. "


def build(user):
    today = date.today().isoformat()
    return f"Today is {today}. " + RULES


def ask(user, q):
    return client.messages.create(
        model="claude-haiku-4-5",
        system=[{"type": "text", "text": build(user), "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        messages=[{"role": "user", "content": q}],
    )
"""


def test_python_follows_helpers_locals_and_constants():
    [t] = templates("bot.py", PY_ANTHROPIC)
    assert t.name == "ask()" and t.model == "claude-haiku-4-5" and t.source_kind == "python"
    slot = next(s for s in t.segments if s.kind == "slot" and s.role == "system")
    # reported where it is interpolated, classified from what it is
    assert slot.text == "today" and slot.volatility == TIME and slot.span.line == 10
    assert "Static rules. Static rules." in t.static_text()
    assert t.breakpoints[0].ttl == "1h" and t.breakpoints[0].span.line == 16


PY_FORMATS = """\
import openai

TEMPLATE = "Hello {name}, your id is {uid}. Rules follow."
TOOLS = {"b": 1, "a": 2}


def run(name, uid, items):
    system = TEMPLATE.format(name=name, uid=uid)
    system += " Use %s and %(x)s." % ("x",) if False else ""
    system += " Tools: " + json.dumps(TOOLS) + " " + ", ".join(set(items))
    return openai.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": system}])
"""


def test_python_format_concat_constants_and_nondeterminism():
    [t] = templates("fmt.py", PY_FORMATS)
    slots = {s.text: s for s in t.segments if s.kind == "slot"}
    assert slots["name"].volatility == UNKNOWN and slots["uid"].volatility == IDENTITY
    assert slots["name"].span.line == 3  # placeholder inside the constant template
    dumps = next(s for k, s in slots.items() if "json.dumps" in k)
    assert dumps.volatility == CONSTANT and dumps.nondeterministic is None  # a literal dict keeps its order
    joined = next(s for k, s in slots.items() if "join" in k)
    assert joined.nondeterministic and "set" in joined.nondeterministic


def test_python_langchain_and_gemini():
    src = """\
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.messages import SystemMessage, HumanMessage
from google import genai
from google.genai import types

prompt = ChatPromptTemplate.from_messages([("system", "Tenant {tenant}. Rules."), ("human", "{q}")])


def gem(client, q, user):
    cfg = types.GenerateContentConfig(system_instruction=f"For {user.email}.")
    return client.models.generate_content(model="gemini-2.5-pro", contents=q, config=cfg)


def lc(llm, q):
    return llm.invoke([SystemMessage(content="Static."), HumanMessage(content=q)])
"""
    ts = {t.name: t for t in templates("lc.py", src)}
    assert set(ts) == {"prompt", "gem()", "lc()"}
    assert ts["prompt"].segments[1].text == "tenant" and ts["prompt"].segments[1].volatility == IDENTITY
    assert ts["gem()"].model == "gemini-2.5-pro"
    assert ts["lc()"].segments[0].role == "system"


def test_python_without_llm_prompt_is_ignored():
    src = "import subprocess\n\ndef f(messages):\n    return run(system='linux', messages=messages)\n"
    assert parse_text(FileInput("tool.py", src)).objects == []


def test_python_syntax_error_only_for_llm_files():
    bad = "from openai import OpenAI\nx = (\n"
    out = parse_text(FileInput("a.py", bad))
    assert out.problems and "syntax error" in out.problems[0].message
    assert not parse_text(FileInput("b.py", "system = (\n")).problems
