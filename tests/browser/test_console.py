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
from tests.widget_client import Customer, open_session

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

        handed = customer.locator(".tz-msg.tz-bot", has_text="ticket #").first
        ticket_id = int(handed.inner_text().split("#")[1].split(")")[0])
        # live, no refresh (other open tickets may be offered to this agent too)
        offer = agent.get_by_test_id("offer").filter(has_text=f"#{ticket_id} ")
        expect(offer).to_be_visible(timeout=30_000)
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


QUESTION = "can I bring my parrot to the Nimbus shop in Novi Sad?"


def test_an_editor_changes_an_answer_and_the_bot_and_help_centre_use_it(
    browser: Browser, stack: Stack
) -> None:
    key = f"birds-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=stack.base_url, headers=stack.login("eve"), timeout=30) as kb:
        made = kb.post("/v1/kb/articles", json={
            "key": key, "title": "Birds in Nimbus shops", "category": "shops",
            "answer": "Birds stay outside, sorry.",
            "questions": ["can I bring my bird to the shop", "are parrots allowed in Nimbus shops",
                          "may I come to the store with my budgie", "bird policy in your shops",
                          "is my parrot welcome in the Novi Sad shop"]})  # fmt: skip
        assert made.status_code == 201, made.text
        article_id = made.json()["id"]
        assert kb.post(f"/v1/kb/articles/{article_id}/translations/en/publish").status_code == 200
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(stack.base_url + "/console")
        page.get_by_label("Email").fill(AGENTS["eve"][0])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Search articles").fill(key)
        page.get_by_label("Search articles").press("Enter")
        page.get_by_role("button", name=key).click()
        answer = page.get_by_label("Answer (Markdown)")
        expect(answer).to_have_value("Birds stay outside, sorry.")
        answer.fill("Small birds in a **cage** are welcome in every Nimbus shop.")
        trial = page.get_by_label("A customer's question")
        trial.fill(QUESTION)
        expect(page.get_by_text("The bot would answer with:")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name="Save and publish").click()
        expect(page.get_by_role("status")).to_contain_text("is live", timeout=15_000)
    finally:
        context.close()
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        reply = customer.ask(QUESTION)
        assert reply["payload"]["kind"] == "answer", reply
        assert reply["text"] == "Small birds in a **cage** are welcome in every Nimbus shop."
    finally:
        customer.close()
    page_html = httpx.get(f"{stack.base_url}/help/en/articles/{key}", timeout=30).text
    assert "Small birds in a <strong>cage</strong> are welcome" in page_html
    with httpx.Client(base_url=stack.base_url, headers=stack.login("eve"), timeout=30) as kb:
        kb.post(f"/v1/kb/articles/{article_id}/translations/en/archive")
