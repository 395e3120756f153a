"""Hostile WebSocket frames on the running product: JSON nested far beyond anything a client
sends gets a plain 400 error frame (a probe found nesting >= 1,000 dropped the socket without a
close frame), and the same socket keeps working, for a customer and for an agent."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from tests.stack import Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("depth", [900, 1_000, 30_000])  # 30,000: ~60 kB, under the frame limit
def test_deeply_nested_json_from_a_customer_is_a_400_and_the_socket_stays(
    stack: Stack, depth: int
) -> None:
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        customer.send_raw("[" * depth + "]" * depth)
        error = customer.wait_for(lambda f: f["type"] == "error")
        assert error["status"] == 400
        assert customer.ask("hello")["sender"] in ("bot", "system")
    finally:
        customer.close()


def test_deeply_nested_json_from_an_agent_is_a_400_and_the_socket_stays(stack: Stack) -> None:
    token = stack.login("alice")["Authorization"].split()[1]
    ws_url = stack.ws_url.replace("/v1/widget/ws", "/v1/agent/ws")
    with connect(ws_url, open_timeout=10) as agent:
        agent.send(json.dumps({"type": "auth", "token": token}))
        hello = json.loads(agent.recv(timeout=10))
        assert hello["type"] == "hello"
        agent.send("{" + '"a":{' * 10_000 + "}" * 10_001)
        frames = [json.loads(agent.recv(timeout=10))]
        while frames[-1]["type"] != "error":
            frames.append(json.loads(agent.recv(timeout=10)))
        assert frames[-1]["status"] == 400 and "deeply" in frames[-1]["detail"]
        agent.send(json.dumps({"type": "ping"}))
        while (frame := json.loads(agent.recv(timeout=10)))["type"] != "pong":
            assert frame["type"] != "error", frame
