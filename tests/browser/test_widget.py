"""The widget in real headless Chromium on the demo page: ask, get the article, reach a person."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


HOSTILE = """<!doctype html><html lang="en" dir="{dir}"><head><title>Hostile host</title>
<style>* {{ font-size: 2px !important; color: red !important; line-height: 0 !important }}
body * {{ display: none !important }} button {{ all: unset !important }}
div {{ position: static !important; z-index: -1 !important }}</style></head>
<body><p>A page whose styles would break any widget that shares them.</p>
<script src="{base}/widget.js" data-tierzero-key="test" async></script></body></html>"""


@contextmanager
def _company_site(stack: Stack, *, direction: str = "ltr") -> Iterator[str]:
    """The company's own website on another origin (a second port), embedding the widget with
    one tag under a stylesheet out to break it."""
    body = HOSTILE.format(base=stack.base_url, dir=direction).encode()

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


class TestWidgetOnAnyPage:
    def test_a_hostile_stylesheet_does_not_reach_it_and_the_chat_loads_on_first_click(
        self, page: Page, stack: Stack
    ) -> None:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        with _company_site(stack) as site:
            page.goto(site)
        launch = page.get_by_test_id("tz-launch")
        expect(launch).to_be_visible(timeout=15_000)
        box = launch.bounding_box()
        assert box is not None and box["height"] >= 36 and box["width"] >= 80
        assert launch.evaluate("e => getComputedStyle(e).fontSize") == "15px"
        assert not [u for u in requested if u.endswith("/chat.js")]  # tiny until opened
        launch.click()
        expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)
        assert [u for u in requested if u.endswith("/static/widget/chat.js")]
        _send(page, "how do I reset my password")
        expect(page.locator("a.tz-article").first).to_be_visible(timeout=30_000)
        page.keyboard.press("Escape")  # closes, focus back on the launcher
        expect(page.locator(".tz-panel.tz-open")).to_have_count(0)
        expect(launch).to_be_focused()

    def test_right_to_left_pages_and_phones(self, browser: Browser, stack: Stack) -> None:
        context = browser.new_context(viewport={"width": 375, "height": 667})
        try:
            page = context.new_page()
            with _company_site(stack, direction="rtl") as site:
                page.goto(site)
            launch = page.get_by_test_id("tz-launch")
            expect(launch).to_be_visible(timeout=15_000)
            box = launch.bounding_box()
            assert box is not None and box["x"] < 375 / 2  # the inline end of an RTL page
            launch.click()
            panel = page.locator(".tz-panel.tz-open")
            expect(panel).to_be_visible()
            shape = panel.bounding_box()
            assert shape is not None and shape["width"] == 375 and shape["height"] == 667
        finally:
            context.close()

    def test_messages_sent_while_offline_arrive_once_and_in_order(
        self, browser: Browser, stack: Stack
    ) -> None:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(stack.base_url + "/")
            page.get_by_test_id("tz-launch").click()
            expect(page.locator(".tz-status")).to_have_text("online", timeout=15_000)
            _send(page, "first, before the network drops")
            expect(page.locator(".tz-msg.tz-bot").first).to_be_visible(timeout=30_000)
            context.set_offline(True)
            page.evaluate("window.dispatchEvent(new Event('offline'))")
            expect(page.locator(".tz-status")).to_contain_text("offline", timeout=15_000)
            _send(page, "second, written offline")
            _send(page, "third, also offline")
            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            expect(page.locator(".tz-status")).to_have_text("online", timeout=30_000)
            mine = page.locator(".tz-msg.tz-customer")
            expect(mine).to_have_count(3, timeout=30_000)
            assert mine.all_inner_texts() == [
                "first, before the network drops",
                "second, written offline",
                "third, also offline",
            ]
            page.wait_for_timeout(1500)  # nothing arrives twice later
            expect(mine).to_have_count(3)
        finally:
            context.close()
