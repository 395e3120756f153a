"""The api's insight jobs: watch for topic spikes (post new ones to the webhook, when one is
configured) and keep the editors' queue within its retention period."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from anyio import to_thread

from api.state import AppState
from insight import recording
from insight.content import questions, spikes
from tierzero.clock import utcnow
from tierzero.db import unit_of_work

log = logging.getLogger("tierzero.insight")
PURGE_SECONDS = 24 * 3600


async def keep_watch(state: AppState) -> None:
    """Every ``spike_check_seconds``: detect spikes and post the ones not sent within their
    window. Each api worker keeps its own memory of what it sent (a spike may be posted once per
    worker); receivers should treat ``topic`` + ``started_at`` as the key."""
    sent: dict[str, datetime] = {}
    last_purge = 0.0

    def round_() -> None:
        now = utcnow()
        with unit_of_work(state.session_factory, read_only=True) as session:
            new = spikes.check_and_notify(
                session, now=now, url=state.settings.spike_webhook_url,
                secret=state.settings.spike_webhook_secret, already_sent=sent,
            )  # fmt: skip
        for spike in new:
            sent[spike.topic] = now
            log.warning("topic spike: %s (%d in the window, %.1f expected)", spike.topic,
                        spike.count, spike.expected)  # fmt: skip

    def purge() -> None:
        keep = state.settings.unanswered_retention_days
        with unit_of_work(state.session_factory) as session:
            questions.purge(session, now=utcnow(), keep_days=keep)
            recording.forget_queries(session, before=utcnow() - timedelta(days=2 * keep))

    while True:
        await asyncio.sleep(state.settings.spike_check_seconds)
        try:
            await to_thread.run_sync(round_)
            if time.monotonic() - last_purge > PURGE_SECONDS:
                last_purge = time.monotonic()
                await to_thread.run_sync(purge)
        except Exception:
            log.exception("insight round failed")
