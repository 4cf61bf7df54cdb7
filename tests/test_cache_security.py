"""The caches against a hostile pull request: nothing committed is read as cache, nothing
is written or removed through a symlink, and no entry can run code or hide findings."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import msgspec
import pytest
from manifests import CRON, DEPLOY

import aiinfralint
from aiinfralint import cli
from aiinfralint.cache import codec as cachecodec
from aiinfralint.cache import parse as cache_mod
from aiinfralint.cache import replay as replay_mod
from aiinfralint.cache import store as cachedir
from aiinfralint.cache.parse import ParseCache

REPO = Path(__file__).resolve().parents[1]


# --- helpers ------------------------------------------------------------------------------


def _home() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "aiinfralint"


def _snapshot(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every name under `root` (symlinks not followed) with (is a link, size, mtime)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (p.is_symlink(), st.st_size, st.st_mtime_ns)
    return out


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(["check", "--format", "json", *argv])
    return code, capsys.readouterr().out


def _project(cached: Path, monkeypatch) -> Path:
    (cached / "deploy.yaml").write_text(DEPLOY)
    (cached / "cron.yaml").write_text(CRON)
    monkeypatch.chdir(cached)
    return cached


def _plant_old_dirs(where: Path) -> None:
    """What a cache's pruning would take for its own: old directories, hex and not."""
    for name in ("sibling-checkout", "0123456789abcdef", "fedcba9876543210", "tool-cache"):
        d = where / name
        (d / "ab").mkdir(parents=True)
        (d / "ab" / ("ab" + "0" * 62 + ".msgpack")).write_bytes(b"precious")
        (d / "data.json").write_text("{}")
        os.utime(d, (1_000_000, 1_000_000))


def _parses(monkeypatch) -> list[str]:
    """Files parsed (not taken from the cache) from here on."""
    parsed: list[str] = []
    real = ParseCache.put

    def spy(self, key, value):  # type: ignore[no-untyped-def]
        parsed.append(value.path)
        return real(self, key, value)

    monkeypatch.setattr(ParseCache, "put", spy)
    return parsed


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


# --- deletes and writes outside the checkout ----------------------------------------------


@pytest.mark.parametrize("explicit", [False, True], ids=["default location", "AIINFRALINT_CACHE_DIR in checkout"])
@pytest.mark.parametrize("name", ["v1", "replay-v1", cache_mod.FORMAT, cachedir.PROJECTS])
def test_committed_cache_symlink_to_outside_is_neither_written_nor_pruned(
    tmp_path, monkeypatch, capsys, explicit, name
):
    """A PR commits `.aiinfralint_cache/<name> -> ../../..`: the run must not write a cache
    there nor prune the directories it finds there (sibling checkouts, runner tool caches)."""
    from aiinfralint.cache import parse as cm

    monkeypatch.delenv("AIINFRALINT_NO_CACHE", raising=False)
    monkeypatch.delenv("AIINFRALINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cm._secret.cache_clear()
    outer = tmp_path / "outer"
    project = outer / "work" / "project"
    project.mkdir(parents=True)
    _plant_old_dirs(outer)
    committed = project / ".aiinfralint_cache"
    committed.mkdir()
    (committed / name).symlink_to("../../..")  # -> outer
    assert (committed / name).resolve() == outer.resolve()
    if explicit:
        monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(committed))
    _project(project, monkeypatch)
    before = _snapshot(outer)
    first = _check(capsys)
    second = _check(capsys)
    assert first == second and first[0] == 1
    after = _snapshot(outer)
    # the project's own files only: the caches wrote nothing else anywhere under `outer`
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert not {k for k in changed if not k.startswith("work/project/.aiinfralint_cache")} - {"work/project", "work"}
    for planted in ("sibling-checkout", "0123456789abcdef", "fedcba9876543210", "tool-cache"):
        assert (outer / planted / "data.json").read_text() == "{}"
        assert (outer / planted / "ab" / ("ab" + "0" * 62 + ".msgpack")).read_bytes() == b"precious"
    cm._secret.cache_clear()


