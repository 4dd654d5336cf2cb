"""Why does this rep have this lead? The latest routing decision recorded for a lead (its rule,
reason, candidates and policy version) and the owner changes since, answered from the audit.

Agent-facing function (typed, docstring, plain-data return): `explain_assignment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadpilot.memory.assignments import lead_assignments
from leadpilot.memory.audit import lead_history
from leadpilot.memory.models import Assignment, Lead
from leadpilot.tools.routing.decision import FALLBACK_RULE, STRATEGY_LABELS
from leadpilot.tools.routing.router import _find_rep

__all__ = ["explain_assignment"]


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _decision_of(assignment: Assignment) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    entries = assignment.candidates or []
    summary = next((e for e in entries if isinstance(e, dict) and e.get("kind") == "decision"), {})
    candidates = [e for e in entries if isinstance(e, dict) and e.get("kind", "candidate") == "candidate"]
    return summary, candidates


def _candidate_text(candidate: Mapping[str, Any]) -> str:
    name = candidate.get("name") or candidate.get("rep")
    if candidate.get("status") == "excluded":
        return f"{name} (excluded: {'; '.join(candidate.get('excluded_because') or [])})"
    if candidate.get("scored"):
        return f"{name} ({candidate['scored']})"
    return str(name if not candidate.get("why") else f"{name} ({candidate['why']})")


def explain_assignment(session: Session, *, lead_id: int, rep: str | None = None) -> dict[str, Any]:
    """Why does this rep have this lead? Answered from the audit: the latest assignment's rule,
    reason, candidates and policy version, and the owner changes since.

    `rep` (email or name, optional) is who the question is about; the answer says so when they are
    not the owner. Returns {"lead_id", "company", "owner", "assignment", "owner_history", "answer"}.
    """
    lead = session.get(Lead, lead_id)
    if lead is None:
        return {"lead_id": lead_id, "found": False, "answer": f"There is no lead {lead_id}."}
    owner = lead.owner
    assignments = lead_assignments(session, lead_id=lead_id)
    history = [
        {"at": e.at.isoformat(), "from": e.old_value, "to": e.new_value, "reason": e.reason, "actor": e.actor}
        for e in lead_history(session, lead_id=lead_id, field="owner")
    ]
    label = f"Lead {lead.id} ({lead.company or 'unnamed company'})"
    parts: list[str] = []
    asked = _find_rep(session, rep) if rep else None
    if rep and asked is None:
        parts.append(f"There is no rep called {rep!r}.")
    elif asked is not None and (owner is None or asked.id != owner.id):
        parts.append(f"{asked.name} does not own lead {lead.id}; " + (f"{owner.name} does." if owner else "nobody does."))
    latest = assignments[0] if assignments else None
    detail: dict[str, Any] | None = None
    if latest is None:
        if owner is None:
            parts.append(f"{label} has no owner and was never routed.")
        else:
            source = history[-1]["reason"] if history else "set when the lead was imported or seeded"
            parts.append(f"{label} is owned by {owner.name}; no routing decision is recorded (owner {source}).")
    else:
        summary, candidates = _decision_of(latest)
        who = latest.rep.name if latest.rep else f"the {summary.get('queue') or 'unassigned'} queue"
        how = f"rule '{latest.rule}'" if latest.rule not in ("account-match", FALLBACK_RULE, "manual") else (latest.rule or "a rule").replace("-", " ")
        pool = f", pool {summary['pool']} ({STRATEGY_LABELS.get(summary.get('strategy'), summary.get('strategy'))})" if summary.get("pool") else ""
        by = f"assigned by {latest.actor}" if latest.actor != "system" else "routed automatically"
        parts.append(f"{label} went to {who} on {_moment(latest.assigned_at)} by {how}{pool} ({by}). Why: {latest.reason}")
        described = [f"{kind} says: {text}" for kind, text in (("The rule", summary.get("rule_description")), ("The pool", summary.get("pool_description"))) if text]
        if described:
            parts.append(" ".join(d.rstrip(".") + "." for d in described))
        others = [c for c in candidates if c.get("status") != "chosen" and (c.get("name") or c.get("rep")) != who]
        if others:
            parts.append("Also considered: " + "; ".join(_candidate_text(c) for c in others) + ".")
        if asked is not None and owner is not None and asked.id != owner.id:
            mine = next((c for c in candidates if c.get("rep") == asked.email), None)
            if mine is not None:
                parts.append(f"{asked.name} was considered: {_candidate_text(mine)}.")
        if summary.get("policy_changes"):
            parts.append("Policy changes behind it: " + "; ".join(summary["policy_changes"]) + ".")
        if (latest.rep_id or None) != (lead.owner_id or None):
            current = owner.name if owner else "nobody"
            last = history[-1] if history else None
            since = f" ({last['reason']}, {last['at'][:16]} by {last['actor']})" if last else ""
            parts.append(f"The owner has changed since: now {current}{since}.")
        detail = {
            "assignment_id": latest.id, "rep": latest.rep.email if latest.rep else None, "at": latest.assigned_at.isoformat(),
            "rule": latest.rule, "reason": latest.reason, "actor": latest.actor, "pool": summary.get("pool"),
            "strategy": summary.get("strategy"), "policy_version": summary.get("policy_version"), "candidates": candidates,
        }
    return {
        "lead_id": lead.id,
        "found": True,
        "company": lead.company,
        "owner": owner.email if owner else None,
        "owner_name": owner.name if owner else None,
        "assignment": detail,
        "assignments": len(assignments),
        "owner_history": history,
        "answer": " ".join(parts),
    }
