"""The leads' screens over HTTP: ``GET /v1/agent/policy`` is for leads and admins (anonymous
401, an agent or an editor 403) and shows the loaded policy as JSON.

The real app and its dependencies, with its units of work on the test's own transaction (their
commits are savepoints, rolled back with the test); no background tasks are started.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api import tokens
from api.main import create_app
from handoff.lifecycle import Role, Tier
from handoff.models import Agent
from tests.unit.handoff.builders import make_agent
from tierzero import clock
from tierzero.settings import Settings

WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # 11:00 in Belgrade: the team is open
SUNDAY = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(
        environment="test",
        database_url=database_url,
        var_dir=tmp_path_factory.mktemp("var"),
        kb_dense="off",
        secret_key="lead-screens-test-secret-key-long-enough",
        internal_token="lead-screens-test-internal-token",
    )
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI, session: Session) -> Iterator[TestClient]:
    state = app.state.tierzero
    real = state.session_factory
    state.session_factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )  # fmt: skip
    clock.freeze(WEDNESDAY)
    try:
        yield TestClient(app)
    finally:
        state.session_factory = real
        clock.travel(timedelta(0))


def auth(app: FastAPI, agent: Agent) -> dict[str, str]:
    token = tokens.issue(app.state.tierzero.settings.secret_key, kind="agent", subject=agent.id,
                         ttl_seconds=600)  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


PATHS = ["/v1/agent/policy"]


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
        }
        trial, standard = policy["plans"][0], policy["plans"][1]
        assert (trial["live_support"], trial["claim_within_minutes"]) == (False, None)
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
