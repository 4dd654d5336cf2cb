"""Lead routing: who should take a lead and why, the write that assigns it, "why does this rep have
this lead?", and what-if runs over a batch under a changed roster or policy.

Every function takes the session, the policy and `now` as arguments (nothing reads the clock or a
global policy). Dry runs only read, so they work in the agent's read-only sessions; the writes
(`assign_routed`, `route_lead(dry_run=False)`, `assign_by_policy`) are for interfaces that have the
person's confirmation, like tools/routing/assignment.py. The decision logic is in routing_engine.py.

Agent-facing functions (typed, docstrings, plain-data returns): `suggest_owner`,
`explain_assignment`, `routing_what_if`; `assign_by_policy` is the confirmed write.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory.assignments import lead_assignments, record_assignment
from leadpilot.memory.audit import lead_history
from leadpilot.memory.company_names import company_key
from leadpilot.memory.models import Assignment, Lead, Rep
from leadpilot.memory.vocab import OPEN_STAGES
from leadpilot.tools.routing.assignment import AssignmentError
from leadpilot.tools.routing.decision import FALLBACK_RULE, STRATEGY_LABELS, PointerMove, RoutingDecision
from leadpilot.tools.routing.engine import decide, fairness
from leadpilot.tools.routing.facts import LeadFacts, RepFacts, RoutingSnapshot, TimeOff, whole_day
from leadpilot.tools.routing.policy import RoutingPolicy, policy_diff
from leadpilot.tools.routing.store import (
    AccountIndex,
    find_account_owner,
    key_word,
    lead_facts,
    load_snapshot,
    save_pointer,
    unassigned_open_lead_ids,
)

__all__ = [
    "AddToPool", "AssignmentError", "RemoveFromPool", "RepInactive", "RepOut", "RoutingDecision", "RoutingInputError",
    "SetCapacity", "assign_by_policy", "assign_routed", "explain_assignment", "route_lead", "route_leads",
    "routing_what_if", "suggest_owner", "what_if",
]


class RoutingInputError(ValueError):
    """A lead, rep, pool or day that routing cannot find; the message says what exists."""


# ---------------------------------------------------------------------------------------------
# Routing one lead, a batch, and the write


def _facts(session: Session, lead: Lead | LeadFacts | Mapping[str, Any] | int) -> LeadFacts:
    if isinstance(lead, LeadFacts):
        return lead
    if isinstance(lead, int):
        stored = session.get(Lead, lead)
        if stored is None:
            raise RoutingInputError(f"There is no lead {lead}.")
        return LeadFacts.of(stored)
    return LeadFacts.of(lead)


def route_lead(
    session: Session,
    *,
    lead: Lead | LeadFacts | Mapping[str, Any] | int,
    policy: RoutingPolicy,
    now: datetime,
    dry_run: bool = True,
    actor: str = "system",
    snapshot: RoutingSnapshot | None = None,
    accounts: AccountIndex | None = None,
) -> RoutingDecision:
    """Decide who gets `lead` (a stored lead, its id, or lead fields) and why.

    Dry run (default): reads only. `dry_run=False` also records the assignment (audited, with the
    decision's reason and candidates) and moves the pool's round-robin pointer. Leads routed one
    after another can share one read of the roster, a `snapshot` from load_snapshot (pointers
    locked when writing), and of their account owners, `accounts` (AccountIndex.for_leads): each
    decision is recorded in them, as in `route_leads`.
    """
    facts = _facts(session, lead)
    shared = snapshot is not None
    if snapshot is None:
        snapshot = load_snapshot(session, policy=policy, now=now, lock_pointers=not dry_run)
    matching = policy.account_matching
    account = None
    if matching.enabled:
        account = (accounts.owner_of(facts, match_on=matching.match_on) if accounts is not None
                   else find_account_owner(session, lead=facts, match_on=matching.match_on))
    decision = decide(lead=facts, account=account, snapshot=snapshot, policy=policy, now=now)
    if not dry_run:
        assign_routed(session, decision=decision, now=now, actor=actor)
    if shared:
        snapshot.record(decision)
    if accounts is not None and decision.owner_id is not None:
        accounts.add(lead_id=facts.id, owner_id=decision.owner_id, company=facts.company, domain=facts.domain)
    return decision


def assign_routed(
    session: Session, *, decision: RoutingDecision, now: datetime, actor: str = "system", move_pointer: bool = True
) -> Assignment:
    """Record a routing decision: the lead's new owner (or queue), an Assignment with the decision's
    reason and every candidate, the owner audit event, and the pool pointer's move."""
    if decision.lead_id is None:
        raise AssignmentError("This lead is not in the store yet; import it before assigning it.")
    lead = session.get(Lead, decision.lead_id)
    if lead is None:
        raise AssignmentError(f"There is no lead {decision.lead_id}.")
    rep = session.get(Rep, decision.owner_id) if decision.owner_id is not None else None
    if rep is not None and lead.owner_id == rep.id:
        raise AssignmentError(f"Lead {lead.id} ({lead.company}) is already assigned to {rep.name}.")
    assignment = record_assignment(
        session, lead=lead, rep=rep, rule=decision.rule, reason=decision.audit_reason(),
        candidates=decision.audit_candidates(), at=now, actor=actor,
    )
    if decision.pointer is not None and move_pointer:
        save_pointer(session, move=decision.pointer, now=now)
    session.flush()
    decision.dry_run = False
    return assignment


def _route_batch(
    leads: Sequence[LeadFacts], *, snapshot: RoutingSnapshot, accounts: AccountIndex | None, policy: RoutingPolicy, now: datetime
) -> list[RoutingDecision]:
    """Route leads one after another as new arrivals: each decision updates loads, pointers and accounts."""
    decisions = []
    match_on = policy.account_matching.match_on
    for lead in leads:
        account = accounts.owner_of(lead, match_on=match_on) if accounts is not None else None
        decision = decide(lead=lead, account=account, snapshot=snapshot, policy=policy, now=now)
        snapshot.record(decision)
        if accounts is not None and decision.owner_id is not None:
            accounts.add(lead_id=lead.id, owner_id=decision.owner_id, company=lead.company, domain=lead.domain)
        decisions.append(decision)
    return decisions


def route_leads(
    session: Session, *, lead_ids: Sequence[int], policy: RoutingPolicy, now: datetime, dry_run: bool = True, actor: str = "system"
) -> list[RoutingDecision]:
    """Route a batch of (unassigned) leads in order, as if they arrived one after another at `now`.
    With dry_run=False each decision is recorded as it is made."""
    snapshot = load_snapshot(session, policy=policy, now=now, lock_pointers=not dry_run)
    accounts = AccountIndex.load(session) if policy.account_matching.enabled else None
    decisions = _route_batch(lead_facts(session, lead_ids=lead_ids), snapshot=snapshot, accounts=accounts, policy=policy, now=now)
    if not dry_run:
        loaded = _load_leads(session, lead_ids)  # one query, not one per assignment; kept in the identity map
        for decision in decisions:
            assign_routed(session, decision=decision, now=now, actor=actor, move_pointer=False)
        for pool in {d.pointer.pool for d in decisions if d.pointer is not None}:  # where each pool ended up, written once
            pointer = snapshot.pointers[pool]
            save_pointer(session, move=PointerMove(pool, pointer.position, pointer.last_rep_id), now=now)
        session.flush()
        del loaded
    return decisions


def _load_leads(session: Session, lead_ids: Sequence[int]) -> list[Lead]:
    leads: list[Lead] = []
    for start in range(0, len(lead_ids), 5000):
        leads += session.scalars(select(Lead).where(Lead.id.in_(list(lead_ids[start : start + 5000])))).all()
    return leads


def assign_by_policy(session: Session, *, lead_id: int, policy: RoutingPolicy, now: datetime, actor: str) -> dict[str, Any]:
    """The confirmed write behind "assign it": route lead `lead_id` now and record the assignment.
    Interfaces call this only after the person confirmed. Raises AssignmentError / RoutingInputError."""
    decision = route_lead(session, lead=lead_id, policy=policy, now=now, dry_run=False, actor=actor)
    return {"assigned": True, "decision": decision.to_dict(), "answer": _short_answer(decision, assigned=True)}


# ---------------------------------------------------------------------------------------------
# "Why does this rep have this lead?"


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


# ---------------------------------------------------------------------------------------------
# Finding reps and leads by what people call them


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class NamedRep(Protocol):
    email: str
    name: str


R = TypeVar("R", bound=NamedRep)


def resolve_rep(reps: Mapping[str, R] | Sequence[R], text: str) -> R:
    """A rep by email, full name, email handle ("maya.chen") or unique first name, accents aside."""
    pool = list(reps.values()) if isinstance(reps, Mapping) else list(reps)
    wanted = _fold(text)
    for test in (
        lambda r: _fold(r.email) == wanted,
        lambda r: _fold(r.name) == wanted,
        lambda r: _fold(r.email.split("@")[0]) == wanted,
    ):
        found = [r for r in pool if test(r)]
        if len(found) == 1:
            return found[0]
    firsts = [r for r in pool if _fold(r.name).split()[0] == wanted]
    if len(firsts) == 1:
        return firsts[0]
    names = ", ".join(sorted(r.name for r in pool))
    if len(firsts) > 1:
        raise RoutingInputError(f"{text!r} could be {', '.join(r.name for r in firsts)}; use the full name.")
    raise RoutingInputError(f"There is no rep called {text!r}. Reps: {names}.")


def _find_rep(session: Session, text: str) -> Rep | None:
    try:
        return resolve_rep(session.scalars(select(Rep)).all(), text)
    except RoutingInputError:
        return None


def _find_lead(session: Session, *, lead_id: int | None, company: str | None) -> Lead:
    if lead_id is not None:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise RoutingInputError(f"There is no lead {lead_id}.")
        return lead
    if not company or not company.strip():
        raise RoutingInputError("Name the lead: its id or its company.")
    wanted = company_key(company)
    if wanted is None:
        raise RoutingInputError(f"No lead from a company called {company!r}.")
    candidates = [
        lead
        for lead in session.scalars(
            select(Lead).where(func.lower(Lead.company).contains(key_word(wanted), autoescape=True)).order_by(Lead.created_at.desc(), Lead.id.desc())
        )
        if company_key(lead.company) == wanted
    ]
    if not candidates:
        raise RoutingInputError(f"No lead from a company called {company!r}.")
    open_stages = {s.value for s in OPEN_STAGES}
    # The newest unassigned open lead is the one waiting for an owner; else the newest lead.
    waiting = [lead for lead in candidates if lead.owner_id is None and lead.stage in open_stages]
    return (waiting or candidates)[0]


def _short_answer(decision: RoutingDecision, *, assigned: bool = False) -> str:
    target = decision.owner_name or f"the {decision.queue} queue"
    if assigned:
        text = f"Assigned {decision.lead.label()} to {target}: {decision.reason}."
    else:
        text = f"{target} should take {decision.lead.label()}: {decision.reason}."
    excluded = [v for v in decision.candidates if v.status == "excluded"]
    if excluded:
        text += " Not chosen: " + "; ".join(f"{v.name} ({'; '.join(v.reasons)})" for v in excluded[:5]) + "."
    if decision.notes:
        text += " " + " ".join(n[0].upper() + n[1:] + "." for n in decision.notes)
    if decision.policy_changes:
        text += " Recent policy changes involved: " + "; ".join(str(c) for c in decision.policy_changes) + "."
    return text


def suggest_owner(
    session: Session, *, policy: RoutingPolicy, now: datetime, lead_id: int | None = None, company: str | None = None
) -> dict[str, Any]:
    """Who should take this lead, and why? A dry run of the routing policy: nothing is written.

    Name the lead by `lead_id` or by `company` (the newest unassigned lead of that company, else
    its newest lead). Returns {"lead_id", "company", "current_owner", "owner", "owner_name",
    "queue", "rule", "decision" (rule, candidates with exclusion reasons or scores, notes, policy
    version), "answer" (a sentence to show)}. Raises RoutingInputError when the lead is not found.
    """
    lead = _find_lead(session, lead_id=lead_id, company=company)
    decision = route_lead(session, lead=lead, policy=policy, now=now, dry_run=True)
    answer = _short_answer(decision)
    if lead.owner is not None and lead.owner_id != decision.owner_id:
        answer += f" (It is currently owned by {lead.owner.name}.)"
    return {
        "lead_id": lead.id,
        "company": lead.company,
        "current_owner": lead.owner.email if lead.owner else None,
        "owner": decision.owner,
        "owner_name": decision.owner_name,
        "queue": decision.queue,
        "rule": decision.rule,
        "decision": decision.to_dict(),
        "answer": answer,
    }


# ---------------------------------------------------------------------------------------------
# What-if


@dataclass(frozen=True)
class RepOut:
    """The rep is out of office: a whole local `day`, or from `starts_at` to `ends_at`."""

    rep: str
    day: date | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    reason: str = "what-if"


@dataclass(frozen=True)
class AddToPool:
    rep: str
    pool: str
    weight: float | None = None


@dataclass(frozen=True)
class RemoveFromPool:
    rep: str
    pool: str


@dataclass(frozen=True)
class SetCapacity:
    rep: str
    max_open_leads: int | None = None
    max_new_per_day: int | None = None


@dataclass(frozen=True)
class RepInactive:
    rep: str


RosterChange = RepOut | AddToPool | RemoveFromPool | SetCapacity | RepInactive


def _with_pool_edits(policy: RoutingPolicy, changes: Sequence[RosterChange], reps: Mapping[str, RepFacts]) -> tuple[RoutingPolicy, list[str]]:
    edits = [c for c in changes if isinstance(c, (AddToPool, RemoveFromPool))]
    if not edits:
        return policy, []
    described: list[str] = []

    def edit(data: dict[str, Any]) -> None:
        for change in edits:
            pool = data["pools"].get(change.pool)
            if pool is None:
                raise RoutingInputError(f"There is no pool {change.pool!r}. Pools: {', '.join(sorted(data['pools']))}.")
            rep = resolve_rep(reps, change.rep)
            members = pool["members"]
            present = any(m["rep"] == rep.email for m in members)
            if isinstance(change, AddToPool):
                if present:
                    raise RoutingInputError(f"{rep.name} is already in pool {change.pool}.")
                members.append({"rep": rep.email, **({"weight": change.weight} if change.weight is not None else {})})
                described.append(f"{rep.name} joins pool {change.pool}")
            else:
                if not present:
                    raise RoutingInputError(f"{rep.name} is not in pool {change.pool}.")
                pool["members"] = [m for m in members if m["rep"] != rep.email]
                if not pool["members"]:
                    raise RoutingInputError(f"Pool {change.pool} would have no members left.")
                described.append(f"{rep.name} leaves pool {change.pool}")
            pool["members"] = {m["rep"]: m.get("weight") for m in pool["members"]}

    return policy.with_changes(edit), described


def _apply_rep_changes(snapshot: RoutingSnapshot, changes: Sequence[RosterChange], *, at: datetime) -> list[str]:
    described = []
    for change in changes:
        if isinstance(change, (AddToPool, RemoveFromPool)):
            continue
        rep = resolve_rep(snapshot.reps, change.rep)
        if isinstance(change, RepOut):
            if change.day is not None:
                starts, ends = whole_day(change.day, rep)
                when = f"on {change.day.isoformat()} ({rep.timezone})"
            else:
                starts, ends = change.starts_at or at, change.ends_at or at + timedelta(days=1)
                when = f"from {_moment(starts)} to {_moment(ends)}"
            snapshot.replace_rep(replace(rep, time_off=(*rep.time_off, TimeOff(starts, ends, change.reason, "what-if"))))
            described.append(f"{rep.name} out of office {when}")
        elif isinstance(change, SetCapacity):
            origins = dict(rep.origins)
            updates: dict[str, Any] = {}
            if change.max_open_leads is not None:
                updates["max_open_leads"], origins["max_open_leads"] = change.max_open_leads, "what-if"
            if change.max_new_per_day is not None:
                updates["max_new_per_day"], origins["max_new_per_day"] = change.max_new_per_day, "what-if"
            snapshot.replace_rep(replace(rep, origins=origins, **updates))
            described.append(f"{rep.name} capacity " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in updates.items()))
        elif isinstance(change, RepInactive):
            snapshot.replace_rep(replace(rep, active=False))
            described.append(f"{rep.name} inactive")
    return described


