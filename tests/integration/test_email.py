"""Email end to end on the real stack: customers write to the api's own SMTP listener with
smtplib, the api answers through a real SMTP server on loopback (the customers' mailboxes), and
agents work the tickets through the API — nothing is faked but the clock."""

from __future__ import annotations

import smtplib
import time
import uuid
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from handoff.models import Conversation, Message, Ticket
from mail.models import Email
from tests.mail_sink import Delivered, MailSink
from tests.stack import DESK_ADDRESS, Stack, wait_until

pytestmark = pytest.mark.integration


def listener(stack: Stack) -> tuple[str, int]:
    host, _, port = stack.settings.smtp_listen.rpartition(":")
    return host, int(port)


def send(stack: Stack, message: EmailMessage | bytes, *, mail_from: str | None = None) -> None:
    host, port = listener(stack)
    raw = message if isinstance(message, bytes) else message.as_bytes(policy=SMTP_POLICY)
    sender = mail_from if mail_from is not None else _sender_of(message)
    with smtplib.SMTP(host, port, timeout=30) as client:
        client.sendmail(sender, [DESK_ADDRESS], raw)


def _sender_of(message: EmailMessage | bytes) -> str:
    assert isinstance(message, EmailMessage)
    return str(message["From"]).rpartition("<")[2].strip(">")


def customer() -> str:
    return f"customer-{uuid.uuid4().hex[:10]}@example.org"


def mail(
    sender: str,
    subject: str,
    text: str,
    *,
    replying_to: Delivered | None = None,
    charset: str = "utf-8",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Customer <{sender}>"
    message["To"] = DESK_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    if replying_to is not None:
        theirs = replying_to.message
        message["In-Reply-To"] = str(theirs["Message-ID"])
        message["References"] = f"{theirs.get('References', '')} {theirs['Message-ID']}".strip()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text, charset=charset)
    return message


def rows(stack: Stack, statement: Any) -> list[Any]:
    factory = stack.session_factory()
    with factory() as session:
        return list(session.scalars(statement))


def emails_from(stack: Stack, sender: str) -> list[Email]:
    return rows(stack, select(Email).where(Email.from_address == sender).order_by(Email.id))


def tickets_of(stack: Stack, conversation_id: int) -> list[Ticket]:
    return rows(stack, select(Ticket).where(Ticket.conversation_id == conversation_id))


def conversation_of(stack: Stack, sender: str) -> int:
    def found() -> int | None:
        stored = [e for e in emails_from(stack, sender) if e.conversation_id is not None]
        return stored[-1].conversation_id if stored else None

    return int(wait_until(found))


def texts(stack: Stack, conversation_id: int) -> list[str]:
    return [
        m.text
        for m in rows(
            stack,
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq),
        )
    ]


def claim_and_reply(stack: Stack, who: str, ticket_id: int, text: str) -> dict[str, Any]:
    headers = stack.login(who)
    with stack.client() as client:
        claimed = client.post(f"/v1/agent/tickets/{ticket_id}/claim", headers=headers)
        assert claimed.status_code == 200, claimed.text
        sent = client.post(
            f"/v1/agent/tickets/{ticket_id}/messages", json={"text": text}, headers=headers
        )
        assert sent.status_code == 201, sent.text
        return dict(sent.json())


def sink(stack: Stack) -> MailSink:
    assert stack.mail is not None
    return stack.mail


