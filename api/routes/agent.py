"""Agent routes: login, the queue, claim, reply.

Who may call: ``POST /login`` anyone (with credentials, rate-limited); ``/me`` any logged-in
staff member; the ticket routes agents (any tier) and admins — editors keep the KB instead.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from api import tokens
from api.deps import CurrentAgent, ReadSessionDep, SessionDep, StateDep, TicketWorkerDep
from handoff import service as handoff_service
from handoff.schemas import (
    AgentRead,
    AgentReply,
    CustomerRead,
    LoginRequest,
    MessageRead,
    TicketDetail,
    TicketEventRead,
    TicketRead,
    TokenResponse,
)
from tierzero.errors import TooManyRequests

router = APIRouter(prefix="/v1/agent", tags=["agent"])


@router.post("/login")
def login(
    body: LoginRequest, session: ReadSessionDep, state: StateDep, request: Request
) -> TokenResponse:
    """Anyone with an agent's email and password: a short-lived bearer token."""
    settings = state.settings
    client = request.client.host if request.client else "unknown"
    email = body.email.strip().lower()
    if not (state.limits.logins.allow(f"ip:{client}") and state.limits.logins.allow(email)):
        raise TooManyRequests("too many login attempts; wait a minute")
    agent = handoff_service.authenticate(session, email=email, password=body.password)
    token = tokens.issue(
        settings.secret_key,
        kind="agent",
        subject=agent.id,
        ttl_seconds=settings.agent_token_ttl_seconds,
    )
    return TokenResponse(
        access_token=token,
        expires_in=settings.agent_token_ttl_seconds,
        agent=AgentRead.model_validate(agent),
    )


@router.get("/me")
def me(agent: CurrentAgent) -> AgentRead:
    """Any agent: who the token belongs to."""
    return AgentRead.model_validate(agent)


@router.get("/tickets")
def list_tickets(
    agent: TicketWorkerDep,
    session: ReadSessionDep,
    status: Literal["queued", "assigned", "waiting_on_customer", "resolved", "closed"]
    | None = None,
    tier: Literal["L1", "L2", "L3"] | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[TicketRead]:
    """Agents and admins: open tickets, queued first (oldest first), optionally filtered."""
    tickets = handoff_service.list_queue(
        session, status=status, tier=tier, limit=limit, offset=offset
    )
    return [TicketRead.model_validate(t) for t in tickets]


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: int, agent: TicketWorkerDep, session: ReadSessionDep) -> TicketDetail:
    """Agents and admins: the ticket with the customer, the full transcript and its events."""
    detail = handoff_service.ticket_detail(session, ticket_id)
    ticket = detail["ticket"]
    return TicketDetail.model_validate(
        {
            **TicketRead.model_validate(ticket).model_dump(),
            "bot_attempts": ticket.bot_attempts,
            "customer": CustomerRead.model_validate(detail["customer"]),
            "transcript": [MessageRead.model_validate(m) for m in detail["transcript"]],
            "events": [TicketEventRead.model_validate(e) for e in detail["events"]],
        }
    )


@router.post("/tickets/{ticket_id}/claim")
def claim(ticket_id: int, agent: TicketWorkerDep, session: SessionDep) -> TicketRead:
    """Agents and admins: take a queued ticket; of concurrent claimants one wins, others 409."""
    return TicketRead.model_validate(
        handoff_service.claim(session, ticket_id=ticket_id, agent=agent)
    )


@router.post("/tickets/{ticket_id}/messages", status_code=201)
def reply(
    ticket_id: int,
    body: AgentReply,
    agent: TicketWorkerDep,
    session: SessionDep,
    state: StateDep,
) -> MessageRead:
    """The ticket's assignee: a reply that reaches the customer's widget live."""
    message = handoff_service.reply(session, ticket_id=ticket_id, agent=agent, text=body.text)
    state.hub.publish_after_commit(session, message)
    return MessageRead.model_validate(message)
