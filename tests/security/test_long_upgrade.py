"""A WebSocket upgrade with a very long URL gets an answer at once, and the api keeps serving
(a probe found a 20 kB URL left unanswered and the connection held for over a minute)."""

from __future__ import annotations

import socket
import time

import pytest

from tests.stack import Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("length", [20_000, 70_000])
def test_a_long_upgrade_url_is_answered_not_held(stack: Stack, length: int) -> None:
    request = (
        f"GET /v1/widget/ws?pad={'a' * length} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    port = int(stack.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        started = time.monotonic()
        raw.sendall(request)
        first = raw.recv(64)
        assert first.startswith(b"HTTP/1.1 "), first
        assert time.monotonic() - started < 5
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        assert customer.ask("hello")["sender"] in ("bot", "system")
    finally:
        customer.close()
