"""The confirmed writes a chat surface offers on a lead ("assign to me", "snooze"), for any interface.

Glue only: who may act on a lead is the read tools' visibility rule (a rep sees their own leads
and unassigned ones; managers and admins see all), so a rep can claim an unassigned lead but not
take another rep's. The writes themselves are tools/routing/assignment.py's, audited with the person as
the actor. Interfaces call these only after the person confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead
from leadpilot.memory.reps import get_rep
from leadpilot.settings import get_settings
from leadpilot.tools.routing import AssignmentError, assign_lead, snooze_lead
from leadpilot.tools.leads import Viewer
from leadpilot.tools.leads import get_lead_profile
from leadpilot.tools.crm import queue_decision


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    message: str
    lead: dict[str, Any] = field(default_factory=dict)


def not_visible(lead_id: int) -> str:
    return f"Lead {lead_id} is not one you can act on: it does not exist or belongs to another rep. Ask a manager to reassign it."


def visible_lead(db: Database, *, viewer: Viewer, lead_id: int) -> dict[str, Any] | None:
    """The lead as the viewer may see it (None: no such lead, or not theirs to see)."""
    with db.read_only(timeout_ms=get_settings().query_timeout_ms) as session:
        return get_lead_profile(session, lead_id=lead_id, viewer=viewer)


def visible_rows(db: Database, *, viewer: Viewer, leads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those of `leads` (rows remembered from someone's answer) that `viewer` may see now: a list
    shown in a channel is paged for whoever clicks, through their own eyes (memory.visibility)."""
    from leadpilot.memory.visibility import visible_lead_ids

    with db.read_only(timeout_ms=get_settings().query_timeout_ms) as session:
        seen = visible_lead_ids(session, viewer, [lead.get("id") for lead in leads])
    return [lead for lead in leads if lead.get("id") in seen]


def assign_to_me(db: Database, *, viewer: Viewer, lead_id: int, now: datetime, via: str) -> ActionResult:
    """Give the lead to the person asking (a rep), after they confirmed; audited with them as actor."""
    if viewer.rep_id is None:
        return ActionResult(False, "Only a rep can take a lead, and you are not linked to one.")
    with db.transaction() as session:
        lead = get_lead_profile(session, lead_id=lead_id, viewer=viewer)
        if lead is None:
            return ActionResult(False, not_visible(lead_id))
        rep = get_rep(session, rep_id=viewer.rep_id)
        if rep is None:
            return ActionResult(False, "Your rep record is gone; ask an admin.")
        try:
            assignment = assign_lead(session, lead_id=lead_id, rep=rep, actor=viewer.email or rep.email,
                                     reason=f"claimed by {rep.name} in {via}", now=now)
        except AssignmentError as error:
            return ActionResult(False, str(error), lead)
        # The CRM, the owner's email and the outgoing webhooks hear of it as of a routing decision,
        # through the outbox in this same transaction (nothing is queued when none is configured).
        queue_decision(session, settings=get_settings(), lead=session.get(Lead, lead_id), step="route", at=now,
                       data={"owner": rep.email, "owner_name": rep.name, "rule": "manual", "reason": assignment.reason})
        name = rep.name
    return ActionResult(True, f"{lead.get('company') or 'Lead ' + str(lead_id)} (lead {lead_id}) is now assigned to {name}.", lead)


def snooze(db: Database, *, viewer: Viewer, lead_id: int, days: int, now: datetime) -> ActionResult:
    """Snooze the lead for `days` days, after the person confirmed; audited with them as actor."""
    with db.transaction() as session:
        lead = get_lead_profile(session, lead_id=lead_id, viewer=viewer)
        if lead is None:
            return ActionResult(False, not_visible(lead_id))
        try:
            until = snooze_lead(session, lead_id=lead_id, days=days, actor=viewer.email or "admin", now=now)
        except AssignmentError as error:
            return ActionResult(False, str(error), lead)
    return ActionResult(True, f"{lead.get('company') or 'Lead ' + str(lead_id)} (lead {lead_id}) is snoozed until {until.date().isoformat()}.", lead)


def score_lines(breakdown: dict[str, Any] | None) -> list[str]:
    """A stored score breakdown as readable lines, in the scoring tool's own wording."""
    if not breakdown:
        return []
    try:
        from leadpilot.tools.scoring import breakdown_lines
    except ImportError:  # rule scoring not installed: the categories plainly
        return [f"{name} +{part.get('points', 0)}" for name, part in (breakdown.get("categories") or {}).items()]
    return breakdown_lines(breakdown)
