"""`--format concise` and `--statistics`: one line per finding; counts and figures per rule."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AIINFRALINT_NO_CACHE", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def _check(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", "demo-platform", "--no-cache", *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def demo_json() -> dict:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "aiinfralint", "check", "demo-platform", "--format", "json", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(proc.stdout)


def test_concise_is_one_line_per_finding_then_a_count(capsys, demo_json):
    code, out = _check(capsys, "--format", "concise", "--fail-on", "never")
    assert code == 0
    lines = out.splitlines()
    expected = [f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['message']}" for f in demo_json["findings"]]
    assert lines[:-1] == expected
    assert lines[-1] == f"Found {len(expected)} findings."


def test_concise_quiet_drops_the_count_and_keeps_the_exit_code(capsys):
    code, out = _check(capsys, "--format", "concise", "--quiet")
    assert code == 1  # an error at the default threshold
    assert all(re.match(r"demo-platform/\S+:\d+:\d+: AIL\d{3} ", line) for line in out.splitlines())


def test_statistics_match_the_json_totals(capsys, demo_json):
    code, out = _check(capsys, "--statistics")
    assert code == 1  # exits as the check would
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["count", "code", "rule", "$/month", "kgCO2e/month"]
    per_rule = {row[1]: int(row[0]) for row in rows[1:-1]}
    assert per_rule == demo_json["summary"]["by_code"]
    counts = [int(row[0]) for row in rows[1:-1]]
    assert counts == sorted(counts, reverse=True)
    total = rows[-1]
    totals = demo_json["summary"]["totals"]
    assert total[:2] == [str(demo_json["summary"]["findings"]), "total"]
    assert Decimal(total[2].lstrip("$").replace(",", "")) == Decimal(str(totals["usd_per_month"]))
    assert Decimal(total[3].replace(",", "")) == round(Decimal(str(totals["kgco2e_per_month"])), 1)
    usd = sum(Decimal(r[3].lstrip("$").replace(",", "")) for r in rows[1:-1] if r[3] != "-")
    # the total counts each object once; the per-rule rows do not know of each other
    assert usd >= Decimal(str(totals["usd_per_month"]))


def test_statistics_with_the_concise_format_and_without_findings(capsys, tmp_path):
    assert _check(capsys, "--statistics", "--format", "concise", "--fail-on", "never")[0] == 0
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\n")
    assert main(["check", str(tmp_path), "--no-cache", "--statistics"]) == 0
    assert capsys.readouterr().out == "No findings.\n"


def test_statistics_refuses_a_machine_format(capsys):
    assert main(["check", "demo-platform", "--no-cache", "--statistics", "--format", "json"]) == 2
    assert "--statistics" in capsys.readouterr().err


def test_concise_is_a_format_for_extra_outputs(tmp_path, capsys):
    target = tmp_path / "findings.txt"
    code, out = _check(capsys, "--format", "json", "--fail-on", "never", "--output-format", f"concise:{target}")
    assert code == 0 and json.loads(out)["findings"]
    assert target.read_text().splitlines()[-1].startswith("Found ")
