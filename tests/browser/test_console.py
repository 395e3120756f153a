"""The agent console in real Chromium beside a customer's widget: the agent logs in and goes
online, the customer is handed off, the offer appears in the console without a refresh, the
agent accepts, inserts the copilot's answer, replies, resolves; the customer sees it live and
rates. What the customer wrote is text in the console (no script runs)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.stack import AGENTS, PASSWORD, Stack

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="alert(document.domain)"> is my router broken?'


def _an_l1_agent_alone(stack: Stack) -> tuple[str, str]:
    """A fresh English L1 agent, everyone else offline (routing offers to online agents only)."""
    with httpx.Client(base_url=stack.base_url, timeout=30) as web:
        for email, role, _ in AGENTS.values():
            if role == "editor":
                continue
            token = web.post("/v1/agent/login", json={"email": email, "password": PASSWORD})
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            web.put("/v1/agent/me/presence", json={"presence": "offline"}, headers=bearer)
        email = f"console-{uuid.uuid4().hex[:8]}@nimbus.test"
        made = web.post("/v1/agent/agents", headers=stack.login("dave"), json={
            "email": email, "name": "Casey Console", "password": PASSWORD, "tier": "L1",
            "languages": ["en"]})  # fmt: skip
        assert made.status_code == 201, made.text
    return email, PASSWORD


def test_an_agent_handles_a_chat_in_the_console(browser: Browser, stack: Stack) -> None:
    email, password = _an_l1_agent_alone(stack)
    customer_context, agent_context = browser.new_context(), browser.new_context()
    dialogs: list[str] = []
    try:
        agent = agent_context.new_page()
        agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        agent.goto(stack.base_url + "/console")
        agent.get_by_label("Email").fill(email)
        agent.get_by_label("Password").fill(password)
        agent.get_by_role("button", name="Log in").click()
        agent.get_by_label("Presence").select_option("online")
        expect(agent.get_by_role("heading", name="Queue")).to_be_visible()

        customer = customer_context.new_page()
        customer.goto(stack.base_url + "/")
        customer.get_by_test_id("tz-launch").click()
        expect(customer.locator(".tz-status")).to_have_text("online", timeout=15_000)
        customer.get_by_label("Message").fill("how do I reset my password")
        customer.keyboard.press("Enter")
        customer.locator(".tz-buttons button", has_text="No").last.click()
        customer.locator(".tz-buttons button", has_text="Yes").last.click()
        expect(customer.get_by_test_id("tz-queue")).to_be_visible(timeout=30_000)
        customer.get_by_label("Message").fill(HOSTILE)
        customer.keyboard.press("Enter")

        offer = agent.get_by_test_id("offer")
        expect(offer).to_be_visible(timeout=30_000)  # live, no refresh
        offer.get_by_role("button", name="Accept").click()
        transcript = agent.get_by_role("list", name="Transcript")
        expect(transcript).to_contain_text("how do I reset my password", timeout=15_000)
        expect(transcript).to_contain_text(HOSTILE, timeout=15_000)  # as text
        insert = agent.get_by_role("button", name="Insert: Reset your password")
        expect(insert).to_be_visible(timeout=15_000)
        insert.click()
        reply = agent.get_by_label("Reply to the customer")
        assert "Forgot password" in reply.input_value()
        agent.get_by_role("button", name="Send reply").click()
        expect(customer.locator(".tz-msg.tz-agent")).to_contain_text(
            "Forgot password", timeout=15_000
        )
        agent.get_by_role("button", name="Resolve").click()
        rating = customer.get_by_test_id("tz-csat")
        expect(rating).to_be_visible(timeout=15_000)
        five = rating.get_by_role("button", name="5 / 5")
        five.click()
        expect(five).to_have_attribute("aria-pressed", "true", timeout=15_000)
        assert agent.evaluate("document.querySelectorAll('#pane img').length") == 0
        assert dialogs == []
        agent.get_by_label("Presence").select_option("offline")
    finally:
        customer_context.close()
        agent_context.close()
