"""Conversation and ticket data model.

Shaped for what comes later (tiers, routing by skills/language/capacity, SLA timers, email as a
second channel, reports from events): those columns exist now, the rules that use them come with
their issues.
"""

from __future__ import annotations

import hashlib
import hmac
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
    exists,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from handoff.lifecycle import (
    OPEN_STATUSES,
    Actor,
    Channel,
    ConversationMode,
    OfferStatus,
    Presence,
    Priority,
    Role,
    Sender,
    TicketStatus,
    Tier,
    sql_in,
)
from tierzero.db import Base, utcnow

_OPEN = f"status in {sql_in(sorted(OPEN_STATUSES))}"
_TIMERS_BEHIND = "timers_version < version"


RASA_SENDER_PREFIX = "tz-conversation-"


def rasa_sender_id(conversation_id: int, key: str) -> str:
    """Rasa's sender id, derived from the stored conversation (never chosen by a client) and
    signed with ``key`` (the api's secret key), so nobody can name another conversation's
    tracker from its number alone."""
    tag = hmac.new(key.encode(), f"rasa-sender:{conversation_id}".encode(), hashlib.sha256)
    return f"{RASA_SENDER_PREFIX}{conversation_id}-{tag.hexdigest()[:20]}"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    plan: Mapped[str] = mapped_column(String(40), default="free")
    language: Mapped[str | None] = mapped_column(String(8))
    #: ``email_verified``: the address is known to be theirs (set by the company: a lead, the
    #: billing sync), so mail from it joins this customer's history; a typed address is not.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def email_verified(self) -> bool:
        return bool((self.attributes or {}).get("email_verified"))

    @email_verified.setter
    def email_verified(self, value: bool) -> None:
        self.attributes = {**(self.attributes or {}), "email_verified": bool(value)}


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.AGENT.value)
    tier: Mapped[str] = mapped_column(String(2), default=Tier.L1.value)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    chat_capacity: Mapped[int] = mapped_column(Integer, default=5)
    email_capacity: Mapped[int] = mapped_column(Integer, default=3)
    presence: Mapped[str] = mapped_column(String(10), default=Presence.OFFLINE.value)
    presence_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When routing last offered this agent a ticket: ties between equally loaded agents go to
    #: the one who waited longest (round robin).
    last_offered_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    #: Every token names the version it was issued under; logging out, a new password or
    #: deactivation bumps it, and every older token stops working at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"role in {sql_in(Role)}", name="role"),
        CheckConstraint(f"tier in {sql_in(Tier)}", name="tier"),
        CheckConstraint(f"presence in {sql_in(Presence)}", name="presence"),
    )


