"""What a decision works out once per snapshot rather than per lead: a rule's pool members (a
`where:` pool's from the roster), their weights and failed `where:` tests, a rotating pool's ids and
weighted cycle, and the memo of condition outcomes shared across leads (pure, no database).

Each is kept in `RoutingSnapshot.memo` with the objects it was worked out from, so a memo entry is
used only for those same objects (`replace_rep` clears it: members and weights come from the roster).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache, reduce
from math import gcd

from leadpilot.tools.routing.facts import RepFacts, RoutingSnapshot
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.policy_roster import roster_keys, unknown_key_text, unknown_where
from leadpilot.tools.routing.policy_sections import Pool, Rule


def member_weight(pool: Pool | None, index: int, rep: RepFacts) -> float:
    """The weight a pool deals by: the rep's capacity (`weights: capacity`), else the listed weight,
    else the rep's routing weight."""
    if pool is not None and pool.weights == "capacity":
        return float(rep.max_open_leads)
    if pool is None or index >= len(pool.members):
        return rep.weight
    member = pool.members[index]
    return member.weight if member.weight is not None else rep.weight


def rotation(pool: Pool, members: list[RepFacts | None], snapshot: RoutingSnapshot) -> tuple[
        list[int | None], list[float], tuple[int, ...], str]:
    """A rotating pool's member ids, weights, weighted cycle and "Ava 2, Ben 1" shares: worked out
    once per snapshot (from the roster and the policy, like rule_members)."""
    found = snapshot.memo.get(("rotation", id(members)))
    if found is not None and found[0] is members and found[1] is pool:
        return found[2]
    weights = [member_weight(pool, i, rep) if rep else 0.0 for i, rep in enumerate(members)]
    value = ([rep.id if rep else None for rep in members], weights, weighted_cycle(tuple(integer_weights(weights))),
             ", ".join(f"{rep.first_name} {w:g}" for rep, w in zip(members, weights) if rep is not None))
    snapshot.memo[("rotation", id(members))] = (members, pool, value)
    return value


def integer_weights(weights: Sequence[float]) -> list[int]:
    """Weights as the smallest whole numbers in the same proportions (2 decimals kept): 1.2, 1.0 -> 6, 5."""
    scaled = [round(weight * 100) for weight in weights]
    divisor = reduce(gcd, [s for s in scaled if s], 0) or 1
    return [s // divisor for s in scaled]


@lru_cache(maxsize=256)
def weighted_cycle(weights: tuple[int, ...]) -> tuple[int, ...]:
    """Member indexes in the order a smooth weighted round robin deals them, for one full cycle.

    Each step every member gains its weight, the member with the most (first listed on a tie)
    is dealt the lead and pays back the total: weights 2, 1, 1 deal 0, 1, 2, 0.
    """
    total = sum(weights)
    current = [0] * len(weights)
    cycle = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        pick = max(range(len(weights)), key=lambda i: (current[i], -i)) if weights else 0
        current[pick] -= total
        cycle.append(pick)
    return tuple(cycle)


def rule_members(rule: Rule, *, snapshot: RoutingSnapshot, policy: RoutingPolicy) -> tuple[
        Pool | None, list[RepFacts | None], Sequence[str], list[float], list[str | None], str | None]:
    """A rule's pool, members (None: not in the roster), their emails, weights and failed `where:`
    tests, and the note naming a `where:`-only pool: worked out once per snapshot (they depend on the
    roster and the policy, not on the lead)."""
    key = ("members", id(rule), id(policy))
    found = snapshot.memo.get(key)
    if found is not None and found[0] is rule and found[1] is policy:
        return found[2]
    pool = policy.pools.get(rule.route_to.pool) if rule.route_to.pool else None
    note = None
    if pool is not None and not pool.members:  # every rep of the roster the pool's `where:` matches
        members: list[RepFacts | None] = sorted((r for r in snapshot.reps.values() if r.role == "rep" and not unmatched_where(pool, r)),
                                                key=lambda r: r.id)  # roster order
        emails: Sequence[str] = [r.email for r in members if r is not None]
        if not members:
            note = f"pool {rule.route_to.pool} has nobody matching where {where_text(pool)}"
        else:
            names = [r.name for r in members if r is not None]
            note = (f"pool {rule.route_to.pool} is every rep with {where_text(pool)}: {', '.join(names[:5])}"
                    + (f" +{len(names) - 5} more" if len(names) > 5 else ""))
    else:
        emails = pool.member_emails() if pool else (rule.route_to.rep,)
        members = [snapshot.reps.get(email) for email in emails]
    if pool is not None and pool.where:  # a key no rep has is a typo: said, with the keys there are
        keys = snapshot.memo.get("roster keys") or snapshot.memo.setdefault("roster keys", roster_keys(snapshot.reps))
        typos = [f"pool {rule.route_to.pool}'s where {key}: {unknown_key_text(key, keys)}" for key in unknown_where(pool, keys)]
        note = "; ".join(([note] if note else []) + typos) or None
    weights = [member_weight(pool, index, rep) if rep is not None else 0.0 for index, rep in enumerate(members)]
    unmatched = [unmatched_where(pool, rep) if pool is not None and pool.where and rep is not None else None for rep in members]
    value = (pool, members, emails, weights, unmatched, note)
    snapshot.memo[key] = (rule, policy, value)  # holds the rule and policy: their ids stay theirs while the memo lives
    return value


def match_memo(snapshot: RoutingSnapshot, policy: RoutingPolicy) -> dict:
    """The snapshot's memo of condition outcomes for this policy (matching.conditions_hold)."""
    found = snapshot.memo.get(("match", id(policy)))
    if found is None or found[0] is not policy:
        found = snapshot.memo[("match", id(policy))] = (policy, {})
    return found[1]


def where_text(pool: Pool) -> str:
    return ", ".join(f"{name} {' or '.join(values)}" for name, values in (pool.where or {}).items())


def unmatched_where(pool: Pool, rep: RepFacts) -> str | None:
    """The first of the pool's `where:` tests the rep fails, in words; None when they pass all."""
    for name, values in (pool.where or {}).items():
        if not rep.trait(name) & set(values):
            have = ", ".join(sorted(rep.trait(name))) or "none"
            return f"{name} {' or '.join(values)} (has {have})"
    return None
