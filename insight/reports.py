"""The one entry point the CLI and the API share: a report for ``[from, to)`` in a time zone
(default: the team's), per day or week, as JSON-ready data, with its charts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handoff.policy import Policy
from insight import figures
from insight.charts import charts
from insight.outcomes import DEFAULT_WINDOW_HOURS
from insight.periods import Bucket, InvalidReportPeriod, period, zone_of

DEFAULT_DAYS = 30
MAX_WINDOW_HOURS = 24 * 14


def default_range(policy: Policy, now: datetime, time_zone: str | None = None) -> tuple[date, date]:
    """The last 30 local days including today."""
    today = now.astimezone(zone_of(time_zone or policy.team.time_zone)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today + timedelta(days=1)


def build(
    session: Session,
    policy: Policy,
    *,
    now: datetime,
    first: str | date | None = None,
    end: str | date | None = None,
    time_zone: str | None = None,
    bucket: str | Bucket = Bucket.DAY,
    window_hours: int = DEFAULT_WINDOW_HOURS,
    with_charts: bool = True,
) -> dict[str, Any]:
    if not 1 <= window_hours <= MAX_WINDOW_HOURS:
        raise InvalidReportPeriod(f"the window is 1 to {MAX_WINDOW_HOURS} hours")
    zone = time_zone or policy.team.time_zone
    default_first, default_end = default_range(policy, now, zone)
    span = period(first or default_first, end or default_end, time_zone=zone, bucket=bucket)
    result = figures.report(session, policy, span, as_of=now, window_hours=window_hours)
    if with_charts:
        result["charts"] = charts(result)
    return result
