"""Hostile input: nothing executes, nothing hangs, nothing crashes the run, each file fails alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aiinfralint.parsers.files import MAX_FILE_BYTES, parse_bytes
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
          resources:
            limits:
              nvidia.com/gpu: 1
"""


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")


def _run(tmp_path: Path, paths: list[str] | None = None, jobs: int = 1):
    return run(RunOptions(paths=paths or ["."], cwd=tmp_path, jobs=jobs, use_cache=False))


def _in_subprocess(code: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AIINFRALINT_NO_CACHE="1")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!<tag:yaml.org,2002:python/object/apply:subprocess.call> [['touch', '{marker}']]",
    ],
)
def test_python_tags_are_inert_data(tmp_path, tag):
    marker = tmp_path / "PWNED"
    evil = MANIFEST.replace("image: vllm/vllm-openai:v0.6.3", "image: " + tag.format(marker=marker))
    (tmp_path / "deploy.yaml").write_text(evil)
    (tmp_path / "app.py").write_text(f"import openai\nimport os\nos.system('touch {marker}')\n")
    (tmp_path / "p.json").write_text(
        json.dumps({"messages": [{"role": "system", "content": tag.format(marker=marker)}]})
    )
    result = _run(tmp_path)
    assert not marker.exists()
    assert len(result.files) == 3


def test_billion_laughs_fails_fast(tmp_path):
    lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: lol}",
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    lines.append("data: *a11")
    data = ("\n".join(lines) + "\n").encode()
    start = time.perf_counter()
    out = parse_bytes("bomb.yaml", data)
    assert time.perf_counter() - start < 5
    assert out.problems or out.skipped
    # a claimed Kubernetes manifest with a bomb in it is a finding, not a silent skip
    k8s = MANIFEST + "  bomb: " + "\n".join(lines[3:]).replace("\n", "\n  ") + "\n"
    out = parse_bytes("deploy.yaml", ("\n".join(lines[3:]) + "\n" + MANIFEST).encode())
    assert out.problems or out.skipped
    assert k8s  # built for documentation of the shape; the loader is what is under test


def test_alias_reuse_within_bounds_still_loads():
    text = MANIFEST + "  x-defaults: &d {cpu: 1}\n  x-a: *d\n  x-b: *d\n"
    out = parse_bytes("deploy.yaml", text.encode())
    assert out.objects and not out.problems


