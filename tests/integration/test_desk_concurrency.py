"""Claims and handoffs under real concurrency: threads with their own connections against a
real database (SQLite file; PostgreSQL too when TIERZERO_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bench.claims import seed_agents, seed_tickets
from handoff import conversations, tickets
from handoff.errors import TicketAlreadyClaimed
from handoff.lifecycle import HandoffReason
from handoff.models import Agent, Ticket, TicketEvent
from tierzero.db import make_session_factory, unit_of_work
from tierzero.hub import NullHub

HUB = NullHub()
T = TypeVar("T")


@pytest.fixture(scope="module")
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    engine.pool.dispose()
    yield make_session_factory(engine)


def retrying(factory: sessionmaker[Session], work: Callable[[Session], T], tries: int = 20) -> T:
    """Run one unit of work; a serialisation failure or lock timeout is retried (the retry story
    every writer of the api has: the transaction rolled back, nothing half-done)."""
    for attempt in range(tries):
        try:
            with unit_of_work(factory) as session:
                return work(session)
        except OperationalError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def test_50_concurrent_claims_on_one_ticket_have_one_winner_each_time(
    factory: sessionmaker[Session],
) -> None:
    trials, claimants = 100, 50
    people = seed_agents(factory, claimants, capacity=trials + 1)
    ticket_ids = seed_tickets(factory, trials)
    barrier = threading.Barrier(claimants)
    winners: dict[int, list[int]] = {t: [] for t in ticket_ids}
    errors: list[BaseException] = []

    def claimant(agent: Agent) -> None:
        for ticket_id in ticket_ids:
            barrier.wait()
            try:
                retrying(factory, lambda s, t=ticket_id: tickets.claim(s, HUB, agent=agent,
                                                                       ticket_id=t))  # fmt: skip
                winners[ticket_id].append(agent.id)
            except TicketAlreadyClaimed:
                pass
            except BaseException as exc:
                errors.append(exc)

    with ThreadPoolExecutor(claimants) as pool:
        list(pool.map(claimant, people))
    assert not errors, errors[:3]
    assert all(len(w) == 1 for w in winners.values()), {
        t: w for t, w in winners.items() if len(w) != 1
    }
    with unit_of_work(factory, read_only=True) as session:
        rows = session.execute(
            select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_(ticket_ids))
        ).all()
        assert {t: a for t, a in rows} == {t: w[0] for t, w in winners.items()}
        claims = session.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == "claimed")
            .group_by(TicketEvent.ticket_id)
        ).all()
        assert sorted(n for _, n in claims) == [1] * trials


def test_20_agents_pulling_next_assign_each_of_1000_tickets_exactly_once(
    factory: sessionmaker[Session],
) -> None:
    people = seed_agents(factory, 20, capacity=1000)
    ticket_ids = set(seed_tickets(factory, 1000))
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()

    def puller(agent: Agent) -> None:
        while True:
            ticket = retrying(factory, lambda s: tickets.claim_next(s, HUB, agent=agent))
            if ticket is None:
                return
            with lock:
                taken.append((ticket.id, agent.id))

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(puller, people))
    ours = [t for t, _ in taken if t in ticket_ids]
    assert Counter(ours).most_common(1)[0][1] == 1
    assert set(ours) == ticket_ids
    with unit_of_work(factory, read_only=True) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.id.in_(ticket_ids), Ticket.status == "assigned")
            )
            == 1000
        )
    # the work spread over the agents (no one took everything)
    assert len({a for t, a in taken if t in ticket_ids}) > 1


def test_concurrent_handoffs_of_one_conversation_make_one_ticket(
    factory: sessionmaker[Session],
) -> None:
    with unit_of_work(factory) as session:
        conversation_id = conversations.start_conversation(session, language="en").id
    barrier = threading.Barrier(10)

    def hand_off(_: int) -> int:
        barrier.wait()
        return retrying(
            factory,
            lambda s: tickets.hand_off(s, HUB, conversation_id=conversation_id,
                                       reason=HandoffReason.ASKED_FOR_PERSON).ticket.id,
        )  # fmt: skip

    with ThreadPoolExecutor(10) as pool:
        ids = set(pool.map(hand_off, range(10)))
    assert len(ids) == 1
    with unit_of_work(factory, read_only=True) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation_id)
        )
    assert count == 1
