"""Who is connected and who is viewing which ticket, across api workers.

Each worker counts its own sockets in a Redis hash of its own (refreshed with its heartbeat, so
a killed worker's count expires with it); "the agent's last socket closed" and "who else is
viewing" read the hashes of the workers that are alive. Redis down: each worker answers from
what it holds itself (the single-worker behaviour).
"""

from __future__ import annotations

import logging
from collections import Counter

import redis

from tierzero.cluster.workers import Workers
from tierzero.presence import Connected, Viewers

log = logging.getLogger("tierzero.cluster")

VIEWERS_TTL_SECONDS = 24 * 3600


class SharedConnected(Connected):
    """Open sockets per agent (or per conversation), summed over the live workers."""

    def __init__(self, workers: Workers, kind: str) -> None:
        super().__init__()
        self._workers = workers
        self._kind = kind

    def _hash(self, worker_id: str) -> str:
        return self._workers.key("sockets", self._kind, worker_id)

    def opened(self, key: int) -> None:
        super().opened(key)
        try:
            self._workers.redis.hincrby(self._hash(self._workers.worker_id), str(key), 1)
        except redis.RedisError as exc:
            log.warning("Redis: could not count a %s socket (%s)", self._kind, exc)

    def closed(self, key: int) -> bool:
        last_here = super().closed(key)
        client, mine = self._workers.redis, self._hash(self._workers.worker_id)
        try:
            if client.hincrby(mine, str(key), -1) <= 0:
                client.hdel(mine, str(key))
            if not last_here:
                return False
            others = [w for w in self._workers.alive() if w != self._workers.worker_id]
            counts = [client.hget(self._hash(w), str(key)) for w in others]
            return not any(int(c or 0) > 0 for c in counts)
        except redis.RedisError as exc:
            log.warning("Redis: %s sockets counted on this worker only (%s)", self._kind, exc)
            return last_here


class SharedViewers(Viewers):
    """Agents viewing a ticket, whichever worker their socket is on."""

    def __init__(self, workers: Workers) -> None:
        super().__init__()
        self._workers = workers

    def _key(self, ticket_id: int) -> str:
        return self._workers.key("viewers", ticket_id)

    def _change(self, ticket_id: int, agent_id: int, name: str, delta: int) -> None:
        client, key = self._workers.redis, self._key(ticket_id)
        field = f"{self._workers.worker_id}|{agent_id}"
        try:
            if client.hincrby(key, field, delta) <= 0:
                client.hdel(key, field)
            if delta > 0:
                client.hset(self._workers.key("agent-names"), str(agent_id), name)
                client.expire(key, VIEWERS_TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning(
                "Redis: viewers of ticket %s known on this worker only (%s)", ticket_id, exc
            )

    def add(self, ticket_id: int, agent_id: int, name: str) -> list[dict[str, object]]:
        super().add(ticket_id, agent_id, name)
        self._change(ticket_id, agent_id, name, 1)
        return self.of(ticket_id)

    def remove(self, ticket_id: int, agent_id: int) -> list[dict[str, object]]:
        super().remove(ticket_id, agent_id)
        self._change(ticket_id, agent_id, "", -1)
        return self.of(ticket_id)

    def of(self, ticket_id: int) -> list[dict[str, object]]:
        client = self._workers.redis
        try:
            alive = set(self._workers.alive())
            counts: Counter[int] = Counter()
            found: dict[str, str] = client.hgetall(self._key(ticket_id))  # type: ignore[assignment]
            for field, count in found.items():
                worker, _, agent = str(field).rpartition("|")
                if worker in alive and int(count) > 0:
                    counts[int(agent)] += int(count)
            names = client.hmget(self._workers.key("agent-names"), [str(a) for a in counts])
        except redis.RedisError:
            return super().of(ticket_id)
        return [
            {"agent_id": agent, "name": name or ""}
            for agent, name in sorted(zip(counts, names, strict=True))
        ]