class TestAConversationByMail:
    def test_kb_answer_then_a_person_then_threaded_replies_in_one_ticket(
        self, stack: Stack
    ) -> None:
        anna = customer()
        first = mail(anna, "Password", "Hi, how do I reset my password?")
        send(stack, first)

        (answer,) = sink(stack).wait_for(anna)
        assert answer.message["In-Reply-To"] == first["Message-ID"]
        assert answer.message["Auto-Submitted"] == "auto-replied"
        assert answer.message["Subject"].startswith("Re: Password")
        assert "password" in answer.text().lower() and "I need a person" in answer.text()
        assert "<p>" in answer.html() and "<script" not in answer.html()
        conversation_id = conversation_of(stack, anna)
        assert tickets_of(stack, conversation_id) == []  # the bot answered; nobody is needed yet

        # the answer did not help: a reply, quoting the answer under the customer's words
        quoted = "\n".join("> " + line for line in answer.text().splitlines())
        reply = mail(anna, "Re: Password",
                     f"I need a person, the reset link never arrives.\n\nOn Tue, Support wrote:\n"
                     f"{quoted}", replying_to=answer)  # fmt: skip
        send(stack, reply)
        receipt = sink(stack).wait_for(anna, 2)[1]
        (ticket,) = wait_until(lambda: tickets_of(stack, conversation_id))
        assert ticket.channel == "email" and ticket.handoff_reason == "asked_for_person"
        assert f"#{ticket.id}" in receipt.text()
        assert f"[#{ticket.id}-" in receipt.message["Subject"]
        assert receipt.message["In-Reply-To"] == reply["Message-ID"]
        said = texts(stack, conversation_id)
        assert "I need a person, the reset link never arrives." in said
        assert not any("Support wrote" in t for t in said)  # the quote was cut

        claim_and_reply(stack, "alice", ticket.id, "Hello! I have sent you a new link.\n\nBest")
        agent_mail = sink(stack).wait_for(anna, 3)[2]
        message = agent_mail.message
        assert message["In-Reply-To"] == reply["Message-ID"]
        references = str(message["References"]).split()
        assert first["Message-ID"] in references and reply["Message-ID"] in references
        assert "alice" in str(message["From"]) and DESK_ADDRESS in str(message["From"])
        assert message["Auto-Submitted"] is None  # a person wrote it
        assert "I have sent you a new link." in agent_mail.text()
        assert "I have sent you a new link." in agent_mail.html()
        assert f"[#{ticket.id}-" in message["Subject"]

        # a second reply by its headers, and a third with only the subject's token
        send(stack, mail(anna, str(message["Subject"]), "Got it, thanks! One more thing.",
                         replying_to=agent_mail))  # fmt: skip
        send(stack, mail(anna, f"Another question {str(message['Subject']).split()[-1]}",
                         "It works now."))  # fmt: skip
        wait_until(lambda: "It works now." in texts(stack, conversation_id))
        assert "Got it, thanks! One more thing." in texts(stack, conversation_id)
        assert [t.id for t in tickets_of(stack, conversation_id)] == [ticket.id]

        # the agent sees every mail of the ticket with its delivery state
        with stack.client() as client:
            listed = client.get(f"/v1/agent/tickets/{ticket.id}/emails",
                                headers=stack.login("alice"))  # fmt: skip
        assert listed.status_code == 200
        states = [(e["direction"], e["status"]) for e in listed.json()]
        assert states.count(("in", "processed")) == 4 and ("out", "sent") in states

    def test_the_same_message_twice_and_a_stranger_in_the_thread_make_nothing_twice(
        self, stack: Stack
    ) -> None:
        bob = customer()
        first = mail(
            bob,
            "Router",
            "My router shows a red light since the storm, what now? "
            "I tried unplugging it and waiting ten minutes but nothing changed. " * 10,
        )
        send(stack, first)
        send(stack, first)  # the sender's server retried: same Message-ID
        conversation_id = conversation_of(stack, bob)
        assert len(wait_until(lambda: tickets_of(stack, conversation_id))) == 1
        receipt = sink(stack).wait_for(bob)[0]
        time.sleep(1.0)
        assert len(sink(stack).to(bob)) == 1
        assert len(emails_from(stack, bob)) == 1

        stranger = customer()  # replies into bob's thread with bob's references
        send(stack, mail(stranger, receipt.message["Subject"], "Let me in too",
                         replying_to=receipt))  # fmt: skip
        other = conversation_of(stack, stranger)
        assert other != conversation_id
        assert "Let me in too" not in texts(stack, conversation_id)


