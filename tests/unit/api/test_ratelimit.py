"""The widget's per-connection message limit (the clock is the one true edge, so it is faked)."""

from api.ratelimit import KeyedLimiter, SlidingWindow


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_above_the_limit_and_recovers_after_the_window() -> None:
    clock = FakeClock()
    limit = SlidingWindow(3, 60, clock)
    assert [limit.allow() for _ in range(4)] == [True, True, True, False]
    clock.now += 59
    assert not limit.allow()
    clock.now += 1
    assert limit.allow()


def test_keys_are_limited_independently_and_idle_keys_pruned() -> None:
    clock = FakeClock()
    limiter = KeyedLimiter(2, 60, clock, max_keys=2)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b")
    clock.now += 60
    assert limiter.allow("c")  # pruning made room; "a" starts afresh
    assert limiter.allow("a")
