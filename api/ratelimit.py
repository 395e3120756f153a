"""A sliding-window limit of messages per connection (flood protection for the widget)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(
        self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._hits: deque[float] = deque()

    def allow(self) -> bool:
        now = self._clock()
        while self._hits and now - self._hits[0] >= self._window:
            self._hits.popleft()
        if len(self._hits) >= self._limit:
            return False
        self._hits.append(now)
        return True


class KeyedLimiter:
    """One sliding window per key (client IP, conversation, login email); idle keys are pruned.

    In-process: with several api workers each enforces its own share (Redis comes with scale-out).
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._windows: dict[str, SlidingWindow] = {}
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        with self._lock:
            now = self._clock()
            if len(self._windows) >= self._max_keys:
                self._prune(now)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = SlidingWindow(self._limit, self._window, self._clock)
            self._last_seen[key] = now
            return window.allow()

    def _prune(self, now: float) -> None:
        for key, seen in list(self._last_seen.items()):
            if now - seen >= self._window:
                del self._last_seen[key], self._windows[key]
