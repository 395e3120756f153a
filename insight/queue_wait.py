"""How long customers waited in a queue (wall clock: they wait in real time): each spell from
the event that put a ticket in the queue (handoff, release, escalation, reopen, requeue) to the
next change of its status, counted in the tier it waited in. A spell ended by a claim or a
transfer to an agent is a wait that ended well; one ended by the customer leaving, a cancel or
an escalation out of the queue is reported apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.lifecycle import EventKind, TicketStatus
from handoff.models import TicketEvent
from tierzero.db import seconds_between

TAKEN = frozenset({EventKind.CLAIMED.value, EventKind.TRANSFERRED.value})


@dataclass(frozen=True)
class Spell:
    ticket_id: int
    tier: str | None
    started_at: datetime
    ended_at: datetime
    ended_by: str
    seconds: float

    @property
    def taken(self) -> bool:
        return self.ended_by in TAKEN


def spells(session: Session, *, start: datetime, end: datetime) -> list[Spell]:
    """Queue spells that ended in ``[start, end)``."""
    ordered = select(
        TicketEvent.ticket_id,
        TicketEvent.to_status,
        TicketEvent.data["tier"].as_string().label("tier"),
        TicketEvent.created_at,
        func.lead(TicketEvent.created_at)
        .over(partition_by=TicketEvent.ticket_id, order_by=TicketEvent.id)
        .label("next_at"),
        func.lead(TicketEvent.kind)
        .over(partition_by=TicketEvent.ticket_id, order_by=TicketEvent.id)
        .label("next_kind"),
    ).where(TicketEvent.to_status.is_not(None))  # only status changes end a spell
    q = ordered.subquery()
    rows = session.execute(
        select(
            q.c.ticket_id,
            q.c.tier,
            q.c.created_at,
            q.c.next_at,
            q.c.next_kind,
            seconds_between(q.c.created_at, q.c.next_at),
        )
        .where(
            q.c.to_status == TicketStatus.QUEUED.value,
            q.c.next_at.is_not(None),
            q.c.next_at >= start,
            q.c.next_at < end,
        )
        .order_by(q.c.next_at)
    ).all()
    return [Spell(r[0], r[1], r[2], r[3], r[4], float(r[5])) for r in rows]
