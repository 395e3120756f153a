"""One conversation's bot turns one at a time across api workers: a Redis lock per
conversation, taken after the worker's own lock (which keeps arrival order within a worker).

Redis's lock is not a queue: two workers waiting for the same conversation take it in whatever
order their polls land, which matters only for two windows of one customer typing at once. The
lock expires on its own (a worker killed mid-turn holds it at most ``hold_seconds``), and a turn
that cannot get it in time — or finds Redis down — runs anyway: a late answer beats none, and
Rasa's own Redis lock store still runs the turns one at a time.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.exceptions import LockError

log = logging.getLogger("tierzero.cluster")


class TurnLocks:
    def __init__(self, url: str, namespace: str, hold_seconds: float) -> None:
        self._client: Any = aioredis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0
        )
        self._namespace = namespace
        self._hold = hold_seconds

    @asynccontextmanager
    async def hold(self, conversation_id: int) -> AsyncIterator[None]:
        lock = self._client.lock(
            f"{self._namespace}:turn:{conversation_id}",
            timeout=self._hold,
            blocking_timeout=self._hold,
            sleep=0.02,
        )
        try:
            acquired = bool(await lock.acquire())
        except (redis.RedisError, OSError) as exc:
            log.warning("turn lock unavailable for conversation %s (%s)", conversation_id, exc)
            acquired = False
        if not acquired:
            log.warning("conversation %s: bot turn runs without the shared lock", conversation_id)
        try:
            yield
        finally:
            if acquired:
                # expired meanwhile, or Redis gone: it frees itself
                with contextlib.suppress(LockError, redis.RedisError, OSError):
                    await lock.release()

    async def close(self) -> None:
        await self._client.aclose()
