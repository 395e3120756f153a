"""Received mail through the real conversation flow and database (SQLite and PostgreSQL): who
the customer is, which thread a reply joins, when the bot answers, what goes out and when."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from handoff import customers, tickets, timers
from handoff.conversations import start_conversation
from handoff.lifecycle import Channel, EventKind, TicketStatus
from handoff.models import Agent, Conversation, Message, Ticket, TicketEvent
from handoff.policy import Policy, parse
from kb import service as kb_service
from kb.search import KbIndex
from mail.inbound import Desk, Outcome, receive, token
from mail.models import Email, MailStatus
from mail.outbound import Outbound
from tests.unit.handoff.builders import HUB, make_agent, say
from tierzero.db import make_session_factory, unit_of_work, utcnow
from tierzero.scheduler import ScheduledJob
from tierzero.settings import PROJECT_ROOT

DESK = "support@nimbus.test"
SECRET = "inbound-test-secret"
POLICY_TEXT = (PROJECT_ROOT / "config" / "policy.yaml").read_text()


def policy(**plan_changes: dict[str, object]) -> Policy:
    data = yaml.safe_load(POLICY_TEXT)
    for plan, changes in plan_changes.items():
        data["plans"][plan].update(changes)
    return parse(yaml.safe_dump(data))


@pytest.fixture(scope="module")
def index(engine: Engine) -> KbIndex:
    built = KbIndex(dense=False)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        if kb_service.count_articles(session) == 0:
            kb_service.import_file(session, PROJECT_ROOT / "kb" / "demo" / "articles.yaml",
                                   author="tests")  # fmt: skip
    with unit_of_work(factory) as session:
        kb_service.load_index(session, built)
    return built


@pytest.fixture
def outbound() -> Iterator[Outbound]:
    registered = Outbound(address=DESK, brand="Nimbus", public_url="https://help.example",
                          secret=SECRET).register()  # fmt: skip
    yield registered
    registered.unregister()


def desk_on(session: Session, index: KbIndex | None, the_policy: Policy | None = None) -> Desk:
    factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                           expire_on_commit=False)  # fmt: skip
    return Desk(
        session_factory=factory, hub=HUB, policy=the_policy or policy(), secret=SECRET,
        search=index.search if index is not None else None, own_addresses=frozenset({DESK}),
        max_attachment=1024 * 1024, per_sender_per_hour=20,
    )  # fmt: skip


def address() -> str:
    return f"c-{uuid.uuid4().hex[:10]}@example.org"


def mail(sender: str, text: str, subject: str = "Question", *, reply_to: Email | None = None,
         message_id: str | None = None) -> bytes:  # fmt: skip
    built = EmailMessage()
    built["From"] = sender
    built["To"] = DESK
    built["Subject"] = subject
    built["Message-ID"] = message_id or make_msgid(domain="example.org")
    if reply_to is not None:
        built["In-Reply-To"] = f"<{reply_to.message_id}>"
        built["References"] = f"<{reply_to.message_id}>"
    built.set_content(text)
    return built.as_bytes(policy=SMTP)


def outbox(session: Session, conversation_id: int) -> list[Email]:
    query = select(Email).where(Email.conversation_id == conversation_id, Email.direction == "out")
    return list(session.scalars(query.order_by(Email.id)))


def conversation(session: Session, outcome: Outcome) -> Conversation:
    assert outcome.conversation_id is not None, outcome
    found = session.get(Conversation, outcome.conversation_id)
    assert found is not None
    session.refresh(found)
    return found


def scheduler_kinds(session: Session, ticket_id: int) -> set[str]:
    subject = timers.ticket_subject(ticket_id)
    return set(session.scalars(select(ScheduledJob.kind).where(ScheduledJob.subject == subject)))


def worked(
    session: Session, ticket_id: int, *, reply: str | None = "Try this", resolve: bool = False
) -> Agent:
    """A new L1 agent claims the ticket, replies (``reply``) and resolves it (``resolve``)."""
    agent = make_agent(session)
    tickets.claim(session, HUB, agent=agent, ticket_id=ticket_id)
    if reply is not None:
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket_id, text=reply)
    if resolve:
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket_id)
    return agent


LONG = "My router restarts every night at three and the whole house loses internet. " * 12


class TestTheBotFirst:
    def test_a_short_clear_question_gets_the_kb_answer_by_mail(
        self, session: Session, index: KbIndex, outbound: Outbound
    ) -> None:
        sender = address()
        outcome = receive(desk_on(session, index), mail(sender, "How do I reset my password?"))
        assert outcome.status is MailStatus.PROCESSED and outcome.ticket_id is None
        (out,) = outbox(session, outcome.conversation_id or 0)
        assert out.to_address == sender and out.status == "queued" and out.raw is not None
        assert b"Auto-Submitted: auto-replied" in out.raw
        kinds = [m.payload.get("kind") for m in session.scalars(
            select(Message).where(Message.conversation_id == outcome.conversation_id))]  # fmt: skip
        assert kinds == [None, "answer"]

    def test_a_long_mail_or_a_plan_without_the_email_bot_goes_to_a_person(
        self, session: Session, index: KbIndex, outbound: Outbound
    ) -> None:
        long = receive(desk_on(session, index), mail(address(), LONG))
        assert long.ticket_id is not None
        premium = customers.update(session, policy(), external_id=f"p-{uuid.uuid4().hex}",
                                   plan="premium", email=address())  # fmt: skip
        no_bot = policy(premium={"email_bot": False})
        outcome = receive(desk_on(session, index, no_bot),
                          mail(premium.email or "", "How do I reset my password?"))  # fmt: skip
        assert outcome.ticket_id is not None
        assert conversation(session, outcome).customer_id == premium.id  # verified address

    def test_a_reply_to_the_answer_hands_off_with_what_the_customer_said(
        self, session: Session, index: KbIndex, outbound: Outbound
    ) -> None:
        sender = address()
        first = receive(desk_on(session, index), mail(sender, "How do I reset my password?"))
        (answer,) = outbox(session, first.conversation_id or 0)
        reply = receive(desk_on(session, index),
                        mail(sender, "I need a person please", reply_to=answer))  # fmt: skip
        assert reply.conversation_id == first.conversation_id and reply.ticket_id is not None
        ticket = session.get(Ticket, reply.ticket_id)
        assert ticket is not None and ticket.handoff_reason == "asked_for_person"
        assert ticket.channel == Channel.EMAIL.value
        receipt = outbox(session, first.conversation_id or 0)[-1]
        assert token(SECRET, ticket.id) in receipt.subject and receipt.in_reply_to

        other = address()
        first = receive(desk_on(session, index), mail(other, "How do I reset my password?"))
        (answer,) = outbox(session, first.conversation_id or 0)
        reply = receive(
            desk_on(session, index), mail(other, "The link never came", reply_to=answer)
        )
        ticket = session.get(Ticket, reply.ticket_id)
        assert ticket is not None and ticket.handoff_reason == "unhelpful_answers"


class TestWhoAndWhichThread:
    def test_a_verified_address_joins_the_customers_chats_a_typed_one_does_not(
        self, session: Session, outbound: Outbound
    ) -> None:
        known = customers.update(session, policy(), external_id=f"k-{uuid.uuid4().hex}",
                                 email=address())  # fmt: skip
        chat = start_conversation(session, customer=known)
        typed = address()
        stranger_chat = start_conversation(session)
        tickets.hand_off(session, HUB, conversation_id=stranger_chat.id,
                         reason=tickets.HandoffReason.ASKED_FOR_PERSON)  # fmt: skip
        tickets.follow_up_by_email(session, HUB, conversation_id=stranger_chat.id, email=typed)

        by_known = receive(desk_on(session, None), mail(known.email or "", LONG))
        joined = conversation(session, by_known)
        assert joined.customer_id == known.id and joined.id != chat.id
        by_typed = receive(desk_on(session, None), mail(typed, LONG))
        assert conversation(session, by_typed).customer_id != stranger_chat.customer_id
        again = receive(desk_on(session, None), mail(typed, LONG + " again"))
        assert (
            conversation(session, again).customer_id == conversation(session, by_typed).customer_id
        )

    def test_a_forged_token_or_a_strangers_reply_starts_its_own_conversation(
        self, session: Session, outbound: Outbound
    ) -> None:
        owner = address()
        first = receive(desk_on(session, None), mail(owner, LONG))
        ticket_id = first.ticket_id or 0
        sent = outbox(session, first.conversation_id or 0)[-1]
        forged = f"Re: yours [#{ticket_id}-00000000]"
        assert receive(desk_on(session, None), mail(owner, "hi", forged)).conversation_id != (
            first.conversation_id
        )
        signed = f"Re: yours {token(SECRET, ticket_id)}"
        assert receive(desk_on(session, None), mail(owner, "more", signed)).conversation_id == (
            first.conversation_id
        )
        stranger = receive(desk_on(session, None), mail(address(), "me too", signed, reply_to=sent))
        assert stranger.conversation_id != first.conversation_id

    def test_the_same_message_id_is_stored_once(self, session: Session, outbound: Outbound) -> None:
        raw = mail(address(), LONG, message_id="<same-one@example.org>")
        first = receive(desk_on(session, None), raw)
        second = receive(desk_on(session, None), raw)
        assert second.duplicate and first.ticket_id is not None
        assert len(outbox(session, first.conversation_id or 0)) == 1  # one receipt

    def test_mail_from_the_desks_own_address_or_a_flood_is_kept_aside(
        self, session: Session, outbound: Outbound
    ) -> None:
        assert receive(desk_on(session, None), mail(DESK, LONG)).reason == "loop"
        flooder = address()
        outcomes = [
            receive(desk_on(session, None), mail(flooder, f"{LONG} {i}")) for i in range(22)
        ]
        assert [o.reason for o in outcomes].count("rate_limited") == 2


def chat_left_address(session: Session) -> tuple[Conversation, Ticket, str]:
    """A chat handed off, whose customer left an address for the answer."""
    chat = start_conversation(session, language="en")
    say(session, chat, "my invoice is wrong")
    asked = tickets.HandoffReason.ASKED_FOR_PERSON
    ticket = tickets.hand_off(session, HUB, conversation_id=chat.id, reason=asked).ticket
    left = address()
    tickets.follow_up_by_email(session, HUB, conversation_id=chat.id, email=left)
    return chat, ticket, left


class TestAfterAPerson:
    def test_a_chat_customer_who_left_an_address_is_answered_by_mail_in_the_same_ticket(
        self, session: Session, outbound: Outbound
    ) -> None:
        chat, ticket, customer_address = chat_left_address(session)
        agent = make_agent(session, name="Mila")
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="Fixed, sorry!")
        (sent,) = outbox(session, chat.id)
        assert sent.to_address == customer_address and sent.ticket_id == ticket.id
        assert sent.raw is not None and b"Mila" in sent.raw and b"Auto-Submitted" not in sent.raw

        answer = receive(desk_on(session, None), mail(customer_address, "Thanks! And the refund?",
                                                      reply_to=sent))  # fmt: skip
        assert answer.conversation_id == chat.id and answer.ticket_id == ticket.id
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        resolved = outbox(session, chat.id)[-1]
        assert resolved.subject.endswith(token(SECRET, ticket.id))
        session.refresh(chat)
        assert "reply_by_email" not in chat.context  # the follow-up ended with the request
        say(session, chat, "a new chat question")
        assert len(outbox(session, chat.id)) == 2

    def test_a_reply_to_a_resolved_request_reopens_it(
        self, session: Session, outbound: Outbound
    ) -> None:
        sender = address()
        first = receive(desk_on(session, None), mail(sender, LONG))
        ticket_id = first.ticket_id or 0
        worked(session, ticket_id, resolve=True)
        last = outbox(session, first.conversation_id or 0)[-1]
        assert last.raw is not None and b"5 (great)" in last.raw  # the resolution asks for a rating
        rated = receive(desk_on(session, None), mail(sender, "4\nquick and kind", reply_to=last))
        assert rated.ticket_id == ticket_id
        thanked = receive(desk_on(session, None), mail(sender, "Thank you!", reply_to=last))
        assert thanked.ticket_id == ticket_id
        session.expire_all()
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == TicketStatus.RESOLVED.value
        assert (ticket.csat_score, ticket.csat_comment) == (4, "quick and kind")
        again = receive(desk_on(session, None), mail(sender, "Still broken", reply_to=last))
        assert again.ticket_id == ticket_id
        session.expire_all()
        reopened_ticket = session.get(Ticket, ticket_id)
        assert reopened_ticket is not None and reopened_ticket.due_at is not None
        assert reopened_ticket.due_at > utcnow()  # a fresh first-response deadline, not a past one
        told = outbox(session, first.conversation_id or 0)[-1]
        assert told.raw is not None and b"reopened request" in told.raw
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        session.refresh(ticket)
        assert ticket.status == TicketStatus.QUEUED.value
        reopened = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                      TicketEvent.kind == EventKind.REOPENED.value)
        ).one()  # fmt: skip
        assert reopened.actor == "customer"


class TestEmailPromises:
    def test_email_targets_apply_and_chat_timers_do_not(self, session: Session) -> None:
        slow = {"first_response": 240, "resolution": 2880}
        targets = {p: slow for p in ("urgent", "high", "normal", "low")}
        email_policy = policy(standard={"email_targets": targets})
        outcome = receive(desk_on(session, None, email_policy), mail(address(), LONG))
        ticket = session.get(Ticket, outcome.ticket_id)
        assert ticket is not None and ticket.first_response_due_at is not None
        chat_ticket = tickets.hand_off(
            session, HUB, conversation_id=start_conversation(session).id,
            reason=tickets.HandoffReason.ASKED_FOR_PERSON, policy=email_policy,
        ).ticket  # fmt: skip
        assert chat_ticket.first_response_due_at is not None
        assert ticket.first_response_due_at > chat_ticket.first_response_due_at
        timers.plan_ticket(session, email_policy, ticket, ticket.created_at)
        timers.plan_ticket(session, email_policy, chat_ticket, chat_ticket.created_at)
        assert scheduler_kinds(session, ticket.id) == {"sla_warning", "sla_breach"}
        assert "no_claim" in scheduler_kinds(session, chat_ticket.id)


def test_reports_split_tickets_and_conversations_by_channel(
    session: Session, outbound: Outbound
) -> None:
    from datetime import timedelta

    from insight import figures
    from insight.periods import period

    by_mail = receive(desk_on(session, None), mail(address(), LONG))
    worked(session, by_mail.ticket_id or 0, reply="Done", resolve=True)
    chat = start_conversation(session, language="en")
    say(session, chat, "a person please")
    tickets.hand_off(session, HUB, conversation_id=chat.id,
                     reason=tickets.HandoffReason.ASKED_FOR_PERSON)  # fmt: skip
    today = utcnow().date()
    window = period(today - timedelta(days=1), today + timedelta(days=1), time_zone="UTC")
    r = figures.report(session, policy(), window, as_of=utcnow() + timedelta(days=2), now=False)
    split = r["breakdowns"]["channel"]
    assert set(split["tickets"]) == {"email", "widget"}
    assert split["tickets"]["email"]["created"] == split["tickets"]["widget"]["created"] == 1
    assert split["tickets"]["email"]["resolved_by_tier"]["L1"] == 1
    assert split["conversations"]["email"]["outcomes"]["handed_off"] == 1
    assert split["tickets"]["email"]["sla"]["first_response"]["met"] == 1


def test_an_agent_full_of_emails_still_gets_chats_and_not_a_fourth_email(
    session: Session, outbound: Outbound
) -> None:
    from handoff import agents, offers
    from handoff.lifecycle import Presence
    from handoff.models import Agent, TicketOffer
    from handoff.offers import Timing

    session.execute(Agent.__table__.update().values(presence="offline"))  # only this test's agent
    agent = make_agent(session, languages=("en",), presence=Presence.ONLINE)
    held = [receive(desk_on(session, None), mail(address(), f"{LONG} {i}")) for i in range(4)]
    for outcome in held[:3]:
        tickets.claim(session, HUB, agent=agent, ticket_id=outcome.ticket_id or 0)
    assert not agents.has_room(session, agent, "email") and agents.has_room(
        session, agent, "widget"
    )
    chat = start_conversation(session, language="en")
    say(session, chat, "a person please")
    asked = tickets.HandoffReason.ASKED_FOR_PERSON
    chat_ticket = tickets.hand_off(session, HUB, conversation_id=chat.id, reason=asked).ticket
    offers.dispatch(session, HUB, utcnow(), Timing(offer_seconds=30, offline_requeue_seconds=120))
    offered = set(session.scalars(select(TicketOffer.ticket_id).where(
        TicketOffer.agent_id == agent.id, TicketOffer.status == "pending")))  # fmt: skip
    assert offered == {chat_ticket.id}  # the fourth email waits for room


def test_an_open_email_request_is_not_continued_in_the_widget(
    session: Session, outbound: Outbound
) -> None:
    from handoff import identity

    known = customers.update(session, policy(), external_id=f"w-{uuid.uuid4().hex}",
                             email=address())  # fmt: skip
    by_mail = receive(desk_on(session, None), mail(known.email or "", LONG))
    assert by_mail.ticket_id is not None and conversation(session, by_mail).customer_id == known.id
    assert identity.conversation_to_continue(session, known) is None  # a new chat, not the mail


class TestHardCases:
    def test_mail_the_database_would_refuse_is_kept_as_rejected_not_retried_forever(
        self, session: Session, outbound: Outbound
    ) -> None:
        sender = address()
        long_name = "N" * 400
        raw = mail(f'"{long_name}" <{sender}>', "\x01\x02")
        outcome = receive(desk_on(session, None), raw)
        assert outcome.status is MailStatus.PROCESSED  # the name is cut, the body is "(no text)"
        subject_only = receive(desk_on(session, None), mail(address(), "", "Password reset?"))
        assert subject_only.status is MailStatus.PROCESSED
        said = session.scalars(select(Message.text).where(
            Message.conversation_id == subject_only.conversation_id)).first()  # fmt: skip
        assert said == "Password reset?"

    def test_thanks_after_the_bots_answer_closes_it_without_a_person(
        self, session: Session, index: KbIndex, outbound: Outbound
    ) -> None:
        from insight.models import BotAnswer

        sender = address()
        first = receive(desk_on(session, index), mail(sender, "How do I reset my password?"))
        (answer,) = outbox(session, first.conversation_id or 0)
        thanked = receive(desk_on(session, index), mail(sender, "Thanks, that solved it!",
                                                       reply_to=answer))  # fmt: skip
        assert thanked.ticket_id is None and len(outbox(session, first.conversation_id or 0)) == 1
        verdict = session.scalars(select(BotAnswer.verdict).where(
            BotAnswer.conversation_id == first.conversation_id)).one()  # fmt: skip
        assert verdict == "helpful"
        still = receive(desk_on(session, index), mail(sender, "Thanks, but it still fails",
                                                     reply_to=answer))  # fmt: skip
        assert still.ticket_id is not None

    def test_a_typed_address_never_replaces_a_verified_one(
        self, session: Session, outbound: Outbound
    ) -> None:
        known = customers.update(session, policy(), external_id=f"v-{uuid.uuid4().hex}",
                                 email=address())  # fmt: skip
        chat = start_conversation(session, customer=known)
        tickets.hand_off(session, HUB, conversation_id=chat.id,
                         reason=tickets.HandoffReason.ASKED_FOR_PERSON)  # fmt: skip
        private = address()
        tickets.follow_up_by_email(session, HUB, conversation_id=chat.id, email=private)
        session.refresh(known)
        assert known.email != private and known.email_verified
        by_company_address = receive(desk_on(session, None), mail(known.email or "", LONG))
        assert conversation(session, by_company_address).customer_id == known.id

    def test_a_chat_reopened_by_mail_keeps_getting_the_agents_replies_by_mail(
        self, session: Session, outbound: Outbound
    ) -> None:
        chat, ticket, follow = chat_left_address(session)
        agent = make_agent(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="Fixed")
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        resolution = outbox(session, chat.id)[-1]
        again = receive(desk_on(session, None), mail(follow, "Still wrong", reply_to=resolution))
        assert again.ticket_id == ticket.id  # reopened
        session.expire_all()  # the mail was stored by another session
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="Now fixed")
        assert outbox(session, chat.id)[-1].to_address == follow

    def test_an_agent_sees_only_the_mail_of_their_tickets_part(
        self, session: Session, outbound: Outbound
    ) -> None:
        from handoff.lifecycle import Tier
        from mail import deliveries

        sender = address()
        first = receive(desk_on(session, None), mail(sender, LONG))
        l1 = worked(session, first.ticket_id or 0, reply=None, resolve=True)
        old = session.get(Ticket, first.ticket_id)
        assert old is not None
        old.resolved_at = utcnow() - timedelta(days=30)  # long ago: a new request, not a reopen
        session.flush()
        last_sent = outbox(session, old.conversation_id)[-1]
        later = receive(desk_on(session, None), mail(sender, f"{LONG} again", reply_to=last_sent))
        assert later.ticket_id not in (None, first.ticket_id)
        session.expire_all()
        newer = session.get(Ticket, later.ticket_id)
        assert newer is not None
        newer.tier = Tier.L3.value  # worked by product engineering now
        session.flush()
        built = EmailMessage()
        built["From"], built["To"], built["Subject"] = sender, DESK, "Re: again"
        built["Message-ID"] = make_msgid(domain="example.org")
        built.set_content("the signed contract, for the engineers only")
        built.add_attachment(b"contract", maintype="application", subtype="pdf",
                             filename="contract.pdf")  # fmt: skip
        subject = f"Re: again {token(SECRET, newer.id)}"
        del built["Subject"]
        built["Subject"] = subject
        assert receive(desk_on(session, None), built.as_bytes(policy=SMTP)).ticket_id == newer.id
        l3 = make_agent(session, tier=Tier.L3)
        (contract,) = [
            a for e in deliveries.of_ticket(session, l3, newer.id) for a in e.attachments
        ]
        assert deliveries.attachment(session, l3, newer.id, contract.id).data == b"contract"
        old_part = deliveries.of_ticket(session, l1, old.id)
        assert not any(e.attachments for e in old_part)
        with pytest.raises(tickets.TicketNotFound):
            deliveries.attachment(session, l1, old.id, contract.id)


def test_a_bounce_of_a_reply_marks_it_returned_for_the_agent(
    session: Session, outbound: Outbound
) -> None:
    first = receive(desk_on(session, None), mail(address(), LONG))
    worked(session, first.ticket_id or 0, reply="Here you go")
    sent = outbox(session, first.conversation_id or 0)[-1]
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.org>"
    report["To"] = DESK
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="mx.example.org")
    report.set_content("This is the mail system. Your message could not be delivered.")
    report.add_attachment(
        "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; x@example.org\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 No such user\n",
        subtype="plain", filename="details.txt",
    )  # fmt: skip
    report.add_attachment(f"From: {DESK}\nMessage-ID: <{sent.message_id}>\nSubject: x\n".encode(),
                          maintype="text", subtype="rfc822-headers")  # fmt: skip
    outcome = receive(desk_on(session, None), report.as_bytes(policy=SMTP), envelope_from="")
    assert outcome.reason == "bounce"
    session.refresh(sent)
    assert sent.status == "bounced" and "550 5.1.1 No such user" in (sent.reason or "")


def test_an_agent_going_offline_keeps_their_emails_and_gives_back_their_chats(
    session: Session, outbound: Outbound
) -> None:
    from datetime import timedelta as td

    from handoff import agents, offers
    from handoff.lifecycle import Presence
    from handoff.offers import Timing

    by_mail = receive(desk_on(session, None), mail(address(), LONG))
    agent = make_agent(session, presence=Presence.ONLINE)
    tickets.claim(session, HUB, agent=agent, ticket_id=by_mail.ticket_id or 0)
    chat = start_conversation(session, language="en")
    say(session, chat, "a person please")
    asked = tickets.HandoffReason.ASKED_FOR_PERSON
    chat_ticket = tickets.hand_off(session, HUB, conversation_id=chat.id, reason=asked).ticket
    tickets.claim(session, HUB, agent=agent, ticket_id=chat_ticket.id)
    agents.set_presence(session, agent, Presence.OFFLINE)
    timing = Timing(offer_seconds=30, offline_requeue_seconds=120)
    requeued = offers.requeue_offline(session, HUB, utcnow() + td(minutes=5), timing)
    assert chat_ticket.id in requeued and by_mail.ticket_id not in requeued
