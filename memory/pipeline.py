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

from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, and_, func, or_, select, update
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


def find_receipt(session: Session, *, keys: list[str]) -> CaptureReceipt | None:
    """The receipt of the first key (in the order given) that was seen before."""
    found = {r.key: r for r in session.scalars(select(CaptureReceipt).where(CaptureReceipt.key.in_(keys)))}
    return next((found[k] for k in keys if k in found), None)


def add_receipt(session: Session, *, key: str, lead_id: int, body_sha256: str, at: datetime) -> None:
    session.add(CaptureReceipt(key=key, lead_id=lead_id, body_sha256=body_sha256, received_at=at, repeats=0))


def note_repeat(session: Session, *, receipt: CaptureReceipt, at: datetime) -> None:
    session.execute(
        update(CaptureReceipt)
        .where(CaptureReceipt.key == receipt.key)
        .values(repeats=CaptureReceipt.repeats + 1, last_repeat_at=at)
    )


def enqueue(session: Session, *, lead_id: int, at: datetime) -> PipelineJob:
    """The job for `lead_id`: created queued, or the existing one (a lead is processed once)."""
    job = session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
    if job is None:
        job = PipelineJob(lead_id=lead_id, status=JobStatus.QUEUED.value, attempts=0, available_at=at, result={},
                          created_at=at, updated_at=at)
        session.add(job)
        session.flush()
    return job


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


def fence(session: Session, *, job_id: int, token: str, values: dict[str, Any]) -> bool:
    """Update the job only while `token` still holds it. False = the lease was lost: roll back."""
    done = session.execute(
        update(PipelineJob)
        .where(PipelineJob.id == job_id, PipelineJob.lease_owner == token, PipelineJob.status == JobStatus.RUNNING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


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
