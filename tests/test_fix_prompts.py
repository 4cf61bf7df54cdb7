"""`check --fix` on prompts: AIL105 orders a Python prompt's values, AIL101 (unsafe) moves a volatile line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_fix_core import CORPUS, FIXTURES, changed_lines, findings, lines_of

from aiinfralint.cli import main
from aiinfralint.config import Config
from aiinfralint.pipeline.engine import RunOptions, run
from aiinfralint.pipeline.fix import apply_edits
from aiinfralint.rules.prompt.nondeterministic_prefix import NondeterministicPrefix

FIX = ["check", "--fix", "--no-cache", "--fail-on", "never"]
UNSAFE = [*FIX, "--unsafe-fixes"]
PROMPTS = FIXTURES / "prompt"


def _copy(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(PROMPTS / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path / name


def _round_trip(capsys: pytest.CaptureFixture[str], target: Path, code: str, args: list[str]) -> tuple[str, str]:
    """Fix `target`, check the finding is gone and a second run changes nothing; (before, after)."""
    before = target.read_text()
    assert lines_of(findings(capsys, target.name), code)
    main([*args, target.name])
    after = target.read_text()
    assert after != before
    assert lines_of(findings(capsys, target.name), code) == []
    main([*args, target.name])
    assert target.read_text() == after
    return before, after


def test_json_dumps_gets_sort_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy("python-flags-json", tmp_path, monkeypatch)
    monkeypatch.chdir(folder)
    before, after = _round_trip(capsys, folder / "router.py", "AIL105", FIX)
    assert changed_lines(before, after) == (
        ['        f"Feature flags: {json.dumps(flags)}\\n"  # expect: AIL101, AIL105\n'],
        ['        f"Feature flags: {json.dumps(flags, sort_keys=True)}\\n"  # expect: AIL101, AIL105\n'],
    )


def test_rule_example_becomes_its_good_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = NondeterministicPrefix.examples
    monkeypatch.chdir(tmp_path)
    (tmp_path / bad.filename).write_text(bad.source)
    _round_trip(capsys, tmp_path / bad.filename, "AIL105", FIX)
    assert (tmp_path / bad.filename).read_text() == good.source


MULTI = '''\
import json

from openai import OpenAI

client = OpenAI()

POLICY = """You are the order desk assistant for Acme Outdoors. Never invent order numbers, tracking numbers
or refund amounts. Confirm the order number before any refund, refund at most the order total, and explain
the carrier's last scan in plain words. Keep answers under five sentences and end with the next step the
customer should take. Escalate to a human when the customer mentions a chargeback or a legal claim."""


def answer(question: str, tools: list[str], tags: list[str]) -> str:
    names = set(tags)
    catalog = json.dumps(
        {"tools": tools},
        indent=2,
    )
    system = f"Tags: {', '.join(names)}\\nTools: {catalog}\\n\\n{POLICY}"
    response = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return response.choices[0].message.content
'''


def test_multiline_call_and_named_set_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desk.py").write_text(MULTI)
    before, after = _round_trip(capsys, tmp_path / "desk.py", "AIL105", FIX)
    assert changed_lines(before, after) == (
        ["    system = f\"Tags: {', '.join(names)}\\nTools: {catalog}\\n\\n{POLICY}\"\n"],
        [
            "        sort_keys=True,\n",
            "    system = f\"Tags: {', '.join(sorted(names))}\\nTools: {catalog}\\n\\n{POLICY}\"\n",
        ],
    )


def test_set_not_iterated_gets_no_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    source = MULTI.replace("{', '.join(names)}", "{names}")
    (tmp_path / "desk.py").write_text(source)
    main([*FIX, "desk.py"])
    # `sort_keys` alone would leave the finding: the set rendered as it is has no mechanical repair
    assert (tmp_path / "desk.py").read_text() == source


def test_yaml_message_line_moves_only_with_unsafe_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy("yaml-messages-experiment-arm", tmp_path, monkeypatch)
    target = folder / "prompts" / "onboarding.yaml"
    monkeypatch.chdir(target.parent)
    before = target.read_text()
    main([*FIX, target.name])
    assert target.read_text() == before
    before, after = _round_trip(capsys, target, "AIL101", UNSAFE)
    moved = "      Experiment arm: {{ experiment_arm }}\n"
    assert changed_lines(before, after) == ([moved], [moved])
    assert after.splitlines(True).index(moved) == 14  # the last line of the system message
    assert after.replace(moved, "") == before.replace(moved, "")


TEMPLATES = [
    (
        "jinja-date-in-system",
        "prompts/support_agent.jinja2",
        "Today's date is {{ current_date }}.",
        "If you do not know",
    ),
    ("prompty-user-tier", "billing.prompty", "The customer is on the {{ user_tier }} plan.", "6. Keep answers"),
    ("dotprompt-promo-banner", "prompts/storefront.prompt", "Current promotion: {{promo_banner}}", "Keep each answer"),
]


@pytest.mark.parametrize(("name", "path", "sentence", "before_it"), TEMPLATES)
def test_template_fix_moves_line_to_end_of_system_section(
    name: str, path: str, sentence: str, before_it: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy(name, tmp_path, monkeypatch)
    result = run(RunOptions(paths=[path], config=Config(), cwd=folder, use_cache=False, jobs=1))
    [finding] = [f for f in result.findings if f.code == "AIL101"]
    assert finding.fix is not None and finding.fix.safety == "unsafe" and sentence in finding.fix.description
    before = (folder / path).read_text()
    after = apply_edits(before, finding.fix.edits)
    assert after is not None
    removed, added = changed_lines(before, after)
    assert removed == added and len(added) == 1 and sentence in added[0]
    lines = after.splitlines(True)
    at = lines.index(added[0])
    assert lines[at - 1].startswith(before_it) and not lines[at + 1].strip()


@pytest.mark.parametrize(("name", "path", "sentence", "before_it"), TEMPLATES)
def test_template_line_moves_to_end_of_system_section(
    name: str,
    path: str,
    sentence: str,
    before_it: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _copy(name, tmp_path, monkeypatch)
    target = folder / path
    monkeypatch.chdir(target.parent)
    before, after = _round_trip(capsys, target, "AIL101", UNSAFE)
    removed, added = changed_lines(before, after)
    assert removed == added and len(added) == 1 and sentence in added[0]
    lines = after.splitlines(True)
    at = lines.index(added[0])
    assert lines[at - 1].startswith(before_it) and not lines[at + 1].strip()


def test_sentence_among_others_is_not_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy("jinja-date-in-system", tmp_path, monkeypatch)
    target = folder / "prompts" / "support_agent.jinja2"
    text = target.read_text().replace("Today's date is", "Be kind. Today's date is")
    target.write_text(text)
    monkeypatch.chdir(target.parent)
    main([*UNSAFE, target.name])
    assert target.read_text() == text


def test_python_triple_quoted_line_from_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CORPUS / "browser-use__browser-use" / "browser_use" / "agent" / "judge.py"
    if not source.is_file():
        pytest.skip("the corpus is not here")
    shutil.copy(source, tmp_path / "judge.py")
    monkeypatch.chdir(tmp_path)
    before, after = _round_trip(capsys, tmp_path / "judge.py", "AIL101", UNSAFE)
    moved = "- **current date/time is {current_date}** - content with recent dates is real, not fabricated.\n"
    assert changed_lines(before, after) == ([moved], [moved])
    lines = after.splitlines(True)
    assert lines[lines.index(moved) - 1] == "</response_format>\n" and lines[lines.index(moved) + 1] == '"""\n'
