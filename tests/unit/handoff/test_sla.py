"""Policy loading, business-time arithmetic and ticket deadlines (the clock is given, not read)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from handoff import tickets
from handoff.business_hours import (
    add_business_minutes,
    business_seconds,
    is_open,
    next_opening,
    open_intervals,
)
from handoff.lifecycle import HandoffReason, Priority
from handoff.models import Customer
from handoff.policy import PolicyError, load, parse
from handoff.sla import deadlines
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, say
from tierzero.settings import PROJECT_ROOT

POLICY = load(PROJECT_ROOT / "config" / "policy.yaml")
TEAM = POLICY.team
BELGRADE = ZoneInfo("Europe/Belgrade")


def at(text: str) -> datetime:
    """A Belgrade wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=BELGRADE)


class TestBusinessMinutes:
    @pytest.mark.parametrize(
        "start,minutes,expected",
        [
            ("2026-12-02 10:00", 15, "2026-12-02 10:15"),  # Wednesday, open
            ("2026-12-02 19:50", 15, "2026-12-03 08:05"),  # closes at 20:00, opens at 08:00
            ("2026-12-02 06:00", 15, "2026-12-02 08:15"),  # before opening
            ("2026-12-05 15:55", 15, "2026-12-07 08:10"),  # Saturday till 16:00, Sunday closed
            ("2026-12-24 19:55", 15, "2026-12-26 10:10"),  # Christmas Day, then a Saturday
            ("2026-12-02 10:00", 12 * 60 + 30, "2026-12-03 10:30"),  # 10 h on Wednesday, 2.5 h on
            ("2027-03-27 15:59", 2, "2027-03-29 08:01"),  # over the spring DST change
        ],
    )
    def test_counted_in_the_teams_hours(self, start: str, minutes: int, expected: str) -> None:
        assert add_business_minutes(TEAM, at(start), minutes) == at(expected).astimezone(UTC)

    def test_any_zone_in_the_same_instant(self) -> None:
        start = at("2026-12-02 10:00")
        assert add_business_minutes(TEAM, start.astimezone(UTC), 30) == add_business_minutes(
            TEAM, start.astimezone(ZoneInfo("America/New_York")), 30
        )

    def test_open_and_next_opening(self) -> None:
        assert is_open(TEAM, at("2026-12-02 12:00"))
        assert not is_open(TEAM, at("2026-12-06 12:00"))  # Sunday
        assert next_opening(TEAM, at("2026-12-06 12:00")) == at("2026-12-07 08:00")
        assert next_opening(TEAM, at("2026-12-02 12:00")) == at("2026-12-02 12:00")

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValueError):
            add_business_minutes(TEAM, datetime(2026, 12, 2, 10), 5)
        with pytest.raises(ValueError):
            business_seconds(TEAM, datetime(2026, 12, 2, 10), at("2026-12-02 11:00"))

    @pytest.mark.parametrize(
        "start,end,minutes",
        [
            ("2026-12-02 10:00", "2026-12-02 10:15", 15),
            ("2026-12-02 19:50", "2026-12-03 08:05", 15),  # over the night
            ("2026-12-02 06:00", "2026-12-02 07:59", 0),  # before opening
            ("2026-12-05 15:55", "2026-12-07 08:10", 15),  # Saturday till 16:00, Sunday closed
            ("2026-12-24 19:55", "2026-12-26 10:10", 15),  # Christmas Day
            ("2027-03-27 15:59", "2027-03-29 08:01", 2),  # over the spring DST change
            ("2026-12-02 11:00", "2026-12-02 10:00", 0),  # end before start
        ],
    )
    def test_open_time_between_two_moments(self, start: str, end: str, minutes: int) -> None:
        assert business_seconds(TEAM, at(start), at(end)) == minutes * 60

    def test_the_inverse_of_adding_business_minutes(self) -> None:
        import random

        rng = random.Random(7)
        base = at("2026-10-20 00:00")
        for _ in range(200):  # over both DST changes, weekends and holidays
            start = base + timedelta(minutes=rng.randrange(0, 200 * 24 * 60))
            minutes = rng.randrange(0, 5 * 12 * 60)
            end = add_business_minutes(TEAM, start, minutes)
            assert business_seconds(TEAM, start, end) == pytest.approx(minutes * 60)

    def test_open_intervals_are_clipped_ordered_and_in_utc(self) -> None:
        spans = open_intervals(TEAM, at("2026-12-04 12:00"), at("2026-12-07 09:00"))
        assert [(a.astimezone(BELGRADE).strftime("%a %H:%M"), b.astimezone(BELGRADE).strftime(
            "%a %H:%M")) for a, b in spans] == [("Fri 12:00", "Fri 20:00"), ("Sat 10:00",
            "Sat 16:00"), ("Mon 08:00", "Mon 09:00")]  # fmt: skip
        assert all(a.tzinfo == UTC and a < b for a, b in spans)


