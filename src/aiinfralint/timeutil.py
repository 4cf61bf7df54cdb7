"""Clock windows with time zones ("08:00-20:00 Asia/Tokyo") and Go-style durations ("1h30m"), via the standard library."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# possessive runs: `\s*(?:\s(zone))?\s*$` tried every split of a long blank run (quadratic)
_WINDOW = re.compile(r"^\s*+(\d{1,2}):(\d{2})\s*+-\s*+(\d{1,2}):(\d{2})(?:\s++(?P<tz>[A-Za-z_+\-/0-9]++))?\s*+$")


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo for an IANA name; ValueError with a clear message if unknown."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Tokyo)") from None


@dataclass(frozen=True)
class Window:
    """A daily window [start, end) in a time zone; end <= start wraps past midnight."""

    start: time
    end: time
    tz: ZoneInfo

    @property
    def tz_name(self) -> str:
        return str(self.tz.key)

    def hours(self) -> float:
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        return ((e - s) % 1440 or 1440) / 60

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        m = local.hour * 60 + local.minute
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        if s < e:
            return s <= m < e
        return m >= s or m < e

    def overlap_minutes(self, begin: datetime, end: datetime, step_minutes: int = 5) -> int:
        """Minutes of [begin, end) that fall inside the window (sampled)."""
        total = 0
        t = begin
        step = timedelta(minutes=step_minutes)
        while t < end:
            if self.contains(t):
                total += step_minutes
            t += step
        return total

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.tz_name}"


def parse_window(text: str, default_tz: str | None = None) -> Window:
    """Parse "HH:MM-HH:MM [Zone]"; ValueError says what is wrong ("25:00" is not a time)."""
    m = _WINDOW.match(text or "")
    if not m:
        raise ValueError(f"invalid window {text!r}: expected 'HH:MM-HH:MM [IANA zone]', e.g. '08:00-20:00 Asia/Tokyo'")
    h1, m1, h2, m2 = (int(m.group(i)) for i in range(1, 5))
    for h, mm in ((h1, m1), (h2, m2)):
        if not (0 <= h <= 24 and 0 <= mm < 60) or (h == 24 and mm != 0):
            raise ValueError(f"invalid window {text!r}: {h:02d}:{mm:02d} is not a time of day")
    start = time(h1 % 24, m1)
    end = time(h2 % 24, m2)
    if start == end and not (h1 == 0 and h2 == 24):
        raise ValueError(f"invalid window {text!r}: start and end are the same")
    return Window(start, end, zone(m.group("tz") or default_tz))


_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)", re.IGNORECASE)
_GO_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def go_duration(value: Any, bare_unit: str = "s") -> float | None:
    """Seconds in a Go/Gateway API/protobuf duration ("1h30m", "300s", "0.5s"); a bare number is
    in `bare_unit`. None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) * _GO_UNIT[bare_unit]
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) * _GO_UNIT[bare_unit]
    parts = _GO_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_UNIT[u.lower()] for n, u in parts)
