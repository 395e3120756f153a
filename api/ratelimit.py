"""Rate limits per key (client address, conversation, login email, agent) with the ``limits``
library: a moving window in the api's memory for one worker, or in Redis (``TIERZERO_REDIS_URL``)
so several workers share one count. Redis down: each worker limits on its own until it is back
(a limit that holds per worker beats none, and beats refusing every request)."""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("tierzero.ratelimit")

#: How long a worker keeps limiting on its own after Redis failed, before trying it again.
RETRY_REDIS_SECONDS = 5.0


def storage_for(redis_url: str, namespace: str) -> Storage:
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        redis_url,
        key_prefix=f"{namespace}:limits",
        wrap_exceptions=True,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
    )


class KeyedLimiter:
    """At most ``limit`` hits per ``window_seconds`` for each key."""

    def __init__(self, name: str, limit: int, storage: Storage, window_seconds: int = 60) -> None:
        self._name = name
        self._item = RateLimitItemPerSecond(limit, window_seconds)
        self._shared = MovingWindowRateLimiter(storage)
        self._alone = (
            self._shared
            if isinstance(storage, MemoryStorage)
            else MovingWindowRateLimiter(MemoryStorage())
        )
        self._shared_failed_at: float | None = None

    def allow(self, key: str) -> bool:
        failed_at = self._shared_failed_at
        if failed_at is None or time.monotonic() - failed_at > RETRY_REDIS_SECONDS:
            try:
                allowed = self._shared.hit(self._item, self._name, key)
                self._shared_failed_at = None
                return allowed
            except StorageError as exc:
                if failed_at is None:
                    log.warning(
                        "rate limit %r counted per worker: Redis failed (%s)", self._name, exc
                    )
                self._shared_failed_at = time.monotonic()
        return self._alone.hit(self._item, self._name, key)
