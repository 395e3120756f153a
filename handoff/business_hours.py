"""Counting in business time: when do N business minutes after a moment end, how much open
time lies between two moments, and is a team open now? Pure functions over a team's hours,
time zone and holidays (DST included: local opening times are turned into instants day by
day)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from handoff.policy import Team

#: A bound on the days walked (a policy open one day a year still ends; a closed one raises).
MAX_DAYS = 800


def _open_interval(team: Team, day: datetime) -> tuple[datetime, datetime] | None:
    window = team.window(day.date())
    if window is None:
        return None
    zone = team.zone
    opens = datetime.combine(day.date(), window[0], tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day.date(), window[1], tzinfo=zone).astimezone(UTC)
    return opens, closes


def _open_from(team: Team, moment: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    """The team's open intervals (UTC) on ``days`` local days from ``moment``'s, in order."""
    local_day = moment.astimezone(team.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(days):
        interval = _open_interval(team, local_day)
        if interval is not None:
            yield interval
        local_day = (local_day + timedelta(days=1, hours=2)).replace(hour=0)


def add_business_minutes(team: Team, start: datetime, minutes: float) -> datetime:
    """The instant ``minutes`` of the team's open time after ``start`` (aware, any zone)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(UTC)
    for opens, closes in _open_from(team, cursor, MAX_DAYS):
        begin = max(cursor, opens)
        if begin < closes:
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
    raise ValueError("the team has no business hours within reach")


def is_open(team: Team, moment: datetime) -> bool:
    local = moment.astimezone(team.zone)
    interval = _open_interval(team, local.replace(hour=0, minute=0, second=0, microsecond=0))
    return interval is not None and interval[0] <= moment.astimezone(UTC) < interval[1]


def next_opening(team: Team, moment: datetime) -> datetime:
    """Now if open, else when the team opens next."""
    return add_business_minutes(team, moment, 0) if not is_open(team, moment) else moment


def open_intervals(team: Team, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The team's open intervals within [start, end), in UTC, clipped to it, in order (the
    list reports join with to count business time in SQL)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    out: list[tuple[datetime, datetime]] = []
    if hi <= lo:
        return out
    for opens, closes in _open_from(team, lo, (hi - lo).days + 3):  # every day touching it
        if opens >= hi:
            break
        if max(opens, lo) < min(closes, hi):
            out.append((max(opens, lo), min(closes, hi)))
    return out


def business_seconds(team: Team, start: datetime, end: datetime) -> float:
    """Seconds of the team's open time within [start, end); 0 when ``end`` is not after
    ``start``. The inverse of ``add_business_minutes``."""
    return sum((b - a).total_seconds() for a, b in open_intervals(team, start, end))
