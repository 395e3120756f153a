"""The leads' overview from a hand-made history with known answers: the queues now, the agents'
load, and the period figures (created, resolved per tier, escalations, medians, SLA events,
CSAT, reasons) — the SLA warning, breach and automatic escalation written by the real timers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from handoff import agents, overview, tickets, timers
from handoff.errors import InvalidPeriod
from handoff.lifecycle import HandoffReason, Presence, Role, Tier
from handoff.models import Agent, Customer, Ticket
from handoff.overview import TierNow, TierShare
from handoff.policy import load
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, say
from tierzero import clock
from tierzero.scheduler import Scheduler
from tierzero.settings import PROJECT_ROOT

POLICY = load(PROJECT_ROOT / "config" / "policy.yaml")


def at(text: str) -> datetime:
    """A moment in UTC (a Wednesday in December: Belgrade is UTC+1, open 07:00–19:00 UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


NOW = at("2026-12-02 11:00")


@pytest.fixture(autouse=True)
def _restore_clock() -> Iterator[None]:
    yield
    clock.travel(timedelta(0))


def hand_off(
    session: Session,
    moment: str,
    *,
    plan: str | None = "standard",
    reason: HandoffReason = HandoffReason.ASKED_FOR_PERSON,
) -> Ticket:
    """A ticket handed off at ``moment``; ``plan=None``: without the policy (no deadlines)."""
    clock.freeze(at(moment))
    conversation = make_conversation(session)
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    customer.plan = plan or "free"
    say(session, conversation, "I cannot log in")
    return tickets.hand_off(
        session, HUB, conversation_id=conversation.id, reason=reason,
        policy=POLICY if plan else None,
    ).ticket  # fmt: skip


def tick(session: Session, moment: str) -> None:
    """One round of the real scheduler at ``moment`` over the test's transaction."""
    clock.freeze(at(moment))
    timers.plan_changed(session, POLICY, at(moment))
    session.flush()
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )  # fmt: skip
    Scheduler(factory, timers.DeskTimers(POLICY, HUB).handlers()).run_due(at(moment))
    session.expire_all()


def named(session: Session, name: str, **kwargs: object) -> Agent:
    agent = make_agent(session, **kwargs)  # type: ignore[arg-type]
    agent.name = name
    session.flush()
    return agent


class History:
    """Yesterday one ticket nobody took; today four: one resolved at L1 (CSAT 5), one escalated
    by its agent and resolved at L2 (CSAT 4), a premium one nobody claimed (warned, breached
    and escalated by the timers), and one in an L1 agent's hands past its first-response
    deadline."""

    def __init__(self, session: Session) -> None:
        self.ana = named(session, "Ana", tier=Tier.L1, presence=Presence.ONLINE)
        self.boris = named(session, "Boris", tier=Tier.L2, presence=Presence.ONLINE)
        self.lena = named(session, "Lena", role=Role.LEAD, tier=Tier.L3, presence=Presence.AWAY)
        named(session, "Eddie", role=Role.EDITOR)  # keeps the KB: not among the desk's agents
        gone = named(session, "Gone", tier=Tier.L1)
        agents.update_agent(session, gone.id, active=False)

        self.t0 = hand_off(session, "2026-12-01 10:00", plan=None)

        self.t1 = hand_off(session, "2026-12-02 09:00")
        self.act(session, "09:05", tickets.claim, agent=self.ana, ticket_id=self.t1.id)
        self.act(session, "09:10", tickets.reply, agent=self.ana, ticket_id=self.t1.id, text="Hi")

        self.t2 = hand_off(session, "2026-12-02 09:10", reason=HandoffReason.LOW_CONFIDENCE)
        self.act(session, "09:12", tickets.claim, agent=self.ana, ticket_id=self.t2.id)
        self.t3 = hand_off(session, "2026-12-02 09:20", plan="premium",
                           reason=HandoffReason.URGENT)  # fmt: skip
        self.act(session, "09:22", tickets.reply, agent=self.ana, ticket_id=self.t2.id, text="Hm")
        self.act(session, "09:30", tickets.resolve, agent=self.ana, ticket_id=self.t1.id)
        self.act(session, "09:30", tickets.escalate, agent=self.ana, ticket_id=self.t2.id,
                 note="needs L2")  # fmt: skip
        self.rate(session, "09:31", self.t1, 5)
        tick(session, "2026-12-02 09:33")  # premium: nobody claimed in 5 min; 80 % of 15 min
        tick(session, "2026-12-02 09:36")  # first response missed: up to L2
        self.act(session, "09:37", tickets.claim, agent=self.boris, ticket_id=self.t2.id)
        self.act(session, "10:10", tickets.resolve, agent=self.boris, ticket_id=self.t2.id)
        self.rate(session, "10:11", self.t2, 4)

        self.t4 = hand_off(session, "2026-12-02 10:30")  # first response due 10:45
        self.act(session, "10:40", tickets.claim, agent=self.ana, ticket_id=self.t4.id)
        clock.freeze(NOW)

    @staticmethod
    def act(session: Session, moment: str, action: object, **kwargs: object) -> None:
        clock.freeze(at(f"2026-12-02 {moment}"))
        action(session, HUB, **kwargs)  # type: ignore[operator]

    @staticmethod
    def rate(session: Session, moment: str, ticket: Ticket, score: int) -> None:
        clock.freeze(at(f"2026-12-02 {moment}"))
        tickets.rate(session, HUB, conversation_id=ticket.conversation_id, ticket_id=ticket.id,
                     score=score)  # fmt: skip


