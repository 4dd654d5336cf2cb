"""What-if routing: re-run routing for a batch of leads under a changed roster (reps out, capacity,
inactive) and/or pool edits or another policy, without writing anything, and compare who would get
what, the load per rep and fairness.

Agent-facing function (typed, docstring, plain-data return): `routing_what_if`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from leadpilot.tools.routing.decision import RoutingDecision
from leadpilot.tools.routing.engine import fairness
from leadpilot.tools.routing.explain import _moment
from leadpilot.tools.routing.facts import RepFacts, RoutingSnapshot, TimeOff, whole_day
from leadpilot.tools.routing.policy import RoutingPolicy, policy_diff
from leadpilot.tools.routing.router import RoutingInputError, _route_batch, resolve_rep
from leadpilot.tools.routing.store import AccountIndex, lead_facts, load_snapshot, unassigned_open_lead_ids

__all__ = ["AddToPool", "RemoveFromPool", "RepInactive", "RepOut", "SetCapacity", "routing_what_if", "what_if"]


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
    for step in (step for rule in policy.rules for step in (rule, *rule.backup_steps())):
        target = step.route_to
        emails += [target.rep] if target.rep else list(policy.pools[target.pool].member_emails()) if target.pool else []
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
