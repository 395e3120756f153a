"""The agent console in real Chromium beside a customer's widget: the agent logs in and goes
online, the customer is handed off, the offer appears in the console without a refresh, the
agent accepts, inserts the copilot's answer, replies, resolves; the customer sees it live and
rates. What the customer wrote is text in the console (no script runs)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import watched_page
from tests.stack import AGENTS, PASSWORD, Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A console page that fails the test on any script error or dialog."""
    yield from watched_page(browser)


HOSTILE = '<img src=x onerror="alert(document.domain)"> is my router broken?'
HOSTILE_NAME = '<img src=x onerror="alert(1)">Mallory'


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
        joined = customer.locator(".tz-msg.tz-system", has_text="Casey Console joined the chat.")
        expect(joined).to_be_visible(timeout=15_000)  # the customer learns who took it
        transcript = agent.get_by_role("list", name="Transcript")
        expect(transcript).to_contain_text("how do I reset my password", timeout=15_000)
        expect(transcript).to_contain_text(HOSTILE, timeout=15_000)  # as text
        # the bot's answer did not help: the agent flags it for the editors
        answer = transcript.locator("li.bot", has=agent.locator("details.flag")).first
        answer.get_by_text("Flag this answer").click()
        answer.get_by_label("What is wrong").select_option("outdated")
        answer.get_by_label("Note for the editors").fill("the reset page moved")
        answer.get_by_role("button", name="Send to the editors").click()
        expect(transcript.get_by_role("status").filter(has_text="Flagged")).to_have_count(1)
        insert = agent.get_by_role("button", name="Insert: Reset your password")
        expect(insert).to_be_visible(timeout=15_000)
        insert.click()
        reply = agent.get_by_label("Reply to the customer")
        assert "Forgot password" in reply.input_value()
        agent.get_by_role("button", name="Send reply").click()
        expect(customer.locator(".tz-msg.tz-agent")).to_contain_text(
            "Forgot password", timeout=15_000
        )  # the inserted KB answer's Markdown, formatted like the bot's, not raw **
        expect(customer.locator(".tz-msg.tz-agent strong").first).to_be_visible()
        assert "**" not in customer.locator(".tz-msg.tz-agent").first.inner_text()
        agent.get_by_role("button", name="Resolve").click()
        rating = customer.get_by_test_id("tz-csat")
        expect(rating).to_be_visible(timeout=15_000)
        five = rating.get_by_role("button", name="5 / 5")
        five.click()
        expect(five).to_have_attribute("aria-pressed", "true", timeout=15_000)
        assert agent.evaluate("document.querySelectorAll('#pane img').length") == 0
        assert "null" not in agent.locator("#main").inner_text()  # no empty slot printed
        assert dialogs == []
        agent.get_by_label("Presence").select_option("offline")
    finally:
        customer_context.close()
        agent_context.close()


QUESTION = "can I bring my parrot to the Nimbus shop in Novi Sad?"


TITLE = "Birds in Nimbus shops"
HOSTILE_TITLE = 'Birds <img src=x onerror="alert(2)"> in Nimbus shops'
NEW_ANSWER = "Small birds in a **cage** are welcome in every Nimbus shop."


def _bot_answer(stack: Stack) -> str:
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        reply = customer.ask(QUESTION)
        assert reply["payload"]["kind"] == "answer", reply
        return str(reply["text"])
    finally:
        customer.close()


