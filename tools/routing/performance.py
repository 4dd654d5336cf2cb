"""Each rep's conversion on closed leads, by what makes leads similar (segment, industry): what a
`performance_weighted` pool ranks its members by. Plain facts, no database (store.py reads them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadpilot.tools.routing.facts import LeadFacts
    from leadpilot.tools.routing.policy_sections import Performance


@dataclass(frozen=True)
class ClosedLead:
    rep_id: int
    segment: str | None  # micro counts as smb
    industry: str | None
    won: bool
    created_at: datetime


@dataclass(frozen=True)
class Conversion:
    won: int
    closed: int
    team_rate: float
    score: float  # smoothed: (won + k * team_rate) / (closed + k)
    similar: str  # "mid-market leads"


class PerformanceBook:
    """Each rep's conversion on closed leads, by what makes leads similar (segment, industry)."""

    def __init__(self, closed: Sequence[ClosedLead]):
        self._closed = closed
        self._tables: dict[tuple, tuple[dict, dict]] = {}

    def _table(self, similar_on: tuple[str, ...], since: datetime) -> tuple[dict, dict]:
        key = (similar_on, since)
        if key not in self._tables:
            per_rep: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
            team: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
            for lead in self._closed:
                if lead.created_at < since:
                    continue
                values = tuple(getattr(lead, name) for name in similar_on)
                for counts in (per_rep[(lead.rep_id, values)], team[values]):
                    counts[0] += lead.won
                    counts[1] += 1
            self._tables[key] = (dict(per_rep), dict(team))
        return self._tables[key]

    def conversion(self, rep_id: int, lead: LeadFacts, settings: Performance, now: datetime) -> Conversion:
        values = {"segment": _routing_segment(lead.segment), "industry": lead.industry}
        similar_on = tuple(name for name in settings.similar_on if values[name] is not None)
        per_rep, team = self._table(similar_on, now - timedelta(days=settings.lookback_days))
        wanted = tuple(values[name] for name in similar_on)
        won, closed = per_rep.get((rep_id, wanted), (0, 0))
        team_won, team_closed = team.get(wanted, (0, 0))
        team_rate = team_won / team_closed if team_closed else 0.0
        k = settings.prior_strength
        score = (won + k * team_rate) / (closed + k) if closed + k else 0.0
        similar = " ".join(str(v) for v in wanted) + " leads" if wanted else "all leads"
        return Conversion(won, closed, team_rate, score, similar)


def _routing_segment(segment: str | None) -> str | None:
    return "smb" if segment == "micro" else segment
