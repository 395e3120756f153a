"""Topics suddenly asked about far more than usual (an outage, a broken release, a confusing
bill), and the webhook that tells someone.

Volume. A *contact* is one conversation on one topic, counted once, when it first touches it:
a bot answer (its topic is the article's category; an answer from an article without one is
"(no category)"), the bot's offer of a person because it had no answer ("(unanswered)"), or a
ticket (its topic, from the last answer before the handoff; none: "(unanswered)"). So a
customer who asks three times, or is answered and then handed off, is one contact, and an
email ticket the bot never saw still counts. Clarifying questions are not counted: the answer
that follows is.

Rule. Over the last ``window_hours`` (3) a topic has ``count`` contacts. Its expected count is
what the same hours of the day brought on the previous ``baseline_days`` (14) days — the mean
over all those days, or over the same weekdays when higher (a busy Monday morning is compared
with Monday mornings), and never below one such contact in the whole baseline. Days are
counted back in 24-hour steps from now (UTC; a DST change shifts the rhythm by an hour, which
the ratio absorbs). It spikes when all hold:
``count >= MIN_COUNT`` (8), ``count >= MIN_RATIO × expected`` (4×), and the Poisson
probability of that many or more at the expected rate is below ``ALPHA`` (0.001). The same
hours of the day take the daily rhythm out (business hours are busier every day); the ratio
keeps day-to-day swings (which are wider than Poisson) from alarming; the count keeps a quiet
topic's three questions from alarming. Nothing is reported until the desk has
``MIN_HISTORY_DAYS`` of contacts, so a new deployment is not one long spike. On the synthetic
fortnights of ``tests/unit/insight/test_spikes.py`` (20 seeds, a check every hour of the last 3
days): no false alarm, where a flat all-hours baseline raises 34.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.models import Ticket
from insight.content.questions import question_key
from insight.models import BotAnswer, Decision

logger = logging.getLogger(__name__)

UNANSWERED: Final = "(unanswered)"
NO_CATEGORY: Final = "(no category)"
WINDOW_HOURS: Final = 3
BASELINE_DAYS: Final = 14
MIN_COUNT: Final = 8
MIN_RATIO: Final = 4.0
ALPHA: Final = 0.001
MIN_HISTORY_DAYS: Final = 7
EXAMPLES: Final = 5
SIGNATURE_HEADER: Final = "X-TierZero-Signature"
TIMEOUT_SECONDS: Final = 5.0


@dataclass(frozen=True)
class Spike:
    topic: str
    count: int
    expected: float
    ratio: float
    #: P(at least ``count`` contacts | Poisson at ``expected``).
    p_value: float
    #: The first contact of the first hour of the window that ran at the spike's rate.
    started_at: datetime
    window_start: datetime
    window_end: datetime
    #: What customers asked (newest first, distinct).
    examples: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "count": self.count,
            "expected": round(self.expected, 3),
            "ratio": round(self.ratio, 2),
            "p_value": self.p_value,
            "started_at": self.started_at.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "examples": list(self.examples),
        }


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean)."""
    from scipy.stats import poisson

    return float(poisson.sf(count - 1, mean)) if count > 0 else 1.0


def _bot_topic(topic: str | None, decision: str) -> str:
    if topic:
        return topic
    return NO_CATEGORY if decision == Decision.ANSWER.value else UNANSWERED


def contacts(session: Session, *, since: datetime, until: datetime) -> dict[str, list[datetime]]:
    """Per topic, when each contact of ``[since, until)`` began, sorted (module docstring)."""
    first: dict[tuple[int, str], datetime] = {}

    def keep(conversation_id: int, topic: str, at: datetime) -> None:
        key = (conversation_id, topic)
        if key not in first or at < first[key]:
            first[key] = at

    answers = session.execute(
        select(
            BotAnswer.conversation_id,
            BotAnswer.topic,
            BotAnswer.decision,
            func.min(BotAnswer.created_at),
        )
        .where(
            BotAnswer.created_at >= since,
            BotAnswer.created_at < until,
            BotAnswer.decision.in_([Decision.ANSWER.value, Decision.OFFER_PERSON.value]),
        )
        .group_by(BotAnswer.conversation_id, BotAnswer.topic, BotAnswer.decision)
    ).all()
    for conversation_id, topic, decision, at in answers:
        keep(conversation_id, _bot_topic(topic, decision), at)
    tickets = session.execute(
        select(Ticket.conversation_id, Ticket.topic, func.min(Ticket.created_at))
        .where(Ticket.created_at >= since, Ticket.created_at < until)
        .group_by(Ticket.conversation_id, Ticket.topic)
    ).all()
    for conversation_id, topic, at in tickets:
        keep(conversation_id, topic or UNANSWERED, at)
    by_topic: dict[str, list[datetime]] = defaultdict(list)
    for (_, topic), at in first.items():
        by_topic[topic].append(at)
    return {topic: sorted(times) for topic, times in by_topic.items()}


def _count(times: Sequence[datetime], start: datetime, end: datetime) -> int:
    return sum(start <= t < end for t in times)


def expected_count(
    times: Sequence[datetime],
    *,
    window_start: datetime,
    window: timedelta,
    days: Iterable[int],
    baseline_days: int,
) -> float:
    """The usual count for these hours of the day (module docstring): the mean over the
    baseline ``days`` back, or over those of them on the same weekday when higher."""
    day = timedelta(days=1)
    counts = {
        k: _count(times, window_start - k * day, window_start - k * day + window) for k in days
    }
    if not counts:
        return 1.0 / baseline_days
    mean = sum(counts.values()) / len(counts)
    weekly = [c for k, c in counts.items() if k % 7 == 0]
    same_weekday = sum(weekly) / len(weekly) if weekly else 0.0
    return max(mean, same_weekday, 1.0 / baseline_days)


