"""The desk's timers with an injected clock: SLA warnings and breaches across business hours,
weekends, holidays and time zones (once each, surviving a restart of the scheduler), automatic
escalation on breach, handling-time limits per tier, and the timed exits of a handoff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handoff import tickets, timers
from handoff.availability import Path
from handoff.lifecycle import (
    ConversationMode,
    EndReason,
    EventKind,
    HandoffReason,
    Priority,
    Role,
    TicketStatus,
    Tier,
)
from handoff.models import Conversation, Customer, Message, Ticket, TicketEvent
from handoff.policy import Policy, load, parse
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, say
from tierzero import clock
from tierzero.scheduler import JobStatus, ScheduledJob, Scheduler
from tierzero.settings import PROJECT_ROOT

POLICY = load(PROJECT_ROOT / "config" / "policy.yaml")
BELGRADE = ZoneInfo("Europe/Belgrade")


def at(text: str, zone: ZoneInfo = BELGRADE) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.fixture(autouse=True)
def _restore_clock() -> Iterator[None]:
    yield
    clock.travel(timedelta(0))


class Desk:
    """The scheduler over the test's own transaction (its commits are savepoints)."""

    def __init__(self, session: Session, policy: Policy = POLICY) -> None:
        self.session = session
        self.policy = policy
        factory = sessionmaker(
            bind=session.connection(), join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )  # fmt: skip
        self.factory = factory
        self.scheduler = Scheduler(factory, timers.DeskTimers(policy, HUB).handlers())

    def tick(self, moment: datetime) -> int:
        """What one scheduler round does at ``moment``: plan changed tickets, run due jobs."""
        clock.freeze(moment)
        timers.plan_changed(self.session, self.policy, moment)
        self.session.flush()
        ran = self.scheduler.run_due(moment)
        self.session.expire_all()
        return ran


def events(session: Session, ticket: Ticket, kind: EventKind) -> list[TicketEvent]:
    return list(
        session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind.value
            )
        )
    )


def hand_off(
    session: Session,
    moment: datetime,
    *,
    plan: str = "premium",
    language: str = "el",
    priority: Priority = Priority.NORMAL,
    policy: Policy = POLICY,
    availability: Path = Path.LIVE,
) -> Ticket:
    clock.freeze(moment)
    conversation = make_conversation(session, language=language)
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    customer.plan = plan
    say(session, conversation, "Δεν μπορώ να συνδεθώ")
    ticket = tickets.hand_off(
        session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON,
        priority=priority, policy=policy,
    ).ticket  # fmt: skip
    ticket.packet = {**ticket.packet, "availability": availability.value}
    session.flush()
    return ticket


