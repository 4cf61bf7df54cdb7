"""The result cache: an unchanged run replays its report; any change that matters is a miss."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from manifests import CRON, DEPLOY

from aiinfralint import cli
from aiinfralint.cache import parse as cache_mod
from aiinfralint.cache import replay as replay_mod


@pytest.fixture
def project(cached, monkeypatch):
    """A GPU Deployment and a nightly CronJob, caches on, as the working directory."""
    (cached / "deploy.yaml").write_text(DEPLOY)
    (cached / "cron.yaml").write_text(CRON)
    monkeypatch.chdir(cached)
    return cached


@pytest.fixture
def runs(monkeypatch):
    """Count the runs that really checked something (a replay does not)."""
    calls: list[int] = []
    real = cli._check

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "_check", counting)
    return calls


def check(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(["check", *argv])
    return code, capsys.readouterr().out


def entries(project: Path) -> list[Path]:
    """The replay entries in the user cache directory (XDG_CACHE_HOME of the `cached` fixture)."""
    home = Path(os.environ["XDG_CACHE_HOME"]) / "aiinfralint"
    return sorted(home.glob(f"projects/*/{replay_mod.FORMAT}/*.json"))


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "github", "markdown"])
def test_replayed_report_is_byte_identical(project, runs, capsys, fmt):
    plain = check(capsys, "--format", fmt, "--no-cache")
    assert entries(project) == []  # --no-cache writes nothing
    cold = check(capsys, "--format", fmt)
    warm = check(capsys, "--format", fmt)
    assert plain == cold == warm
    assert plain[0] == 1  # the exit code is replayed too
    assert len(runs) == 2  # the third run replayed
    assert len(entries(project)) == 1


def test_editing_a_file_is_a_miss_and_matches_an_uncached_run(project, runs, capsys):
    before = check(capsys, "--format", "json")
    (project / "cron.yaml").write_text(CRON.replace('"0 2 * * *"', '"0 3 * * *"'))
    after = check(capsys, "--format", "json")
    assert len(runs) == 2
    assert after != before
    assert after == check(capsys, "--format", "json", "--no-cache")
    assert check(capsys, "--format", "json") == after
    assert len(runs) == 3  # replayed again once the tree is stable


@pytest.mark.parametrize("change", ["add", "delete", "rename", "gitignore-like exclude"])
def test_tree_changes_are_misses(project, runs, capsys, change):
    check(capsys, "--format", "json")
    if change == "add":
        (project / "more.yaml").write_text(CRON.replace("nightly", "weekly"))
    elif change == "delete":
        (project / "cron.yaml").unlink()
    elif change == "rename":
        (project / "cron.yaml").rename(project / "batch.yaml")
    else:
        (project / ".aiinfralint.toml").write_text('exclude = ["cron.yaml"]\n')
    got = check(capsys, "--format", "json")
    assert len(runs) == 2
    assert got == check(capsys, "--format", "json", "--no-cache")


def test_options_and_config_are_part_of_the_key(project, runs, capsys):
    everything = check(capsys, "--format", "json")
    only_202 = check(capsys, "--format", "json", "--select", "AIL202")
    assert only_202 != everything
    assert {f["code"] for f in json.loads(only_202[1])["findings"]} == {"AIL202"}
    (project / ".aiinfralint.toml").write_text('ignore = ["AIL201"]\n')
    configured = check(capsys, "--format", "json")
    assert "AIL201" not in {f["code"] for f in json.loads(configured[1])["findings"]}
    assert check(capsys, "--format", "json", "--fail-on", "never")[0] == 0
    assert len(runs) == 4
    assert check(capsys, "--format", "json", "--select", "AIL202") == only_202  # its own entry
    assert len(runs) == 5  # the config changed since, so that one was a miss too


def test_the_date_is_part_of_the_key(project, runs, capsys, monkeypatch):
    (project / "cron.yaml").write_text(
        CRON.replace("kind: CronJob", "kind: CronJob  # aiinfralint: ignore[AIL201] until=2027-01-31")
    )
    monkeypatch.setenv("AIINFRALINT_TODAY", "2027-01-31")
    silenced = json.loads(check(capsys, "--format", "json")[1])
    monkeypatch.setenv("AIINFRALINT_TODAY", "2027-02-01")
    expired = json.loads(check(capsys, "--format", "json")[1])
    assert len(runs) == 2
    assert "AIL002" not in {f["code"] for f in silenced["findings"]}
    assert "AIL002" in {f["code"] for f in expired["findings"]}


def test_output_files_are_rewritten_on_replay(project, runs, capsys, tmp_path):
    out, sarif = tmp_path / "report.json", tmp_path / "report.sarif"
    args = ("--format", "json", "--output", str(out), "--output-format", f"sarif:{sarif}")
    first = check(capsys, *args)
    texts = out.read_text(), sarif.read_text()
    out.unlink()
    sarif.unlink()
    second = check(capsys, *args)
    assert len(runs) == 1
    assert first == second
    assert (out.read_text(), sarif.read_text()) == texts


@pytest.mark.parametrize("damage", ["flip", "truncate", "forged"])
def test_damaged_or_forged_entry_is_a_miss(project, runs, capsys, damage):
    good = check(capsys, "--format", "json")
    (entry,) = entries(project)
    raw = entry.read_bytes()
    if damage == "flip":
        entry.write_bytes(raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:])
    elif damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    else:  # a valid-looking entry signed with someone else's key: hide every finding
        body = json.loads(raw[32:])
        body["writes"] = [["-", "{}\n"]]
        body["exit"] = 0
        data = json.dumps(body).encode()
        entry.write_bytes(cache_mod.sign(b"x" * 32, body["key"], data) + data)
    assert check(capsys, "--format", "json") == good
    assert len(runs) == 2


def test_changed_code_is_a_miss(project, runs, capsys, tmp_path, monkeypatch):
    # stands for a rule plugin (or an edited rule in an editable install) imported by the run
    plugin = tmp_path / "plugin_mod" / "ail_replay_plugin.py"
    plugin.parent.mkdir()
    plugin.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(plugin.parent))
    __import__("ail_replay_plugin")
    try:
        check(capsys, "--format", "json")
        check(capsys, "--format", "json")
        assert len(runs) == 1
        plugin.write_text("VALUE = 22\n")
        check(capsys, "--format", "json")
        assert len(runs) == 2
    finally:
        sys.modules.pop("ail_replay_plugin", None)


def test_a_file_edited_during_the_run_is_not_stored(project, runs, capsys, monkeypatch):
    from aiinfralint.pipeline import engine

    real = engine.run

    def editing_run(options):  # type: ignore[no-untyped-def]
        result = real(options)
        (project / "cron.yaml").write_text(CRON.replace("nightly", "edited"))
        return result

    monkeypatch.setattr(engine, "run", editing_run)
    check(capsys, "--format", "json")
    assert entries(project) == []


def test_baseline_and_diff_runs_are_not_replayed(project, runs, capsys, tmp_path):
    baseline = tmp_path / "baseline.json"
    check(capsys, "--format", "json", "--write-baseline", str(baseline))
    check(capsys, "--format", "json", "--baseline", str(baseline))
    check(capsys, "--format", "json", "--baseline", str(baseline))
    assert len(runs) == 3
    assert entries(project) == []


def test_a_replay_imports_no_model_rule_or_parser(project, capsys):
    check(capsys, "--format", "json")  # prime
    code = textwrap.dedent(
        """
        import contextlib, io, json, sys
        from aiinfralint.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            rc = main(["check", "--format", "json"])
        print(json.dumps({"rc": rc, "out": out.getvalue(), "mods": sorted(sys.modules)}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["rc"] == 1 and json.loads(got["out"])["findings"]
    mods = set(got["mods"])
    assert not {m.split(".")[0] for m in mods} & {"pydantic", "pydantic_core", "ruamel", "yaml", "rich", "libcst"}
    assert not any(
        m.startswith(("aiinfralint.model", "aiinfralint.rules", "aiinfralint.parsers", "aiinfralint.pipeline.engine"))
        for m in mods
    )


def test_a_miss_walks_the_tree_once(project, capsys, monkeypatch):
    from aiinfralint.pipeline import discovery, engine

    walks: list[int] = []
    real = discovery.discover

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        walks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(discovery, "discover", counting)
    monkeypatch.setattr(engine, "discover", counting)
    monkeypatch.setattr(replay_mod, "discover", counting)
    cold = check(capsys, "--format", "json")
    assert len(walks) == 1  # the replay's digest and the run share one discovery
    (project / "cron.yaml").write_text(CRON.replace("nightly", "weekly"))
    edited = check(capsys, "--format", "json")
    assert len(walks) == 2  # the lookup's walk is reused by the run it could not replace
    assert edited != cold and edited == check(capsys, "--format", "json", "--no-cache")


def test_a_checked_file_is_read_once_per_run(project, runs, capsys, monkeypatch):
    # the replay lookup hashes every input; the run then parses those very bytes, unread again
    from aiinfralint import fileio

    log = project.parent / "reads.log"
    real = fileio.read_bytes

    def counted(path, *a, **k):  # type: ignore[no-untyped-def]
        if str(path).endswith(".yaml"):
            with open(log, "a", encoding="utf-8") as fh:  # forked workers append too
                fh.write(Path(path).name + "\n")
        return real(path, *a, **k)

    monkeypatch.setattr(fileio, "read_bytes", counted)
    for expected_runs in (1, 1):  # a run that checks, then its replay
        log.write_text("")
        check(capsys, "--format", "json")
        assert sorted(log.read_text().splitlines()) == ["cron.yaml", "deploy.yaml"]
        assert len(runs) == expected_runs
