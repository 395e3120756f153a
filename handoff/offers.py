"""Auto-assignment with offers: a queued ticket is offered to one eligible agent at a time; the
agent accepts (the ticket is claimed) or declines; an offer not answered in time moves on; a
ticket nobody eligible will take goes to a lead; an agent gone offline has their chats
re-queued after a grace period.

Every function takes ``now`` (the clock is the one thing tests inject) and works inside the
caller's unit of work; the api runs :func:`dispatch` about once a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff import lifecycle
from handoff import repository as repo
from handoff.errors import OfferNotFound, TicketConflict
from handoff.frames import offer_closed_frame, offer_frame, ticket_frame
from handoff.lifecycle import (
    Action,
    Actor,
    Channel,
    EventKind,
    OfferStatus,
    Presence,
    Role,
    TicketStatus,
    Tier,
)
from handoff.models import Agent, Ticket, TicketOffer
from handoff.routing import Candidate, Need, choose, choose_lead, matches
from handoff.tickets import announce, claim
from tierzero.hub import Hub, agent_topic, queue_topic


@dataclass(frozen=True)
class Timing:
    offer_seconds: float = 30.0
    offline_requeue_seconds: float = 120.0


@dataclass
class DispatchReport:
    offered: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    to_lead: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)


def _candidate(agent: Agent, *, chats: int = 0, emails: int = 0) -> Candidate:
    return Candidate(
        agent_id=agent.id,
        role=Role(agent.role),
        tier=Tier(agent.tier),
        languages=frozenset(agent.languages),
        skills=frozenset(agent.skills),
        presence=Presence(agent.presence),
        chats=chats,
        emails=emails,
        chat_capacity=agent.chat_capacity,
        email_capacity=agent.email_capacity,
        last_offered_at=agent.last_offered_at,
    )


def candidates(session: Session) -> list[Candidate]:
    """A snapshot of the online agents with their load (open tickets plus pending offers)."""
    agents = repo.routable_agents(session)
    load = repo.open_load(session, [a.id for a in agents])
    pending = repo.pending_offers_by_agent(session)
    return [
        _candidate(
            a,
            # a pending offer holds a chat slot until it is answered
            chats=load.get(a.id, {}).get(Channel.WIDGET.value, 0) + pending.get(a.id, 0),
            emails=load.get(a.id, {}).get(Channel.EMAIL.value, 0),
        )
        for a in agents
    ]


def every_agent(session: Session) -> list[Candidate]:
    """All active agents, whatever their presence and load (who *could* take a ticket)."""
    return [_candidate(a) for a in repo.active_agents(session)]


def need_of(ticket: Ticket) -> Need:
    return Need(
        tier=Tier(ticket.tier),
        channel=Channel(ticket.channel),
        language=ticket.language,
        skill=ticket.topic,
    )


def offer_ticket(
    session: Session, hub: Hub, ticket: Ticket, pool: list[Candidate], now: datetime, timing: Timing
) -> TicketOffer | None:
    """Offer one queued ticket to the best eligible agent (or, once everyone passed, a lead)."""
    if repo.pending_offer(session, ticket.id) is not None:
        return None
    if not repo.lock_if_queued(session, ticket.id):
        return None  # being claimed or changed right now (PostgreSQL), or no longer queued
    excluded = repo.excluded_agents(session, ticket.id)
    need = need_of(ticket)
    chosen = choose(pool, need, excluded)
    to_lead = False
    if chosen is None:
        matching = [c for c in every_agent(session) if matches(c, need)]
        if not (matching and all(c.agent_id in excluded for c in matching)):
            return None  # someone who could take it is offline or full: it waits for them
        chosen = choose_lead(pool, need, excluded)
        to_lead = True
        if not ticket.needs_lead:
            ticket.needs_lead = True
            event = lifecycle.record(
                session, ticket, EventKind.ROUTED_TO_LEAD, actor=Actor.SYSTEM,
                reason="every agent who could take it declined, let the offer expire or "
                "released it",
                data={"excluded": sorted(excluded)},
            )  # fmt: skip
            announce(session, hub, ticket, event)
        if chosen is None:
            return None
    offer = TicketOffer(
        ticket_id=ticket.id,
        agent_id=chosen.agent_id,
        status=OfferStatus.PENDING.value,
        created_at=now,
        expires_at=now + timedelta(seconds=timing.offer_seconds),
    )
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except IntegrityError:  # another dispatcher offered it at the same moment
        return None
    agent = repo.get_agent(session, chosen.agent_id)
    if agent is not None:
        agent.last_offered_at = now
    lifecycle.record(
        session, ticket, EventKind.OFFERED, actor=Actor.SYSTEM, agent_id=chosen.agent_id,
        data={"offer_id": offer.id, "to_lead": to_lead,
              "expires_at": offer.expires_at.isoformat()},
    )  # fmt: skip
    hub.publish_after_commit(session, agent_topic(chosen.agent_id), offer_frame(offer, ticket))
    _take_slot(pool, chosen.agent_id)
    return offer


def _take_slot(pool: list[Candidate], agent_id: int) -> None:
    for i, c in enumerate(pool):
        if c.agent_id == agent_id:
            pool[i] = Candidate(**{**c.__dict__, "chats": c.chats + 1})


def expire_offers(session: Session, hub: Hub, now: datetime) -> list[int]:
    expired = []
    for offer in repo.expired_offers(session, now):
        if not repo.set_offer_status(
            session, offer.id, expect=OfferStatus.PENDING, status=OfferStatus.EXPIRED, now=now
        ):
            continue
        session.refresh(offer)
        ticket = repo.get_ticket(session, offer.ticket_id)
        if ticket is not None:
            lifecycle.record(
                session, ticket, EventKind.OFFER_EXPIRED, actor=Actor.SYSTEM,
                agent_id=offer.agent_id, data={"offer_id": offer.id},
            )  # fmt: skip
        hub.publish_after_commit(session, agent_topic(offer.agent_id), offer_closed_frame(offer))
        expired.append(offer.id)
    return expired


def requeue_offline(session: Session, hub: Hub, now: datetime, timing: Timing) -> list[int]:
    """Chats of agents offline for longer than the grace period go back to their queue."""
    before = now - timedelta(seconds=timing.offline_requeue_seconds)
    requeued = []
    for agent in repo.offline_agents_with_work(session, before):
        for ticket in repo.tickets_held_when_offline(session, agent):
            try:
                with session.begin_nested():
                    event = lifecycle.apply(
                        session, ticket, Action.REQUEUE, actor=Actor.SYSTEM, agent_id=agent.id,
                        reason="agent went offline",
                        where=[Ticket.assignee_id == agent.id],
                        changes={"assignee_id": None, "assigned_at": None},
                    )  # fmt: skip
            except TicketConflict:
                continue
            announce(session, hub, ticket, event, previous_assignee=agent.id)
            requeued.append(ticket.id)
    return requeued


def dispatch(session: Session, hub: Hub, now: datetime, timing: Timing) -> DispatchReport:
    """One routing round: expire late offers, re-queue absent agents' chats, offer the queue."""
    report = DispatchReport()
    report.expired = expire_offers(session, hub, now)
    report.requeued = requeue_offline(session, hub, now, timing)
    pool = candidates(session)
    for ticket in repo.queued_tickets(session):
        if not any(c.has_room(Channel.WIDGET) or c.has_room(Channel.EMAIL) for c in pool):
            break  # everyone online is full: the rest waits for the next round
        was_lead = ticket.needs_lead
        offer = offer_ticket(session, hub, ticket, pool, now, timing)
        if offer is not None:
            report.offered.append(ticket.id)
        if ticket.needs_lead and not was_lead:
            report.to_lead.append(ticket.id)
    return report