class TestSlaTimers:
    def test_premium_first_response_warns_then_breaches_once_and_escalates(
        self, session: Session
    ) -> None:
        desk = Desk(session)
        ticket = hand_off(session, at("2026-12-02 10:00"), availability=Path.NO_AGENT)
        assert ticket.first_response_due_at == at("2026-12-02 10:15").astimezone(UTC)
        desk.tick(at("2026-12-02 10:11"))
        assert not events(session, ticket, EventKind.SLA_WARNING)
        desk.tick(at("2026-12-02 10:12:30"))  # 80 % of 15 business minutes
        desk.tick(at("2026-12-02 10:13"))
        (warning,) = events(session, ticket, EventKind.SLA_WARNING)
        assert warning.data["target"] == "first_response"
        assert not events(session, ticket, EventKind.SLA_BREACHED)
        desk.tick(at("2026-12-02 10:15:01"))
        for later in ("10:16", "10:30", "12:00"):
            desk.tick(at(f"2026-12-02 {later}"))
        assert len(events(session, ticket, EventKind.SLA_BREACHED)) == 1
        assert len(events(session, ticket, EventKind.SLA_WARNING)) == 1
        session.refresh(ticket)
        # premium escalates on a breach: the ticket is now waiting at L2
        assert ticket.tier == Tier.L2.value and ticket.status == TicketStatus.QUEUED.value
        (escalated,) = events(session, ticket, EventKind.ESCALATED)
        assert escalated.actor == "system" and "first response" in (escalated.reason or "")

    def test_answered_in_time_nothing_fires(self, session: Session) -> None:
        desk = Desk(session)
        agent = make_agent(session, languages=("el",))
        ticket = hand_off(session, at("2026-12-02 10:00"), plan="standard")
        desk.tick(at("2026-12-02 10:01"))  # its timers are planned
        clock.freeze(at("2026-12-02 10:05"))
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        desk.tick(at("2026-12-02 10:05"))
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="Καλημέρα!")
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        desk.tick(at("2026-12-02 10:06"))
        desk.tick(at("2026-12-09 10:00"))  # well past every target
        for kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.HANDLING_WARNING,
                     EventKind.HANDLING_LIMIT, EventKind.NO_AGENT):  # fmt: skip
            assert not events(session, ticket, kind), kind
        jobs = session.scalars(
            select(ScheduledJob).where(ScheduledJob.subject == timers.ticket_subject(ticket.id))
        ).all()
        assert jobs and all(j.status != JobStatus.PENDING.value for j in jobs)

    @pytest.mark.parametrize(
        "handed_off,quiet,breach",
        [
            # Saturday 15:55: 5 minutes before closing, Sunday closed, Monday from 08:00
            ("2026-12-05 15:55", "2026-12-06 12:00", "2026-12-07 08:10"),
            # the evening before Christmas Day (a holiday), then Saturday's hours
            ("2026-12-24 19:55", "2026-12-25 12:00", "2026-12-26 10:10"),
            # at night: the clock starts when the team opens
            ("2026-12-02 23:30", "2026-12-03 07:59", "2026-12-03 08:15"),
        ],
    )
    def test_breaches_count_business_hours_only(
        self, session: Session, handed_off: str, quiet: str, breach: str
    ) -> None:
        desk = Desk(session)
        ticket = hand_off(session, at(handed_off), plan="standard")
        desk.tick(at(quiet))
        assert not events(session, ticket, EventKind.SLA_BREACHED)
        assert not events(session, ticket, EventKind.SLA_WARNING)
        desk.tick(at(breach) - timedelta(seconds=1))
        assert not events(session, ticket, EventKind.SLA_BREACHED)
        desk.tick(at(breach))
        assert len(events(session, ticket, EventKind.SLA_BREACHED)) == 1
        session.refresh(ticket)
        assert ticket.tier == Tier.L1.value  # standard does not escalate on a breach

    def test_a_team_in_another_time_zone(self, session: Session) -> None:
        text = (PROJECT_ROOT / "config" / "policy.yaml").read_text(encoding="utf-8")
        policy = parse(text.replace("Europe/Belgrade", "America/New_York"))
        desk = Desk(session, policy)
        new_york = ZoneInfo("America/New_York")
        # 09:00 in New York is 15:00 in Belgrade; 15 minutes there are 15 minutes here
        ticket = hand_off(session, at("2026-12-02 07:55", new_york), plan="standard",
                          policy=policy)  # fmt: skip
        assert ticket.first_response_due_at == at("2026-12-02 08:15", new_york).astimezone(UTC)
        desk.tick(at("2026-12-02 08:14", new_york))
        assert not events(session, ticket, EventKind.SLA_BREACHED)
        desk.tick(at("2026-12-02 08:15", new_york))
        assert len(events(session, ticket, EventKind.SLA_BREACHED)) == 1

    def test_jobs_survive_a_restart_of_the_scheduler(self, session: Session) -> None:
        first = Desk(session)
        ticket = hand_off(session, at("2026-12-02 10:00"), plan="standard")
        first.tick(at("2026-12-02 10:01"))  # planned, nothing due
        pending = session.scalars(
            select(ScheduledJob).where(ScheduledJob.status == JobStatus.PENDING.value,
                                       ScheduledJob.subject == timers.ticket_subject(ticket.id))
        ).all()  # fmt: skip
        assert {j.kind for j in pending} >= {timers.SLA_WARNING, timers.SLA_BREACH}
        del first  # the api stops; a new one starts with nothing in memory
        second = Desk(session)
        second.tick(at("2026-12-02 10:20"))
        assert len(events(session, ticket, EventKind.SLA_BREACHED)) == 1

    def test_a_reopened_ticket_does_not_breach_the_same_deadline_twice(
        self, session: Session
    ) -> None:
        desk = Desk(session)
        agent = make_agent(session, languages=("el",), role=Role.LEAD)
        ticket = hand_off(session, at("2026-12-02 10:00"), plan="standard")
        desk.tick(at("2026-12-02 10:20"))
        clock.freeze(at("2026-12-02 10:21"))
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.reopen(session, HUB, agent=agent, ticket_id=ticket.id)
        desk.tick(at("2026-12-02 10:22"))
        desk.tick(at("2026-12-02 10:40"))
        assert len(events(session, ticket, EventKind.SLA_BREACHED)) == 1


