"""The desk's background work inside the api: routing rounds, live queue positions, and the
scheduler that runs the desk's timers (SLA, handling limits, timed exits) from the database.

Both run on the event loop and do their database work in worker threads; a failed round is
logged and retried on the next tick (with several workers each round is safe to run twice:
offers and transitions are conditional in SQL).
"""

from __future__ import annotations

import asyncio
import logging
import time

from anyio import to_thread

from api.state import AppState
from handoff import offers, timers, waiting
from handoff.frames import queue_position_frame
from handoff.lifecycle import TicketStatus, Tier
from tierzero.db import unit_of_work, utcnow
from tierzero.hub import conversation_topic, queue_topic
from tierzero.scheduler import Scheduler, has_due

log = logging.getLogger("tierzero.desk")

#: Positions are re-announced at least this often (agents coming online change the estimate).
REFRESH_SECONDS = 10.0
#: Queue changes within this window are announced together.
DEBOUNCE_SECONDS = 0.3


async def keep_routing(state: AppState) -> None:
    def round_() -> None:
        now = utcnow()
        with unit_of_work(state.session_factory, read_only=True) as session:
            if not offers.has_work(session, now, state.timing):
                return
        with unit_of_work(state.session_factory) as session:
            offers.dispatch(session, state.hub, now, state.timing)

    while True:
        await asyncio.sleep(state.settings.dispatch_interval_seconds)
        try:
            await to_thread.run_sync(round_)
        except Exception:
            log.exception("routing round failed")


#: Finished jobs are purged about this often.
PURGE_SECONDS = 3600.0


async def keep_timers(state: AppState) -> None:
    """Plan the timers of changed tickets, then run the jobs that are due (each job runs once,
    whichever worker gets it; see tierzero.scheduler)."""
    scheduler = Scheduler(
        state.session_factory, timers.DeskTimers(state.policy, state.hub).handlers()
    )
    last_purge = time.monotonic()

    def round_() -> None:
        now = utcnow()
        # read first, like the routing round: a write transaction only when there is work
        with unit_of_work(state.session_factory, read_only=True) as session:
            changed, due = timers.has_changes(session), has_due(session, now)
        if changed:
            with unit_of_work(state.session_factory) as session:
                timers.plan_changed(session, state.policy, now)
        if changed or due:  # planning may have made a job due already
            scheduler.run_due(now)

    while True:
        await asyncio.sleep(state.settings.scheduler_interval_seconds)
        try:
            await to_thread.run_sync(round_)
            if time.monotonic() - last_purge > PURGE_SECONDS:
                last_purge = time.monotonic()
                await to_thread.run_sync(scheduler.purge, utcnow())
        except Exception:
            log.exception("scheduler round failed")


def _left_queue(state: AppState, ticket: dict[str, object]) -> None:
    """A ticket that is no longer waiting (taken, resolved, cancelled) tells its customer so."""
    status, conversation_id = ticket.get("status"), ticket.get("conversation_id")
    if status == TicketStatus.QUEUED.value or not isinstance(conversation_id, int):
        return
    ticket_id = ticket.get("id")
    frame = queue_position_frame(
        ticket_id if isinstance(ticket_id, int) else None, str(status), None, None, None
    )
    state.hub.publish_local(conversation_topic(conversation_id), frame)  # each worker its own


async def keep_queue_announced(state: AppState) -> None:
    """Every waiting customer sees their place and estimated wait, updated as the queue moves."""
    subscription = state.hub.subscribe(queue_topic(t.value) for t in Tier)

    def announce(tiers: set[str]) -> None:
        with unit_of_work(state.session_factory, read_only=True) as session:
            frames = [f for tier in sorted(tiers) for f in waiting.frames_for_tier(session, tier)]
        for conversation_id, frame in frames:
            # every worker computes the positions: each tells its own sockets only
            state.hub.publish_local(conversation_topic(conversation_id), frame)

    dirty: set[str] = set()
    last_full = 0.0
    try:
        while True:
            try:
                frame = await asyncio.wait_for(subscription.get(), timeout=1.0)
                ticket = frame.get("ticket") or {}
                dirty.add(str(ticket.get("tier") or Tier.L1.value))
                _left_queue(state, ticket)
                event = frame.get("event") or {}
                previous = (event.get("data") or {}).get("from_tier")
                if previous:
                    dirty.add(str(previous))
                await asyncio.sleep(DEBOUNCE_SECONDS)
                while not subscription.queue.empty():
                    more = subscription.queue.get_nowait()
                    _left_queue(state, more.get("ticket") or {})
                    dirty.update(t.value for t in Tier)
            except TimeoutError:
                pass
            if time.monotonic() - last_full > REFRESH_SECONDS:
                dirty.update(t.value for t in Tier)
                last_full = time.monotonic()
            if not dirty:
                continue
            tiers, dirty = dirty, set()
            try:
                await to_thread.run_sync(announce, tiers)
            except Exception:
                log.exception("announcing queue positions failed")
    finally:
        subscription.close()
