"""Agent routes: login, the queue, claim, reply.

Who may call: ``POST /login`` anyone (with credentials); everything else an authenticated agent
(any role; tier rules arrive with routing).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from api import tokens
from api.deps import CurrentAgent, SessionDep, SettingsDep, StateDep
from api.frames import message_frame
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
from tierzero.db import after_commit

router = APIRouter(prefix="/v1/agent", tags=["agent"])


@router.post("/login")
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """Anyone with an agent's email and password: a short-lived bearer token."""
    agent = handoff_service.authenticate(session, email=body.email, password=body.password)
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
    agent: CurrentAgent,
    session: SessionDep,
    status: Literal["queued", "assigned", "waiting_on_customer", "resolved", "closed"]
    | None = None,
    tier: Literal["L1", "L2", "L3"] | None = None,
) -> list[TicketRead]:
    """Any agent: open tickets (queued first by age), optionally filtered."""
    tickets = handoff_service.list_queue(session, status=status, tier=tier)
    return [TicketRead.model_validate(t) for t in tickets]


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: int, agent: CurrentAgent, session: SessionDep) -> TicketDetail:
    """Any agent: the ticket with the customer, the full transcript and its events."""
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
def claim(ticket_id: int, agent: CurrentAgent, session: SessionDep) -> TicketRead:
    """Any agent: take a queued ticket; exactly one concurrent claimant wins, others get 409."""
    return TicketRead.model_validate(
        handoff_service.claim(session, ticket_id=ticket_id, agent=agent)
    )


@router.post("/tickets/{ticket_id}/messages", status_code=201)
def reply(
    ticket_id: int,
    body: AgentReply,
    agent: CurrentAgent,
    session: SessionDep,
    state: StateDep,
    since: int = Query(0, ge=0, include_in_schema=False),
) -> MessageRead:
    """The ticket's assignee: a reply that reaches the customer's widget live."""
    message = handoff_service.reply(session, ticket_id=ticket_id, agent=agent, text=body.text)
    frame = message_frame(message)
    conversation_id = message.conversation_id
    after_commit(session, lambda: state.hub.publish(conversation_id, frame))
    return MessageRead.model_validate(message)
