"""Logging out, a new password and deactivation end every earlier token of that agent at once,
over HTTP and on open sockets (a probe found a logged-out token kept working until it expired)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff.lifecycle import Role, Tier
from tests.security.app import PASSWORD, security_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    staff = [("alice@t.test", Role.AGENT, Tier.L1), ("admin@t.test", Role.ADMIN, Tier.L2)]
    with (
        security_app(tmp_path_factory.mktemp("var"), staff) as (app, _),
        TestClient(app) as test_client,
    ):
        yield test_client


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/v1/agent/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_logout_ends_the_token_and_closes_its_sockets(client: TestClient) -> None:
    first, second = login(client, "alice@t.test"), login(client, "alice@t.test")
    assert client.get("/v1/agent/me", headers=first).status_code == 200
    token = first["Authorization"].split()[1]
    with client.websocket_connect("/v1/agent/ws") as socket:
        socket.send_json({"type": "auth", "token": token})
        assert socket.receive_json()["type"] == "hello"
        assert client.post("/v1/agent/logout", headers=first).status_code == 204
        with pytest.raises(WebSocketDisconnect):
            for _ in range(20):  # the revoked frame closes it (other frames may come first)
                socket.receive_json()
    for headers in (first, second):  # every token of hers, not only the one that logged out
        refused = client.get("/v1/agent/me", headers=headers)
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/v1/agent/ws") as socket,
    ):
        socket.send_json({"type": "auth", "token": token})
        socket.receive_json()
    assert closed.value.code == 4401
    assert client.get("/v1/agent/me", headers=login(client, "alice@t.test")).status_code == 200


def test_a_new_password_or_deactivation_ends_earlier_tokens(client: TestClient) -> None:
    admin = login(client, "admin@t.test")
    alice = login(client, "alice@t.test")
    me = client.get("/v1/agent/me", headers=alice).json()
    changed = client.patch(f"/v1/agent/agents/{me['id']}", headers=admin,
                           json={"password": "a brand new password"})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert client.get("/v1/agent/me", headers=alice).status_code == 401
    alice = login(client, "alice@t.test", "a brand new password")
    assert client.get("/v1/agent/me", headers=alice).status_code == 200
    renamed = client.patch(f"/v1/agent/agents/{me['id']}", headers=admin, json={"name": "Al"})
    assert renamed.status_code == 200  # other changes leave her signed in
    assert client.get("/v1/agent/me", headers=alice).status_code == 200
    client.patch(f"/v1/agent/agents/{me['id']}", headers=admin, json={"active": False})
    assert client.get("/v1/agent/me", headers=alice).status_code == 401
    client.patch(f"/v1/agent/agents/{me['id']}", headers=admin,
                 json={"active": True, "password": PASSWORD})  # fmt: skip
