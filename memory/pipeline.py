"""The capture pipeline's durable state: receipts, the job queue, its history, tasks and nurture.

A captured lead is stored together with a `CaptureReceipt` (what makes a repeat post a repeat)
and a `PipelineJob` in one transaction; workers then claim jobs from the table. A job's `result`
holds one checkpoint per finished step, written in the same transaction as that step's effects
and fenced by the claim token (`lease_owner`), so a worker that lost its lease cannot commit
anything and a restarted worker resumes after the last finished step: nothing lost, nothing
done twice.

Queue timing (leases, backoff) runs on the wall clock, not on `LEADPILOT_NOW`, which pins
business time only: a pinned clock must not freeze retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadpilot.memory.models import Base


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"  # out of attempts: waits for POST /leads/{id}/retry


class CaptureReceipt(Base):
    """One per distinct capture key: the Idempotency-Key, else source + external_id, else email."""

    __tablename__ = "capture_receipts"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column()
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    last_repeat_at: Mapped[datetime | None] = mapped_column()


class PipelineJob(Base):
    """The processing of one captured lead."""

    __tablename__ = "pipeline_jobs"
    __table_args__ = (Index("ix_pipeline_jobs_status_available", "status", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column()  # not claimed before (backoff)
    lease_owner: Mapped[str | None] = mapped_column(String(64))  # claim token of the worker holding it
    lease_until: Mapped[datetime | None] = mapped_column()
    last_step: Mapped[str | None] = mapped_column(String(24))
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # step -> checkpoint
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class PipelineEvent(Base):
    """What happened to a lead in the pipeline, step by step: its processing history."""

    __tablename__ = "pipeline_events"
    __table_args__ = (Index("ix_pipeline_events_lead_at", "lead_id", "at"), Index("ix_pipeline_events_step", "step"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(24))  # capture | dedup | enrich | ... | retry | dead
    outcome: Mapped[str] = mapped_column(String(12))  # ok | fallback | skipped | repeat | error | dead | queued
    message: Mapped[str] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column()


class FollowUpTask(Base):
    """Something a rep should do for a lead, and by when."""

    __tablename__ = "follow_up_tasks"
    __table_args__ = (Index("ix_follow_up_tasks_rep_due", "rep_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # call | email
    due_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | done | cancelled
    created_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(64), default="pipeline")


class NurtureEnrollment(Base):
    """A cold lead working through a nurture sequence from config/pipeline.yaml."""

    __tablename__ = "nurture_enrollments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    sequence: Mapped[str] = mapped_column(String(64))
    next_step: Mapped[int] = mapped_column(Integer, default=0)  # index into the sequence's steps
    next_touch_at: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | completed | stopped
    stop_reason: Mapped[str | None] = mapped_column(Text)
    enrolled_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


def wall_clock() -> datetime:
    """Queue time (leases, backoff): always real, never pinned."""
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------
# Receipts and enqueueing


def find_receipts(session: Session, *, keys: list[str]) -> dict[str, CaptureReceipt]:
    """The receipts of those of `keys` seen before, by key."""
    return {r.key: r for r in session.scalars(select(CaptureReceipt).where(CaptureReceipt.key.in_(keys)))} if keys else {}


def add_receipt(session: Session, *, key: str, lead_id: int, body_sha256: str, at: datetime) -> None:
    session.add(CaptureReceipt(key=key, lead_id=lead_id, body_sha256=body_sha256, received_at=at, repeats=0))


def note_repeats(session: Session, *, keys: list[str], at: datetime) -> None:
    """Count one repeat per entry of `keys` (a key listed twice was posted twice more)."""
    if keys:
        receipts = CaptureReceipt.__table__
        session.execute(update(receipts).where(receipts.c.key == bindparam("b_key"))
                        .values(repeats=receipts.c.repeats + 1, last_repeat_at=at), [{"b_key": key} for key in keys])


def enqueue(session: Session, *, lead_ids: list[int], at: datetime) -> dict[int, PipelineJob]:
    """The job of each lead: created queued, or the existing one (a lead is processed once)."""
    jobs = {job.lead_id: job for job in session.scalars(select(PipelineJob).where(PipelineJob.lead_id.in_(lead_ids)))} if lead_ids else {}
    for lead_id in dict.fromkeys(lead_ids):
        if lead_id not in jobs:
            jobs[lead_id] = PipelineJob(lead_id=lead_id, status=JobStatus.QUEUED.value, attempts=0, available_at=at, result={},
                                        created_at=at, updated_at=at)
            session.add(jobs[lead_id])
    session.flush()
    return jobs


def add_event(session: Session, *, lead_id: int, step: str, outcome: str, message: str, at: datetime,
              duration_ms: float | None = None, attempt: int = 0) -> None:
    session.add(PipelineEvent(lead_id=lead_id, step=step, outcome=outcome, message=message[:4000], at=at,
                              duration_ms=duration_ms, attempt=attempt))


# ---------------------------------------------------------------------------------------------
# Claiming, fencing, finishing


def _claimable(at: datetime):
    return or_(
        and_(PipelineJob.status == JobStatus.QUEUED.value, PipelineJob.available_at <= at),
        and_(PipelineJob.status == JobStatus.RUNNING.value, PipelineJob.lease_until < at),  # its worker died
    )


def claim_jobs(session: Session, *, token: str, limit: int, lease_s: float, at: datetime) -> list[PipelineJob]:
    """Claim up to `limit` jobs for the worker holding `token`; the caller commits.

    One UPDATE over a sub-select: atomic on SQLite (the statement holds the write lock) and, with
    FOR UPDATE SKIP LOCKED on PostgreSQL, concurrent workers take different jobs without waiting.
    """
    wanted = select(PipelineJob.id).where(_claimable(at)).order_by(PipelineJob.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        wanted = wanted.with_for_update(skip_locked=True)
    session.execute(
        update(PipelineJob)
        .where(PipelineJob.id.in_(wanted.scalar_subquery()))
        .values(status=JobStatus.RUNNING.value, lease_owner=token, lease_until=at + timedelta(seconds=lease_s),
                attempts=PipelineJob.attempts + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(select(PipelineJob).where(PipelineJob.lease_owner == token,
                                                         PipelineJob.status == JobStatus.RUNNING.value)))


def renew_leases(session: Session, *, job_ids: list[int], token: str, until: datetime, at: datetime) -> set[int]:
    """Extend the lease of those of `job_ids` that `token` still holds; the ids it holds.

    Run first in a worker's transaction, this UPDATE keeps the jobs its own until the commit (the
    rows stay locked on PostgreSQL; SQLite's write lock is held), so no other worker can take them
    while the transaction runs. It also makes SQLite's driver open the transaction (it does so
    before the first write): a SAVEPOINT opened before that would start a transaction of its own,
    and releasing it would commit early.
    """
    if not job_ids:
        return set()
    held = session.scalars(
        update(PipelineJob)
        .where(PipelineJob.id.in_(job_ids), PipelineJob.lease_owner == token, PipelineJob.status == JobStatus.RUNNING.value)
        .values(lease_until=until, updated_at=at)
        .returning(PipelineJob.id)
        .execution_options(synchronize_session=False)
    )
    return set(held)


def fence(session: Session, *, job_id: int, token: str, values: dict[str, Any]) -> bool:
    """Update the job only while `token` still holds it. False = the lease was lost: roll back."""
    done = session.execute(
        update(PipelineJob)
        .where(PipelineJob.id == job_id, PipelineJob.lease_owner == token, PipelineJob.status == JobStatus.RUNNING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


@dataclass(frozen=True)
class StepRecord:
    """One job's finished step: its new checkpoint and the history event that says what happened."""

    job_id: int
    lead_id: int
    step: str
    result: dict[str, Any]  # the job's whole checkpoint, this step included
    outcome: str
    message: str
    duration_ms: float | None
    attempt: int


