"""Every query of the handoff domain; services hold the rules, this holds the SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from handoff.models import Agent, Conversation, Customer, Message, Ticket, TicketEvent
from tierzero.db import utcnow


def get_conversation(session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def get_customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def allocate_seq(session: Session, conversation_id: int) -> int:
    """Atomically take the next message number of a conversation (SQLite and PostgreSQL)."""
    seq = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1, updated_at=utcnow())
        .returning(Conversation.last_seq)
    ).scalar_one()
    return int(seq)


def find_message_by_client_id(
    session: Session, conversation_id: int, client_msg_id: str
) -> Message | None:
    return session.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_msg_id == client_msg_id
        )
    ).first()


def messages_since(
    session: Session, conversation_id: int, since: int = 0, limit: int | None = None
) -> Sequence[Message]:
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > since)
        .order_by(Message.seq)
    )
    return session.scalars(query if limit is None else query.limit(limit)).all()


def get_ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def ticket_for_conversation(session: Session, conversation_id: int) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id)).first()


def list_tickets(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    tier: str | None = None,
    assignee_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Ticket]:
    waiting_first = case((Ticket.status == "queued", 0), else_=1)
    query = (
        select(Ticket)
        .order_by(waiting_first, Ticket.created_at, Ticket.id)
        .limit(limit)
        .offset(offset)
    )
    if statuses:
        query = query.where(Ticket.status.in_(statuses))
    if tier:
        query = query.where(Ticket.tier == tier)
    if assignee_id is not None:
        query = query.where(Ticket.assignee_id == assignee_id)
    return session.scalars(query).all()


def claim_ticket(session: Session, ticket_id: int, agent_id: int) -> bool:
    """One conditional UPDATE: exactly one concurrent claimant sees a row change."""
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None), Ticket.status == "queued")
        .values(assignee_id=agent_id, status="assigned", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def ticket_events(session: Session, ticket_id: int) -> Sequence[TicketEvent]:
    return session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()


def agent_by_email(session: Session, email: str) -> Agent | None:
    return session.scalars(select(Agent).where(Agent.email == email.strip().lower())).first()


def get_agent(session: Session, agent_id: int) -> Agent | None:
    return session.get(Agent, agent_id)
