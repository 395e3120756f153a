"""Rate limits per key: in memory for one worker, shared through Redis by several, and per
worker again while Redis is down (never "refuse everything", never "allow everything")."""

from __future__ import annotations

import time
import uuid

import pytest
from limits.storage import MemoryStorage

from api.ratelimit import KeyedLimiter, storage_for
from tests.databases import redis_for_tests


def test_blocks_above_the_limit_per_key_and_recovers_after_the_window() -> None:
    limiter = KeyedLimiter("test", 3, MemoryStorage(), window_seconds=1)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another key has its own count
    time.sleep(1.1)
    assert limiter.allow("a")


def test_two_workers_share_one_count_through_redis() -> None:
    url = redis_for_tests()
    if url is None:
        pytest.skip("no Redis answers")
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    # two workers: separate limiters and connections, one Redis
    first = KeyedLimiter("logins", 4, storage_for(url, namespace))
    second = KeyedLimiter("logins", 4, storage_for(url, namespace))
    hits = [first.allow("x"), second.allow("x"), first.allow("x"), second.allow("x")]
    assert hits == [True] * 4
    assert not first.allow("x") and not second.allow("x")
    assert first.allow("y")


def test_with_redis_down_each_worker_still_limits_on_its_own() -> None:
    # a port nothing listens on: every Redis call fails at once
    limiter = KeyedLimiter("logins", 2, storage_for("redis://127.0.0.1:9/0", "down"))
    assert [limiter.allow("x") for _ in range(3)] == [True, True, False]