class Conversation(Base):
    """One chat (later: one email thread). Its Rasa sender id is ``rasa_sender_id(id)``."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.WIDGET.value)
    mode: Mapped[str] = mapped_column(String(10), default=ConversationMode.BOT.value)
    language: Mapped[str | None] = mapped_column(String(8))
    #: Serbian is written in two scripts: "Cyrl" or "Latn", following what the customer writes.
    script: Mapped[str | None] = mapped_column(String(4))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful_answers: Mapped[int] = mapped_column(Integer, default=0)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(lazy="raise")

    __table_args__ = (CheckConstraint(f"mode in {sql_in(ConversationMode)}", name="mode"),)


class PendingBotTurn(Base):
    """A customer message (``seq``) whose bot turn has not finished: added when the message is
    stored in bot mode, deleted in the transaction that stores the turn's replies. A turn cut off
    (the api stopped mid-turn) leaves its row, and runs again when the customer reconnects."""

    __tablename__ = "pending_bot_turns"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    #: Its bot turn has not finished (see PendingBotTurn); read only when asked for.
    bot_pending: Mapped[bool] = column_property(
        exists().where(
            PendingBotTurn.conversation_id == conversation_id, PendingBotTurn.seq == seq
        ),
        deferred=True,
    )

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint(
            "conversation_id", "client_msg_id", name="uq_messages_conversation_client_msg"
        ),
        CheckConstraint(f"sender in {sql_in(Sender)}", name="sender"),
    )


class Ticket(Base):
    """A handed-off conversation in a human queue. At most one *open* ticket per conversation
    (a partial unique index); a conversation handed off again after resolution gets a new one."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default=TicketStatus.QUEUED.value)
    tier: Mapped[str] = mapped_column(String(2), default=Tier.L1.value)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL.value)
    #: Queue order of the priority (0 = urgent), kept next to it so the queue index can sort.
    priority_rank: Mapped[int] = mapped_column(Integer, default=Priority.NORMAL.rank)
    language: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(20), default=Channel.WIDGET.value)
    subject: Mapped[str] = mapped_column(String(300), default="")
    topic: Mapped[str | None] = mapped_column(String(200))
    handoff_reason: Mapped[str] = mapped_column(String(30))
    end_reason: Mapped[str | None] = mapped_column(String(30))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    #: Every change of status, tier or assignee bumps it; a client that states the version it
    #: saw gets 409 when someone changed the ticket in between.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The version whose timers (SLA warnings and breaches, handling limits, timed exits) are
    #: planned; behind ``version``, the scheduler's planner has a change to look at.
    timers_version: Mapped[int] = mapped_column(Integer, default=0)
    #: Every eligible agent declined or let the offer expire: a lead must route it.
    needs_lead: Mapped[bool] = mapped_column(default=False)
    #: The last message seq when the conversation was handed off (what the bot saw).
    handoff_seq: Mapped[int] = mapped_column(Integer, default=0)
    bot_attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: What travels with the ticket: transcript at handoff, identity and plan, page, earlier
    #: tickets (see handoff.tickets.handoff_packet).
    packet: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_response_due_at: Mapped[datetime | None] = mapped_column()
    resolution_due_at: Mapped[datetime | None] = mapped_column()
    #: The next deadline that counts (first response, then resolution; none once it is done):
    #: what the queue sorts by first.
    due_at: Mapped[datetime | None] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    assigned_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    #: The customer's verdict on the resolution (CSAT 1–5, a comment); the latest counts.
    csat_score: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str | None] = mapped_column(Text)
    csat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"status in {sql_in(TicketStatus)}", name="status"),
        CheckConstraint("csat_score is null or (csat_score between 1 and 5)", name="csat_score"),
        CheckConstraint(f"tier in {sql_in(Tier)}", name="tier"),
        CheckConstraint(f"priority in {sql_in(Priority)}", name="priority"),
        Index("ix_tickets_queue", "status", "tier", "priority_rank", "created_at"),
        Index("ix_tickets_due", "status", "tier", "due_at"),
        Index(
            "ix_tickets_timers_behind",
            "id",
            sqlite_where=text(_TIMERS_BEHIND),
            postgresql_where=text(_TIMERS_BEHIND),
        ),
        Index(
            "uq_tickets_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
    )


class TicketEvent(Base):
    """Every change of a ticket, written in the same transaction: audit trail and reports.

    Written only by ``handoff.lifecycle`` (``apply`` for status changes, ``record`` for the rest).
    """

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(10), default=Actor.SYSTEM.value)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"actor in {sql_in(Actor)}", name="actor"),
        Index("ix_ticket_events_kind_created_at", "kind", "created_at"),
    )


class TicketOffer(Base):
    """Routing offered a ticket to an agent; at most one pending offer per ticket."""

    __tablename__ = "ticket_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=OfferStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(f"status in {sql_in(OfferStatus)}", name="status"),
        Index(
            "uq_ticket_offers_pending",
            "ticket_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )


class CannedResponse(Base):
    """A reply agents send often, per language, with placeholders; managed by leads."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("title", "language", name="uq_canned_responses_title"),)
