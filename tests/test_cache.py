"""The parse cache: same output cached or not, invalidation, corrupt and forged entries."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from manifests import CRON, DEPLOY

from aiinfralint.cache import parse as cache_mod
from aiinfralint.cache.parse import ParseCache
from aiinfralint.config import Config
from aiinfralint.pipeline.engine import RunOptions, run
from aiinfralint.report import get_reporter
from aiinfralint.report.base import ReportOptions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _check(project: Path, use_cache: bool = True, jobs: int = 1) -> str:
    result = run(RunOptions(paths=["."], config=Config(), cwd=project, jobs=jobs, use_cache=use_cache))
    return get_reporter("json")(result, ReportOptions(cwd=project))


def _home(project: Path) -> Path:
    """The user cache directory the `cached` fixture points XDG_CACHE_HOME at."""
    return Path(os.environ["XDG_CACHE_HOME"]) / "aiinfralint"


def _entries(project: Path) -> list[Path]:
    return sorted((_home(project) / cache_mod.FORMAT).rglob("*.msgpack"))


def _entries_under(root: Path) -> list[Path]:
    return sorted(root.rglob("*.msgpack"))


def _spy(monkeypatch) -> list[str]:
    """The files parsed from here on (parses run in worker processes; every file parsed
    rather than taken from the cache is offered to the cache afterwards, in this process)."""
    parsed: list[str] = []
    real = ParseCache.put

    def spy(self, key, value):  # type: ignore[no-untyped-def]
        parsed.append(value.path)
        return real(self, key, value)

    monkeypatch.setattr(ParseCache, "put", spy)
    return parsed


def test_cached_and_uncached_output_identical_on_fixtures(cached):
    shutil.copytree(FIXTURES, cached / "fixtures")
    plain = _check(cached, use_cache=False)
    assert not _home(cached).exists()  # --no-cache writes nothing
    cold = _check(cached)
    warm = _check(cached)
    assert plain == cold == warm
    assert json.loads(plain)["findings"]
    assert _entries(cached)
    assert not (cached / ".aiinfralint_cache").exists()  # nothing is written into the project


def test_warm_run_parses_nothing(cached, monkeypatch):
    (cached / "deploy.yaml").write_text(DEPLOY)
    (cached / "cron.yaml").write_text(CRON)
    _check(cached)
    parsed = _spy(monkeypatch)
    _check(cached)
    assert parsed == []


def test_editing_a_file_invalidates_only_its_entry(cached, monkeypatch):
    (cached / "deploy.yaml").write_text(DEPLOY)
    (cached / "cron.yaml").write_text(CRON)
    before = _check(cached)
    parsed = _spy(monkeypatch)
    (cached / "cron.yaml").write_text(CRON.replace('"0 2 * * *"', '"0 3 * * *"'))
    after = _check(cached)
    assert parsed == ["cron.yaml"]
    assert before != after
    assert after == _check(cached, use_cache=False)


def test_moved_file_gets_its_own_entry(cached):
    (cached / "a").mkdir()
    (cached / "a" / "deploy.yaml").write_text(DEPLOY)
    _check(cached)
    (cached / "a" / "deploy.yaml").rename(cached / "deploy.yaml")
    out = json.loads(_check(cached))
    assert {f["path"] for f in out["findings"]} <= {"deploy.yaml"}
    assert out == json.loads(_check(cached, use_cache=False))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty", "directory"])
def test_corrupt_entry_is_ignored_and_overwritten(cached, monkeypatch, damage):
    (cached / "deploy.yaml").write_text(DEPLOY)
    expected = _check(cached)
    (entry,) = _entries(cached)
    raw = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(len(raw)))
    elif damage == "flip":
        entry.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        entry.unlink()
        entry.mkdir()
    parsed = _spy(monkeypatch)
    assert _check(cached) == expected
    assert parsed == ["deploy.yaml"]
    if damage != "directory":
        assert entry.read_bytes() == raw  # rewritten with a valid entry


def test_forged_entry_is_a_miss(cached, monkeypatch):
    """An entry signed with another key (anyone's but this user's) is never decoded."""
    from aiinfralint.cache.codec import encode
    from aiinfralint.pipeline.read import parse_data

    (cached / "deploy.yaml").write_text(DEPLOY)
    expected = _check(cached)
    (entry,) = _entries(cached)
    # a valid encoding of another file's parse result: it would hide every finding
    body = encode(parse_data("deploy.yaml", b"kind: ConfigMap\n"))
    entry.write_bytes(cache_mod.sign(b"x" * 32, entry.stem, body) + body)
    parsed = _spy(monkeypatch)
    assert _check(cached) == expected
    assert parsed == ["deploy.yaml"]


def test_secret_from_another_user_is_not_trusted(cached):
    key_file = Path(os.environ["XDG_CACHE_HOME"]) / "aiinfralint" / "secret"
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(b"k" * 32)
    key_file.chmod(0o644)  # readable by others: anyone could forge entries with it
    assert cache_mod._secret() != b"k" * 32


def test_no_cache_env_var_disables(cached, monkeypatch):
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    (cached / "deploy.yaml").write_text(DEPLOY)
    _check(cached)
    assert not _home(cached).exists()
    assert ParseCache.open(Config(), cached) is None


def test_cache_dir_env_var_and_markers(cached, monkeypatch, tmp_path):
    monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(tmp_path / "elsewhere"))
    (cached / "deploy.yaml").write_text(DEPLOY)
    _check(cached)
    assert not (cached / ".aiinfralint_cache").exists()
    root = tmp_path / "elsewhere"
    assert (root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (root / ".gitignore").read_text().strip().endswith("*")
    assert _entries_under(root)
    assert not (_home(cached) / cache_mod.FORMAT).exists()
    assert (_home(cached) / "secret").is_file()  # the key never moves with the entries


def test_projects_share_parse_results(cached, monkeypatch, tmp_path):
    """Parse results depend on a file's bytes and path only: another checkout hits them."""
    (cached / "deploy.yaml").write_text(DEPLOY)
    first = _check(cached)
    other = tmp_path / "other-checkout"
    other.mkdir()
    (other / "deploy.yaml").write_text(DEPLOY)
    parsed = _spy(monkeypatch)
    assert _check(other) == first
    assert parsed == []


