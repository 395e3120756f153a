"""Agent routes: login, presence, the queues, offers, the ticket life cycle, replies and notes,
and agent administration.

Who may call (each route says it again): ``POST /login`` anyone with credentials
(rate-limited); ``/me``, ``/logout`` and ``/presence`` any logged-in staff member; ticket and
offer routes agents of any tier, leads and admins — a ticket outside the caller's tiers answers
404 (L1 sees L1, L2 sees L1+L2, L3, leads and admins see all); changing a claimed ticket is for
its assignee or a lead/admin; ``/agents`` admins (leads may list); ``/policy`` and
``/overview`` (the leads' screens, read-only) leads and admins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from api import tokens
from api.deps import (
    AdminDep,
    CurrentAgent,
    KbDep,
    LeadDep,
    ReadSessionDep,
    SessionDep,
    StateDep,
    TicketWorkerDep,
)
from api.errors import refusals
from api.state import AppState
from handoff import (
    agents,
    canned,
    conversations,
    copilot,
    customers,
    offers,
    overview,
    promote,
    tickets,
)
from handoff.lifecycle import Action, EventKind, Priority, TicketStatus, Tier
from handoff.models import Agent
from handoff.repository import SORTS
from handoff.schemas import (
    AgentCreate,
    AgentRead,
    AgentReply,
    AgentUpdate,
    CannedCreate,
    CannedFilled,
    CannedRead,
    ClaimRequest,
    ConversationSummaryRead,
    CustomerRead,
    CustomerStoryRead,
    CustomerUpdate,
    DeclineRequest,
    LoginRequest,
    MessageRead,
    NoteCreate,
    OfferRead,
    OverviewRead,
    PolicyRead,
    PresenceUpdate,
    PromotedRead,
    PromoteRequest,
    ReleaseRequest,
    ReopenRequest,
    ResolveRequest,
    ReturnToBotRequest,
    SuggestionRead,
    TicketDetail,
    TicketEventRead,
    TicketPage,
    TicketRead,
    TierChangeRequest,
    TokenResponse,
    TransferRequest,
)
from tierzero.db import utcnow
from tierzero.errors import InvalidInput, TooManyRequests
from tierzero.hub import agent_topic

# every route needs a staff token (login answers 401 to wrong credentials)
router = APIRouter(prefix="/v1/agent", tags=["agent"], responses=refusals(401, 413))

#: A row id in a path: a positive 32-bit integer (anything else is a 422, never a 500).
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _throttled(agent: TicketWorkerDep, state: StateDep) -> Agent:
    """A ticket worker making a change: at most ``agent_actions_per_minute`` of them."""
    if not state.limits.agent_actions.allow(f"agent:{agent.id}"):
        raise TooManyRequests("too many changes in a minute; slow down")
    return agent


#: Agents, leads and admins changing something (rate-limited per agent).
ChangingWorker = Annotated[Agent, Depends(_throttled)]

#: What a change to one ticket may answer besides success: a rule of the input (400), not the
#: caller's to change (403), not visible (404), changed meanwhile or in the wrong state (409,
#: with the ticket as it is now), too many changes (429).
TICKET_CHANGE = refusals(400, 403, 404, 409, 429)
#: Reading one row of the desk: outside the caller's role (403) or tiers (404).
ONE_ROW = refusals(403, 404)


# --- session ---------------------------------------------------------------------------------


@router.post("/login", responses=refusals(429))
def login(
    body: LoginRequest, session: ReadSessionDep, state: StateDep, request: Request
) -> TokenResponse:
    """Anyone with an agent's email and password: a short-lived bearer token."""
    settings = state.settings
    client = request.client.host if request.client else "unknown"
    email = body.email.strip().lower()
    # by address, and by email *from that address*: a guesser cannot lock a colleague out
    limits = state.limits
    if not (limits.login_addresses.allow(client) and limits.logins.allow(f"{email}|{client}")):
        raise TooManyRequests("too many login attempts; wait a minute")
    agent = agents.authenticate(session, email=email, password=body.password)
    token = tokens.issue(
        settings.secret_key,
        kind="agent",
        subject=agent.id,
        ttl_seconds=settings.agent_token_ttl_seconds,
        version=agent.token_version,
    )
    return TokenResponse(
        access_token=token,
        expires_in=settings.agent_token_ttl_seconds,
        agent=AgentRead.model_validate(agent),
    )