class TestMailNobodyWrote:
    def test_bounces_auto_replies_and_lists_create_nothing_and_get_no_answer(
        self, stack: Stack
    ) -> None:
        sender = customer()
        daemon = f"mailer-daemon@{sender.split('@')[1]}"
        bounce = mail(
            daemon, "Undelivered Mail Returned to Sender", f"Delivery to {sender} failed."
        )
        send(stack, bounce, mail_from="")  # the null sender: Return-Path <>
        send(stack, mail(sender, "Automatic reply: Password", "I am out of office until Monday.",
                         Auto_Submitted="auto-replied"))  # fmt: skip
        send(stack, mail(sender, "Newsletter", "Our news this week", Precedence="bulk"))
        send(stack, mail(sender, "Re: your request", "Thanks", X_Autoreply="yes"))

        def kept_aside() -> list[str]:
            found = emails_from(stack, sender) + emails_from(
                stack, f"mailer-daemon@{sender.split('@')[1]}"
            )
            return sorted(e.reason or "" for e in found) if len(found) == 4 else []

        assert wait_until(kept_aside) == ["auto_reply", "auto_reply", "bounce", "bulk"]
        assert all(e.conversation_id is None for e in emails_from(stack, sender))
        time.sleep(1.0)
        assert sink(stack).to(sender) == []  # no reply to any of them: no mail loop
        with stack.client() as client:  # leads see what was kept aside, and why
            aside = client.get("/v1/mail/aside", headers=stack.login("lena")).json()
        mine = sorted(e["reason"] for e in aside if e["from_address"] in (sender, daemon))
        assert mine == ["auto_reply", "auto_reply", "bounce", "bulk"]

    def test_a_flood_from_one_sender_is_stopped(self, stack: Stack) -> None:
        flooder = customer()
        limit = stack.settings.mails_per_sender_per_hour
        for i in range(limit + 5):
            send(stack, mail(flooder, f"Spam {i}", f"Buy now {i} " + "word " * 200))
        found = emails_from(stack, flooder)
        assert len(found) == limit + 5
        assert sum(e.reason == "rate_limited" for e in found) == 5
        conversations = {e.conversation_id for e in found if e.conversation_id is not None}
        assert len(conversations) == limit


class TestHardMail:
    def test_a_20_mb_attachment_is_refused_by_name_and_the_text_arrives(self, stack: Stack) -> None:
        carla = customer()
        message = mail(
            carla,
            "Invoice scan",
            "Here is the scan of my invoice, it looks wrong. "
            "Please check the amount on page two against my contract." * 8,
        )
        message.add_attachment(b"%PDF-1.4 " + b"x" * (20 * 1024 * 1024), maintype="application",
                               subtype="pdf", filename="../../etc/scan invoice.pdf")  # fmt: skip
        message.add_attachment(b"small log line\n", maintype="text", subtype="plain",
                               filename="router.log")  # fmt: skip
        send(stack, message)
        conversation_id = conversation_of(stack, carla)
        (ticket,) = wait_until(lambda: tickets_of(stack, conversation_id))
        mails = sink(stack).wait_for(carla, 2)
        assert any("scan invoice.pdf" in m.text() and "10 MB" in m.text() for m in mails)
        headers = stack.login("alice")
        with stack.client() as client:
            (received,) = [e for e in client.get(f"/v1/agent/tickets/{ticket.id}/emails",
                           headers=headers).json() if e["direction"] == "in"]  # fmt: skip
            files = {a["filename"]: a for a in received["attachments"]}
            assert set(files) == {"scan invoice.pdf", "router.log"}
            assert not files["scan invoice.pdf"]["kept"] and files["router.log"]["kept"]
            download = client.get(
                f"/v1/agent/tickets/{ticket.id}/attachments/{files['router.log']['id']}",
                headers=headers,
            )
            assert download.status_code == 200 and download.content == b"small log line\n"
            assert download.headers["content-type"] == "application/octet-stream"
            assert "attachment" in download.headers["content-disposition"]
            refused = client.get(
                f"/v1/agent/tickets/{ticket.id}/attachments/{files['scan invoice.pdf']['id']}",
                headers=headers,
            )
            assert refused.status_code == 404

    def test_a_message_over_the_size_limit_is_refused_in_the_smtp_dialogue(
        self, stack: Stack
    ) -> None:
        dora = customer()
        message = mail(dora, "Huge", "see attached")
        huge = b"y" * (stack.settings.mail_max_bytes + 1024)
        message.add_attachment(huge, maintype="application", subtype="octet-stream",
                               filename="huge.bin")  # fmt: skip
        with pytest.raises(smtplib.SMTPException) as refused:
            send(stack, message)
        assert "552" in str(refused.value) or getattr(refused.value, "smtp_code", 0) == 552
        assert emails_from(stack, dora) == []

    def test_malformed_mime_is_read_as_well_as_it_can_be_and_garbage_is_kept(
        self, stack: Stack
    ) -> None:
        eli = customer()
        broken = (
            f"From: Eli <{eli}>\r\nTo: {DESK_ADDRESS}\r\n"
            "Subject: =?x-unknown-charset?q?Br=F6ken?=\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
            "--never-closed\r\nContent-Type: text/plain; charset=no-such-charset\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "My modem =E2=80=94 the one you sent =\r\nlast week =E2=80=94 does not start at all, "
            "the power light stays off whatever I do, and I tried another socket.\r\n"
            "--never-closed\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"
        ).encode()
        send(stack, broken, mail_from=eli)
        conversation_id = conversation_of(stack, eli)
        said = " ".join(texts(stack, conversation_id))
        assert "My modem — the one you sent last week — does not start at all" in said

        garbage = b"\x00\x01 this is not an email at all \xff\xfe\r\n" * 50
        send(stack, garbage, mail_from=customer())  # accepted: nothing is lost
        rejected = rows(
            stack, select(Email).where(Email.status == "rejected").options(undefer(Email.raw))
        )
        assert any(e.raw == garbage for e in rejected)

        one_line = garbage.replace(b"\r\n", b" ")  # over SMTP's 1,000-character lines
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(stack, one_line, mail_from=customer())
        assert refused.value.smtp_code == 500 and b"Line too long" in refused.value.smtp_error


