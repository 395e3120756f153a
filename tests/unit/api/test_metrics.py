"""GET /metrics: Prometheus text with the desk's queues, handoffs, sockets and request timings;
a scraper needs the metrics token (or, with none set, a loopback address)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from handoff import tickets
from handoff.lifecycle import HandoffReason
from tests.databases import fresh_database
from tests.unit.handoff.builders import HUB, make_conversation, say
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import Settings


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("sqlite", tmp_path) as database_url:
        yield database_url


def app_with(url: str, **settings: object) -> TestClient:
    var = Path(url.removeprefix("sqlite:///")).parent
    return TestClient(create_app(Settings(
        environment="test", database_url=url, kb_dense="off", var_dir=var,
        secret_key="metrics-test-secret-key-long-enough", internal_token="metrics-internal",
        **settings,  # type: ignore[arg-type]
    )), client=("127.0.0.1", 50000))  # fmt: skip


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_queues_handoffs_and_request_timings(url: str) -> None:
    with unit_of_work(make_session_factory(make_engine(url))) as session:
        for text in ("help", "agent please"):
            conversation = make_conversation(session)
            say(session, conversation, text)
            tickets.hand_off(session, HUB, conversation_id=conversation.id,
                             reason=HandoffReason.ASKED_FOR_PERSON)  # fmt: skip
    with app_with(url) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        found = samples(response.text)
    assert found["tierzero_queue_tickets", (("status", "queued"), ("tier", "L1"))] == 2
    assert found["tierzero_handoffs_total", (("reason", "asked_for_person"),)] == 2
    assert found["tierzero_websockets", (("kind", "agent"),)] == 0
    assert ("tierzero_oldest_queued_seconds", (("tier", "L1"),)) in found
    timed = ("tierzero_http_request_seconds_count",
             (("method", "GET"), ("route", "/healthz"), ("status", "200")))  # fmt: skip
    assert found[timed] == 1  # by route template, not by raw path


def test_a_scraper_needs_the_token_or_loopback(url: str) -> None:
    with app_with(url, metrics_token="scrape-me") as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200
    with app_with(url) as client:  # no token: loopback, not proxied
        assert client.get("/metrics").status_code == 200
        proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
    far = TestClient(create_app(Settings(
        environment="test", database_url=url, kb_dense="off",
        var_dir=Path(url.removeprefix("sqlite:///")).parent,
        secret_key="metrics-test-secret-key-long-enough", internal_token="metrics-internal",
    )), client=("203.0.113.9", 50000))  # fmt: skip
    with far:
        assert far.get("/metrics").status_code == 403
