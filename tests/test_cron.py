from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from aiinfralint.cron import parse_cron

UTC = UTC


def test_fields_lists_ranges_steps_names():
    s = parse_cron("*/15 8-18/2 * jan,mar mon-fri")
    assert s.minutes == {0, 15, 30, 45}
    assert s.hours == {8, 10, 12, 14, 16, 18}
    assert s.months == {1, 3}
    assert s.weekdays == {1, 2, 3, 4, 5}


def test_sunday_is_0_and_7():
    assert parse_cron("0 0 * * 7").weekdays == {0}
    assert parse_cron("0 0 * * sun").weekdays == {0}


@pytest.mark.parametrize(
    "macro,expr",
    [
        ("@daily", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
    ],
)
def test_macros(macro, expr):
    a, b = parse_cron(macro), parse_cron(expr)
    assert (a.minutes, a.hours, a.days, a.months, a.weekdays) == (b.minutes, b.hours, b.days, b.months, b.weekdays)


def test_next_run_in_zone():
    s = parse_cron("30 2 * * *")
    nxt = s.next_run(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), ZoneInfo("Asia/Tokyo"))
    assert nxt == datetime(2026, 3, 2, 2, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert nxt.astimezone(UTC).hour == 17


def test_next_runs_and_weekdays():
    s = parse_cron("0 1 * * mon")
    runs = s.next_runs(datetime(2026, 1, 1, tzinfo=UTC), 3, UTC)
    assert [r.day for r in runs] == [5, 12, 19]


def test_dom_or_dow_when_both_restricted():
    s = parse_cron("0 0 1 * mon")
    assert s.day_matches(datetime(2026, 1, 1).date())  # Thursday, day 1
    assert s.day_matches(datetime(2026, 1, 5).date())  # Monday


def test_tz_prefix():
    s = parse_cron("CRON_TZ=Europe/Berlin 0 6 * * *")
    assert s.tz == "Europe/Berlin"


def test_runs_between_count():
    s = parse_cron("0 */6 * * *")
    runs = list(s.runs_between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), UTC))
    assert len(runs) == 4


def test_never_fires():
    assert parse_cron("0 0 30 2 *").next_run(datetime(2026, 1, 1, tzinfo=UTC), UTC) is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "* * * *",
        "61 * * * *",
        "* 24 * * *",
        "5-1 * * * *",
        "*/0 * * * *",
        "@often",
        "0 0 * foo *",
        "TZ=Mars/Olympus 0 0 * * *",
        "1,,2 * * * *",
    ],
)
def test_bad_cron(bad):
    with pytest.raises(ValueError):
        parse_cron(bad)
