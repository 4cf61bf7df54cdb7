"""Files and processes on hostile input: per-file time limit, crashing parsers, dying parents,
signals, default excludes, symlinks out of the tree, FIFOs and unreadable files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aiinfralint import fileio
from aiinfralint.config import Config
from aiinfralint.pipeline import parallel, read
from aiinfralint.pipeline.discovery import discover
from aiinfralint.pipeline.engine import RunOptions, run

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
"""
BROKEN = "apiVersion: v1\nkind: Service\n  bad: [\n"
SECRET = "TOPSECRET-4c1f9e"

needs_fork = pytest.mark.skipif(not parallel.can_fork(), reason="parses run in forked workers on Linux only")


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    monkeypatch.delenv(parallel.TIMEOUT_ENV, raising=False)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _problems(result, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.message for fr in result.files if fr.path == path for p in fr.output.problems]


# --- per-file time limit and crashes ----------------------------------------------------------


def _patch_parser(monkeypatch, bad: str, action) -> None:  # type: ignore[no-untyped-def]
    """Make the parser misbehave on `bad` (patched before the workers are forked)."""
    real = parallel.parse_one

    def patched(path, display, with_key):  # type: ignore[no-untyped-def]
        if display.endswith(bad):
            action()
        return real(path, display, with_key)

    monkeypatch.setattr(parallel, "parse_one", patched)


@needs_fork
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_that_never_finishes_is_ail000_and_the_rest_is_checked(monkeypatch, tmp_path, jobs):
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    _write(tmp_path, {"a.yaml": MANIFEST, "hang.yaml": MANIFEST, "c.yaml": BROKEN, "d.yaml": MANIFEST})
    _patch_parser(monkeypatch, "hang.yaml", lambda: time.sleep(3600))
    start = time.monotonic()
    result = run(RunOptions(paths=["."], config=Config(parse_timeout=1), cwd=tmp_path, jobs=jobs, use_cache=False))
    assert time.monotonic() - start < 1 * parallel.WALL_FACTOR + 2  # a sleep uses no CPU: the backstop
    assert _problems(result, "hang.yaml") == ["parsing took longer than 1 s; not checked"]
    (f,) = [f for f in result.findings if f.span.path == "hang.yaml"]
    assert f.code == "AIL000" and f.span.line == 1
    assert [fr.path for fr in result.files] == ["a.yaml", "c.yaml", "d.yaml", "hang.yaml"]
    assert any(fr.output.objects for fr in result.files if fr.path == "a.yaml")
    assert any(fr.output.objects for fr in result.files if fr.path == "d.yaml")
    assert _problems(result, "c.yaml")  # the broken file after it is still parsed


@needs_fork
def test_time_limit_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(parallel.TIMEOUT_ENV, "0.5")
    _write(tmp_path, {"hang.yaml": MANIFEST})
    _patch_parser(monkeypatch, "hang.yaml", lambda: time.sleep(3600))
    result = run(RunOptions(paths=["."], cwd=tmp_path, use_cache=False))
    assert _problems(result, "hang.yaml") == ["parsing took longer than 0.5 s; not checked"]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "3601", "ten"])
def test_invalid_time_limit_in_the_environment_is_exit_2(monkeypatch, tmp_path, capsys, value):
    from aiinfralint.cli import main

    monkeypatch.setenv(parallel.TIMEOUT_ENV, value)
    _write(tmp_path, {"a.yaml": MANIFEST})
    monkeypatch.chdir(tmp_path)
    assert main(["check", ".", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and parallel.TIMEOUT_ENV in err and "Traceback" not in err


@needs_fork
def test_a_timed_out_file_is_not_cached(monkeypatch, cached):
    _write(cached, {"slow.yaml": MANIFEST})
    real = parallel.parse_one
    _patch_parser(monkeypatch, "slow.yaml", lambda: time.sleep(3600))
    first = run(RunOptions(paths=["."], config=Config(parse_timeout=0.5), cwd=cached))
    assert _problems(first, "slow.yaml")
    monkeypatch.setattr(parallel, "parse_one", real)  # the machine is idle again
    second = run(RunOptions(paths=["."], config=Config(parse_timeout=0.5), cwd=cached))
    assert not _problems(second, "slow.yaml") and second.files[0].output.objects


@needs_fork
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_segfault_costs_only_its_file(monkeypatch, tmp_path, jobs):
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    _write(tmp_path, {"a.yaml": MANIFEST, "boom.yaml": MANIFEST, "c.yaml": MANIFEST, "d.yaml": MANIFEST})
    _patch_parser(monkeypatch, "boom.yaml", lambda: os.kill(os.getpid(), signal.SIGSEGV))
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=jobs, use_cache=False))
    assert _problems(result, "boom.yaml") == ["the parser crashed on this file; not checked"]
    for ok in ("a.yaml", "c.yaml", "d.yaml"):
        assert not _problems(result, ok)
        assert any(fr.output.objects for fr in result.files if fr.path == ok)
    assert [f.span.path for f in result.findings if f.code == "AIL000"] == ["boom.yaml"]


