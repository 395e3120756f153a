"""Mail of a ticket, for the agents who may see the ticket (any tier it is visible to, leads,
admins; 404 otherwise): the list with delivery states, an attachment's download, another try of
a mail that has not gone out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import ReadSessionDep, SessionDep, TicketWorkerDep
from api.errors import refusals
from mail import deliveries
from mail.schemas import EmailRead

router = APIRouter(prefix="/v1/agent/tickets", tags=["mail"], responses=refusals(401, 403, 404))
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


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
