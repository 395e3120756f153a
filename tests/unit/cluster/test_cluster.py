"""What several api workers share through a real Redis: live frames, who is connected, who is
viewing, one bot turn at a time per conversation — and what each does alone while Redis is
down. Two "workers" here are two sets of objects with their own connections, as in two
processes. Skipped when no Redis answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.databases import redis_for_tests
from tierzero.cluster.hub import RedisHub
from tierzero.cluster.presence import SharedConnected, SharedViewers
from tierzero.cluster.turns import TurnLocks
from tierzero.cluster.workers import Workers, connect
from tierzero.hub import OVERFLOW

REDIS = redis_for_tests()
pytestmark = pytest.mark.skipif(REDIS is None, reason="no Redis answers")


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    assert REDIS is not None
    client = connect(REDIS)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def worker(namespace: str) -> Workers:
    assert REDIS is not None
    workers = Workers(connect(REDIS), namespace)
    workers.beat()
    return workers


@pytest.fixture
async def two_hubs(namespace: str) -> AsyncIterator[tuple[RedisHub, RedisHub]]:
    assert REDIS is not None
    hubs = (
        RedisHub(REDIS, connect(REDIS), namespace),
        RedisHub(REDIS, connect(REDIS), namespace),
    )
    loop = asyncio.get_running_loop()
    tasks = []
    for hub in hubs:
        hub.bind(loop)
        tasks.append(asyncio.create_task(hub.listen()))
    for _ in range(100):
        if all(h.connected for h in hubs):
            break
        await asyncio.sleep(0.02)
    yield hubs
    for hub in hubs:
        hub.stop()
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=10)
    assert not pending  # the listeners end when asked


async def test_a_frame_published_on_one_worker_reaches_sockets_on_both(
    two_hubs: tuple[RedisHub, RedisHub],
) -> None:
    first, second = two_hubs
    here, there = first.subscribe(["conversation:7"]), second.subscribe(["conversation:7"])
    elsewhere = second.subscribe(["conversation:8"])
    first.publish("conversation:7", {"type": "message", "seq": 1})
    first.publish("conversation:7", {"type": "message", "seq": 2})
    for subscription in (here, there):
        frames = [await asyncio.wait_for(subscription.get(), 2) for _ in range(2)]
        assert [f["seq"] for f in frames] == [1, 2]  # once each, in order
        assert subscription.queue.empty()
    assert elsewhere.queue.empty()


async def test_after_a_redis_outage_every_local_socket_is_told_to_replay(
    two_hubs: tuple[RedisHub, RedisHub],
) -> None:
    first, _ = two_hubs
    subscription = first.subscribe(["conversation:9"])
    # the outage as the listener sees it: its connection is cut
    assert REDIS is not None
    killer = connect(REDIS)
    for client in killer.client_list():
        if client.get("cmd") in ("subscribe", "psubscribe", "ping") and int(client["sub"]) > 0:
            killer.client_kill_filter(_id=client["id"])
    frame = await asyncio.wait_for(subscription.get(), 5)
    assert frame is OVERFLOW  # the socket closes; the client replays from the database
    assert first.outages >= 1
    for _ in range(150):
        if first.connected:
            break
        await asyncio.sleep(0.02)
    assert first.connected


def test_publishing_with_redis_down_still_reaches_this_workers_sockets() -> None:
    hub = RedisHub("redis://127.0.0.1:9/0", connect("redis://127.0.0.1:9/0"), "down")
    hub.connected = True  # it was up, then Redis went away
    subscription = hub.subscribe(["ticket:1"])
    hub.publish("ticket:1", {"type": "note"})
    assert subscription.queue.get_nowait()["type"] == "note"
    assert not hub.connected and hub.outages == 1


def test_an_agent_is_offline_only_when_their_last_socket_on_any_worker_closes(
    namespace: str,
) -> None:
    a, b = SharedConnected(worker(namespace), "agent"), SharedConnected(worker(namespace), "agent")
    a.opened(5)
    b.opened(5)
    assert a.closed(5) is False  # still connected through the other worker
    assert b.closed(5) is True
    a.opened(6)
    assert a.total() == 1 and b.total() == 0  # each worker reports its own sockets


def test_a_dead_workers_sockets_stop_counting(namespace: str) -> None:
    dead_worker, live_worker = worker(namespace), worker(namespace)
    dead, live = SharedConnected(dead_worker, "agent"), SharedConnected(live_worker, "agent")
    dead.opened(5)
    live.opened(5)
    dead_worker.redis.delete(dead_worker.key("worker", dead_worker.worker_id))  # its beat expired
    assert live.closed(5) is True


def test_viewers_on_two_workers_see_each_other(namespace: str) -> None:
    a, b = SharedViewers(worker(namespace)), SharedViewers(worker(namespace))
    a.add(3, 1, "Alex")
    assert b.add(3, 2, "Sam") == [
        {"agent_id": 1, "name": "Alex"},
        {"agent_id": 2, "name": "Sam"},
    ]
    assert a.remove(3, 1) == [{"agent_id": 2, "name": "Sam"}]


async def test_one_conversations_turns_run_one_at_a_time_across_workers(namespace: str) -> None:
    assert REDIS is not None
    workers = [TurnLocks(REDIS, namespace, hold_seconds=5) for _ in range(2)]
    running, overlaps, order = 0, 0, []

    async def turn(locks: TurnLocks, name: str, conversation_id: int) -> None:
        nonlocal running, overlaps
        async with locks.hold(conversation_id):
            running += 1
            overlaps += running > 1
            order.append(name)
            await asyncio.sleep(0.05)
            running -= 1

    await asyncio.gather(*(turn(workers[i % 2], f"t{i}", 1) for i in range(6)))
    assert overlaps == 0 and len(order) == 6
    # another conversation is not held up by this one's lock
    started = asyncio.get_running_loop().time()
    async with workers[0].hold(1):
        await asyncio.wait_for(turn(workers[1], "other", 2), 1)
    assert asyncio.get_running_loop().time() - started < 1
    for locks in workers:
        await locks.close()


async def test_a_turn_runs_without_the_shared_lock_when_redis_is_down() -> None:
    locks = TurnLocks("redis://127.0.0.1:9/0", "down", hold_seconds=5)
    ran = False
    async with locks.hold(1):
        ran = True
    assert ran
    await locks.close()
