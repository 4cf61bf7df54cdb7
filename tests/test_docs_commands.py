"""Every `aiinfralint` command shown in README.md and docs/*.md runs and exits as documented.

Commands in shell code blocks are run (in a temporary copy of `demo-platform/` and
`fixtures/`, caches off) and must exit 0, or 1 for a `check` that may report findings; a
command that needs a git base, stdin or another tool is skipped with the reason. Every
`--flag` shown in any code block, and in the README's list of `check` options, must exist in
that subcommand's `--help`, so a renamed or invented flag fails here.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SUBCOMMANDS = ("check", "rules", "explain", "cost", "schema")
SHELL = {"", "bash", "sh", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
TIMEOUT = 30
# documents whose commands run on files the reader creates by following the page
WALKTHROUGHS = {"docs/adding-a-rule.md": "runs on the rule and fixture the walkthrough has the reader write"}


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    tokens: tuple[str, ...]
    runnable: bool

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}: {' '.join(self.tokens)}"[:120]


def _blocks(path: Path) -> list[tuple[str, int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(m["lang"], text.count("\n", 0, m.start("body")) + 1, m["body"]) for m in FENCE.finditer(text)]


def _lines(body: str, first: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending, start = "", first
    for n, raw in enumerate(body.splitlines(), start=first):
        if not pending:
            start = n
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        out.append((start, pending + raw))
        pending = ""
    return out


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _segments(tokens: list[str]) -> list[list[str]]:
    """Commands joined by `&&`, `;`, `||`; a pipeline stays one segment (it holds `|`)."""
    out: list[list[str]] = [[]]
    for t in tokens:
        if t in ("&&", ";", "||"):
            out.append([])
        else:
            out[-1].append(t)
    return [s for s in out if s]


INVOCATION = re.compile(r"\baiinfralint\s+(?:check|rules|explain|cost|schema|--version)\b")
# a synopsis, not a command: `[PATH ...]`, `CODE|SLUG`, `[--format text|json]`
SYNOPSIS_LINE = re.compile(r"\[[A-Z-]|\w\|\w|\.\.\.")


def commands() -> list[Command]:
    found: list[Command] = []
    for path in DOCS:
        doc = path.relative_to(ROOT).as_posix()
        for lang, first, body in _blocks(path):
            for n, line in _lines(body, first):
                text = line.strip().removeprefix("$ ")
                if not INVOCATION.search(text):
                    continue
                if lang not in SHELL or SYNOPSIS_LINE.search(text):
                    # YAML or TOML that runs aiinfralint, or a synopsis: its flags are checked
                    at = INVOCATION.search(text)
                    assert at is not None
                    words = text[at.start() :].split()
                    found.append(Command(doc, n, ("aiinfralint", words[1], *_flags(words)), False))
                    continue
                for seg in _segments(_tokens(text)):
                    if seg[0] == "aiinfralint" or "aiinfralint" in seg:
                        found.append(Command(doc, n, tuple(seg), True))
    return found


def _skip_reason(cmd: Command) -> str | None:
    t = cmd.tokens
    if t[0] != "aiinfralint":
        return "not aiinfralint itself (another tool feeds it)"
    if "|" in t:
        return "a pipeline from another tool (helm)"
    if not cmd.runnable:
        return "a synopsis or a CI configuration (flags checked)"
    if cmd.doc in WALKTHROUGHS:
        return WALKTHROUGHS[cmd.doc]
    if "--diff" in t:
        return "needs a git history with the base ref"
    if "-" in t[2:]:
        return "reads stdin"
    return None


def _expected(cmd: Command) -> set[int]:
    t = cmd.tokens
    if len(t) > 1 and t[1] == "check" and "never" not in t and "--write-baseline" not in t:
        return {0, 1}  # findings at or above --fail-on are exit code 1, as documented
    return {0}


@functools.cache
def _help(sub: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aiinfralint", sub, "--help"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _flags(tokens: tuple[str, ...] | list[str]) -> list[str]:
    words = [t.strip("[]()`'\",") for t in tokens]
    return [w.split("=", 1)[0] for w in words if re.fullmatch(r"--[a-z][\w-]*(=.*)?", w)]


ALL = commands()


def test_the_docs_show_commands():
    assert len(ALL) >= 15
    assert sum(_skip_reason(c) is None for c in ALL) >= 8


def test_quick_start_is_two_commands_with_the_venv_step_and_the_ci_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Quick start") :]
    block = FENCE.search(section)
    assert block is not None
    lines = [line for line in block["body"].splitlines() if line.strip()]
    assert len(lines) == 2
    venv = "python3 -m venv .venv && . .venv/bin/activate && pip install "
    assert all(line.startswith(venv) for line in lines), lines
    assert "aiinfralint check demo-platform/" in lines[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = ci.strip().splitlines()[-1]
    assert lines[1].endswith(test_command), (lines[1], test_command)


def test_no_install_from_an_unpublished_package_or_a_missing_tag():
    tags = subprocess.run(["git", "tag"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    texts = [p.read_text(encoding="utf-8") for p in [*DOCS, *(ROOT / "examples").glob("*.yml")]]
    for text in texts:
        assert not re.search(r"pip install aiinfralint\b", text)
        for ref in re.findall(r"(?:rev: |aiinfralint@)(v\d[\w.]*)", text):
            assert ref in tags, f"{ref} is not a tag of this repository"


@pytest.mark.parametrize("cmd", [c for c in ALL if c.tokens[0] == "aiinfralint"], ids=lambda c: c.id)
def test_every_flag_shown_exists(cmd: Command):
    sub = cmd.tokens[1] if len(cmd.tokens) > 1 else ""
    if sub not in SUBCOMMANDS:
        assert sub in ("--version", "--help"), f"{cmd.id}: unknown subcommand"
        return
    usage = _help(sub)
    for flag in _flags(cmd.tokens):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", usage), f"{cmd.id}: {flag} is not an option of {sub}"


def test_the_check_options_listed_in_the_readme_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    para = readme[readme.index("`check` options:") :]
    para = para[: para.index("\n\n")]
    listed = set(re.findall(r"`(--[a-z][\w-]*)", para)) | set(re.findall(r"/(--[a-z][\w-]*)", para))
    assert len(listed) >= 15
    usage = _help("check")
    missing = [f for f in sorted(listed) if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", usage)]
    assert not missing


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("docs-commands")
    for name in ("demo-platform", "fixtures"):
        shutil.copytree(ROOT / name, work / name)
    return work


def test_documented_commands_run_and_exit_as_documented(workdir: Path):
    env = {**os.environ, "AIINFRALINT_NO_CACHE": "1", "NO_COLOR": "1"}
    failures: list[str] = []
    ran = 0
    for cmd in ALL:  # in document order: a baseline is written before it is read
        if _skip_reason(cmd) is not None:
            continue
        argv = [sys.executable, "-m", "aiinfralint", *cmd.tokens[1:]]
        if cmd.tokens[1:2] == ("check",):
            argv += ["--no-progress", "--jobs", "1"]
        done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        ran += 1
        if done.returncode not in _expected(cmd):
            failures.append(f"{cmd.id}: exit code {done.returncode}: {done.stderr.strip()[-300:]}")
        if "Traceback" in done.stderr:
            failures.append(f"{cmd.id}: traceback")
    assert ran >= 8
    assert not failures, "\n".join(failures)


def test_skipped_commands_have_a_reason():
    skipped = {c.id: _skip_reason(c) for c in ALL if _skip_reason(c)}
    assert all(skipped.values())


def test_every_configuration_key_is_in_the_readme():
    from aiinfralint.config import Config, PricingConfig, PromptConfig, TrafficConfig

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") : readme.index("### Suppressing")]
    toml = section[section.index("```toml") : section.index("```", section.index("```toml") + 3)]
    # the body of each `[tool.aiinfralint.NAME]` table
    tables = dict(re.findall(r"^\[tool\.aiinfralint\.([\w-]+)\][^\n]*\n(.*?)(?=^\[|\Z)", toml, re.M | re.S))
    sections = {"": Config, "traffic": TrafficConfig, "prompt": PromptConfig, "pricing": PricingConfig}
    missing = []
    for table, model in sections.items():
        for name in model.model_fields:
            if name == "source" or (not table and name in sections):
                continue
            spellings = (name, name.replace("_", "-"))
            patterns = [rf"^{re.escape(k)} = " for k in spellings]
            patterns += [rf"^\[tool\.aiinfralint\.{re.escape(k)}[\].]" for k in spellings if not table]
            if not any(re.search(p, tables.get(table, "") if table else toml, re.M) for p in patterns):
                missing.append(f"{table}.{name}".strip("."))
    assert not missing, f"configuration keys not in the README: {missing}"