def test_symlinked_replay_directory_is_not_pruned(cached, monkeypatch, capsys, tmp_path):
    """A replay directory that is a symlink to someone's JSON files: none of them go."""
    project = _project(cached, monkeypatch)
    monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(project / ".aiinfralint_cache"))
    victim = tmp_path / "victim"
    victim.mkdir()
    for i in range(replay_mod.KEEP_ENTRIES + 8):
        f = victim / f"{i:064x}.json"
        f.write_text("{}")
        os.utime(f, (1_000_000 + i, 1_000_000 + i))
    name = cachedir.project_dir_name(cachedir.project_root(None, project))
    proj = project / ".aiinfralint_cache" / cachedir.PROJECTS / name
    proj.mkdir(parents=True)
    (proj / replay_mod.FORMAT).symlink_to(victim)
    (project / ".aiinfralint_cache" / "replay-v1").symlink_to(victim)
    before = _snapshot(victim)
    for fmt in ("json", "text", "sarif", "github", "markdown", "json"):
        assert _check(capsys, "--format", fmt)[0] == 1
    assert _snapshot(victim) == before


def test_symlinked_markers_create_nothing_outside(cached, monkeypatch, capsys, tmp_path):
    project = _project(cached, monkeypatch)
    root = tmp_path / "configured-cache"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    existing = outside / "existing"
    existing.write_text("keep me\n")
    (root / ".gitignore").symlink_to(outside / "created-by-gitignore")
    (root / "CACHEDIR.TAG").symlink_to(existing)
    monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(root))
    _check(capsys)
    _check(capsys)
    assert sorted(p.name for p in outside.iterdir()) == ["existing"]
    assert existing.read_text() == "keep me\n"
    assert (root / ".gitignore").is_symlink() and (root / "CACHEDIR.TAG").is_symlink()
    assert list(root.rglob("*.msgpack"))  # the cache itself still works
    assert project.is_dir()


@pytest.mark.parametrize("level", ["anchor", "parse", "generation", "shard", "projects"])
def test_a_symlink_at_any_level_turns_the_cache_off(cached, monkeypatch, capsys, tmp_path, level):
    project = _project(cached, monkeypatch)
    expected = _check(capsys, "--no-cache")
    _check(capsys)  # creates every level
    home = _home()
    gen = home / cache_mod.FORMAT / cache_mod.parser_fingerprint()
    shard = next(p for p in gen.iterdir() if p.is_dir())
    target = {
        "anchor": home,
        "parse": home / cache_mod.FORMAT,
        "generation": gen,
        "shard": shard,
        "projects": home / cachedir.PROJECTS,
    }[level]
    outside = tmp_path / f"outside-{level}"
    shutil.move(str(target), str(outside))
    target.symlink_to(outside)
    cache_mod._secret.cache_clear()
    before = _snapshot(outside)
    (project / "cron.yaml").write_text(CRON.replace("nightly", "weekly"))  # a miss: writes if it can
    assert _check(capsys) == _check(capsys, "--no-cache")
    assert _check(capsys)[0] == expected[0]
    assert _snapshot(outside) == before


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give a directory away")
def test_a_directory_owned_by_someone_else_is_not_used(cached, monkeypatch, capsys):
    project = _project(cached, monkeypatch)
    parsed = _parses(monkeypatch)
    _check(capsys)
    base = _home() / cache_mod.FORMAT
    for p in [base, *base.rglob("*")]:
        os.lchown(p, 4242, 4242)
    (project / "more.yaml").write_text(DEPLOY.replace("name: chat", "name: more"))
    parsed.clear()
    _check(capsys)
    assert sorted(parsed) == ["cron.yaml", "deploy.yaml", "more.yaml"]  # no hits from a stranger's directory
    assert not [p for p in base.rglob("*") if p.lstat().st_uid != 4242]  # and nothing written into it


