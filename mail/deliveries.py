"""The agent's view of a ticket's mail: every message in and out with its delivery state, the
attachments it carried, and another try of a mail that has not gone out."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, undefer

from handoff import tickets
from handoff.errors import TicketNotFound
from handoff.models import Agent
from mail import outbox
from mail.models import Direction, Email, EmailAttachment, MailStatus
from mail.schemas import AsideRead, AttachmentRead, EmailRead
from tierzero.db import utcnow


def _of(session: Session, agent: Agent, ticket_id: int) -> Select[Email]:
    """The mail of the ticket's part of its conversation — what its transcript shows (a later
    ticket of the same conversation may belong to a tier this agent does not see); 404 unless
    the agent may see the ticket."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    query = select(Email).where(Email.conversation_id == ticket.conversation_id)
    end = tickets.transcript_end(session, ticket)
    return query if end is None else query.where(Email.message_seq <= end)


def of_ticket(session: Session, agent: Agent, ticket_id: int) -> list[EmailRead]:
    """The ticket's mail in and out, oldest first, with the files that came with it."""
    emails: Sequence[Email] = session.scalars(
        _of(session, agent, ticket_id).order_by(Email.id).options(undefer(Email.text))
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
    """A kept attachment of the ticket's mail (404 for anything else)."""
    mails = _of(session, agent, ticket_id).with_only_columns(Email.id)
    found = session.scalar(
        select(EmailAttachment)
        .where(EmailAttachment.id == attachment_id, EmailAttachment.email_id.in_(mails),
               EmailAttachment.kept.is_(True))
        .options(undefer(EmailAttachment.data))
    )  # fmt: skip
    if found is None or found.data is None:
        raise TicketNotFound("attachment not found")
    return found


def kept_aside(session: Session, *, limit: int) -> list[AsideRead]:
    """The latest received mail that made nothing (ignored or rejected), newest first."""
    rows = session.scalars(
        select(Email)
        .where(Email.direction == Direction.IN.value,
               Email.status.in_([MailStatus.IGNORED.value, MailStatus.REJECTED.value]))
        .order_by(Email.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [AsideRead.model_validate(e) for e in rows]


def rejected_raw(session: Session, email_id: int) -> bytes:
    """The message as it arrived, of a mail the desk could not read."""
    email = session.scalars(
        select(Email).where(Email.id == email_id, Email.status == MailStatus.REJECTED.value)
        .options(undefer(Email.raw))
    ).first()  # fmt: skip
    if email is None or email.raw is None:
        raise TicketNotFound("no such rejected mail")
    return email.raw


def retry(session: Session, agent: Agent, ticket_id: int, email_id: int) -> EmailRead:
    """Try a waiting or failed mail of the ticket again now (a sent one stays as it is)."""
    email = session.scalars(_of(session, agent, ticket_id).where(Email.id == email_id)).first()
    if email is None or email.direction != Direction.OUT.value:
        raise TicketNotFound("email not found")
    outbox.retry_now(session, email, utcnow())
    return EmailRead.model_validate(email)
