"""The audit trail: every change of a lead's score, tier, stage or owner, with its reason."""

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
