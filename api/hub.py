"""In-process fan-out of conversation frames to connected WebSockets.

Publishing is thread-safe (services run in worker threads); each subscriber gets its own queue.
With several api workers this is where Redis pub/sub plugs in.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from typing import Any

Frame = dict[str, Any]


class ConversationHub:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[Frame]]] = defaultdict(set)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, conversation_id: int) -> asyncio.Queue[Frame]:
        queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=1000)
        with self._lock:
            self._subscribers[conversation_id].add(queue)
        return queue

    def unsubscribe(self, conversation_id: int, queue: asyncio.Queue[Frame]) -> None:
        with self._lock:
            subscribers = self._subscribers.get(conversation_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[conversation_id]

    def subscriber_count(self, conversation_id: int) -> int:
        with self._lock:
            return len(self._subscribers.get(conversation_id, ()))

    def publish(self, conversation_id: int, frame: Frame) -> None:
        with self._lock:
            queues = list(self._subscribers.get(conversation_id, ()))
        if not queues:
            return
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for queue in queues:
            if loop is None or running is loop:
                _offer(queue, frame)
            else:
                loop.call_soon_threadsafe(_offer, queue, frame)


def _offer(queue: asyncio.Queue[Frame], frame: Frame) -> None:
    """A subscriber that stopped reading loses live frames, not data: it replays with since=."""
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(frame)
