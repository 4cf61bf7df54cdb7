"""A notebook's prompts take text from the checked project's Python modules (the link step)."""

from __future__ import annotations

import json

from aiinfralint.model.prompt import PromptTemplate

_PROMPT = (
    '"""You are a research supervisor. Today is {date}.\n\n'
    + "Follow these rules when you research a topic and answer with care and detail.\n" * 40
    + '"""\n'
)

_CELLS = [
    ("markdown", "# Research agent\nThe prompts live in `prompts.py`."),
    ("code", "%pip install -q langchain-core\nfrom langchain_core.messages import HumanMessage, SystemMessage\n{imp}"),
    (
        "code",
        "def supervise(brief):\n    system = lead_prompt.format(date=get_today_str())\n"
        "    return model.invoke([SystemMessage(content=system), HumanMessage(content=brief)])",
    ),
]


def _notebook(imp: str) -> str:
    cells = []
    for kind, text in _CELLS:
        text = text.format(imp=imp)
        lines = text.split("\n")
        cell: dict[str, object] = {
            "cell_type": kind,
            "metadata": {},
            "source": [x + "\n" for x in lines[:-1]] + [lines[-1]],
        }
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    doc = {"cells": cells, "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


def test_template_imported_from_a_module_is_read(run_check):
    notebook = _notebook("from agents.prompts import lead_prompt")
    result = run_check({"agents/prompts.py": f"lead_prompt = {_PROMPT}", "agents/research.ipynb": notebook})
    (t,) = result.project.of_type(PromptTemplate)
    assert "Follow these rules" in t.static_text()
    # every segment points into the notebook's raw file; the imported text where the prompt is passed
    raw = notebook.split("\n")
    assert all(s.span.path == "agents/research.ipynb" for s in t.segments)
    first = t.segments[0]
    assert raw[first.span.line - 1][first.span.column - 1 :].startswith("system), HumanMessage")
    assert t.location == "cell 3, line 3"
    (f,) = [f for f in result.findings if f.code == "AIL101"]
    assert "get_today_str()" in f.message and "token count unknown" not in f.message
    assert f.span.path == "agents/research.ipynb" and "SystemMessage(content=system)" in raw[f.span.line - 1]


def test_absolute_import_found_by_path_suffix(run_check):
    result = run_check(
        {
            "src/agents/prompts.py": f"lead_prompt = {_PROMPT}",
            "notebooks/demo.ipynb": _notebook("from agents.prompts import lead_prompt"),
        }
    )
    (t,) = result.project.of_type(PromptTemplate)
    assert "Follow these rules" in t.static_text()


def test_module_not_checked_stays_a_slot_saying_why(run_check):
    result = run_check({"demo.ipynb": _notebook("from elsewhere.prompts import lead_prompt")})
    (f,) = [f for f in result.findings if f.code == "AIL101"]
    assert "token count unknown" in f.message
    assert "`elsewhere.prompts`, a module that is not among the checked files" in f.message