@pytest.fixture
def history(session: Session) -> History:
    return History(session)


class TestNow:
    def test_every_tier_with_its_queue_hands_oldest_wait_and_overdue(
        self, session: Session, history: History
    ) -> None:
        assert overview.overview(session).tiers == [
            # yesterday's ticket waits 25 hours (no deadline: not overdue); the claimed one
            # missed its first response at 10:45
            TierNow(tier="L1", queued=1, assigned=1, waiting_on_customer=0,
                    oldest_queued_seconds=25 * 3600.0, overdue=1),
            # the premium ticket escalated by its breach, waiting since 09:20
            TierNow(tier="L2", queued=1, assigned=0, waiting_on_customer=0,
                    oldest_queued_seconds=100 * 60.0, overdue=1),
            TierNow(tier="L3", queued=0, assigned=0, waiting_on_customer=0,
                    oldest_queued_seconds=None, overdue=0),
        ]  # fmt: skip

    def test_active_ticket_workers_with_presence_and_load(
        self, session: Session, history: History
    ) -> None:
        found = overview.overview(session).agents
        assert [(a.name, a.role, a.tier, a.presence) for a in found] == [
            ("Ana", "agent", "L1", "online"),
            ("Boris", "agent", "L2", "online"),
            ("Lena", "lead", "L3", "away"),
        ]
        ana = found[0]
        assert (ana.id, ana.chats, ana.chat_capacity, ana.emails, ana.email_capacity) == (
            history.ana.id, 1, 5, 0, 3,
        )  # fmt: skip
        assert (ana.pending_offers, ana.load) == (0, 0.2)
        assert [(a.chats, a.emails, a.load) for a in found[1:]] == [(0, 0, 0.0), (0, 0, 0.0)]


