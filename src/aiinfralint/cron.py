"""A small five-field cron parser (minute hour day-of-month month day-of-week).

Supports lists (``1,15``), ranges (``1-5``), steps (``*/15``, ``8-18/2``), month and
weekday names (``jan``, ``mon-fri``), ``7`` as Sunday, ``?`` as ``*``, the macros
``@yearly @annually @monthly @weekly @daily @midnight @hourly`` and a leading
``TZ=Zone`` / ``CRON_TZ=Zone`` (as the Kubernetes CronJob controller accepts).
As in Vixie cron, when both day-of-month and day-of-week are restricted a day
matches if either does. Bad input raises ValueError with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from aiinfralint.timeutil import zone

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    n: i
    for i, n in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
_DAYS = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
# how far next_run looks ahead before deciding a schedule never fires (Feb 30)
_HORIZON_DAYS = 366 * 8


def _value(text: str, what: str, lo: int, hi: int, names: dict[str, int], expr: str) -> int:
    t = text.strip().lower()
    if t in names:
        return names[t]
    if not t.isdigit():
        raise ValueError(f"invalid cron schedule {expr!r}: {text!r} is not a valid {what}")
    v = int(t)
    if not lo <= v <= hi:
        raise ValueError(f"invalid cron schedule {expr!r}: {what} {v} is outside {lo}-{hi}")
    return v


def _field(text: str, index: int, expr: str) -> tuple[frozenset[int], bool]:
    """The set of values a field allows, and whether it was unrestricted (`*`)."""
    what, lo, hi, names = _FIELDS[index]
    values: set[int] = set()
    star = False
    for part in text.split(","):
        if not part:
            raise ValueError(f"invalid cron schedule {expr!r}: empty item in {what} field {text!r}")
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"invalid cron schedule {expr!r}: bad step {step_text!r} in {what} field")
            step = int(step_text)
        if rng in ("*", "?"):
            start, end = lo, hi if index != 4 else 6
            star = star or step == 1
        elif "-" in rng:
            a, _, b = rng.partition("-")
            start = _value(a, what, lo, hi, names, expr)
            end = _value(b, what, lo, hi, names, expr)
            if end < start:
                raise ValueError(f"invalid cron schedule {expr!r}: range {rng!r} in {what} field runs backwards")
        else:
            start = _value(rng, what, lo, hi, names, expr)
            end = hi if step_text else start
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:  # 7 is Sunday too
        values.discard(7)
        values.add(0)
    return frozenset(values), star


@dataclass(frozen=True)
class CronSchedule:
    """A parsed schedule; times are evaluated in `tz` (None: the caller's zone)."""

    expr: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    dom_star: bool
    dow_star: bool
    tz: str | None = None

    def day_matches(self, d: date) -> bool:
        if d.month not in self.months:
            return False
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def matches(self, moment: datetime) -> bool:
        return moment.minute in self.minutes and moment.hour in self.hours and self.day_matches(moment.date())

    def times_of_day(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]

    def runs_between(self, start: datetime, end: datetime, tz: tzinfo | None = None) -> Iterator[datetime]:
        """Run instants in [start, end), as aware datetimes in the schedule's zone (or `tz`)."""
        z = tz or zone(self.tz)
        local_start = start.astimezone(z)
        local_end = end.astimezone(z)
        times = self.times_of_day()
        d = local_start.date()
        while d <= local_end.date():
            if self.day_matches(d):
                for t in times:
                    moment = datetime.combine(d, t, tzinfo=z)
                    if local_start <= moment < local_end:
                        yield moment
            d += timedelta(days=1)

    def next_run(self, after: datetime, tz: tzinfo | None = None) -> datetime | None:
        """The first run strictly after `after`, or None if the schedule never fires."""
        z = tz or zone(self.tz)
        local = after.astimezone(z)
        times = self.times_of_day()
        d = local.date()
        for _ in range(_HORIZON_DAYS):
            if self.day_matches(d):
                for t in times:
                    moment = datetime.combine(d, t, tzinfo=z)
                    if moment > local:
                        return moment
            d += timedelta(days=1)
        return None

    def next_runs(self, after: datetime, count: int, tz: tzinfo | None = None) -> list[datetime]:
        out: list[datetime] = []
        t = after
        while len(out) < count:
            nxt = self.next_run(t, tz)
            if nxt is None:
                break
            out.append(nxt)
            t = nxt
        return out


def parse_cron(text: str) -> CronSchedule:
    """Parse a five-field expression or macro; ValueError on anything else."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("invalid cron schedule: empty")
    return _parse_cron(text)


@lru_cache(maxsize=4096)  # fleets of jobs share a handful of schedules; the result is immutable
def _parse_cron(text: str) -> CronSchedule:
    expr = " ".join(text.split())
    tz: str | None = None
    body = expr
    head = body.split(" ", 1)[0]
    if head.upper().startswith(("TZ=", "CRON_TZ=")):
        tz = head.split("=", 1)[1]
        zone(tz)  # raises ValueError for unknown zones
        body = body.split(" ", 1)[1] if " " in body else ""
    macro = MACROS.get(body.lower())
    if macro is not None:
        body = macro
    elif body.startswith("@"):
        raise ValueError(f"invalid cron schedule {text!r}: unknown macro {body.split()[0]!r}")
    parts = body.split()
    if len(parts) != 5:
        raise ValueError(
            f"invalid cron schedule {text!r}: expected 5 fields (minute hour day month weekday), got {len(parts)}"
        )
    (minutes, _), (hours, _), (days, dom_star), (months, _), (weekdays, dow_star) = (
        _field(p, i, text) for i, p in enumerate(parts)
    )
    return CronSchedule(expr, minutes, hours, days, months, weekdays, dom_star, dow_star, tz)