@needs_fork
def test_an_exception_in_a_parser_costs_only_its_file(monkeypatch, tmp_path):
    def recurse() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    _write(tmp_path, {"a.yaml": MANIFEST, "deep.yaml": MANIFEST})
    _patch_parser(monkeypatch, "deep.yaml", recurse)
    result = run(RunOptions(paths=["."], cwd=tmp_path, use_cache=False))
    assert _problems(result, "deep.yaml") == ["the parser crashed on this file (RecursionError); not checked"]
    assert not _problems(result, "a.yaml")


@needs_fork
def test_standard_input_has_the_same_time_limit(monkeypatch):
    real = parallel.parse_one

    def slow(path, display, data):  # type: ignore[no-untyped-def]
        time.sleep(3600)
        return real(path, display, data)

    assert parallel.parse_given("stdin.yaml", MANIFEST.encode(), Config()).output.objects
    monkeypatch.setattr(parallel, "parse_one", slow)
    fr = parallel.parse_given("stdin.yaml", MANIFEST.encode(), Config(parse_timeout=0.5))
    assert [p.message for p in fr.output.problems] == ["parsing took longer than 0.5 s; not checked"]
    assert parallel.cut_short([fr])
    # and `check -` goes through it
    result = run(
        RunOptions(stdin_text=MANIFEST.encode(), stdin_filename="stdin.yaml", config=Config(parse_timeout=0.5))
    )
    assert _problems(result, "stdin.yaml") == ["parsing took longer than 0.5 s; not checked"]


@needs_fork
def test_a_run_cut_short_is_not_replayed(monkeypatch, tmp_path, capsys):
    from aiinfralint import cli

    monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIINFRALINT_NO_CACHE", raising=False)
    repo = tmp_path / "repo"
    repo.mkdir()
    _write(repo, {"slow.yaml": MANIFEST})
    monkeypatch.chdir(repo)
    monkeypatch.setenv(parallel.TIMEOUT_ENV, "0.5")
    real = parallel.parse_one
    _patch_parser(monkeypatch, "slow.yaml", lambda: time.sleep(3600))
    assert cli.main(["check", ".", "--format", "json", "--no-progress"]) == 1
    assert "longer than 0.5 s" in capsys.readouterr().out
    monkeypatch.setattr(parallel, "parse_one", real)  # the machine is idle again: parsed, not replayed
    assert cli.main(["check", ".", "--format", "json", "--no-progress"]) == 0
    assert "longer than 0.5 s" not in capsys.readouterr().out


@needs_fork
def test_no_worker_is_left_behind(monkeypatch, tmp_path):
    _write(tmp_path, {f"m{i}.yaml": MANIFEST for i in range(5)})
    run(RunOptions(paths=["."], cwd=tmp_path, jobs=2, use_cache=False))
    assert _children(os.getpid()) == []


# --- processes: parent death and signals ------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def _wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _hanging_cli(args: list[str], marker: Path, when: str = "True") -> str:
    """A CLI run whose parser hangs on slow.yaml (patched before any worker is forked)."""
    return textwrap.dedent(
        f"""
        import os, sys, time
        from aiinfralint.pipeline import parallel
        real = parallel.parse_one
        def slow(path, display, with_key):
            if display.endswith("slow.yaml") and ({when}):
                open({str(marker)!r}, "w").close()
                time.sleep(3600)
            return real(path, display, with_key)
        parallel.parse_one = slow
        from aiinfralint.cli import entrypoint
        sys.argv = ["aiinfralint", *{args!r}]
        entrypoint()
        """
    )