@pytest.mark.parametrize(
    "name,body",
    [
        ("deep.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("open.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 100_000 + "\n"),
        ("maps.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: " + "{a: " * 100_000 + "}" * 100_000 + "\n"),
        ("deep.json", '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("block.yaml", "apiVersion: v1\nkind: ConfigMap\n" + "".join(" " * i + "a:\n" for i in range(5_000))),
        ("app.py", "import openai\nx = " + "(" * 100_000 + ")" * 100_000 + "\n"),
        ("neg.py", "import openai\nx = " + "-" * 100_000 + "1\n"),
        ("prompts/deep.md", "{% if a %}" * 50_000 + "x" + "{% endif %}" * 50_000),
        ("prompts/deep.j2", "{% if a %}" * 50_000 + "x" + "{% endif %}" * 50_000),
        ("db.sql", "CREATE TABLE docs (embedding vector(3)) PARTITION BY RANGE (" + "(" * 100_000 + ");\n"),
    ],
)
def test_deep_nesting_does_not_kill_the_process(tmp_path, name, body):
    """The C composer recurses; a segfault would take the whole run down, so run it apart."""
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
    proc = _in_subprocess(
        """
        import json, sys
        from aiinfralint.pipeline.engine import RunOptions, run
        result = run(RunOptions(paths=["."], jobs=1, use_cache=False))
        print(json.dumps({"files": [[f.path, len(f.output.problems), f.output.skipped] for f in result.files]}))
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (entry,) = json.loads(proc.stdout)["files"]
    assert entry[0] == name


@pytest.mark.skipif(sys.platform != "linux", reason="relies on fork to isolate the crash")
def test_a_parser_crash_in_the_pool_fails_only_that_file(tmp_path):
    """With workers, a file that kills its parser process becomes a finding; the rest is checked."""
    (tmp_path / "app.py").write_text("import openai\nx = " + "(" * 100_000 + ")" * 100_000 + "\n")
    for i in range(4):
        (tmp_path / f"d{i}.yaml").write_text(MANIFEST.replace("name: chat", f"name: chat-{i}"))
    proc = _in_subprocess(
        """
        import json
        from aiinfralint.pipeline import parallel
        from aiinfralint.pipeline.engine import RunOptions, run
        parallel.MIN_FILES_PER_WORKER = 1
        result = run(RunOptions(paths=["."], jobs=2, use_cache=False))
        print(json.dumps({f.path: [len(f.output.objects), [p.message for p in f.output.problems]] for f in result.files}))
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = json.loads(proc.stdout)
    for i in range(4):
        assert files[f"d{i}.yaml"][0] == 1 and not files[f"d{i}.yaml"][1]
    # either the parser copes (a parse error) or its process dies and that is reported
    assert files["app.py"][1]


def test_binary_and_invalid_utf8(tmp_path):
    (tmp_path / "model.yaml").write_bytes(b"\x00\x01\x02ELF" + os.urandom(4000))
    (tmp_path / "deploy.yaml").write_bytes(MANIFEST.encode().replace(b"name: chat", b"name: ch\xffat"))
    (tmp_path / "notes.yaml").write_bytes(b"just: \xff\xfe text\n")
    result = _run(tmp_path)
    skipped = dict(result.skipped)
    assert skipped.get("model.yaml") == "binary file"
    # claimed (apiVersion/kind) but undecodable: the user gets a finding
    assert [f.code for f in result.findings if f.span.path == "deploy.yaml"] == ["AIL000"]
    assert "UTF-8" in next(f.message for f in result.findings if f.span.path == "deploy.yaml")
    assert "notes.yaml" in skipped


def test_file_over_the_size_limit_is_skipped(tmp_path):
    big = tmp_path / "huge.yaml"
    with big.open("wb") as fh:
        fh.write(MANIFEST.encode())
        fh.truncate(MAX_FILE_BYTES + 10)  # sparse: cheap on disk
    result = _run(tmp_path)
    assert dict(result.skipped)["huge.yaml"].startswith("larger than")
    assert parse_bytes("huge.yaml", b"#" * (MAX_FILE_BYTES + 1)).skipped


def test_symlink_loops_are_not_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "deploy.yaml").write_text(MANIFEST)
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "self.yaml").symlink_to(tmp_path / "self.yaml")
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    result = _run(tmp_path)
    assert [fr.path for fr in result.files] == ["real/deploy.yaml"]
    reasons = dict(result.skipped)
    assert "loop" in reasons.get("self.yaml", "") or "symlink" in reasons.get("self.yaml", "")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_does_not_block(tmp_path):
    (tmp_path / "deploy.yaml").write_text(MANIFEST)
    os.mkfifo(tmp_path / "pipe.yaml")
    # in a subprocess with a timeout: a blocking open() would hang the test run otherwise
    proc = _in_subprocess(
        """
        import json
        from aiinfralint.pipeline.engine import RunOptions, run
        a = run(RunOptions(paths=["."], jobs=1, use_cache=False))
        b = run(RunOptions(paths=["pipe.yaml", "deploy.yaml"], jobs=1, use_cache=False))
        print(json.dumps({"a": [f.path for f in a.files], "b": sorted(b.skipped)}))
        """,
        cwd=tmp_path,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["a"] == ["deploy.yaml"]
    assert ["pipe.yaml", "not a regular file: FIFO"] in out["b"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_a_finding(tmp_path):
    p = tmp_path / "secret.yaml"
    p.write_text(MANIFEST)
    p.chmod(0)
    try:
        result = _run(tmp_path)
    finally:
        p.chmod(0o644)
    (f,) = [f for f in result.findings if f.span.path == "secret.yaml"]
    assert f.code == "AIL000" and f.span.line == 1 and f.message.startswith("cannot read")


def test_unreadable_file_finding_via_read_error(tmp_path, monkeypatch):
    """Runs as root too: simulate the permission error at open()."""
    from aiinfralint.pipeline import parallel

    (tmp_path / "deploy.yaml").write_text(MANIFEST)
    (tmp_path / "secret.yaml").write_text(MANIFEST)
    real_open = os.open

    def guarded(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith("secret.yaml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(parallel.os, "open", guarded)
    result = _run(tmp_path)
    (f,) = [f for f in result.findings if f.span.path == "secret.yaml"]
    assert f.code == "AIL000" and f.span.line == 1
    assert f.message == "cannot read: Permission denied; not checked"
    assert any(fr.path == "deploy.yaml" and fr.output.objects for fr in result.files)


def test_unlistable_directory_is_reported(tmp_path, monkeypatch):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "deploy.yaml").write_text(MANIFEST)
    (tmp_path / "locked").mkdir()
    import aiinfralint.pipeline.discovery as discovery

    real = discovery.os.scandir

    def guarded(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", guarded)
    result = _run(tmp_path)
    assert [fr.path for fr in result.files] == ["ok/deploy.yaml"]
    assert any(p == "locked" and "Permission denied" in r for p, r in result.skipped)


def test_everything_hostile_at_once_each_file_fails_alone(tmp_path):
    """A tree holding all of the above still yields the good file's findings, in a pool too."""
    (tmp_path / "good.yaml").write_text(MANIFEST)
    (tmp_path / "bin.yaml").write_bytes(b"\x00" * 100)
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: [\n")
    (tmp_path / "tags.yaml").write_text(MANIFEST + "x: !!python/object/apply:os.system ['true']\n")
    (tmp_path / "deep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "utf.yaml").write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata: {name: \xc3\x28}\n")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "app.py").write_text("import openai\ndef f(:\n")
    for i in range(6):
        (tmp_path / f"pad{i}.yaml").write_text(MANIFEST.replace("name: chat", f"name: chat-{i}"))
    from aiinfralint.pipeline import parallel

    one = _run(tmp_path, jobs=1)
    saved = parallel.MIN_FILES_PER_WORKER
    parallel.MIN_FILES_PER_WORKER = 1
    try:
        two = _run(tmp_path, jobs=2)
    finally:
        parallel.MIN_FILES_PER_WORKER = saved
    assert [f.model_dump() for f in one.findings] == [f.model_dump() for f in two.findings]
    assert one.skipped == two.skipped
    assert any(fr.path == "good.yaml" and fr.output.objects for fr in one.files)
    parse_errors = {f.span.path for f in one.findings if f.code == "AIL000"}
    assert {"bad.yaml", "utf.yaml", "deep.yaml"} <= parse_errors


def test_long_operator_chain_is_refused_quickly():
    """`1+1+...` nests one tree level per operator: past what the parser builds it is AIL000, fast."""
    import time

    from aiinfralint.parsers.base import FileInput
    from aiinfralint.parsers.python_prompts import parse

    for body in ("x = " + "+".join(["1"] * 100_000), "x = (" + "\n+ ".join(["1"] * 100_000) + ")"):
        start = time.monotonic()
        out = parse(FileInput("app.py", "import openai\n" + body + "\n"))
        assert out.problems and not out.objects
        assert time.monotonic() - start < 5
