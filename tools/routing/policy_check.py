"""`leadpilot routing check`: the policy read against the roster before a lead is routed by it.

Errors (the command exits 1): a rep the policy names — in a pool, a rule's target or backups, the
fallback, a queue's owner, a declared account — who is not in the roster; a pool's `where:` key no
rep has, or a `where:` whose values no rep has (the pool matches nobody); a rule no lead can reach
(an earlier rule with the same conditions, or none, never lets a lead go on). Warnings: one of a
`where:`'s values no rep has (the others still match), an inactive rep named in a pool or rule.
Pure: the policy and the roster (with the policy's settings) in, problems out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from leadpilot.tools.routing.facts import RepFacts
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.policy_outcomes import NEXT_RULE
from leadpilot.tools.routing.policy_roster import roster_keys, unknown_key_text, unknown_where
from leadpilot.tools.routing.policy_sections import Rule


@dataclass(frozen=True)
class PolicyProblem:
    level: str  # error | warning
    at: str  # where in the policy: pools.emea.where.team, rules[3] (name)...
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "at": self.at, "message": self.message}


def _named_reps(policy: RoutingPolicy) -> list[tuple[str, str]]:
    """(where, email) of every rep the policy names."""
    named = [(f"pools.{name}.members", member.rep) for name, pool in policy.pools.items() for member in pool.members]
    for index, rule in enumerate(policy.rules):
        named += [(f"rules[{index}] ({rule.name}).route_to", rule.route_to.rep)] if rule.route_to.rep else []
        named += [(f"rules[{index}] ({rule.name}).backups[{n}]", b.rep) for n, b in enumerate(rule.backups) if b.rep]
    named += [("fallback.rep", policy.fallback.rep)] if policy.fallback.rep else []
    named += [(f"queues.{name}.owner", queue.owner) for name, queue in policy.queues.items() if queue.owner]
    named += [(f"accounts[{index}].owner", account.owner) for index, account in enumerate(policy.accounts)]
    return named


def _stops(rule: Rule) -> bool:
    """Whether a lead this rule matches never goes on to a later rule."""
    return rule.route_to.queue is not None or rule.when_unavailable != NEXT_RULE or bool(rule.backups and rule.backups[-1].queue)


def check_policy(policy: RoutingPolicy, reps: Mapping[str, RepFacts]) -> list[PolicyProblem]:
    """What in `policy` does not fit the roster `reps` (build_roster: the store's reps with the policy's settings)."""
    problems: list[PolicyProblem] = []
    for at, email in _named_reps(policy):
        rep = reps.get(email)
        if rep is None:
            problems.append(PolicyProblem("error", at, f"{email} is not in the roster — fix the email, or add the rep "
                                                       "(leadpilot reps import roster.csv)"))
        elif not rep.active and not at.startswith("accounts"):
            problems.append(PolicyProblem("warning", at, f"{rep.name} ({email}) is inactive: never chosen while inactive"))
    keys = roster_keys(reps)
    people = [rep for rep in reps.values() if rep.role == "rep"]
    for name, pool in policy.pools.items():
        typos = unknown_where(pool, keys)
        problems += [PolicyProblem("error", f"pools.{name}.where.{key}", unknown_key_text(key, keys)) for key in typos]
        for key, values in (pool.where or {}).items():
            if key in typos:
                continue
            have = sorted({value for rep in reps.values() for value in rep.trait(key)})
            missing = [value for value in values if not any(value in rep.trait(key) for rep in reps.values())]
            if missing:
                level = "error" if len(missing) == len(values) else "warning"
                problems.append(PolicyProblem(level, f"pools.{name}.where.{key}", f"no rep has {key} {' or '.join(missing)}"
                                              + (" — the pool matches nobody" if level == "error" else "")
                                              + f"; the roster has: {', '.join(have) or 'none'}"))
        if not pool.members and pool.where and not typos and not any(_matches(pool.where, rep) for rep in people):
            problems.append(PolicyProblem("error", f"pools.{name}.where", "no rep (role rep) matches every test of this where: — "
                                                                         "the pool is empty"))
    for index, rule in enumerate(policy.rules):
        for earlier in policy.rules[:index]:
            if _stops(earlier) and (not earlier.when.present() or earlier.when == rule.when) and earlier.before_accounts == rule.before_accounts:
                same = "matches every lead" if not earlier.when.present() else "has the same conditions"
                problems.append(PolicyProblem("error", f"rules[{index}] ({rule.name})",
                                              f"never reached: rule {earlier.name!r} above {same} and never lets a lead go on — "
                                              "merge them, or move this rule above it"))
                break
    return problems


def _matches(where: Mapping[str, tuple[str, ...]], rep: RepFacts) -> bool:
    return all(rep.trait(key) & set(values) for key, values in where.items())
