"""How a least-loaded pick breaks a tie on open leads (a least_loaded pool, a declared account's team):

- `longest_wait` (the default): whoever has gone longest without a new lead (their last assignment is
  the oldest; a rep who has never had one first), then the order listed ("Maya has waited 3h, Ben 1h").
- `roster_order` (the behaviour before session 10, for a policy that asks for it): fewer new leads
  today, then the order listed (a `where:` pool's and a team's: roster order).

Pure functions over the snapshot; last-lead times are read once per snapshot (store.last_lead_times).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar

from leadpilot.tools.routing.facts import RepFacts, RoutingSnapshot
from leadpilot.tools.routing.today import last_lead, wait_tie_text

LONGEST_WAIT, ROSTER_ORDER = "longest_wait", "roster_order"
T = TypeVar("T")


def rank_least_loaded(items: Sequence[T], *, rep: Callable[[T], RepFacts], order: Callable[[T], Any], snapshot: RoutingSnapshot,
                      now: datetime, ties: str | None, every_group: bool = False) -> list[T]:
    """`items` best first: fewest open leads, then the tie-break `ties` (None: longest_wait). The
    group tied at the top is ordered by their waits — with `every_group`, each tied group (a team's
    first free member may sit in any of them); a rep whose place no tie decides is never asked their wait."""
    workload = snapshot.workload
    if ties == ROSTER_ORDER:
        return sorted(items, key=lambda x: (workload.open(rep(x).id), workload.today(rep(x), now), order(x)))
    keyed = sorted(((workload.open(rep(x).id), order(x), x) for x in items), key=itemgetter(0, 1))
    counts = Counter(count for count, _, _ in keyed) if every_group else {keyed[0][0]: sum(k[0] == keyed[0][0] for k in keyed)} if keyed else {}
    if all(n < 2 for n in counts.values()):
        return [x for _, _, x in keyed]  # no tie decides a place: nobody's wait is read

    def key(item: tuple[int, Any, T]) -> tuple[int, bool, datetime, Any]:
        count, place, x = item
        last = last_lead(snapshot, rep(x).id, now) if counts.get(count, 0) > 1 else None
        return (count, last is not None, last or now, place)

    return [x for _, _, x in sorted(keyed, key=key)]


def tie_text(ranked: Sequence[RepFacts], *, snapshot: RoutingSnapshot, now: datetime, first: str, ties: str | None) -> str:
    """How a tie on open leads among `ranked` (best first) was broken; "" when there was none.
    `first`: "first on the roster" / "listed first in pool x"."""
    workload = snapshot.workload
    best = ranked[0]
    tied = [r for r in ranked[1:] if workload.open(r.id) == workload.open(best.id)]
    if not tied:
        return ""
    if ties == ROSTER_ORDER:
        same_today = any(workload.today(r, now) == workload.today(best, now) for r in tied)
        return (f"; tied with {', '.join(r.name for r in tied)}, broken by fewer new leads today"
                + (f", then {best.name} is {first}" if same_today else ""))
    last = {r.id: last_lead(snapshot, r.id, now) for r in (best, *tied)}
    return wait_tie_text(best, tied, last, now=now, first=first)
