"""Rule-based scoring of one lead: a score, its tier and the breakdown that explains it.

`score_lead` is the pure core: facts about a lead and its activities in, a `ScoreResult` out
(the lookup tables it runs are in tools/scoring/engine.py). `rescore_leads`
(tools/scoring/rescore.py) applies the same rules to many leads at once; the agent's reads are in
tools/scoring/reads.py.

The breakdown, stored in `leads.score_breakdown` and returned by `score_lead`::

    {"policy_version": "1b1212f1cd47", "tiers": {"hot": 70, "warm": 40}, "total_cap": 100,
     "score": 83, "tier": "hot", "total": 83.4,
     "categories": {
        "source": {"points": 25, "cap": 25, "rules": [{"label": "referral source", "points": 25}]},
        "behaviour": {"points": 25, "cap": 25, "uncapped": 31.2, "rules": [
            {"label": "pricing page visit ×3 (decayed)", "points": 8.4, "count": 3}, ...]},
        "semantic": {"points": 18, "cap": 30, "rules": [...], "neighbours": [...]},
        ...}}

Under a grid policy (fit × engagement) the head is
``{"policy_version", "grid": {"fit": {"A": 65, ...}, "engagement": {"1": 65, ...}, "hot": [...],
"warm": [...], "score": {"fit": 40, "engagement": 60}}, "score": 58, "tier": "hot", "cell": "A2",
"axes": {"fit": {"score": 78, "grade": "A", "points": 78.0}, "engagement": {"score": 46, "level":
"2", "points": 46.3}}, "total", "categories"}``: fit sums completeness .. company_size and semantic,
engagement sums engagement and behaviour, each at most 100; `score` is the combined score.

Every rule category of the policy is listed, with 0 points when nothing fired; "uncapped" appears
when the cap cut a category down, and "total" is the sum before `total_cap`. Points carry at most
one decimal. Activity points halve every `half_life_days`; activities after `now` do not count
yet, and an activity rule worth less than 0.05 after decay is left out. The semantic category
(tools/scoring/semantic.py) is there only for leads in the semantic index, when the re-score is
given the index; it is absent otherwise, never a made-up 0.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadpilot.clock import utc
from leadpilot.memory.vocab import Tier
from leadpilot.tools.scoring.engine import _engine_for
from leadpilot.tools.scoring.explanation import top_reasons
from leadpilot.tools.scoring.facts import LEAD_FACT_FIELDS, ActivityFacts, LeadFacts
from leadpilot.tools.scoring.policy import ScoringPolicy
from leadpilot.tools.scoring.semantic import SemanticPart


@dataclass(frozen=True)
class ScoreResult:
    """A score (0..total_cap), its tier, and the breakdown that explains it (see the module doc)."""

    score: int
    tier: str
    breakdown: dict[str, Any]

    def reasons(self, limit: int = 3) -> list[str]:
        """The biggest contributions, e.g. ["referral source +25", "high-value industry: fintech +20"]."""
        return top_reasons(self.breakdown, limit=limit)


def score_lead(
    *,
    lead: LeadFacts,
    activities: Sequence[ActivityFacts],
    policy: ScoringPolicy,
    now: datetime,
    semantic: SemanticPart | None = None,
) -> ScoreResult:
    """Score one lead under `policy` as of `now`. Pure: no database, no clock.

    `semantic` is the lead's semantic entry (from `SemanticScorer`); without it, or when the
    policy has the semantic category switched off, the breakdown has no semantic category.
    """
    engine = _engine_for(policy)
    now = utc(now)
    rows = [(0, a.kind, a.direction, a.detail, utc(a.occurred_at).replace(tzinfo=None)) for a in activities]
    facts = tuple(getattr(lead, name) for name in LEAD_FACT_FIELDS)
    if policy.categories.semantic_in_force is None:
        semantic = None
    scored = engine.assemble(facts, engine.tally(rows, now=now).get(0), semantic)
    # The stored JSON is the one representation: the pure result is exactly what a re-score stores.
    return ScoreResult(score=scored.score, tier=scored.tier, breakdown=json.loads(scored.breakdown_json))


def tier_for(score: int, *, policy: ScoringPolicy) -> str:
    """hot at or above tiers.hot, warm at or above tiers.warm, cold below (one-score policies only:
    under a grid the tier comes from the cell, not from one score)."""
    if policy.tiers is None:
        raise ValueError("the policy places leads on a fit × engagement grid: a score alone has no tier")
    return _tier(score, hot=policy.tiers.hot, warm=policy.tiers.warm)


def _tier(score: int, *, hot: int, warm: int) -> str:
    if score >= hot:
        return Tier.HOT.value
    if score >= warm:
        return Tier.WARM.value
    return Tier.COLD.value
