"""Lead routing: who should take a lead and why, and the write that assigns it; also finding the
lead and the reps people name.

Every function takes the session, the policy and `now` as arguments (nothing reads the clock or a
global policy). Dry runs only read, so they work in the agent's read-only sessions; the writes
(`assign_routed`, `route_lead(dry_run=False)`, `assign_by_policy`) are for interfaces that have the
person's confirmation, like tools/routing/assignment.py. The decision logic is in engine.py;
"why does this rep have this lead?" is in explain.py and what-if runs are in what_if.py.

Agent-facing function (typed, docstring, plain-data return): `suggest_owner`; `assign_by_policy`
is the confirmed write.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.assignments import record_assignment
from leadpilot.memory.lead_lookup import choose_lead, leads_named
from leadpilot.memory.models import Assignment, Lead, Rep
from leadpilot.tools.common import gc_paused
from leadpilot.tools.routing.assignment import AssignmentError
from leadpilot.tools.routing.decision import PointerMove, RoutingDecision
from leadpilot.tools.routing.engine import decide
from leadpilot.tools.routing.facts import LeadFacts, RoutingSnapshot
from leadpilot.tools.routing.matching import fields_tested
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.sticky import account_stages, sticky_keys
from leadpilot.tools.routing.store import (
    AccountIndex,
    find_account_owner,
    lead_facts,
    load_snapshot,
    save_pointer,
)

__all__ = [
    "AssignmentError", "RoutingDecision", "RoutingInputError", "assign_by_policy", "assign_routed", "route_lead",
    "route_leads", "suggest_owner",
]


WRITE_CHUNK = 500  # assignments written per flush in a batch


class RoutingInputError(ValueError):
    """A lead, rep, pool or day that routing cannot find; the message says what exists."""


# ---------------------------------------------------------------------------------------------
# Routing one lead, a batch, and the write


def _facts(session: Session, lead: Lead | LeadFacts | Mapping[str, Any] | int, policy: RoutingPolicy) -> LeadFacts:
    if isinstance(lead, LeadFacts):
        return lead
    if isinstance(lead, int):
        found = lead_facts(session, lead_ids=[lead], other=fields_tested(policy))  # its columns, not an ORM object
        if not found:
            raise RoutingInputError(f"There is no lead {lead}.")
        return found[0]
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
    facts = _facts(session, lead, policy)
    shared = snapshot is not None
    if snapshot is None:
        snapshot = load_snapshot(session, policy=policy, now=now, lock_pointers=not dry_run)
    matching = policy.account_matching
    account = None
    if matching.enabled:
        keys, stages = sticky_keys(facts, matching), account_stages(matching)  # a personal mail domain (gmail.com) is no account
        account = (accounts.owner_of(facts, match_on=keys, stages=stages) if accounts is not None
                   else find_account_owner(session, lead=facts, match_on=keys, stages=stages))
    decision = decide(lead=facts, account=account, snapshot=snapshot, policy=policy, now=now)
    if not dry_run:
        assign_routed(session, decision=decision, now=now, actor=actor)
    if shared:
        snapshot.record(decision)
    if accounts is not None and decision.owner_id is not None:
        accounts.add(lead_id=facts.id, owner_id=decision.owner_id, company=facts.company, domain=facts.domain)
    return decision


def assign_routed(
    session: Session, *, decision: RoutingDecision, now: datetime, actor: str = "system", move_pointer: bool = True,
    flush: bool = True,
) -> Assignment:
    """Record a routing decision: the lead's new owner (or queue), an Assignment with the decision's
    reason and every candidate, the owner audit event, and the pool pointer's move. `flush=False`:
    the caller flushes (a batch writes its assignments a chunk at a time)."""
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
        candidates=decision.audit_candidates(), at=now, actor=actor, flush=flush,
    )
    if decision.pointer is not None and move_pointer:
        save_pointer(session, move=decision.pointer, now=now)
    if flush:
        session.flush()
    decision.dry_run = False
    return assignment


def _route_batch(
    leads: Sequence[LeadFacts], *, snapshot: RoutingSnapshot, accounts: AccountIndex | None, policy: RoutingPolicy, now: datetime
) -> list[RoutingDecision]:
    """Route leads one after another as new arrivals: each decision updates loads, pointers and accounts."""
    decisions = []
    matching = policy.account_matching
    stages = account_stages(matching)
    # A batch makes a dozen small objects per candidate and no reference cycles; the cyclic collector
    # walking the heap as they pile up was ~45% of a 10,000-lead batch (bench/bench_routing.py).
    with gc_paused():
        for lead in leads:
            account = accounts.owner_of(lead, match_on=sticky_keys(lead, matching), stages=stages) if accounts is not None else None
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
    accounts = AccountIndex.load(session, account_stages(policy.account_matching)) if policy.account_matching.enabled else None
    leads = lead_facts(session, lead_ids=lead_ids, other=fields_tested(policy))  # only the columns the rules test
    decisions = _route_batch(leads, snapshot=snapshot, accounts=accounts, policy=policy, now=now)
    if not dry_run:
        loaded = _load_leads(session, lead_ids)  # one query, not one per assignment; kept in the identity map
        for count, decision in enumerate(decisions, 1):  # one flush per chunk, not per assignment: the same rows in the same order
            assign_routed(session, decision=decision, now=now, actor=actor, move_pointer=False, flush=count % WRITE_CHUNK == 0)
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
    choice = choose_lead(leads_named(session, company=company), prefer_unassigned=True)
    if choice.ambiguous:
        listed = "; ".join(
            f"lead {c.id} ({c.contact_name or 'no contact'}, {c.stage.lower()}, owner {c.owner or 'unassigned'}, created {c.created_at:%Y-%m-%d})"
            for c in choice.choices
        )
        raise RoutingInputError(f"{company} has {len(choice.choices)} open leads: {listed}. Name one by id, e.g. 'who should take lead {choice.choices[0].id}?'.")
    if choice.chosen is None:
        raise RoutingInputError(f"No lead from a company called {company!r}.")
    # Its open lead (several open: the one unassigned, waiting for an owner); none open: the latest to close.
    return session.get(Lead, choice.chosen.id)


def _short_answer(decision: RoutingDecision, *, assigned: bool = False) -> str:
    target = decision.owner_name or f"the {decision.queue} queue"
    if assigned:
        text = f"Assigned {decision.lead.label()} to {target}: {decision.reason}."
    else:
        text = f"{target} should take {decision.lead.label()}: {decision.reason}."
    if decision.rule_description:
        text += f" Rule '{decision.rule}': {decision.rule_description.rstrip('.')}."
    excluded: dict[str, list[str]] = {}  # a rep excluded at several steps (pools, rules) is said once, with each reason once
    for verdict in (v for v in decision.candidates if v.status == "excluded"):
        said = excluded.setdefault(verdict.name, [])
        said += [reason for reason in verdict.reasons if reason not in said]
    if excluded:
        text += " Not chosen: " + "; ".join(f"{name} ({'; '.join(reasons)})" for name, reasons in list(excluded.items())[:5]) + "."
    if decision.notes:
        text += " " + " ".join(n[0].upper() + n[1:] + "." for n in decision.notes)
    if decision.policy_changes:
        text += " Recent policy changes involved: " + "; ".join(str(c) for c in decision.policy_changes) + "."
    return text


def suggest_owner(
    session: Session, *, policy: RoutingPolicy, now: datetime, lead_id: int | None = None, company: str | None = None
) -> dict[str, Any]:
    """Who should take this lead, and why? A dry run of the routing policy: nothing is written.

    Name the lead by `lead_id` or by `company` (its open lead; with several open, the one unassigned
    lead — else RoutingInputError lists them; with none open, the latest to close). Returns {"lead_id", "company", "current_owner", "owner", "owner_name",
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
