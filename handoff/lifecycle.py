"""The ticket life cycle in one place: the vocabulary (enums), one transition table, and the one
function that applies a transition — an atomic conditional UPDATE — and writes its TicketEvent.

Every status change of a ticket goes through :func:`apply`; events that change no status (an
offer, a reply, an internal note) go through :func:`record`. Reports and the audit trail read
those events, so nothing else writes ``tickets.status`` or ``TicketEvent`` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from handoff.errors import TicketConflict, TicketNotFound
from tierzero.db import utcnow

if TYPE_CHECKING:
    from handoff.models import Ticket, TicketEvent


def sql_in(values: Iterable[StrEnum]) -> str:
    """``('a','b')`` for CHECK constraints, from the enum itself (no second copy of the values)."""
    return "(" + ",".join(f"'{v.value}'" for v in values) + ")"


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"

    @property
    def rank(self) -> int:
        return int(self.value[1])

    def above(self) -> Tier | None:
        return {Tier.L1: Tier.L2, Tier.L2: Tier.L3}.get(self)

    def below(self) -> Tier | None:
        return {Tier.L3: Tier.L2, Tier.L2: Tier.L1}.get(self)


class TicketStatus(StrEnum):
    QUEUED = "queued"
    ASSIGNED = "assigned"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {TicketStatus.QUEUED, TicketStatus.ASSIGNED, TicketStatus.WAITING_ON_CUSTOMER}
)
WORKED_STATUSES = frozenset({TicketStatus.ASSIGNED, TicketStatus.WAITING_ON_CUSTOMER})


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Queue order: smaller first."""
        return list(Priority).index(self)


class HandoffReason(StrEnum):
    ASKED_FOR_PERSON = "asked_for_person"
    UNHELPFUL_ANSWERS = "unhelpful_answers"
    LOW_CONFIDENCE = "low_confidence"
    MISSING_KNOWLEDGE = "missing_knowledge"
    URGENT = "urgent"


class EndReason(StrEnum):
    """How a handoff ended (kept on the ticket once it leaves the open statuses)."""

    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    NO_AGENT = "no_agent"
    RETURNED_TO_BOT = "returned_to_bot"
    ABANDONED = "abandoned"


class ConversationMode(StrEnum):
    BOT = "bot"
    HUMAN = "human"
    CLOSED = "closed"


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    EDITOR = "editor"
    ADMIN = "admin"


TICKET_WORKERS = frozenset({Role.AGENT, Role.LEAD, Role.ADMIN})
SUPERVISORS = frozenset({Role.LEAD, Role.ADMIN})


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Channel(StrEnum):
    WIDGET = "widget"
    EMAIL = "email"


class Actor(StrEnum):
    """Who caused an event: the audit trail names a kind and, for people, an id."""

    SYSTEM = "system"
    BOT = "bot"
    CUSTOMER = "customer"
    AGENT = "agent"
    LEAD = "lead"


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    """What can happen to a ticket's status; each is one row of TRANSITIONS."""

    CLAIM = "claim"
    RELEASE = "release"
    TRANSFER = "transfer"
    ESCALATE = "escalate"
    DE_ESCALATE = "de_escalate"
    WAIT_ON_CUSTOMER = "wait_on_customer"
    CUSTOMER_REPLIED = "customer_replied"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CANCEL = "cancel"
    CLOSE = "close"
    REQUEUE = "requeue"
    ABANDON = "abandon"
    RETURN_TO_BOT = "return_to_bot"


class EventKind(StrEnum):
    """TicketEvent.kind: one per Action (the transition) plus the events that change no status."""

    CREATED = "created"
    CLAIMED = "claimed"
    RELEASED = "released"
    TRANSFERRED = "transferred"
    ESCALATED = "escalated"
    DE_ESCALATED = "de_escalated"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    CUSTOMER_REPLIED = "customer_replied"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    REQUEUED = "requeued"
    OFFERED = "offered"
    OFFER_DECLINED = "offer_declined"
    OFFER_EXPIRED = "offer_expired"
    ROUTED_TO_LEAD = "routed_to_lead"
    FIRST_RESPONSE = "first_response"
    REPLIED = "replied"
    NOTE = "note"
    RATED = "rated"
    PROMOTED = "promoted"
    CONTACT_LEFT = "contact_left"
    ABANDONED = "abandoned"
    RETURNED_TO_BOT = "returned_to_bot"
    # timers (the scheduler): a target about to be missed, missed; a tier holding too long;
    # a live handoff nobody claimed in time
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    HANDLING_WARNING = "handling_warning"
    HANDLING_LIMIT = "handling_limit"
    NO_AGENT = "no_agent"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[TicketStatus]
    target: TicketStatus
    event: EventKind


_Q, _A, _W = TicketStatus.QUEUED, TicketStatus.ASSIGNED, TicketStatus.WAITING_ON_CUSTOMER
_R, _C = TicketStatus.RESOLVED, TicketStatus.CLOSED

