"""The help centre in real headless Chromium: browse, search in Greek, switch to Serbian Latin,
rate an article from the keyboard, and open the chat from the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import watched_page
from tests.stack import Stack

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from watched_page(browser, locale="el-GR")


def test_browse_search_switch_language_rate_and_chat(page: Page, stack: Stack) -> None:
    page.goto(stack.base_url + "/help")
    expect(page).to_have_url(stack.base_url + "/help/el/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Κέντρο βοήθειας")
    page.get_by_role("link", name="Λογαριασμός & σύνδεση").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Λογαριασμός & σύνδεση")

    search = page.get_by_role("searchbox", name="Αναζήτηση στο κέντρο βοήθειας")
    search.fill("ξέχασα τον κωδικό μου")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ξέχασα τον κωδικό μου")
    page.locator("main .articles a").first.click()
    expect(page).to_have_url(stack.base_url + "/help/el/articles/password-reset")

    page.get_by_role("navigation", name="Γλώσσα").get_by_role(
        "link", name="Srpski (latinica)"
    ).click()
    expect(page).to_have_url(stack.base_url + "/help/sr-latn/articles/password-reset")
    expect(page.locator("html")).to_have_attribute("lang", "sr-Latn")
    title = page.get_by_role("heading", level=1).inner_text()
    assert title and all(not ("а" <= ch <= "я") for ch in title.lower())

    yes = page.get_by_role("button", name="Da", exact=True)
    yes.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Hvala na povratnoj informaciji.")

    page.get_by_role("button", name="Pišite nam").click()
    expect(page.locator(".tz-panel.tz-open")).to_be_visible()
    # the chat speaks the page's language
    expect(page.locator(".tz-status")).to_have_text("na vezi", timeout=15_000)
    expect(page.get_by_role("textbox", name="Poruka")).to_be_focused()
