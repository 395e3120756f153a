"""Accessibility, checked by axe-core (from npm, installed by the Makefile from the lock file,
injected by the test) on the widget closed, open with an answer, and handed off, and on the help
centre's pages; and a keyboard-only journey through the widget. No serious or critical
violation of WCAG 2.x A/AA is allowed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.stack import AGENTS, PASSWORD, Stack
from tests.widget_client import Customer, open_session
from tierzero.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # the test injects axe itself; the pages' CSP (no inline script) would refuse it otherwise
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def serious(page: Page) -> list[str]:
    """Serious and critical axe violations on the page as it is now (shadow roots included)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))",
        TAGS,
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found
            if v["impact"] in ("serious", "critical")]  # fmt: skip


def test_the_widget_closed_open_and_handed_off(page: Page, stack: Stack) -> None:
    page.goto(stack.base_url + "/")
    expect(page.get_by_test_id("tz-launch")).to_be_visible(timeout=15_000)
    assert serious(page) == []
    page.get_by_test_id("tz-launch").click()
    expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)
    page.get_by_label("Message").fill("how do I reset my password")
    page.keyboard.press("Enter")
    expect(page.locator("a.tz-article").first).to_be_visible(timeout=30_000)
    assert serious(page) == []
    page.get_by_label("Message").fill("operator please")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("tz-queue")).to_be_visible(timeout=30_000)
    assert serious(page) == []
    page.get_by_role("button", name="Leave the queue").click()


@pytest.mark.parametrize(
    "path",
    ["/help/en/", "/help/el/articles/password-reset", "/help/sr-cyrl/categories/account",
     "/help/en/search?q=what+is+the+boiling+point+of+mercury"],
)  # fmt: skip
def test_help_centre_pages(page: Page, stack: Stack, path: str) -> None:
    page.goto(stack.base_url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert serious(page) == []


def test_a_keyboard_only_journey_through_the_widget(page: Page, stack: Stack) -> None:
    page.goto(stack.base_url + "/")
    launch = page.get_by_test_id("tz-launch")
    expect(launch).to_be_visible(timeout=15_000)
    for _ in range(60):  # Tab through the page until the launcher has the focus
        page.keyboard.press("Tab")
        if launch.evaluate("e => e.getRootNode().activeElement === e"):
            break
    expect(launch).to_be_focused()
    page.keyboard.press("Enter")
    message = page.get_by_label("Message")
    expect(message).to_be_focused()
    page.keyboard.type("how do I reset my password")
    page.keyboard.press("Enter")
    no = page.locator(".tz-buttons button", has_text="No").last
    expect(no).to_be_visible(timeout=30_000)
    no.focus()
    page.keyboard.press("Enter")
    yes = page.locator(".tz-buttons button", has_text="Yes").last
    expect(yes).to_be_visible(timeout=30_000)
    yes.focus()
    page.keyboard.press("Enter")
    leave = page.get_by_role("button", name="Leave the queue")
    expect(leave).to_be_visible(timeout=30_000)
    leave.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".tz-msg.tz-system", has_text="You left the queue")).to_be_visible(
        timeout=15_000
    )
    page.keyboard.press("Escape")
    expect(launch).to_be_focused()


def test_the_console_login_queue_conversation_and_article_editor(page: Page, stack: Stack) -> None:
    session = open_session(stack.base_url, language="en")
    customer = Customer(stack.ws_url, session["token"])
    try:
        ticket_id = customer.ask("operator please")["payload"]["ticket_id"]
    finally:
        customer.close()
    page.goto(stack.base_url + "/console")
    expect(page.get_by_label("Email")).to_be_visible()
    assert serious(page) == []
    page.get_by_label("Email").fill(AGENTS["dave"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    assert serious(page) == []
    try:
        page.locator("#queue button.open", has_text=f"#{ticket_id} ").click()
        expect(page.get_by_role("list", name="Transcript")).to_contain_text("operator please")
        assert serious(page) == []
        page.get_by_role("button", name="Articles").click()  # an admin also edits the KB
        page.get_by_role("button", name="password-reset").click()
        expect(page.get_by_label("Answer (Markdown)")).to_be_visible()
        expect(page.get_by_role("region", name="Preview")).not_to_be_empty()
        assert serious(page) == []
        screens = (
            ("Team", "lena-lead"),
            ("Plans and SLA", "premium"),
            ("Reports", "L1"),
            ("Unanswered", "Answers agents flagged"),
        )
        for screen, ready in screens:
            page.get_by_role("button", name=screen, exact=True).click()
            expect(page.locator("#main")).to_contain_text(ready, timeout=15_000)
            assert serious(page) == [], screen
    finally:  # later tests count the queue: this ticket goes back to the bot
        httpx.post(f"{stack.base_url}/v1/agent/tickets/{ticket_id}/return-to-bot",
                   headers=stack.login("dave"), timeout=30)  # fmt: skip
