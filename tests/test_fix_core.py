"""`check --fix`: minimal edits, idempotent, never through a symlink or onto a changed file."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

import pytest

from aiinfralint.cli import main
from aiinfralint.config import Config
from aiinfralint.fixes import yamledit
from aiinfralint.pipeline.engine import RunOptions, run
from aiinfralint.pipeline.fix import apply_edits, apply_fixes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines removed, lines added) between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(True), after.splitlines(True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    main(["check", "--format", "json", "--no-cache", "--fail-on", "never", *args])
    return list(json.loads(capsys.readouterr().out)["findings"])


def lines_of(found: list[dict[str, object]], code: str) -> list[object]:
    return [f["line"] for f in found if f["code"] == code]


@pytest.fixture
def agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(FIXTURES / "k8s" / "ail206-bad-agent-scratch" / "agents.yaml", tmp_path / "agents.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "agents.yaml"


def test_fix_scratch_volumes_minimally_and_once(agents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = agents.read_text()
    assert lines_of(findings(capsys, "agents.yaml"), "AIL206") == [31, 54, 81]
    assert main(["check", "--fix", "--no-cache", "--fail-on", "never", "agents.yaml"]) == 0
    out = capsys.readouterr().out
    assert "2 fixed" in out
    after = agents.read_text()
    removed, added = changed_lines(before, after)
    assert removed == ["        emptyDir: {}\n"]
    assert added == ["        emptyDir: {sizeLimit: 10Gi}\n", "          sizeLimit: 10Gi\n"]
    # the hostPath volume has no mechanical repair and stays reported
    assert lines_of(findings(capsys, "agents.yaml"), "AIL206") == [54]
    assert main(["check", "--fix", "--no-cache", "--fail-on", "never", "agents.yaml"]) == 0
    assert agents.read_text() == after


def test_configured_size_limit(agents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (agents.parent / ".aiinfralint.toml").write_text('[fix]\nscratch-size-limit = "2Gi"\n')
    main(["check", "--fix", "--no-cache", "--fail-on", "never", "agents.yaml"])
    assert "emptyDir: {sizeLimit: 2Gi}" in agents.read_text()


def test_diff_fixes_writes_nothing(agents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = agents.read_bytes()
    capsys.readouterr()
    assert main(["check", "--diff-fixes", "--no-cache", "agents.yaml"]) == 1
    out = capsys.readouterr().out
    assert "+        emptyDir: {sizeLimit: 10Gi}" in out and out.startswith("--- a/agents.yaml")
    assert agents.read_bytes() == before


def test_text_report_counts_fixable(agents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    main(["check", "--no-cache", "--no-progress", "agents.yaml"])
    assert "2 fixable with --fix" in capsys.readouterr().out


@pytest.mark.parametrize("extra", [["-"], ["--diff", "HEAD", "agents.yaml"]])
def test_fix_with_stdin_or_diff_is_usage_error(
    agents: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    assert main(["check", "--fix", *extra]) == 2
    assert "--fix works on files in place" in capsys.readouterr().err


def test_symlink_is_not_written_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(FIXTURES / "k8s" / "ail206-bad-agent-scratch" / "agents.yaml", real / "agents.yaml")
    work = tmp_path / "work"
    work.mkdir()
    (work / "agents.yaml").symlink_to(real / "agents.yaml")
    monkeypatch.chdir(work)
    before = (real / "agents.yaml").read_bytes()
    result = run(RunOptions(paths=["."], config=Config(), cwd=work, use_cache=False, jobs=1))
    applied = apply_fixes(result.findings, result.fix_digests, work, unsafe=False, write=True)
    assert (real / "agents.yaml").read_bytes() == before
    assert (work / "agents.yaml").is_symlink()
    assert applied.fixed == 0


def test_file_changed_since_read_is_left_alone(agents: Path) -> None:
    result = run(RunOptions(paths=["agents.yaml"], config=Config(), cwd=agents.parent, use_cache=False, jobs=1))
    assert result.fix_digests
    edited = agents.read_text().replace("replicas: 4", "replicas: 5")
    agents.write_text(edited)
    applied = apply_fixes(result.findings, result.fix_digests, agents.parent, unsafe=False, write=True)
    assert applied.fixed == 0 and applied.refused == [("agents.yaml", "it changed since it was checked")]
    assert agents.read_text() == edited


def test_mode_bits_kept(agents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(agents, 0o640)
    main(["check", "--fix", "--no-cache", "--fail-on", "never", "agents.yaml"])
    assert os.stat(agents).st_mode & 0o777 == 0o640
    assert [p.name for p in agents.parent.iterdir() if p.name.endswith(".fix")] == []


def _fill(text: str, path: tuple[str, ...], key: str) -> str:
    src = yamledit.load(text)
    assert src is not None
    parent = yamledit.get(src.documents[0], *path)
    edit = yamledit.fill_empty(src, parent, key, [("sizeLimit", "1Gi")])  # type: ignore[arg-type]
    assert edit is not None
    new = apply_edits(text, [edit])
    assert new is not None
    return new


def test_empty_value_gets_block_entry_with_file_indentation() -> None:
    text = "spec:\n    vol:\n        emptyDir:   # scratch\n        name: x\n"
    assert _fill(text, ("spec", "vol"), "emptyDir") == (
        "spec:\n    vol:\n        emptyDir:   # scratch\n            sizeLimit: 1Gi\n        name: x\n"
    )


def test_crlf_and_no_final_newline_kept() -> None:
    text = "a:\r\n  b: 1\r\n  c: 2"
    src = yamledit.load(text)
    assert src is not None
    edit = yamledit.add_entry(src, yamledit.get(src.documents[0], "a"), "d", "3")  # type: ignore[arg-type]
    assert edit is not None
    assert apply_edits(text, [edit]) == "a:\r\n  b: 1\r\n  c: 2\r\n  d: 3"


def test_flow_mapping_with_entries() -> None:
    text = "v:\n  emptyDir: { medium: Memory }  # keep\n"
    src = yamledit.load(text)
    assert src is not None
    edit = yamledit.set_entry(src, yamledit.get(src.documents[0], "v", "emptyDir"), "sizeLimit", "1Gi")  # type: ignore[arg-type]
    assert edit is not None
    assert apply_edits(text, [edit]) == "v:\n  emptyDir: { medium: Memory, sizeLimit: 1Gi }  # keep\n"


CORPUS_SCRATCH = [
    "GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/anthropic-agent-sandbox/deploy/base/sandbox-template.yaml",
    "NVIDIA__nim-deploy/cloud-service-providers/azure/workshops/aiq-rag-blueprint/manifests/load-files.yaml",
]


@pytest.mark.parametrize("rel", CORPUS_SCRATCH)
def test_corpus_scratch_volumes(
    rel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CORPUS / rel
    if not source.is_file():
        pytest.skip("the corpus is not here")
    target = tmp_path / source.name
    shutil.copy(source, target)
    monkeypatch.chdir(tmp_path)
    before = target.read_text()
    n = len(lines_of(findings(capsys, source.name), "AIL206"))
    assert n >= 1
    main(["check", "--fix", "--no-cache", "--fail-on", "never", source.name])
    after = target.read_text()
    removed, added = changed_lines(before, after)
    assert len(removed) == len(added) == n
    assert all(r.replace("emptyDir: {}", "emptyDir: {sizeLimit: 10Gi}") == a for r, a in zip(removed, added))
    assert lines_of(findings(capsys, source.name), "AIL206") == []
    main(["check", "--fix", "--no-cache", "--fail-on", "never", source.name])
    assert target.read_text() == after
