"""Assignments: who got a lead, by which rule, why, and which candidates were considered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.models import Assignment, Lead, Rep


def record_assignment(
    session: Session,
    *,
    lead: Lead,
    rep: Rep | None,
    rule: str | None,
    reason: str,
    candidates: list[dict[str, Any]],
    at: datetime,
    actor: str = "system",
    flush: bool = True,
) -> Assignment:
    """Give `lead` to `rep` (None = the unassigned queue), keep the decision and audit the change.
    `flush=False`: a batch writing many assignments flushes them together (same rows, same order)."""
    old_owner = lead.owner.email if lead.owner is not None else None
    assignment = Assignment(
        lead_id=lead.id,
        rep_id=rep.id if rep is not None else None,
        assigned_at=at,
        rule=rule,
        reason=reason,
        candidates=candidates,
        actor=actor,
    )
    session.add(assignment)
    lead.owner = rep
    lead.owner_id = rep.id if rep is not None else None
    lead.updated_at = at
    record_change(
        session,
        lead_id=lead.id,
        field="owner",
        old=old_owner,
        new=rep.email if rep is not None else None,
        reason=f"{rule}: {reason}" if rule else reason,
        at=at,
        actor=actor,
    )
    if flush:
        session.flush()
    return assignment


def lead_assignments(session: Session, *, lead_id: int) -> Sequence[Assignment]:
    """A lead's assignments, newest first."""
    query = select(Assignment).where(Assignment.lead_id == lead_id).order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
    return session.scalars(query).all()
