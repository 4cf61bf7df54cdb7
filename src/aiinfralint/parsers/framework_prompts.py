"""Agent frameworks' prompt files (YAML) -> `PromptTemplate`.

Recognised by their keys, never by file name:

* SWE-agent configs: ``agent.templates.system_template`` (the system prompt) followed by
  ``instance_template`` (the first user turn); SWE-agent 0.x puts the templates at the top
  level. Jinja (``{{problem_statement}}``).
* smolagents prompt files: ``system_prompt`` with ``planning`` / ``managed_agent`` /
  ``final_answer``; ``system_prompt``, ``planning.update_plan_pre_messages`` and
  ``final_answer.pre_messages`` are sent as system turns, ``planning.initial_plan`` as the
  whole prompt of a planning call. Jinja (``{{ task }}``, ``{%- for tool in tools %}``).
* CrewAI ``agents.yaml`` (``role``/``goal``/``backstory``) and ``tasks.yaml``
  (``description``/``expected_output``), with ``{placeholder}`` inputs filled at kickoff. An
  agent's system prompt is rendered as CrewAI does: ``You are {role}. {backstory}`` then
  ``Your personal goal is: {goal}``; a task is the user turn.

The templates are parsed, never rendered; each segment points at its YAML line.
"""

from __future__ import annotations

import re
from typing import Any

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.prompt import CONSTANT, PROMPT_ROLE, PromptTemplate, Segment
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.prompt_messages import _Builder
from aiinfralint.parsers.registry import DocumentHandler
from aiinfralint.yamlsafe import YMap

_SWE_KEYS = ("system_template", "instance_template")
_SMOL_SECTIONS = ("planning", "managed_agent", "final_answer")
# smolagents prompt -> the role it is sent in
_SMOL_PROMPTS = (
    (("system_prompt",), "system"),
    (("planning", "initial_plan"), PROMPT_ROLE),
    (("planning", "update_plan_pre_messages"), "system"),
    (("final_answer", "pre_messages"), "system"),
)
# values the framework fills once per agent, the same on every call of its loop
SMOLAGENTS_STATIC = frozenset(
    {
        "tools",
        "managed_agents",
        "custom_instructions",
        "authorized_imports",
        "code_block_opening_tag",
        "code_block_closing_tag",
    }
)
SWE_AGENT_STATIC = frozenset({"command_docs"})
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
# a loop as the template segmenter keeps it: `tool in tools.values()` (`for ` may be dropped)
_LOOP = re.compile(r"^\s*(?:for\s+)?(?P<var>[A-Za-z_]\w*)(?:\s*,\s*[A-Za-z_]\w*)*\s+in\s+(?P<it>.+)$", re.S)
_JINJA_WORDS = frozenset({"for", "in", "if", "elif", "else", "and", "or", "not", "is", "none", "true", "false", "list"})
_CREW_AGENT = ("role", "goal", "backstory")
_CREW_TASK = ("description", "expected_output")
# cheap content tests (top-level or nested keys at the start of a line)
_TEXT_TELLS = (
    re.compile(r"^[ \t]*(?:system_template|instance_template)[ \t]*:", re.M),
    re.compile(r"^system_prompt[ \t]*:(?s:.*)^(?:planning|managed_agent|final_answer)[ \t]*:", re.M),
    re.compile(r"^[ \t]+backstory[ \t]*:", re.M),
    re.compile(r"^[ \t]+expected_output[ \t]*:", re.M),
)


def looks_like(text: str) -> bool:
    """Does the text carry the keys of a framework prompt file (decided before loading)?"""
    return any(t.search(text) for t in _TEXT_TELLS)


def claims_text(f: FileInput) -> bool:
    return f.suffix in (".yaml", ".yml") and looks_like(f.text)


def _swe_holder(doc: YMap) -> YMap | None:
    agent = doc.get("agent")
    templates = agent.get("templates") if isinstance(agent, YMap) else None
    for holder in (templates, doc):
        if isinstance(holder, YMap) and any(isinstance(holder.get(k), str) for k in _SWE_KEYS):
            return holder
    return None


def _entries(doc: YMap, keys: tuple[str, ...]) -> list[tuple[str, YMap]]:
    """Top-level mappings holding all of `keys` as strings (CrewAI agents or tasks)."""
    return [
        (str(name), value)
        for name, value in doc.items()
        if isinstance(value, YMap) and all(isinstance(value.get(k), str) for k in keys)
    ]


