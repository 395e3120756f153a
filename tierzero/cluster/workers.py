"""Which api workers are alive: each one refreshes a short-lived key; a worker killed with -9
drops out within ``TTL_SECONDS`` and what it held (sockets, viewers) stops counting."""

from __future__ import annotations

import logging
import os
import socket
import uuid

import redis

log = logging.getLogger("tierzero.cluster")

TTL_SECONDS = 15
BEAT_SECONDS = 5.0
#: Every Redis call from a request path gives up after this long (Redis down must not hang it).
REDIS_TIMEOUT_SECONDS = 0.5


def connect(url: str) -> redis.Redis:
    """A thread-safe client whose calls fail fast instead of hanging while Redis is down."""
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        decode_responses=True,
    )


class Workers:
    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.redis = client
        self.namespace = namespace
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._set = f"{namespace}:workers"

    def key(self, *parts: object) -> str:
        return ":".join([self.namespace, *(str(p) for p in parts)])

    def _alive_key(self, worker_id: str) -> str:
        return self.key("worker", worker_id)

    def beat(self) -> None:
        """Say this worker is alive (and keep its own keys from expiring)."""
        with self.redis.pipeline() as pipe:
            pipe.set(self._alive_key(self.worker_id), "1", ex=TTL_SECONDS)
            pipe.sadd(self._set, self.worker_id)
            for kind in ("agent", "customer"):
                pipe.expire(self.key("sockets", kind, self.worker_id), TTL_SECONDS)
            pipe.execute()

    def alive(self) -> list[str]:
        """The workers whose key has not expired (the dead ones are forgotten)."""
        members = sorted(str(m) for m in self.redis.smembers(self._set))
        if not members:
            return []
        flags = self.redis.mget([self._alive_key(m) for m in members])
        dead = [m for m, flag in zip(members, flags, strict=True) if flag is None]
        if dead:
            self.redis.srem(self._set, *dead)
        return [m for m, flag in zip(members, flags, strict=True) if flag is not None]

    def leave(self) -> None:
        try:
            with self.redis.pipeline() as pipe:
                pipe.delete(self._alive_key(self.worker_id))
                pipe.srem(self._set, self.worker_id)
                for kind in ("agent", "customer"):
                    pipe.delete(self.key("sockets", kind, self.worker_id))
                pipe.execute()
        except redis.RedisError:
            log.warning("could not deregister worker %s from Redis", self.worker_id)
