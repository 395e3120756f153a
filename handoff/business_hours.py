"""Counting in business time: when do N business minutes after a moment end, and is a team
open now? Pure functions over a team's hours, time zone and holidays (DST included: local
opening times are turned into instants day by day)."""

from __future__ import annotations

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


def add_business_minutes(team: Team, start: datetime, minutes: float) -> datetime:
    """The instant ``minutes`` of the team's open time after ``start`` (aware, any zone)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(UTC)
    local_day = cursor.astimezone(team.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(MAX_DAYS):
        interval = _open_interval(team, local_day)
        if interval is not None:
            opens, closes = interval
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        local_day = (local_day + timedelta(days=1, hours=2)).replace(hour=0)
    raise ValueError("the team has no business hours within reach")


def is_open(team: Team, moment: datetime) -> bool:
    local = moment.astimezone(team.zone)
    interval = _open_interval(team, local.replace(hour=0, minute=0, second=0, microsecond=0))
    return interval is not None and interval[0] <= moment.astimezone(UTC) < interval[1]


def next_opening(team: Team, moment: datetime) -> datetime:
    """Now if open, else when the team opens next."""
    return add_business_minutes(team, moment, 0) if not is_open(team, moment) else moment
