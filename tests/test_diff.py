"""`--diff BASE_REF`: findings the change adds, those it fixes, and the $/kgCO2e/token delta.

The rules and the prompt reader here are test-local (registered by monkeypatching the
registries), so these tests do not depend on the rule families built elsewhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint.config import Config
from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.finding import Impact, Severity
from aiinfralint.model.k8s import Workload
from aiinfralint.parsers.base import FileInput, ParseOutput
from aiinfralint.parsers.registry import FileParser
from aiinfralint.rules.base import Rule

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


class FakePrompt(ModelObject):
    name: str
    static_prefix_tokens: int

    @property
    def display_name(self) -> str:
        return f"prompt {self.name}"


def _parse_prompt(f: FileInput) -> ParseOutput:
    static = f.text.split("{{", 1)[0]
    obj = FakePrompt(
        span=Span(path=f.path, line=1, column=1), name=f.pure.stem, static_prefix_tokens=len(static.split())
    )
    return ParseOutput(objects=[obj], claimed=True)


PROMPT_PARSER = FileParser("test-prompt", lambda f: f.suffix == ".prompt", _parse_prompt)


class GpuSpend(Rule):
    """Every GPU workload, priced at $100 and 1 kgCO2e per GPU per month (test rule).

    ## What it does
    Test.
    ## Why is this bad?
    Test.
    ## How to fix
    Test.
    """

    code = "AIL991"
    slug = "test-gpu-spend"
    severity = Severity.WARNING
    targets = (Workload,)

    def check(self, obj, ctx):
        if obj.gpu_count:
            gpus = Decimal(str(obj.gpu_count))
            yield self.finding(
                obj,
                f"{obj.display_name} uses {obj.gpu_count:g} GPUs.",
                impact=Impact(usd_per_month=gpus * 100, kgco2e_per_month=gpus, assumptions=("$100 per GPU (test)",)),
                key="gpu-spend",
            )


class LongPrefix(Rule):
    """A prompt whose static prefix is over 10 tokens (test rule).

    ## What it does
    Test.
    ## Why is this bad?
    Test.
    ## How to fix
    Test.
    """

    code = "AIL992"
    slug = "test-long-prefix"
    severity = Severity.WARNING
    targets = (FakePrompt,)

    def check(self, obj, ctx):
        if obj.static_prefix_tokens > 10:
            yield self.finding(
                obj,
                f"{obj.display_name} has {obj.static_prefix_tokens} static tokens.",
                impact=Impact(tokens=obj.static_prefix_tokens),
                key="long-prefix",
            )


@pytest.fixture
def test_rules(monkeypatch, tmp_path):
    from aiinfralint.parsers import files
    from aiinfralint.pipeline import engine
    from aiinfralint.rules import registry

    rules = (GpuSpend, LongPrefix)
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    monkeypatch.setattr(files, "file_parsers_for", lambda suffix: (PROMPT_PARSER,))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    return scratch


def job(name: str, gpus: int, kind: str = "Job") -> str:
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return f"""apiVersion: {api}
kind: {kind}
metadata:
  name: {name}
  namespace: ml
spec:
  template:
    spec:
      containers:
      - name: main
        image: ghcr.io/acme/{name}:1.0
        resources:
          limits:
            nvidia.com/gpu: {gpus}