def record_steps(session: Session, *, token: str, at: datetime, records: list[StepRecord], finished: bool = False) -> bool:
    """Write the records' events and checkpoints, two statements for a whole batch, the checkpoints
    fenced by `token`; `finished` also marks the jobs done and lets their leases go. False when a
    job was no longer held: the caller must roll back."""
    if not records:
        return True
    jobs = PipelineJob.__table__
    values: dict[str, Any] = {"result": bindparam("b_result", type_=jobs.c.result.type), "updated_at": at}
    if finished:
        values.update(status=JobStatus.DONE.value, finished_at=at, lease_owner=None, lease_until=None, last_error=None)
    else:
        values["last_step"] = bindparam("b_step")
    written = session.execute(
        update(jobs).where(jobs.c.id == bindparam("b_id"), jobs.c.lease_owner == token, jobs.c.status == JobStatus.RUNNING.value)
        .values(**values),
        [{"b_id": r.job_id, "b_result": r.result} | ({} if finished else {"b_step": r.step}) for r in records],
    ).rowcount
    session.execute(insert(PipelineEvent.__table__), [
        {"lead_id": r.lead_id, "step": r.step, "outcome": r.outcome, "message": r.message[:4000], "at": at,
         "duration_ms": r.duration_ms, "attempt": r.attempt} for r in records])
    return written == len(records)


def requeue(session: Session, *, lead_id: int, at: datetime, reason: str, actor: str) -> PipelineJob | None:
    """Put a lead's job back in the queue with fresh attempts (POST /leads/{id}/retry). Finished
    steps keep their checkpoints, so only what did not finish runs again."""
    job = session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
    if job is None:
        return None
    job.status, job.attempts, job.available_at = JobStatus.QUEUED.value, 0, at
    job.lease_owner, job.lease_until, job.updated_at, job.finished_at = None, None, at, None
    add_event(session, lead_id=lead_id, step="retry", outcome="queued", message=f"{reason} (by {actor})", at=at)
    return job


def job_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(PipelineJob.status, func.count()).group_by(PipelineJob.status)).all()
    return {status: count for status, count in rows}
