"""Baselines: write every current finding, then see only new ones."""

from __future__ import annotations

import json

import pytest

from aiinfralint.pipeline.baseline import BaselineError, load_baseline
from aiinfralint.pipeline.engine import _fingerprint

BROKEN = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n"
BROKEN2 = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n spec: {broken\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_write_then_use(project, capsys):
    from aiinfralint.cli import main

    assert main(["check", "--write-baseline", "baseline.json"]) == 0
    out = capsys.readouterr().out
    assert "wrote 1 finding(s) to baseline baseline.json" in out
    doc = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert doc["version"] == 1
    [entry] = doc["findings"]
    assert (
        entry["code"] == "AIL000" and entry["path"] == "legacy/old.yaml" and entry["message"] and entry["fingerprint"]
    )

    # the legacy finding is hidden, even after lines move above it
    (project / "legacy" / "old.yaml").write_text("# header\n\n" + BROKEN, encoding="utf-8")
    assert main(["check", "--baseline", "baseline.json", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []

    # a new problem still fails the gate
    (project / "new.yaml").write_text(BROKEN2, encoding="utf-8")
    assert main(["check", "--baseline", "baseline.json", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "new.yaml" in out and "legacy/old.yaml" not in out.split("hidden by baseline")[0]
    assert "1 finding(s) hidden by baseline baseline.json" in out


def test_stale_entries_are_counted(project, capsys):
    from aiinfralint.cli import main

    main(["check", "--write-baseline", "baseline.json"])
    (project / "legacy" / "old.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n", encoding="utf-8"
    )
    capsys.readouterr()
    assert main(["check", "--baseline", "baseline.json", "--no-progress"]) == 0
    assert "1 baseline entry matched nothing" in capsys.readouterr().out


def test_baseline_from_config(project, capsys):
    from aiinfralint.cli import main

    main(["check", "--write-baseline", "baseline.json"])
    (project / ".aiinfralint.toml").write_text('baseline = "baseline.json"\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_baseline_is_deterministic(project):
    from aiinfralint.cli import main

    (project / "b.yaml").write_text(BROKEN2, encoding="utf-8")
    main(["check", "--write-baseline", "one.json"])
    main(["check", "--write-baseline", "two.json"])
    assert (project / "one.json").read_bytes() == (project / "two.json").read_bytes()
    paths = [e["path"] for e in json.loads((project / "one.json").read_text())["findings"]]
    assert paths == sorted(paths)


@pytest.mark.parametrize(
    "content,needle",
    [
        (None, "not found"),
        ("{not json", "not valid JSON"),
        ('{"version": 99, "findings": []}', "version 99"),
        ('{"version": 1}', "no 'findings' list"),
        ('{"version": 1, "findings": [{"code": "AIL000"}]}', "no 'fingerprint'"),
    ],
)
def test_bad_baseline_is_a_usage_error(project, capsys, content, needle):
    from aiinfralint.cli import main

    if content is not None:
        (project / "baseline.json").write_text(content, encoding="utf-8")
    assert main(["check", "--baseline", "baseline.json"]) == 2
    assert needle in capsys.readouterr().err
    with pytest.raises(BaselineError):
        load_baseline(project / "baseline.json")


# --- dated and unused inline suppressions (the other way a legacy repo adopts the gate) ---

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\nspec:\n  ports:\n  - port: 80\n"


def test_dated_suppression_expires(run_check, monkeypatch):
    text = "# aiinfralint: ignore-file[AIL000] vendored until=2026-03-31\n" + BROKEN
    monkeypatch.setenv("AIINFRALINT_TODAY", "2026-03-31")
    result = run_check({"v.yaml": text})
    assert result.findings == [] and [f.code for f in result.suppressed] == ["AIL000"]
    monkeypatch.setenv("AIINFRALINT_TODAY", "2026-04-01")
    result = run_check({"v.yaml": text})
    assert sorted(f.code for f in result.findings) == ["AIL000", "AIL002"]
    [expired] = [f for f in result.findings if f.code == "AIL002"]
    assert expired.span.line == 1 and "expired on 2026-03-31" in expired.message


def test_unreadable_date_never_silences(run_check):
    result = run_check({"v.yaml": "# aiinfralint: ignore-file[AIL000] vendored until=2026-02-30\n" + BROKEN})
    assert sorted(f.code for f in result.findings) == ["AIL000", "AIL002"]
    assert "unreadable date `until=2026-02-30`" in next(f for f in result.findings if f.code == "AIL002").message


def test_unused_only_judged_for_rules_that_ran(run_check):
    text = SERVICE.replace("name: chat", "name: chat  # aiinfralint: ignore[AIL000, AIL201] old")
    result = run_check({"s.yaml": text})
    assert sorted(f.message.split("silences no ")[1][:6] for f in result.findings if f.code == "AIL001") == [
        "AIL000",
        "AIL201",
    ]
    result = run_check({"s.yaml": text}, select=["AIL000", "AIL001"])
    assert [f.message for f in result.findings if f.code == "AIL001"] == [
        "Suppression `ignore[AIL000, AIL201]` silences no AIL000 finding on line 4."
    ]
    result = run_check({"s.yaml": text}, select=["AIL2"])
    assert result.findings == []


def test_partly_used_suppression_reports_the_unused_code():
    from aiinfralint.pipeline.suppress import parse_suppressions
    from aiinfralint.pipeline.suppression_findings import judge_suppressions
    from aiinfralint.rules.registry import all_rules

    sup = parse_suppressions("kind: Job  # aiinfralint: ignore[AIL000, shared-batch-realtime-gpu-pool] old\n")
    assert sup.match("AIL000", "parse-error", 1) is not None
    [f] = list(judge_suppressions([("job.yaml", sup, True)], all_rules()))
    assert f.code == "AIL001" and "silences no shared-batch-realtime-gpu-pool finding on line 1" in f.message
    assert f.span.line == 1 and f.span.column == 14  # the marker, after "# "


def test_unused_suppression_can_itself_be_silenced(run_check):
    text = "# aiinfralint: ignore-file[AIL001] template kept for copy-paste\n" + SERVICE.replace(
        "name: chat", "name: chat  # aiinfralint: ignore[AIL000] example"
    )
    result = run_check({"s.yaml": text})
    assert result.findings == [] and [f.code for f in result.suppressed] == ["AIL001"]


def _findings(path="."):
    from aiinfralint.config import defaults
    from aiinfralint.pipeline.engine import RunOptions, run

    return run(RunOptions(paths=[path], config=defaults(), use_cache=False)).findings


def test_baseline_matches_from_a_sub_folder(project, monkeypatch, capsys):
    from aiinfralint.cli import main

    assert main(["check", "--write-baseline", "baseline.json"]) == 0
    [entry] = json.loads((project / "baseline.json").read_text(encoding="utf-8"))["findings"]
    assert entry["identity"].startswith("id:") and entry["path"] == "legacy/old.yaml"
    capsys.readouterr()
    monkeypatch.chdir(project / "legacy")
    assert main(["check", "--baseline", "../baseline.json", "--format", "json", "."]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    # written from the sub-folder, its paths are still relative to the baseline's folder
    assert main(["check", "--write-baseline", "../other.json", "."]) == 0
    [entry2] = json.loads((project / "other.json").read_text(encoding="utf-8"))["findings"]
    assert entry2["path"] == "legacy/old.yaml" and entry2["identity"] == entry["identity"]


def test_baseline_matches_after_a_wording_change(project):
    from aiinfralint.pipeline.baseline import apply_baseline, write_baseline

    # a finding without a key (not AIL000, whose fingerprint is the kind of problem): the engine's
    # fingerprint rests on its message, the identity does not
    f = _findings()[0].model_copy(update={"key": "", "code": "AIL204"})
    f = f.model_copy(update={"fingerprint": _fingerprint(f)})
    write_baseline("baseline.json", [f], project)
    reworded = f.model_copy(update={"message": "the same problem, told differently"})
    reworded = reworded.model_copy(update={"fingerprint": _fingerprint(reworded)})
    assert reworded.fingerprint != f.fingerprint
    kept, dropped, stale = apply_baseline([reworded], load_baseline("baseline.json"), project)
    assert kept == [] and dropped == [reworded] and stale == 0


def test_old_baseline_without_identities_matches_by_fingerprint(project):
    from aiinfralint.pipeline.baseline import apply_baseline

    [f] = _findings()
    old = {
        "version": 1,
        "findings": [{"fingerprint": f.fingerprint, "code": f.code, "path": f.span.path, "message": f.message}],
    }
    (project / "old.json").write_text(json.dumps(old), encoding="utf-8")
    baseline = load_baseline("old.json")
    assert apply_baseline([f], baseline, project) == ([], [f], 0)
    other = f.model_copy(update={"fingerprint": "y" * 20})
    assert apply_baseline([other], baseline, project) == ([other], [], 1)
