"""Python prompts whose text is defined in another checked module (the link step)."""

from __future__ import annotations

import pytest

from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.python_prompts import parse

_PROMPT = (
    '"""You are a research supervisor. Today is {date}.\n\n'
    + "Follow these rules when you research a topic and answer with care and detail.\n" * 40
    + '"""\n'
)

_SITE = """\
from langchain_core.messages import HumanMessage, SystemMessage
{imp}


def supervise(brief):
    system = {name}.format(date=get_today_str())
    return model.invoke([SystemMessage(content=system), HumanMessage(content=brief)])
"""


def _site(imp: str, name: str = "lead_prompt") -> str:
    return _SITE.format(imp=imp, name=name)


def _codes(result, code: str = "AIL101") -> list:
    return [f for f in result.findings if f.code == code]


def _templates(result) -> list[PromptTemplate]:
    return list(result.project.of_type(PromptTemplate))


def test_per_file_read_marks_imported_template():
    out = parse(FileInput("app/agent.py", _site("from app.prompts import lead_prompt")))
    (t,) = out.objects
    assert isinstance(t, PromptTemplate)
    slot = t.segments[0]
    assert slot.link is not None and slot.link.module == "app.prompts" and slot.link.name == "lead_prompt"
    assert slot.unresolved == "template `lead_prompt` imported from `app.prompts`"


def test_absolute_import_resolved_with_token_count(run_check):
    result = run_check(
        {
            "src/app/prompts.py": f"lead_prompt = {_PROMPT}",
            "src/app/agent.py": _site("from app.prompts import lead_prompt"),
        }
    )
    (f,) = _codes(result)
    assert "get_today_str()" in f.message and "token count unknown" not in f.message
    assert f.span.path == "src/app/agent.py" and f.span.line == 7  # where the prompt is passed
    (t,) = _templates(result)
    assert all(s.span.path == "src/app/agent.py" for s in t.segments)
    assert "Follow these rules" in t.static_text()


def test_relative_import_and_package_init(run_check):
    result = run_check(
        {
            "pkg/__init__.py": "",
            "pkg/prompts/__init__.py": f"lead_prompt = {_PROMPT}",
            "pkg/agents/__init__.py": "",
            "pkg/agents/agent.py": _site("from ..prompts import lead_prompt"),
        }
    )
    assert len(_codes(result)) == 1


def test_module_alias_and_class_attribute(run_check):
    result = run_check(
        {
            "app/prompts.py": f"class Prompts:\n    lead = {_PROMPT}",
            "app/agent.py": _site("import app.prompts as P", "P.Prompts.lead"),
        }
    )
    assert len(_codes(result)) == 1
    result = run_check(
        {
            "app/prompts.py": f"class Prompts:\n    lead = {_PROMPT}",
            "app/agent.py": _site("from app.prompts import Prompts", "Prompts.lead"),
        }
    )
    assert len(_codes(result)) == 1


def test_from_package_import_module(run_check):
    result = run_check(
        {
            "app/__init__.py": "",
            "app/prompts.py": f"lead_prompt = {_PROMPT}",
            "app/agent.py": _site("from . import prompts", "prompts.lead_prompt"),
        }
    )
    assert len(_codes(result)) == 1


def test_reexport_followed_a_few_hops(run_check):
    result = run_check(
        {
            "app/base.py": f"LEAD = {_PROMPT}",
            "app/prompts.py": "from app.base import LEAD\nlead_prompt = LEAD\n",
            "app/agent.py": _site("from app.prompts import lead_prompt"),
        }
    )
    assert len(_codes(result)) == 1


def test_depth_bound(run_check):
    files = {f"app/m{i}.py": f"from app.m{i + 1} import X\nX = X\n" for i in range(8)}
    files["app/m8.py"] = f"X = {_PROMPT}"
    files["app/agent.py"] = _site("from app.m0 import X", "X")
    (f,) = _codes(run_check(files))
    assert "token count unknown" in f.message  # eight hops away: not followed


