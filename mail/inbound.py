"""One received email → the conversation flow every channel uses (``handoff.flows``).

In one transaction, after the Message-ID is claimed (the same message never makes two of
anything): mail no person wrote (bounces, auto-replies, lists, loops) and floods from one sender
are kept aside with nothing created and nothing sent; a reply joins its thread (In-Reply-To /
References, or the signed request token in the subject) when it comes from the thread's
customer; anything else starts a conversation for its sender. Then the bot gets its turn: the
first message of a thread may be answered from the KB (short, confident, and the plan lets the
bot answer email); a reply to that answer, or anything the bot cannot answer, goes to the desk
as a ticket; a reply to a resolved request reopens it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handoff import conversations, flows, tickets
from handoff import repository as repo
from handoff.language import next_language
from handoff.lifecycle import Channel, EndReason, TicketStatus
from handoff.models import Conversation, Customer, Ticket
from handoff.policy import Policy
from mail import outbox, texts
from mail.models import Direction, Email, EmailAttachment, MailStatus
from mail.parse import ParsedMail, UnreadableMail, parse
from tierzero.db import unit_of_work, utcnow
from tierzero.errors import InvalidInput
from tierzero.hub import Hub

log = logging.getLogger("tierzero.mail")

#: The longest customer text stored in the conversation (the rest is cut with a note).
MAX_TEXT_CHARS = 20_000
#: The bot answers a first email only when its text is a question of about this size: longer
#: mails describe a case, and go to a person.
BOT_MAX_CHARS = 600
#: A reply this soon after a resolution reopens the request instead of starting a new one.
REOPEN_WITHIN = timedelta(days=14)
#: The whole readable mail kept beside the customer's own words.
MAX_FULL_CHARS = 200_000
#: A short reply that only thanks or says it worked (and says nothing negative).
_THANKS = re.compile(
    r"\b(thanks?|thank you|thx|solved|that helped|it works|works now|worked|ευχαριστ\w*|"
    r"λύθηκε|δούλεψε|λειτουργεί|спасибо|благодарю|помогло|работает|решено|hvala|хвала|"
    r"pomoglo|помогло|radi|ради|rešeno|решено)\b",
    re.IGNORECASE,
)
#: A reply to the resolution mail that rates it: "5", "4/5", "3 stars", then maybe a comment.
_RATING = re.compile(
    r"^\s*([1-5])\s*(?:/\s*5|\*+|★+|stars?|зв[её]зд\w*|αστέρι\w*|zvezd\w*|звезд\w*)?\s*[.!]?"
    r"\s*(?:\n(.*))?$",
    re.IGNORECASE | re.DOTALL,
)
_NEGATIVE = re.compile(
    r"\b(not?|n't|don't|doesn't|didn't|still|but|δεν|όχι|ακόμα|не|нет|всё ещё|ne|nije|није|"
    r"и даље|i dalje|još)\b|\?",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\[#(\d{1,12})-([0-9a-f]{8})\]")


def token(secret: str, ticket_id: int) -> str:
    """The request's reference for subjects: its number and a signature, so a stranger cannot
    write into someone else's request by guessing numbers."""
    tag = hmac.new(secret.encode(), f"mail-ticket:{ticket_id}".encode(), hashlib.sha256)
    return f"[#{ticket_id}-{tag.hexdigest()[:8]}]"


def ticket_in_subject(secret: str, subject: str) -> int | None:
    for number, tag in _TOKEN.findall(subject):
        if hmac.compare_digest(token(secret, int(number)), f"[#{number}-{tag}]"):
            return int(number)
    return None


@dataclass(frozen=True)
class Outcome:
    status: MailStatus
    reason: str | None = None
    conversation_id: int | None = None
    ticket_id: int | None = None
    duplicate: bool = False


@dataclass
class Desk:
    """What receiving needs: the database, the live hub, the policy, the KB search and the
    settings that bound it."""

    session_factory: sessionmaker[Session]
    hub: Hub
    policy: Policy
    secret: str
    #: The KB search (``kb.search.KbIndex.search``); None while the index loads: a person answers.
    search: Callable[..., Any] | None
    own_addresses: frozenset[str]
    max_attachment: int
    per_sender_per_hour: int


def receive(desk: Desk, raw: bytes, *, envelope_from: str | None = None) -> Outcome:
    """Never raises for bad mail: unreadable mail is kept (raw) as rejected."""
    try:
        mail = parse(raw, envelope_from=envelope_from, max_attachment=desk.max_attachment)
    except UnreadableMail as exc:
        return _reject(desk, raw, str(exc))
    try:
        return _receive(desk, mail, raw)
    except (InvalidInput, DataError) as exc:  # the mail itself is at fault: keep it, say why
        return _reject(desk, raw, f"could not be stored: {exc}".splitlines()[0][:500])