class TestPeriod:
    def test_today_by_default(self, session: Session, history: History) -> None:
        figures = overview.overview(session).period
        assert (figures.since, figures.until) == (at("2026-12-02 00:00"), NOW)
        assert figures.created == 4
        assert figures.handoff_reasons == {
            "asked_for_person": 2, "unhelpful_answers": 0, "low_confidence": 1,
            "missing_knowledge": 0, "urgent": 1,
        }  # fmt: skip
        # the premium ticket's live handoff ended as no_agent (it stays queued for follow-up)
        assert figures.end_reasons == {
            "resolved": 2, "cancelled": 0, "no_agent": 1, "returned_to_bot": 0, "abandoned": 0,
        }  # fmt: skip
        assert figures.resolved == 2
        assert figures.resolved_by_tier == [
            TierShare(tier="L1", count=1, share=0.5),
            TierShare(tier="L2", count=1, share=0.5),
            TierShare(tier="L3", count=0, share=0.0),
        ]  # fmt: skip
        assert (figures.escalations, figures.automatic_escalations) == (2, 1)
        # first responses after 10 and 12 minutes; resolutions after 30 and 60 minutes
        assert figures.first_responses == 2
        assert figures.first_response_median_seconds == 660.0
        assert figures.resolution_median_seconds == 2700.0
        assert (figures.sla_warnings, figures.sla_breaches) == (1, 1)
        assert (figures.csat_count, figures.csat_average) == (2, 4.5)

    def test_a_period_starts_at_since_and_ends_before_until(
        self, session: Session, history: History
    ) -> None:
        figures = overview.overview(
            session, since=at("2026-12-02 09:00"), until=at("2026-12-02 09:31")
        ).period
        assert figures.created == 3
        assert figures.resolved_by_tier == [
            TierShare(tier="L1", count=1, share=1.0),
            TierShare(tier="L2", count=0, share=0.0),
            TierShare(tier="L3", count=0, share=0.0),
        ]  # fmt: skip
        assert (figures.escalations, figures.automatic_escalations) == (1, 0)
        assert figures.first_responses == 2
        assert figures.resolution_median_seconds == 1800.0
        assert (figures.sla_warnings, figures.sla_breaches) == (0, 0)
        assert (figures.csat_count, figures.csat_average) == (0, None)  # rated at 09:31

    def test_a_quiet_period_has_no_shares_or_medians(
        self, session: Session, history: History
    ) -> None:
        figures = overview.overview(
            session, since=at("2026-12-01 00:00"), until=at("2026-12-02 00:00")
        ).period
        assert figures.created == 1
        assert figures.handoff_reasons["asked_for_person"] == 1
        assert figures.end_reasons["no_agent"] == 1  # told this morning; handed off yesterday
        assert figures.resolved == 0
        assert [s.share for s in figures.resolved_by_tier] == [None, None, None]
        assert figures.first_responses == 0
        assert figures.first_response_median_seconds is None
        assert figures.resolution_median_seconds is None
        assert (figures.csat_count, figures.csat_average) == (0, None)


class TestMedian:
    @pytest.mark.parametrize(
        ("waits", "median"),
        [([60], 60.0), ([600, 60, 120], 120.0), ([60, 120, 600, 3600], 360.0)],
    )
    def test_the_middle_wait_or_the_mean_of_the_two_middle_ones(
        self, session: Session, waits: list[int], median: float
    ) -> None:
        agent = make_agent(session, chat_capacity=10)
        for i, wait in enumerate(waits):
            created = at("2026-12-02 08:00") + timedelta(minutes=i)
            ticket = hand_off(session, f"2026-12-02 08:{i:02d}")
            tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
            clock.freeze(created + timedelta(seconds=wait))
            tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="Hello")
        figures = overview.overview(session, since=at("2026-12-02 08:00"), until=NOW).period
        assert (figures.first_responses, figures.first_response_median_seconds) == (
            len(waits), median,
        )  # fmt: skip


class TestPeriodBounds:
    def test_today_until_now_by_default(self) -> None:
        assert overview.period(None, None, NOW) == (at("2026-12-02 00:00"), NOW)

    def test_a_time_without_a_zone_is_utc(self) -> None:
        since = datetime(2026, 12, 1, 6, 30)
        assert overview.period(since, None, NOW) == (at("2026-12-01 06:30"), NOW)

    def test_other_zones_are_read_as_the_same_instant(self) -> None:
        belgrade = datetime.fromisoformat("2026-12-02T08:00:00+01:00")
        assert overview.period(belgrade, None, NOW)[0] == at("2026-12-02 07:00")

    def test_up_to_366_days(self) -> None:
        assert overview.period(NOW - timedelta(days=366), None, NOW)[0] == at("2025-12-01 11:00")

    def test_since_after_until_is_refused(self) -> None:
        with pytest.raises(InvalidPeriod, match="since must not be after until"):
            overview.period(NOW, NOW - timedelta(seconds=1), NOW)

    def test_longer_than_366_days_is_refused(self) -> None:
        with pytest.raises(InvalidPeriod, match="at most 366 days"):
            overview.period(NOW - timedelta(days=366, seconds=1), None, NOW)
