"""Topic spikes (``insight.content.spikes``) over a synthetic fortnight of bot decisions written
straight into ``bot_answers``: a daily rhythm (busy business hours, quiet nights and weekends,
Mondays twice as busy) raises no alarm; an outage does; the webhook is signed and not repeated
within its window."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from handoff.conversations import start_conversation
from handoff.lifecycle import HandoffReason
from handoff.models import Ticket
from insight.content import spikes as sp
from insight.models import BotAnswer, Decision

#: A Monday, mid-morning: the busiest hours of the busiest day.
NOW = datetime(2025, 3, 10, 11, 0, tzinfo=UTC)
SECRET = "webhook-secret-for-tests"


def hourly_rate(topic: str, at: datetime) -> float:
    """Contacts per hour in a normal week."""
    business = 8 <= at.hour < 18
    weekend = at.weekday() >= 5
    if topic == "billing":
        rate = 2.0 if business else 0.1
        return rate * (0.25 if weekend else 2.0 if at.weekday() == 0 else 1.0)
    if topic == "connectivity":
        return 0.5
    return 0.3 if business else 0.05  # offers of a person: no topic


def contact(
    session: Session, topic: str | None, at: datetime, query: str, decision: Decision
) -> BotAnswer:
    conversation = start_conversation(session, language="en")
    row = BotAnswer(
        conversation_id=conversation.id, message_seq=2, decision=decision.value, query=query,
        topic=topic, language="en", created_at=at,
    )  # fmt: skip
    session.add(row)
    return row


def history(session: Session, *, seed: int = 3, days: int = 15) -> None:
    """``days`` of normal traffic up to NOW, Poisson counts per hour."""
    rng = np.random.default_rng(seed)
    start = NOW - timedelta(days=days)
    for h in range(days * 24):
        hour = start + timedelta(hours=h)
        for topic in ("billing", "connectivity", None):
            n = int(rng.poisson(hourly_rate(topic or "", hour)))
            for i in range(n):
                at = hour + timedelta(minutes=int(rng.integers(0, 60)), seconds=i)
                if topic is None:
                    contact(session, None, at, "can I talk to someone", Decision.OFFER_PERSON)
                else:
                    contact(session, topic, at, f"a {topic} question", Decision.ANSWER)
    session.flush()


def outage(session: Session, count: int = 20) -> datetime:
    first = NOW - timedelta(minutes=100)
    for i in range(count):
        contact(session, "connectivity", first + timedelta(minutes=5 * i),
                f"internet down in area {i % 4}", Decision.ANSWER)  # fmt: skip
    session.flush()
    return first


class TestDetection:
    def test_the_daily_rhythm_and_a_busy_monday_raise_no_alarm(self, session: Session) -> None:
        history(session)
        window = sp.contacts(session, since=NOW - timedelta(hours=3), until=NOW)
        assert len(window["billing"]) >= 8  # busy enough to pass the count test on its own
        assert sp.detect_spikes(session, now=NOW) == []
        for hours_back in (1, 4, 9, 30):  # other moments of the same fortnight
            assert sp.detect_spikes(session, now=NOW - timedelta(hours=hours_back)) == []

    def test_an_outage_is_flagged_with_its_start_and_examples(self, session: Session) -> None:
        history(session)
        first = outage(session)
        [spike] = sp.detect_spikes(session, now=NOW)
        assert spike.topic == "connectivity"
        assert spike.count >= 20 and spike.ratio >= 4 and spike.p_value < 0.001
        assert 1.0 <= spike.expected <= 3.0  # about 0.5 an hour, three hours
        assert first - timedelta(hours=1) <= spike.started_at <= first
        assert "internet down in area 3" in spike.examples

    def test_offers_of_a_person_are_the_unanswered_topic(self, session: Session) -> None:
        history(session)
        for i in range(15):
            contact(session, None, NOW - timedelta(minutes=3 * i + 1), f"new thing {i}",
                    Decision.OFFER_PERSON)  # fmt: skip
        assert [s.topic for s in sp.detect_spikes(session, now=NOW)] == [sp.UNANSWERED]

    def test_a_quiet_topic_needs_real_numbers(self, session: Session) -> None:
        history(session)
        for i in range(5):  # never seen before, but five is not a spike
            contact(session, "tv", NOW - timedelta(minutes=10 * i + 1), "tv box", Decision.ANSWER)
        assert sp.detect_spikes(session, now=NOW) == []

    def test_a_new_desk_has_no_baseline_yet(self, session: Session) -> None:
        outage(session, count=30)
        assert sp.detect_spikes(session, now=NOW) == []

    def test_a_conversation_counts_once_per_topic(self, session: Session) -> None:
        answer = contact(session, "billing", NOW - timedelta(hours=2), "bill", Decision.ANSWER)
        session.flush()
        again = BotAnswer(
            conversation_id=answer.conversation_id, message_seq=4, decision="answer",
            query="bill again", topic="billing", created_at=NOW - timedelta(hours=1),
        )  # fmt: skip
        session.add(again)
        conversation = start_conversation(session, language="en")
        for conversation_id, topic in (
            (answer.conversation_id, "billing"),
            (conversation.id, None),
        ):
            session.add(
                Ticket(
                    conversation_id=conversation_id, customer_id=conversation.customer_id,
                    handoff_reason=HandoffReason.ASKED_FOR_PERSON.value, topic=topic,
                    created_at=NOW - timedelta(minutes=30),
                )
            )  # fmt: skip
        session.flush()
        found = sp.contacts(session, since=NOW - timedelta(hours=3), until=NOW)
        assert {t: len(v) for t, v in found.items()} == {"billing": 1, sp.UNANSWERED: 1}
        assert found["billing"] == [NOW - timedelta(hours=2)]


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/spikes", Receiver.received
    server.shutdown()
    server.server_close()


class TestWebhook:
    def test_spikes_are_posted_signed_and_not_repeated_within_the_window(
        self, session: Session, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
    ) -> None:
        url, received = receiver
        history(session, days=8)
        outage(session)
        sent = sp.check_and_notify(session, now=NOW, url=url, secret=SECRET, already_sent={})
        assert [s.topic for s in sent] == ["connectivity"]
        [(headers, body)] = received
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers[sp.SIGNATURE_HEADER.lower()], expected)
        data = json.loads(body)
        assert data["type"] == "topic_spikes" and data["sent_at"] == NOW.isoformat()
        assert data["spikes"][0]["topic"] == "connectivity" and data["spikes"][0]["count"] >= 20

        last = {s.topic: NOW for s in sent}
        later = NOW + timedelta(minutes=20)
        again = sp.check_and_notify(session, now=later, url=url, secret=SECRET, already_sent=last)
        assert again == [] and len(received) == 1
        stale = {"connectivity": NOW - timedelta(hours=3)}  # its window has passed: still on
        assert sp.check_and_notify(session, now=NOW, url=url, secret=SECRET, already_sent=stale)
        assert len(received) == 2

    def test_a_dead_webhook_is_logged_not_raised(
        self, session: Session, caplog: pytest.LogCaptureFixture
    ) -> None:
        history(session, days=8)
        outage(session)
        dead = "http://127.0.0.1:9/hooks"  # discard port: nothing listens
        assert sp.check_and_notify(session, now=NOW, url=dead, secret="", already_sent={}) == []
        assert "spike webhook failed" in caplog.text

    def test_no_secret_no_signature(
        self, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
    ) -> None:
        url, received = receiver
        spike = sp.Spike(
            topic="billing", count=9, expected=1.0, ratio=9.0, p_value=1e-6, started_at=NOW,
            window_start=NOW - timedelta(hours=3), window_end=NOW, examples=("bill",),
        )  # fmt: skip
        assert sp.notify([spike], url, secret="")
        [(headers, _)] = received
        assert sp.SIGNATURE_HEADER.lower() not in headers
