"""A gate that cannot be switched off silently.

Each attack from the hostile-pull-request review, reproduced: a configuration value that
makes every rule crash (so both sides of --diff cancel out), absurd numbers, unknown keys,
a baseline that is a device or a FIFO, a crashing rule, and a pull request that switches
the checks off through the configuration while "adding no findings".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from aiinfralint.config import ConfigError

BROKEN = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"
BROKEN2 = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n spec: {broken\n"
GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "settings.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    return tmp_path


def _pyproject(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n\n" + body, encoding="utf-8")


def _main(*argv: str) -> int:
    from aiinfralint.cli import main

    return main(list(argv))


# --- configuration validated when it loads ----------------------------------------------------


def test_nan_pue_is_exit_two_naming_the_key(project, capsys):
    _pyproject(project, "[tool.aiinfralint.pricing.pue]\ngcp = nan\n")
    assert _main("check", ".") == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: [tool.aiinfralint.pricing.pue] gcp: must be a finite number, got nan" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "[tool.aiinfralint.traffic]\ncalls-per-day = 10000000000000000000000000000000000000000\n",
            "[tool.aiinfralint.traffic] calls-per-day: must be at most 1,000,000,000,000 (a sane maximum), got a 41-digit number",
        ),
        ("[tool.aiinfralint.traffic]\ngpu-utilisation = inf\n", "gpu-utilisation: must be a finite number, got inf"),
        ("[tool.aiinfralint.traffic]\ncalls-per-day = -5\n", "calls-per-day: must not be negative, got -5"),
        (
            "[tool.aiinfralint.traffic]\nprompts = { support = 1e300 }\n",
            "[tool.aiinfralint.traffic.prompts] support: must be at most",
        ),
        (
            '[tool.aiinfralint.pricing.gpus.H100-SXM]\nusd-per-hour = "nan"\n',
            "usd-per-hour: must be a finite number, got NaN",
        ),
        (
            '[tool.aiinfralint.pricing.grid."aws/us-east-1"]\ng_per_kwh = -1\n',
            '[tool.aiinfralint.pricing.grid."aws/us-east-1"] g_per_kwh: must not be negative',
        ),
        (
            "[tool.aiinfralint.pricing.models.gpt-4o]\ninput = 1e12\n",
            "input: must be at most 1,000,000,000 (a sane maximum)",
        ),
        ("[tool.aiinfralint.prompt]\ntoken-budget = 1.5\n", "token-budget: must be a whole number, got 1.5"),
        (
            "[tool.aiinfralint.rules.AIL203]\nload-bandwidth-gb-s = nan\n",
            "[tool.aiinfralint.rules.AIL203] load-bandwidth-gb-s: must be a finite number",
        ),
        ('[tool.aiinfralint.rules.AIL201]\nscope = "galaxy"\n', "scope: must be one of 'directory', 'tree', 'project'"),
        (
            '[tool.aiinfralint.peak-windows]\nrealtime = "08:00-20:00 Mars/Olympus"\n',
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            '[tool.aiinfralint.peak-windows]\nrealtime = "8 to 5"\n',
            "[tool.aiinfralint.peak-windows] realtime: invalid window",
        ),
        ('[tool.aiinfralint]\nrespect-gitignore = "no"\n', 'respect-gitignore: must be true or false, got "no"'),
        ('[tool.aiinfralint]\nexclude = "build"\n', "exclude: must be an array"),
        (
            '[tool.aiinfralint]\nseverity = { AIL201 = "fatal" }\n',
            "[tool.aiinfralint.severity] AIL201: must be one of 'error', 'warning', 'info'",
        ),
    ],
)
def test_bad_values_are_exit_two_with_one_line(project, capsys, body, needle):
    _pyproject(project, body)
    assert _main("check", ".") == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("body", ["x = " + "9" * 5000 + "\n", "exclude = " + "[" * 5000 + "]" * 5000 + "\n"])
def test_hostile_toml_is_exit_two(project, capsys, body):
    (project / ".aiinfralint.toml").write_text(body, encoding="utf-8")
    assert _main("check", ".") == 2
    err = capsys.readouterr().err
    assert ".aiinfralint.toml: invalid TOML" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('[tool.aiinfralint]\nignor = ["ALL"]\n', "[tool.aiinfralint] ignor: unknown key; did you mean ignore?"),
        (
            "[tool.aiinfralint.traffic]\ncalls-per-dya = 5\n",
            "[tool.aiinfralint.traffic] calls-per-dya: unknown key; did you mean calls-per-day?",
        ),
        (
            "[tool.aiinfralint.pricing.gpus.H100-SXM]\nusd-per-hr = 5\n",
            "[tool.aiinfralint.pricing.gpus.H100-SXM] usd-per-hr: unknown key; did you mean usd-per-hour?",
        ),
        (
            "[tool.aiinfralint.pricing.pue]\ngcp = { pue = 1.2 }\n",
            "[tool.aiinfralint.pricing.pue] gcp: must be a number",
        ),
        (
            "[tool.aiinfralint.rules.AIL203]\nload-bandwidth = 2\n",
            "load-bandwidth: unknown key; did you mean load-bandwidth-gb-s?",
        ),
        ('[tool.aiinfralint.peak-windows]\nrealtme = "08:00-20:00"\n', "realtme: unknown key; did you mean realtime?"),
        ('[tool.aiinfralint]\nfail-on = "sometimes"\n', "fail-on: must be one of"),
    ],
)
def test_unknown_keys_get_a_did_you_mean(project, capsys, body, needle):
    _pyproject(project, body)
    assert _main("check", ".") == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            '[tool.aiinfralint]\nseverity = { AIL2O1 = "info" }\n',
            "[tool.aiinfralint.severity] AIL2O1: unknown rule; did you mean AIL201?",
        ),
        ("[tool.aiinfralint.rules.AIL104]\nbudget = 3\n", "rule AIL104 takes no options"),
        ('[tool.aiinfralint.per-file-ignores]\n"legacy/*" = ["AIL9"]\n', 'unknown rule selector "AIL9"'),
    ],
)
def test_rule_names_in_the_configuration_must_exist(project, capsys, body, needle):
    _pyproject(project, body)
    assert _main("check", ".") == 2
    err = capsys.readouterr().err
    assert needle in err, err


def test_good_configuration_still_loads(project):
    _pyproject(
        project,
        """[tool.aiinfralint]
