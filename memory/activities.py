"""Activities: what happened with a lead, in and out. Outbound touches move `last_contacted_at`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.vocab import CONTACT_KINDS, ActivityKind, Direction


def add_activity(
    session: Session,
    *,
    lead_id: int,
    kind: ActivityKind | str,
    occurred_at: datetime,
    direction: Direction | str | None = None,
    rep_id: int | None = None,
    detail: str | None = None,
    meta: dict[str, Any] | None = None,
    flush: bool = True,
) -> Activity:
    kind = ActivityKind(kind)
    if direction is None:
        direction = Direction.OUTBOUND if kind in CONTACT_KINDS or kind == ActivityKind.NOTE else Direction.INBOUND
    direction = Direction(direction)
    activity = Activity(
        lead_id=lead_id,
        kind=kind.value,
        direction=direction.value,
        occurred_at=occurred_at,
        rep_id=rep_id,
        detail=detail,
        meta=meta,
    )
    session.add(activity)
    if kind in CONTACT_KINDS and direction == Direction.OUTBOUND:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LookupError(f"no lead with id {lead_id}")
        if lead.last_contacted_at is None or occurred_at > lead.last_contacted_at:
            lead.last_contacted_at = occurred_at
    if flush:
        session.flush()
    return activity


def lead_activities(session: Session, *, lead_id: int, limit: int | None = None) -> Sequence[Activity]:
    """A lead's activities, newest first."""
    query = select(Activity).where(Activity.lead_id == lead_id).order_by(Activity.occurred_at.desc(), Activity.id)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()
