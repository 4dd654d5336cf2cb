"""Reps: the people leads are routed to, their coverage and availability."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from leadpilot.memory.models import Lead, Rep, RepTimeOff
from leadpilot.memory.vocab import OPEN_STAGES

REP_FIELDS = frozenset(
    {
        "name", "slack_user_id", "team", "role", "territories", "industries", "segments", "languages",
        "timezone", "working_hours", "capacity", "daily_cap", "routing_weight", "active", "attributes",
    }
)


def upsert_rep(session: Session, *, email: str, now: datetime, **fields: Any) -> Rep:
    """Create the rep with this email, or update the given fields of the existing one."""
    unknown = set(fields) - REP_FIELDS
    if unknown:
        raise TypeError(f"unknown rep field(s): {', '.join(sorted(unknown))}")
    email = email.strip().lower()
    rep = session.scalar(select(Rep).where(Rep.email == email))
    if rep is None:
        rep = Rep(email=email, created_at=now, name=fields.pop("name", email.split("@")[0]))
        session.add(rep)
    for key, value in fields.items():
        setattr(rep, key, value)
    session.flush()
    return rep


def get_rep(
    session: Session, *, rep_id: int | None = None, email: str | None = None, slack_user_id: str | None = None
) -> Rep | None:
    if rep_id is not None:
        return session.get(Rep, rep_id)
    if email is not None:
        return session.scalar(select(Rep).where(Rep.email == email.strip().lower()))
    if slack_user_id is not None:
        return session.scalar(select(Rep).where(Rep.slack_user_id == slack_user_id))
    raise TypeError("get_rep needs rep_id, email or slack_user_id")


def list_reps(session: Session, *, active_only: bool = False) -> Sequence[Rep]:
    query = select(Rep).options(selectinload(Rep.time_off)).order_by(Rep.id)
    if active_only:
        query = query.where(Rep.active.is_(True))
    return session.scalars(query).all()


def rep_ids_by_email(session: Session) -> dict[str, int]:
    return {email: rep_id for rep_id, email in session.execute(select(Rep.id, Rep.email))}


def add_time_off(
    session: Session, *, rep_id: int, starts_at: datetime, ends_at: datetime, reason: str | None = None
) -> RepTimeOff:
    if ends_at <= starts_at:
        raise ValueError("time off must end after it starts")
    period = RepTimeOff(rep_id=rep_id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(period)
    session.flush()
    return period


def is_out_of_office(rep: Rep, *, at: datetime) -> RepTimeOff | None:
    """The time-off period covering `at`, if any."""
    for period in rep.time_off:
        if period.starts_at <= at < period.ends_at:
            return period
    return None


def open_lead_counts(session: Session) -> dict[int, int]:
    """Open (not won or lost) leads per rep id."""
    query = (
        select(Lead.owner_id, func.count())
        .where(Lead.owner_id.is_not(None), Lead.stage.in_([s.value for s in OPEN_STAGES]))
        .group_by(Lead.owner_id)
    )
    return {rep_id: count for rep_id, count in session.execute(query)}
