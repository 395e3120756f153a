"""The database-backed scheduler: a job planned once per key, run once even with two schedulers
(threads with their own connections) on one database, retried with back-off after a failure,
and still there for a scheduler started later."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tierzero import scheduler
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.scheduler import MAX_ATTEMPTS, JobStatus, ScheduledJob, Scheduler

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _plan(engine: Engine, kind: str, count: int, due: datetime = NOW) -> list[str]:
    factory = make_session_factory(engine)
    keys = [f"{kind}:{uuid.uuid4().hex}" for _ in range(count)]
    with unit_of_work(factory) as session:
        for key in keys:
            assert scheduler.plan(session, kind=kind, key=key, subject=f"test:{kind}", due_at=due)
    return keys


def _jobs(engine: Engine, kind: str) -> list[ScheduledJob]:
    with Session(engine) as session:
        return list(session.scalars(select(ScheduledJob).where(ScheduledJob.kind == kind)))


def test_a_key_is_planned_once_even_after_it_ran(engine: Engine) -> None:
    kind = f"once-{uuid.uuid4().hex[:6]}"
    (key,) = _plan(engine, kind, 1)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        assert not scheduler.plan(session, kind=kind, key=key, subject="x", due_at=NOW)
    ran: list[int] = []
    Scheduler(factory, {kind: lambda s, job, now: ran.append(job.id) or "ok"}).run_due(NOW)
    with unit_of_work(factory) as session:
        assert not scheduler.plan(session, kind=kind, key=key, subject="x", due_at=NOW)
    assert len(ran) == 1 and [j.status for j in _jobs(engine, kind)] == ["done"]


def test_two_schedulers_on_one_database_run_each_job_once(engine: Engine) -> None:
    kind = f"race-{uuid.uuid4().hex[:6]}"
    keys = _plan(engine, kind, 40)
    ran: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(session: Session, job: ScheduledJob, now: datetime) -> str:
        time.sleep(0.005)  # widen the window in which the other scheduler looks
        with lock:
            ran[job.key] += 1
        return "ran"

    # each scheduler has its own engine: separate connections, as two api workers would
    engines = [make_engine(str(engine.url.render_as_string(hide_password=False))) for _ in "ab"]
    schedulers = [Scheduler(make_session_factory(e), {kind: handler}) for e in engines]
    start = threading.Barrier(2)
    counts: list[int] = []

    def run(s: Scheduler) -> None:
        start.wait()
        counts.append(s.run_due(NOW))

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for e in engines:
        e.dispose()
    assert sum(counts) == len(keys)
    assert set(ran) == set(keys) and set(ran.values()) == {1}
    assert {j.status for j in _jobs(engine, kind)} == {JobStatus.DONE.value}


def test_a_failing_job_is_retried_with_backoff_then_kept_as_failed(engine: Engine) -> None:
    kind = f"flaky-{uuid.uuid4().hex[:6]}"
    _plan(engine, kind, 1)
    factory = make_session_factory(engine)
    attempts: list[datetime] = []

    def handler(session: Session, job: ScheduledJob, now: datetime) -> str:
        attempts.append(now)
        raise RuntimeError("mail server down")

    runner = Scheduler(factory, {kind: handler})
    moment = NOW
    for _ in range(MAX_ATTEMPTS * 3):
        runner.run_due(moment)
        moment += timedelta(minutes=10)
    (job,) = _jobs(engine, kind)
    assert len(attempts) == MAX_ATTEMPTS
    assert job.status == JobStatus.FAILED.value and "mail server down" in (job.outcome or "")
    # not retried at once: the second attempt came after the back-off
    assert attempts[1] - attempts[0] >= timedelta(seconds=5)


def test_a_job_waits_for_its_time_and_outlives_the_scheduler_that_planned_it(
    engine: Engine,
) -> None:
    kind = f"later-{uuid.uuid4().hex[:6]}"
    _plan(engine, kind, 2, due=NOW + timedelta(hours=1))
    ran: list[int] = []
    first = Scheduler(make_session_factory(engine), {kind: lambda s, j, n: ran.append(j.id) or ""})
    assert first.run_due(NOW) == 0
    del first
    # a new process: its own engine, nothing in memory but the database
    other = make_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        again = Scheduler(
            make_session_factory(other), {kind: lambda s, j, n: ran.append(j.id) or ""}
        )
        assert again.run_due(NOW + timedelta(hours=1)) == 2
    finally:
        other.dispose()
    assert len(ran) == 2


def test_cancelled_jobs_do_not_run(engine: Engine) -> None:
    kind = f"cancel-{uuid.uuid4().hex[:6]}"
    _plan(engine, kind, 3)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        assert scheduler.cancel(session, f"test:{kind}") == 3
    ran: list[int] = []
    Scheduler(factory, {kind: lambda s, j, n: ran.append(j.id) or ""}).run_due(NOW)
    assert ran == [] and {j.status for j in _jobs(engine, kind)} == {"cancelled"}