def test_missing_module_token_count_unknown(run_check):
    result = run_check({"app/agent.py": _site("from elsewhere.prompts import lead_prompt")})
    (f,) = _codes(result)
    assert "token count unknown" in f.message
    assert "`elsewhere.prompts`, a module that is not among the checked files" in f.message
    assert f.impact is not None and f.impact.unpriced


def test_import_cycle_is_cut(run_check):
    result = run_check(
        {
            "app/a.py": "from app.b import X\nY = X\n",
            "app/b.py": "from app.a import Y\nX = Y\n",
            "app/agent.py": _site("from app.a import Y", "Y"),
        }
    )
    (f,) = _codes(result)
    assert "token count unknown" in f.message


def test_clean_date_in_user_turn_stays_silent(run_check):
    site = """\
from langchain_core.messages import HumanMessage, SystemMessage
from app.prompts import lead_prompt, user_prompt


def supervise(brief):
    user = user_prompt.format(date=get_today_str(), brief=brief)
    return model.invoke([SystemMessage(content=lead_prompt), HumanMessage(content=user)])
"""
    result = run_check(
        {
            "app/prompts.py": f"lead_prompt = {_PROMPT.replace('{date}', 'the current day')}"
            'user_prompt = "Today is {date}. {brief}"\n',
            "app/agent.py": site,
        }
    )
    assert not [f for f in result.findings if f.code.startswith("AIL10")]


def test_tree_without_links_is_unchanged(run_check):
    result = run_check({"app/agent.py": _site("", "'''Be brief. Today is {date}.'''")})
    assert all(s.link is None for t in _templates(result) for s in t.segments)


_FILE_SITE = """\
import os
from pathlib import Path

import anthropic

HERE = Path(__file__).parent
SYSTEM = {read}


def answer(question):
    return anthropic.Anthropic().messages.create(
        model="claude-sonnet-4-5",
        max_tokens=512,
        system=SYSTEM.format(date=get_today_str()),
        messages=[{{"role": "user", "content": question}}],
    )
"""


@pytest.mark.parametrize(
    ("read", "where"),
    [
        ('(HERE / "prompts" / "system.md").read_text()', "app/prompts/system.md"),
        ('Path(__file__).with_name("system.txt").read_text(encoding="utf-8")', "app/system.txt"),
        ('open(Path(__file__).parent.parent / "system.md").read()', "system.md"),
        ('open(os.path.join(os.path.dirname(__file__), "policy.md")).read()', "app/policy.md"),
        ('open("policy.md").read()', "app/policy.md"),
    ],
)
def test_prompt_files_read_from_disk(run_check, read, where):
    result = run_check({where: _PROMPT.strip('"\n'), "app/agent.py": _FILE_SITE.format(read=read)})
    # (a Markdown file under `prompts/` is also a prompt of its own)
    (f,) = [f for f in _codes(result) if f.span.path == "app/agent.py"]
    assert "token count unknown" not in f.message
    assert f.span.line == 14  # the `system=` value
    (t,) = [t for t in _templates(result) if t.span.path == "app/agent.py"]
    assert "Follow these rules" in t.static_text()


