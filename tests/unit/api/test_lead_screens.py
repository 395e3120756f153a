"""The leads' screens over HTTP: ``GET /v1/agent/policy`` and ``GET /v1/agent/overview`` are for
leads and admins (anonymous 401, an agent or an editor 403), show the loaded policy and the
overview as JSON, and refuse a period they cannot count with a 422 shaped like every other one.

The real app and its dependencies, with its units of work on the test's own transaction (their
commits are savepoints, rolled back with the test); no background tasks are started.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from handoff.lifecycle import Presence, Role, Tier
from tests.unit.apps import app_for_tests, auth, client_on
from tests.unit.handoff.builders import make_agent, make_ticket
from tierzero import clock

WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # 11:00 in Belgrade: the team is open
SUNDAY = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return app_for_tests(database_url, tmp_path_factory.mktemp("var"), "lead-screens")


@pytest.fixture
def client(app: FastAPI, session: Session) -> Iterator[TestClient]:
    clock.freeze(WEDNESDAY)
    try:
        with client_on(app, session) as client:
            yield client
    finally:
        clock.travel(timedelta(0))


PATHS = ["/v1/agent/policy", "/v1/agent/overview"]


class TestWhoMayCall:
    @pytest.mark.parametrize("path", PATHS)
    def test_anonymous_gets_401(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["error"] == "Unauthorized"

    @pytest.mark.parametrize("path", PATHS)
    @pytest.mark.parametrize("role", [Role.AGENT, Role.EDITOR])
    def test_an_agent_or_editor_gets_403(
        self, app: FastAPI, client: TestClient, session: Session, path: str, role: Role
    ) -> None:
        agent = make_agent(session, role=role, tier=Tier.L1)
        response = client.get(path, headers=auth(app, agent))
        assert response.status_code == 403
        assert response.json() == {
            "error": "Forbidden",
            "detail": "this needs one of the roles: lead, admin",
        }

    @pytest.mark.parametrize("path", PATHS)
    @pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
    def test_leads_and_admins_may(
        self, app: FastAPI, client: TestClient, session: Session, path: str, role: Role
    ) -> None:
        lead = make_agent(session, role=role)
        assert client.get(path, headers=auth(app, lead)).status_code == 200


class TestPolicy:
    def test_the_loaded_policy_as_the_screen_shows_it(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        body = client.get(
            "/v1/agent/policy", headers=auth(app, make_agent(session, role=Role.LEAD))
        )
        policy = body.json()
        assert set(policy) == {
            "anonymous_plan", "sla_warning_at", "abandoned_after_seconds", "plans", "teams",
            "handling_limits",
        }  # fmt: skip
        assert (policy["anonymous_plan"], policy["sla_warning_at"]) == ("standard", 0.8)
        assert policy["abandoned_after_seconds"] == 180
        assert [p["name"] for p in policy["plans"]] == ["trial", "standard", "premium"]
        premium = policy["plans"][2]
        assert premium == {
            "name": "premium",
            "description": "paid plan with priority support",
            "anonymous": False,
            "live_support": True,
            "claim_within_minutes": 5,
            "escalate_on_breach": True,
            "targets": [
                {"priority": "urgent", "first_response_minutes": 5, "resolution_minutes": 120},
                {"priority": "high", "first_response_minutes": 10, "resolution_minutes": 240},
                {"priority": "normal", "first_response_minutes": 15, "resolution_minutes": 480},
                {"priority": "low", "first_response_minutes": 30, "resolution_minutes": 960},
            ],
            "email_targets": [
                {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240},
                {"priority": "high", "first_response_minutes": 60, "resolution_minutes": 480},
                {"priority": "normal", "first_response_minutes": 120, "resolution_minutes": 960},
                {"priority": "low", "first_response_minutes": 240, "resolution_minutes": 1440},
            ],
            "email_bot": True,
        }
        trial, standard = policy["plans"][0], policy["plans"][1]
        assert (trial["live_support"], trial["claim_within_minutes"]) == (False, None)
        assert trial["email_targets"] is None  # the same targets as chats
        assert (standard["anonymous"], standard["escalate_on_breach"]) == (True, False)
        (team,) = policy["teams"]
        assert (team["name"], team["time_zone"], team["open_now"]) == (
            "support", "Europe/Belgrade", True,
        )  # fmt: skip
        assert team["hours"][0] == {"day": "mon", "opens": "08:00", "closes": "20:00"}
        assert team["hours"][5] == {"day": "sat", "opens": "10:00", "closes": "16:00"}
        assert team["hours"][6] == {"day": "sun", "opens": None, "closes": None}
        assert team["holidays"] == ["2026-12-25", "2027-01-01", "2027-01-07"]
        assert policy["handling_limits"] == [
            {"tier": "L1", "warn_after_minutes": 12, "limit_minutes": 15},
            {"tier": "L2", "warn_after_minutes": 100, "limit_minutes": 120},
            {"tier": "L3", "warn_after_minutes": None, "limit_minutes": None},
        ]

    def test_open_now_follows_the_clock(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        headers = auth(app, make_agent(session, role=Role.ADMIN))
        clock.freeze(SUNDAY)
        assert (
            client.get("/v1/agent/policy", headers=headers).json()["teams"][0]["open_now"] is False
        )


class TestOverview:
    def test_the_queues_agents_and_period_as_json(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        lead = make_agent(session, role=Role.LEAD, tier=Tier.L3, presence=Presence.ONLINE)
        clock.freeze(WEDNESDAY - timedelta(minutes=5))
        make_ticket(session)
        clock.freeze(WEDNESDAY)
        response = client.get("/v1/agent/overview", headers=auth(app, lead))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"now", "tiers", "agents", "period"}
        assert datetime.fromisoformat(body["now"]) == WEDNESDAY
        assert body["tiers"][0] == {
            "tier": "L1", "queued": 1, "assigned": 0, "waiting_on_customer": 0,
            "oldest_queued_seconds": 300.0, "overdue": 0,
        }  # fmt: skip
        assert [t["tier"] for t in body["tiers"]] == ["L1", "L2", "L3"]
        assert body["agents"] == [
            {
                "id": lead.id, "name": lead.name, "role": "lead", "tier": "L3",
                "presence": "online", "chats": 0, "chat_capacity": 5, "emails": 0,
                "email_capacity": 3, "pending_offers": 0, "load": 0.0,
            }
        ]  # fmt: skip
        period = body["period"]
        assert set(period) == {
            "since", "until", "created", "handoff_reasons", "end_reasons", "resolved",
            "resolved_by_tier", "escalations", "automatic_escalations", "first_responses",
            "first_response_median_seconds", "resolution_median_seconds", "sla_warnings",
            "sla_breaches", "csat_count", "csat_average",
        }  # fmt: skip
        assert datetime.fromisoformat(period["since"]) == datetime(2026, 12, 2, tzinfo=UTC)
        assert datetime.fromisoformat(period["until"]) == WEDNESDAY
        assert (period["created"], period["handoff_reasons"]["asked_for_person"]) == (1, 1)
        assert period["resolved_by_tier"][0] == {"tier": "L1", "count": 0, "share": None}
        assert period["first_response_median_seconds"] is None

    def test_a_chosen_period(self, app: FastAPI, client: TestClient, session: Session) -> None:
        lead = make_agent(session, role=Role.LEAD)
        clock.freeze(WEDNESDAY - timedelta(days=1))
        make_ticket(session)
        clock.freeze(WEDNESDAY)
        response = client.get(
            "/v1/agent/overview",
            params={"since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00"},
            headers=auth(app, lead),
        )
        period = response.json()["period"]
        assert datetime.fromisoformat(period["until"]) == datetime(2026, 12, 2, tzinfo=UTC)
        assert period["created"] == 1


class TestBadPeriods:
    @pytest.mark.parametrize(
        ("params", "detail"),
        [
            ({"since": "2026-12-02T09:00:00Z", "until": "2026-12-02T08:59:59Z"},
             "since must not be after until"),
            ({"since": "2026-12-02T10:00:01Z"}, "since must not be after until"),
            ({"since": "2025-12-01T09:59:59Z"}, "the period may span at most 366 days"),
        ],
    )  # fmt: skip
    def test_a_period_that_cannot_be_counted_is_a_422(
        self, app: FastAPI, client: TestClient, session: Session, params: dict[str, str],
        detail: str,
    ) -> None:  # fmt: skip
        headers = auth(app, make_agent(session, role=Role.LEAD))
        response = client.get("/v1/agent/overview", params=params, headers=headers)
        assert response.status_code == 422
        # the shape the schema declares for every 422 (schemathesis found the plain string)
        problem = {"loc": [], "msg": detail, "type": "value_error"}
        assert response.json() == {"error": "InvalidPeriod", "detail": [problem]}

    def test_a_time_that_is_not_one_is_a_422(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        headers = auth(app, make_agent(session, role=Role.LEAD))
        response = client.get("/v1/agent/overview", params={"since": "yesterday"}, headers=headers)
        assert response.status_code == 422
        assert response.json()["error"] == "ValidationError"
