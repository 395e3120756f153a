"""Live frames across api workers: Redis pub/sub behind the hub's interface.

Every worker publishes to one channel and delivers what it hears to its own sockets, so a reply
an agent posts through one worker reaches the customer's widget on another. Frames are
notifications of what is already committed: when Redis stops answering, a worker delivers to
its own sockets only, and when the subscription comes back every local socket gets ``overflow``
(the client reconnects with ``since=`` and replays from the database), so a frame missed while
Redis was away is never lost, only late.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import redis
import redis.asyncio as aioredis

from tierzero.hub import OVERFLOW, Frame, InMemoryHub

log = logging.getLogger("tierzero.cluster")

RETRY_SECONDS = 1.0


class RedisHub(InMemoryHub):
    def __init__(self, url: str, client: redis.Redis, namespace: str) -> None:
        super().__init__()
        self._url = url
        self._redis = client
        self._channel = f"{namespace}:frames"
        #: Is the subscription live? Until it is (and while Redis is down) frames stay local.
        self.connected = False
        self.outages = 0
        self._stopped = False

    def stop(self) -> None:
        """End ``listen`` (also when the client library swallows a task's cancellation, as
        redis-py's reads under a timeout can)."""
        self._stopped = True

    @property
    def channel(self) -> str:
        return self._channel

    def publish(self, topic: str, frame: Frame) -> None:
        if self.connected:
            try:
                # default=str: a frame carries what the in-process hub would hand over as is
                data = json.dumps({"topic": topic, "frame": frame}, default=str)
                self._redis.publish(self._channel, data)
                return  # delivered here too, by the listener, in the order Redis gives
            except redis.RedisError as exc:
                self._lost(exc)
        super().publish(topic, frame)

    def publish_local(self, topic: str, frame: Frame) -> None:
        """To this worker's sockets only (what each worker computes for its own clients)."""
        super().publish(topic, frame)

    def _lost(self, exc: BaseException) -> None:
        if self.connected:
            self.connected = False
            self.outages += 1
            log.warning(
                "Redis pub/sub lost (%s): live frames reach this worker's sockets only", exc
            )

    def _resync_everyone(self) -> None:
        """Every local socket reconnects and replays what it may have missed."""
        with self._lock:
            subscriptions = {s for subs in self._subscribers.values() for s in subs}
        for subscription in subscriptions:
            subscription.offer(OVERFLOW)

    async def listen(self) -> None:
        """Run for the worker's lifetime: deliver the channel's frames to local subscribers."""
        had_outage = False
        while not self._stopped:
            client: Any = aioredis.Redis.from_url(self._url, decode_responses=True)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self._channel)
                self.connected = True
                if had_outage:
                    log.warning("Redis pub/sub is back: local sockets replay what they missed")
                    self._resync_everyone()
                    had_outage = False
                while not self._stopped:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        await client.ping()  # notice a dead connection while all is quiet
                        continue
                    try:
                        data = json.loads(message["data"])
                        super().publish(str(data["topic"]), dict(data["frame"]))
                    except (ValueError, KeyError, TypeError):
                        log.warning("ignored a malformed frame on %s", self._channel)
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                if self._stopped:
                    return
                self._lost(exc)
                had_outage = True  # frames other workers publish meanwhile do not arrive
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                self.connected = False
                with contextlib.suppress(Exception):  # closing a dead connection may fail
                    await client.aclose()
