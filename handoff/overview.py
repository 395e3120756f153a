"""What leads and admins see at a glance (the console's overview screen): the queues of every
tier right now, each active agent's presence and load, and what happened in a period.

Everything is counted by the database from the stored tickets, their events and the agents
(SQLite and PostgreSQL alike; the queries are in ``handoff.repository``). The period figures
are what exists before the reports (issue 17), which will replace them:

- *created*, *handoff_reasons* and *end_reasons* are about the tickets handed off in the period
  (the end reason as stored on the ticket now; tickets not ended yet are in no end reason);
- *resolved* (per tier, with its share) and the *median resolution* are about the tickets whose
  latest resolution falls in the period, counted in the tier that resolved them;
- the *median first response* is about the first responses given in the period;
- *escalations*, *SLA warnings* and *breaches* count the TicketEvents written in the period
  (automatic escalations are the scheduler's: a breach or a tier's handling limit);
- *CSAT* counts the ratings given in the period (a ticket's latest rating).

Durations are wall-clock seconds from the handoff (``created_at``), not business minutes. A
period is [since, until): it starts at ``since`` and ends just before ``until``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.agents import loads
from handoff.errors import InvalidPeriod
from handoff.lifecycle import (
    TICKET_WORKERS,
    Actor,
    EndReason,
    EventKind,
    HandoffReason,
    Role,
    TicketStatus,
    Tier,
)
from handoff.models import Agent
from handoff.schemas import AgentLoadRead as AgentNow
from handoff.schemas import OverviewRead as Overview
from handoff.schemas import PeriodRead as PeriodFigures
from handoff.schemas import TierNowRead as TierNow
from handoff.schemas import TierShareRead as TierShare
from tierzero.db import utcnow

#: The longest period the overview counts (a year, leap day included).
MAX_PERIOD = timedelta(days=366)


def period(
    since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The period asked for: ``since`` defaults to the start of today (UTC), ``until`` to now; a
    time without a zone is UTC. 422 when it ends before it starts or spans more than 366 days."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = _utc(since) if since is not None else today
    end = _utc(until) if until is not None else now
    if start > end:
        raise InvalidPeriod("since must not be after until")
    if end - start > MAX_PERIOD:
        raise InvalidPeriod(f"the period may span at most {MAX_PERIOD.days} days")
    return start, end


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def overview(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> Overview:
    now = utcnow()
    start, end = period(since, until, now)
    return Overview(
        now=now,
        tiers=tiers_now(session, now),
        agents=agents_now(session),
        period=figures(session, start, end),
    )


def tiers_now(session: Session, now: datetime) -> list[TierNow]:
    """Every tier, busy or not: its queue, the tickets in hand, the oldest wait, the overdue."""
    groups = repo.open_tickets_by_tier(session, now)

    def count(tier: Tier, status: TicketStatus) -> int:
        return sum(g.count for g in groups if g.tier == tier and g.status == status)

    def waited(tier: Tier) -> float | None:
        queued = [
            g.oldest_created_at
            for g in groups
            if g.tier == tier and g.status == TicketStatus.QUEUED and g.oldest_created_at
        ]
        return (now - min(queued)).total_seconds() if queued else None

    return [
        TierNow(
            tier=tier.value,
            queued=count(tier, TicketStatus.QUEUED),
            assigned=count(tier, TicketStatus.ASSIGNED),
            waiting_on_customer=count(tier, TicketStatus.WAITING_ON_CUSTOMER),
            oldest_queued_seconds=waited(tier),
            overdue=sum(g.overdue for g in groups if g.tier == tier),
        )
        for tier in Tier
    ]


def agents_now(session: Session) -> list[AgentNow]:
    """The active agents who work tickets (agents, leads, admins), by tier and name."""
    workers: Sequence[Agent] = [
        a for a in repo.active_agents(session) if Role(a.role) in TICKET_WORKERS
    ]
    load = loads(session, [a.id for a in workers])
    pending = repo.pending_offers_by_agent(session)
    return [
        AgentNow(
            id=a.id,
            name=a.name,
            role=a.role,
            tier=a.tier,
            presence=a.presence,
            chats=load[a.id].chats,
            chat_capacity=a.chat_capacity,
            emails=load[a.id].emails,
            email_capacity=a.email_capacity,
            pending_offers=pending.get(a.id, 0),
            load=round(load[a.id].share(a), 3),
        )
        for a in sorted(workers, key=lambda a: (a.tier, a.name.casefold(), a.id))
    ]


def figures(session: Session, since: datetime, until: datetime) -> PeriodFigures:
    handed_off = repo.created_by_reason_and_end(session, since, until)
    reasons = {r.value: 0 for r in HandoffReason}
    ends = {e.value: 0 for e in EndReason}
    for reason, end, n in handed_off:
        reasons[reason] = reasons.get(reason, 0) + n
        if end is not None:
            ends[end] = ends.get(end, 0) + n
    by_tier = repo.resolved_by_tier(session, since, until)
    resolved = sum(by_tier.values())
    events = repo.events_by_kind_and_actor(
        session, (EventKind.ESCALATED, EventKind.SLA_WARNING, EventKind.SLA_BREACHED), since, until
    )

    def events_of(kind: EventKind, actor: Actor | None = None) -> int:
        return sum(n for (k, a), n in events.items() if k == kind and actor in (None, a))

    first_responses, first_response_median = repo.first_responses_between(session, since, until)
    _, resolution_median = repo.resolutions_between(session, since, until)
    csat_count, csat_average = repo.csat_between(session, since, until)
    return PeriodFigures(
        since=since,
        until=until,
        created=sum(n for _, _, n in handed_off),
        handoff_reasons=reasons,
        end_reasons=ends,
        resolved=resolved,
        resolved_by_tier=[_share(tier, by_tier.get(tier, 0), resolved) for tier in Tier],
        escalations=events_of(EventKind.ESCALATED),
        automatic_escalations=events_of(EventKind.ESCALATED, Actor.SYSTEM),
        first_responses=first_responses,
        first_response_median_seconds=_rounded(first_response_median),
        resolution_median_seconds=_rounded(resolution_median),
        sla_warnings=events_of(EventKind.SLA_WARNING),
        sla_breaches=events_of(EventKind.SLA_BREACHED),
        csat_count=csat_count,
        csat_average=round(csat_average, 2) if csat_average is not None else None,
    )


def _share(tier: Tier, count: int, total: int) -> TierShare:
    return TierShare(tier=tier.value, count=count, share=round(count / total, 4) if total else None)


def _rounded(seconds: float | None) -> float | None:
    """To the tenth of a second (SQLite's julianday arithmetic is exact to well under a
    millisecond, not to the microsecond)."""
    return round(seconds, 1) if seconds is not None else None
