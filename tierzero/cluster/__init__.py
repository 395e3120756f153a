"""Several api workers on one PostgreSQL database and one Redis: what they must share beyond the
database — live frames (``hub``), who is connected and viewing (``presence``), one conversation's
bot turns at a time (``turns``) and which workers are alive (``workers``).

Without ``TIERZERO_REDIS_URL`` the api runs as one worker with the in-process versions
(``tierzero.hub.InMemoryHub``, ``tierzero.presence``), and nothing here is used. When Redis stops
answering, each worker falls back to what it can do alone and says so on ``/readyz``; nothing
stored is lost (messages are in the database; sockets are closed so clients replay with
``since=`` once Redis is back).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
from anyio import to_thread

from tierzero.cluster.hub import RedisHub
from tierzero.cluster.presence import SharedConnected, SharedViewers
from tierzero.cluster.turns import TurnLocks
from tierzero.cluster.workers import BEAT_SECONDS, Workers, connect
from tierzero.settings import Settings

if TYPE_CHECKING:
    from api.state import AppState

log = logging.getLogger("tierzero.cluster")


@dataclass
class Cluster:
    """One api worker's part in a scale-out deployment."""

    workers: Workers
    hub: RedisHub
    turns: TurnLocks

    @classmethod
    def start(cls, settings: Settings) -> Cluster:
        client = connect(settings.redis_url)
        workers = Workers(client, settings.redis_namespace)
        return cls(
            workers=workers,
            hub=RedisHub(settings.redis_url, client, settings.redis_namespace),
            # a turn is a Rasa call (its own timeout) plus the database writes around it
            turns=TurnLocks(
                settings.redis_url, settings.redis_namespace, settings.rasa_timeout_seconds * 2 + 5
            ),
        )

    def share(self, state: AppState) -> None:
        """Put the shared versions in the api's state (the in-process ones stay the default)."""
        state.viewers = SharedViewers(self.workers)
        state.connected = SharedConnected(self.workers, "agent")
        state.customers = SharedConnected(self.workers, "customer")
        state.flow.shared_turns = self.turns
        state.cluster = self

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self.hub.listen(), self._beat()]

    async def _beat(self) -> None:
        while True:
            try:
                await to_thread.run_sync(self.workers.beat)
            except redis.RedisError as exc:
                log.warning("Redis heartbeat failed: %s", exc)
            await asyncio.sleep(BEAT_SECONDS)

    def redis_ok(self) -> bool:
        try:
            return bool(self.workers.redis.ping()) and self.hub.connected
        except redis.RedisError:
            return False

    async def stop(self) -> None:
        self.hub.stop()
        await to_thread.run_sync(self.workers.leave)
        await self.turns.close()
