"""Jobs that run at a time, stored in the database: they survive restarts, and with several api
workers (or two schedulers on one PostgreSQL database) each job runs once.

A job is planned under a ``key`` that names what it is for (``sla_breach:first_response:12:…``):
planning the same key again is a no-op, so a job that has run is never planned a second time.
A scheduler takes one due job per transaction — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
conditional ``UPDATE`` on both engines — marks it done and runs its handler in that same
transaction: the job's effect and its "done" commit together or not at all. A handler that
fails leaves the job pending for a retry with back-off; after ``MAX_ATTEMPTS`` it is kept as
``failed`` with its error, for a person to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CheckConstraint,
    CursorResult,
    Executable,
    Index,
    Integer,
    String,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from tierzero.db import Base, unit_of_work, utcnow

log = logging.getLogger("tierzero.scheduler")

MAX_ATTEMPTS = 5
#: How long finished jobs are kept (what ran when, for support and debugging).
KEEP_FINISHED = timedelta(days=30)


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ScheduledJob(Base):
    __tablename__ = "scheduled_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: What the job is for; unique, so planning it twice (or after it ran) does nothing.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: What it is about (``ticket:12``, ``conversation:7``): cancelled together.
    subject: Mapped[str] = mapped_column(String(60), index=True)
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: What the handler said it did (or the last error).
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("status in ('pending','done','cancelled','failed')", name="status"),
        Index("ix_scheduled_jobs_due", "status", "due_at"),
    )


#: A handler gets the job (already marked done) inside its transaction and says what it did.
Handler = Callable[[Session, ScheduledJob, datetime], str]


def plan(
    session: Session,
    *,
    kind: str,
    key: str,
    subject: str,
    due_at: datetime,
    data: Mapping[str, Any] | None = None,
) -> bool:
    """Plan a job unless one with ``key`` exists (pending, run or cancelled); True if planned."""
    exists = session.scalar(select(ScheduledJob.id).where(ScheduledJob.key == key))
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                ScheduledJob(
                    kind=kind, key=key, subject=subject, due_at=due_at, data=dict(data or {}),
                    status=JobStatus.PENDING.value, attempts=0, created_at=utcnow(),
                )
            )  # fmt: skip
            session.flush()
    except IntegrityError:  # planned by another worker at the same moment
        return False
    return True


def cancel(session: Session, subject: str, *, kinds: tuple[str, ...] = ()) -> int:
    """Cancel the pending jobs about ``subject`` (of ``kinds``, or all)."""
    stmt = (
        update(ScheduledJob)
        .where(ScheduledJob.subject == subject, ScheduledJob.status == JobStatus.PENDING.value)
        .values(status=JobStatus.CANCELLED.value, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if kinds:
        stmt = stmt.where(ScheduledJob.kind.in_(kinds))
    return _changed(session, stmt)


def jobs_about(session: Session, subject: str) -> list[ScheduledJob]:
    return list(
        session.scalars(
            select(ScheduledJob).where(ScheduledJob.subject == subject).order_by(ScheduledJob.id)
        )
    )


def has_due(session: Session, now: datetime) -> bool:
    """Is any job due? (a read: the round takes a write transaction only when there is work)"""
    return (
        session.scalar(
            select(ScheduledJob.id)
            .where(ScheduledJob.status == JobStatus.PENDING.value, ScheduledJob.due_at <= now)
            .limit(1)
        )
        is not None
    )


def _changed(session: Session, stmt: Executable) -> int:
    """Rows an UPDATE or DELETE changed."""
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount or 0


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


class Scheduler:
    """Runs due jobs through their handlers (one job per transaction)."""

    def __init__(self, session_factory: sessionmaker[Session], handlers: Mapping[str, Handler]):
        self._factory = session_factory
        self._handlers = dict(handlers)

    def run_due(self, now: datetime, *, limit: int = 200) -> int:
        """Run up to ``limit`` jobs due at ``now``; returns how many ran."""
        ran = 0
        for _ in range(limit):
            job_id: int | None = None
            try:
                with unit_of_work(self._factory) as session:
                    job = self._take(session, now)
                    if job is None:
                        return ran
                    job_id = job.id
                    handler = self._handlers.get(job.kind)
                    if handler is None:
                        job.status, job.outcome = JobStatus.FAILED.value, "no handler for kind"
                    else:
                        job.outcome = handler(session, job, now)[:500]
                ran += 1
            except Exception as exc:
                if job_id is None:
                    raise
                log.exception("scheduled job %s failed", job_id)
                self._retry_later(job_id, now, exc)
        return ran

    def _take(self, session: Session, now: datetime) -> ScheduledJob | None:
        while True:
            job = session.scalars(
                select(ScheduledJob)
                .where(ScheduledJob.status == JobStatus.PENDING.value, ScheduledJob.due_at <= now)
                .order_by(ScheduledJob.due_at, ScheduledJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return None
            taken = _changed(
                session,
                update(ScheduledJob)
                .where(ScheduledJob.id == job.id, ScheduledJob.status == JobStatus.PENDING.value)
                .values(status=JobStatus.DONE.value, finished_at=now,
                        attempts=ScheduledJob.attempts + 1)
                .execution_options(synchronize_session=False),
            )  # fmt: skip
            if taken:
                session.refresh(job)
                return job

    def _retry_later(self, job_id: int, now: datetime, exc: Exception) -> None:
        with unit_of_work(self._factory) as session:
            job = session.get(ScheduledJob, job_id)
            if job is None or job.status != JobStatus.PENDING.value:
                return
            job.attempts += 1
            job.outcome = f"{type(exc).__name__}: {exc}"[:500]
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.finished_at = JobStatus.FAILED.value, now
            else:
                job.due_at = now + _backoff(job.attempts)

    def purge(self, now: datetime) -> int:
        """Forget finished jobs older than KEEP_FINISHED (keys of done jobs go with them; by then
        nothing plans them again: their tickets are long past those deadlines)."""
        with unit_of_work(self._factory) as session:
            return _changed(
                session,
                delete(ScheduledJob).where(
                    ScheduledJob.status != JobStatus.PENDING.value,
                    ScheduledJob.finished_at < now - KEEP_FINISHED,
                ),
            )