def test_pruning_leaves_what_the_cache_did_not_write(cached, monkeypatch, capsys, tmp_path):
    _project(cached, monkeypatch)
    base = _home() / cache_mod.FORMAT
    outside = tmp_path / "outside.msgpack"
    outside.write_bytes(b"precious")
    for i in range(5):
        shard = base / f"{i:016x}" / "ab"
        shard.mkdir(parents=True)
        (shard / ("ab" + "1" * 62 + ".msgpack")).write_bytes(b"old entry")
        os.utime(base / f"{i:016x}", (1_000_000 + i, 1_000_000 + i))
    stranger_gen = base / f"{0:016x}"
    (stranger_gen / "ab" / "notes.txt").write_text("mine")
    (stranger_gen / "ab" / ("ab" + "2" * 62 + ".msgpack")).symlink_to(outside)
    _check(capsys)
    assert outside.read_bytes() == b"precious"
    assert (stranger_gen / "ab" / "notes.txt").read_text() == "mine"
    assert not (stranger_gen / "ab" / ("ab" + "1" * 62 + ".msgpack")).exists()  # its own entry went
    assert not (base / f"{1:016x}").exists()  # an old generation with only entries is gone


# --- code execution and hidden findings with a known key ---------------------------------


def test_pickled_entry_signed_with_the_real_key_never_runs(cached, monkeypatch, capsys, tmp_path):
    """Even with the user's key (restored with a CI cache, or leaked), an entry is data:
    a pickle in it is not loaded, nothing runs, and the file is parsed again."""
    _project(cached, monkeypatch)
    old = cached / ".aiinfralint_cache" / "v1" / ("0" * 16)  # where the cache used to live
    old.mkdir(parents=True)
    expected = _check(capsys, "--select", "AIL2")
    secret = (_home() / "secret").read_bytes()
    marker = tmp_path / "PWNED"
    evil = pickle.dumps(_Boom(marker))
    entries = sorted((_home() / cache_mod.FORMAT).rglob("*.msgpack"))
    assert len(entries) == 2
    for entry in entries:
        entry.write_bytes(cache_mod.sign(secret, entry.stem, evil) + evil)
    # and the same, committed in the checkout
    for entry in entries:
        (old / entry.stem[:2]).mkdir(parents=True, exist_ok=True)
        (old / entry.stem[:2] / f"{entry.stem}.pickle").write_bytes(cache_mod.sign(secret, entry.stem, evil) + evil)
    parsed = _parses(monkeypatch)
    got = _check(capsys, "--select", "AIL2", "--output-format", f"markdown:{tmp_path / 'r.md'}")  # not replayed
    assert got == expected
    assert sorted(parsed) == ["cron.yaml", "deploy.yaml"]
    assert not marker.exists()
    with pytest.raises(cachecodec.CodecError):
        cachecodec.decode(evil)
    assert not marker.exists()


def test_forged_replay_entry_in_the_checkout_is_ignored(cached, monkeypatch, capsys):
    """A PR commits a replay entry, correctly signed with a leaked key, that says
    "exit 0, no findings": the checkout is never read as cache."""
    project = _project(cached, monkeypatch)
    secret = cache_mod._secret()
    assert secret is not None
    request = replay_mod.CheckRequest(
        paths=(".",),
        fmt="json",
        output=None,
        output_formats=(),
        select=None,
        ignore=(),
        fail_on=None,
        config=None,
        quiet=False,
        show_skipped=False,
        to_tty=False,
        presentation=(False, None, False, False),  # no colour, default width, no assumptions, no statistics
    )
    plan = replay_mod.Replay.plan(request, project)
    assert plan is not None
    lie = {
        "key": plan.key,
        "discovery": {"exclude": [], "respect_gitignore": True},
        "inputs": "x",
        "code": [],
        "writes": [["-", '{"findings": []}\n']],
        "exit": 0,
    }
    body = json.dumps(lie).encode()
    signed = cache_mod.sign(secret, plan.key, body) + body
    committed = project / ".aiinfralint_cache"
    for where in (committed / "replay-v1", committed / cachedir.PROJECTS / plan.project / replay_mod.FORMAT):
        where.mkdir(parents=True)
        (where / f"{plan.key}.json").write_bytes(signed)
    code, out = _check(capsys)
    assert code == 1 and json.loads(out)["findings"]
    code, out = _check(capsys)  # replayed from the user's own cache this time: the same
    assert code == 1 and json.loads(out)["findings"]
    # the forged entry had the very key of this run: it was looked for, just never there
    own = _home() / cachedir.PROJECTS / plan.project / replay_mod.FORMAT / f"{plan.key}.json"
    assert own.is_file() and own.read_bytes() != signed