class TestHandlingLimits:
    def test_l1_held_too_long_warns_then_escalates_with_its_notes(self, session: Session) -> None:
        desk = Desk(session)
        l1 = make_agent(session, languages=("el",))
        ticket = hand_off(session, at("2026-12-02 10:00"))
        clock.freeze(at("2026-12-02 10:01"))
        tickets.claim(session, HUB, agent=l1, ticket_id=ticket.id)
        tickets.reply(session, HUB, agent=l1, ticket_id=ticket.id, text="Κοιτάζω τον λογαριασμό")
        note = "Password reset link bounced; account flagged by fraud check"
        tickets.add_note(session, HUB, agent=l1, ticket_id=ticket.id, text=note)
        desk.tick(at("2026-12-02 10:12"))
        assert not events(session, ticket, EventKind.HANDLING_WARNING)
        desk.tick(at("2026-12-02 10:13"))  # 12 minutes after taking it
        (warning,) = events(session, ticket, EventKind.HANDLING_WARNING)
        assert warning.agent_id == l1.id and warning.data["limit_at"].startswith("2026-12-02T09:16")
        desk.tick(at("2026-12-02 10:16"))  # the 15-minute limit
        session.refresh(ticket)
        assert ticket.tier == Tier.L2.value and ticket.status == TicketStatus.QUEUED.value
        assert ticket.assignee_id is None
        (escalated,) = events(session, ticket, EventKind.ESCALATED)
        assert escalated.actor == "system"
        assert "fraud check" in (escalated.reason or "")
        assert escalated.data["notes"][0]["text"].startswith("Password reset link bounced")
        assert len(events(session, ticket, EventKind.HANDLING_LIMIT)) == 1
        # L2 sees what L1 wrote
        l2 = make_agent(session, tier=Tier.L2, languages=("el",))
        seen = tickets.detail(session, l2, ticket.id)
        assert any(e.kind == EventKind.NOTE.value for e in seen.events)

    def test_passing_it_on_in_time_stops_the_timer(self, session: Session) -> None:
        desk = Desk(session)
        l1 = make_agent(session, languages=("el",))
        other = make_agent(session, languages=("el",))
        ticket = hand_off(session, at("2026-12-02 10:00"), plan="standard")
        clock.freeze(at("2026-12-02 10:01"))
        tickets.claim(session, HUB, agent=l1, ticket_id=ticket.id)
        desk.tick(at("2026-12-02 10:02"))
        clock.freeze(at("2026-12-02 10:10"))
        tickets.transfer(session, HUB, agent=l1, ticket_id=ticket.id, to_agent=other,
                         reason="Greek billing: yours")  # fmt: skip
        desk.tick(at("2026-12-02 10:14"))
        desk.tick(at("2026-12-02 10:17"))  # the first holder's limit, not the new one's
        session.refresh(ticket)
        assert ticket.tier == Tier.L1.value and ticket.assignee_id == other.id
        assert [e.agent_id for e in events(session, ticket, EventKind.HANDLING_WARNING)] == []
        desk.tick(at("2026-12-02 10:22:30"))  # 12 minutes after the transfer
        (warning,) = events(session, ticket, EventKind.HANDLING_WARNING)
        assert warning.agent_id == other.id