def _kind(doc: Any) -> str | None:
    if not isinstance(doc, YMap):
        return None
    if _swe_holder(doc) is not None:
        return "swe-agent"
    if isinstance(doc.get("system_prompt"), str) and any(isinstance(doc.get(k), YMap) for k in _SMOL_SECTIONS):
        return "smolagents"
    if _entries(doc, _CREW_AGENT):
        return "crewai-agents"
    if _entries(doc, _CREW_TASK):
        return "crewai-tasks"
    return None


def claims(doc: Any, f: FileInput) -> bool:
    return _kind(doc) is not None


def _names(expr: str) -> set[str]:
    return {n for n in _NAME.findall(expr) if n.lower() not in _JINJA_WORDS}


def _freeze(segments: list[Segment], static: frozenset[str]) -> list[Segment]:
    """Slots and conditions that read only per-agent values (and loops over them) are constant."""
    known = set(static)
    out: list[Segment] = []
    for seg in segments:
        if seg.kind in ("slot", "control"):
            loop = _LOOP.match(seg.text)
            names = _names(loop.group("it") if loop else seg.text)
            if names and names <= known:
                if loop:
                    known.add(loop.group("var"))
                seg = seg.model_copy(update={"volatility": CONSTANT, "volatility_reason": "fixed per agent"})
        out.append(seg)
    return out


def _template(f: FileInput, b: _Builder, name: str, kind: str, at: tuple[int, int]) -> PromptTemplate:
    return PromptTemplate(
        span=Span(path=f.path, line=at[0], column=at[1]),
        name=name,
        source_kind=kind,
        segments=tuple(b.segments),
        breakpoints=tuple(b.breakpoints),
    )


def _swe_agent(doc: YMap, f: FileInput) -> list[ModelObject]:
    holder = _swe_holder(doc)
    assert holder is not None
    b = _Builder(f)
    agent = doc.get("agent")
    tools = agent.get("tools") if isinstance(agent, YMap) else None
    env = tools.get("env_variables") if isinstance(tools, YMap) else None
    static = SWE_AGENT_STATIC | frozenset(env if isinstance(env, YMap) else ())
    for key, role in zip(_SWE_KEYS, ("system", "user"), strict=True):
        if isinstance(holder.get(key), str):
            b.message += 1
            b.add_text(holder[key], role, holder.pos(key))
    if not b.segments:
        return []
    b.segments = _freeze(b.segments, static)
    return [
        _template(f, b, "agent.templates" if holder is not doc else "templates", "swe-agent", holder.pos(_SWE_KEYS[0]))
    ]


def _smolagents(doc: YMap, f: FileInput) -> list[ModelObject]:
    out: list[ModelObject] = []
    for path, role in _SMOL_PROMPTS:
        holder: Any = doc
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, YMap) else None
        if not isinstance(holder, YMap) or not isinstance(holder.get(path[-1]), str):
            continue
        b = _Builder(f)
        b.message = 0
        b.add_text(holder[path[-1]], role, holder.pos(path[-1]))
        b.segments = _freeze(b.segments, SMOLAGENTS_STATIC)
        if b.segments:
            out.append(_template(f, b, ".".join(path), "smolagents", holder.pos(path[-1])))
    return out


def _connector(b: _Builder, text: str, role: str, at: tuple[int, int], f: FileInput) -> None:
    """Text the framework puts between the fields, placed on the field it introduces."""
    span = Span(path=f.path, line=at[0], column=at[1])
    b.segments.append(Segment(kind="text", text=text, role=role, message=b.message, span=span))


def _crewai(doc: YMap, f: FileInput, tasks: bool) -> list[ModelObject]:
    out: list[ModelObject] = []
    parts: tuple[tuple[str, str], ...]
    if tasks:
        parts = (
            ("Current Task: ", "description"),
            ("\nThis is the expected criteria for your final answer: ", "expected_output"),
        )
        role, what = "user", "task"
    else:
        parts = (("You are ", "role"), (". ", "backstory"), ("\nYour personal goal is: ", "goal"))
        role, what = "system", "agent"
    for name, entry in _entries(doc, _CREW_TASK if tasks else _CREW_AGENT):
        b = _Builder(f)
        b.message = 0
        for lead, key in parts:
            if lead:
                _connector(b, lead, role, entry.pos(key), f)
            b.add_text(entry[key].strip(), role, entry.pos(key))
        out.append(_template(f, b, f"{what} `{name}`", "crewai", (entry.line, entry.column)))
    return out


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject]:
    kind = _kind(doc)
    assert isinstance(doc, YMap)
    if kind == "swe-agent":
        return _swe_agent(doc, f)
    if kind == "smolagents":
        return _smolagents(doc, f)
    return _crewai(doc, f, tasks=kind == "crewai-tasks")


HANDLER = DocumentHandler(
    name="framework-prompts", claims=claims, parse=parse, claims_text=claims_text, template_values=True
)