def test_prompt_file_symlinked_outside_the_tree_is_not_read(run_check, tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "system.md"
    outside.write_text(_PROMPT.strip('"\n'), encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "system.md").symlink_to(outside)
    result = run_check({"app/agent.py": _FILE_SITE.format(read='(HERE / "system.md").read_text()')})
    (f,) = _codes(result)
    assert "token count unknown" in f.message and "prompt file `system.md`" in f.message


def test_missing_prompt_file_is_said(run_check):
    result = run_check({"app/agent.py": _FILE_SITE.format(read='(HERE / "system.md").read_text()')})
    (f,) = _codes(result)
    assert "prompt file `system.md` read from disk, not found in the checked tree" in f.message


_CLASS_SITE = """\
import openai
{imp}


class Researcher:
    def __init__(self, cfg):
        self.prompts = PromptFamily(cfg)
        self.role = "You are a careful researcher."
        self.config = cfg

    def system(self):
        return self.prompts.main_system.format(date=get_today_str())

    def run(self, question):
        return openai.OpenAI().chat.completions.create(
            model="gpt-4o",
            messages=[
                {{"role": "system", "content": {content}}},
                {{"role": "user", "content": question}},
            ],
        )
"""


@pytest.mark.parametrize("content", ["self.prompts.main_system.format(date=get_today_str())", "self.system()"])
def test_instance_attribute_of_imported_class(run_check, content):
    result = run_check(
        {
            "app/prompts.py": f"class PromptFamily:\n    main_system = {_PROMPT}",
            "app/researcher.py": _CLASS_SITE.format(imp="from app.prompts import PromptFamily", content=content),
        }
    )
    (f,) = _codes(result)
    assert "token count unknown" not in f.message and "get_today_str()" in f.message


def test_instance_attribute_of_local_class_and_self_value(run_check):
    local = f"\n\nclass PromptFamily:\n    main_system = {_PROMPT}"
    content = "self.prompts.main_system.format(date=get_today_str())"
    result = run_check({"app/researcher.py": _CLASS_SITE.format(imp=local, content=content)})
    assert len(_codes(result)) == 1
    result = run_check({"app/researcher.py": _CLASS_SITE.format(imp=local, content="self.role + str(time.time())")})
    (t,) = _templates(result)
    assert t.segments[0].kind == "text" and t.segments[0].text == "You are a careful researcher."


def test_config_driven_template_stays_a_slot_saying_why(run_check):
    content = "self.config.system_template.format(date=get_today_str())"
    result = run_check({"app/researcher.py": _CLASS_SITE.format(imp="", content=content)})
    (t,) = _templates(result)
    assert t.segments[0].kind == "slot"
    (f,) = _codes(result)
    assert "token count unknown" in f.message and "`self.config.system_template` set at run time" in f.message


def test_standard_library_names_are_not_project_text(run_check):
    site = """\
import sys
from datetime import datetime

import anthropic


def answer(question):
    return anthropic.Anthropic().messages.create(
        model="claude-sonnet-4-5",
        max_tokens=512,
        system=f"The current date and time is {datetime.now()}. The user is running {sys.platform}.",
        messages=[{"role": "user", "content": question}],
    )
"""
    result = run_check({"app/agent.py": site})
    assert not _codes(result)  # a short tail after the clock, and nothing unknown in it


_FUNCTION_SITE = """\
import anthropic
from app.prompts import build_system, today


def answer(question):
    return anthropic.Anthropic().messages.create(
        model="claude-sonnet-4-5",
        max_tokens=512,
        system=build_system({arg}),
        messages=[{{"role": "user", "content": question}}],
    )
"""
_FUNCTION = f"""\
import datetime


def today():
    return datetime.date.today().isoformat()


def build_system(date):
    return f"Today is {{date}}.\\n" + {_PROMPT}
"""


def test_imported_function_called_with_arguments(run_check):
    result = run_check({"app/prompts.py": _FUNCTION, "app/agent.py": _FUNCTION_SITE.format(arg="date=today()")})
    (f,) = _codes(result)
    assert "`today()`" in f.message and "token count unknown" not in f.message
    result = run_check({"app/prompts.py": _FUNCTION, "app/agent.py": _FUNCTION_SITE.format(arg='"2025-01-01"')})
    assert not _codes(result)


def test_imported_call_of_an_unchecked_module_stays_as_it_was(run_check):
    site = _FUNCTION_SITE.format(arg="date=today()").replace("app.prompts", "vendor.prompts")
    result = run_check({"app/agent.py": site})
    (t,) = _templates(result)
    assert t.segments[0].kind == "slot" and t.segments[0].unresolved is None and t.segments[0].link is None
