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