#: The whole life cycle. Anything not listed is refused with 409 and the ticket's fresh state.
TRANSITIONS: Mapping[Action, Transition] = {
    Action.CLAIM: Transition(frozenset({_Q}), _A, EventKind.CLAIMED),
    Action.RELEASE: Transition(frozenset({_A, _W}), _Q, EventKind.RELEASED),
    Action.TRANSFER: Transition(frozenset({_Q, _A, _W}), _A, EventKind.TRANSFERRED),
    Action.ESCALATE: Transition(frozenset({_Q, _A, _W}), _Q, EventKind.ESCALATED),
    Action.DE_ESCALATE: Transition(frozenset({_Q, _A, _W}), _Q, EventKind.DE_ESCALATED),
    Action.WAIT_ON_CUSTOMER: Transition(frozenset({_A}), _W, EventKind.WAITING_ON_CUSTOMER),
    Action.CUSTOMER_REPLIED: Transition(frozenset({_W}), _A, EventKind.CUSTOMER_REPLIED),
    Action.RESOLVE: Transition(frozenset({_Q, _A, _W}), _R, EventKind.RESOLVED),
    Action.REOPEN: Transition(frozenset({_R}), _Q, EventKind.REOPENED),
    Action.CANCEL: Transition(frozenset({_Q}), _C, EventKind.CANCELLED),
    Action.CLOSE: Transition(frozenset({_R}), _C, EventKind.CLOSED),
    Action.REQUEUE: Transition(frozenset({_A, _W}), _Q, EventKind.REQUEUED),
    Action.ABANDON: Transition(frozenset({_Q}), _C, EventKind.ABANDONED),
    Action.RETURN_TO_BOT: Transition(frozenset({_Q, _A, _W}), _C, EventKind.RETURNED_TO_BOT),
}


def allowed(action: Action, status: TicketStatus | str) -> bool:
    return TicketStatus(status) in TRANSITIONS[action].sources


def _with_tier(ticket: Ticket, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every event names the tier the ticket is in once it happened (reports count a resolution
    or a first response in that tier; escalations also name ``from_tier``/``to_tier``)."""
    return {"tier": ticket.tier, **(data or {})}


def record(
    session: Session,
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: Actor,
    agent_id: int | None = None,
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
    to_status: TicketStatus | None = None,
) -> TicketEvent:
    """Write one TicketEvent (flushed with the caller's unit of work); ``to_status`` only for
    the event that gives a ticket its first status (created)."""
    from handoff.models import TicketEvent

    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind.value,
        actor=actor.value,
        agent_id=agent_id,
        from_status=None,
        to_status=to_status.value if to_status else None,
        reason=reason,
        data=_with_tier(ticket, data),
        created_at=utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def apply(
    session: Session,
    ticket: Ticket,
    action: Action,
    *,
    actor: Actor,
    agent_id: int | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    changes: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> TicketEvent:
    """Move ``ticket`` along ``action`` in one conditional UPDATE and write its TicketEvent.

    The UPDATE only matches while the ticket is in one of the action's source statuses (and at
    ``expected_version`` when the caller states the version it saw, and under any extra
    ``where`` guards), so of two concurrent changes exactly one wins; the loser gets
    :class:`TicketConflict` carrying the ticket as it is now.
    """
    from handoff.models import Ticket, TicketEvent

    rule = TRANSITIONS[action]
    if len(rule.sources) == 1:
        # the conditional UPDATE below can only move from that one status: no lock needed
        (previous,) = rule.sources
    else:
        # Lock the row (PostgreSQL; SQLite's writer already holds the database lock) so the
        # status the event names as "from" is the one this UPDATE really moved from. FOR NO KEY
        # UPDATE: inserting events or offers that reference the ticket does not wait for it.
        current = session.execute(
            select(Ticket.status).where(Ticket.id == ticket.id).with_for_update(key_share=True)
        ).scalar_one_or_none()
        if current is None:
            raise TicketNotFound("ticket not found")
        previous = TicketStatus(current)
    now = utcnow()
    stmt = (
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status.in_([s.value for s in rule.sources]))
        .values(
            status=rule.target.value, version=Ticket.version + 1, updated_at=now, **(changes or {})
        )
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    )
    if expected_version is not None:
        stmt = stmt.where(Ticket.version == expected_version)
    for guard in where:
        stmt = stmt.where(guard)
    if session.execute(stmt).first() is None:
        fresh = session.scalars(
            select(Ticket).where(Ticket.id == ticket.id).execution_options(populate_existing=True)
        ).first()
        if fresh is None:
            raise TicketNotFound("ticket not found")
        raise TicketConflict.for_ticket(fresh, action)
    session.refresh(ticket)
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=rule.event.value,
        actor=actor.value,
        agent_id=agent_id,
        from_status=previous.value,
        to_status=rule.target.value,
        reason=reason,
        data=_with_tier(ticket, data),
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event