@router.post("/logout", status_code=204)
def logout(agent: CurrentAgent, session: SessionDep, state: StateDep) -> Response:
    """Any logged-in staff member: go offline (open chats are re-queued after the grace time);
    every token of theirs stops working and their open sockets close."""
    from handoff.lifecycle import Presence

    stored = agents.get_agent(session, agent.id)
    agents.set_presence(session, stored, Presence.OFFLINE)
    agents.revoke_tokens(stored)
    state.hub.publish_after_commit(session, agent_topic(agent.id), {"type": "revoked"})
    return Response(status_code=204)


@router.get("/me")
def me(agent: CurrentAgent) -> AgentRead:
    """Any logged-in staff member: who the token belongs to."""
    return AgentRead.model_validate(agent)


@router.put("/me/presence")
def set_presence(body: PresenceUpdate, agent: CurrentAgent, session: SessionDep) -> AgentRead:
    """Any logged-in staff member: online (gets offers), away (keeps chats, no new ones) or
    offline."""
    updated = agents.set_presence(session, agents.get_agent(session, agent.id), body.presence)
    return AgentRead.model_validate(updated)


# --- queues ----------------------------------------------------------------------------------


@router.get("/tickets", responses=refusals(400, 403))
def list_tickets(
    agent: TicketWorkerDep,
    session: ReadSessionDep,
    status: Annotated[list[TicketStatus] | None, Query()] = None,
    tier: Tier | None = None,
    language: str | None = Query(None, max_length=8),
    skill: str | None = Query(None, max_length=200),
    priority: Priority | None = None,
    mine: bool = False,
    needs_lead: bool | None = None,
    sort: str = Query("deadline", description=f"one of: {', '.join(SORTS)}"),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, max_length=500),
) -> TicketPage:
    """Agents, leads, admins: the tickets of the tiers they may see (open ones unless ``status``
    says otherwise), filtered, sorted (allowlist) and paged with ``next_cursor``."""
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of: {', '.join(SORTS)}")
    page, next_cursor = tickets.queue(
        session, agent, tier=tier, statuses=status, language=language, skill=skill,
        priority=priority, mine=mine, needs_lead=needs_lead, sort=sort, limit=limit,
        cursor=cursor,
    )  # fmt: skip
    return TicketPage(items=[TicketRead.model_validate(t) for t in page], next_cursor=next_cursor)


@router.get("/tickets/mine", responses=refusals(403))
def my_tickets(agent: TicketWorkerDep, session: ReadSessionDep) -> list[TicketRead]:
    """Agents, leads, admins: the tickets they are working on."""
    page, _ = tickets.queue(
        session, agent, mine=True,
        statuses=[TicketStatus.ASSIGNED, TicketStatus.WAITING_ON_CUSTOMER], limit=200,
    )  # fmt: skip
    return [TicketRead.model_validate(t) for t in page]


@router.post(
    "/tickets/next",
    response_model=TicketRead,
    responses={204: {"description": "The queue is empty."}, **refusals(403, 409, 429)},
)
def claim_next(
    agent: ChangingWorker, session: SessionDep, state: StateDep
) -> TicketRead | Response:
    """Agents, leads, admins: claim the next ticket of their queue (204 when it is empty)."""
    ticket = tickets.claim_next(session, state.hub, agent=agent)
    if ticket is None:
        return Response(status_code=204)  # no body, so no JSON content type either
    return TicketRead.model_validate(ticket)


# --- one ticket ------------------------------------------------------------------------------


