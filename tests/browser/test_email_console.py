"""An agent answers an email in the console: the customer's chats and mail side by side in
their history, their file downloaded with the agent's token, the reply arriving threaded in the
customer's mailbox and its delivery shown in the transcript."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from handoff.identity import user_hash
from tests.browser.conftest import watched_page
from tests.browser.test_console import _an_l1_agent_alone, _log_in
from tests.stack import DESK_ADDRESS, IDENTITY_SECRET, Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from watched_page(browser, accept_downloads=True)


def test_an_agent_answers_a_known_customers_email_beside_their_chats(
    page: Page, stack: Stack
) -> None:
    assert stack.mail is not None
    email, password = _an_l1_agent_alone(stack)
    external_id = f"mail-{uuid.uuid4().hex[:8]}"
    address = f"{external_id}@example.org"
    with httpx.Client(base_url=stack.base_url, headers=stack.login("lena"), timeout=30) as lead:
        made = lead.put(f"/v1/agent/customers/external/{external_id}",
                        json={"email": address, "name": "Maja Mail"})  # fmt: skip
        assert made.status_code == 200, made.text
    # the customer chats first (signed in on the website) …
    signed = open_session(stack.base_url, language="en", user_id=external_id,
                          user_hash=user_hash(IDENTITY_SECRET, external_id))  # fmt: skip
    chat = Customer(stack.ws_url, signed["token"])
    try:
        chat.ask("how do I reset my password")
    finally:
        chat.close()
    # … then writes a long email with a file (a case, not a question): it goes to a person
    message = EmailMessage()
    message["From"] = f"Maja Mail <{address}>"
    message["To"] = DESK_ADDRESS
    message["Subject"] = "Strange noise from the modem"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content("Since Monday my modem buzzes loudly every evening and the connection "
                        "drops for a minute each time. The log is attached. " * 8
                        + "\n\nOn Mon, Nimbus Support wrote:\n> an earlier answer")  # fmt: skip
    message.add_attachment(b"19:02 link down\n19:03 link up\n", maintype="text",
                           subtype="plain", filename="modem.log")  # fmt: skip
    host, _, port = stack.settings.smtp_listen.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=30) as client:
        client.sendmail(address, [DESK_ADDRESS], message.as_bytes(policy=SMTP))

    _log_in(page, stack, email, password)
    page.get_by_label("Presence").select_option("online")
    offer = page.get_by_test_id("offer").filter(has_text="Strange noise from the modem")
    expect(offer).to_be_visible(timeout=30_000)
    offer.get_by_role("button", name="Accept").click()
    expect(page.locator("#pane > p.meta").first).to_contain_text("email", timeout=15_000)
    transcript = page.get_by_role("list", name="Transcript")
    expect(transcript).to_contain_text(f"by email from {address}", timeout=15_000)
    expect(transcript).to_contain_text("the connection drops for a minute")
    assert "an earlier answer" not in transcript.inner_text()  # the quote is cut …
    transcript.get_by_text("The whole mail").click()  # … and one click away
    expect(transcript.locator(".whole-mail pre")).to_contain_text("> an earlier answer")
    story = page.locator(".panel.customer")
    expect(story).to_contain_text("1 email", timeout=15_000)  # one customer, one story
    expect(story).to_contain_text("1 chat")
    expect(story).to_contain_text("Maja Mail")

    with page.expect_download() as downloading:
        transcript.get_by_role("button", name="modem.log").click()
    saved = downloading.value
    assert saved.suggested_filename == "modem.log"
    with open(saved.path(), "rb") as downloaded:
        assert downloaded.read() == b"19:02 link down\n19:03 link up\n"

    stack.mail.wait_for(address, 1)  # the receipt
    stack.mail.stop()  # the outgoing server is down: the agent sees the reply waiting …
    try:
        page.get_by_label("Reply to the customer").fill("Please send us the modem's serial number.")
        page.get_by_role("button", name="Send reply").click()
        waiting = transcript.locator(".delivery.waiting")
        expect(waiting).to_contain_text(f"not sent yet to {address}", timeout=15_000)
        expect(waiting.get_by_role("button", name="Send again")).to_be_visible()
    finally:
        stack.mail.start()  # … and sees it sent once the server is back, without a reload
    mails = stack.mail.wait_for(address, 2)  # the receipt, then the agent's reply
    answer = mails[-1].message
    assert answer["In-Reply-To"] == message["Message-ID"]
    assert "Casey Console" in str(answer["From"])
    assert "Please send us the modem's serial number." in mails[-1].text()
    expect(transcript.locator("li.agent .delivery.sent")).to_contain_text(f"sent to {address}",
                                                                      timeout=15_000)  # fmt: skip
    page.get_by_label("Presence").select_option("offline")
