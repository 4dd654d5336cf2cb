"""The audit trail: every change of a lead's score, tier, stage or owner, with its reason; and
policy-level entries (field "policy", no lead): who changed a policy when, from what to what, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.models import AuditEvent


def _text(value: object) -> str | None:
    return None if value is None else str(value)[:200]


def record_change(
    session: Session,
    *,
    lead_id: int,
    field: str,
    old: object,
    new: object,
    reason: str,
    at: datetime,
    actor: str = "system",
) -> AuditEvent | None:
    """Add an audit event when the value really changed; return it (None when nothing changed)."""
    if _text(old) == _text(new):
        return None
    event = AuditEvent(
        lead_id=lead_id, field=field, old_value=_text(old), new_value=_text(new), reason=reason, at=at, actor=actor
    )
    session.add(event)
    return event


def lead_history(session: Session, *, lead_id: int, field: str | None = None) -> Sequence[AuditEvent]:
    """A lead's audit events, oldest first (optionally only one field)."""
    query = select(AuditEvent).where(AuditEvent.lead_id == lead_id)
    if field is not None:
        query = query.where(AuditEvent.field == field)
    return session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)).all()


POLICY_FIELD = "policy"


def record_policy_change(
    session: Session, *, policy: str, old: str, new: str, reason: str, at: datetime, actor: str
) -> AuditEvent:
    """A policy-level audit entry: `policy` (e.g. "scoring") went from `old` to `new` (each "version:
    the values that changed"), by `actor` at `at`, because of `reason` (the numbers that justified it)."""
    event = AuditEvent(lead_id=None, field=POLICY_FIELD, old_value=_text(f"{policy} {old}"), new_value=_text(f"{policy} {new}"),
                       reason=reason, at=at, actor=actor)
    session.add(event)
    return event


def policy_changes(session: Session, *, since: datetime | None = None, limit: int = 20) -> Sequence[AuditEvent]:
    """The latest policy-level audit entries (newest first), optionally only those after `since`."""
    query = select(AuditEvent).where(AuditEvent.field == POLICY_FIELD, AuditEvent.lead_id.is_(None))
    if since is not None:
        query = query.where(AuditEvent.at > since)
    return session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()
