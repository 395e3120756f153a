"""The agent's view of a ticket's mail: every message in and out with its delivery state, the
attachments it carried, and another try of a mail that has not gone out."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from handoff import tickets
from handoff.errors import TicketNotFound
from handoff.models import Agent
from mail import outbox
from mail.models import Direction, Email, EmailAttachment
from mail.schemas import AttachmentRead, EmailRead
from tierzero.db import utcnow


def of_ticket(session: Session, agent: Agent, ticket_id: int) -> list[EmailRead]:
    """404 unless the agent may see the ticket; its conversation's mail, oldest first."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    emails: Sequence[Email] = session.scalars(
        select(Email).where(Email.conversation_id == ticket.conversation_id).order_by(Email.id)
    ).all()
    files = session.scalars(
        select(EmailAttachment)
        .where(EmailAttachment.email_id.in_([e.id for e in emails]))
        .order_by(EmailAttachment.id)
    ).all()
    out = []
    for email in emails:
        read = EmailRead.model_validate(email)
        read.attachments = [
            AttachmentRead.model_validate(f) for f in files if f.email_id == email.id
        ]
        out.append(read)
    return out


def attachment(
    session: Session, agent: Agent, ticket_id: int, attachment_id: int
) -> EmailAttachment:
    """A kept attachment of the ticket's conversation (404 for anything else)."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    found = session.scalar(
        select(EmailAttachment)
        .join(Email, Email.id == EmailAttachment.email_id)
        .where(EmailAttachment.id == attachment_id,
               Email.conversation_id == ticket.conversation_id,
               EmailAttachment.kept.is_(True))
        .options(undefer(EmailAttachment.data))
    )  # fmt: skip
    if found is None or found.data is None:
        raise TicketNotFound("attachment not found")
    return found


def retry(session: Session, agent: Agent, ticket_id: int, email_id: int) -> EmailRead:
    """Try a waiting or failed mail of the ticket again now (a sent one stays as it is)."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    email = session.get(Email, email_id)
    if (
        email is None
        or email.conversation_id != ticket.conversation_id
        or email.direction != Direction.OUT.value
    ):
        raise TicketNotFound("email not found")
    outbox.retry_now(session, email, utcnow())
    return EmailRead.model_validate(email)