def test_an_editor_changes_an_answer_and_the_bot_and_help_centre_use_it(
    page: Page, stack: Stack
) -> None:
    """Edit with the readers' preview, publish: the bot and the help centre use the new text at
    once; the history shows the change as a diff; rolling back makes the old text live again. A
    KB title with markup is text in the console and the widget."""
    key = f"birds-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=stack.base_url, headers=stack.login("eve"), timeout=30) as kb:
        made = kb.post("/v1/kb/articles", json={
            "key": key, "title": TITLE, "category": "shops",
            "answer": "Birds stay outside, sorry.",
            "questions": ["can I bring my bird to the shop", "are parrots allowed in Nimbus shops",
                          "may I come to the store with my budgie", "bird policy in your shops",
                          "is my parrot welcome in the Novi Sad shop"]})  # fmt: skip
        assert made.status_code == 201, made.text
        article_id = made.json()["id"]
        assert kb.post(f"/v1/kb/articles/{article_id}/translations/en/publish").status_code == 200
    try:
        _log_in(page, stack, AGENTS["eve"][0])
        page.get_by_label("Search articles").fill(key)
        page.get_by_label("Search articles").press("Enter")
        page.get_by_role("button", name=key).click()
        answer = page.get_by_label("Answer (Markdown)")
        expect(answer).to_have_value("Birds stay outside, sorry.")
        answer.fill(NEW_ANSWER)
        preview = page.get_by_role("region", name="Preview")
        expect(preview.locator("strong")).to_have_text("cage", timeout=15_000)
        trial = page.get_by_label("A customer's question")
        trial.fill(QUESTION)
        expect(page.get_by_text("The bot would answer with:")).to_be_visible(timeout=15_000)
        expect(page.locator("#kb-pane ol li").first).to_contain_text(TITLE)
        page.get_by_role("button", name="Save and publish").click()
        expect(page.get_by_role("status")).to_contain_text("Version 2 is live", timeout=15_000)
        assert _bot_answer(stack) == NEW_ANSWER
        page_html = httpx.get(f"{stack.base_url}/help/en/articles/{key}", timeout=30).text
        assert "Small birds in a <strong>cage</strong> are welcome" in page_html

        page.get_by_role("button", name="Show changes: version 2").click()
        diff = page.get_by_role("region", name="Changes")
        expect(diff.locator(".add")).to_contain_text(["Small birds in a **cage**"], timeout=15_000)
        expect(diff.locator(".del")).to_contain_text(["Birds stay outside"])
        page.get_by_role("button", name="Roll back to version 1").click()
        expect(page.get_by_role("status")).to_contain_text("live again", timeout=15_000)
        assert _bot_answer(stack) == "Birds stay outside, sorry."
        page.get_by_label("Title").fill(HOSTILE_TITLE)  # titles are plain text: refused, said why
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator("#kb-pane p.error")).to_contain_text("plain text", timeout=15_000)
        assert page.evaluate("document.querySelectorAll('#kb-pane img').length") == 0

        page.goto(stack.base_url + "/")  # the customer's widget shows the title as text
        page.get_by_test_id("tz-launch").click()
        page.get_by_label("Message").fill(QUESTION)
        page.keyboard.press("Enter")
        expect(page.locator("a.tz-article").last).to_have_text(TITLE, timeout=30_000)
        shadow = "document.querySelector('[data-tierzero=widget]').shadowRoot"
        assert page.evaluate(f"{shadow}.querySelectorAll('.tz-msg').length") > 0
        assert page.evaluate(f"{shadow}.querySelectorAll('img').length") == 0
    finally:
        with httpx.Client(base_url=stack.base_url, headers=stack.login("eve"), timeout=30) as kb:
            kb.post(f"/v1/kb/articles/{article_id}/translations/en/archive")


