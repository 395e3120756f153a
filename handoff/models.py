"""Conversation and ticket data model.

Shaped for what comes later (tiers, routing by skills/language/capacity, SLA timers, email as a
second channel, reports from events): those columns exist now, the rules that use them come with
their issues.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tierzero.db import Base, utcnow

TIERS = ("L1", "L2", "L3")
TICKET_STATUSES = ("queued", "assigned", "waiting_on_customer", "resolved", "closed")
AGENT_ROLES = ("agent", "editor", "admin")
SENDERS = ("customer", "bot", "agent", "system")


RASA_SENDER_PREFIX = "tz-conversation-"


def rasa_sender_id(conversation_id: int) -> str:
    """Rasa's sender id, derived from the stored conversation (never chosen by a client)."""
    return f"{RASA_SENDER_PREFIX}{conversation_id}"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    plan: Mapped[str] = mapped_column(String(40), default="free")
    language: Mapped[str | None] = mapped_column(String(8))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    tier: Mapped[str] = mapped_column(String(2), default="L1")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    chat_capacity: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("role in ('agent','editor','admin')", name="role"),
        CheckConstraint("tier in ('L1','L2','L3')", name="tier"),
    )


class Conversation(Base):
    """One chat (later: one email thread). Its Rasa sender id is ``rasa_sender_id(id)``."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="widget")
    mode: Mapped[str] = mapped_column(String(10), default="bot")  # bot | human | closed
    language: Mapped[str | None] = mapped_column(String(8))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful_answers: Mapped[int] = mapped_column(Integer, default=0)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(lazy="raise")

    __table_args__ = (CheckConstraint("mode in ('bot','human','closed')", name="mode"),)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(10))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint(
            "conversation_id", "client_msg_id", name="uq_messages_conversation_client_msg"
        ),
        CheckConstraint("sender in ('customer','bot','agent','system')", name="sender"),
    )


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="queued")
    tier: Mapped[str] = mapped_column(String(2), default="L1")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    language: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(20), default="widget")
    subject: Mapped[str] = mapped_column(String(300), default="")
    topic: Mapped[str | None] = mapped_column(String(200))
    handoff_reason: Mapped[str] = mapped_column(String(30))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    bot_attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_response_due_at: Mapped[datetime | None] = mapped_column()
    resolution_due_at: Mapped[datetime | None] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "status in ('queued','assigned','waiting_on_customer','resolved','closed')",
            name="status",
        ),
        CheckConstraint("tier in ('L1','L2','L3')", name="tier"),
        Index("ix_tickets_queue", "status", "tier", "created_at"),
    )


class TicketEvent(Base):
    """Every state change of a ticket, written in the same transaction: audit trail and reports."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
