"""The honest answer at handoff (plan × business hours × agents online), with an injected clock;
and the email follow-up."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff import tickets
from handoff.availability import Path, availability, when
from handoff.errors import MessageRejected
from handoff.lifecycle import HandoffReason, Presence, Tier
from handoff.models import Agent, Customer, TicketEvent
from handoff.policy import load
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, say
from tierzero.settings import PROJECT_ROOT

POLICY = load(PROJECT_ROOT / "config" / "policy.yaml")
BELGRADE = ZoneInfo("Europe/Belgrade")
OPEN = datetime(2026, 12, 2, 11, 0, tzinfo=BELGRADE)  # a Wednesday morning
NIGHT = datetime(2026, 12, 2, 23, 0, tzinfo=BELGRADE)


@pytest.fixture(autouse=True)
def _nobody_else_online(session: Session) -> None:
    session.execute(Agent.__table__.update().values(presence="offline"))


def _ticket(session: Session, plan: str, language: str = "el"):  # type: ignore[no-untyped-def]
    conversation = make_conversation(session, language=language)
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    customer.plan = plan
    say(session, conversation, "help")
    return tickets.hand_off(
        session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON,
        policy=POLICY,
    ).ticket  # fmt: skip


@pytest.mark.parametrize(
    "plan,now,online,expected",
    [
        ("premium", OPEN, True, Path.LIVE),
        ("premium", OPEN, False, Path.NO_AGENT),
        ("premium", NIGHT, True, Path.LIVE),  # someone working late takes it: no "we are closed"
        ("premium", NIGHT, False, Path.CLOSED),
        ("standard", OPEN, True, Path.LIVE),
        ("standard", NIGHT, False, Path.CLOSED),
        ("trial", OPEN, True, Path.EMAIL_ONLY),
        ("trial", NIGHT, False, Path.EMAIL_ONLY),
    ],
)
def test_plan_hours_and_agents_decide_the_path(
    session: Session, plan: str, now: datetime, online: bool, expected: Path
) -> None:
    make_agent(session, tier=Tier.L1, languages=("el",),
               presence=Presence.ONLINE if online else Presence.OFFLINE)  # fmt: skip
    make_agent(session, tier=Tier.L1, languages=("en",), presence=Presence.ONLINE)  # no Greek
    ticket = _ticket(session, plan)
    found = availability(session, POLICY, ticket, now)
    assert found.path is expected
    assert found.expected_by == ticket.first_response_due_at
    if expected is Path.CLOSED:
        assert found.opens_at == datetime(2026, 12, 3, 8, 0, tzinfo=BELGRADE)


def test_times_are_told_in_the_teams_zone() -> None:
    assert when(POLICY, datetime(2026, 12, 3, 7, 0, tzinfo=ZoneInfo("UTC"))) == (
        "2026-12-03 08:00 CET"
    )


def test_the_customer_leaves_an_email_for_the_answer(session: Session) -> None:
    ticket = _ticket(session, "trial")
    with pytest.raises(MessageRejected):
        tickets.follow_up_by_email(session, HUB, conversation_id=ticket.conversation_id,
                                   email="not an address")  # fmt: skip
    tickets.follow_up_by_email(session, HUB, conversation_id=ticket.conversation_id,
                               email="maria@example.com")  # fmt: skip
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None and customer.email == "maria@example.com"
    kinds = session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id))
    assert "contact_left" in list(kinds)
    assert ticket.status == "queued"  # it stays queued for the follow-up