def _log_in(page: Page, stack: Stack, email: str, password: str = PASSWORD) -> None:
    page.goto(stack.base_url + "/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _take_offer(agent: Page, ticket_id: int) -> None:
    offer = agent.get_by_test_id("offer").filter(has_text=f"#{ticket_id} ")
    expect(offer).to_be_visible(timeout=30_000)
    offer.get_by_role("button", name="Accept").click()
    expect(agent.get_by_role("heading", name=f"#{ticket_id} ·")).to_be_visible(timeout=15_000)


def _agent_lines(agent: Page) -> list[str]:
    """The agent's stored replies as the console shows them (not those still on their way)."""
    lines = agent.locator("ol.transcript[aria-label=Transcript] li.agent:not(.pending)")
    return [text.split("\n", 1)[-1].strip() for text in lines.all_inner_texts()]


def test_a_network_drop_loses_and_doubles_nothing_and_names_are_text(
    browser: Browser, stack: Stack
) -> None:
    """The agent's connection drops while they answer: replies wait in the console and arrive
    once, in order, for the console and the customer; what the customer wrote meanwhile shows
    up when the agent is back. A hostile visitor name is text everywhere; a colleague opening
    the ticket is announced."""
    email, password = _an_l1_agent_alone(stack)
    session = open_session(stack.base_url, language="en", name=HOSTILE_NAME)
    customer = Customer(stack.ws_url, session["token"])
    agent_context, lead_context = browser.new_context(), browser.new_context()
    dialogs: list[str] = []
    try:
        agent = agent_context.new_page()
        agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _log_in(agent, stack, email, password)
        agent.get_by_label("Presence").select_option("online")
        ticket_id = customer.ask("operator please")["payload"]["ticket_id"]
        _take_offer(agent, ticket_id)
        story = agent.locator(".panel.customer")
        expect(story).to_contain_text(HOSTILE_NAME, timeout=15_000)
        expect(agent.get_by_role("list", name="Transcript")).to_contain_text(HOSTILE_NAME)

        lead = lead_context.new_page()
        _log_in(lead, stack, AGENTS["lena"][0])
        lead.goto(f"{stack.base_url}/console#ticket-{ticket_id}")
        expect(lead.get_by_role("heading", name=f"#{ticket_id} ·")).to_be_visible(timeout=15_000)
        expect(agent.locator(".viewers")).to_contain_text("lena-lead", timeout=15_000)

        agent_context.set_offline(True)
        agent.evaluate("window.dispatchEvent(new Event('offline'))")
        expect(agent.locator("#connection")).to_contain_text("offline", timeout=15_000)
        reply = agent.get_by_label("Reply to the customer")
        for text in ("first reply, written offline", "second reply, also offline"):
            reply.fill(text)
            reply.press("Control+Enter")
        pending = agent.locator("li.pending")
        expect(pending).to_have_count(2)
        expect(pending.first).to_contain_text("not sent yet", timeout=15_000)
        agent_context.set_offline(False)
        agent.evaluate("window.dispatchEvent(new Event('online'))")
        expect(pending).to_have_count(0, timeout=30_000)
        want = ["first reply, written offline", "second reply, also offline"]
        expect(agent.locator("li.agent:not(.pending)")).to_have_count(2, timeout=15_000)
        assert _agent_lines(agent) == want
        from_agent = lambda f: f["type"] == "message" and f["sender"] == "agent"  # noqa: E731
        got = [customer.wait_for(from_agent)["text"] for _ in want]
        assert got == want

        agent_context.set_offline(True)  # the customer writes while the agent is away
        agent.evaluate("window.dispatchEvent(new Event('offline'))")
        customer.send("are you still there?")
        agent.wait_for_timeout(500)
        agent_context.set_offline(False)
        agent.evaluate("window.dispatchEvent(new Event('online'))")
        transcript = agent.get_by_role("list", name="Transcript")
        expect(transcript.locator("li.customer", has_text="are you still there?")).to_have_count(
            1, timeout=30_000
        )
        agent.wait_for_timeout(1500)  # nothing arrives twice later
        assert _agent_lines(agent) == want
        customer.socket.close()
        texts = [m["text"] for m in httpx.get(
            f"{stack.base_url}/v1/agent/tickets/{ticket_id}", headers=stack.login("dave"),
            timeout=30).json()["transcript"] if m["sender"] == "agent"]  # fmt: skip
        assert texts == want
        assert agent.evaluate("document.querySelectorAll('#pane img').length") == 0
        assert dialogs == []
        agent.get_by_role("button", name="Resolve").click()
        expect(agent.locator("#pane > p.meta").first).to_contain_text("resolved", timeout=15_000)
        agent.get_by_role("button", name="Suggest as a KB article").click()
        expect(agent.locator("#pane")).to_contain_text("created for the editors", timeout=15_000)
        agent.get_by_label("Presence").select_option("offline")
    finally:
        agent_context.close()
        lead_context.close()


def test_an_agent_works_a_ticket_with_the_keyboard_alone(page: Page, stack: Stack) -> None:
    """n takes the next ticket, r opens the reply, Ctrl+Enter sends, Esc leaves the box, d
    resolves; the customer gets the reply and the resolution."""
    email, password = _an_l1_agent_alone(stack)
    with httpx.Client(base_url=stack.base_url, headers=stack.login("dave"), timeout=30) as lead:
        queued = lead.get("/v1/agent/tickets?status=queued&limit=200").json()["items"]
        for ticket in queued:  # other tests' leftovers would come first
            lead.post(f"/v1/agent/tickets/{ticket['id']}/return-to-bot")
    customer = Customer(stack.ws_url, open_session(stack.base_url, language="en")["token"])
    try:
        ticket_id = customer.ask("I need a human please")["payload"]["ticket_id"]
        page.goto(stack.base_url + "/console")
        page.keyboard.type(email)  # the email field has the focus
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        page.locator("body").focus()
        page.keyboard.press("n")
        expect(page.get_by_role("heading", name=f"#{ticket_id} ·")).to_be_focused(timeout=15_000)
        page.keyboard.press("r")
        expect(page.get_by_label("Reply to the customer")).to_be_focused()
        page.keyboard.type("Hello, I am here to help.")
        page.keyboard.press("Control+Enter")
        said = customer.wait_for(lambda f: f["type"] == "message" and f["sender"] == "agent")
        assert said["text"] == "Hello, I am here to help."
        page.keyboard.press("Escape")
        page.keyboard.press("d")
        expect(page.locator("#pane > p.meta").first).to_contain_text("resolved", timeout=15_000)
        asked = customer.wait_for(lambda f: f["type"] == "message" and "csat" in f["payload"])
        assert asked["payload"]["csat"]["ticket_id"] == ticket_id
    finally:
        customer.close()


def test_a_lead_sees_the_team_plans_and_figures(page: Page, stack: Stack) -> None:
    _log_in(page, stack, AGENTS["lena"][0])
    page.get_by_role("button", name="Team", exact=True).click()
    team = page.get_by_role("table", name="Team")
    expect(team).to_contain_text("theo-l3", timeout=15_000)
    expect(page.get_by_role("button", name="Add an agent")).to_have_count(0)  # admins only
    page.get_by_role("button", name="Plans and SLA").click()
    expect(page.get_by_role("heading", name="premium")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("table", name="premium: targets in business time")).to_contain_text(
        "First response"
    )
    page.get_by_role("button", name="Reports").click()
    backlog = page.get_by_role("table", name="Backlog per tier")
    expect(backlog).to_contain_text("L3", timeout=15_000)
    # the report's charts: drawn by Chart.js (served from the npm lock), each with its table
    expect(page.locator("figure.chart figcaption").first).to_have_text("Conversations by outcome")
    charts = page.locator("figure.chart")
    assert charts.count() >= 8
    drawn = page.evaluate("Object.keys(globalThis.Chart ? Chart.instances : {}).length")
    assert drawn == charts.count()
    assert page.locator("figure.chart canvas").first.bounding_box()["height"] > 100  # type: ignore[index]
    expect(
        page.get_by_role("term").filter(has_text=re.compile(r"^Bot containment, confirmed$"))
    ).to_have_count(1)
    expect(page.get_by_role("table", name=re.compile("^Mail kept aside"))).to_be_visible()
    with page.expect_download() as saving:  # the same report as one file, fetched with the token
        page.get_by_role("button", name="Download the HTML report").click()
    assert saving.value.suggested_filename.startswith("tierzero-report-")
    with open(saving.value.path(), encoding="utf-8") as saved:
        assert 'id="chart-specs"' in saved.read()  # the charts it draws when opened
    page.get_by_label("Figures per").select_option("tier")  # one dimension at a time
    expect(page.get_by_role("table", name="Tickets per tier")).to_contain_text("Tickets created")
    assert "null" not in page.locator("#main").inner_text() and "undefined" not in page.content()
    page.get_by_label("Language", exact=True).select_option("el")  # the agent's choice, kept
    expect(page.get_by_role("button", name="Αναφορές")).to_be_visible()
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "el")
    page.get_by_label("Γλώσσα", exact=True).select_option("en")


