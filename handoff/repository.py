"""Every query of the handoff domain; services hold the rules, this holds the SQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from handoff.lifecycle import (
    OPEN_STATUSES,
    WORKED_STATUSES,
    Channel,
    EventKind,
    OfferStatus,
    TicketStatus,
)
from handoff.models import (
    Agent,
    Conversation,
    Customer,
    Message,
    PendingBotTurn,
    Ticket,
    TicketEvent,
    TicketOffer,
)
from tierzero.db import seconds_between, utcnow

_OPEN = [s.value for s in OPEN_STATUSES]
_WORKED = [s.value for s in WORKED_STATUSES]


def get_conversation(session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def get_customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def allocate_seq(session: Session, conversation_id: int) -> int:
    """Atomically take the next message number of a conversation (SQLite and PostgreSQL)."""
    seq = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1, updated_at=utcnow())
        .returning(Conversation.last_seq)
    ).scalar_one()
    return int(seq)


def find_message_by_client_id(
    session: Session, conversation_id: int, client_msg_id: str
) -> Message | None:
    return session.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_msg_id == client_msg_id
        )
    ).first()


def messages_since(
    session: Session,
    conversation_id: int,
    since: int = 0,
    limit: int | None = None,
    until: int | None = None,
) -> Sequence[Message]:
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > since)
        .order_by(Message.seq)
    )
    if until is not None:
        query = query.where(Message.seq <= until)
    return session.scalars(query if limit is None else query.limit(limit)).all()


def add_pending_bot_turn(session: Session, conversation_id: int, seq: int) -> None:
    session.add(PendingBotTurn(conversation_id=conversation_id, seq=seq, created_at=utcnow()))


def pending_bot_turns(session: Session, conversation_id: int) -> Sequence[Message]:
    """Customer messages whose bot turn has not finished, oldest first."""
    return session.scalars(
        select(Message)
        .join(
            PendingBotTurn,
            (PendingBotTurn.conversation_id == Message.conversation_id)
            & (PendingBotTurn.seq == Message.seq),
        )
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq)
    ).all()


def is_bot_turn_pending(session: Session, conversation_id: int, seq: int) -> bool:
    return session.get(PendingBotTurn, (conversation_id, seq)) is not None


def finish_bot_turn(session: Session, conversation_id: int, seq: int) -> None:
    session.execute(
        delete(PendingBotTurn).where(
            PendingBotTurn.conversation_id == conversation_id, PendingBotTurn.seq == seq
        )
    )


def get_ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def open_ticket_for_conversation(session: Session, conversation_id: int) -> Ticket | None:
    return session.scalars(
        select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status.in_(_OPEN))
    ).first()


def latest_ticket_for_conversation(session: Session, conversation_id: int) -> Ticket | None:
    return session.scalars(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id.desc())
    ).first()


def conversations_of_customer(session: Session, customer_id: int) -> Sequence[Conversation]:
    return session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.id.desc())
        .limit(200)
    ).all()


def next_ticket_of_conversation(session: Session, ticket: Ticket) -> Ticket | None:
    return session.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == ticket.conversation_id, Ticket.id > ticket.id)
        .order_by(Ticket.id)
        .limit(1)
    ).first()


def tickets_of_customer(
    session: Session, customer_id: int, *, exclude: int | None = None, limit: int = 20
) -> Sequence[Ticket]:
    query = select(Ticket).where(Ticket.customer_id == customer_id)
    if exclude is not None:
        query = query.where(Ticket.id != exclude)
    return session.scalars(query.order_by(Ticket.id.desc()).limit(limit)).all()


# --- the queue ------------------------------------------------------------------------------

#: Sort keys an API client may ask for: name → columns (ties broken by id, so cursors are exact).
SORTS: dict[str, tuple[str, ...]] = {
    "deadline": ("due_sort_at", "priority_rank", "created_at"),
    "priority": ("priority_rank", "created_at"),
    "oldest": ("created_at",),
    "newest": ("-created_at",),
    "updated": ("-updated_at",),
}


@dataclass(frozen=True)
class QueueFilter:
    tiers: Collection[str]
    statuses: Collection[str] = tuple(_OPEN)
    language: str | None = None
    skill: str | None = None
    priority: str | None = None
    assignee_id: int | None = None
    needs_lead: bool | None = None


#: Tickets without a deadline sort after every ticket with one (the same on both databases,
#: which order NULLs differently).
NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)


def _column(name: str) -> Any:
    if name.lstrip("-") == "due_sort_at":
        return func.coalesce(Ticket.due_at, NO_DEADLINE)
    return getattr(Ticket, name.lstrip("-"))


def _value(ticket: Ticket, name: str) -> Any:
    if name.lstrip("-") == "due_sort_at":
        return ticket.due_at or NO_DEADLINE
    return getattr(ticket, name.lstrip("-"))


def encode_cursor(ticket: Ticket, sort: str) -> str:
    values = [
        value.isoformat() if isinstance(value, datetime) else value
        for value in (_value(ticket, key) for key in SORTS[sort])
    ]
    raw = json.dumps({"s": sort, "v": values, "id": ticket.id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[list[Any], int]:
    """Raises ValueError on anything that is not a cursor this sort handed out."""
    padded = cursor + "=" * (-len(cursor) % 4)
    data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(data, dict) or data.get("s") != sort or not isinstance(data.get("id"), int):
        raise ValueError("cursor belongs to another sort")
    keys = SORTS[sort]
    values = data["v"]
    if not isinstance(values, list) or len(values) != len(keys):
        raise ValueError("malformed cursor")
    parsed: list[Any] = []
    for key, value in zip(keys, values, strict=True):
        if key.lstrip("-").endswith("_at"):
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                raise ValueError("cursor times carry their zone")
            parsed.append(moment)
        else:
            parsed.append(int(value))
    return parsed, int(data["id"])


def list_queue(
    session: Session,
    flt: QueueFilter,
    *,
    sort: str = "priority",
    limit: int = 50,
    after: tuple[list[Any], int] | None = None,
) -> Sequence[Ticket]:
    query = select(Ticket).where(Ticket.tier.in_(list(flt.tiers)))
    if flt.statuses:
        query = query.where(Ticket.status.in_(list(flt.statuses)))
    if flt.language:
        query = query.where(Ticket.language == flt.language)
    if flt.skill:
        query = query.where(Ticket.topic == flt.skill)
    if flt.priority:
        query = query.where(Ticket.priority == flt.priority)
    if flt.assignee_id is not None:
        query = query.where(Ticket.assignee_id == flt.assignee_id)
    if flt.needs_lead is not None:
        query = query.where(Ticket.needs_lead.is_(flt.needs_lead))
    keys = SORTS[sort]
    order = [_column(k).desc() if k.startswith("-") else _column(k) for k in keys]
    descending_id = keys[0].startswith("-")
    order.append(Ticket.id.desc() if descending_id else Ticket.id)
    if after is not None:
        values, last_id = after
        query = query.where(_after(keys, values, last_id))
    return session.scalars(query.order_by(*order).limit(limit)).all()


def _after(keys: tuple[str, ...], values: list[Any], last_id: int) -> Any:
    """Keyset condition "strictly after (values, id)" in the sort's order."""
    columns = [_column(k) for k in keys] + [Ticket.id]
    desc = [k.startswith("-") for k in keys] + [keys[0].startswith("-")]
    bounds = [*values, last_id]
    clauses = []
    for i in range(len(columns)):
        equal = [columns[j] == bounds[j] for j in range(i)]
        beyond = columns[i] < bounds[i] if desc[i] else columns[i] > bounds[i]
        clauses.append([*equal, beyond])
    return or_(*(and_(*c) for c in clauses))


