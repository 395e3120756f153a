"""The rules of conversations, handoff and tickets: plain functions, session first, flush only."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.errors import (
    AgentExists,
    ConversationNotFound,
    InvalidCredentials,
    MessageRejected,
    MessageTooLong,
    TicketAlreadyClaimed,
    TicketClosed,
    TicketNotAssignedToYou,
    TicketNotFound,
)
from handoff.models import Agent, Conversation, Customer, Message, Ticket, TicketEvent
from handoff.passwords import hash_password, verify_password
from tierzero.db import utcnow

HANDOFF_REASONS = ("asked_for_person", "unhelpful_answers", "low_confidence", "urgent")
SUPPORTED_LANGUAGES = ("en", "el", "ru", "sr")


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


def normalise_language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED_LANGUAGES else None


# --- conversations -----------------------------------------------------------------------


def start_conversation(
    session: Session,
    *,
    name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    page_url: str | None = None,
    channel: str = "widget",
) -> Conversation:
    customer = Customer(name=name, email=email, language=normalise_language(language))
    session.add(customer)
    session.flush()
    conversation = Conversation(
        customer_id=customer.id,
        channel=channel,
        language=customer.language,
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
    sender: str,
    text: str,
    payload: dict[str, Any] | None = None,
    agent_id: int | None = None,
    client_msg_id: str | None = None,
) -> Message:
    seq = repo.allocate_seq(session, conversation_id)
    message = Message(
        conversation_id=conversation_id,
        seq=seq,
        sender=sender,
        text=text,
        payload=payload or {},
        agent_id=agent_id,
        client_msg_id=client_msg_id,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool  # False: a retry of a message already stored (same client_msg_id)


def receive_customer_message(
    session: Session, *, conversation_id: int, client_msg_id: str, text: str, max_chars: int
) -> Received:
    """Store a customer message once per client_msg_id, however often the widget retries it."""
    existing = repo.find_message_by_client_id(session, conversation_id, client_msg_id)
    if existing is not None:
        return Received(existing, created=False)
    cleaned = clean_text(text, max_chars=max_chars)
    try:
        with session.begin_nested():
            message = add_message(
                session,
                conversation_id=conversation_id,
                sender="customer",
                text=cleaned,
                client_msg_id=client_msg_id,
            )
    except IntegrityError:  # a concurrent retry stored it first
        existing = repo.find_message_by_client_id(session, conversation_id, client_msg_id)
        if existing is None:
            raise
        return Received(existing, created=False)
    ticket = repo.ticket_for_conversation(session, conversation_id)
    if ticket is not None and ticket.status == "waiting_on_customer":
        _set_status(session, ticket, "assigned", kind="customer_replied")
    return Received(message, created=True)


def set_conversation_language(session: Session, conversation: Conversation, language: str) -> None:
    if language in SUPPORTED_LANGUAGES and conversation.language != language:
        conversation.language = language
        session.flush()


def transcript(session: Session, conversation_id: int, since: int = 0) -> Sequence[Message]:
    return repo.messages_since(session, conversation_id, since)


# --- handoff and tickets -------------------------------------------------------------------


def _event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    agent_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, kind=kind, agent_id=agent_id, data=data or {}))


def _set_status(
    session: Session, ticket: Ticket, status: str, *, kind: str, agent_id: int | None = None
) -> None:
    previous = ticket.status
    ticket.status = status
    ticket.updated_at = utcnow()
    _event(session, ticket, kind, agent_id=agent_id, data={"from": previous, "to": status})
    session.flush()


@dataclass(frozen=True)
class HandoffResult:
    ticket: Ticket
    created: bool


def hand_off(
    session: Session,
    *,
    conversation_id: int,
    reason: str,
    topic: str | None = None,
    priority: str = "normal",
) -> HandoffResult:
    """Turn a conversation into a queued ticket; idempotent per conversation (retries are safe)."""
    if reason not in HANDOFF_REASONS:
        raise MessageRejected(f"unknown handoff reason {reason!r}")
    existing = repo.ticket_for_conversation(session, conversation_id)
    if existing is not None:
        return HandoffResult(existing, created=False)
    conversation = get_conversation(session, conversation_id)
    messages = repo.messages_since(session, conversation_id)
    first_question = next((m.text for m in messages if m.sender == "customer"), "")
    attempts = [
        {
            "seq": m.seq,
            "article_id": m.payload["article"].get("id"),
            "title": m.payload["article"].get("title"),
            "confidence": m.payload["article"].get("confidence"),
        }
        for m in messages
        if m.sender == "bot" and isinstance(m.payload.get("article"), dict)
    ]
    ticket = Ticket(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        status="queued",
        tier="L1",
        priority=priority,
        language=conversation.language,
        channel=conversation.channel,
        subject=first_question[:300],
        topic=topic,
        handoff_reason=reason,
        bot_attempts=attempts,
    )
    try:
        with session.begin_nested():
            session.add(ticket)
            session.flush()
    except IntegrityError:  # a concurrent retry of the same handoff won
        winner = repo.ticket_for_conversation(session, conversation_id)
        if winner is None:
            raise
        return HandoffResult(winner, created=False)
    conversation.mode = "human"
    _event(session, ticket, "created", data={"reason": reason, "messages": len(messages)})
    session.flush()
    return HandoffResult(ticket, created=True)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = repo.get_ticket(session, ticket_id)
    if ticket is None:
        raise TicketNotFound("ticket not found")
    return ticket


def list_queue(
    session: Session,
    *,
    status: str | None = None,
    tier: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Ticket]:
    """Open tickets, queued ones first (oldest first), then the ones being worked."""
    statuses = [status] if status else ["queued", "assigned", "waiting_on_customer"]
    return repo.list_tickets(session, statuses=statuses, tier=tier, limit=limit, offset=offset)


def claim(session: Session, *, ticket_id: int, agent: Agent) -> Ticket:
    if not repo.claim_ticket(session, ticket_id, agent.id):
        ticket = get_ticket(session, ticket_id)
        raise TicketAlreadyClaimed(
            "ticket is already claimed" if ticket.assignee_id else f"ticket is {ticket.status}"
        )
    ticket = get_ticket(session, ticket_id)
    session.refresh(ticket)
    _event(session, ticket, "claimed", agent_id=agent.id, data={"from": "queued", "to": "assigned"})
    session.flush()
    return ticket


def reply(session: Session, *, ticket_id: int, agent: Agent, text: str) -> Message:
    ticket = get_ticket(session, ticket_id)
    if ticket.status in ("resolved", "closed"):
        raise TicketClosed(f"ticket is {ticket.status}")
    if ticket.assignee_id != agent.id:
        raise TicketNotAssignedToYou("claim the ticket before replying")
    cleaned = clean_text(text, max_chars=10_000)
    message = add_message(
        session,
        conversation_id=ticket.conversation_id,
        sender="agent",
        text=cleaned,
        agent_id=agent.id,
        payload={"agent_name": agent.name},
    )
    now = utcnow()
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        _event(session, ticket, "first_response", agent_id=agent.id)
    _event(session, ticket, "agent_replied", agent_id=agent.id, data={"seq": message.seq})
    ticket.updated_at = now
    session.flush()
    return message


def ticket_detail(session: Session, ticket_id: int) -> dict[str, Any]:
    ticket = get_ticket(session, ticket_id)
    customer = repo.get_customer(session, ticket.customer_id)
    return {
        "ticket": ticket,
        "customer": customer,
        "transcript": repo.messages_since(session, ticket.conversation_id),
        "events": repo.ticket_events(session, ticket.id),
    }


# --- agents ------------------------------------------------------------------------------


def create_agent(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str = "agent",
    tier: str = "L1",
    languages: Sequence[str] = ("en",),
    skills: Sequence[str] = (),
) -> Agent:
    email = email.strip().lower()
    if repo.agent_by_email(session, email) is not None:
        raise AgentExists(f"an agent with email {email} already exists")
    if len(password) < 8:
        raise MessageRejected("password must have at least 8 characters")
    agent = Agent(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        tier=tier,
        languages=list(languages),
        skills=list(skills),
    )
    session.add(agent)
    session.flush()
    return agent


def authenticate(session: Session, *, email: str, password: str) -> Agent:
    agent = repo.agent_by_email(session, email)
    valid = verify_password(agent.password_hash if agent else None, password)
    if agent is None or not valid or not agent.active:
        raise InvalidCredentials("wrong email or password")
    return agent


def get_agent(session: Session, agent_id: int) -> Agent | None:
    return repo.get_agent(session, agent_id)


def get_agent_by_email(session: Session, email: str) -> Agent | None:
    return repo.agent_by_email(session, email)