select = ["ALL"]
ignore = ["AIL103"]
fail-on = "warning"
exclude = ["vendor"]
per-file-ignores = { "legacy/*" = ["AIL201"] }
severity = { AIL205 = "error", shared-batch-realtime-gpu-pool = "info" }

[tool.aiinfralint.peak-windows]
realtime = "08:00-20:00 America/New_York"

[tool.aiinfralint.traffic]
calls-per-day = 200000
prompts = { "prompts/support.j2" = 50000 }

[tool.aiinfralint.prompt]
token-budget = 4000

[tool.aiinfralint.pricing]
models = { "gpt-4o" = { input = 2.0, cached_input = 1.0, deprecation-date = 2027-01-14 } }
pue = { aws = 1.1 }

[tool.aiinfralint.rules.AIL203]
load-bandwidth-gb-s = 2.0
""",
    )
    assert _main("check", ".") == 0


def test_sections_built_in_code_fail_as_config_errors():
    from aiinfralint.config import Config, PricingConfig, TrafficConfig

    with pytest.raises(ConfigError, match="finite"):
        PricingConfig(pue={"gcp": float("nan")})
    with pytest.raises(ConfigError, match="sane maximum"):
        Config(traffic=TrafficConfig(calls_per_day=10**40))


def test_estimator_never_sees_a_huge_number():
    """The Decimal traceback of the review: now refused before any arithmetic."""
    from aiinfralint.config import TrafficConfig

    with pytest.raises(ConfigError):
        TrafficConfig(calls_per_day=10**4000)


# --- config and baseline files through the safe reader -------------------------------------


def test_config_that_is_a_device_is_exit_two(project, capsys):
    assert _main("check", ".", "--config", "/dev/zero") == 2
    assert "not a regular file" in capsys.readouterr().err


def test_oversized_config_is_exit_two(project, capsys):
    _pyproject(project, "[tool.aiinfralint]\n" + "# padding\n" * 200_000)
    assert _main("check", ".") == 2
    assert "larger than 1 MiB" in capsys.readouterr().err


def test_baseline_dev_zero_is_exit_two_quickly(project, capsys):
    _pyproject(project, '[tool.aiinfralint]\nbaseline = "/dev/zero"\n')
    start = time.monotonic()
    assert _main("check", ".") == 2
    assert time.monotonic() - start < 10
    err = capsys.readouterr().err
    assert "cannot read baseline /dev/zero: not a regular file" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_baseline_is_exit_two_without_hanging(project):
    os.mkfifo(project / "baseline.pipe")
    _pyproject(project, '[tool.aiinfralint]\nbaseline = "baseline.pipe"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "aiinfralint", "check", ".", "--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"version": 1, "findings": {"a": 1}}', "no 'findings' list"),
        ('{"version": true, "findings": []}', "has version"),
        ('{"version": 1, "findings": [{"fingerprint": 5}]}', "entry 0 has no 'fingerprint' string"),
        ('{"version": 1, "findings": [{"fingerprint": "ab", "path": ["x"]}]}', "'path' must be a string"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        ('{"version": ' + "9" * 5000 + ', "findings": []}', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_baseline_of_the_wrong_shape_is_exit_two(project, capsys, content, needle):
    path = project / "b.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert _main("check", ".", "--baseline", "b.json") == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_write_baseline_never_follows_a_symlink(project, capsys, tmp_path_factory):
    victim = tmp_path_factory.mktemp("outside") / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    os.symlink(victim, project / "baseline.json")
    assert _main("check", ".", "--write-baseline", "baseline.json") == 2
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert "symlink" in capsys.readouterr().err


# --- a crashing rule is exit 2, never a finding -------------------------------------------------


class _Boom:
    """Stands in for a rule whose check raises."""

    code = "AIL990"
    slug = "test-crashing-rule"

    def __init__(self, options=None):
        pass

    def check_project(self, ctx):
        raise ValueError("cannot compare Decimal('NaN')")


@pytest.fixture
def crashing_rule(monkeypatch):
    from aiinfralint.pipeline import engine
    from aiinfralint.rules import registry
    from aiinfralint.rules.core.parse_error import ParseError

    rules = (ParseError, _Boom)
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    monkeypatch.setattr(registry, "all_rules", lambda: rules)


def test_rule_crash_stops_the_run(project, crashing_rule):
    from aiinfralint.pipeline.engine import RuleError, RunOptions, run

    with pytest.raises(RuleError, match="internal error in rule AIL990 test-crashing-rule: ValueError"):
        run(RunOptions(paths=["."], cwd=project, use_cache=False, jobs=1))


def test_rule_crash_is_exit_two_in_check(project, crashing_rule, capsys):
    assert _main("check", ".", "--format", "json") == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no report that could pass for a clean one
    assert "internal error in rule AIL990 test-crashing-rule: ValueError: cannot compare Decimal('NaN')" in captured.err
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1


def test_crash_in_the_cost_inventory_is_exit_two(project, monkeypatch, capsys):
    from aiinfralint.estimate import inventory

    def boom(*args, **kwargs):
        raise ArithmeticError("boom")

    monkeypatch.setattr(inventory, "build", boom)
    assert _main("cost", ".", "--no-cache") == 2
    err = capsys.readouterr().err
    assert "internal error in the cost inventory: ArithmeticError: boom" in err and "Traceback" not in err


# --- --diff: configuration changes are reported, and switching checks off fails --------------


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A base commit (tag `base`) with a broken manifest (one AIL000 finding) and a config."""
    r = tmp_path / "repo"
    (r / "deploy").mkdir(parents=True)
    git(r, "init", "-q")
    (r / "deploy" / "old.yaml").write_text(BROKEN, encoding="utf-8")
    (r / "deploy" / "settings.yaml").write_text(GOOD, encoding="utf-8")
    _pyproject(r, '[tool.aiinfralint]\nfail-on = "warning"\n')
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "base")
    git(r, "tag", "base")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    monkeypatch.chdir(r)
    return r


