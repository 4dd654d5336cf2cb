"""Discovery campaigns as a database-backed job queue (table from migration 0008).

A campaign moves queued -> running -> done | failed. A worker claims one queued campaign
atomically (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one conditional UPDATE checked by its
row count) and writes a claim token into `claimed_by`; every later write of that run is
conditional on the token, so a worker that lost its claim (its campaign was re-queued as stale
and taken by another worker) cannot overwrite the new run. A running campaign whose heartbeat is
older than the stale timeout is re-queued, or failed once it has used up its attempts.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadpilot.memory.models import Base

STATUSES = ("queued", "running", "done", "failed")
MAX_KEPT_ITEMS = 500  # rejections / duplicates kept per campaign; the counts stay exact


class Campaign(Base):
    """A discovery campaign: what to look for, where, and what came of it."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(16))  # file | llm
    criteria: Mapped[dict[str, Any]] = mapped_column()
    source_path: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | done | failed
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the running worker's claim token
    claimed_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    found_count: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_customer_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_lead_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    rejections: Mapped[list[Any]] = mapped_column(default=list)  # [{"item", "company", "reason"}]
    duplicates: Mapped[list[Any]] = mapped_column(default=list)  # [{"item", "company", "lead_id", "customer", "matched"}]
    lead_ids: Mapped[list[Any]] = mapped_column(default=list)  # leads this campaign created
    error: Mapped[str | None] = mapped_column(Text)


def worker_name() -> str:
    """This process, as named in `claimed_by`: host and pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def add_campaign(
    session: Session,
    *,
    name: str,
    provider: str,
    criteria: dict[str, Any],
    source_path: str | None,
    now: datetime,
    actor: str,
) -> Campaign:
    """Queue a campaign (arguments already validated by the caller)."""
    campaign = Campaign(
        name=name, provider=provider, criteria=criteria, source_path=source_path, status="queued",
        created_by=actor[:200], created_at=now, attempts=0, found_count=0, new_count=0,
        duplicate_customer_count=0, duplicate_lead_count=0, rejected_count=0, rejections=[], duplicates=[], lead_ids=[],
    )
    session.add(campaign)
    session.flush()
    return campaign


def requeue_stale(
    session: Session, *, now: datetime, stale_after: timedelta, max_attempts: int
) -> list[int]:
    """Re-queue running campaigns whose worker stopped sending heartbeats; fail those out of attempts.

    Returns the ids that were re-queued. The UPDATEs carry the condition, so two workers doing this
    at once cannot re-queue a campaign that was claimed again in between.
    """
    cutoff = now - stale_after
    stale = (Campaign.status == "running", Campaign.heartbeat_at < cutoff)
    # UPDATE ... RETURNING, no SELECT first: on SQLite a read-then-write transaction can fail at
    # once with "database is locked" when another worker wrote in between.
    requeued = list(session.scalars(
        update(Campaign)
        .where(*stale, Campaign.attempts < max_attempts)
        .values(
            status="queued", claimed_by=None,
            error=f"re-queued at {now.isoformat()}: the worker stopped sending heartbeats "
            f"(none for {stale_after.total_seconds():.0f} s)",
        )
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ))
    session.execute(
        update(Campaign)
        .where(*stale, Campaign.attempts >= max_attempts)
        .values(
            status="failed", finished_at=now, claimed_by=None,
            error=f"gave up after {max_attempts} attempts: each time the worker stopped mid-run "
            "(crashed or killed). Check the worker's log, then start the campaign again.",
        )
        .execution_options(synchronize_session=False)
    )
    return requeued


def claim_next(
    session: Session, *, now: datetime, worker: str, campaign_id: int | None = None
) -> tuple[Campaign, str] | None:
    """Claim the oldest queued campaign (or `campaign_id` if queued) for this worker; (campaign, token), or None.

    Commit right after: the claim is what other workers see.
    """
    token = f"{worker[:80]}:{uuid.uuid4().hex[:12]}"
    claimed = dict(status="running", claimed_by=token, claimed_at=now, heartbeat_at=now, started_at=now,
                   attempts=Campaign.attempts + 1, error=None)
    queued = select(Campaign.id).where(Campaign.status == "queued")
    if campaign_id is not None:
        queued = queued.where(Campaign.id == campaign_id)
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalar(queued.order_by(Campaign.id).limit(1).with_for_update(skip_locked=True))
        if found is None:
            return None
        session.execute(update(Campaign).where(Campaign.id == found).values(**claimed))
    else:
        # One statement: SQLite takes its write lock before reading, so two workers cannot both
        # see the same campaign as queued; the row count tells whether this one won it.
        oldest = queued.order_by(Campaign.id).limit(1).scalar_subquery()
        result = session.execute(
            update(Campaign).where(Campaign.id == oldest, Campaign.status == "queued").values(**claimed)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
    campaign = session.scalar(select(Campaign).where(Campaign.claimed_by == token))
    return (campaign, token) if campaign is not None else None


def beat(session: Session, *, campaign_id: int, token: str, now: datetime) -> bool:
    """Record that the claimed run is alive. False when the claim was lost (re-queued, taken over)."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.claimed_by == token, Campaign.status == "running")
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, *, campaign_id: int, token: str, now: datetime, status: str, **results: Any) -> bool:
    """Close the claimed run as done or failed with its results; False when the claim was lost."""
    if status not in ("done", "failed"):
        raise ValueError(f"a run finishes as done or failed, not {status!r}")
    for key in ("rejections", "duplicates"):
        if key in results:
            results[key] = list(results[key])[:MAX_KEPT_ITEMS]
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.claimed_by == token, Campaign.status == "running")
        .values(status=status, finished_at=now, heartbeat_at=now, **results)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def campaign_by_id(session: Session, *, campaign_id: int) -> Campaign | None:
    return session.get(Campaign, campaign_id, populate_existing=True)


def recent_campaigns(session: Session, *, limit: int = 100) -> Sequence[Campaign]:
    """The newest campaigns first."""
    return session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit)).all()


def campaign_as_dict(campaign: Campaign) -> dict[str, Any]:
    """A campaign as plain data: status, counts, timings and what was rejected or matched, and why."""
    duration = None
    if campaign.started_at and campaign.finished_at:
        duration = round((campaign.finished_at - campaign.started_at).total_seconds(), 3)
    return {
        "id": campaign.id,
        "name": campaign.name,
        "provider": campaign.provider,
        "status": campaign.status,
        "criteria": campaign.criteria,
        "source_path": campaign.source_path,
        "created_by": campaign.created_by,
        "created_at": campaign.created_at.isoformat(),
        "attempts": campaign.attempts,
        "claimed_by": campaign.claimed_by,
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "heartbeat_at": campaign.heartbeat_at.isoformat() if campaign.heartbeat_at else None,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "duration_s": duration,
        "counts": {
            "found": campaign.found_count,
            "new": campaign.new_count,
            "duplicate_customers": campaign.duplicate_customer_count,
            "duplicate_leads": campaign.duplicate_lead_count,
            "rejected": campaign.rejected_count,
        },
        "lead_ids": list(campaign.lead_ids or []),
        "duplicates": list(campaign.duplicates or []),
        "rejections": list(campaign.rejections or []),
        "error": campaign.error,
    }