def test_decoding_builds_only_allowed_classes():
    ok = cachecodec.encode(cachecodec.decode(cachecodec.encode(_sample())))
    assert cachecodec.decode(ok) == _sample()
    bad = [
        msgspec.msgpack.encode([cachecodec.CLASS + len(cachecodec.allowed_classes()), 0]),  # no such class
        msgspec.msgpack.encode([cachecodec.CLASS, 0, "only one value"]),  # wrong shape
        msgspec.msgpack.encode(["os.system", 0, "touch x"]),  # a name is never resolved
        msgspec.msgpack.encode([cachecodec.TUPLE, 1, "not an array"]),
        msgspec.msgpack.encode([cachecodec.DECIMAL, "not a number"]),
        msgspec.msgpack.encode({"path": "x"}),
        msgspec.msgpack.encode([cachecodec.TUPLE, 0]),  # a tuple, not a FileResult
        b"\xc1",
        b"",
    ]
    for data in bad:
        with pytest.raises(cachecodec.CodecError):
            cachecodec.decode(data)


def _sample():  # type: ignore[no-untyped-def]
    from aiinfralint.pipeline.read import parse_data

    return parse_data("deploy.yaml", DEPLOY.encode())


# --- where the caches live -----------------------------------------------------------------


def test_the_cache_defaults_outside_the_checked_tree(cached, monkeypatch, capsys):
    project = _project(cached, monkeypatch)
    before = _snapshot(project)
    _check(capsys)
    _check(capsys)
    assert _snapshot(project) == before
    home = _home()
    assert list((home / cache_mod.FORMAT).rglob("*.msgpack"))
    assert list((home / cachedir.PROJECTS).glob(f"*/{replay_mod.FORMAT}/*.json"))
    assert (home / "CACHEDIR.TAG").is_file()
    assert cachedir.locate(None, project) == (home, cachedir.project_dir_name(project.resolve()))


def test_a_user_cache_inside_the_project_is_not_used(cached, monkeypatch, capsys):
    """When the user's cache directory would be inside the checked tree (HOME set to the
    workspace), the run goes without caches rather than read a committed one."""
    project = _project(cached, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(project / ".cache"))
    cache_mod._secret.cache_clear()
    from aiinfralint.config import Config

    before = _snapshot(project)
    assert ParseCache.open(Config(), project) is None
    _check(capsys)
    _check(capsys)
    assert _snapshot(project) == before  # not even the signing key
    cache_mod._secret.cache_clear()


def test_project_directories_are_keyed_by_the_project_root(cached, monkeypatch, capsys):
    project = _project(cached, monkeypatch)
    (project / ".aiinfralint.toml").write_text("fail-on = 'error'\n")
    sub = project / "k8s"
    sub.mkdir()
    (sub / "deploy.yaml").write_text(DEPLOY)
    monkeypatch.chdir(sub)
    _check(capsys)
    (name,) = [p.name for p in (_home() / cachedir.PROJECTS).iterdir()]
    assert name == cachedir.project_dir_name(project.resolve())
    assert name.startswith("project-")


# --- the code fingerprint -------------------------------------------------------------------


@pytest.fixture
def fresh_fingerprint(monkeypatch):
    def clear() -> None:
        cache_mod.package_digest.cache_clear()
        cache_mod.parser_fingerprint.cache_clear()

    clear()
    yield clear
    clear()  # before monkeypatch restores the package path: the next use recomputes


