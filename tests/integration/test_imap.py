"""The mailbox poll against a real IMAP server (pymap, in-memory backend, on loopback): unseen
mail is fetched without being marked, stored through the real inbound flow and database, then
marked seen; a second poll fetches nothing, a message fetched again is stored once, and an
over-size message is left in the mailbox."""

from __future__ import annotations

import imaplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handoff.models import Message
from mail.imap import Mailbox
from mail.inbound import Desk, receive
from mail.models import Email
from tests.stack import free_port
from tests.unit.handoff.builders import HUB
from tests.unit.mail.test_inbound import policy

pytestmark = pytest.mark.integration
USER, PASSWORD = "demouser", "demopass"


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    port = free_port()
    pymap = Path(sys.executable).parent / "pymap"
    process = subprocess.Popen(
        [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                imaplib.IMAP4("127.0.0.1", port, timeout=2).logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def deliver(port: int, raw: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    client.append('"INBOX"', None, None, raw)
    client.logout()


def unseen(port: int) -> int:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    client.select('"INBOX"')
    _, found = client.uid("SEARCH", "UNSEEN")
    client.logout()
    return len((found[0] or b"").split())


def a_mail(sender: str, text: str) -> bytes:
    built = EmailMessage()
    built["From"] = sender
    built["To"] = "support@nimbus.test"
    built["Subject"] = "By the mailbox"
    built["Message-ID"] = make_msgid(domain="example.org")
    built.set_content(text, charset="koi8-r")
    return built.as_bytes(policy=SMTP)


def test_the_poll_stores_unseen_mail_once_and_marks_it_seen(server: int, session: Session) -> None:
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                           expire_on_commit=False)  # fmt: skip
    desk = Desk(session_factory=factory, hub=HUB, policy=policy(), secret="imap-test",
                search=None, own_addresses=frozenset({"support@nimbus.test"}),
                max_attachment=1024 * 1024, per_sender_per_hour=20)  # fmt: skip
    mailbox = Mailbox.from_url(f"imap://{USER}:{PASSWORD}@127.0.0.1:{server}/INBOX")
    first = a_mail("olga@example.ru", "Здравствуйте, интернет пропадает каждый вечер. " * 20)
    deliver(server, first)
    deliver(server, a_mail("huge@example.org", "x" * 200_000))

    handed = mailbox.poll(lambda raw: receive(desk, raw), max_bytes=100_000)
    assert handed == 1 and unseen(server) == 0  # the huge one is marked seen, left in the box
    assert mailbox.poll(lambda raw: receive(desk, raw), max_bytes=100_000) == 0
    deliver(server, first)  # the same message again (a stop between storing and marking)
    assert mailbox.poll(lambda raw: receive(desk, raw), max_bytes=100_000) == 1
    (stored,) = session.scalars(select(Email).where(Email.from_address == "olga@example.ru"))
    said = session.scalars(
        select(Message.text).where(Message.conversation_id == stored.conversation_id)
    ).first()
    assert said is not None and said.startswith("Здравствуйте, интернет пропадает")
    assert (
        session.scalars(select(Email).where(Email.from_address == "huge@example.org")).all() == []
    )


def test_a_wrong_password_is_an_error_not_a_silent_success(server: int) -> None:
    mailbox = Mailbox.from_url(f"imap://{USER}:wrong@127.0.0.1:{server}/INBOX")
    with pytest.raises(imaplib.IMAP4.error):
        mailbox.poll(lambda raw: None, max_bytes=1000)
