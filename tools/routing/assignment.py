"""Writes on a lead that a person asked for: assign it, snooze it. Interfaces confirm before calling.

These are the only writes the chat surfaces can trigger, and never straight from a model's output:
the agent proposes, the interface asks the person, and only their confirmation calls these.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadpilot.memory.assignments import record_assignment
from leadpilot.memory.audit import record_change
from leadpilot.memory.models import Assignment, Lead, Rep


class AssignmentError(ValueError):
    """The assignment cannot happen; the message says why."""


def assign_lead(
    session: Session, *, lead_id: int, rep: Rep, actor: str, reason: str, now: datetime, rule: str = "manual"
) -> Assignment:
    """Give a lead to a rep on a person's request, audited with who asked and why."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise AssignmentError(f"There is no lead {lead_id}.")
    if not rep.active:
        raise AssignmentError(f"{rep.name} is not an active rep.")
    if lead.owner_id == rep.id:
        raise AssignmentError(f"Lead {lead_id} ({lead.company}) is already assigned to {rep.name}.")
    previous = lead.owner.email if lead.owner is not None else "nobody"
    return record_assignment(
        session,
        lead=lead,
        rep=rep,
        rule=rule,
        reason=reason,
        candidates=[{"rep": rep.email, "chosen": True, "why": f"requested by {actor}; previously {previous}"}],
        at=now,
        actor=actor,
    )


def snooze_lead(session: Session, *, lead_id: int, days: int, actor: str, now: datetime) -> datetime:
    """Hide a lead from reminders and alerts for `days` days; returns when the snooze ends."""
    if not 1 <= days <= 90:
        raise AssignmentError("A snooze lasts 1 to 90 days.")
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise AssignmentError(f"There is no lead {lead_id}.")
    until = now + timedelta(days=days)
    record_change(session, lead_id=lead.id, field="snooze", old=lead.snoozed_until, new=until.isoformat(), reason=f"snoozed {days} days", at=now, actor=actor)
    lead.snoozed_until = until
    lead.updated_at = now
    session.flush()
    return until
