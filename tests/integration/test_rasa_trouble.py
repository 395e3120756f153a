"""Rasa hung (stopped with SIGSTOP: a request waits forever) while a customer chats: within a
few seconds they are told the truth and offered a person; asking for one hands off without
Rasa, with the same message the Rasa action sends; once Rasa is back the bot answers again."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from tests.stack import Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.integration


def test_a_hung_bot_offers_a_person_and_the_handoff_needs_no_bot(stack: Stack) -> None:
    customer = Customer(stack.ws_url, open_session(stack.base_url, language="en")["token"])
    rasa = stack.rasa.process.pid
    ticket_id = None
    try:
        os.kill(rasa, signal.SIGSTOP)
        started = time.monotonic()
        reply = customer.ask("how do I reset my password", timeout=30)
        waited = time.monotonic() - started
        assert reply["sender"] == "system" and reply["payload"]["kind"] == "error", reply
        assert "talk to a person" in reply["text"]
        assert waited < stack.settings.rasa_timeout_seconds + 4
        [button] = reply["payload"]["buttons"]
        assert button["payload"] == "/request_human"
        handed = customer.ask(button["title"], payload=button["payload"], timeout=30)
        assert handed["payload"]["kind"] == "handoff", handed
        ticket_id = handed["payload"]["ticket_id"]
        assert f"#{ticket_id}" in handed["text"]
    finally:
        os.kill(rasa, signal.SIGCONT)
        customer.close()
    with httpx.Client(base_url=stack.base_url, headers=stack.login("dave"), timeout=30) as lead:
        ticket = lead.get(f"/v1/agent/tickets/{ticket_id}").json()
        assert ticket["status"] == "queued" and ticket["handoff_reason"] == "asked_for_person"
        lead.post(f"/v1/agent/tickets/{ticket_id}/return-to-bot")  # the stack is shared
    again = Customer(stack.ws_url, open_session(stack.base_url, language="en")["token"])
    try:
        assert again.ask("how do I reset my password", timeout=60)["payload"]["kind"] == "answer"
    finally:
        again.close()
