"""The widget in real headless Chromium on the demo page: ask, get the article, reach a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.stack import Stack, a_past_wednesday

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def _send(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


class TestWidget:
    def test_customer_gets_an_article_and_reaches_a_person(self, page: Page, stack: Stack) -> None:
        page.goto(stack.base_url + "/")
        expect(page).to_have_title("Nimbus Net — broadband and cloud for your home and team")
        page.get_by_test_id("tz-launch").click()
        expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)

        _send(page, "how do I reset my password")
        link = page.locator("a.tz-article").first
        expect(link).to_be_visible(timeout=30_000)
        assert "password-reset" in (link.get_attribute("href") or "")
        answer = page.locator(".tz-msg.tz-bot", has=page.locator("a.tz-article")).first
        assert answer.locator("ol li").count() >= 2  # the article's steps render as a list
        assert "**" not in answer.inner_text()

        page.locator(".tz-buttons button", has_text="No").last.click()
        yes = page.locator(".tz-buttons button", has_text="Yes").last
        expect(yes).to_be_visible(timeout=30_000)
        yes.click()
        expect(page.locator(".tz-msg.tz-bot", has_text="ticket #")).to_be_visible(timeout=30_000)
        # waiting for a person: the place in the queue shows, and leaving it returns to the bot
        queue = page.get_by_test_id("tz-queue")
        expect(queue).to_contain_text("in the queue", timeout=30_000)
        leave = page.get_by_role("button", name="Leave the queue")
        leave.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".tz-msg.tz-system", has_text="You left the queue")).to_be_visible(
            timeout=15_000
        )
        expect(queue).to_be_hidden(timeout=15_000)

    def test_user_text_is_rendered_as_text(self, page: Page, stack: Stack) -> None:
        page.goto(stack.base_url + "/")
        page.get_by_test_id("tz-launch").click()
        expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)
        hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
        _send(page, hostile)
        expect(page.locator(".tz-msg.tz-customer", has_text=hostile)).to_be_visible(timeout=15_000)
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator(".tz-log img").count() == 0

    def test_history_survives_a_page_reload(self, page: Page, stack: Stack) -> None:
        page.goto(stack.base_url + "/")
        page.get_by_test_id("tz-launch").click()
        _send(page, "what plans do you have?")
        expect(page.locator(".tz-msg.tz-bot").first).to_be_visible(timeout=30_000)
        page.reload()
        page.get_by_test_id("tz-launch").click()
        expect(
            page.locator(".tz-msg.tz-customer", has_text="what plans do you have?")
        ).to_be_visible(timeout=15_000)


class TestRating:
    def test_after_resolution_the_customer_rates_with_the_keyboard(
        self, page: Page, stack: Stack
    ) -> None:
        import httpx

        page.goto(stack.base_url + "/")
        page.get_by_test_id("tz-launch").click()
        expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)
        _send(page, "operator please")
        expect(page.locator(".tz-msg.tz-bot", has_text="ticket #")).to_be_visible(timeout=30_000)
        text = page.locator(".tz-msg.tz-bot", has_text="ticket #").inner_text()
        ticket_id = int(text.split("#")[1].split(")")[0])
        admin = stack.login("dave")
        with httpx.Client(base_url=stack.base_url, headers=admin, timeout=30) as api:
            assert api.post(f"/v1/agent/tickets/{ticket_id}/claim").status_code == 200
            assert api.post(f"/v1/agent/tickets/{ticket_id}/resolve").status_code == 200
            rating = page.get_by_test_id("tz-csat")
            expect(rating).to_be_visible(timeout=15_000)
            page.get_by_label("Anything to add? (optional)").fill("quick and kind")
            four = rating.get_by_role("button", name="4 / 5")
            four.focus()
            page.keyboard.press("Enter")
            expect(four).to_have_attribute("aria-pressed", "true", timeout=15_000)
            ticket = api.get(f"/v1/agent/tickets/{ticket_id}").json()
            assert (ticket["csat_score"], ticket["csat_comment"]) == (4, "quick and kind")


class TestNobodyClaimed:
    def test_the_customer_is_told_and_leaves_an_email_from_the_keyboard(
        self, page: Page, stack: Stack
    ) -> None:
        import httpx

        start = a_past_wednesday(10)
        stack.set_clock(start)
        alice = stack.login("alice")  # an L1 agent online who does not take the chat
        with httpx.Client(base_url=stack.base_url, headers=alice, timeout=30) as api:
            api.put("/v1/agent/me/presence", json={"presence": "online"}).raise_for_status()
            try:
                page.goto(stack.base_url + "/")
                page.get_by_test_id("tz-launch").click()
                expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)
                _send(page, "operator please")
                expect(page.locator(".tz-msg.tz-bot", has_text="ticket #")).to_be_visible(
                    timeout=30_000
                )
                expect(page.get_by_test_id("tz-email")).to_have_count(0)  # live: no email yet
                stack.set_clock(start + timedelta(minutes=10, seconds=30))
                told = page.locator(".tz-msg.tz-system", has_text="nobody from our team")
                expect(told).to_be_visible(timeout=15_000)
                email = page.get_by_label("Your email address")
                email.focus()
                page.keyboard.type("ann@example.com")
                page.keyboard.press("Enter")
                expect(page.locator(".tz-msg.tz-system", has_text="ann@example.com")).to_be_visible(
                    timeout=15_000
                )
                expect(page.get_by_test_id("tz-email")).to_have_count(0)
            finally:
                api.put("/v1/agent/me/presence", json={"presence": "offline"})
                handed = page.locator(".tz-msg.tz-bot", has_text="ticket #")
                if handed.count():  # back to the bot: later tests find their own tickets first
                    ticket_id = int(handed.first.inner_text().split("#")[1].split(")")[0])
                    httpx.post(f"{stack.base_url}/v1/agent/tickets/{ticket_id}/return-to-bot",
                               headers=stack.login("dave"), timeout=30)  # fmt: skip
                stack.set_clock(None)