def test_fingerprint_ignores_install_path_and_mtimes(tmp_path, monkeypatch, fresh_fingerprint):
    pkg = Path(aiinfralint.__file__).parent
    first = tmp_path / "runner-a" / "site-packages" / "aiinfralint"
    shutil.copytree(pkg, first, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    second = tmp_path / "elsewhere" / "lib" / "aiinfralint"
    shutil.copytree(first, second)
    for i, dest in enumerate((first, second)):
        for p in dest.rglob("*"):
            os.utime(p, (1_000_000 * (i + 1), 1_000_000 * (i + 1)))
    prints = []
    for dest in (first, second):
        monkeypatch.setattr(aiinfralint, "__file__", str(dest / "__init__.py"))
        fresh_fingerprint()
        prints.append(cache_mod.parser_fingerprint())
    assert prints[0] == prints[1]
    # one changed byte in any file of the package (here a data table) is another fingerprint
    data = next(second.rglob("*.yaml"))
    data.write_bytes(data.read_bytes() + b"\n")
    fresh_fingerprint()
    assert cache_mod.parser_fingerprint() != prints[0]


def test_fingerprint_follows_library_versions(monkeypatch, fresh_fingerprint):
    original = cache_mod.parser_fingerprint()
    real = dict(cache_mod.installed_distributions())
    assert real.get("pyyaml") and real.get("pydantic")  # read from the site directories
    upgraded = tuple(sorted({**real, "pyyaml": "99.0"}.items()))
    monkeypatch.setattr(cache_mod, "installed_distributions", lambda: upgraded)
    fresh_fingerprint()
    assert cache_mod.parser_fingerprint() != original


def test_a_replay_entry_restored_on_another_machine_hits(cached, monkeypatch, capsys, runs_counter):
    """Same code, other file times (a fresh install on another runner): the recorded
    package files are compared by content and the report is replayed."""
    project = _project(cached, monkeypatch)
    first = _check(capsys)
    (entry,) = sorted(_home().glob(f"{cachedir.PROJECTS}/*/{replay_mod.FORMAT}/*.json"))
    raw = entry.read_bytes()
    body = json.loads(raw[32:])
    rows = body["code"]
    assert any(r[3] for r in rows) and any(not r[3] for r in rows)
    for r in rows:
        r[2] -= 10**12  # as if every file had been installed at another time
    data = json.dumps(body, separators=(",", ":")).encode()
    entry.write_bytes(cache_mod.sign(cache_mod._secret(), body["key"], data) + data)
    assert _check(capsys) == first
    assert runs_counter == [1]
    assert json.loads(entry.read_bytes()[32:])["code"] != rows  # this machine's times recorded
    assert project.is_dir()


@pytest.fixture
def runs_counter(monkeypatch):
    calls: list[int] = []
    real = cli._check

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "_check", counting)
    return calls


def test_old_projects_are_pruned_by_name_and_kind_only(cached, monkeypatch, capsys):
    projects = _home() / cachedir.PROJECTS
    for i in range(cachedir.KEEP_PROJECTS + 5):
        d = projects / f"old-{i:016x}" / replay_mod.FORMAT
        d.mkdir(parents=True)
        (d / f"{i:064x}.json").write_text("{}")
        os.utime(d.parent, (1_000_000 + i, 1_000_000 + i))
    (projects / f"old-{0:016x}" / "notes.txt").write_text("not the cache's")
    os.utime(projects / f"old-{0:016x}", (1_000_000, 1_000_000))  # still the oldest
    (projects / "not a project").mkdir()
    _project(cached, monkeypatch)
    _check(capsys)
    left = sorted(p.name for p in projects.iterdir())
    assert f"old-{0:016x}" in left  # holds a file the cache never writes: kept
    assert (projects / f"old-{0:016x}" / "notes.txt").is_file()
    assert not (projects / f"old-{0:016x}" / replay_mod.FORMAT).exists()  # its entries went
    assert "not a project" in left
    assert f"old-{1:016x}" not in left
    mine = cachedir.project_dir_name(cached.resolve())
    assert mine in left
    # the newest KEEP_PROJECTS - 1 others stay next to this one, plus the one that was not empty
    assert len([n for n in left if n.startswith("old-")]) == cachedir.KEEP_PROJECTS - 1 + 1
