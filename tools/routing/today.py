"""The pool strategies that deal by today's counts, as RevOps says "round robin" and "2 for 1":

- `fewest_today`: the available member with the fewest new leads today (their local day); a tie goes
  to whoever has waited longest since their last lead (a member who has had no lead yet first), then
  to the first on the roster (a `where:` pool, in roster order) or the first listed (`members:`).
- `weighted_today`: the member furthest below their share of the pool's leads today (share = their
  weight over the pool's total weight, times the leads the pool's members got today); ties as in
  `fewest_today`. Unlike `weighted`, there is no stored cycle: a rep who was away this morning
  catches up.

Pure functions over the snapshot; the engine calls `choose_today` only for these strategies, and the
members' last-lead times are read (once per snapshot, store.last_lead_times) only when a pool uses them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadpilot.tools.routing.policy_outcomes import duration_text
from leadpilot.tools.routing.pool_members import member_weight

TODAY_STRATEGIES = frozenset({"fewest_today", "weighted_today"})


def last_lead(snapshot: Any, rep_id: int, now: datetime) -> datetime | None:
    """The rep's last lead up to `now`: the latest of the store's (as the snapshot was read) and this
    batch's own (in the workload's recent times)."""
    times = snapshot.workload.recent.get(rep_id)
    found = snapshot.last_leads.get(rep_id)
    if times and (at := bisect_right(times, now)):
        found = times[at - 1] if found is None or times[at - 1] > found else found
    return found


def _waited(last: datetime | None, now: datetime) -> str:
    return "no lead yet" if last is None else f"last lead {duration_text(now - last)} ago"


def choose_today(strategy: str, pool_name: str, pool: Any, eligible: Sequence[Any], *, members: Sequence[Any],
                 snapshot: Any, now: datetime) -> tuple[Any, str]:
    """(the chosen candidate, why) for a `fewest_today` or `weighted_today` pool. Candidates carry
    .rep, .weight, .index (their place in the pool's order) and .verdict."""
    workload = snapshot.workload
    today = {c.rep.id: workload.today(c.rep, now) for c in eligible}
    last = {c.rep.id: last_lead(snapshot, c.rep.id, now) for c in eligible}
    first = "first on the roster" if not pool.members else f"listed first in pool {pool_name}"
    if strategy == "weighted_today":
        every = {rep.id: member_weight(pool, i, rep) for i, rep in enumerate(members) if rep is not None}  # the unavailable too
        weights = {c.rep.id: c.weight for c in eligible}
        total_weight = sum(every.values()) or 1.0
        dealt = sum(today[rep.id] if rep.id in today else workload.today(rep, now) for rep in members if rep is not None)
        share = {rid: w * dealt / total_weight for rid, w in weights.items()}
        below = {rid: round(share[rid] - today[rid], 9) for rid in weights}
        primary = {rid: -value for rid, value in below.items()}
    else:
        primary = {rid: float(count) for rid, count in today.items()}
    for c in eligible:
        rid = c.rep.id
        c.verdict.note = f"{today[rid]} new leads today, {_waited(last[rid], now)}" + (
            f", share {share[rid]:.1f} (weight {c.weight:g})" if strategy == "weighted_today" else "")
        c.verdict.scored(new_today=today[rid], **({"share": round(share[rid], 3)} if strategy == "weighted_today" else {}))
    ranked = sorted(eligible, key=lambda c: (primary[c.rep.id], last[c.rep.id] is not None, last[c.rep.id] or now, c.index))
    best = ranked[0]
    tied = [c for c in ranked[1:] if primary[c.rep.id] == primary[best.rep.id]]
    if strategy == "weighted_today":
        counts = ", ".join(f"{c.rep.name} {today[c.rep.id]}" for c in ranked)
        lead_in = (f"furthest below their share today in pool {pool_name} (weights{' from capacity:' if pool.weights else ''} "
                   f"{', '.join(f'{c.rep.first_name} {c.weight:g}' for c in sorted(eligible, key=lambda c: c.index))}; "
                   f"{dealt} leads today — {counts}): {best.rep.name}'s share is {share[best.rep.id]:.1f}, has {today[best.rep.id]}")
    else:
        others = ", ".join(f"{c.rep.name} {today[c.rep.id]}" for c in ranked[1:])
        lead_in = f"fewest new leads today: {best.rep.name} has {today[best.rep.id]}" + (f" (others: {others})" if others else "")
    if not tied:
        return best, lead_in
    return best, lead_in + wait_tie_text(best.rep, [c.rep for c in tied], last, now=now, first=first)


def wait_tie_text(best: Any, tied: Sequence[Any], last: dict[int, datetime | None], *, now: datetime, first: str) -> str:
    """A tie (reps `tied` with `best`) broken by the longest wait since the last lead (`last`: rep id ->
    their last lead), then `first` ("first on the roster" / "listed first in pool x")."""
    same_wait = [r for r in tied if last[r.id] == last[best.id]]
    waits = "; ".join(f"{r.name}: {_waited(last[r.id], now)}" for r in [best, *tied])
    if len(same_wait) == len(tied):
        return (f"; tied with {', '.join(r.name for r in tied)}, "
                + ("none has had a lead yet" if last[best.id] is None else "waited as long") + f", so {best.name}, {first}")
    tail = f"; tied with {', '.join(r.name for r in tied)}, broken by the longest wait since the last lead ({waits})"
    return tail + (f", then {first}" if same_wait else "")
