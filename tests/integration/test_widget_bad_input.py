"""Bad widget input: a clear error or close code, nothing stored twice, the server still serving."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest

from tests.stack import Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.integration


def _history(stack: Stack, token: str) -> list[dict]:
    response = httpx.get(
        f"{stack.base_url}/v1/widget/messages", headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    return response.json()


def _still_serving(stack: Stack) -> None:
    session = open_session(stack.base_url)
    customer = Customer(stack.ws_url, session["token"])
    try:
        assert customer.ask("hello")["sender"] in ("bot", "system")
    finally:
        customer.close()


class TestBadFrames:
    def test_empty_text_gets_an_error_frame(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        try:
            msg_id = customer.send("   ")
            error = customer.wait_for(lambda f: f["type"] == "error")
            assert error["status"] == 400 and "empty" in error["detail"]
            assert error["client_msg_id"] == msg_id
            assert _history(stack, session["token"]) == []
        finally:
            customer.close()

    def test_invalid_json_gets_an_error_frame_and_the_socket_stays_open(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        try:
            customer.send_raw("{not json")
            error = customer.wait_for(lambda f: f["type"] == "error")
            assert error["status"] == 400 and "JSON" in error["detail"]
            customer.send_raw(json.dumps({"text": "no id"}))
            error = customer.wait_for(lambda f: f["type"] == "error")
            assert "client_msg_id" in error["detail"]
            assert customer.ask("hi")["sender"] == "bot"
        finally:
            customer.close()

    def test_100_kb_message_closes_with_1009_and_stores_nothing(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        customer.send("x" * 100_000)
        assert customer.close_code() == 1009
        assert _history(stack, session["token"]) == []
        _still_serving(stack)

    def test_long_but_small_frame_text_gets_413(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        try:
            customer.send("y" * 5000)
            error = customer.wait_for(lambda f: f["type"] == "error")
            assert error["status"] == 413 and "too long" in error["detail"]
            assert _history(stack, session["token"]) == []
        finally:
            customer.close()

    def test_binary_frame_closes_with_1003(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        customer.socket.send(b"\x00\x01binary")
        assert customer.close_code() == 1003
        _still_serving(stack)

    def test_flooding_a_conversation_gets_429_and_stores_only_the_allowed(
        self, stack: Stack
    ) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        limit = stack.settings.messages_per_minute
        try:
            ids = [customer.send(f"message number {i}") for i in range(limit + 5)]
            answers = {}
            while len(answers) < len(ids):
                frame = customer.wait_for(lambda f: f["type"] in ("ack", "error"))
                answers[frame["client_msg_id"]] = frame
            refused = [a for a in answers.values() if a["type"] == "error"]
            assert len(refused) == 5 and all(a["status"] == 429 for a in refused)
            stored = [m for m in _history(stack, session["token"]) if m["sender"] == "customer"]
            assert len(stored) == limit
        finally:
            customer.close()

    def test_duplicate_client_msg_id_is_stored_once(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        customer = Customer(stack.ws_url, session["token"])
        try:
            customer.send("hello there", client_msg_id="dup-1")
            first = customer.wait_for(lambda f: f["type"] == "ack")
            customer.wait_for(lambda f: f["type"] == "message" and f["sender"] == "bot")
            turns = stack.rasa_user_turns(session["conversation_id"])
            customer.send("hello there", client_msg_id="dup-1")
            again = customer.wait_for(lambda f: f["type"] == "ack")
            assert again["seq"] == first["seq"] and again["duplicate"] is True
            # the retry is not a new turn: a next message is, and Rasa saw exactly one more
            customer.ask("thanks")
            assert stack.rasa_user_turns(session["conversation_id"]) == turns + 1
            history = _history(stack, session["token"])
            assert [m["client_msg_id"] for m in history].count("dup-1") == 1
        finally:
            customer.close()


class TestTokens:
    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
    def test_unknown_token_is_closed_with_4401(self, stack: Stack, token: str) -> None:
        customer = Customer(stack.ws_url, token)
        assert customer.close_code() == 4401

    def test_forged_token_is_closed_with_4401(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        claims = jwt.decode(session["token"], options={"verify_signature": False})
        claims["conv"] = claims["conv"] + 1  # someone else's conversation
        forged = jwt.encode(
            claims, "not-the-server-secret-but-long-enough-for-hs256", algorithm="HS256"
        )
        assert Customer(stack.ws_url, forged).close_code() == 4401
        _still_serving(stack)

    def test_customer_token_cannot_call_agent_routes(self, stack: Stack) -> None:
        session = open_session(stack.base_url)
        response = httpx.get(
            f"{stack.base_url}/v1/agent/tickets",
            headers={"Authorization": f"Bearer {session['token']}"},
        )
        assert response.status_code == 401

    def test_internal_actions_need_the_service_token(self, stack: Stack) -> None:
        response = httpx.post(
            f"{stack.base_url}/internal/rasa/actions", json={"next_action": "action_handoff"}
        )
        assert response.status_code == 403

    def test_bad_session_body_is_422(self, stack: Stack) -> None:
        response = httpx.post(f"{stack.base_url}/v1/widget/sessions", json={"evil": 1})
        assert response.status_code == 422
