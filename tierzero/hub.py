"""Fan-out of live events to connected clients by topic, behind one small interface.

Topics: ``conversation:{id}`` (the customer's widget and the agents viewing it),
``ticket:{id}`` (agents only: internal notes, viewers, typing), ``queue:{tier}`` (agents who
see that tier) and ``agent:{id}`` (one agent: offers, assignments). Services publish after
their transaction commits; sockets subscribe. ``InMemoryHub`` serves one process; the
multi-worker deployment puts Redis pub/sub behind the same interface.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tierzero.db import after_commit

Frame = dict[str, Any]
# Put in place of live frames a subscriber was too slow to take: its socket is closed and the
# client reconnects with since=, so it loses nothing.
OVERFLOW: Frame = {"type": "overflow"}


def conversation_topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def ticket_topic(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def queue_topic(tier: str) -> str:
    return f"queue:{tier}"


def agent_topic(agent_id: int) -> str:
    return f"agent:{agent_id}"


class Subscription:
    """One client's inbox over any number of topics (added and dropped while it is open)."""

    def __init__(self, hub: InMemoryHub, maxsize: int = 1000) -> None:
        self.queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=maxsize)
        self.topics: set[str] = set()
        self._hub = hub

    def add(self, topic: str) -> None:
        self._hub._attach(topic, self)

    def discard(self, topic: str) -> None:
        self._hub._detach(topic, self)

    def close(self) -> None:
        for topic in list(self.topics):
            self._hub._detach(topic, self)

    def offer(self, frame: Frame) -> None:
        offer(self.queue, frame)

    async def get(self) -> Frame:
        return await self.queue.get()


class Hub(Protocol):
    def subscribe(self, topics: Iterable[str] = ()) -> Subscription: ...

    def publish(self, topic: str, frame: Frame) -> None: ...

    def publish_after_commit(self, session: Session, topic: str, frame: Frame) -> None: ...

    def subscriber_count(self, topic: str) -> int: ...


class InMemoryHub:
    """Thread-safe publishing (services run in worker threads) onto the api's event loop."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topics: Iterable[str] = ()) -> Subscription:
        subscription = Subscription(self)
        for topic in topics:
            subscription.add(topic)
        return subscription

    def _attach(self, topic: str, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers[topic].add(subscription)
            subscription.topics.add(topic)

    def _detach(self, topic: str, subscription: Subscription) -> None:
        with self._lock:
            subscription.topics.discard(topic)
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[topic]

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers.get(topic, ()))

    def publish_after_commit(self, session: Session, topic: str, frame: Frame) -> None:
        """Publish once the session's transaction commits: only what is really stored."""
        after_commit(session, lambda: self.publish(topic, frame))

    def publish_local(self, topic: str, frame: Frame) -> None:
        """To this process's subscribers only (with one process: the same as ``publish``)."""
        self.publish(topic, frame)

    def publish(self, topic: str, frame: Frame) -> None:
        with self._lock:
            targets = list(self._subscribers.get(topic, ()))
        if not targets:
            return
        frame = {**frame, "topic": topic}
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for subscription in targets:
            if loop is None or running is loop:
                subscription.offer(frame)
            else:
                loop.call_soon_threadsafe(subscription.offer, frame)


def offer(queue: asyncio.Queue[Frame], frame: Frame) -> None:
    """Queue a frame; a subscriber that stopped reading gets OVERFLOW instead of a silent gap."""
    try:
        queue.put_nowait(frame)
    except asyncio.QueueFull:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(OVERFLOW)


class NullHub:
    """For code paths with nobody listening (CLI, tests of the rules alone)."""

    def subscribe(self, topics: Iterable[str] = ()) -> Subscription:
        return InMemoryHub().subscribe(topics)

    def publish(self, topic: str, frame: Frame) -> None:
        return None

    def publish_after_commit(self, session: Session, topic: str, frame: Frame) -> None:
        return None

    def subscriber_count(self, topic: str) -> int:
        return 0
