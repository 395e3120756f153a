"""The calendar of the generated period: which local days it covers, how many conversations
each day brings and at what hours (a desk's week: busy business hours, quiet nights and
weekends), in which language, which story each plays, who the customers are, and the spike day
with its three-hour login outage. Pure: a seeded ``random.Random`` in, :class:`Visit` s out."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

from handoff.policy import Policy

T = TypeVar("T")

#: Conversations on an ordinary day, Monday first.
DAY_VOLUME = (46, 42, 40, 40, 36, 16, 11)
#: Relative volume per local hour: quiet nights, a morning and an afternoon peak.
HOUR_SHAPE = (
    0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.6, 4.0, 3.9,
    3.4, 3.3, 3.6, 3.5, 3.1, 2.7, 2.2, 1.8, 1.5, 1.2, 0.9, 0.5,
)  # fmt: skip
#: (language, Serbian script, weight).
LANGUAGES = (("en", None, 45), ("el", None, 18), ("ru", None, 17), ("sr", "Latn", 12),
             ("sr", "Cyrl", 8))  # fmt: skip
PLANS = (("trial", 20), ("standard", 60), ("premium", 20))
ANONYMOUS_SHARE = 0.12
RETURN_WITHIN_DAY = 0.1
RETURN_LATER = 0.08
#: The outage: local hours [start, end) and how many times the usual hourly volume arrives.
SPIKE_HOURS = (10, 13)
SPIKE_FACTOR = 6
SPIKE_DAYS_BEFORE_END = 5


class Story(StrEnum):
    """What the customer and the bot do in one conversation."""

    CONFIRMED = "confirmed"  # answered; "yes, it helped"
    SILENT = "silent"  # answered; no vote
    REJECTED = "rejected"  # answered; "no"; left
    UNHELPFUL = "unhelpful"  # answered; "no"; took the offered person
    ASKED_AFTER = "asked_after"  # answered; then asked for a person
    ASKED = "asked"  # asked for a person at once
    UNANSWERED = "unanswered"  # nothing in the KB; left
    UNANSWERED_HANDOFF = "unanswered_handoff"  # nothing in the KB; took the offered person


ORDINARY = {
    Story.CONFIRMED: 24, Story.SILENT: 32, Story.REJECTED: 7, Story.UNHELPFUL: 7,
    Story.ASKED_AFTER: 6, Story.ASKED: 8, Story.UNANSWERED: 9, Story.UNANSWERED_HANDOFF: 7,
}  # fmt: skip
OUTAGE = {
    Story.CONFIRMED: 4, Story.SILENT: 14, Story.REJECTED: 14, Story.UNHELPFUL: 40,
    Story.ASKED_AFTER: 28,
}  # fmt: skip
NOT_IN_KB = frozenset({Story.UNANSWERED, Story.UNANSWERED_HANDOFF})


@dataclass(frozen=True)
class Visit:
    """One conversation to play: when it starts, in which language, what happens."""

    at: datetime
    language: str
    script: str | None
    story: Story
    outage: bool = False


def weighted(rng: random.Random, weights: dict[T, int] | Sequence[tuple[T, int]]) -> T:
    pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def period_days(end: datetime, days: int, policy: Policy) -> list[date]:
    """The local days of the team up to ``end``'s (today included)."""
    last = end.astimezone(policy.team.zone).date()
    return [last - timedelta(days=n) for n in range(days - 1, -1, -1)]


def spike_day_of(days: Sequence[date]) -> date | None:
    """About five days before the end (the middle of a short period), moved back to a weekday;
    None for a period under three days."""
    if len(days) < 3:
        return None
    index = len(days) - 1 - min(SPIKE_DAYS_BEFORE_END, len(days) // 2)
    while index > 0 and days[index].weekday() >= 5:
        index -= 1
    return days[index]


def local_moment(day: date, hour: int, minute: float, policy: Policy) -> datetime:
    """``hour:00`` plus ``minute`` on the team's ``day``, in UTC."""
    moment = datetime.combine(day, time(hour), tzinfo=policy.team.zone)
    return (moment + timedelta(minutes=minute)).astimezone(UTC)


def _language(rng: random.Random) -> tuple[str, str | None]:
    language, script, _ = rng.choices(LANGUAGES, [w for *_, w in LANGUAGES])[0]
    return language, script


def day_visits(rng: random.Random, day: date, policy: Policy, *, spike: bool) -> list[Visit]:
    """The day's conversations in time order; on the spike day a flood of login trouble."""
    count = round(DAY_VOLUME[day.weekday()] * rng.uniform(0.85, 1.15))
    hours = rng.choices(range(24), HOUR_SHAPE, k=count)
    visits = [
        Visit(local_moment(day, h, rng.uniform(0, 60), policy), *_language(rng),
              weighted(rng, ORDINARY))
        for h in hours
    ]  # fmt: skip
    if spike:
        first, last = SPIKE_HOURS
        usual = DAY_VOLUME[day.weekday()] * sum(HOUR_SHAPE[first:last]) / sum(HOUR_SHAPE)
        flood = max(12, round(SPIKE_FACTOR * usual))
        visits += [
            Visit(local_moment(day, first, rng.uniform(0, 60 * (last - first)), policy),
                  *_language(rng), weighted(rng, OUTAGE), outage=True)
            for _ in range(flood)
        ]  # fmt: skip
    return sorted(visits, key=lambda v: v.at)
