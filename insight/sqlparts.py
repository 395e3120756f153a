"""SQL pieces the figures share, the same on SQLite and PostgreSQL.

Business time in SQL: the team's open intervals for the report's range are computed in Python
(``handoff.business_hours.open_intervals``: the policy's hours and holidays in its time zone)
and given to the query as a ``VALUES`` list of epoch seconds; the business seconds between two
stored instants are the summed overlaps of ``[a, b)`` with those intervals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Subquery, func, literal, select, text

from handoff.business_hours import open_intervals
from handoff.policy import Team
from tierzero.db import epoch_seconds, greatest, least


def open_hours(team: Team, start: datetime, end: datetime) -> Subquery:
    """The open intervals within ``[start, end)`` as a table ``(opens, closes)`` of epoch
    seconds (numbers computed here, written into the SQL: nothing a user typed)."""
    rows = [(a.timestamp(), b.timestamp()) for a, b in open_intervals(team, start, end)]
    if rows:
        values = ", ".join(f"({a!r}, {b!r})" for a, b in rows)
        sql = f"SELECT column1 AS opens, column2 AS closes FROM (VALUES {values}) AS v"
    else:
        sql = "SELECT 0.0 AS opens, 0.0 AS closes WHERE 1 = 0"
    return text(sql).columns(opens=Float(), closes=Float()).subquery("open_hours")


def business_seconds(hours: Subquery, a: Any, b: Any) -> ColumnElement[float]:
    """Seconds of open time within ``[a, b)`` (stored instants), as a correlated scalar
    subquery; 0 when ``b`` is not after ``a``."""
    ea, eb = epoch_seconds(a), epoch_seconds(b)
    overlap = greatest(literal(0.0), least(eb, hours.c.closes) - greatest(ea, hours.c.opens))
    return (
        select(func.coalesce(func.sum(overlap), 0.0))
        .where(hours.c.opens < eb, hours.c.closes > ea)
        .scalar_subquery()
    )
