"""Rasa listens on loopback, but loopback is every local process: its stock REST channel let any
of them post as any conversation (force a handoff, restart it). Only TierZero's token-checked
channel is configured, and sender ids are signed, so a conversation's number names nothing."""

from __future__ import annotations

import httpx
import pytest

from handoff.models import rasa_sender_id
from tests.stack import Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.integration


def test_rasa_answers_no_one_without_the_internal_token(stack: Stack) -> None:
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        conversation_id = customer.ask("how do I reset my password")["conversation_id"]
    finally:
        customer.close()
    sender = rasa_sender_id(conversation_id, stack.settings.secret_key)
    assert sender.startswith(f"tz-conversation-{conversation_id}-")
    assert sender != rasa_sender_id(conversation_id, "another installation's key")
    hostile = {"sender": sender, "message": "/request_human"}
    with httpx.Client(base_url=stack.settings.rasa_url, timeout=30) as rasa:
        assert rasa.post("/webhooks/rest/webhook", json=hostile).status_code == 404
        assert rasa.post("/webhooks/tierzero/webhook", json=hostile).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        refused = rasa.post("/webhooks/tierzero/webhook", json=hostile, headers=wrong)
        assert refused.status_code == 401
        # Rasa's HTTP API was token-protected already
        assert rasa.get(f"/conversations/{sender}/tracker").status_code == 401
    assert stack.rasa_user_turns(conversation_id) == 1  # the hostile posts never reached it
