"""Prompt files of agent frameworks: SWE-agent, smolagents, CrewAI."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_harness import actual_findings, expected_markers

from aiinfralint.model.prompt import CONSTANT, PROMPT_ROLE, PromptTemplate
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.parsers.framework_prompts import looks_like
from aiinfralint.parsers.registry import handlers_for_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "prompt" / "frameworks"


def _templates(path: str, text: str) -> list[PromptTemplate]:
    out = parse_bytes(path, text.encode())
    assert not out.problems, out.problems
    assert out.kinds == ["framework-prompts"], (out.kinds, out.skipped)
    return [o for o in out.objects if isinstance(o, PromptTemplate)]


def test_swe_agent_templates_are_system_then_user() -> None:
    text = (
        "agent:\n"
        "  templates:\n"
        "    system_template: |-\n"
        "      Window {{WINDOW}}. Commands:\n"
        "      {{command_docs}}\n"
        "    instance_template: |-\n"
        "      ISSUE:\n"
        "      {{problem_statement}}\n"
        "  tools:\n"
        "    env_variables:\n"
        "      WINDOW: 100\n"
    )
    (t,) = _templates("config/default.yaml", text)
    assert t.name == "agent.templates" and t.source_kind == "swe-agent"
    assert t.roles == ("system", "user")
    slots = {s.text: s for s in t.segments if s.kind == "slot"}
    # fixed per agent: an env variable of the config and the tool docs
    assert slots["WINDOW"].volatility == CONSTANT and slots["command_docs"].volatility == CONSTANT
    assert slots["problem_statement"].volatility != CONSTANT
    assert slots["WINDOW"].span.line == 4 and slots["problem_statement"].span.line == 8


def test_smolagents_prompts_and_their_turns() -> None:
    text = (
        "system_prompt: |-\n"
        "  Tools:\n"
        "  {%- for tool in tools.values() %}\n"
        "  - {{ tool.to_tool_calling_prompt() }}\n"
        "  {%- endfor %}\n"
        "planning:\n"
        "  initial_plan: |-\n"
        "    Plan this task: {{task}}\n"
        "final_answer:\n"
        "  pre_messages: |-\n"
        "    An agent got stuck.\n"
    )
    by_name = {t.name: t for t in _templates("prompts/agent.yaml", text)}
    assert set(by_name) == {"system_prompt", "planning.initial_plan", "final_answer.pre_messages"}
    system = by_name["system_prompt"]
    assert system.roles == ("system",)
    assert all(s.volatility == CONSTANT for s in system.segments if s.kind in ("slot", "control"))
    assert by_name["planning.initial_plan"].roles == (PROMPT_ROLE,)


def test_crewai_agent_is_rendered_as_crewai_does() -> None:
    text = "researcher:\n  role: >\n    Analyst\n  goal: >\n    Study {topic}\n  backstory: >\n    Seasoned.\n"
    (t,) = _templates("config/agents.yaml", text)
    assert t.name == "agent `researcher`" and t.roles == ("system",)
    rendered = "".join(s.text if s.kind == "text" else "{" + s.text + "}" for s in t.segments)
    assert rendered == "You are Analyst. Seasoned.\nYour personal goal is: Study {topic}"
    slot = next(s for s in t.segments if s.kind == "slot")
    assert (slot.span.line, slot.span.column) == (5, 12)  # the expression inside the braces


def test_crewai_task_is_a_user_turn() -> None:
    text = "research_task:\n  description: >\n    Research {topic}.\n  expected_output: >\n    A list.\n  agent: r\n"
    (t,) = _templates("config/tasks.yaml", text)
    assert t.name == "task `research_task`" and t.roles == ("user",)


def test_jinja_lines_do_not_make_the_file_a_template_to_render() -> None:
    # `{%- for %}` lines would otherwise skip the file as "Go/Jinja template: render it first"
    text = (
        "system_prompt: |-\n  {%- for tool in tools.values() %}\n  x\n  {%- endfor %}\nplanning:\n  initial_plan: y\n"
    )
    assert _templates("a.yaml", text)


@pytest.mark.parametrize(
    "text",
    [
        "system_prompt: You are helpful.\nmodel: gpt-4o\n",  # a config with a system prompt, no smolagents sections
        "people:\n  role: admin\n  goal: none\n",
        "name: role\nbackstory: one line\n",
    ],
)
def test_other_yaml_is_not_claimed(text: str) -> None:
    out = parse_bytes("x.yaml", text.encode())
    assert "framework-prompts" not in out.kinds


def test_marker_and_text_tells() -> None:
    text = "writer:\n  role: >\n    W\n  goal: g\n  backstory: b\n"
    assert looks_like(text)
    assert any(h.name == "framework-prompts" for h in handlers_for_text(text))
    assert not looks_like("backstory: at the top level\n")


def test_broken_framework_yaml_is_ail000() -> None:
    out = parse_bytes("agents.yaml", b"writer:\n  role: >\n    W\n  backstory: [unclosed\n")
    assert out.claimed and out.problems


def test_fixture_frameworks() -> None:
    want = expected_markers(FIXTURES)
    assert want
    assert actual_findings(FIXTURES) == want
