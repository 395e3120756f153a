"""Claim contention: many agents claiming the same tickets at once, through the desk's claim
service, next to bare conditional-UPDATE claims measured in the same run on the same database.

    .venv/bin/python -m bench.claims --json
    .venv/bin/python -m bench.claims --postgres postgresql://postgres@127.0.0.1:5432/test --json

For each backend: ``tickets`` tickets, each claimed by ``claimants`` threads released together
by a barrier. ``claims_per_s`` counts decided claims (won or refused) per second;
``double_claims`` counts tickets with more than one winner (must be 0); ``ratio`` is
service ÷ raw time per ticket, so it means something on a noisy machine. Every loop is bounded;
PostgreSQL runs in a throwaway database that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from handoff import agents, conversations, tickets
from handoff.errors import TicketAlreadyClaimed
from handoff.lifecycle import HandoffReason, Role, Tier
from handoff.models import Agent, Ticket
from tierzero import migrate
from tierzero.db import make_engine, make_session_factory, unit_of_work, utcnow
from tierzero.hub import NullHub

HUB = NullHub()


@contextmanager
def database(backend: str, postgres_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'claims.db'}"
            migrate.upgrade(url)
            yield url
        return
    assert postgres_url
    with migrate.throwaway_postgres(postgres_url, "tz_bench") as url:
        yield url


def seed_agents(factory: sessionmaker[Session], count: int, capacity: int) -> list[Agent]:
    """``count`` online-capable L1 agents speaking English."""
    with unit_of_work(factory) as session:
        return [
            agents.create_agent(
                session,
                email=f"s{i}-{uuid.uuid4().hex[:8]}@bench.test",
                name=f"agent {i}",
                password="bench password",
                role=Role.AGENT,
                tier=Tier.L1,
                languages=("en",),
                chat_capacity=capacity,
            )
            for i in range(count)
        ]


def seed_tickets(factory: sessionmaker[Session], count: int) -> list[int]:
    """``count`` queued L1 tickets, each from its own conversation with one customer message."""
    with unit_of_work(factory) as session:
        ids = []
        for i in range(count):
            conversation = conversations.start_conversation(session, language="en")
            conversations.store_customer_message(
                session, conversation_id=conversation.id, client_msg_id="m", text=f"question {i}",
                max_chars=4000,
            )  # fmt: skip
            result = tickets.hand_off(
                session, HUB, conversation_id=conversation.id,
                reason=HandoffReason.ASKED_FOR_PERSON,
            )  # fmt: skip
            ids.append(result.ticket.id)
        return ids


def attempt(factory: sessionmaker[Session], work: Callable[[Session], bool]) -> bool:
    for _ in range(50):
        try:
            with unit_of_work(factory) as session:
                return work(session)
        except OperationalError:
            time.sleep(0.001)
    raise RuntimeError("claim kept failing")


def service_claim(agent: Agent, ticket_id: int) -> Callable[[Session], bool]:
    def work(session: Session) -> bool:
        try:
            tickets.claim(session, HUB, agent=agent, ticket_id=ticket_id)
            return True
        except TicketAlreadyClaimed:
            return False

    return work


def raw_claim(agent: Agent, ticket_id: int) -> Callable[[Session], bool]:
    def work(session: Session) -> bool:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None), Ticket.status == "queued")
            .values(assignee_id=agent.id, status="assigned", version=Ticket.version + 1,
                    updated_at=utcnow())
            .returning(Ticket.id)
        ).first()  # fmt: skip
        return result is not None

    return work


def contend(
    factory: sessionmaker[Session],
    ticket_ids: list[int],
    people: list[Agent],
    make_work: Callable[[Agent, int], Callable[[Session], bool]],
) -> dict[str, Any]:
    barrier = threading.Barrier(len(people))
    wins: dict[int, int] = dict.fromkeys(ticket_ids, 0)
    lock = threading.Lock()

    def run(agent: Agent) -> None:
        for ticket_id in ticket_ids:
            barrier.wait()
            if attempt(factory, make_work(agent, ticket_id)):
                with lock:
                    wins[ticket_id] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(len(people)) as pool:
        list(pool.map(run, people))
    seconds = time.perf_counter() - started
    claims = len(ticket_ids) * len(people)
    return {
        "tickets": len(ticket_ids),
        "claimants": len(people),
        "seconds": round(seconds, 3),
        "claims_per_s": round(claims / seconds, 1),
        "ms_per_ticket": round(1000 * seconds / len(ticket_ids), 3),
        "double_claims": sum(1 for n in wins.values() if n > 1),
        "unclaimed": sum(1 for n in wins.values() if n == 0),
    }


def bench_backend(backend: str, url: str, n_tickets: int, claimants: int) -> dict[str, Any]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    people = seed_agents(factory, claimants, capacity=n_tickets + 1)
    service_ids = seed_tickets(factory, n_tickets)
    raw_ids = seed_tickets(factory, n_tickets)
    # interleave halves so both see the same machine state
    half = n_tickets // 2
    service = [contend(factory, service_ids[:half], people, service_claim)]
    raw = [contend(factory, raw_ids[:half], people, raw_claim)]
    service.append(contend(factory, service_ids[half:], people, service_claim))
    raw.append(contend(factory, raw_ids[half:], people, raw_claim))
    engine.dispose()

    def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
        seconds = sum(p["seconds"] for p in parts)
        count = sum(p["tickets"] for p in parts)
        return {
            "tickets": count,
            "claimants": claimants,
            "seconds": round(seconds, 3),
            "claims_per_s": round(count * claimants / seconds, 1),
            "ms_per_ticket": round(1000 * seconds / count, 3),
            "double_claims": sum(p["double_claims"] for p in parts),
            "unclaimed": sum(p["unclaimed"] for p in parts),
        }

    s, r = merge(service), merge(raw)
    return {
        "backend": backend,
        "service": s,
        "raw_sql": r,
        "ratio": round(s["ms_per_ticket"] / r["ms_per_ticket"], 2),
        "double_claims": s["double_claims"] + r["double_claims"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--claimants", type=int, default=50)
    parser.add_argument("--postgres", help="PostgreSQL admin URL (a throwaway database is used)")
    parser.add_argument("--json", action="store_true", help="JSON only on stdout")
    args = parser.parse_args(argv)
    results = []
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    for backend in backends:
        with database(backend, args.postgres) as url:
            results.append(bench_backend(backend, url, args.tickets, args.claimants))
    print(json.dumps({"bench": "claims", "results": results}, indent=None if args.json else 2))
    for r in results:
        print(
            f"{r['backend']}: service {r['service']['claims_per_s']} claims/s, raw "
            f"{r['raw_sql']['claims_per_s']} claims/s, ratio {r['ratio']}, "
            f"double_claims {r['double_claims']}",
            file=sys.stderr,
        )
    return 1 if any(r["double_claims"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