def _detail(session: Session, agent: Agent, ticket_id: DbId) -> TicketDetail:
    found = tickets.detail(session, agent, ticket_id)
    ticket = found.ticket
    from handoff import repository as repo

    customer = repo.get_customer(session, ticket.customer_id)
    events = [TicketEventRead.model_validate(e) for e in found.events]
    return TicketDetail.model_validate(
        {
            **TicketRead.model_validate(ticket).model_dump(),
            "bot_attempts": ticket.bot_attempts,
            "packet": ticket.packet,
            "handoff_seq": ticket.handoff_seq,
            "customer": CustomerRead.model_validate(customer),
            "transcript": [MessageRead.model_validate(m) for m in found.transcript],
            "events": events,
            "notes": [e for e in events if e.kind == EventKind.NOTE.value],
            "earlier_tickets": [TicketRead.model_validate(t) for t in found.earlier],
        }
    )


@router.get("/tickets/{ticket_id}", responses=ONE_ROW)
def get_ticket(ticket_id: DbId, agent: TicketWorkerDep, session: ReadSessionDep) -> TicketDetail:
    """Agents who may see the ticket's tier: the ticket with its handoff packet, customer,
    full transcript, internal notes, event history and the customer's earlier tickets."""
    return _detail(session, agent, ticket_id)


@router.get("/tickets/{ticket_id}/events", responses=ONE_ROW)
def ticket_events(
    ticket_id: DbId, agent: TicketWorkerDep, session: ReadSessionDep
) -> list[TicketEventRead]:
    """Agents who may see the ticket: who did what when."""
    return [
        TicketEventRead.model_validate(e) for e in tickets.events_for(session, agent, ticket_id)
    ]