"""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def write(repo: Path, name: str, text: str) -> None:
    p = repo / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A base commit (tag `base`), then a change: partly committed, partly in the working tree."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    write(r, "deploy/train.yaml", job("train", 2))
    write(r, "deploy/serve.yaml", job("serve", 1, kind="Deployment"))
    write(r, "prompts/support.prompt", "You are a support agent for ACME.\n{{ question }}\n")
    write(r, "README.md", "not ours\n")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "base")
    git(r, "tag", "base")
    # committed part of the change: a new 8-GPU job, the serving Deployment removed
    write(r, "deploy/backfill.yaml", job("backfill", 8))
    (r / "deploy/serve.yaml").unlink()
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "change")
    # uncommitted part: the training job doubles its GPUs, the prompt's static prefix grows
    write(r, "deploy/train.yaml", job("train", 4))
    write(
        r,
        "prompts/support.prompt",
        "You are a support agent for ACME. Always answer politely and cite policy.\n{{ question }}\n",
    )
    return r


def _options(cwd: Path, paths=(".",)):
    from aiinfralint.pipeline.engine import RunOptions

    return RunOptions(paths=list(paths), config=Config(), cwd=cwd, use_cache=False, jobs=1)


def test_diff_reports_exactly_the_added_findings_and_the_delta(test_rules, repo):
    from aiinfralint.pipeline.diffmode import run_gate

    result = run_gate(_options(repo), diff_base="base")
    d = result.diff
    assert d is not None
    added = sorted((f.code, f.span.path, f.logical_location) for f in result.findings)
    assert added == [
        ("AIL991", "deploy/backfill.yaml", "Job ml/backfill"),
        ("AIL992", "prompts/support.prompt", "prompt support"),
    ]
    assert [(f.code, f.span.path) for f in d.fixed] == [("AIL991", "deploy/serve.yaml")]
    # the training job is flagged on both sides: unchanged, not new, but its cost moved
    assert d.unchanged == 1
    # findings carry what is at stake: the new 8-GPU job's $800, the removed Deployment's $100
    assert d.delta.added_stakes.usd_per_month == Decimal(800) and d.delta.added_stakes.kgco2e_per_month == 8
    assert d.delta.fixed_stakes.usd_per_month == Decimal(100) and d.delta.fixed_stakes.priced == 1
    # spend comes from the inventories: these GPUs name no model, so every item is unpriced
    assert d.delta.usd_base == d.delta.usd_head == 0
    assert [(c.status, c.name) for c in d.delta.items] == [
        ("added", "Job ml/backfill"),
        ("removed", "Deployment ml/serve"),
    ]
    [p] = d.delta.prompts
    assert (p.path, p.name, p.base, p.head, p.delta) == ("prompts/support.prompt", "prompt support", 7, 13, 6)
    assert d.base_commit == git(repo, "rev-parse", "base").strip()
    assert not list(test_rules.iterdir()), "the base tree must be removed"


def test_diff_from_a_subdirectory_matches_paths(test_rules, repo, monkeypatch):
    from aiinfralint.pipeline.diffmode import run_gate

    result = run_gate(_options(repo / "deploy"), diff_base="base")
    assert [(f.code, f.span.path) for f in result.findings] == [("AIL991", "backfill.yaml")]
    assert [f.span.path for f in result.diff.fixed] == ["serve.yaml"]
    assert [c.path for c in result.diff.delta.items] == ["backfill.yaml", "serve.yaml"]


def test_diff_with_explicit_new_file_and_missing_base_path(test_rules, repo):
    from aiinfralint.pipeline.diffmode import run_gate

    result = run_gate(_options(repo, ["deploy/backfill.yaml", "deploy/train.yaml"]), diff_base="base")
    assert [f.span.path for f in result.findings] == ["deploy/backfill.yaml"]
    assert result.diff.delta.added_stakes.usd_per_month == Decimal(800)  # the new job; train is unchanged
    assert [(c.status, c.path) for c in result.diff.delta.items] == [("added", "deploy/backfill.yaml")]


def test_diff_cli_end_to_end(test_rules, repo, monkeypatch, capsys):
    from aiinfralint.cli import main

    monkeypatch.chdir(repo)
    code = main(
        [
            "check",
            "--diff",
            "base",
            "--format",
            "json",
            "--output-format",
            f"markdown:{repo / 'comment.md'}",
            "--output-format",
            f"sarif:{repo / 'out.sarif'}",
        ]
    )
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert sorted(f["path"] for f in data["findings"]) == ["deploy/backfill.yaml", "prompts/support.prompt"]
    md = (repo / "comment.md").read_text(encoding="utf-8")
    assert "## aiinfralint: 2 new findings (2 warnings)" in md
    assert "| spend (inventory) |" in md and "At stake in new findings (once per object): $800.00/month" in md
    assert "| Job ml/backfill | `deploy/backfill.yaml` | added |" in md
    assert "| prompt support | `prompts/support.prompt` | 7 | 13 | **+6** |" in md
    assert "Fixed by this change (1)" in md
    sarif = json.loads((repo / "out.sarif").read_text(encoding="utf-8"))
    gate = sarif["runs"][0]["properties"]["diff"]
    assert (
        gate["stakes"]["added"]["usd_per_month"] == 800.0 and gate["counts"]["added"] == 2 and len(gate["added"]) == 2
    )
    assert [c["status"] for c in gate["spend"]] == ["added", "removed"] and gate["usd_per_month"]["delta"] == 0.0


def test_diff_text_summary(test_rules, repo, monkeypatch, capsys):
    from aiinfralint.cli import main

    monkeypatch.chdir(repo)
    assert main(["check", "--diff", "base", "--fail-on", "never", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 new, 1 fixed, 1 unchanged" in out
    assert "at stake in new findings (once per object): $800.00/month" in out
    assert "fixed: AIL991 deploy/serve.yaml: Deployment ml/serve uses 1 GPUs. (was at stake: $100.00/month" in out
    assert "static prefix 7 -> 13 tokens (+6)" in out


def test_no_change_reports_nothing(test_rules, repo, monkeypatch):
    from aiinfralint.pipeline.diffmode import run_gate

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rest")
    result = run_gate(_options(repo), diff_base="HEAD")
    assert result.findings == [] and result.diff.fixed == []
    assert result.diff.delta.usd_per_month == 0 and result.diff.delta.prompts == []


def test_unknown_ref_is_a_usage_error(test_rules, repo, monkeypatch, capsys):
    from aiinfralint.cli import main

    monkeypatch.chdir(repo)
    assert main(["check", "--diff", "no-such-branch"]) == 2
    assert "no-such-branch" in capsys.readouterr().err
    assert main(["check", "--diff", "--upload-pack=evil"]) == 2


def test_outside_git_is_a_usage_error(test_rules, tmp_path, monkeypatch, capsys):
    from aiinfralint.cli import main

    plain = tmp_path / "plain"
    plain.mkdir()
    write(plain, "train.yaml", job("train", 1))
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert main(["check", "--diff", "main"]) == 2
    assert "git work tree" in capsys.readouterr().err


def test_prefix_tokens_of_real_prompt_templates(tmp_path, monkeypatch):
    """With the real prompt reader (when present), a grown system prompt shows its token delta."""
    pytest.importorskip("aiinfralint.model.prompt")
    from aiinfralint.model.prompt import PromptTemplate
    from aiinfralint.pipeline.diffmode import run_gate
    from aiinfralint.pipeline.engine import RunOptions, run

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    write(r, "prompts/support.j2", "You are a support agent for ACME.\n\nQuestion: {{ question }}\n")
    probe = run(RunOptions(paths=["."], cwd=r, use_cache=False, jobs=1))
    if not list(probe.project.of_type(PromptTemplate)):
        pytest.skip("the prompt reader is not registered yet")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "base")
    write(
        r,
        "prompts/support.j2",
        "You are a support agent for ACME. Cite the policy section.\n\nQuestion: {{ question }}\n",
    )
    result = run_gate(RunOptions(paths=["."], cwd=r, use_cache=False, jobs=1), diff_base="HEAD")
    [p] = result.diff.delta.prompts
    assert p.path == "prompts/support.j2" and p.head > p.base and p.delta == p.head - p.base
