"""`make screenshots`: start a throwaway stack (its own SQLite database under var/screenshots)
and write PNGs of the widget, the help centre and the console to docs/img/ for the README."""

from __future__ import annotations

import shutil
import uuid

from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.stack import AGENTS, PASSWORD, Stack, prepare, start
from tests.widget_client import Customer, open_session
from tierzero import migrate
from tierzero.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "docs" / "img"


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"wrote docs/img/{name}.png")


def widget(page: Page, stack: Stack) -> None:
    page.goto(stack.base_url + "/")
    page.get_by_test_id("tz-launch").click()
    expect(page.locator(".tz-status")).to_have_text("online", timeout=30_000)
    page.get_by_label("Message").fill("how do I reset my password")
    page.keyboard.press("Enter")
    expect(page.locator("a.tz-article").first).to_be_visible(timeout=30_000)
    shoot(page, "widget-answer")
    page.get_by_label("Message").fill("I'd like to talk to a person")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("tz-queue")).to_be_visible(timeout=30_000)
    shoot(page, "widget-handed-off")


def help_centre(page: Page, stack: Stack) -> None:
    page.goto(stack.base_url + "/help/en/")
    shoot(page, "help-centre")
    page.goto(stack.base_url + "/help/el/articles/password-reset")
    shoot(page, "help-article-greek")


def console(page: Page, stack: Stack) -> None:
    session = open_session(stack.base_url, language="el")
    customer = Customer(stack.ws_url, session["token"])
    try:
        customer.ask("Πώς αλλάζω τον κωδικό πρόσβασης;")
        ticket_id = customer.ask("θέλω να μιλήσω με άνθρωπο")["payload"]["ticket_id"]
    finally:
        customer.close()
    page.goto(stack.base_url + "/console")
    shoot(page, "console-login")
    page.get_by_label("Email").fill(AGENTS["dave"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#queue button.open", has_text=f"#{ticket_id} ").click()
    expect(page.get_by_text("Suggested answers")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(1000)
    shoot(page, "console-conversation")
    page.get_by_role("button", name="Articles").click()
    page.get_by_role("button", name="password-reset").click()
    page.get_by_label("A customer's question").fill("forgot my password")
    page.wait_for_timeout(1500)
    shoot(page, "console-editor")
    for screen, name in (("Team", "console-team"), ("Plans and SLA", "console-plans"),
                         ("Reports", "console-reports")):  # fmt: skip
        page.get_by_role("button", name=screen, exact=True).click()
        expect(page.locator("#main table").first).to_be_visible(timeout=15_000)
        page.wait_for_timeout(500)
        shoot(page, name, full_page=name != "console-team")
    page.get_by_label("Language").select_option("sr-cyrl")  # the agent's own language
    page.locator("nav.screens button").first.click()  # the desk
    expect(page.locator("#queue")).to_be_visible(timeout=15_000)
    page.locator("#queue button.open", has_text=f"#{ticket_id} ").click()
    page.wait_for_timeout(1500)
    shoot(page, "console-desk-serbian")
    page.locator("#ui-language").select_option("en")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    var = PROJECT_ROOT / "var" / "screenshots" / uuid.uuid4().hex[:8]
    var.mkdir(parents=True)
    url = f"sqlite:///{var / 'tierzero.db'}"
    migrate.upgrade(url)
    stack = start(prepare(var, url))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for shot in (widget, help_centre, console):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                shot(context.new_page(), stack)
                context.close()
            browser.close()
    finally:
        stack.supervisor.stop()
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
