"""Per-IP limits on the public entry points: new chat sessions and agent logins."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tierzero.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> TestClient:
    settings = Settings(
        environment="test",
        database_url=database_url,
        var_dir=tmp_path,
        kb_dense="off",
        sessions_per_minute=3,
        logins_per_minute=3,
    )
    return TestClient(create_app(settings))


def test_new_sessions_beyond_the_limit_get_429(client: TestClient) -> None:
    with client:
        codes = [client.post("/v1/widget/sessions", json={}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]


def test_login_attempts_beyond_the_limit_get_429(client: TestClient) -> None:
    with client:
        body = {"email": "nobody@example.test", "password": "wrong password"}
        codes = [client.post("/v1/agent/login", json=body).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    with client:
        response = client.post("/v1/agent/login", json=body)
    assert response.json() == {
        "error": "TooManyRequests",
        "detail": "too many login attempts; wait a minute",
    }


def test_a_guesser_cannot_lock_a_colleague_out(database_url: str, tmp_path: Path) -> None:
    """Wrong passwords for alice from one address slow that address down; alice, from her own
    address, still logs in; one address trying many emails hits its own limit; an unknown email
    and a wrong password get the same answer."""
    from handoff import agents
    from tierzero.db import make_engine, make_session_factory, unit_of_work

    settings = Settings(
        environment="test", database_url=database_url, var_dir=tmp_path, kb_dense="off",
        logins_per_minute=3, logins_per_address_per_minute=6,
    )  # fmt: skip
    app = create_app(settings)
    email = f"alice-{tmp_path.name[-8:]}@example.test"
    with unit_of_work(make_session_factory(make_engine(database_url))) as session:
        agents.create_agent(session, email=email, name="Alice", password="alice's password")

    def attempt(client: TestClient, who: str, password: str = "guess") -> int:
        response = client.post("/v1/agent/login", json={"email": who, "password": password})
        return response.status_code

    attacker = TestClient(app, client=("203.0.113.7", 40000))
    alice = TestClient(app, client=("198.51.100.2", 40001))
    third = TestClient(app, client=("192.0.2.9", 40002))
    with attacker, alice, third:
        assert [attempt(attacker, email) for _ in range(4)] == [401, 401, 401, 429]
        assert attempt(alice, email, "alice's password") == 200
        wrong = third.post("/v1/agent/login", json={"email": email, "password": "nope"})
        unknown = third.post("/v1/agent/login", json={"email": "x@example.test", "password": "g"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()  # an unknown email looks like a wrong password
        # the attacker's address: 4 attempts so far, 6 a minute whatever the email
        assert [attempt(attacker, f"z{i}@example.test") for i in range(3)] == [401, 401, 429]