def _receive(desk: Desk, mail: ParsedMail, raw: bytes) -> Outcome:
    with unit_of_work(desk.session_factory) as session:
        email = Email(
            direction=Direction.IN.value, message_id=mail.message_id,
            from_address=mail.from_address[:320], to_address=",".join(mail.to_addresses)[:320],
            subject=mail.subject, in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references[-40:]), status=MailStatus.PROCESSED.value,
            text=mail.full_text[:MAX_FULL_CHARS],
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(email)
                session.flush()
        except IntegrityError:
            return Outcome(MailStatus.IGNORED, "duplicate", duplicate=True)
        reason = _kept_aside(session, desk, mail)
        if reason is not None:
            email.status, email.reason = MailStatus.IGNORED.value, reason
            log.info("mail from %s kept aside: %s", mail.from_address, reason)
            if reason == "bounce":
                _bounced(session, desk, raw, mail)
            return Outcome(MailStatus.IGNORED, reason)
        return _into_conversation(session, desk, mail, email)


_QUOTED_ID = re.compile(rb"^Message-ID:\s*<([^<>\s]{1,398})>", re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(rb"^Diagnostic-Code:\s*(.{1,300})$", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(rb"^Status:\s*(.{1,300})$", re.IGNORECASE | re.MULTILINE)


def _report_text(raw: bytes) -> bytes:
    """The report with its parts decoded (delivery reports quote the returned mail's headers in
    a part of their own, sometimes base64-encoded)."""
    import email as email_lib

    parts = [raw]
    with contextlib.suppress(Exception):
        for part in email_lib.message_from_bytes(raw).walk():
            if part.get_content_type() in ("message/rfc822", "message/delivery-status"):
                parts.append(part.as_bytes())
            elif not part.is_multipart():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    parts.append(payload)
    return b"\n".join(parts)


def _bounced(session: Session, desk: Desk, raw: bytes, mail: ParsedMail) -> None:
    """A delivery report about a mail the desk sent (it quotes that mail's Message-ID): the
    mail is marked bounced, with the server's words, and its ticket's agents see it."""
    text = _report_text(raw)
    quoted = {m.decode(errors="replace") for m in _QUOTED_ID.findall(text)} - {mail.message_id}
    if not quoted:
        return
    diagnostic = _DIAGNOSTIC.search(text) or _STATUS.search(text)
    why = diagnostic.group(1).decode(errors="replace").strip() if diagnostic else mail.subject
    for sent in session.scalars(
        select(Email).where(Email.message_id.in_(quoted), Email.direction == Direction.OUT.value)
    ):
        sent.status, sent.reason = MailStatus.BOUNCED.value, f"returned: {why}"[:500]
        outbox.announce(session, desk.hub, sent)
    session.flush()


def _reject(desk: Desk, raw: bytes, reason: str) -> Outcome:
    digest = hashlib.sha256(raw).hexdigest()[:40]
    with unit_of_work(desk.session_factory) as session:
        if session.scalar(select(Email.id).where(Email.message_id == f"tz-rejected-{digest}")):
            return Outcome(MailStatus.REJECTED, reason, duplicate=True)
        session.add(
            Email(direction=Direction.IN.value, message_id=f"tz-rejected-{digest}",
                  status=MailStatus.REJECTED.value, reason=reason, raw=raw)
        )  # fmt: skip
    log.warning("unreadable mail kept as rejected: %s", reason)
    return Outcome(MailStatus.REJECTED, reason)


def _kept_aside(session: Session, desk: Desk, mail: ParsedMail) -> str | None:
    if mail.automatic is not None:
        return mail.automatic
    if mail.from_address in desk.own_addresses:
        return "loop"
    since = utcnow() - timedelta(hours=1)
    recent = session.scalar(
        select(func.count(Email.id)).where(
            Email.from_address == mail.from_address,
            Email.direction == Direction.IN.value,
            Email.created_at >= since,
        )
    )
    if (recent or 0) > desk.per_sender_per_hour:  # this message's own row is counted too
        return "rate_limited"
    if not (_printable(mail.text) or mail.subject.strip() or mail.attachments):
        return "empty"
    return None


def _thread(session: Session, desk: Desk, mail: ParsedMail) -> Conversation | None:
    """The conversation this mail continues, if its sender is that conversation's customer."""
    conversation_id = None
    if mail.thread_ids:
        conversation_id = session.scalar(
            select(Email.conversation_id)
            .where(Email.message_id.in_(mail.thread_ids), Email.conversation_id.is_not(None))
            .order_by(Email.id.desc())
            .limit(1)
        )
    if conversation_id is None:
        ticket_id = ticket_in_subject(desk.secret, mail.subject)
        ticket = repo.get_ticket(session, ticket_id) if ticket_id is not None else None
        conversation_id = ticket.conversation_id if ticket is not None else None
    if conversation_id is None:
        return None
    conversation = repo.get_conversation(session, conversation_id)
    customer = repo.get_customer(session, conversation.customer_id) if conversation else None
    if conversation is None or customer is None:
        return None
    follow_up = conversation.context.get(conversations.REPLY_BY_EMAIL)
    theirs = {(customer.email or "").strip().lower(), str(follow_up or "").strip().lower()}
    if mail.from_address not in theirs:
        return None  # someone else answering a customer's thread starts their own
    return conversation


def customer_for_address(session: Session, address: str, name: str) -> Customer:
    """The customer behind an address: the one the company verified it for; else the one who
    wrote from it before; else a new customer. An address someone typed into the widget is
    not proof (anyone can type anyone's address), so it never joins their chats."""
    same = session.scalars(
        select(Customer).where(func.lower(Customer.email) == address).order_by(Customer.id)
    ).all()
    verified = next((c for c in same if c.email_verified), None)
    if verified is not None:
        return verified
    earlier = session.scalar(
        select(Customer)
        .join(Conversation, Conversation.customer_id == Customer.id)
        .join(Email, Email.conversation_id == Conversation.id)
        .where(Email.direction == Direction.IN.value, Email.from_address == address,
               Conversation.channel == Channel.EMAIL.value,
               func.lower(Customer.email) == address)
        .order_by(Email.id.desc())
        .limit(1)
    )  # fmt: skip
    if earlier is not None:
        return earlier
    customer = Customer(name=name[:200] or None, email=address[:320])
    session.add(customer)
    session.flush()
    return customer


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def _body(mail: ParsedMail) -> str:
    text = _printable(mail.text) or mail.subject.strip() or "(no text)"
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rstrip() + "\n[…]"
    return text


def _into_conversation(session: Session, desk: Desk, mail: ParsedMail, email: Email) -> Outcome:
    conversation = _thread(session, desk, mail)
    if conversation is None:
        customer = customer_for_address(session, mail.from_address, mail.from_name)
        language, _ = next_language(mail.text or mail.subject, customer.language, None)
        conversation = conversations.start_conversation(
            session, channel=Channel.EMAIL, customer=customer, language=language,
            name=mail.from_name[:200] or None,
        )  # fmt: skip
        conversations.remember(session, conversation, subject=mail.subject[:300])
    elif conversation.channel != Channel.EMAIL.value:
        # a chat's customer answering by mail: the agents' replies keep going there
        conversations.remember(session, conversation,
                               **{conversations.REPLY_BY_EMAIL: mail.from_address})  # fmt: skip
    email.conversation_id = conversation.id
    session.flush()
    attachments = _store_attachments(session, email, mail)
    payload: dict[str, Any] = {"email": {"id": email.id, "subject": mail.subject[:300],
                                         "from": mail.from_address}}  # fmt: skip
    if attachments:
        payload["attachments"] = attachments
    stored = flows.receive_customer_message(
        session, desk.hub, conversation_id=conversation.id,
        client_msg_id=f"mail:{hashlib.sha256(mail.message_id.encode()).hexdigest()[:40]}",
        text=_body(mail), max_chars=MAX_TEXT_CHARS + 10, payload=payload,
    )  # fmt: skip
    email.message_seq = stored.seq
    if stored.bot_mode:
        repo.finish_bot_turn(session, conversation.id, stored.seq)  # email's turn runs here
        ticket = _bot_turn(session, desk, conversation, stored, mail)
    else:
        ticket = repo.open_ticket_for_conversation(session, conversation.id)
    email.ticket_id = ticket.id if ticket is not None else None
    too_big = [a for a in attachments if not a["kept"]]
    if too_big:
        _say(session, desk, conversation, "not_kept", ticket,
             names=", ".join(a["filename"] for a in too_big),
             limit=f"{desk.max_attachment / 1024 / 1024:.0f} MB")  # fmt: skip
    return Outcome(MailStatus.PROCESSED, conversation_id=conversation.id,
                   ticket_id=ticket.id if ticket else None)  # fmt: skip


def _store_attachments(session: Session, email: Email, mail: ParsedMail) -> list[dict[str, Any]]:
    shown = []
    for attachment in mail.attachments:
        row = EmailAttachment(
            email_id=email.id, filename=attachment.filename,
            content_type=attachment.content_type, size=attachment.size,
            kept=attachment.kept, data=attachment.data,
        )  # fmt: skip
        session.add(row)
        session.flush()
        shown.append({"id": row.id, "filename": row.filename, "size": row.size,
                      "kept": row.kept, "content_type": row.content_type})  # fmt: skip
    return shown


def _bot_turn(
    session: Session,
    desk: Desk,
    conversation: Conversation,
    stored: flows.Stored,
    mail: ParsedMail,
) -> Ticket | None:
    latest = repo.latest_ticket_for_conversation(session, conversation.id)
    if (
        latest is not None
        and latest.status == TicketStatus.RESOLVED.value
        and latest.end_reason == EndReason.RESOLVED.value
        and latest.resolved_at is not None
        and utcnow() - latest.resolved_at <= REOPEN_WITHIN
    ):
        rating = _RATING.match(stored.text)
        if rating:  # the resolution mail asks for a number from 1 to 5
            comment = (rating.group(2) or "").strip() or None
            tickets.rate(session, desk.hub, conversation_id=conversation.id, ticket_id=latest.id,
                         score=int(rating.group(1)), comment=comment)  # fmt: skip
            return latest
        if thanks(stored.text):
            return latest  # "thanks!" to the resolution: kept with the request, not reopened
        reopened = tickets.reopen_by_customer(session, desk.hub, ticket=latest, policy=desk.policy)
        _say(session, desk, conversation, "reopened", reopened)
        return reopened
    answered_before = isinstance(conversation.context.get("last_answer"), dict)
    if answered_before and thanks(stored.text):
        flows.record_feedback(session, conversation_id=conversation.id, helpful=True)
        return None  # "thanks, that solved it": nothing for a person to do
    if answered_before or stored.intent == flows.REQUEST_HUMAN:
        # a reply to the bot's answer: it did not settle it; a person takes it from here (the
        # flow has made a request for a person the message's intent already)
        if stored.intent != flows.REQUEST_HUMAN:
            conversation.unhelpful_answers += 1
        return _hand_off(session, desk, conversation, stored.intent)
    _, plan = desk.policy.plan(_plan_of(session, conversation))
    result = None
    if desk.search is not None and plan.email_bot and len(stored.text) <= BOT_MAX_CHARS:
        result = desk.search(stored.text, language=stored.language)
    if result is not None and result.decision == "answer" and result.best is not None:
        flows.store_bot_replies(
            session, desk.hub, conversation_id=conversation.id,
            outputs=[{"custom": flows.answer_reply(result.best, stored.text, stored.language)}],
        )  # fmt: skip
        return None
    flows.record_unanswered(
        session, conversation_id=conversation.id, query=stored.text,
        missing=result is not None and not result.hits,
    )  # fmt: skip
    return _hand_off(session, desk, conversation, None)


def _plan_of(session: Session, conversation: Conversation) -> str | None:
    customer = repo.get_customer(session, conversation.customer_id)
    return customer.plan if customer else None


def thanks(text: str) -> bool:
    """A short reply that thanks or says it worked, with nothing negative or asked in it."""
    return len(text) <= 120 and bool(_THANKS.search(text)) and not _NEGATIVE.search(text)


def _hand_off(
    session: Session, desk: Desk, conversation: Conversation, intent: str | None
) -> Ticket:
    result = flows.hand_off_from_bot(
        session, desk.hub, conversation_id=conversation.id, intent=intent, policy=desk.policy
    )
    if result.created:
        due = result.ticket.first_response_due_at
        if due is not None:
            from handoff.availability import when

            _say(session, desk, conversation, "received", result.ticket,
                 when=when(desk.policy, due))  # fmt: skip
        else:
            _say(session, desk, conversation, "received_soon", result.ticket)
    return result.ticket


def _say(
    session: Session,
    desk: Desk,
    conversation: Conversation,
    key: str,
    ticket: Ticket | None,
    **values: object,
) -> None:
    """A system message of the mail channel, stored in the conversation (the console shows it;
    ``mail.outbound`` sends it)."""
    ticket_values = {"ticket": ticket.id} if ticket is not None else {}
    tickets.tell(
        session, desk.hub, conversation, texts.say(key, conversation.language, **ticket_values,
                                                   **values),
        {"kind": f"mail_{key}", **({"ticket_id": ticket.id} if ticket else {})},
    )  # fmt: skip
