"""Parsing in worker processes gives the same report with one worker or several."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from aiinfralint import fileio
from aiinfralint.config import Config
from aiinfralint.pipeline import parallel
from aiinfralint.pipeline.discovery import discover
from aiinfralint.pipeline.engine import RunOptions, run
from aiinfralint.report import get_reporter
from aiinfralint.report.base import ReportOptions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _json(paths: list[str], cwd: Path, jobs: int, use_cache: bool = False) -> str:
    result = run(RunOptions(paths=paths, config=Config(), cwd=cwd, jobs=jobs, use_cache=use_cache))
    return get_reporter("json")(result, ReportOptions(cwd=cwd))


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")


@pytest.fixture
def pool_always(monkeypatch):
    """Use the pool even for a handful of files, so the tests exercise it."""
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)


def test_jobs_1_and_2_identical_on_fixtures(pool_always):
    cwd = FIXTURES.parent
    one = _json(["fixtures"], cwd, jobs=1)
    two = _json(["fixtures"], cwd, jobs=2)
    assert one == two
    assert json.loads(one)["summary"]["files_scanned"] > 20


def _spy_workers(monkeypatch) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    real = parallel._Supervisor.run

    def spy(self, n, *rest):  # type: ignore[no-untyped-def]
        calls.append((len(self.todo), n))
        return real(self, n, *rest)

    monkeypatch.setattr(parallel._Supervisor, "run", spy)
    return calls


@pytest.mark.skipif(not parallel.can_fork(), reason="workers are forked on Linux only")
def test_pool_is_really_used(pool_always, monkeypatch):
    calls = _spy_workers(monkeypatch)
    _json(["fixtures/k8s"], FIXTURES.parent, jobs=2)
    assert calls and calls[0][1] == 2


@pytest.mark.skipif(not parallel.can_fork(), reason="workers are forked on Linux only")
def test_small_runs_use_one_worker(monkeypatch, tmp_path):
    calls = _spy_workers(monkeypatch)
    for i in range(3):
        (tmp_path / f"s{i}.yaml").write_text(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n")
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=8, use_cache=False))
    assert len(result.files) == 3
    assert calls == [(3, 1)]


def test_results_keep_candidate_order(pool_always, tmp_path):
    for i in range(40):
        (tmp_path / f"m{i:03d}.yaml").write_text(
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n" + ("# pad\n" * (i * 50 % 700))
        )
    cands = discover(["."], cwd=tmp_path).files
    out = parallel.parse_all(cands, Config(), tmp_path, jobs=2, use_cache=False)
    assert [fr.path for fr in out] == [c.display for c in cands]


def test_progress_reaches_total(pool_always, tmp_path):
    for i in range(30):
        (tmp_path / f"m{i}.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n")
    seen: list[tuple[int, int]] = []
    run(RunOptions(paths=["."], cwd=tmp_path, jobs=2, use_cache=False, progress=lambda d, t: seen.append((d, t))))
    assert seen[-1] == (30, 30)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.skipif(sys.platform != "linux", reason="crash simulation uses fork")
def test_a_worker_crash_fails_only_its_file(pool_always, monkeypatch, tmp_path):
    for name in ("a.yaml", "boom.yaml", "c.yaml", "d.yaml"):
        (tmp_path / name).write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n")
    real = parallel.parse_one

    def crashing(path, display, with_key):  # type: ignore[no-untyped-def]
        if display.endswith("boom.yaml"):
            os._exit(139)  # what a segfault in a C extension looks like from outside
        return real(path, display, with_key)

    monkeypatch.setattr(parallel, "parse_one", crashing)
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=2, use_cache=False))
    by_path = {fr.path: fr for fr in result.files}
    assert by_path["boom.yaml"].output.problems
    assert "crashed" in by_path["boom.yaml"].output.problems[0].message
    for ok in ("a.yaml", "c.yaml", "d.yaml"):
        assert not by_path[ok].output.problems
    assert any(f.code == "AIL000" and f.span.path == "boom.yaml" for f in result.findings)


def test_pool_unavailable_falls_back_to_one_process(pool_always, monkeypatch, tmp_path):
    def no_processes() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.os, "fork", no_processes)
    for i in range(6):
        (tmp_path / f"s{i}.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n")
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=2, use_cache=False))
    assert len(result.files) == 6 and all(not fr.output.problems for fr in result.files)


def test_default_jobs_is_positive():
    assert parallel.default_jobs() >= 1


def test_cli_jobs_flag_same_output(tmp_path, monkeypatch, capsys, pool_always):
    from aiinfralint.cli import main

    src = FIXTURES / "k8s"
    shutil.copytree(src, tmp_path / "k8s")
    monkeypatch.chdir(tmp_path)
    outs = []
    for jobs in ("1", "2"):
        main(["check", ".", "--format", "json", "--jobs", jobs, "--fail-on", "never"])
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["findings"]


@pytest.mark.skipif(sys.platform != "linux", reason="fork is only chosen on Linux")
def test_workers_forked_while_another_thread_runs(pool_always, tmp_path):
    """A progress bar runs a thread; a forked worker touches nothing of it, only its parser."""
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        for i in range(8):
            (tmp_path / f"s{i}.yaml").write_text(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n")
        result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=2, use_cache=False))
        assert [fr.path for fr in result.files] == [f"s{i}.yaml" for i in range(8)]
    finally:
        stop.set()
        t.join()


# --- each file is read once per run ------------------------------------------------------------


def _count_reads(monkeypatch, log: Path) -> None:  # type: ignore[no-untyped-def]
    """Log every `fileio.read_bytes` to a file: forked workers inherit the patch and append too."""
    real = fileio.read_bytes

    def counted(path, *a, **k):  # type: ignore[no-untyped-def]
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, os.fsencode(str(path)) + b"\n")
        finally:
            os.close(fd)
        return real(path, *a, **k)

    monkeypatch.setattr(fileio, "read_bytes", counted)


@pytest.mark.parametrize("use_cache", [False, True])
@pytest.mark.parametrize("how", ["here", "workers"])
def test_each_file_is_read_once_per_run(pool_always, cached, monkeypatch, use_cache, how):
    if how == "workers" and not parallel.can_fork():
        pytest.skip("workers are forked on Linux only")
    if how == "here":
        monkeypatch.setattr(parallel, "can_fork", lambda: False)
    names = [f"m{i}.yaml" for i in range(6)]
    for i, name in enumerate(names):
        (cached / name).write_text(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n")
    log = cached.parent / "reads.log"
    _count_reads(monkeypatch, log)
    for attempt in ("cold", "warm"):  # with the cache: a miss, then a hit
        log.write_bytes(b"")
        result = run(RunOptions(paths=["."], cwd=cached, jobs=2, use_cache=use_cache))
        assert result.files_checked == 6
        read = sorted(Path(p).name for p in log.read_text().splitlines())
        assert read == names, attempt


@pytest.mark.skipif(not parallel.can_fork(), reason="workers are forked on Linux only")
def test_standard_input_is_parsed_from_the_bytes_given(monkeypatch, tmp_path):
    log = tmp_path / "reads.log"
    _count_reads(monkeypatch, log)
    manifest = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
    result = run(RunOptions(stdin_text=manifest, stdin_filename="svc.yaml", cwd=tmp_path, use_cache=False))
    assert result.files[0].output.objects and not log.exists()


def test_quoted_lines_come_from_the_one_read(pool_always, tmp_path):
    # reporters quote what was parsed, never the file as it is on disk later
    for i in range(3):
        (tmp_path / f"m{i}.yaml").write_text(f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}\n")
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=2, use_cache=False))
    for i in range(3):
        (tmp_path / f"m{i}.yaml").write_text("changed on disk after the read\n" * 10)
    assert len(result.findings) == 3
    for f in result.findings:
        line = result.source_line(f)
        assert line is not None and line.startswith(("apiVersion", "kind", "metadata"))