def queued_ahead(session: Session, ticket: Ticket) -> int:
    """How many queued tickets of the same tier come before this one (priority, then age)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.tier == ticket.tier,
                Ticket.status == TicketStatus.QUEUED.value,
                Ticket.id != ticket.id,
                or_(
                    Ticket.priority_rank < ticket.priority_rank,
                    (Ticket.priority_rank == ticket.priority_rank)
                    & (
                        (Ticket.created_at < ticket.created_at)
                        | ((Ticket.created_at == ticket.created_at) & (Ticket.id < ticket.id))
                    ),
                ),
            )
        )
        or 0
    )


def queued_tickets(
    session: Session, *, tier: str | None = None, limit: int = 500
) -> Sequence[Ticket]:
    query = select(Ticket).where(Ticket.status == TicketStatus.QUEUED.value)
    if tier is not None:
        query = query.where(Ticket.tier == tier)
    return session.scalars(
        query.order_by(Ticket.priority_rank, Ticket.created_at, Ticket.id).limit(limit)
    ).all()


def next_queued_id(
    session: Session, *, tiers: Collection[str], languages: Collection[str], skip_locked: bool
) -> int | None:
    """The first queued ticket an agent may take; on PostgreSQL rows other transactions are
    claiming right now are skipped (FOR UPDATE SKIP LOCKED) instead of waited for."""
    query = (
        select(Ticket.id)
        .where(
            Ticket.status == TicketStatus.QUEUED.value,
            Ticket.assignee_id.is_(None),
            Ticket.tier.in_(list(tiers)),
            or_(Ticket.language.is_(None), Ticket.language.in_(list(languages))),
        )
        .order_by(Ticket.priority_rank, Ticket.created_at, Ticket.id)
        .limit(1)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, key_share=True)
    return session.scalar(query)


def recent_handling_seconds(session: Session, tier: str, *, sample: int = 50) -> list[float]:
    """Seconds from assignment to resolution of the tier's most recently resolved tickets."""
    rows = session.execute(
        select(Ticket.assigned_at, Ticket.resolved_at)
        .where(
            Ticket.tier == tier,
            Ticket.resolved_at.is_not(None),
            Ticket.assigned_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(sample)
    ).all()
    return [(r - a).total_seconds() for a, r in rows if a is not None and r is not None]


# --- events and offers ----------------------------------------------------------------------


def ticket_events(session: Session, ticket_id: int) -> Sequence[TicketEvent]:
    return session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()


def excluded_agents(session: Session, ticket_id: int) -> set[int]:
    """Agents who declined the ticket, let its offer expire or released it: never again."""
    passed = session.scalars(
        select(TicketOffer.agent_id).where(
            TicketOffer.ticket_id == ticket_id,
            TicketOffer.status.in_([OfferStatus.DECLINED.value, OfferStatus.EXPIRED.value]),
        )
    ).all()
    released = session.scalars(
        select(TicketEvent.agent_id).where(
            TicketEvent.ticket_id == ticket_id,
            TicketEvent.kind == EventKind.RELEASED.value,
            TicketEvent.actor == "agent",  # released it themselves (a lead's release is theirs)
            TicketEvent.agent_id.is_not(None),
        )
    ).all()
    return {int(a) for a in [*passed, *released] if a is not None}


def pending_offer(session: Session, ticket_id: int) -> TicketOffer | None:
    return session.scalars(
        select(TicketOffer).where(
            TicketOffer.ticket_id == ticket_id, TicketOffer.status == OfferStatus.PENDING.value
        )
    ).first()


def get_offer(session: Session, offer_id: int) -> TicketOffer | None:
    return session.get(TicketOffer, offer_id)


def offers_of_agent(session: Session, agent_id: int) -> Sequence[TicketOffer]:
    return session.scalars(
        select(TicketOffer)
        .where(TicketOffer.agent_id == agent_id, TicketOffer.status == OfferStatus.PENDING.value)
        .order_by(TicketOffer.id)
    ).all()


def expired_offers(session: Session, now: datetime) -> Sequence[TicketOffer]:
    return session.scalars(
        select(TicketOffer)
        .where(TicketOffer.status == OfferStatus.PENDING.value, TicketOffer.expires_at <= now)
        .order_by(TicketOffer.id)
    ).all()


def set_offer_status(
    session: Session, offer_id: int, *, expect: OfferStatus, status: OfferStatus, now: datetime
) -> bool:
    """Conditional: only one of accept/decline/expire wins a pending offer."""
    result = session.execute(
        update(TicketOffer)
        .where(TicketOffer.id == offer_id, TicketOffer.status == expect.value)
        .values(status=status.value, responded_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def pending_offers_by_agent(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(TicketOffer.agent_id, func.count())
        .where(TicketOffer.status == OfferStatus.PENDING.value)
        .group_by(TicketOffer.agent_id)
    ).all()
    return {int(a): int(n) for a, n in rows}


# --- agents ---------------------------------------------------------------------------------


def agent_by_email(session: Session, email: str) -> Agent | None:
    return session.scalars(select(Agent).where(Agent.email == email.strip().lower())).first()


def get_agent(session: Session, agent_id: int) -> Agent | None:
    return session.get(Agent, agent_id)


def list_agents(session: Session) -> Sequence[Agent]:
    return session.scalars(select(Agent).order_by(Agent.id)).all()


def active_agents(session: Session) -> Sequence[Agent]:
    return session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.id)).all()


def lock_if_queued(session: Session, ticket_id: int) -> bool:
    """Is the ticket still queued, and not being changed by another transaction right now?
    (PostgreSQL: FOR NO KEY UPDATE SKIP LOCKED; SQLite's writer holds the database lock.)"""
    status = session.scalar(
        select(Ticket.status)
        .where(Ticket.id == ticket_id)
        .with_for_update(skip_locked=True, key_share=True)
    )
    return status == TicketStatus.QUEUED.value


def routable_agents(session: Session) -> Sequence[Agent]:
    return session.scalars(
        select(Agent).where(Agent.active.is_(True), Agent.presence == "online").order_by(Agent.id)
    ).all()


def open_load(
    session: Session, agent_ids: Collection[int] | None = None
) -> dict[int, dict[str, int]]:
    """Tickets being worked per agent and channel."""
    query = (
        select(Ticket.assignee_id, Ticket.channel, func.count())
        .where(Ticket.status.in_(_WORKED), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id, Ticket.channel)
    )
    if agent_ids is not None:
        query = query.where(Ticket.assignee_id.in_(list(agent_ids)))
    load: dict[int, dict[str, int]] = {}
    for agent_id, channel, count in session.execute(query).all():
        if agent_id is not None:
            load.setdefault(int(agent_id), {})[str(channel)] = int(count)
    return load


def offline_agents_with_work(session: Session, before: datetime) -> Sequence[Agent]:
    """Agents offline since before ``before`` who still hold chats they held when they went
    offline (a ticket an agent takes while offline, e.g. through the API, stays theirs)."""
    return session.scalars(
        select(Agent)
        .where(
            Agent.presence == "offline",
            Agent.presence_changed_at <= before,
            select(Ticket.id)
            .where(_held_since_going_offline(Agent.id, Agent.presence_changed_at))
            .exists(),
        )
        .order_by(Agent.id)
    ).all()


def _held_since_going_offline(agent_id: Any, went_offline: Any) -> Any:
    """Chats only: an email waits for its agent to come back (nobody is waiting live)."""
    return and_(
        Ticket.assignee_id == agent_id,
        Ticket.status.in_(_WORKED),
        Ticket.channel != Channel.EMAIL.value,
        or_(Ticket.assigned_at.is_(None), Ticket.assigned_at <= went_offline),
    )


def tickets_held_when_offline(session: Session, agent: Agent) -> Sequence[Ticket]:
    return session.scalars(
        select(Ticket)
        .where(_held_since_going_offline(agent.id, agent.presence_changed_at))
        .order_by(Ticket.id)
    ).all()


# --- the leads' overview --------------------------------------------------------------------


@dataclass(frozen=True)
class OpenGroup:
    """Open tickets of one tier and status right now."""

    tier: str
    status: str
    count: int
    oldest_created_at: datetime | None
    overdue: int


def open_tickets_by_tier(session: Session, now: datetime) -> list[OpenGroup]:
    """Per tier and open status: how many, the oldest handoff, how many are past ``due_at``."""
    overdue = func.sum(case((Ticket.due_at < now, 1), else_=0))
    rows = session.execute(
        select(Ticket.tier, Ticket.status, func.count(), func.min(Ticket.created_at), overdue)
        .where(Ticket.status.in_(_OPEN))
        .group_by(Ticket.tier, Ticket.status)
    ).all()
    return [OpenGroup(str(t), str(s), int(n), oldest, int(late or 0))
            for t, s, n, oldest, late in rows]  # fmt: skip


def handoffs_by_reason(session: Session) -> list[tuple[str, int]]:
    """Every ticket ever handed off, per handoff reason (the metrics' counter)."""
    rows = session.execute(
        select(Ticket.handoff_reason, func.count()).group_by(Ticket.handoff_reason)
    ).all()
    return [(str(reason), int(n)) for reason, n in rows]


def created_by_reason_and_end(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, str | None, int]]:
    """Tickets handed off in [since, until): (handoff_reason, end_reason or None, count)."""
    rows = session.execute(
        select(Ticket.handoff_reason, Ticket.end_reason, func.count())
        .where(Ticket.created_at >= since, Ticket.created_at < until)
        .group_by(Ticket.handoff_reason, Ticket.end_reason)
    ).all()
    return [(str(reason), end, int(n)) for reason, end, n in rows]


