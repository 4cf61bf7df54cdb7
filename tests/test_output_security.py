"""Reports on hostile pull-request content: no one's markup gets through, nothing is written
through a symlink.

Each test reproduces an attack: names that carry workflow commands, terminal escape
sequences, Markdown links, images, mentions and emoji codes through every format (text,
JSON, SARIF, GitHub, Markdown, cost text/JSON/Markdown, the `--diff` summary); file names
that are not UTF-8; report paths that a pull request committed as symlinks, FIFOs or
symlinked directories; the composite action's read-back of its report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint import cli
from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.project import Project
from aiinfralint.report import get_reporter
from aiinfralint.report.base import ReportOptions
from aiinfralint.report.escape import md_code, md_text, printable

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = ROOT.parent / "shared" / "reference" / "sarif-schema-2.1.0.json"

# A workload name: YAML strings can hold any character, and the Kubernetes reader keeps it.
NAME = (
    "agent\n::add-mask::x\n::error file=a.py,line=1::pwned \x1b[31mred\x1b[0m "
    "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ [link](http://x) ![img](http://x/a.png) "
    "@everyone :x: <b>bold</b> | `tick` #1 ##[add-mask]y \r::warning::cr \x9b31m \u202eevil"
)
# A prompt file name: anything but '/' and NUL.
PROMPT_FILE = "p \x1b[31m\n::add-mask::y @everyone :x: [l](javascript:x) ![i](x.png) <b>|`\r.jinja2"
PROMPT = (ROOT / "fixtures/prompt/jinja-date-in-system/prompts/support_agent.jinja2").read_text(encoding="utf-8")


def manifest(name: str = NAME, gpus: int = 8) -> str:
    # a Job with GPUs (the cost inventory) and a hostPath scratch volume (AIL206 names it)
    return textwrap.dedent(
        f"""\
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: {json.dumps(name)}
          namespace: ml
        spec:
          template:
            spec:
              containers:
              - name: ocr
                image: ghcr.io/acme/x:1.0
                resources:
                  limits:
                    nvidia.com/gpu: {gpus}
                volumeMounts:
                - name: scratch
                  mountPath: /scratch
              volumes:
              - name: scratch
                hostPath:
                  path: /mnt/x
        """
    )


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose workload name and prompt file name are attacks; the working directory."""
    (tmp_path / "evil.yaml").write_text(manifest(), encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / PROMPT_FILE).write_text(PROMPT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    return tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- what a consumer would do with each output ----------------------------------------------


def runner_commands(output: str) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands GitHub's runner would act on in `output`.

    As the runner reads a step's output: lines end at ``\\n`` or ``\\r``; a line whose text
    (leading whitespace trimmed) starts with ``::`` is a command ``::name props::data``; the
    older ``##[name]data`` form is found anywhere in a line; ``::stop-commands::TOKEN``
    suspends all of that until a line ``::TOKEN::``.
    """
    unescape = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}

    def decode(value: str) -> str:
        return re.sub("%25|%0D|%0A|%3A|%2C", lambda m: unescape[m.group()], value)

    commands: list[tuple[str, dict[str, str], str]] = []
    stop: str | None = None
    for line in re.split(r"\r\n|\r|\n", output):
        if stop is not None:
            if line == f"::{stop}::":
                stop = None
            continue
        text = line.lstrip()
        if text.startswith("::") and text.find("::", 2) > 0:
            head, data = text[2:].split("::", 1)
            name, _, props = head.partition(" ")
            fields = dict(p.split("=", 1) for p in props.split(",") if "=" in p)
            commands.append((name, {k: decode(v) for k, v in fields.items()}, decode(data)))
            if name == "stop-commands":
                stop = data
        elif "##[" in line:
            commands.append(("##[", {}, line))
    return commands


def assert_only_annotations(output: str, files: set[str]) -> list[tuple[str, dict[str, str], str]]:
    commands = runner_commands(output)
    names = [c[0] for c in commands]
    assert set(names) <= {"error", "warning", "notice", "stop-commands"}, names
    annotations = [c for c in commands if c[0] != "stop-commands"]
    for _, props, _ in annotations:
        assert props.get("file") in files, props
    return annotations


def markdown_tokens(text: str):  # type: ignore[no-untyped-def]
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])

    def walk(tokens):  # type: ignore[no-untyped-def]
        for t in tokens:
            yield t
            if t.children:
                yield from walk(t.children)

    return list(walk(md.parse(text)))


def assert_inert_markdown(text: str, columns: int | None = None) -> None:
    """Rendered as GitHub would: no link, image or HTML of the input's, no mention, emoji code,
    issue reference or bare URL left in the text, every table row with its own columns."""
    tokens = markdown_tokens(text)
    kinds = {t.type for t in tokens}
    assert "link_open" not in kinds and "image" not in kinds, "input text became a link or an image"
    for t in tokens:
        if t.type in ("html_inline", "html_block"):
            tags = set(re.findall(r"</?([A-Za-z][A-Za-z0-9]*)", t.content))
            assert tags <= {"details", "summary", "sub"}, t.content
    prose = " ".join(t.content for t in tokens if t.type == "text")
    for trigger in ("@everyone", ":x:", "http://", "javascript:x", "#1"):
        assert trigger not in prose, trigger
    assert "\x1b" not in text and "\r" not in text
    if columns is not None:
        row: list[str] = []
        for t in tokens:
            if t.type == "tr_open":
                row = []
            elif t.type in ("td_open", "th_open"):
                row.append(t.type)
            elif t.type == "tr_close":
                assert len(row) == columns, "a '|' in input text split a table cell"


def assert_terminal_safe(text: str) -> None:
    """Nothing that controls a terminal or starts a line of its own."""
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), "control character"
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "\u274c" not in text  # ❌: rich's emoji for ':x:'


# --- injection through names, every format ---------------------------------------------------


def test_the_hostile_names_reach_the_reporters(hostile, capsys):
    code, out, _ = run_cli(capsys, "check", "--format", "json", "--no-cache")
    assert code == 1
    data = json.loads(out)
    objects = {f["object"] for f in data["findings"]}
    assert f"Job ml/{NAME}" in objects  # JSON keeps input text as data, exactly
    assert any(PROMPT_FILE in f["path"] for f in data["findings"])
    raw = out.encode("utf-8")
    assert b"\x1b" not in raw and b"\r" not in raw  # escaped by JSON itself


def test_text(hostile, capsys):
    code, out, _ = run_cli(capsys, "check", "--no-cache", "--show-skipped")
    assert code == 1
    assert_terminal_safe(out)
    assert ":x:" in out and "[link](http://x)" in out and "@everyone" in out  # shown literally
    assert "\\x1b[31m" in out and "\\n::add-mask::x" in out  # visible, not obeyed


def test_text_in_colour_keeps_only_our_escape_sequences(hostile, monkeypatch):
    from aiinfralint.pipeline.engine import RunOptions, run

    result = run(RunOptions(paths=["."], cwd=hostile, use_cache=False, jobs=1))
    out = get_reporter("text")(result, ReportOptions(cwd=hostile, color=True))
    ours = re.sub(r"\x1b\[[0-9;]*m", "", out)  # SGR codes of our own styles
    assert_terminal_safe(ours)
    assert "\x1b]" not in out and "\x1b[31mred" not in out


def test_github(hostile, capsys):
    code, out, _ = run_cli(capsys, "check", "--format", "github", "--no-cache")
    assert code == 1
    annotations = assert_only_annotations(out, {"evil.yaml", f"prompts/{printable(PROMPT_FILE)}"})
    assert len(annotations) == 2
    assert "\x1b" not in out and "\x9b" not in out
    messages = " ".join(data for _, _, data in annotations)
    assert "::add-mask::x" in messages  # inside the data of an annotation: shown, not obeyed


def test_markdown(hostile, capsys):
    code, out, _ = run_cli(capsys, "check", "--format", "markdown", "--no-cache")
    assert code == 1
    assert_inert_markdown(out, columns=6)
    assert "@\u200beveryone" in out and ":\u200bx:" in out


def test_sarif(hostile, capsys):
    code, out, _ = run_cli(capsys, "check", "--format", "sarif", "--no-cache")
    assert code == 1
    doc = json.loads(out)
    if SARIF_SCHEMA.is_file():
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    texts = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    assert any("\\[link\\](http://x)" in t for t in texts)  # not an embedded SARIF link
    assert not any(re.search(r"(?<!\\)\[link\]", t) for t in texts)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert "evil.yaml" in uris and all(re.fullmatch(r"[A-Za-z0-9/%._~:@-]+", u) for u in uris), uris


def test_cost_text_json_markdown(hostile, capsys):
    code, out, _ = run_cli(capsys, "cost", "--no-cache")
    assert code == 0
    assert f"Job ml/{printable(NAME)[:20]}" in out
    assert_terminal_safe(out)
    assert ":x:" in out
    code, out, _ = run_cli(capsys, "cost", "--no-cache", "--format", "markdown")
    assert code == 0
    assert_inert_markdown(out)
    assert "@\u200beveryone" in out
    code, out, _ = run_cli(capsys, "cost", "--no-cache", "--format", "json")
    assert code == 0
    assert f"Job ml/{NAME}" in {i["name"] for i in json.loads(out)["items"]}


# --- the --diff summary ------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def hostile_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A base commit with the hostile workload and prompt; a change that removes the workload
    (its finding is 'fixed', message and all) and grows the prompt's static prefix."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    repo = tmp_path / "repo"
    (repo / "prompts").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "evil.yaml").write_text(manifest(), encoding="utf-8")
    (repo / "prompts" / PROMPT_FILE).write_text(PROMPT, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    (repo / "evil.yaml").unlink()
    (repo / "prompts" / PROMPT_FILE).write_text(PROMPT.replace("# system:\n", "# system:\nCite the policy. " * 3, 1))
    monkeypatch.chdir(repo)
    return repo


def test_diff_github_summary_cannot_issue_commands(hostile_change, capsys):
    code, out, _ = run_cli(capsys, "check", "--diff", "base", "--format", "github", "--fail-on", "never")
    assert code == 0
    assert "::add-mask::x" in out  # the fixed finding's message is in the summary ...
    assert_only_annotations(out, {f"prompts/{printable(PROMPT_FILE)}"})  # ... and obeyed nowhere
    assert "\x1b" not in out and "\r" not in out


def test_diff_markdown(hostile_change, capsys):
    code, out, _ = run_cli(capsys, "check", "--diff", "base", "--format", "markdown", "--fail-on", "never")
    assert code == 0
    assert "Change since" in out
    assert_inert_markdown(out)


def test_diff_text_has_no_escape_sequences(hostile_change, capsys):
    code, out, _ = run_cli(capsys, "check", "--diff", "base", "--fail-on", "never", "--no-progress")
    assert code == 0
    assert "fixed: AIL206" in out
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out)
    assert "\u274c" not in out


def test_diff_text_lines_are_ours(hostile_change, capsys):
    _, out, _ = run_cli(capsys, "check", "--diff", "base", "--fail-on", "never", "--no-progress")
    assert_terminal_safe(out)


# --- file names that are not UTF-8 -------------------------------------------------------------

BAD = "bad\udcff.yaml"  # os.fsdecode(b"bad\xff.yaml")


def _bad_result(tmp_path: Path):  # type: ignore[no-untyped-def]
    from aiinfralint.pipeline.engine import RunResult

    (tmp_path / os.fsencode(BAD).decode("utf-8", "surrogateescape")).write_text(manifest(), encoding="utf-8")
    finding = Finding(
        code="AIL206",
        slug="agent-scratch-volume-unbounded",
        severity=Severity.WARNING,
        span=Span(path=BAD, line=19, column=9),
        message=f"{BAD}: Job ml/agent writes scratch data",
        remediation="Bound it.",
        logical_location=f"Job ml/{BAD}",
        fingerprint="f",
        impact=Impact(usd_per_month=Decimal(3), assumptions=(f"read from {BAD}",)),
    )
    return RunResult(
        findings=[finding], suppressed=[], skipped=[(BAD, "not a manifest")], files=[], project=Project(), rules=[]
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_undecodable_file_name_in_every_format(tmp_path, fmt):
    out = get_reporter(fmt)(_bad_result(tmp_path), ReportOptions(cwd=tmp_path, show_skipped=True))
    out.encode("utf-8")  # valid UTF-8 (a lone surrogate would raise)
    if fmt in ("json", "sarif"):
        doc = json.loads(out)
        if fmt == "json":
            assert doc["findings"][0]["path"] == "bad\\xff.yaml"
        else:
            loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            assert loc["uri"] == "bad%FF.yaml"  # the file's real bytes, percent-encoded
    else:
        assert "bad\\xff.yaml" in out
    from aiinfralint.cache.replay import perform

    perform([(str(tmp_path / f"out.{fmt}"), out)])
    (tmp_path / f"out.{fmt}").read_bytes().decode("utf-8")


def _bad_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / os.fsdecode(b"bad\xff.yaml")).write_text(manifest(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_undecodable_file_name_cost(tmp_path, monkeypatch, capsys, fmt):
    _bad_tree(tmp_path, monkeypatch)
    out_file = tmp_path / f"cost.{fmt}"
    code, _, err = run_cli(capsys, "cost", "--no-cache", "--format", fmt, "--output", str(out_file))
    assert code == 0, err
    text = out_file.read_bytes().decode("utf-8")
    if fmt == "json":
        assert json.loads(text)["items"][0]["path"] == "bad\\xff.yaml"
    else:
        assert "bad\\xff.yaml" in text


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_undecodable_file_name_check_end_to_end(tmp_path, monkeypatch, capsys, fmt):
    _bad_tree(tmp_path, monkeypatch)
    out_file = tmp_path / f"out.{fmt}"
    code, _, err = run_cli(capsys, "check", "--no-cache", "--format", fmt, "--output", str(out_file))
    assert code == 1, err
    text = out_file.read_bytes().decode("utf-8")
    if fmt in ("json", "sarif"):
        json.loads(text)


# --- reports written through symlinks ----------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A checked-out project and a file outside it that a committed symlink points at."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "job.yaml").write_text(manifest("train"), encoding="utf-8")
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("API_KEY=do-not-touch\n", encoding="utf-8")
    monkeypatch.chdir(project)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    return project, secret


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--output", "comment.md"],
        ["check", "--format", "github", "--output-format", "markdown:comment.md"],
        ["cost", "--output", "comment.md"],
    ],
)
def test_symlinked_report_path_is_refused(checkout, capsys, argv):
    project, secret = checkout
    (project / "comment.md").symlink_to(secret)
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert err == "aiinfralint: error: cannot write comment.md: it is a symbolic link\n"
    assert secret.read_text(encoding="utf-8") == "API_KEY=do-not-touch\n"


def test_dangling_symlink_creates_nothing(checkout, capsys):
    project, secret = checkout
    target = secret.parent / "planted.md"
    (project / "comment.md").symlink_to(target)
    code, _, err = run_cli(capsys, "check", "--output-format", "markdown:comment.md")
    assert code == 2 and "it is a symbolic link" in err
    assert not target.exists()


def test_symlinked_directory_on_a_relative_report_path_is_refused(checkout, capsys):
    project, secret = checkout
    (project / "reports").symlink_to(secret.parent, target_is_directory=True)
    code, _, err = run_cli(capsys, "check", "--output-format", "sarif:reports/secret.txt")
    assert code == 2
    assert err == "aiinfralint: error: cannot write reports/secret.txt: reports is a symbolic link\n"
    assert secret.read_text(encoding="utf-8") == "API_KEY=do-not-touch\n"


def test_regular_report_file_is_replaced_whole(checkout, capsys):
    project, _ = checkout
    (project / "out.json").write_text("x" * 1_000_000, encoding="utf-8")
    code, _, _ = run_cli(capsys, "check", "--format", "json", "--output", "out.json")
    assert code == 1
    json.loads((project / "out.json").read_text(encoding="utf-8"))  # truncated before writing


def test_replayed_report_is_not_written_through_a_symlink(cached, monkeypatch, capsys):
    (cached / "job.yaml").write_text(manifest("train"), encoding="utf-8")
    secret = cached.parent / "secret.txt"
    secret.write_text("keep\n", encoding="utf-8")
    monkeypatch.chdir(cached)
    assert cli.main(["check", "job.yaml", "--output", "comment.md"]) == 1
    (cached / "comment.md").unlink()
    (cached / "comment.md").symlink_to(secret)

    def not_replayed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("expected the stored report to be replayed")

    monkeypatch.setattr(cli, "_check", not_replayed)
    capsys.readouterr()
    assert cli.main(["check", "job.yaml", "--output", "comment.md"]) == 2
    assert "cannot write comment.md: it is a symbolic link" in capsys.readouterr().err
    assert secret.read_text(encoding="utf-8") == "keep\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("reader", [False, True])
def test_fifo_report_path_does_not_hang(checkout, reader):
    project, _ = checkout
    fifo = project / "comment.md"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK) if reader else None
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "aiinfralint", "check", "--no-cache", "--output-format", "markdown:comment.md"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        if fd is not None:
            os.close(fd)
    assert proc.returncode == 2
    assert proc.stderr == "aiinfralint: error: cannot write comment.md: it is not a regular file\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_stdout_dash_still_works(checkout, capsys):
    code, out, _ = run_cli(capsys, "cost", "--format", "json", "--output", "-")
    assert code == 0 and json.loads(out)["items"]


# --- the composite action ---------------------------------------------------------------------


def _action_step(name: str) -> str:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    [step] = [s for s in doc["runs"]["steps"] if s["name"] == name]
    return step["run"]


def _run_step(
    tmp_path: Path, script: str, env: dict[str, str], stub: str
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aiinfralint").write_text("#!/bin/sh\n" + stub, encoding="utf-8")
    (bin_dir / "aiinfralint").chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("", encoding="utf-8")
    output.write_text("", encoding="utf-8")
    full_env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "PATHS": ".",
        "BASE_REF": "",
        "FAIL_ON": "warning",
        "BASELINE": "",
        **env,
    }
    (tmp_path / "runner-temp").mkdir(exist_ok=True)
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc, summary.read_text(encoding="utf-8"), output.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_action_reads_back_only_a_regular_report_after_exit_0_or_1(tmp_path):
    gate = _action_step("Gate on what the change adds")
    report = tmp_path / "runner-temp" / "comment.md"
    writes = (
        'for a in "$@"; do case "$a" in markdown:*) printf "%s\\n" "## the comment" > "${a#markdown:}";; esac; done\n'
    )
    proc, summary, output = _run_step(tmp_path, gate, {"MARKDOWN": str(report)}, writes + "exit 1\n")
    assert proc.returncode == 1 and summary == "## the comment\n" and "exit-code=1" in output

    secret = tmp_path / "environ"
    secret.write_text("GITHUB_TOKEN=ghs_secret\n", encoding="utf-8")
    report.unlink()
    report.symlink_to(secret)  # the report path is a symlink and the run failed to write it
    proc, summary, output = _run_step(tmp_path, gate, {"MARKDOWN": str(report)}, "exit 2\n")
    assert proc.returncode == 2 and summary == "" and "exit-code=2" in output
    assert "failed with exit code 2" in proc.stdout
    proc, summary, _ = _run_step(tmp_path, gate, {"MARKDOWN": str(report)}, "exit 0\n")
    assert proc.returncode != 0 and "ghs_secret" not in summary
    assert "not a regular file" in proc.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_action_writes_reports_under_runner_temp(tmp_path):
    proc, _, output = _run_step(tmp_path, _action_step("Report paths"), {"SARIF": "", "MARKDOWN": ""}, "exit 0\n")
    assert proc.returncode == 0
    paths = dict(line.split("=", 1) for line in output.splitlines())
    temp = str(tmp_path / "runner-temp") + os.sep
    assert paths["sarif-file"].startswith(temp) and paths["markdown-file"].startswith(temp)


# --- the escaping functions --------------------------------------------------------------------


def test_printable():
    assert printable("plain text, ünïcödé 中文") == "plain text, ünïcödé 中文"
    assert printable("a\nb\rc\x1b[31md\x07\x9b\u202e\u2028") == "a\\nb\\rc\\x1b[31md\\x07\\x9b\\u202e\\u2028"
    assert printable("tab\tkept") == "tab\tkept"
    assert printable("bad\udcff") == "bad\\xff"


def test_markdown_escapes():
    assert md_text("[a](b) ![c](d) *e* _f_ `g` <h> | ~i~ $j$ \\") == (
        "\\[a\\]\\(b\\) \\!\\[c\\]\\(d\\) \\*e\\* \\_f\\_ \\`g\\` &lt;h&gt; \\| \\~i\\~ \\$j\\$ \\\\"
    )
    assert md_text("@team :tada: #42 http://x") == "@\u200bteam :\u200btada: \\#\u200b42 http:\u200b//x"
    assert md_text("- item") == "\\- item" and md_text("1. one") == "1\\. one"
    assert md_code("a``b|c") == "```a``b\\|c```" and md_code("`x`", table=False) == "`` `x` ``"