class TestEncodings:
    @pytest.mark.parametrize(
        ("charset", "subject", "text", "language"),
        [
            ("iso-8859-7", "Σύνδεση", "Καλησπέρα, δεν μπορώ να συνδεθώ στον λογαριασμό μου από "
             "χθες το βράδυ, τι να κάνω;", "el"),
            ("koi8-r", "Вход", "Здравствуйте, не могу войти в личный кабинет со вчерашнего "
             "вечера, что делать?", "ru"),
            ("windows-1251", "Пријава", "Здраво, не могу да се пријавим на налог од јуче увече, "
             "шта да радим?", "sr"),
            ("utf-8", "Prijava", "Zdravo, ne mogu da se prijavim na nalog od juče uveče, šta da "
             "radim?", "sr"),
        ],
    )  # fmt: skip
    def test_greek_russian_and_serbian_mail_arrives_readable(
        self, stack: Stack, charset: str, subject: str, text: str, language: str
    ) -> None:
        sender = customer()
        message = mail(sender, subject, text, charset=charset)
        message.replace_header("Subject", subject)
        send(stack, message)
        conversation_id = conversation_of(stack, sender)
        assert text in texts(stack, conversation_id)
        (conversation,) = rows(
            stack, select(Conversation).where(Conversation.id == conversation_id)
        )
        assert conversation.language == language and conversation.context["subject"] == subject
        assert conversation.channel == "email"


class TestOutbox:
    def test_a_reply_waits_in_the_outbox_across_an_api_restart_and_then_arrives(
        self, stack: Stack
    ) -> None:
        fred = customer()
        send(
            stack,
            mail(
                fred,
                "Contract",
                "I would like to change the owner of my contract to "
                "my wife, what documents do you need from us and where to send them?" * 6,
            ),
        )
        conversation_id = conversation_of(stack, fred)
        (ticket,) = wait_until(lambda: tickets_of(stack, conversation_id))
        sink(stack).wait_for(fred)  # the receipt
        sink(stack).stop()  # the outgoing server is down
        try:
            claim_and_reply(stack, "bob", ticket.id, "We need a signed form from both of you.")
            headers = stack.login("bob")

            def failing() -> dict[str, Any] | None:
                with stack.client() as client:
                    listed = client.get(f"/v1/agent/tickets/{ticket.id}/emails", headers=headers)
                out = [e for e in listed.json() if e["direction"] == "out"]
                return out[-1] if out[-1]["attempts"] >= 2 and out[-1]["reason"] else None

            waiting = wait_until(failing)
            assert waiting["status"] in ("queued", "sending") and waiting["sent_at"] is None
        finally:
            stack.restart_api(while_down=sink(stack).start)
        arrived = sink(stack).wait_for(fred, 2)[1]
        assert "We need a signed form from both of you." in arrived.text()
