"""What the api shows of emails (pydantic v2)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from mail.models import Email


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    kept: bool


class AsideRead(BaseModel):
    """A received mail the desk kept aside (no person wrote it, a flood, a loop) or could not
    read (rejected: its raw message is kept for an admin)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    from_address: str
    subject: str
    status: str
    reason: str | None
    created_at: datetime


class EmailRead(BaseModel):
    """One mail of a ticket's conversation, in or out: for outgoing mail where it is in the
    outbox (queued, sending, sent, failed), how many tries it took and the last error."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: str
    message_seq: int | None
    from_address: str
    to_address: str
    subject: str
    status: str
    reason: str | None
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    #: In: everything readable in the mail, what the customer quoted included.
    text: str | None = None
    attachments: list[AttachmentRead] = Field(default_factory=list)


def email_frame(email: Email) -> dict[str, Any]:
    """A live frame for the ticket's watchers: one of its mails changed (sent, failed, waiting
    again, bounced)."""
    read = EmailRead.model_validate(email).model_dump(mode="json")
    return {"type": "email", "ticket_id": email.ticket_id, "email": read}
