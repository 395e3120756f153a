"""What the desk keeps of every email, in and out, and the attachments it stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from handoff.lifecycle import sql_in
from tierzero.db import Base, utcnow


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MailStatus(StrEnum):
    """In: what became of a received message. Out: where it is in the outbox."""

    PROCESSED = "processed"  # in: stored in a conversation
    IGNORED = "ignored"  # in: an auto-reply, a bounce, a flood: kept aside, nothing created
    REJECTED = "rejected"  # in: unreadable; the raw message is kept for an admin
    QUEUED = "queued"  # out: waiting for its (next) try
    SENDING = "sending"  # out: a worker is sending it (until ``next_attempt_at``, its lease)
    SENT = "sent"
    FAILED = "failed"  # out: gave up after the last try; the agent sees why
    BOUNCED = "bounced"  # out: taken by the server, then returned by the recipient's


class Email(Base):
    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    #: The Message-ID without angle brackets: one row per message, whichever way it went.
    message_id: Mapped[str] = mapped_column(String(400), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    #: The conversation message this email carries (the customer's, or the reply sent).
    message_seq: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    from_address: Mapped[str] = mapped_column(String(320), default="")
    to_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    in_reply_to: Mapped[str | None] = mapped_column(String(400))
    references: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10))
    #: Why it was ignored or rejected, or the last sending error.
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    #: In: everything readable in it, quotes included (the conversation keeps the customer's
    #: own words; the agent can open the whole mail).
    text: Mapped[str | None] = deferred(mapped_column(Text))
    #: Out: the composed message, sent as is on every try. In: kept only when it was rejected.
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"direction in {sql_in(Direction)}", name="direction"),
        CheckConstraint(f"status in {sql_in(MailStatus)}", name="status"),
        Index("ix_emails_conversation", "conversation_id", "id"),
        Index("ix_emails_outbox", "status", "next_attempt_at"),
        Index("ix_emails_sender", "from_address", "created_at"),
    )


class EmailAttachment(Base):
    """A received attachment; over the size limit only its name and size are kept."""

    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("emails.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    kept: Mapped[bool] = mapped_column(default=True)
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