def _routable(policy: RoutingPolicy, reps: Mapping[str, RepFacts]) -> list[RepFacts]:
    emails: list[str] = []
    for rule in policy.rules:
        emails += [rule.route_to.rep] if rule.route_to.rep else list(policy.pools[rule.route_to.pool].member_emails())
    return [reps[e] for e in dict.fromkeys(emails) if e in reps and reps[e].active]


def _outcome(decision: RoutingDecision) -> dict[str, Any]:
    return {"owner": decision.owner, "owner_name": decision.owner_name, "queue": decision.queue, "rule": decision.rule, "reason": decision.reason}


def _who(outcome: Mapping[str, Any]) -> str:
    return outcome["owner_name"] or f"queue {outcome['queue']}"


def _load_table(
    team: Mapping[str, RepFacts], *, open_before: Mapping[int, int], baseline: RoutingSnapshot, scenario: RoutingSnapshot
) -> list[dict[str, Any]]:
    rows = []
    for email, rep in sorted(team.items(), key=lambda item: item[1].name):
        before, as_is, changed = open_before.get(rep.id, 0), baseline.workload.open(rep.id), scenario.workload.open(rep.id)
        rows.append({
            "rep": email, "name": rep.name, "open_before": before, "open_after_as_is": as_is, "open_after_scenario": changed,
            "new_as_is": as_is - before, "new_scenario": changed - before,
            "max_open_leads": scenario.reps.get(email, rep).max_open_leads,
        })
    return rows