def resolved_by_tier(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Tickets whose (latest) resolution falls in [since, until), per tier they were resolved in."""
    rows = session.execute(
        select(Ticket.tier, func.count())
        .where(Ticket.resolved_at >= since, Ticket.resolved_at < until)
        .group_by(Ticket.tier)
    ).all()
    return {str(tier): int(n) for tier, n in rows}


def events_by_kind_and_actor(
    session: Session, kinds: Collection[EventKind], since: datetime, until: datetime
) -> dict[tuple[str, str], int]:
    """TicketEvents of ``kinds`` written in [since, until), counted per (kind, actor)."""
    rows = session.execute(
        select(TicketEvent.kind, TicketEvent.actor, func.count())
        .where(
            TicketEvent.kind.in_([k.value for k in kinds]),
            TicketEvent.created_at >= since,
            TicketEvent.created_at < until,
        )
        .group_by(TicketEvent.kind, TicketEvent.actor)
    ).all()
    return {(str(kind), str(actor)): int(n) for kind, actor, n in rows}


def csat_between(session: Session, since: datetime, until: datetime) -> tuple[int, float | None]:
    """Ratings given in [since, until) (a ticket's latest rating counts): how many, their mean."""
    count, average = session.execute(
        select(func.count(Ticket.csat_score), func.avg(Ticket.csat_score)).where(
            Ticket.csat_at >= since, Ticket.csat_at < until, Ticket.csat_score.is_not(None)
        )
    ).one()
    return int(count or 0), float(average) if average is not None else None


def first_responses_between(
    session: Session, since: datetime, until: datetime
) -> tuple[int, float | None]:
    """First responses given in [since, until): how many, and the median seconds each took
    from the handoff."""
    return _median_seconds(session, Ticket.created_at, Ticket.first_response_at, since, until)


def resolutions_between(
    session: Session, since: datetime, until: datetime
) -> tuple[int, float | None]:
    """Tickets whose (latest) resolution falls in [since, until): how many, and the median
    seconds from the handoff to it."""
    return _median_seconds(session, Ticket.created_at, Ticket.resolved_at, since, until)


def _median_seconds(
    session: Session,
    start: InstrumentedAttribute[datetime],
    end: InstrumentedAttribute[datetime | None],
    since: datetime,
    until: datetime,
) -> tuple[int, float | None]:
    """Of the tickets whose ``end`` falls in [since, until): how many, and the median seconds
    from ``start`` to ``end`` — in SQL on both databases (the middle row, or the mean of the two
    middle rows, by window functions)."""
    seconds = seconds_between(start, end)
    ranked = (
        select(
            seconds.label("seconds"),
            func.row_number().over(order_by=seconds).label("n"),
            func.count().over().label("total"),
        )
        .where(end >= since, end < until)
        .subquery()
    )
    total, median = session.execute(
        select(func.max(ranked.c.total), func.avg(ranked.c.seconds)).where(
            ranked.c.n.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2])
        )
    ).one()
    return int(total or 0), float(median) if median is not None else None