def has_work(session: Session, now: datetime, timing: Timing) -> bool:
    """Is a routing round due (checked in a read-only unit, so an idle desk takes no write
    lock every second)?"""
    before = now - timedelta(seconds=timing.offline_requeue_seconds)
    return bool(
        repo.expired_offers(session, now)
        or repo.offline_agents_with_work(session, before)
        or (repo.routable_agents(session) and repo.queued_tickets(session, limit=1))
    )


def _own_offer(session: Session, agent: Agent, offer_id: int) -> TicketOffer:
    offer = repo.get_offer(session, offer_id)
    if offer is None or offer.agent_id != agent.id:
        raise OfferNotFound("offer not found")
    return offer


def accept(session: Session, hub: Hub, *, agent: Agent, offer_id: int, now: datetime) -> Ticket:
    """Take the offered ticket (a claim). A late or withdrawn offer answers 409."""
    offer = _own_offer(session, agent, offer_id)
    if offer.status != OfferStatus.PENDING.value or offer.expires_at <= now:
        raise TicketConflict(f"this offer is no longer open ({offer.status})")
    # the claim locks the ticket first and then closes this offer as accepted: the same order
    # as every other change of a ticket with an offer (no deadlock on PostgreSQL)
    ticket = claim(session, hub, agent=agent, ticket_id=offer.ticket_id, reason="offer accepted")
    session.refresh(offer)
    if offer.status != OfferStatus.ACCEPTED.value:  # expired or withdrawn meanwhile
        raise TicketConflict(f"this offer is no longer open ({offer.status})")
    return ticket


def decline(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    offer_id: int,
    now: datetime,
    reason: str | None = None,
) -> TicketOffer:
    """Pass on the ticket; it is never offered to this agent again."""
    offer = _own_offer(session, agent, offer_id)
    if not repo.set_offer_status(
        session, offer.id, expect=OfferStatus.PENDING, status=OfferStatus.DECLINED, now=now
    ):
        session.refresh(offer)
        raise TicketConflict(f"this offer is no longer open ({offer.status})")
    session.refresh(offer)
    ticket = repo.get_ticket(session, offer.ticket_id)
    if ticket is not None:
        event = lifecycle.record(
            session, ticket, EventKind.OFFER_DECLINED, actor=Actor.AGENT, agent_id=agent.id,
            reason=reason, data={"offer_id": offer.id},
        )  # fmt: skip
        hub.publish_after_commit(session, queue_topic(ticket.tier), ticket_frame(ticket, event))
    return offer


def pending_for(session: Session, agent: Agent) -> Sequence[tuple[TicketOffer, Ticket]]:
    result = []
    for offer in repo.offers_of_agent(session, agent.id):
        ticket = repo.get_ticket(session, offer.ticket_id)
        if ticket is not None and ticket.status == TicketStatus.QUEUED.value:
            result.append((offer, ticket))
    return result