class TestPolicyFile:
    def test_the_shipped_policy_is_valid(self) -> None:
        assert set(POLICY.plans) == {"trial", "standard", "premium"}
        assert POLICY.plans["premium"].targets[Priority.NORMAL].first_response == 15
        assert not POLICY.plans["trial"].live_support

    @pytest.mark.parametrize(
        "text,line,words",
        [
            ("anonymous_plan: x\nplans: {}\nteams: {}\n", 1, "anonymous_plan"),
            ("anonymous_plan: a\nplans:\n  a:\n    live_support: perhaps\n", 4, "boolean"),
            ("anonymous_plan: a\nplans: {a: {live_support: true, targets: {}}}\nteams: {}\n", 2,
             "targets missing"),
            ("anonymous_plan: a\nteams:\n  t:\n    time_zone: Mars/Base\n", 4, "time zone"),
            ("plans: [1, 2\n", 2, "YAML"),
        ],
    )  # fmt: skip
    def test_errors_name_the_line(self, text: str, line: int, words: str) -> None:
        with pytest.raises(PolicyError) as error:
            parse(text, source="p.yaml")
        assert f"p.yaml:{line}" in error.value.message and words in error.value.message


class TestDeadlines:
    def test_premium_in_business_hours_gets_15_business_minutes(self) -> None:
        due = deadlines(POLICY, "premium", Priority.NORMAL, at("2026-12-02 19:55"))
        assert due.first_response_due_at == at("2026-12-03 08:10").astimezone(UTC)
        assert due.live_support

    def test_an_unknown_plan_gets_the_anonymous_plan(self) -> None:
        assert deadlines(POLICY, "gold", Priority.LOW, at("2026-12-02 10:00")).plan == "standard"

    def test_hand_off_stores_deadlines_and_the_queue_sorts_by_them(self, session: Session) -> None:
        agent = make_agent(session)
        made = {}
        for plan, priority in (("trial", Priority.NORMAL), ("premium", Priority.NORMAL),
                               ("standard", Priority.LOW)):  # fmt: skip
            conversation = make_conversation(session)
            customer = session.get(Customer, conversation.customer_id)
            assert customer is not None
            customer.plan = plan
            say(session, conversation, f"{plan} question")
            made[plan] = tickets.hand_off(
                session, HUB, conversation_id=conversation.id,
                reason=HandoffReason.ASKED_FOR_PERSON, priority=priority, policy=POLICY,
            ).ticket  # fmt: skip
        premium = made["premium"]
        assert premium.due_at == premium.first_response_due_at is not None
        assert premium.packet["plan"] == "premium" and premium.packet["live_support"] is True
        assert made["trial"].first_response_due_at > premium.first_response_due_at  # type: ignore[operator]
        page, _ = tickets.queue(session, agent, sort="deadline", limit=200)
        mine = [t.id for t in page if t.id in {t.id for t in made.values()}]
        assert mine == [made["premium"].id, made["standard"].id, made["trial"].id]
        # answering moves the next promise to the resolution; resolving clears it
        tickets.claim(session, HUB, agent=agent, ticket_id=premium.id)
        tickets.reply(session, HUB, agent=agent, ticket_id=premium.id, text="On it")
        assert premium.due_at == premium.resolution_due_at
        tickets.resolve(session, HUB, agent=agent, ticket_id=premium.id)
        assert premium.due_at is None
        assert premium.resolution_due_at is not None and premium.resolution_due_at > datetime(
            2026, 1, 1, tzinfo=UTC
        ) - timedelta(days=1)
