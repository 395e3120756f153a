"""The widget's per-connection message limit (the clock is the one true edge, so it is faked)."""

from api.ratelimit import SlidingWindow


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