def _all_formats(repo: Path, *extra: str) -> tuple[int, dict[str, str]]:
    from aiinfralint.cli import main

    out = {fmt: repo.parent / f"report.{fmt}" for fmt in ("text", "json", "sarif", "github", "markdown")}
    code = main(
        [
            "check",
            ".",
            "--diff",
            "base",
            "--no-progress",
            "--output",
            str(out["text"]),
            *(f"--output-format={fmt}:{path}" for fmt, path in out.items() if fmt != "text"),
            *extra,
        ]
    )
    return code, {fmt: path.read_text(encoding="utf-8") for fmt, path in out.items()}


@needs_git
def test_pr_adding_ignore_all_is_reported_and_fails(repo):
    # the pull request adds a broken manifest and switches every rule off
    (repo / "deploy" / "new.yaml").write_text(BROKEN2, encoding="utf-8")
    _pyproject(repo, '[tool.aiinfralint]\nfail-on = "warning"\nignore = ["ALL"]\n')
    code, reports = _all_formats(repo)
    assert code == 1
    line = "ignore += ALL (switches off every rule)"
    assert "configuration changed since base:" in reports["text"] and line in reports["text"]
    assert "the gate fails: this change switches checks off" in reports["text"]
    assert line in reports["github"]
    md = reports["markdown"]
    assert "This change adds no findings." not in md
    assert "changes the configuration" in md and "ignore += ALL" in md and "switches off every rule" in md
    gate = json.loads(reports["json"])["diff"]
    assert gate["config_switches_off"] is True
    assert {
        "key": "ignore",
        "change": "ignore += ALL",
        "effect": "switches off every rule",
        "switches_off": True,
    } in gate["config_changes"]
    sarif = json.loads(reports["sarif"])["runs"][0]["properties"]["diff"]
    assert sarif["config_switches_off"] is True and sarif["config_changes"][0]["change"] == "ignore += ALL"


