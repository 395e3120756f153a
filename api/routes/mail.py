"""Mail of a ticket, for the agents who may see the ticket (any tier it is visible to, leads,
admins; 404 otherwise): the list with delivery states, an attachment's download, another try of
a mail that has not gone out. Mail the desk kept aside: leads and admins (its raw form: admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import AdminDep, LeadDep, ReadSessionDep, SessionDep, TicketWorkerDep
from api.errors import refusals
from mail import deliveries
from mail.schemas import AsideRead, EmailRead

router = APIRouter(prefix="/v1/agent/tickets", tags=["mail"], responses=refusals(401, 403, 404))
aside_router = APIRouter(prefix="/v1/mail", tags=["mail"], responses=refusals(401, 403))
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/{ticket_id}/emails")
def ticket_emails(
    ticket_id: DbId, agent: TicketWorkerDep, session: ReadSessionDep
) -> list[EmailRead]:
    """Agents who may see the ticket: every mail of its conversation, in and out."""
    return deliveries.of_ticket(session, agent, ticket_id)


@router.post("/{ticket_id}/emails/{email_id}/retry")
def retry_email(
    ticket_id: DbId, email_id: DbId, agent: TicketWorkerDep, session: SessionDep
) -> EmailRead:
    """Agents who may see the ticket: send a waiting or failed mail again now."""
    return deliveries.retry(session, agent, ticket_id, email_id)


@router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_attachment(
    ticket_id: DbId, attachment_id: DbId, agent: TicketWorkerDep, session: ReadSessionDep
) -> Response:
    """Agents who may see the ticket: a file the customer sent, as a download (never shown
    inline: a customer's file runs no script in the console's origin)."""
    found = deliveries.attachment(session, agent, ticket_id, attachment_id)
    return Response(
        found.data or b"",
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@aside_router.get("/aside")
def kept_aside(
    _: LeadDep, session: ReadSessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[AsideRead]:
    """Leads and admins: the latest received mail that made nothing — auto-replies, bounces,
    lists, floods, loops (ignored) and mail the desk could not read (rejected) — newest first."""
    return deliveries.kept_aside(session, limit=limit)


@aside_router.get(
    "/aside/{email_id}/raw",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}, **refusals(404)},
)
def rejected_raw(email_id: DbId, _: AdminDep, session: ReadSessionDep) -> Response:
    """Admins: a rejected mail as it arrived, to see what went wrong (a download)."""
    return Response(
        deliveries.rejected_raw(session, email_id),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="rejected-{email_id}.eml"',
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )  # fmt: skip


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