# a question the demo KB has no answer for, asked three ways
UNKNOWN = ("do you have parental controls", "how can I block adult websites for my kids",
           "is there a parental control feature for children")  # fmt: skip


def _ask(stack: Stack, text: str) -> dict[str, object]:
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        return customer.ask(text)
    finally:
        customer.close()


def test_an_editor_turns_unanswered_questions_into_an_article_the_bot_then_uses(
    page: Page, stack: Stack
) -> None:
    """The bot could not answer three customers; the editor finds their questions as one topic
    ("missing content"), makes a draft article from them, publishes it, and the next customer
    who asks gets the answer."""
    for text in UNKNOWN:  # the bot offers a person, or a choice of (wrong) articles
        assert _ask(stack, text)["payload"]["kind"] in ("offer_person", "clarify")  # type: ignore[index]
    key = f"parental-{uuid.uuid4().hex[:6]}"
    _log_in(page, stack, AGENTS["eve"][0])
    page.get_by_role("button", name="Unanswered").click()
    cluster = page.locator("article.cluster", has_text=UNKNOWN[0]).first
    expect(cluster).to_be_visible(timeout=30_000)
    expect(cluster).to_contain_text("missing content")
    # the two that share words at least (the stack searches without dense vectors, so the
    # clusters come from character n-grams)
    assert int(cluster.get_attribute("data-count") or 0) >= 2
    cluster.get_by_text("New draft article from these questions").click()
    cluster.get_by_label("Key of the new article").fill(key)
    cluster.get_by_label("Title").fill("Parental controls")
    cluster.get_by_label("Answer (Markdown)").fill(
        "Turn on parental controls in the Nimbus app: Settings, Family."
    )
    cluster.get_by_role("button", name="Make the draft").click()
    expect(cluster.get_by_role("status")).to_contain_text(f"Draft {key} made", timeout=15_000)
    page.get_by_role("button", name="Articles", exact=True).click()
    page.get_by_label("Search articles").fill(key)
    page.get_by_label("Search articles").press("Enter")
    page.get_by_role("button", name=key).click()
    expect(page.get_by_label("Example questions")).to_have_value(re.compile("parental"))
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_role("status")).to_contain_text("is live", timeout=15_000)
    try:
        reply = _ask(stack, "do you have parental controls?")
        assert reply["payload"]["kind"] == "answer", reply  # type: ignore[index]
        assert "Settings, Family" in str(reply["text"])
    finally:
        with httpx.Client(base_url=stack.base_url, headers=stack.login("eve"), timeout=30) as kb:
            found = kb.get("/v1/kb/articles", params={"q": key}).json()["items"]
            for article in found:
                kb.post(f"/v1/kb/articles/{article['id']}/translations/en/archive")
