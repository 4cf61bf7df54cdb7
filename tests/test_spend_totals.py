"""The findings' totals count each object once: per object, the largest figure of its findings."""

from __future__ import annotations

import json
from decimal import Decimal

from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.totals import COUNTED, totals


def _finding(code: str, obj: str | None, usd: str | None, kg: str | None = None, path: str = "k8s/job.yaml") -> Finding:
    return Finding(
        code=code,
        slug="x",
        severity=Severity.WARNING,
        span=Span(path=path, line=1, column=1),
        message="m",
        impact=Impact(
            usd_per_month=None if usd is None else Decimal(usd),
            kgco2e_per_month=None if kg is None else Decimal(kg),
        ),
        logical_location=obj,
        fingerprint=f"{code}{obj}{usd}",
    )


def test_two_findings_about_one_object_count_once():
    # the demo's nightly CronJob: AIL201 puts every GPU-hour at stake ($3,523.20, 129.613 kg),
    # AIL202 the hours inside the peak ($880.80, 32.403 kg); before, the total was their sum $4,404.00
    job = "CronJob ml/nightly-finetune"
    t = totals([_finding("AIL201", job, "3523.20", "129.613"), _finding("AIL202", job, "880.80", "32.403")])
    assert t.usd_per_month == Decimal("3523.20") and t.kgco2e_per_month == Decimal("129.613")
    assert (t.priced, t.objects, t.overlapping) == (2, 1, 1)


def test_each_figure_is_the_largest_of_its_own():
    job = "Deployment ml/chat"
    t = totals([_finding("AIL203", job, "100", None), _finding("AIL501", job, None, "197.12")])
    assert t.usd_per_month == Decimal(100) and t.kgco2e_per_month == Decimal("197.12")
    assert t.overlapping == 0  # one of the two states a $ figure


def test_objects_add_up():
    t = totals(
        [
            _finding("AIL201", "CronJob ml/a", "10"),
            _finding("AIL201", "CronJob ml/b", "20"),
            _finding("AIL201", "CronJob ml/a", "5", path="other.yaml"),  # same name, other file
        ]
    )
    assert t.usd_per_month == Decimal(35) and t.objects == 3 and t.overlapping == 0


def test_findings_without_an_object_are_objects_of_their_own():
    t = totals([_finding("AIL101", None, "7"), _finding("AIL101", None, "8")])
    assert t.usd_per_month == Decimal(15) and t.objects == 2


def test_json_summary_says_how_it_counted(capsys):
    from aiinfralint.cli import main

    main(
        ["check", "demo-platform", "--format", "json", "--no-cache", "--fail-on", "never", "--select", "AIL201,AIL202"]
    )
    doc = json.loads(capsys.readouterr().out)
    summary = doc["summary"]["totals"]
    assert summary["counted"] == COUNTED
    assert summary["findings_overlapping"] == 1 and summary["objects"] == 1
    stakes = [f["impact"]["usd_per_month"] for f in doc["findings"]]
    assert {f["object"] for f in doc["findings"]} == {"CronJob ml/nightly-finetune"} and len(stakes) == 2
    # the CronJob's largest stake, not the sum of both
    assert summary["usd_per_month"] == max(stakes) < sum(stakes)