@needs_git
def test_fail_on_never_on_the_command_line_still_passes(repo):
    _pyproject(repo, '[tool.aiinfralint]\nfail-on = "warning"\nignore = ["ALL"]\n')
    code, reports = _all_formats(repo, "--fail-on", "never")
    assert code == 0
    assert "ignore += ALL (switches off every rule)" in reports["text"]
    assert "the gate does not fail on it" in reports["text"]


@needs_git
def test_pr_adding_exclude_star_is_reported_and_fails(repo):
    _pyproject(repo, '[tool.aiinfralint]\nfail-on = "warning"\nexclude = ["*"]\n')
    code, reports = _all_formats(repo)
    assert code == 1
    line = "exclude += * (no file is checked)"
    for fmt in ("text", "github"):
        assert line in reports[fmt], fmt
    assert "exclude +\\= \\* (no file is checked)" in reports["markdown"] or "no file is checked" in reports["markdown"]
    assert "This change adds no findings." not in reports["markdown"]
    for fmt in ("json",):
        assert json.loads(reports[fmt])["diff"]["config_changes"][0]["effect"] == "no file is checked"


@needs_git
def test_pr_setting_fail_on_never_in_the_config_fails(repo):
    (repo / "deploy" / "new.yaml").write_text(BROKEN2, encoding="utf-8")
    _pyproject(repo, '[tool.aiinfralint]\nfail-on = "never"\n')
    code, reports = _all_formats(repo)
    assert code == 1
    assert "fail-on warning → never (no finding fails the gate)" in reports["text"]


@needs_git
def test_pr_demoting_a_severity_below_the_threshold_fails(repo):
    _pyproject(repo, '[tool.aiinfralint]\nfail-on = "warning"\nseverity = { AIL000 = "info" }\n')
    code, reports = _all_formats(repo)
    assert code == 1, reports["text"]
    assert (
        "severity AIL000 (default error) → info (AIL000 findings no longer fail the gate at fail-on warning)"
        in reports["text"]
    )


@needs_git
def test_pr_removing_the_config_file_is_reported(repo):
    (repo / "pyproject.toml").unlink()
    code, reports = _all_formats(repo)
    assert code == 0  # the defaults switch nothing off
    assert "configuration file pyproject.toml removed" in reports["text"]


@needs_git
def test_estimate_settings_are_reported_without_failing(repo):
    _pyproject(repo, '[tool.aiinfralint]\nfail-on = "warning"\n\n[tool.aiinfralint.traffic]\ncalls-per-day = 5\n')
    code, reports = _all_formats(repo)
    assert code == 0
    assert "traffic.calls-per-day 10000 → 5" in reports["text"]
    assert "the gate fails" not in reports["text"]


@needs_git
def test_unchanged_config_says_nothing(repo):
    code, reports = _all_formats(repo)
    assert code == 0
    assert "configuration changed" not in reports["text"]
    assert "This change adds no findings." in reports["markdown"]


@needs_git
def test_nan_in_the_pr_config_is_exit_two_under_diff(repo, capsys):
    _pyproject(repo, "[tool.aiinfralint.pricing.pue]\ngcp = nan\n")
    assert _main("check", ".", "--diff", "base") == 2
    err = capsys.readouterr().err
    assert "[tool.aiinfralint.pricing.pue] gcp: must be a finite number, got nan" in err


@needs_git
def test_rule_crash_is_exit_two_under_diff(repo, crashing_rule, capsys):
    assert _main("check", ".", "--diff", "base", "--format", "json") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "internal error in rule AIL990" in captured.err


def test_broken_pyproject_that_names_aiinfralint_is_exit_2(tmp_path, monkeypatch, capsys):
    from aiinfralint import cli

    (tmp_path / "pyproject.toml").write_text('[tool.aiinfralint]\nignore = ["ALL"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", ".", "--no-cache", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml" in err and err.count("\n") == 1


def test_pyproject_without_aiinfralint_is_not_read_as_configuration(tmp_path, monkeypatch):
    from aiinfralint.configfile import find_config

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_config(tmp_path) is None
    # invalid TOML cannot say whether it holds our table: loading it names the file (exit 2)
    (tmp_path / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    (tmp_path / "pyproject.toml").write_bytes(b"# aiinfralint\n" + b"x" * (2 * 1024 * 1024))
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"  # too large: loading it says so