@router.post("/tickets/{ticket_id}/claim", responses=TICKET_CHANGE)
def claim(
    ticket_id: DbId,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
    body: ClaimRequest | None = None,
) -> TicketRead:
    """Agents who may see the ticket: take it; of concurrent claimants one wins, others 409."""
    ticket = tickets.claim(
        session, state.hub, agent=agent, ticket_id=ticket_id,
        expected_version=body.expected_version if body else None,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


@router.post("/tickets/{ticket_id}/release", responses=TICKET_CHANGE)
def release(
    ticket_id: DbId,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
    body: ReleaseRequest | None = None,
) -> TicketRead:
    """The assignee, or a lead/admin: back to the queue (never offered to this agent again)."""
    body = body or ReleaseRequest()
    ticket = tickets.release(
        session, state.hub, agent=agent, ticket_id=ticket_id, reason=body.reason,
        expected_version=body.expected_version,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


@router.post("/tickets/{ticket_id}/transfer", responses=TICKET_CHANGE)
def transfer(
    ticket_id: DbId,
    body: TransferRequest,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
) -> TicketRead:
    """The assignee, or a lead/admin: give the ticket to a named colleague who works its tier."""
    target = agents.find_agent(session, body.agent_id)
    if target is None:
        raise InvalidInput("no such agent")
    ticket = tickets.transfer(
        session, state.hub, agent=agent, ticket_id=ticket_id, to_agent=target,
        reason=body.reason, expected_version=body.expected_version,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


def _change_tier(
    action: Action, ticket_id: DbId, body: TierChangeRequest, agent: Agent, state: AppState,
    session: Session,
) -> TicketRead:  # fmt: skip
    ticket = tickets.change_tier(
        session, state.hub, agent=agent, ticket_id=ticket_id, action=action, note=body.note,
        expected_version=body.expected_version,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


@router.post("/tickets/{ticket_id}/escalate", responses=TICKET_CHANGE)
def escalate(
    ticket_id: DbId, body: TierChangeRequest, agent: ChangingWorker, session: SessionDep,
    state: StateDep,
) -> TicketRead:  # fmt: skip
    """The assignee, or a lead/admin: up one tier with a required note; everything goes along."""
    return _change_tier(Action.ESCALATE, ticket_id, body, agent, state, session)


@router.post("/tickets/{ticket_id}/de-escalate", responses=TICKET_CHANGE)
def de_escalate(
    ticket_id: DbId, body: TierChangeRequest, agent: ChangingWorker, session: SessionDep,
    state: StateDep,
) -> TicketRead:  # fmt: skip
    """The assignee, or a lead/admin: down one tier with guidance for the lower tier."""
    return _change_tier(Action.DE_ESCALATE, ticket_id, body, agent, state, session)


@router.post("/tickets/{ticket_id}/resolve", responses=TICKET_CHANGE)
def resolve(
    ticket_id: DbId,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
    body: ResolveRequest | None = None,
) -> TicketRead:
    """The assignee, or a lead/admin: resolved; the conversation returns to the bot."""
    body = body or ResolveRequest()
    ticket = tickets.resolve(
        session, state.hub, agent=agent, ticket_id=ticket_id, note=body.note,
        expected_version=body.expected_version,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


@router.post("/tickets/{ticket_id}/return-to-bot", responses=TICKET_CHANGE)
def return_to_bot(
    ticket_id: DbId,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
    body: ReturnToBotRequest | None = None,
) -> TicketRead:
    """The assignee, or a lead/admin (also for a queued ticket): the bot takes the conversation
    back; the handoff ends as ``returned_to_bot``."""
    body = body or ReturnToBotRequest()
    ticket = tickets.return_to_bot(
        session, state.hub, agent=agent, ticket_id=ticket_id, note=body.note,
        expected_version=body.expected_version,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


@router.post("/tickets/{ticket_id}/reopen", responses=TICKET_CHANGE)
def reopen(
    ticket_id: DbId,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
    body: ReopenRequest | None = None,
) -> TicketRead:
    """Agents who may see the ticket: a resolved ticket back into its queue."""
    body = body or ReopenRequest()
    ticket = tickets.reopen(
        session, state.hub, agent=agent, ticket_id=ticket_id, reason=body.reason,
        expected_version=body.expected_version,
    )  # fmt: skip
    return TicketRead.model_validate(ticket)


@router.post("/tickets/{ticket_id}/messages", status_code=201, responses=TICKET_CHANGE)
def reply(
    ticket_id: DbId,
    body: AgentReply,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
) -> MessageRead:
    """The assignee: a reply that reaches the customer live; refused with 409 and the new
    messages when someone wrote after ``last_seen_seq``."""
    message = tickets.reply(
        session, state.hub, agent=agent, ticket_id=ticket_id, text=body.text,
        last_seen_seq=body.last_seen_seq, client_msg_id=body.client_msg_id,
    )  # fmt: skip
    return MessageRead.model_validate(message)


@router.post("/tickets/{ticket_id}/notes", status_code=201, responses=TICKET_CHANGE)
def add_note(
    ticket_id: DbId,
    body: NoteCreate,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
) -> TicketEventRead:
    """Agents who may see the ticket: an internal note, never shown to the customer."""
    event = tickets.add_note(session, state.hub, agent=agent, ticket_id=ticket_id, text=body.text)
    return TicketEventRead.model_validate(event)


@router.get("/tickets/{ticket_id}/suggestions", responses=refusals(403, 404, 503))
def suggestions(
    ticket_id: DbId,
    agent: TicketWorkerDep,
    session: ReadSessionDep,
    kb: KbDep,
    q: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> list[SuggestionRead]:
    """Agents who may see the ticket: the KB articles that best answer the conversation so far
    (copilot), or the agent's search ``q``, in the customer's language and script, with their
    confidence."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    conversation = conversations.get_conversation(session, ticket.conversation_id)
    query = (q or "").strip() or None
    return copilot.suggestions(
        session, kb, ticket, script=conversation.script, limit=5 if query else 3, query=query
    )


@router.get("/customers/{customer_id}", responses=ONE_ROW)
def customer_story(
    customer_id: DbId, agent: TicketWorkerDep, session: ReadSessionDep, state: StateDep
) -> CustomerStoryRead:
    """Agents who may see one of the customer's tickets: the customer's whole story (identity,
    plan, every conversation and ticket with its outcome, what is still open)."""
    found = customers.story(session, agent, customer_id)
    return CustomerStoryRead(
        customer=CustomerRead.model_validate(found.customer),
        entitlement=customers.entitlement(state.policy, found.customer),
        conversations=[
            ConversationSummaryRead(
                id=c.conversation.id,
                channel=c.conversation.channel,
                mode=c.conversation.mode,
                language=c.conversation.language,
                messages=c.messages,
                created_at=c.conversation.created_at,
                updated_at=c.conversation.updated_at,
            )
            for c in found.conversations
        ],
        tickets=[TicketRead.model_validate(t) for t in found.tickets],
        open_tickets=[TicketRead.model_validate(t) for t in found.open_tickets],
    )


@router.patch("/customers/{customer_id}", responses=refusals(400, 403, 404))
def update_customer(
    customer_id: DbId, body: CustomerUpdate, _: LeadDep, session: SessionDep, state: StateDep
) -> CustomerRead:
    """Leads and admins: correct a customer's plan (it decides entitlement and targets of their
    next tickets), name, email or language."""
    customer = customers.update(
        session, state.policy, customer_id, **body.model_dump(exclude_unset=True)
    )
    return CustomerRead.model_validate(customer)


@router.put("/customers/external/{external_id}", responses=refusals(400, 403))
def set_customer_by_external_id(
    external_id: Annotated[str, Path(min_length=1, max_length=200)],
    body: CustomerUpdate,
    _: LeadDep,
    session: SessionDep,
    state: StateDep,
) -> CustomerRead:
    """Leads and admins (or a billing sync with such an account): the customer with the id the
    company's website signs (created if they never chatted) gets this plan, name, email or
    language."""
    customer = customers.update(
        session, state.policy, external_id=external_id, **body.model_dump(exclude_unset=True)
    )
    return CustomerRead.model_validate(customer)


@router.post("/tickets/{ticket_id}/promote", status_code=201, responses=TICKET_CHANGE)
def promote_to_kb(
    ticket_id: DbId,
    agent: ChangingWorker,
    session: SessionDep,
    state: StateDep,
    body: PromoteRequest | None = None,
) -> PromotedRead:
    """Agents who may see the resolved ticket: its question and answer become a KB draft for
    editors, linked to the ticket."""
    body = body or PromoteRequest()
    view = promote.promote(
        session, agent=agent, ticket_id=ticket_id, title=body.title, answer=body.answer,
        questions=body.questions,
    )  # fmt: skip
    (translation,) = view.translations
    return PromotedRead(
        article_id=view.article.id, key=view.article.key, language=translation.translation.language,
        status=translation.translation.status, source_ticket_id=ticket_id,
    )  # fmt: skip


# --- canned responses ------------------------------------------------------------------------


@router.get("/canned", responses=refusals(403))
def list_canned(
    _: TicketWorkerDep, session: ReadSessionDep, language: str | None = Query(None, max_length=8)
) -> list[CannedRead]:
    """Agents, leads, admins: the canned responses (optionally of one language)."""
    return [CannedRead.model_validate(c) for c in canned.list_canned(session, language=language)]


@router.post("/canned", status_code=201, responses=refusals(400, 403, 409))
def create_canned(body: CannedCreate, lead: LeadDep, session: SessionDep) -> CannedRead:
    """Leads and admins: a new canned response ({customer_name}, {agent_name}, {ticket_id})."""
    saved = canned.save_canned(session, author=lead, **body.model_dump())
    return CannedRead.model_validate(saved)


@router.put("/canned/{canned_id}", responses=refusals(400, 403, 404, 409))
def replace_canned(
    canned_id: DbId, body: CannedCreate, lead: LeadDep, session: SessionDep
) -> CannedRead:
    """Leads and admins: change a canned response."""
    saved = canned.save_canned(session, author=lead, canned_id=canned_id, **body.model_dump())
    return CannedRead.model_validate(saved)


@router.delete("/canned/{canned_id}", status_code=204, responses=ONE_ROW)
def delete_canned(canned_id: DbId, _: LeadDep, session: SessionDep) -> Response:
    """Leads and admins: remove a canned response."""
    canned.delete_canned(session, canned_id)
    return Response(status_code=204)


@router.get("/tickets/{ticket_id}/canned/{canned_id}", responses=ONE_ROW)
def fill_canned(
    ticket_id: DbId, canned_id: DbId, agent: TicketWorkerDep, session: ReadSessionDep
) -> CannedFilled:
    """Agents who may see the ticket: the canned response filled in for it, ready to send."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    found = canned.get_canned(session, canned_id)
    return CannedFilled(canned_id=found.id, text=canned.fill(session, found, ticket=ticket,
                                                             agent=agent))  # fmt: skip


# --- offers ----------------------------------------------------------------------------------


@router.get("/offers", responses=refusals(403))
def my_offers(agent: TicketWorkerDep, session: ReadSessionDep) -> list[OfferRead]:
    """Agents, leads, admins: the tickets offered to them right now."""
    return [OfferRead.from_offer(o, t) for o, t in offers.pending_for(session, agent)]


@router.post("/offers/{offer_id}/accept", responses=refusals(403, 404, 409))
def accept_offer(
    offer_id: DbId, agent: TicketWorkerDep, session: SessionDep, state: StateDep
) -> TicketRead:
    """The agent the offer was made to: take the ticket (409 once it expired or was taken)."""
    ticket = offers.accept(session, state.hub, agent=agent, offer_id=offer_id, now=utcnow())
    return TicketRead.model_validate(ticket)


@router.post("/offers/{offer_id}/decline", status_code=204, responses=refusals(403, 404, 409))
def decline_offer(
    offer_id: DbId,
    agent: TicketWorkerDep,
    session: SessionDep,
    state: StateDep,
    body: DeclineRequest | None = None,
) -> Response:
    """The agent the offer was made to: pass; the ticket moves on and never comes back."""
    offers.decline(
        session, state.hub, agent=agent, offer_id=offer_id, now=utcnow(),
        reason=body.reason if body else None,
    )  # fmt: skip
    return Response(status_code=204)


# --- administration ---------------------------------------------------------------------------


@router.get("/agents", responses=refusals(403))
def list_agents(_: LeadDep, session: ReadSessionDep) -> list[AgentRead]:
    """Leads and admins: every agent with tier, skills, languages, capacity and presence."""
    return [AgentRead.model_validate(a) for a in agents.list_agents(session)]


@router.post("/agents", status_code=201, responses=refusals(400, 403, 409))
def create_agent(body: AgentCreate, _: AdminDep, session: SessionDep) -> AgentRead:
    """Admins: a new agent account."""
    agent = agents.create_agent(session, **body.model_dump())
    return AgentRead.model_validate(agent)


@router.patch("/agents/{agent_id}", responses=refusals(400, 403, 404))
def update_agent(
    agent_id: DbId, body: AgentUpdate, _: AdminDep, session: SessionDep, state: StateDep
) -> AgentRead:
    """Admins: change tier, skills, languages, capacity, role, or deactivate."""
    agent = agents.update_agent(session, agent_id, **body.model_dump(exclude_unset=True))
    # open agent sockets were authorised for the old role/tier: they close, the console
    # reconnects with what the agent may see now
    state.hub.publish_after_commit(session, agent_topic(agent_id), {"type": "revoked"})
    return AgentRead.model_validate(agent)


# --- the leads' screens -----------------------------------------------------------------------


@router.get("/policy", responses=refusals(403))
def show_policy(_: LeadDep, state: StateDep) -> PolicyRead:
    """Leads and admins: the support policy the desk runs on — plans with their entitlement
    and targets per priority (business minutes), each team's hours, time zone and holidays
    (open now or not), the handling limits per tier and when SLA warnings come."""
    return PolicyRead.from_policy(state.policy, utcnow())


@router.get("/overview", responses=refusals(403))
def show_overview(
    _: LeadDep,
    session: ReadSessionDep,
    since: Annotated[
        datetime | None, Query(description="default: the start of today (UTC)")
    ] = None,
    until: Annotated[datetime | None, Query(description="default: now")] = None,
) -> OverviewRead:
    """Leads and admins: the queues of every tier now (queued, in hand, the oldest wait, the
    overdue), each active agent's presence and load, and what happened in [since, until) —
    handoffs by reason and how they ended, resolutions per tier, escalations, median first
    response and resolution (wall-clock seconds from the handoff), SLA warnings and breaches,
    CSAT. A time without a zone is UTC; a period that ends before it starts or spans more than
    366 days is a 422. Issue 17's reports will replace the period figures."""
    return OverviewRead.model_validate(overview.overview(session, since=since, until=until))