def _spawn(code: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = dict(os.environ, AIINFRALINT_NO_CACHE="1", **(env or {}))
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=cwd, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@needs_fork
def test_workers_die_with_a_killed_parent(tmp_path):
    _write(tmp_path, {"a.yaml": MANIFEST, "slow.yaml": MANIFEST})
    marker = tmp_path / "started"
    proc = _spawn(_hanging_cli(["check", ".", "--no-cache"], marker), tmp_path)
    try:
        assert _wait_for(marker.exists), proc.stderr.read() if proc.poll() is not None else "no worker started"
        workers = _children(proc.pid)
        assert workers
        proc.kill()  # SIGKILL: no cleanup of its own
        proc.wait(timeout=10)
        assert _wait_for(lambda: not any(_alive(w) for w in workers), timeout=5), "a worker outlived its parent"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _diff_repo(root: Path) -> None:
    _write(root, {"k8s/slow.yaml": MANIFEST, "k8s/a.yaml": MANIFEST})
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    (root / "k8s" / "b.yaml").write_text(MANIFEST)


@needs_fork
@pytest.mark.parametrize(
    ("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_signal_during_diff_removes_the_base_tree(tmp_path, sig, code, word):
    repo = tmp_path / "repo"
    repo.mkdir()
    _diff_repo(repo)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = tmp_path / "started"
    # hang only while parsing the base side, so the base tree exists when the signal comes
    script = _hanging_cli(["check", ".", "--diff", "HEAD", "--no-cache"], marker, when="'aiinfralint-base-' in path")
    proc = _spawn(script, repo, {"TMPDIR": str(tmp)})
    try:
        assert _wait_for(marker.exists), proc.stderr.read() if proc.poll() is not None else "the base side never parsed"
        assert [p.name for p in tmp.iterdir() if p.name.startswith("aiinfralint-base-")]
        workers = _children(proc.pid)
        assert workers
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err
    assert err.strip().splitlines() == [f"aiinfralint: {word}"]
    assert not [p.name for p in tmp.iterdir() if p.name.startswith("aiinfralint-base-")]
    assert not any(_alive(w) for w in workers)


# --- discovery: default excludes ---------------------------------------------------------------


@pytest.mark.parametrize("directory", ["build", "dist", "venv", "node_modules", ".venv"])
def test_bad_manifest_under_a_conventional_dir_is_checked_in_git(tmp_path, directory):
    _write(tmp_path, {f"{directory}/bad.yaml": BROKEN, "ok.yaml": MANIFEST})
    _git(tmp_path, "init", "-q")
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=1, use_cache=False))
    assert [f.span.path for f in result.findings if f.code == "AIL000"] == [f"{directory}/bad.yaml"]
    assert not result.skipped


def test_gitignored_build_dir_is_skipped_silently(tmp_path):
    _write(tmp_path, {"build/bad.yaml": BROKEN, ".gitignore": "build/\n"})
    _git(tmp_path, "init", "-q")
    result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=1, use_cache=False))
    assert not result.findings and not result.files


def test_outside_git_default_excludes_are_listed(tmp_path):
    _write(tmp_path, {"build/bad.yaml": BROKEN, "node_modules/x/bad.yaml": BROKEN, "ok.yaml": MANIFEST})
    disc = discover(["."], cwd=tmp_path)
    assert [c.display for c in disc.files] == ["ok.yaml"]
    assert disc.skipped == [
        ("build", "default exclude: build/ (not a git work tree)"),
        ("node_modules", "default exclude: node_modules/ (not a git work tree)"),
    ]


def test_respect_gitignore_off_lists_default_excludes(tmp_path):
    _write(tmp_path, {"dist/bad.yaml": BROKEN})
    _git(tmp_path, "init", "-q")
    disc = discover(["."], cwd=tmp_path, respect_gitignore=False)
    assert disc.skipped == [("dist", "default exclude: dist/ (respect-gitignore is off)")]


def test_configured_exclude_still_applies_in_git(tmp_path):
    _write(tmp_path, {"build/bad.yaml": BROKEN})
    _git(tmp_path, "init", "-q")
    disc = discover(["."], cwd=tmp_path, exclude=["build"])
    assert disc.skipped == [("build", "excluded by configuration")] and not disc.files


def test_own_cache_dir_is_not_entered_unless_committed(tmp_path):
    tag = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory holds the aiinfralint cache.\n"
    _write(tmp_path, {"cache/CACHEDIR.TAG": tag, "cache/entry.json": '{"x": 1}', "ok.yaml": MANIFEST})
    _git(tmp_path, "init", "-q")
    assert [c.display for c in discover(["."], cwd=tmp_path).files] == ["ok.yaml"]
    _git(tmp_path, "add", "cache")  # committed by a pull request: it is content, not our cache
    assert [c.display for c in discover(["."], cwd=tmp_path).files] == ["cache/entry.json", "ok.yaml"]


