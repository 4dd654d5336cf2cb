"""The policy read against the roster: a pool's `where:` key that no rep has.

Roster attributes are free-form (any extra column of `leadpilot reps import` becomes one, and the
policy's `reps: {email: {attributes: ...}}` adds more), so the file alone cannot tell a typo from a
new attribute. Against the roster it can: a `where:` key no rep has — in the roster or in the
policy's `reps:` — matches nobody, always, so it is a mistake. `where_problems` says which, with the
attributes that do exist; decisions say it in their notes (pool_members.rule_members) and
`evals routing` refuses to run a suite whose policy has one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from leadpilot.tools.routing.facts import RepFacts
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.policy_outcomes import REP_FIELDS
from leadpilot.tools.routing.policy_sections import Pool


def roster_keys(reps: Mapping[str, RepFacts]) -> set[str]:
    """Every attribute a `where:` can test in this roster: the roster's fields and the attributes some rep has."""
    keys = set(REP_FIELDS)
    for rep in reps.values():
        keys |= set(rep.traits)
    return keys


def _known(name: str, keys: set[str]) -> bool:
    """As RepFacts.trait finds it: a field's alias, the name, or its singular/plural."""
    return REP_FIELDS.get(name, name) in keys or (name.endswith("s") and name[:-1] in keys) or name + "s" in keys


def unknown_where(pool: Pool, keys: set[str]) -> list[str]:
    return [name for name in (pool.where or {}) if not _known(name, keys)]


def unknown_key_text(name: str, keys: set[str]) -> str:
    """"no rep in the roster has the attribute 'senority' — did you mean 'seniority'? ..." """
    shown = sorted(keys - set(REP_FIELDS) | {"language", "territory", "industry", "segment", "team", "role"})
    close = difflib.get_close_matches(name, shown, n=1, cutoff=0.6)
    return (f"no rep in the roster has the attribute {name!r}, so it matches nobody — "
            + (f"did you mean {close[0]!r}? " if close else "")
            + f"Attributes in the roster: {', '.join(shown)} (or add it to the roster, or under reps: {{<email>: {{attributes: ...}}}})")


def where_problems(policy: RoutingPolicy, reps: Mapping[str, RepFacts]) -> list[str]:
    """Each pool's `where:` key that no rep in `reps` (the roster with the policy's settings) has,
    as "pools.<name>.where.<key>: ... — did you mean ...? Attributes in the roster: ..."."""
    keys = roster_keys(reps)
    return [f"pools.{name}.where.{key}: {unknown_key_text(key, keys)}"
            for name, pool in policy.pools.items() for key in unknown_where(pool, keys)]