class TestTimedExits:
    def test_nobody_claims_in_time_the_customer_is_told_and_offered_email(
        self, session: Session
    ) -> None:
        desk = Desk(session)
        ticket = hand_off(session, at("2026-12-02 10:00"), plan="standard")
        desk.tick(at("2026-12-02 10:09"))
        assert ticket.end_reason is None
        desk.tick(at("2026-12-02 10:10"))  # standard: claim_within 10 minutes
        session.refresh(ticket)
        assert ticket.end_reason == EndReason.NO_AGENT.value
        assert ticket.status == TicketStatus.QUEUED.value  # stays queued for follow-up
        told = session.scalars(
            select(Message).where(Message.conversation_id == ticket.conversation_id)
            .order_by(Message.seq.desc())
        ).first()  # fmt: skip
        assert told is not None and told.payload["kind"] == "no_agent_yet"
        assert told.payload["follow_up"]["ask_email"] is True
        assert f"#{ticket.id}" in told.text and "Λυπάμαι" in told.text
        desk.tick(at("2026-12-02 10:30"))
        assert len(events(session, ticket, EventKind.NO_AGENT)) == 1
        # an agent who comes along later still answers it; resolving ends it as resolved
        agent = make_agent(session, languages=("el",))
        clock.freeze(at("2026-12-02 10:40"))
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        assert ticket.end_reason == EndReason.RESOLVED.value

    def test_no_exit_when_the_customer_was_told_at_handoff(self, session: Session) -> None:
        desk = Desk(session)
        ticket = hand_off(session, at("2026-12-02 23:00"), plan="standard",
                          availability=Path.CLOSED)  # fmt: skip
        desk.tick(at("2026-12-02 23:30"))
        assert not events(session, ticket, EventKind.NO_AGENT)

    def test_a_customer_who_left_the_queue_window_is_abandoned(self, session: Session) -> None:
        desk = Desk(session)
        ticket = hand_off(session, at("2026-12-02 10:00"), plan="trial")
        left = at("2026-12-02 10:01")
        assert timers.customer_left(session, POLICY, ticket.conversation_id, left)
        desk.tick(left + timedelta(seconds=POLICY.abandoned_after_seconds - 1))
        assert ticket.status == TicketStatus.QUEUED.value
        desk.tick(left + timedelta(seconds=POLICY.abandoned_after_seconds))
        session.refresh(ticket)
        assert ticket.status == TicketStatus.CLOSED.value
        assert ticket.end_reason == EndReason.ABANDONED.value
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None and conversation.mode == ConversationMode.BOT.value

    def test_coming_back_or_leaving_an_email_keeps_the_ticket(self, session: Session) -> None:
        desk = Desk(session)
        back = hand_off(session, at("2026-12-02 10:00"), plan="trial")
        emailed = hand_off(session, at("2026-12-02 10:00"), plan="trial")
        for ticket in (back, emailed):
            timers.customer_left(session, POLICY, ticket.conversation_id, at("2026-12-02 10:01"))
        timers.customer_returned(session, back.conversation_id)
        tickets.follow_up_by_email(session, HUB, conversation_id=emailed.conversation_id,
                                   email="maria@example.gr")  # fmt: skip
        desk.tick(at("2026-12-02 11:00"))
        for ticket in (back, emailed):
            session.refresh(ticket)
            assert ticket.status == TicketStatus.QUEUED.value and ticket.end_reason is None


class TestEveryHandoffEndsWithAReason:
    """resolved, cancelled, no_agent, returned_to_bot, abandoned — each recorded on the ticket
    and in its events."""

    def test_each_ending(self, session: Session) -> None:
        desk = Desk(session)
        agent = make_agent(session, languages=("el",))
        ended: dict[EndReason, Ticket] = {}

        resolved = hand_off(session, at("2026-12-02 10:00"))
        tickets.claim(session, HUB, agent=agent, ticket_id=resolved.id)
        tickets.resolve(session, HUB, agent=agent, ticket_id=resolved.id)
        ended[EndReason.RESOLVED] = resolved

        cancelled = hand_off(session, at("2026-12-02 10:00"))
        tickets.cancel_waiting(session, HUB, conversation_id=cancelled.conversation_id)
        ended[EndReason.CANCELLED] = cancelled

        returned = hand_off(session, at("2026-12-02 10:00"))
        tickets.claim(session, HUB, agent=agent, ticket_id=returned.id)
        tickets.return_to_bot(session, HUB, agent=agent, ticket_id=returned.id,
                              note="the KB article on resets answers it")  # fmt: skip
        ended[EndReason.RETURNED_TO_BOT] = returned

        abandoned = hand_off(session, at("2026-12-02 10:00"), plan="trial")
        timers.customer_left(session, POLICY, abandoned.conversation_id, at("2026-12-02 10:00"))
        ended[EndReason.ABANDONED] = abandoned

        unclaimed = hand_off(session, at("2026-12-02 10:00"), plan="standard")
        ended[EndReason.NO_AGENT] = unclaimed

        desk.tick(at("2026-12-02 10:30"))
        assert set(ended) == set(EndReason)
        for reason, ticket in ended.items():
            session.refresh(ticket)
            assert ticket.end_reason == reason.value, reason
        conversation = session.get(Conversation, returned.conversation_id)
        assert conversation is not None and conversation.mode == ConversationMode.BOT.value
        last = session.scalars(
            select(Message).where(Message.conversation_id == returned.conversation_id)
            .order_by(Message.seq.desc())
        ).first()  # fmt: skip
        assert last is not None and last.payload["kind"] == "back_to_bot"
