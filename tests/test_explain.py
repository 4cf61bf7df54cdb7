"""`explain CODE`: the rule page, rendered for a terminal, Markdown when piped."""

from __future__ import annotations

import re

import pytest

from aiinfralint.cli import main
from aiinfralint.docs import render_rule, render_terminal
from aiinfralint.rules.registry import find_rule

SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def test_piped_explain_prints_the_markdown_page(capsys):
    assert main(["explain", "AIL203"]) == 0
    out = capsys.readouterr().out
    rule = find_rule("AIL203")
    assert rule is not None and out == render_rule(rule)
    assert out.startswith("# AIL203 `scale-to-zero-llm-serving`") and "```yaml" in out
    assert main(["explain", "AIL203", "--color", "never"]) == 0
    assert capsys.readouterr().out == out


@pytest.mark.parametrize("how", [["--color", "always"], "FORCE_COLOR"])
def test_terminal_explain_renders_the_page(capsys, monkeypatch, how):
    args = ["explain", "scale-to-zero-llm-serving"]
    if how == "FORCE_COLOR":
        monkeypatch.setenv("FORCE_COLOR", "1")
    else:
        args += how
    assert main(args) == 0
    out = capsys.readouterr().out
    plain = SGR.sub("", out)
    assert "\x1b[1;4mAIL203 scale-to-zero-llm-serving\x1b[0m" in out  # the title, bold and underlined
    assert "\x1b[1mWhy is this bad?\x1b[0m" in out
    assert not any(line.startswith("#") for line in plain.splitlines())
    assert "```" not in plain and "`" not in plain.split("Example (flagged)")[0]
    assert "    apiVersion: serving.kserve.io/v1beta1" in plain  # code blocks indented
    assert "  • Default severity: warning" in plain


def test_prose_is_wrapped_to_the_width():
    rule = find_rule("AIL203")
    assert rule is not None
    plain = SGR.sub("", render_terminal(render_rule(rule), 60))
    prose = plain.split("Example (flagged)")[0]
    long = [line for line in prose.splitlines() if len(line) > 60 and " " in line.strip()]
    assert long == [], long
