"""In-process fan-out of conversation frames to connected WebSockets.

Publishing is thread-safe (services run in worker threads); each subscriber gets its own queue.
With several api workers this is where Redis pub/sub plugs in.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from api.frames import message_frame
from handoff.models import Message
from tierzero.db import after_commit

Frame = dict[str, Any]
# Put in place of live frames a subscriber was too slow to take: its socket is closed and the
# widget reconnects with since=, so it loses nothing.
OVERFLOW: Frame = {"type": "overflow"}


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

    def publish_after_commit(self, session: Session, message: Message) -> None:
        """Push a stored message to the conversation's sockets once its transaction commits."""
        frame = message_frame(message)
        conversation_id = message.conversation_id
        after_commit(session, lambda: self.publish(conversation_id, frame))

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
                offer(queue, frame)
            else:
                loop.call_soon_threadsafe(offer, queue, frame)


def offer(queue: asyncio.Queue[Frame], frame: Frame) -> None:
    """Queue a frame; a subscriber that stopped reading gets OVERFLOW instead of a silent gap."""
    try:
        queue.put_nowait(frame)
    except asyncio.QueueFull:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(OVERFLOW)