def what_if(
    session: Session,
    *,
    policy: RoutingPolicy,
    now: datetime,
    lead_ids: Sequence[int] | None = None,
    roster_changes: Sequence[RosterChange] = (),
    scenario_policy: RoutingPolicy | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Re-run routing for a batch under a changed roster and/or policy, without writing anything.

    The batch (default: every open lead without an owner) is routed twice as of `at` (default
    `now`), one lead after another as new arrivals: as things stand (`policy`, today's roster) and
    in the scenario (`scenario_policy` or `policy`, with `roster_changes`). Returns who would get
    what in each, the load per rep before and after, and fairness (Gini of open leads, max - min).
    """
    at = at or now
    lead_ids = list(lead_ids) if lead_ids is not None else unassigned_open_lead_ids(session)
    leads = lead_facts(session, lead_ids=lead_ids)
    accounts = AccountIndex.load(session)

    baseline = load_snapshot(session, policy=policy, now=now)
    changed_policy, pool_changes = _with_pool_edits(scenario_policy or policy, roster_changes, baseline.reps)
    scenario = load_snapshot(session, policy=changed_policy, now=now)
    scenario.performance_loader = lambda: baseline.performance  # the same history, read once
    rep_changes = _apply_rep_changes(scenario, roster_changes, at=at)
    open_before = dict(baseline.workload.open_leads)

    scenario_accounts = accounts.copy()
    before = _route_batch(leads, snapshot=baseline, accounts=accounts if policy.account_matching.enabled else None, policy=policy, now=at)
    after = _route_batch(
        leads, snapshot=scenario, accounts=scenario_accounts if changed_policy.account_matching.enabled else None, policy=changed_policy, now=at
    )

    team = {rep.email: rep for rep in (*_routable(policy, baseline.reps), *_routable(changed_policy, scenario.reps))}
    for decision in (*before, *after):
        if decision.owner in baseline.reps:
            team.setdefault(decision.owner, baseline.reps[decision.owner])
    load = _load_table(team, open_before=open_before, baseline=baseline, scenario=scenario)
    rows = [
        {"lead_id": lead.id, "company": lead.company, "summary": lead.summary(), "as_is": _outcome(old), "scenario": _outcome(new),
         "changed": (old.owner, old.queue) != (new.owner, new.queue)}
        for lead, old, new in zip(leads, before, after)
    ]
    moved = [row for row in rows if row["changed"]]
    fair = {
        name: fairness({row["rep"]: row[column] for row in load})
        for name, column in (("before", "open_before"), ("as_is", "open_after_as_is"), ("scenario", "open_after_scenario"))
    }
    changes = [*rep_changes, *pool_changes]
    answer = (
        f"What if {'; '.join(changes) or 'nothing changes'}: of {len(rows)} lead(s) routed as of {_moment(at)}, "
        f"{len(moved)} would go to someone else."
        + "".join(f" Lead {r['lead_id']} ({r['company']}): {_who(r['as_is'])} → {_who(r['scenario'])}." for r in moved[:10])
        + f" Load spread (max − min open leads) {fair['as_is']['max_minus_min']} as is vs {fair['scenario']['max_minus_min']}; "
        f"Gini {fair['as_is']['gini']:.3f} vs {fair['scenario']['gini']:.3f}."
    )
    return {
        "at": at.isoformat(),
        "changes": changes,
        "policy_version": policy.version,
        "scenario_policy_version": changed_policy.version,
        "policy_changes": [str(c) for c in policy_diff(policy, changed_policy)],
        "leads": rows,
        "moved": len(moved),
        "missing_lead_ids": sorted(set(lead_ids) - {lead.id for lead in leads}),
        "load": load,
        "fairness": fair,
        "answer": answer,
    }


class PoolMembership(BaseModel):
    """A rep and a pool of the routing policy ("add Oliver to the emea pool")."""

    rep: str = Field(description="The rep's name, first name or email.")
    pool: str = Field(description="The pool's name in the routing policy, e.g. emea.")


def _day_of(text: str, *, now: datetime) -> date:
    key = text.strip().lower()
    today = now.date()
    if key in ("", "today", "now"):
        return today
    if key == "tomorrow":
        return today + timedelta(days=1)
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    if key in days or key[:3] in {d[:3] for d in days}:
        target = next(i for i, d in enumerate(days) if d.startswith(key[:3]))
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)
    try:
        return date.fromisoformat(key)
    except ValueError:
        raise RoutingInputError(f"Cannot read the day {text!r}: use today, tomorrow, a weekday or YYYY-MM-DD.") from None


def routing_what_if(
    session: Session,
    *,
    policy: RoutingPolicy,
    now: datetime,
    out: Sequence[str] = (),
    day: str = "tomorrow",
    add_to_pool: Sequence[PoolMembership] = (),
    remove_from_pool: Sequence[PoolMembership] = (),
    lead_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """What if reps are out, or pools change? Re-routes a batch of leads (default: every open lead
    without an owner) as of `day` (today, tomorrow, a weekday or YYYY-MM-DD) at the current time
    of day, with the reps in `out` out of office all that day and the pool edits applied; nothing
    is written. Returns who would get each lead as is and in the scenario, the leads that move,
    per-rep load before and after, fairness (Gini, max - min) and an `answer` sentence.
    """
    when = _day_of(day, now=now)
    at = now + timedelta(days=(when - now.date()).days)
    changes: list[RosterChange] = [RepOut(rep=name, day=when) for name in out]
    changes += [AddToPool(rep=m.rep, pool=m.pool) for m in add_to_pool]
    changes += [RemoveFromPool(rep=m.rep, pool=m.pool) for m in remove_from_pool]
    return what_if(session, policy=policy, now=now, lead_ids=lead_ids, roster_changes=changes, at=at)