def _started_at(
    times: Sequence[datetime], window_start: datetime, hours: int, expected: float
) -> datetime:
    per_hour = expected / hours
    for h in range(hours):
        lo, hi = window_start + timedelta(hours=h), window_start + timedelta(hours=h + 1)
        inside = [t for t in times if lo <= t < hi]
        if inside and len(inside) >= MIN_RATIO * per_hour:
            return inside[0]
    return next(t for t in times if t >= window_start)


def _examples(session: Session, topic: str, start: datetime, end: datetime) -> tuple[str, ...]:
    query = (
        select(BotAnswer.query)
        .where(BotAnswer.created_at >= start, BotAnswer.created_at < end, BotAnswer.query != "")
        .order_by(BotAnswer.created_at.desc(), BotAnswer.id.desc())
        .limit(50)
    )
    if topic == UNANSWERED:
        query = query.where(
            BotAnswer.topic.is_(None), BotAnswer.decision == Decision.OFFER_PERSON.value
        )
    elif topic == NO_CATEGORY:
        query = query.where(BotAnswer.topic.is_(None), BotAnswer.decision == Decision.ANSWER.value)
    else:
        query = query.where(BotAnswer.topic == topic)
    texts = list(session.scalars(query))
    if len(texts) < EXAMPLES:  # tickets the bot never saw: their subjects
        subjects = session.scalars(
            select(Ticket.subject)
            .where(
                Ticket.created_at >= start,
                Ticket.created_at < end,
                Ticket.subject != "",
                Ticket.topic.is_(None) if topic == UNANSWERED else Ticket.topic == topic,
            )
            .order_by(Ticket.created_at.desc())
            .limit(EXAMPLES)
        )
        texts.extend(subjects)
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(question_key(text), text)
    return tuple(seen.values())[:EXAMPLES]


def detect_spikes(
    session: Session,
    *,
    now: datetime,
    window_hours: int = WINDOW_HOURS,
    baseline_days: int = BASELINE_DAYS,
) -> list[Spike]:
    """Topics spiking in the ``window_hours`` before ``now``, the most unusual first."""
    window = timedelta(hours=window_hours)
    window_start = now - window
    since = window_start - timedelta(days=baseline_days)
    by_topic = contacts(session, since=since, until=now)
    earliest = min((times[0] for times in by_topic.values() if times), default=None)
    if earliest is None or now - earliest < timedelta(days=MIN_HISTORY_DAYS):
        return []
    # baseline days whose window lies wholly after the first contact the desk has
    days = [
        k for k in range(1, baseline_days + 1) if window_start - timedelta(days=k) >= earliest
    ] or [1]
    spikes: list[Spike] = []
    for topic, times in by_topic.items():
        count = _count(times, window_start, now)
        if count < MIN_COUNT:
            continue
        expected = expected_count(
            times, window_start=window_start, window=window, days=days, baseline_days=baseline_days
        )
        p_value = poisson_tail(count, expected)
        if count < MIN_RATIO * expected or p_value >= ALPHA:
            continue
        spikes.append(
            Spike(
                topic=topic,
                count=count,
                expected=expected,
                ratio=count / expected,
                p_value=p_value,
                started_at=_started_at(times, window_start, window_hours, expected),
                window_start=window_start,
                window_end=now,
                examples=_examples(session, topic, window_start, now),
            )
        )
    return sorted(spikes, key=lambda s: (s.p_value, -s.ratio, s.topic))


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(spikes: Sequence[Spike], *, sent_at: datetime) -> bytes:
    """The JSON posted; ``sent_at`` is inside the signed body, so a receiver can refuse
    replays of an old post."""
    data = {
        "type": "topic_spikes",
        "sent_at": sent_at.isoformat(),
        "spikes": [s.as_json() for s in spikes],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def notify(
    spikes: Sequence[Spike], url: str, *, secret: str, sent_at: datetime | None = None
) -> bool:
    """POST the spikes to ``url`` (5 s timeout); True when the receiver took it (2xx). A
    failure is logged, never raised: a dead webhook must not stop the caller's job."""
    import httpx

    from tierzero.db import utcnow

    if not spikes or not url:
        return False
    body = payload(spikes, sent_at=sent_at or utcnow())
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        logger.warning("spike webhook failed: %s", exc)
        return False
    if not response.is_success:
        logger.warning("spike webhook answered %s", response.status_code)
        return False
    return True


def check_and_notify(
    session: Session,
    *,
    now: datetime,
    url: str,
    secret: str,
    already_sent: Mapping[str, datetime],
    window_hours: int = WINDOW_HOURS,
    baseline_days: int = BASELINE_DAYS,
) -> list[Spike]:
    """Detect spikes and post the new ones: a topic notified (``already_sent``: topic → when)
    less than ``window_hours`` ago is not sent again. Returns the spikes sent — the caller
    records ``{s.topic: now}`` for them; none when the post failed, so the next check retries.
    Without a ``url`` nothing is posted and the new spikes are returned all the same."""
    window = timedelta(hours=window_hours)
    spikes = detect_spikes(session, now=now, window_hours=window_hours, baseline_days=baseline_days)
    new = [
        s for s in spikes if s.topic not in already_sent or now - already_sent[s.topic] >= window
    ]
    if not new or not url:
        return new
    return new if notify(new, url, secret=secret, sent_at=now) else []
