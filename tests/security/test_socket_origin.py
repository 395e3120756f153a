"""A page on another site cannot open a socket in a visitor's browser: the agent socket takes
the api's own origin (and listed console origins) only, the widget socket the sites that embed
it. Without an Origin (not a browser) the token alone decides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff.lifecycle import Role, Tier
from tests.security.app import PASSWORD, security_app

SHOP = "https://shop.example"
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    staff = [("alice@o.test", Role.AGENT, Tier.L1)]
    with (
        security_app(tmp_path_factory.mktemp("var"), staff, cors_origins=[SHOP]) as (app, _),
        TestClient(app) as test_client,
    ):
        yield test_client


def opens(client: TestClient, path: str, token: str, origin: str | None) -> bool:
    headers = {"origin": origin} if origin else {}
    try:
        with client.websocket_connect(path, headers=headers) as socket:
            socket.send_json({"type": "auth", "token": token})
            socket.receive_json()
            return True
    except WebSocketDisconnect as closed:
        assert closed.code == 4403, closed.code
        return False


def test_the_agent_socket_takes_its_own_origin_only(client: TestClient) -> None:
    login = client.post("/v1/agent/login", json={"email": "alice@o.test", "password": PASSWORD})
    path, token = "/v1/agent/ws", login.json()["access_token"]
    assert opens(client, path, token, "http://testserver")  # the api's own /console
    assert opens(client, path, token, None)
    assert not opens(client, path, token, EVIL)
    assert not opens(client, path, token, SHOP)  # a widget site is no console


def test_the_widget_socket_takes_the_sites_that_embed_it(client: TestClient) -> None:
    session = client.post("/v1/widget/sessions", json={"language": "en"}).json()
    path, token = "/v1/widget/ws", session["token"]
    assert opens(client, path, token, SHOP)
    assert opens(client, path, token, "http://testserver")
    assert not opens(client, path, token, EVIL)


def test_tokens_travel_in_the_first_frame_never_the_url(client: TestClient) -> None:
    """A token in the URL (what proxies log) opens nothing: the first frame must be the auth
    frame, else the socket closes with 4401."""
    login = client.post("/v1/agent/login", json={"email": "alice@o.test", "password": PASSWORD})
    token = login.json()["access_token"]
    for path in (f"/v1/agent/ws?token={token}", "/v1/agent/ws"):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect(path) as socket,
        ):
            socket.send_json({"type": "ping"})
            socket.receive_json()
        assert closed.value.code == 4401
    assert opens(client, "/v1/agent/ws", token, None)
