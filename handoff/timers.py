"""The desk's timers, run by the api's scheduler (``tierzero.scheduler``): SLA warnings and
breaches (optionally escalating), handling-time limits per tier, and the timed exits of a
handoff (nobody claimed it in time → ``no_agent``; the customer left → ``abandoned``).

Planning follows the tickets: every status, tier or assignee change bumps a ticket's
``version``, and :func:`plan_changed` (each scheduler tick) plans the jobs of every ticket whose
``timers_version`` is behind. Job keys name the deadline or the assignment they are about, so a
warning or breach is planned — and fires — once, however often a ticket changes. Each handler
checks, in the job's transaction, that what it is about still holds (the target still unmet, the
same agent still holding the ticket since the same moment) and otherwise does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff import lifecycle
from handoff import repository as repo
from handoff.availability import Path, follow_up, when
from handoff.business_hours import add_business_minutes
from handoff.errors import TicketConflict
from handoff.lifecycle import (
    OPEN_STATUSES,
    WORKED_STATUSES,
    Action,
    Actor,
    Channel,
    ConversationMode,
    EndReason,
    EventKind,
    Priority,
    Sender,
    TicketStatus,
    Tier,
)
from handoff.models import Conversation, Message, Ticket
from handoff.policy import Policy
from handoff.tickets import abandon, announce, move_tier, say_to_customer
from tierzero import scheduler
from tierzero.hub import Hub
from tierzero.scheduler import Handler, ScheduledJob

SLA_WARNING = "sla_warning"
SLA_BREACH = "sla_breach"
HANDLING_WARNING = "handling_warning"
HANDLING_LIMIT = "handling_limit"
NO_CLAIM = "no_claim"
ABANDON = "abandon"

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"

#: A deadline older than this is not planned again (finished jobs are purged after 30 days).
_TOO_OLD = timedelta(days=14)


def ticket_subject(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def conversation_subject(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- planning ---------------------------------------------------------------------------------


def has_changes(session: Session) -> bool:
    """Has any ticket changed since its timers were planned? (a read, before writing)"""
    behind = select(Ticket.id).where(Ticket.timers_version < Ticket.version).limit(1)
    return session.scalar(behind) is not None


def plan_changed(session: Session, policy: Policy, now: datetime, *, limit: int = 200) -> int:
    """Plan the timers of tickets changed since they were last planned; returns how many."""
    changed = session.scalars(
        select(Ticket)
        .where(Ticket.timers_version < Ticket.version)
        .order_by(Ticket.id)
        .limit(limit)
    ).all()
    for ticket in changed:
        plan_ticket(session, policy, ticket, now)
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.version == ticket.version)
            .values(timers_version=ticket.version)
            .execution_options(synchronize_session=False)
        )
    return len(changed)


def plan_ticket(session: Session, policy: Policy, ticket: Ticket, now: datetime) -> None:
    subject = ticket_subject(ticket.id)
    if TicketStatus(ticket.status) not in OPEN_STATUSES:
        scheduler.cancel(session, subject)
        return
    _, plan = policy.plan(ticket.packet.get("plan"))
    target = plan.targets_for(ticket.channel)[Priority(ticket.priority)]
    chat = ticket.channel != Channel.EMAIL.value  # an email waits by nature: no chat timers
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        _plan_target(session, policy, ticket, FIRST_RESPONSE, ticket.first_response_due_at,
                     target.first_response, now)  # fmt: skip
    if ticket.resolution_due_at is not None:
        _plan_target(session, policy, ticket, RESOLUTION, ticket.resolution_due_at,
                     target.resolution, now)  # fmt: skip
    limit = policy.handling_limits.get(Tier(ticket.tier))
    if (
        limit is not None
        and chat
        and TicketStatus(ticket.status) in WORKED_STATUSES
        and ticket.assigned_at is not None
        and ticket.assignee_id is not None
    ):
        held = {"ticket_id": ticket.id, "tier": ticket.tier, "agent_id": ticket.assignee_id,
                "assigned_at": _stamp(ticket.assigned_at), "limit": limit.limit}  # fmt: skip
        which = f"{ticket.id}:{ticket.tier}:{ticket.assignee_id}:{_stamp(ticket.assigned_at)}"
        for kind, minutes in ((HANDLING_WARNING, limit.warn_after), (HANDLING_LIMIT, limit.limit)):
            scheduler.plan(
                session, kind=kind, key=f"{kind}:{which}", subject=subject,
                due_at=ticket.assigned_at + timedelta(minutes=minutes), data=held,
            )  # fmt: skip
    if (
        plan.live_support
        and chat
        and plan.claim_within is not None
        and ticket.status == TicketStatus.QUEUED.value
        and ticket.first_response_at is None
        and ticket.packet.get("availability", Path.LIVE.value) == Path.LIVE.value
    ):
        scheduler.plan(
            session, kind=NO_CLAIM, key=f"{NO_CLAIM}:{ticket.id}", subject=subject,
            due_at=ticket.created_at + timedelta(minutes=plan.claim_within),
            data={"ticket_id": ticket.id},
        )  # fmt: skip


def _plan_target(
    session: Session,
    policy: Policy,
    ticket: Ticket,
    target: str,
    due: datetime,
    minutes: int,
    now: datetime,
) -> None:
    if due < now - _TOO_OLD:
        return
    data = {"ticket_id": ticket.id, "target": target, "due_at": _stamp(due)}
    warn = add_business_minutes(policy.team, ticket.created_at, minutes * policy.sla_warning_at)
    which = f"{target}:{ticket.id}:{_stamp(due)}"
    subject = ticket_subject(ticket.id)
    if warn < due:
        scheduler.plan(session, kind=SLA_WARNING, key=f"{SLA_WARNING}:{which}", subject=subject,
                       due_at=warn, data=data)  # fmt: skip
    scheduler.plan(session, kind=SLA_BREACH, key=f"{SLA_BREACH}:{which}", subject=subject,
                   due_at=due, data=data)  # fmt: skip


def waiting_ticket(session: Session, conversation_id: int) -> Ticket | None:
    """The customer's ticket while they wait in the queue (open, not yet taken), else None."""
    ticket = repo.open_ticket_for_conversation(session, conversation_id)
    return ticket if ticket is not None and ticket.status == TicketStatus.QUEUED.value else None