def test_explicit_cache_directory_inside_the_project_is_not_linted(cached, monkeypatch):
    monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(cached / ".aiinfralint_cache"))
    (cached / "deploy.yaml").write_text(DEPLOY)
    _check(cached)
    assert _entries_under(cached / ".aiinfralint_cache")
    out = json.loads(_check(cached))
    assert all(".aiinfralint_cache" not in f["path"] for f in out["findings"])
    # the directory may be listed as skipped as a whole; nothing inside it is looked at
    assert all(not s["path"].startswith(".aiinfralint_cache/") for s in out["skipped"])


def test_read_only_cache_location_does_not_fail_the_run(cached, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("AIINFRALINT_CACHE_DIR", str(blocker / "cache"))
    (cached / "deploy.yaml").write_text(DEPLOY)
    assert _check(cached) == _check(cached, use_cache=False)


def test_symlinked_entry_is_not_followed(cached, monkeypatch, tmp_path):
    (cached / "deploy.yaml").write_text(DEPLOY)
    _check(cached)
    (entry,) = _entries(cached)
    outside = tmp_path / "outside.pickle"
    outside.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(outside)
    parsed = _spy(monkeypatch)
    _check(cached)
    assert parsed == ["deploy.yaml"]


def test_parallel_and_cached_runs_agree(cached, monkeypatch):
    from aiinfralint.pipeline import parallel

    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    for i in range(12):
        (cached / f"d{i}.yaml").write_text(DEPLOY.replace("name: chat", f"name: chat-{i}"))
        (cached / f"c{i}.yaml").write_text(CRON.replace("name: nightly", f"name: nightly-{i}"))
    cold = _check(cached, jobs=2)
    assert len(_entries(cached)) == 24
    warm = _check(cached, jobs=2)
    assert cold == warm == _check(cached, use_cache=False, jobs=1)


def test_old_generations_are_pruned(cached):
    (cached / "deploy.yaml").write_text(DEPLOY)
    base = _home(cached) / cache_mod.FORMAT
    for i in range(6):
        shard = base / f"{i:016x}" / "ab"
        shard.mkdir(parents=True)
        (shard / ("ab" + "0" * 62 + ".msgpack")).write_bytes(b"old")
        os.utime(base / f"{i:016x}", (1_000_000 + i, 1_000_000 + i))
    stranger = base / "not-a-generation"
    stranger.mkdir()
    _check(cached)
    gens = sorted(p.name for p in base.iterdir() if p.is_dir() and p != stranger)
    assert len(gens) == cache_mod.KEEP_GENERATIONS
    assert f"{5:016x}" in gens and f"{4:016x}" in gens  # the newest old ones stay
    assert stranger.is_dir()  # a name the cache never writes is never removed


def _parse_results() -> list:  # type: ignore[type-arg]
    from aiinfralint.pipeline.read import read_and_parse

    root = FIXTURES.parent
    out = []
    for top in ("fixtures", "demo-platform"):
        for p in sorted((root / top).rglob("*")):
            if p.is_file():
                out.append(read_and_parse(str(p), p.relative_to(root).as_posix()))
    return out


def test_entries_round_trip_every_fixture():
    """A parse result read back from its cache entry equals the one that was written, for
    every fixture and demo file: the same classes, the same values, nothing dropped."""
    from aiinfralint.cache.codec import decode, encode

    results = _parse_results()
    assert sum(len(fr.output.objects) for fr in results) > 100
    assert any(fr.output.problems for fr in results) and any(fr.suppressions.items for fr in results)
    for fr in results:
        back = decode(encode(fr))
        assert back == fr, fr.path
        assert repr(back) == repr(fr), fr.path
        assert [type(o) for o in back.output.objects] == [type(o) for o in fr.output.objects]
        for a, b in zip(back.output.objects, fr.output.objects):
            assert a.model_dump() == b.model_dump()
            assert _hash(a) == _hash(b)


def _hash(obj: object) -> object:
    try:
        return hash(obj)
    except TypeError as exc:  # a model with a dict field is not hashable, cached or not
        return str(exc)
