"""One record per ticket, derived by the database from the ticket, its events and the
conversation's messages: the times (wall clock and business), the tier and agent that answered
and resolved it, escalations, reopens, the rating and the SLA deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from handoff.lifecycle import EventKind, Sender, Tier
from handoff.models import Customer, Message, Ticket, TicketEvent
from handoff.policy import Team
from insight.sqlparts import business_seconds, open_hours

#: How far before the report's start business time is counted for older tickets.
LOOKBACK_DAYS = 400


@dataclass(frozen=True)
class TicketRecord:
    ticket_id: int
    conversation_id: int
    created_at: datetime
    channel: str
    language: str | None
    topic: str | None
    plan: str
    priority: str
    handoff_reason: str
    status: str
    end_reason: str | None
    first_response_at: datetime | None
    first_response_agent: int | None
    first_response_tier: str | None
    resolved_at: datetime | None  # the last resolution, when the ticket ended resolved
    resolved_agent: int | None
    resolved_tier: str | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_business: float | None
    resolution_business: float | None
    first_response_target_business: float | None
    resolution_target_business: float | None
    entered: frozenset[str]
    escalated_from: frozenset[str]
    reopened: bool
    ever_resolved: bool
    first_resolved_at: datetime | None
    csat_score: int | None
    customer_messages: int | None
    abandoned: bool
    left_queue: bool
    #: Nobody claimed a live handoff in time (the customer was told; the ticket stayed queued).
    no_agent: bool


def _event_time(kind: EventKind, *, last: bool) -> Any:
    agg = func.max if last else func.min
    return (
        select(agg(TicketEvent.created_at))
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == kind.value)
        .correlate(Ticket)
        .scalar_subquery()
    )


def _event_field(kind: EventKind, column: Any, *, last: bool) -> Any:
    order = TicketEvent.id.desc() if last else TicketEvent.id.asc()
    return (
        select(column)
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == kind.value)
        .order_by(order)
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )


def _tier_before(instant: Any) -> Any:
    """The tier a ticket was in at ``instant``, replayed from its tier changes (events written
    before the tier was put on every event)."""
    return (
        select(TicketEvent.data["to_tier"].as_string())
        .where(
            TicketEvent.ticket_id == Ticket.id,
            TicketEvent.kind.in_([EventKind.ESCALATED.value, EventKind.DE_ESCALATED.value]),
            TicketEvent.created_at <= instant,
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )


def _has_event(kind: EventKind, *conditions: Any) -> Any:
    return exists().where(
        TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == kind.value, *conditions
    )


def ticket_records(
    session: Session, team: Team, *, start: datetime, end: datetime, as_of: datetime
) -> list[TicketRecord]:
    """Tickets that matter to ``[start, end)``: created, answered or resolved in it, or open
    at its end."""
    hours = open_hours(team, start - timedelta(days=LOOKBACK_DAYS), max(end, as_of))
    t_res = _event_time(EventKind.RESOLVED, last=True)
    t_res_first = _event_time(EventKind.RESOLVED, last=False)
    res_tier = func.coalesce(
        _event_field(EventKind.RESOLVED, TicketEvent.data["tier"].as_string(), last=True),
        _tier_before(t_res),
        literal(Tier.L1.value),
    )
    fr_tier = func.coalesce(
        _event_field(EventKind.FIRST_RESPONSE, TicketEvent.data["tier"].as_string(), last=False),
        _tier_before(Ticket.first_response_at),
        literal(Tier.L1.value),
    )
    earlier = aliased(Ticket, name="earlier")
    episode_start = (
        select(func.max(func.coalesce(earlier.resolved_at, earlier.updated_at)))
        .where(earlier.conversation_id == Ticket.conversation_id, earlier.id < Ticket.id)
        .correlate(Ticket)
        .scalar_subquery()
    )
    messages = (
        select(func.count())
        .where(
            Message.conversation_id == Ticket.conversation_id,
            Message.sender == Sender.CUSTOMER.value,
            Message.created_at <= t_res,
            or_(episode_start.is_(None), Message.created_at > episode_start),
        )
        .correlate(Ticket)
        .scalar_subquery()
    )
    entered = {
        tier: _has_event(EventKind.ESCALATED, TicketEvent.data["to_tier"].as_string() == tier)
        | _has_event(EventKind.DE_ESCALATED, TicketEvent.data["to_tier"].as_string() == tier)
        for tier in (Tier.L2.value, Tier.L3.value)
    }
    escalated_from = {
        tier: _has_event(EventKind.ESCALATED, TicketEvent.data["from_tier"].as_string() == tier)
        for tier in (Tier.L1.value, Tier.L2.value)
    }
    plan = func.coalesce(Ticket.packet["plan"].as_string(), Customer.plan)
    relevant = or_(
        and_(Ticket.created_at >= start, Ticket.created_at < end),
        and_(Ticket.first_response_at >= start, Ticket.first_response_at < end),
        and_(Ticket.resolved_at >= start, Ticket.resolved_at < end),
        and_(Ticket.resolution_due_at >= start, Ticket.created_at < end),
        and_(Ticket.first_response_due_at >= start, Ticket.created_at < end),
    )
    stmt = (
        select(
            Ticket,
            plan,
            _event_field(EventKind.FIRST_RESPONSE, TicketEvent.agent_id, last=False),
            fr_tier,
            t_res,
            _event_field(EventKind.RESOLVED, TicketEvent.agent_id, last=True),
            res_tier,
            business_seconds(hours, Ticket.created_at, Ticket.first_response_at),
            business_seconds(hours, Ticket.created_at, t_res),
            business_seconds(hours, Ticket.created_at, Ticket.first_response_due_at),
            business_seconds(hours, Ticket.created_at, Ticket.resolution_due_at),
            entered[Tier.L2.value],
            entered[Tier.L3.value],
            escalated_from[Tier.L1.value],
            escalated_from[Tier.L2.value],
            _has_event(EventKind.REOPENED),
            t_res_first,
            messages,
            _has_event(EventKind.ABANDONED),
            _has_event(EventKind.CANCELLED, TicketEvent.actor == "customer"),
            _has_event(EventKind.NO_AGENT),
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.created_at < max(end, as_of), relevant)
        .order_by(Ticket.id)
    )
    out = []
    for row in session.execute(stmt).all():
        t: Ticket = row[0]
        resolved = t.end_reason == "resolved" and row[4] is not None
        out.append(
            TicketRecord(
                ticket_id=t.id,
                conversation_id=t.conversation_id,
                created_at=t.created_at,
                channel=t.channel,
                language=t.language,
                topic=t.topic,
                plan=row[1],
                priority=t.priority,
                handoff_reason=t.handoff_reason,
                status=t.status,
                end_reason=t.end_reason,
                first_response_at=t.first_response_at,
                first_response_agent=row[2],
                first_response_tier=row[3] if t.first_response_at else None,
                resolved_at=row[4] if resolved else None,
                resolved_agent=row[5] if resolved else None,
                resolved_tier=row[6] if resolved else None,
                first_response_due_at=t.first_response_due_at,
                resolution_due_at=t.resolution_due_at,
                first_response_business=row[7] if t.first_response_at else None,
                resolution_business=row[8] if resolved else None,
                first_response_target_business=row[9] if t.first_response_due_at else None,
                resolution_target_business=row[10] if t.resolution_due_at else None,
                entered=frozenset(
                    {Tier.L1.value}
                    | ({Tier.L2.value} if row[11] else set())
                    | ({Tier.L3.value} if row[12] else set())
                ),
                escalated_from=frozenset(
                    ({Tier.L1.value} if row[13] else set())
                    | ({Tier.L2.value} if row[14] else set())
                ),
                reopened=bool(row[15]),
                ever_resolved=row[16] is not None,
                first_resolved_at=row[16],
                csat_score=t.csat_score,
                customer_messages=row[17] if resolved else None,
                abandoned=bool(row[18]),
                left_queue=bool(row[19]),
                no_agent=bool(row[20]),
            )
        )
    return out