def test_diff_reads_build_dirs_alike_on_both_sides(tmp_path, monkeypatch, capsys):
    """The base tree of --diff (no .git) must not skip what the work tree checks."""
    from aiinfralint.cli import main

    _write(tmp_path, {"build/old.yaml": BROKEN, "ok.yaml": MANIFEST})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "build" / "new.yaml").write_text(BROKEN)
    monkeypatch.chdir(tmp_path)
    main(["check", ".", "--diff", "HEAD", "--format", "json", "--no-cache", "--fail-on", "never"])
    report = json.loads(capsys.readouterr().out)
    assert [f["path"] if "path" in f else f["location"]["path"] for f in report["findings"]] == ["build/new.yaml"]


def test_our_own_repository_is_still_quick_to_discover():
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    start = time.monotonic()
    disc = discover(["."], cwd=root)
    assert time.monotonic() - start < 3
    assert not [c for c in disc.files if c.display.startswith((".venv/", "bench/.venv/"))]
    assert not [c for c in disc.files if "/site-packages/" in c.display]


# --- discovery: symlinks, special files -------------------------------------------------------


def _outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "id_rsa.yaml"
    secret.parent.mkdir()
    secret.write_text(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {SECRET}\n  bad: [\n")
    return secret


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_to_a_file_outside_is_skipped_and_never_quoted(tmp_path, monkeypatch, capsys):
    from aiinfralint.cli import main

    secret = _outside_secret(tmp_path)
    project = tmp_path / "project"
    _write(project, {"k8s/real.yaml": MANIFEST})
    (project / "k8s" / "leak.yaml").symlink_to(secret)
    (project / "k8s" / "rel.yaml").symlink_to("../../outside/id_rsa.yaml")
    (project / "k8s" / "inside.yaml").symlink_to("real.yaml")
    monkeypatch.chdir(project)
    outputs = []
    for fmt in ("text", "json", "sarif", "github", "markdown"):
        main(["check", ".", "--format", fmt, "--no-cache", "--show-skipped", "--fail-on", "never"])
        outputs.append(capsys.readouterr().out)
    assert not any(SECRET in out for out in outputs)
    report = json.loads(outputs[1])
    skipped = (
        {s["path"]: s["reason"] for s in report["skipped"]}
        if isinstance(report["skipped"], list) and report["skipped"] and isinstance(report["skipped"][0], dict)
        else dict(report["skipped"])
    )
    assert skipped["k8s/leak.yaml"] == "symlink to a file outside the checked directory (not read)"
    assert skipped["k8s/rel.yaml"] == "symlink to a file outside the checked directory (not read)"
    disc = discover(["."], cwd=project)
    assert [c.display for c in disc.files] == ["k8s/inside.yaml", "k8s/real.yaml"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_checked_root_is_the_path_given(tmp_path):
    _write(tmp_path, {"shared/x.yaml": MANIFEST, "k8s/a.yaml": MANIFEST})
    (tmp_path / "k8s" / "x.yaml").symlink_to("../shared/x.yaml")
    assert [c.display for c in discover(["."], cwd=tmp_path).files] == ["k8s/a.yaml", "k8s/x.yaml", "shared/x.yaml"]
    disc = discover(["k8s"], cwd=tmp_path)
    assert [c.display for c in disc.files] == ["k8s/a.yaml"]
    assert disc.skipped == [("k8s/x.yaml", "symlink to a file outside the checked directory (not read)")]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_explicit_symlink_argument_must_stay_in_the_working_directory(tmp_path):
    secret = _outside_secret(tmp_path)
    project = tmp_path / "project"
    _write(project, {"a.yaml": MANIFEST})
    (project / "leak.yaml").symlink_to(secret)
    (project / "b.yaml").symlink_to("a.yaml")
    disc = discover(["leak.yaml", "b.yaml"], cwd=project)
    assert [c.display for c in disc.files] == ["b.yaml"]
    assert disc.skipped == [("leak.yaml", "symlink to a file outside the working directory (not read)")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_and_socket_are_listed_and_never_opened(tmp_path):
    _write(tmp_path, {"deploy.yaml": MANIFEST})
    os.mkfifo(tmp_path / "pipe.yaml")
    os.mkfifo(tmp_path / "fifo-without-suffix")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("agent.sock")
    finally:
        os.chdir(cwd)
    try:
        code = """
            import json
            from aiinfralint.pipeline.engine import RunOptions, run
            a = run(RunOptions(paths=["."], jobs=1, use_cache=False))
            b = run(RunOptions(paths=["pipe.yaml"], jobs=1, use_cache=False))
            print(json.dumps({"files": [f.path for f in a.files], "a": a.skipped, "b": b.skipped}))
        """
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, AIINFRALINT_NO_CACHE="1"),
            check=False,
        )
    finally:
        sock.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["files"] == ["deploy.yaml"]
    assert out["a"] == [
        ["agent.sock", "not a regular file: socket"],
        ["fifo-without-suffix", "not a regular file: FIFO"],
        ["pipe.yaml", "not a regular file: FIFO"],
    ]
    assert out["b"] == [["pipe.yaml", "not a regular file: FIFO"]]


# --- unreadable files -----------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_unreadable_recognised_file_is_ail000_at_line_1(monkeypatch, tmp_path, jobs):
    """Simulated (the tests may run as root, which reads anything): open() is refused."""
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    _write(tmp_path, {"ok.yaml": MANIFEST, "secret.yaml": MANIFEST, "notes.cfg": "x"})
    real = fileio.read_bytes

    def refused(path, *a, **k):  # type: ignore[no-untyped-def]
        if str(path).endswith(("secret.yaml", "notes.cfg")):
            return None, "cannot read: Permission denied"
        return real(path, *a, **k)

    monkeypatch.setattr(fileio, "read_bytes", refused)
    result = run(RunOptions(paths=[".", "notes.cfg"], cwd=tmp_path, jobs=jobs, use_cache=False))
    (f,) = [f for f in result.findings if f.span.path == "secret.yaml"]
    assert (f.code, f.span.line, f.message) == ("AIL000", 1, "cannot read: Permission denied; not checked")
    # a file we would not have parsed anyway (named explicitly, unknown suffix) stays a skip
    assert ("notes.cfg", "cannot read: Permission denied") in result.skipped
    assert any(fr.output.objects for fr in result.files if fr.path == "ok.yaml")


def test_unreadable_file_through_read_and_parse(monkeypatch, tmp_path):
    p = tmp_path / "secret.yaml"
    p.write_text(MANIFEST)
    monkeypatch.setattr(fileio, "read_bytes", lambda *a, **k: (None, "cannot read: Permission denied"))
    fr = read.read_and_parse(str(p), "secret.yaml")
    assert [(x.message, x.line) for x in fr.output.problems] == [("cannot read: Permission denied; not checked", 1)]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file, whatever its mode")
def test_chmod_000_file_is_ail000(tmp_path):
    p = tmp_path / "secret.yaml"
    p.write_text(MANIFEST)
    p.chmod(0)
    try:
        result = run(RunOptions(paths=["."], cwd=tmp_path, jobs=1, use_cache=False))
    finally:
        p.chmod(0o644)
    (f,) = [f for f in result.findings if f.span.path == "secret.yaml"]
    assert f.code == "AIL000" and f.span.line == 1 and f.message.startswith("cannot read")


@needs_fork
def test_the_limit_is_processor_time(monkeypatch, tmp_path):
    """A file that computes for longer than the limit is stopped by its own CPU timer (well
    before the wall-clock backstop); one that waits without computing only by the backstop."""

    def spin() -> None:
        while True:
            pass

    _write(tmp_path, {"a.yaml": MANIFEST, "spin.yaml": MANIFEST})
    _patch_parser(monkeypatch, "spin.yaml", spin)
    # the backstop far away (10 s), so a loaded machine cannot blur the two
    monkeypatch.setattr(parallel, "WALL_FACTOR", 10)
    start = time.monotonic()
    result = run(RunOptions(paths=["."], config=Config(parse_timeout=1.0), cwd=tmp_path, use_cache=False))
    assert _problems(result, "spin.yaml") == ["parsing took longer than 1 s; not checked"]
    assert not _problems(result, "a.yaml")
    assert time.monotonic() - start < 1.0 * parallel.WALL_FACTOR  # SIGPROF, not the backstop


@needs_fork
def test_a_starved_worker_is_not_timed_out_early(monkeypatch, tmp_path):
    _write(tmp_path, {"slow.yaml": MANIFEST})
    _patch_parser(monkeypatch, "slow.yaml", lambda: time.sleep(1.2))  # no CPU: like a starved machine
    result = run(RunOptions(paths=["."], config=Config(parse_timeout=1.0), cwd=tmp_path, use_cache=False))
    assert not _problems(result, "slow.yaml") and result.files[0].output.objects
