"""Auto-assignment with offers on a real database, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff import agents, offers, tickets
from handoff.errors import TicketConflict
from handoff.lifecycle import Presence, Role, Tier
from handoff.models import TicketEvent, TicketOffer
from handoff.offers import Timing
from tests.unit.handoff.builders import HUB, make_agent, make_ticket

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TIMING = Timing(offer_seconds=30, offline_requeue_seconds=120)


def pending(session: Session, ticket_id: int) -> TicketOffer | None:
    return session.scalars(
        select(TicketOffer).where(
            TicketOffer.ticket_id == ticket_id, TicketOffer.status == "pending"
        )
    ).first()


@pytest.fixture(autouse=True)
def _only_this_tests_agents(session: Session) -> None:
    """Agents other tests left online (same database) must not take part."""
    from handoff.models import Agent

    session.execute(Agent.__table__.update().values(presence="offline"))


class TestOffers:
    def test_offer_goes_to_the_matching_least_loaded_agent(self, session: Session) -> None:
        greek = make_agent(session, languages=("el",), presence=Presence.ONLINE)
        make_agent(session, languages=("en",), presence=Presence.ONLINE)
        make_agent(session, languages=("el",), presence=Presence.AWAY)
        make_agent(session, languages=("el",), tier=Tier.L2, presence=Presence.ONLINE)
        ticket = make_ticket(session, language="el")
        offers.dispatch(session, HUB, T0, TIMING)
        offer = pending(session, ticket.id)
        assert offer is not None and offer.agent_id == greek.id
        taken = offers.accept(session, HUB, agent=greek, offer_id=offer.id, now=T0)
        assert (taken.status, taken.assignee_id) == ("assigned", greek.id)

    def test_unanswered_offer_moves_on_and_never_comes_back(self, session: Session) -> None:
        first = make_agent(session, presence=Presence.ONLINE)
        second = make_agent(session, presence=Presence.ONLINE)
        ticket = make_ticket(session)
        offers.dispatch(session, HUB, T0, TIMING)
        offer_one = pending(session, ticket.id)
        assert offer_one is not None
        offers.dispatch(session, HUB, T0 + timedelta(seconds=29), TIMING)
        assert pending(session, ticket.id).id == offer_one.id  # type: ignore[union-attr]
        offers.dispatch(session, HUB, T0 + timedelta(seconds=31), TIMING)
        offer_two = pending(session, ticket.id)
        assert offer_two is not None and offer_two.agent_id != offer_one.agent_id
        assert {offer_one.agent_id, offer_two.agent_id} == {first.id, second.id}
        late = first if offer_one.agent_id == first.id else second
        with pytest.raises(TicketConflict):
            offers.accept(session, HUB, agent=late, offer_id=offer_one.id, now=T0)

    def test_declined_by_everyone_goes_to_a_lead(self, session: Session) -> None:
        a = make_agent(session, presence=Presence.ONLINE)
        b = make_agent(session, presence=Presence.ONLINE)
        lead = make_agent(session, role=Role.LEAD, presence=Presence.ONLINE)
        ticket = make_ticket(session)
        seen = []
        for minute in range(3):
            offers.dispatch(session, HUB, T0 + timedelta(minutes=minute), TIMING)
            offer = pending(session, ticket.id)
            assert offer is not None
            seen.append(offer.agent_id)
            if offer.agent_id == lead.id:
                break
            who = a if offer.agent_id == a.id else b
            offers.decline(session, HUB, agent=who, offer_id=offer.id, now=T0, reason="busy")
        assert sorted(seen[:2]) == sorted([a.id, b.id]) and seen[2] == lead.id
        assert ticket.needs_lead
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
        ).all()
        assert "routed_to_lead" in kinds and kinds.count("offer_declined") == 2

    def test_a_released_ticket_is_not_offered_back(self, session: Session) -> None:
        a = make_agent(session, presence=Presence.ONLINE)
        ticket = make_ticket(session)
        tickets.claim(session, HUB, agent=a, ticket_id=ticket.id)
        tickets.release(session, HUB, agent=a, ticket_id=ticket.id)
        offers.dispatch(session, HUB, T0, TIMING)
        assert pending(session, ticket.id) is None

    def test_a_release_waits_for_a_colleague_who_is_offline_not_for_a_lead(
        self, session: Session
    ) -> None:
        a = make_agent(session, presence=Presence.ONLINE)
        b = make_agent(session, presence=Presence.OFFLINE)
        make_agent(session, role=Role.LEAD, presence=Presence.ONLINE)
        ticket = make_ticket(session)
        tickets.claim(session, HUB, agent=a, ticket_id=ticket.id)
        tickets.release(session, HUB, agent=a, ticket_id=ticket.id)
        offers.dispatch(session, HUB, T0, TIMING)
        assert pending(session, ticket.id) is None and not ticket.needs_lead
        agents.set_presence(session, b, Presence.ONLINE)
        offers.dispatch(session, HUB, T0 + timedelta(seconds=1), TIMING)
        offer = pending(session, ticket.id)
        assert offer is not None and offer.agent_id == b.id

    def test_claiming_an_offered_ticket_closes_the_offer(self, session: Session) -> None:
        a = make_agent(session, presence=Presence.ONLINE)
        b = make_agent(session, presence=Presence.ONLINE)
        ticket = make_ticket(session)
        offers.dispatch(session, HUB, T0, TIMING)
        offer = pending(session, ticket.id)
        assert offer is not None
        holder = a if offer.agent_id == a.id else b
        tickets.claim(session, HUB, agent=holder, ticket_id=ticket.id)  # by hand, not accept
        session.refresh(offer)
        assert offer.status == "accepted" and pending(session, ticket.id) is None

    def test_capacity_counts_pending_offers(self, session: Session) -> None:
        solo = make_agent(session, chat_capacity=2, presence=Presence.ONLINE)
        queued = [make_ticket(session) for _ in range(3)]
        offers.dispatch(session, HUB, T0, TIMING)
        offered = [pending(session, t.id) for t in queued]
        assert [o.agent_id if o else None for o in offered] == [solo.id, solo.id, None]

    def test_offline_agent_chats_are_requeued_after_the_grace_time(self, session: Session) -> None:
        agent = make_agent(session, presence=Presence.ONLINE)
        ticket = make_ticket(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        agents.set_presence(session, agent, Presence.OFFLINE)
        went = agent.presence_changed_at
        offers.dispatch(session, HUB, went + timedelta(seconds=119), TIMING)
        assert ticket.status == "assigned"
        offers.dispatch(session, HUB, went + timedelta(seconds=121), TIMING)
        session.refresh(ticket)
        assert (ticket.status, ticket.assignee_id) == ("queued", None)
        event = session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id.desc())
        ).first()
        assert event is not None and (event.kind, event.actor) == ("requeued", "system")


class TestIdleDesk:
    def test_no_round_is_due_without_agents_or_deadlines(self, session: Session) -> None:
        make_ticket(session)
        assert not offers.has_work(session, T0, TIMING)  # nobody online: nothing to offer
        agent = make_agent(session, presence=Presence.ONLINE)
        assert offers.has_work(session, T0, TIMING)
        offers.dispatch(session, HUB, T0, TIMING)
        agents.set_presence(session, agent, Presence.AWAY)
        assert not offers.has_work(session, T0 + timedelta(seconds=10), TIMING)
        assert offers.has_work(session, T0 + timedelta(seconds=31), TIMING)  # the offer expired


class TestOfflineAgentsWorkingThroughTheApi:
    def test_a_ticket_taken_while_offline_stays_with_its_agent(self, session: Session) -> None:
        agent = make_agent(session, presence=Presence.OFFLINE)
        ticket = make_ticket(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        later = agent.presence_changed_at + timedelta(hours=2)
        assert not offers.has_work(session, later, TIMING)
        offers.dispatch(session, HUB, later, TIMING)
        session.refresh(ticket)
        assert (ticket.status, ticket.assignee_id) == ("assigned", agent.id)
