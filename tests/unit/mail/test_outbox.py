"""The outbox on a real database and real SMTP servers on loopback: one sender per mail, tries
with backoff until the server takes it, a refusal that is final, a worker that died mid-send."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from mail import outbox
from mail.listener import Handler
from mail.models import Email
from tests.mail_sink import MailSink
from tests.stack import free_port
from tierzero.db import utcnow

RAW = b"From: support@nimbus.test\r\nTo: ana@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def queued(session: Session, to: str = "ana@example.org") -> Email:
    email = Email(direction="out", message_id=f"out-{id(object())}-{utcnow().timestamp()}@t",
                  to_address=to, status="queued", next_attempt_at=utcnow(), raw=RAW)  # fmt: skip
    session.add(email)
    session.flush()
    return email


@pytest.fixture
def sink() -> Iterator[MailSink]:
    running = MailSink(free_port())
    running.start()
    yield running
    running.stop()


def test_a_mail_is_claimed_once_and_sent(session: Session, sink: MailSink) -> None:
    email = queued(session)
    now = utcnow()
    assert email.id in outbox.due(session, now)
    claimed = outbox.claim(session, email.id, now)
    assert claimed is not None and claimed.status == "sending" and claimed.attempts == 1
    assert outbox.claim(session, email.id, now) is None  # the other worker does not get it
    assert email.id not in outbox.due(session, now)
    outbox.Server.from_url(sink.url).send(RAW, sender="support@nimbus.test", to="ana@example.org")
    outbox.settle(session, claimed, now, error=None, base_seconds=60, max_attempts=3)
    assert claimed.status == "sent" and claimed.sent_at == now
    assert [d.rcpt_tos for d in sink.delivered] == [("ana@example.org",)]


def test_a_worker_that_died_mid_send_leaves_the_mail_due_after_its_lease(session: Session) -> None:
    email = queued(session)
    now = utcnow()
    assert outbox.claim(session, email.id, now) is not None
    assert email.id not in outbox.due(session, now + outbox.LEASE - timedelta(seconds=1))
    later = now + outbox.LEASE + timedelta(seconds=1)
    assert email.id in outbox.due(session, later)
    again = outbox.claim(session, email.id, later)
    assert again is not None and again.attempts == 2


def test_a_server_that_is_down_means_tries_with_doubling_waits_then_failed(
    session: Session,
) -> None:
    server = outbox.Server.from_url(f"smtp://127.0.0.1:{free_port()}")  # nothing listens
    email = queued(session)
    now = utcnow()
    waits = []
    for _ in range(4):
        claimed = outbox.claim(session, email.id, now)
        assert claimed is not None
        with pytest.raises(outbox.SendFailed) as failed:
            server.send(RAW, sender="support@nimbus.test", to="ana@example.org", timeout=2)
        assert not failed.value.permanent
        outbox.settle(session, claimed, now, error=failed.value, base_seconds=30, max_attempts=4)
        if claimed.next_attempt_at is not None:
            waits.append((claimed.next_attempt_at - now).total_seconds())
            now = claimed.next_attempt_at
    assert waits == [30, 60, 120]
    assert email.status == "failed" and "ConnectionRefusedError" in (email.reason or "")
    outbox.retry_now(session, email, now)  # the agent asks for another try
    assert email.status == "queued" and email.attempts == 0 and email.id in outbox.due(session, now)


def test_backoff_is_capped_at_an_hour() -> None:
    assert outbox.backoff(1, 60) == timedelta(seconds=60)
    assert outbox.backoff(20, 60) == outbox.MAX_BACKOFF


def test_a_final_refusal_fails_at_once(session: Session) -> None:
    async def accept(raw: bytes, sender: str | None) -> None:
        return None

    controller = Controller(Handler(accept, frozenset({"support@nimbus.test"})),
                            hostname="127.0.0.1", port=free_port())  # fmt: skip
    controller.start()
    try:
        server = outbox.Server.from_url(f"smtp://127.0.0.1:{controller.port}")
        with pytest.raises(outbox.SendFailed) as refused:  # 550: no such mailbox there
            server.send(RAW, sender="support@nimbus.test", to="nobody@example.org")
    finally:
        controller.stop()
    assert refused.value.permanent
    email = queued(session)
    claimed = outbox.claim(session, email.id, utcnow())
    assert claimed is not None
    outbox.settle(session, claimed, utcnow(), error=refused.value, base_seconds=30, max_attempts=8)
    assert email.status == "failed" and email.attempts == 1


def test_without_a_server_the_mail_waits_and_says_why(session: Session) -> None:
    email = queued(session)
    claimed = outbox.claim(session, email.id, utcnow())
    assert claimed is not None
    outbox.not_configured(session, claimed, utcnow(), 60)
    assert email.status == "queued" and email.attempts == 0
    assert email.reason == outbox.NOT_CONFIGURED


@pytest.mark.parametrize(
    ("url", "scheme", "port", "user"),
    [
        ("smtp://127.0.0.1:2525", "smtp", 2525, None),
        ("smtps://me%40x.org:p%3Ass@mail.example.org", "smtps", 465, "me@x.org"),
        ("smtp+starttls://u:p@mail.example.org", "smtp+starttls", 587, "u"),
    ],
)
def test_server_urls(url: str, scheme: str, port: int, user: str | None) -> None:
    server = outbox.Server.from_url(url)
    assert (server.scheme, server.port, server.username) == (scheme, port, user)
    with pytest.raises(ValueError):
        outbox.Server.from_url("http://mail.example.org")


def test_the_listener_refuses_other_recipients_and_says_451_when_storing_fails() -> None:
    calls: list[bytes] = []

    async def failing(raw: bytes, sender: str | None) -> None:
        calls.append(raw)
        raise RuntimeError("database is down")

    controller = Controller(Handler(failing, frozenset({"support@nimbus.test"})),
                            hostname="127.0.0.1", port=free_port())  # fmt: skip
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("a@example.org", ["someone@elsewhere.org"], RAW)
            with pytest.raises(smtplib.SMTPDataError) as later:
                client.sendmail("a@example.org", ["Support@Nimbus.test"], RAW)
    finally:
        controller.stop()
    assert later.value.smtp_code == 451 and len(calls) == 1


def test_an_internationalised_address_goes_out_in_its_ascii_form(sink: MailSink) -> None:
    assert outbox.smtp_address("ana@bücher.example") == ("ana@xn--bcher-kva.example", False)
    assert outbox.smtp_address("ана@пример.срб")[1] is True
    server = outbox.Server.from_url(sink.url)
    server.send(RAW, sender="support@nimbus.test", to="ana@bücher.example")
    server.send(RAW, sender="support@nimbus.test", to="ана@example.org")  # the sink speaks UTF-8
    assert [d.rcpt_tos for d in sink.delivered] == [
        ("ana@xn--bcher-kva.example",),
        ("ана@example.org",),
    ]


def test_another_try_is_not_given_to_a_mail_on_its_way_and_a_late_worker_writes_nothing(
    session: Session,
) -> None:
    email = queued(session)
    now = utcnow()
    claimed = outbox.claim(session, email.id, now)
    assert claimed is not None
    outbox.retry_now(session, claimed, now)  # an agent clicks while it is being sent
    assert email.status == "sending"
    later = now + outbox.LEASE + timedelta(seconds=1)  # the lease ends: another worker takes it
    assert outbox.claim(session, email.id, later) is not None
    assert outbox.still_mine(session, email.id, attempts=1) is None  # the first worker is late
    assert outbox.still_mine(session, email.id, attempts=2) is email
