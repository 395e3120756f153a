"""Report periods: half-open ``[start, end)`` in a time zone, cut into local days or ISO weeks.

Bucket bounds are local midnights (a DST day lasts 23 or 25 hours), converted to UTC; a stored
instant (always UTC) falls in the bucket whose bounds contain it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tierzero.errors import InvalidInput

MAX_DAYS = 732


class InvalidReportPeriod(InvalidInput):
    pass


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidReportPeriod(f"unknown time zone {name!r}") from exc


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC: one bucket of a period."""

    start: datetime
    end: datetime

    def contains(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end


@dataclass(frozen=True)
class Period:
    first_day: date
    end_day: date  # exclusive
    zone: ZoneInfo
    bucket: Bucket = Bucket.DAY
    _bounds: list[datetime] = field(init=False, repr=False, compare=False)
    _labels: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.end_day <= self.first_day:
            raise InvalidReportPeriod("the period must end after it starts (to > from)")
        if (self.end_day - self.first_day).days > MAX_DAYS:
            raise InvalidReportPeriod(f"a report covers at most {MAX_DAYS} days")
        days: list[date] = []
        cursor = self.first_day
        if self.bucket is Bucket.WEEK:
            cursor -= timedelta(days=cursor.weekday())  # the Monday of the first week
        step = timedelta(days=7 if self.bucket is Bucket.WEEK else 1)
        while cursor < self.end_day:
            days.append(cursor)
            cursor += step
        starts = [max(d, self.first_day) for d in days]
        bounds = [local_midnight(d, self.zone) for d in starts] + [self.end]
        labels = [
            f"{d.isocalendar().year}-W{d.isocalendar().week:02d}"
            if self.bucket is Bucket.WEEK
            else d.isoformat()
            for d in days
        ]
        object.__setattr__(self, "_bounds", bounds)
        object.__setattr__(self, "_labels", labels)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.end_day, self.zone)

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def buckets(self) -> list[tuple[str, datetime, datetime]]:
        return [
            (label, self._bounds[i], self._bounds[i + 1]) for i, label in enumerate(self._labels)
        ]

    def contains(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end

    def bucket_of(self, instant: datetime | None) -> str | None:
        if not self.contains(instant):
            return None
        assert instant is not None
        return self._labels[bisect.bisect_right(self._bounds, instant) - 1]

    def describe(self) -> dict[str, str]:
        return {
            "from": self.first_day.isoformat(),
            "to": self.end_day.isoformat(),
            "time_zone": str(self.zone.key),
            "bucket": self.bucket.value,
            "start_utc": self.start.isoformat(),
            "end_utc": self.end.isoformat(),
        }


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidReportPeriod(f"{what} is a date like 2026-11-01, not {text!r}") from exc


def period(
    first: str | date, end: str | date, *, time_zone: str, bucket: str | Bucket = Bucket.DAY
) -> Period:
    """``[first, end)`` in local days of ``time_zone`` (``--from 2026-11-01 --to 2026-12-01``
    is November)."""
    a = first if isinstance(first, date) else parse_day(first, "from")
    b = end if isinstance(end, date) else parse_day(end, "to")
    try:
        kind = Bucket(bucket)
    except ValueError as exc:
        raise InvalidReportPeriod("bucket is day or week") from exc
    return Period(a, b, zone_of(time_zone), kind)
