"""Conversations and their messages: start, store (idempotent per client message id), read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff import channels
from handoff import repository as repo
from handoff.errors import ConversationNotFound, MessageRejected, MessageTooLong
from handoff.lifecycle import Channel, Sender
from handoff.models import Conversation, Customer, Message
from tierzero.db import utcnow
from tierzero.languages import normalise_language, script_of_tag


def clean_text(text: str, *, max_chars: int) -> str:
    """Reject what no person would send; keep newlines and tabs, drop other control characters."""
    if len(text) > max_chars:
        raise MessageTooLong(f"message is too long: at most {max_chars} characters")
    cleaned = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if not cleaned:
        raise MessageRejected("message text must not be empty")
    return cleaned


def start_conversation(
    session: Session,
    *,
    name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    page_url: str | None = None,
    channel: Channel = Channel.WIDGET,
    customer: Customer | None = None,
) -> Conversation:
    """A new conversation, for ``customer`` (identified) or a new anonymous one."""
    spoken = normalise_language(language)
    if customer is None:
        customer = Customer(name=name, email=email, language=spoken)
        session.add(customer)
        session.flush()
    else:  # what the page says fills gaps; it never overwrites what the desk knows
        customer.name = customer.name or name
        customer.email = customer.email or email
        customer.language = customer.language or spoken
    conversation = Conversation(
        customer_id=customer.id,
        channel=channel.value,
        language=spoken or customer.language,
        # a page in "sr-Cyrl" starts the chat in Cyrillic (then it follows what they write)
        script=script_of_tag(language) if spoken == "sr" else None,
        context={"page_url": page_url} if page_url else {},
    )
    session.add(conversation)
    session.flush()
    return conversation


def get_conversation(session: Session, conversation_id: int) -> Conversation:
    conversation = repo.get_conversation(session, conversation_id)
    if conversation is None:
        raise ConversationNotFound("conversation not found")
    return conversation


def add_message(
    session: Session,
    *,
    conversation_id: int,
    sender: Sender,
    text: str,
    payload: dict[str, Any] | None = None,
    agent_id: int | None = None,
    client_msg_id: str | None = None,
) -> Message:
    seq = repo.allocate_seq(session, conversation_id)
    message = Message(
        conversation_id=conversation_id,
        seq=seq,
        sender=sender.value,
        text=text,
        payload=payload or {},
        agent_id=agent_id,
        client_msg_id=client_msg_id,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    channels.stored(session, message)  # email and other channels queue their delivery
    return message


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool  # False: a retry of a message already stored (same client_msg_id)


def store_customer_message(
    session: Session,
    *,
    conversation_id: int,
    client_msg_id: str,
    text: str,
    max_chars: int,
    payload: dict[str, Any] | None = None,
) -> Received:
    """Store a customer message once per client_msg_id, however often the client retries it."""
    existing = repo.find_message_by_client_id(session, conversation_id, client_msg_id)
    if existing is not None:
        return Received(existing, created=False)
    cleaned = clean_text(text, max_chars=max_chars)
    try:
        with session.begin_nested():
            message = add_message(
                session,
                conversation_id=conversation_id,
                sender=Sender.CUSTOMER,
                text=cleaned,
                client_msg_id=client_msg_id,
                payload=payload,
            )
    except IntegrityError:  # a concurrent retry stored it first
        existing = repo.find_message_by_client_id(session, conversation_id, client_msg_id)
        if existing is None:
            raise
        return Received(existing, created=False)
    return Received(message, created=True)


def transcript(session: Session, conversation_id: int, since: int = 0) -> Sequence[Message]:
    return repo.messages_since(session, conversation_id, since)


def remember(session: Session, conversation: Conversation, **values: Any) -> None:
    """Keep facts about the conversation (last answer, low-confidence question) in its context."""
    conversation.context = {**conversation.context, **values}
    session.flush()


#: Conversation context: the address a chat's customer left for the answer (mail.outbound
#: sends the agents' replies there until the request is resolved).
REPLY_BY_EMAIL = "reply_by_email"
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")


def valid_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise MessageRejected("that does not look like an email address")
    return email


def leave_contact(session: Session, *, conversation_id: int, email: str) -> Customer:
    """The customer's email address for a follow-up (validated): this conversation's answers
    go there; it becomes the customer's address unless the company verified another one (a
    typed address is not proof, and must not replace one that is)."""
    email = valid_email(email)
    conversation = get_conversation(session, conversation_id)
    customer = session.get(Customer, conversation.customer_id)
    if customer is None:
        raise ConversationNotFound("conversation not found")
    if not customer.email_verified:
        customer.email = email
    remember(session, conversation, **{REPLY_BY_EMAIL: email})
    return customer