def customer_left(session: Session, policy: Policy, conversation_id: int, now: datetime) -> bool:
    """The customer's last chat window closed: if they are waiting in the queue, they count as
    gone after the policy's grace period unless they come back (True if that was planned)."""
    ticket = waiting_ticket(session, conversation_id)
    if ticket is None:
        return False
    return scheduler.plan(
        session, kind=ABANDON, key=f"{ABANDON}:{conversation_id}:{_stamp(now)}",
        subject=conversation_subject(conversation_id),
        due_at=now + timedelta(seconds=policy.abandoned_after_seconds),
        data={"ticket_id": ticket.id, "left_at": _stamp(now)},
    )  # fmt: skip


def customer_returned(session: Session, conversation_id: int) -> None:
    scheduler.cancel(session, conversation_subject(conversation_id), kinds=(ABANDON,))


# --- running ----------------------------------------------------------------------------------


class DeskTimers:
    """The handlers, bound to the policy and the hub."""

    def __init__(self, policy: Policy, hub: Hub) -> None:
        self.policy = policy
        self.hub = hub

    def handlers(self) -> dict[str, Handler]:
        return {
            SLA_WARNING: self.sla_warning,
            SLA_BREACH: self.sla_breach,
            HANDLING_WARNING: self.handling_warning,
            HANDLING_LIMIT: self.handling_limit,
            NO_CLAIM: self.no_claim,
            ABANDON: self.abandon,
        }

    # SLA ------------------------------------------------------------------------------------

    def _unmet(self, session: Session, job: ScheduledJob) -> Ticket | None:
        ticket = repo.get_ticket(session, int(job.data["ticket_id"]))
        if ticket is None or TicketStatus(ticket.status) not in OPEN_STATUSES:
            return None
        if job.data["target"] == FIRST_RESPONSE:
            due, met = ticket.first_response_due_at, ticket.first_response_at is not None
        else:
            due, met = ticket.resolution_due_at, False
        if met or due is None or _stamp(due) != job.data["due_at"]:
            return None
        return ticket

    def sla_warning(self, session: Session, job: ScheduledJob, now: datetime) -> str:
        ticket = self._unmet(session, job)
        if ticket is None:
            return "met or changed"
        target = str(job.data["target"]).replace("_", " ")
        self._announce(session, ticket, EventKind.SLA_WARNING, job.data,
                       f"{target} due {job.data['due_at']}")  # fmt: skip
        return "warned"

    def sla_breach(self, session: Session, job: ScheduledJob, now: datetime) -> str:
        ticket = self._unmet(session, job)
        if ticket is None:
            return "met or changed"
        target = str(job.data["target"]).replace("_", " ")
        self._announce(session, ticket, EventKind.SLA_BREACHED, job.data,
                       f"{target} was due {job.data['due_at']}")  # fmt: skip
        _, plan = self.policy.plan(ticket.packet.get("plan"))
        if not plan.escalate_on_breach or Tier(ticket.tier).above() is None:
            return "breached"
        note = f"SLA breached: the {target} target ({job.data['due_at']}) was missed."
        try:
            with session.begin_nested():
                move_tier(session, self.hub, ticket, Action.ESCALATE, actor=Actor.SYSTEM,
                          note=note, data={"notes": notes_of(session, ticket),
                                           "breach": dict(job.data)})  # fmt: skip
        except TicketConflict:
            return "breached (not escalated: the ticket changed)"
        return "breached and escalated"

    # handling time ----------------------------------------------------------------------------

    def _still_held(self, session: Session, job: ScheduledJob) -> Ticket | None:
        ticket = repo.get_ticket(session, int(job.data["ticket_id"]))
        if (
            ticket is None
            or TicketStatus(ticket.status) not in WORKED_STATUSES
            or ticket.tier != job.data["tier"]
            or ticket.assignee_id != job.data["agent_id"]
            or ticket.assigned_at is None
            or _stamp(ticket.assigned_at) != job.data["assigned_at"]
        ):
            return None
        return ticket

    def handling_warning(self, session: Session, job: ScheduledJob, now: datetime) -> str:
        ticket = self._still_held(session, job)
        if ticket is None:
            return "no longer held"
        assigned = datetime.fromisoformat(str(job.data["assigned_at"]))
        limit_at = assigned + timedelta(minutes=int(job.data["limit"]))
        self._announce(session, ticket, EventKind.HANDLING_WARNING,
                       {**job.data, "limit_at": _stamp(limit_at)},
                       f"{ticket.tier} handling limit at {_stamp(limit_at)}")  # fmt: skip
        return "warned"

    def handling_limit(self, session: Session, job: ScheduledJob, now: datetime) -> str:
        ticket = self._still_held(session, job)
        if ticket is None:
            return "no longer held"
        tier = Tier(ticket.tier)
        reason = f"{tier.value} handling limit of {job.data['limit']} minutes reached"
        if tier.above() is None:
            self._announce(session, ticket, EventKind.HANDLING_LIMIT, job.data, reason)
            return "limit reached (top tier: not escalated)"
        notes = notes_of(session, ticket)
        note = reason + (": " + " | ".join(n["text"] for n in notes) if notes else "")
        try:
            with session.begin_nested():
                lifecycle.record(session, ticket, EventKind.HANDLING_LIMIT, actor=Actor.SYSTEM,
                                 agent_id=ticket.assignee_id, reason=reason,
                                 data=dict(job.data))  # fmt: skip
                move_tier(session, self.hub, ticket, Action.ESCALATE, actor=Actor.SYSTEM,
                          note=note[:4000],
                          data={"notes": notes, "handling": dict(job.data)})  # fmt: skip
        except TicketConflict:
            return "the ticket changed at the limit"
        return f"escalated to {tier.above()}"

    # timed exits ------------------------------------------------------------------------------

    def no_claim(self, session: Session, job: ScheduledJob, now: datetime) -> str:
        ticket = repo.get_ticket(session, int(job.data["ticket_id"]))
        if (
            ticket is None
            or ticket.status != TicketStatus.QUEUED.value
            or ticket.first_response_at is not None
            or ticket.end_reason is not None
        ):
            return "claimed or ended"
        conversation = session.get(Conversation, ticket.conversation_id)
        if conversation is None or conversation.mode != ConversationMode.HUMAN.value:
            return "conversation moved on"
        ticket.end_reason = EndReason.NO_AGENT.value
        event = lifecycle.record(session, ticket, EventKind.NO_AGENT, actor=Actor.SYSTEM,
                                 reason="nobody claimed the live handoff in time",
                                 data={"waited_since": _stamp(ticket.created_at)})  # fmt: skip
        customer = repo.get_customer(session, ticket.customer_id)
        offer = follow_up(Path.NO_AGENT, ticket.first_response_due_at, conversation.language,
                          ask_email=customer is None or not customer.email)  # fmt: skip
        say_to_customer(session, self.hub, conversation, "no_agent_yet", ticket=ticket.id,
                        when=when(self.policy, ticket.first_response_due_at),
                        payload={"follow_up": offer})  # fmt: skip
        announce(session, self.hub, ticket, event)
        return "customer told; ticket stays queued for follow-up"

    def abandon(self, session: Session, job: ScheduledJob, now: datetime) -> str:
        ticket = repo.get_ticket(session, int(job.data["ticket_id"]))
        if ticket is None or ticket.status != TicketStatus.QUEUED.value:
            return "no longer waiting"
        customer = repo.get_customer(session, ticket.customer_id)
        if customer is not None and customer.email:
            return "kept for an email follow-up"
        wrote_last = session.scalar(
            select(func.max(Message.created_at)).where(
                Message.conversation_id == ticket.conversation_id,
                Message.sender == Sender.CUSTOMER.value,
            )
        )
        if wrote_last is not None and _stamp(wrote_last) > str(job.data["left_at"]):
            return "the customer wrote after leaving"
        try:
            with session.begin_nested():
                abandon(session, self.hub, ticket,
                        reason=f"the customer left at {job.data['left_at']}")  # fmt: skip
        except TicketConflict:
            return "taken at that moment"
        return "abandoned"

    def _announce(
        self, session: Session, ticket: Ticket, kind: EventKind, data: dict[str, Any], reason: str
    ) -> None:
        event = lifecycle.record(session, ticket, kind, actor=Actor.SYSTEM,
                                 agent_id=ticket.assignee_id, reason=reason, data=data)  # fmt: skip
        announce(session, self.hub, ticket, event)


def notes_of(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    """The internal notes written on a ticket, oldest first (they travel with an escalation)."""
    return [
        {"agent_id": e.agent_id, "tier": e.data.get("tier"), "text": e.data.get("text", ""),
         "at": _stamp(e.created_at)}
        for e in repo.ticket_events(session, ticket.id)
        if e.kind == EventKind.NOTE.value
    ]  # fmt: skip
