"""The rule policy applied to the store's history: each closed lead scored as it stood just before
its outcome, each open lead as it stands now. What `leadpilot calibrate` and `evals scoring`
measure the policy on.

A closed lead's stored score describes it today (its activities long decayed), so it says little
about how well the rules would have picked it. Here it is scored as of its outcome date (the
conversion model's snapshot time: only activities strictly before it count), which is the score a
rep saw while the lead was open. The semantic category is left out of closed leads: its neighbours
are today's closed accounts, which would include the lead's own outcome. Open leads get it when the
semantic index is given, as `leadpilot rescore` scores them — so the tier shares of open leads a
calibration reports are the ones a re-score produces.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.vocab import OPEN_STAGES
from leadpilot.tools.scoring.engine import _engine_for
from leadpilot.tools.scoring.facts import LEAD_FACT_FIELDS
from leadpilot.tools.scoring.policy import ScoringPolicy
from leadpilot.tools.scoring.semantic import SemanticScorer

if TYPE_CHECKING:
    from leadpilot.tools.semantic import SemanticIndex


@dataclass(frozen=True)
class ScoredHistory:
    """Per lead (columns): whether it is closed, whether it converted, its scores and tier."""

    lead_ids: np.ndarray
    closed: np.ndarray  # bool
    converted: np.ndarray  # bool (False for open leads)
    score: np.ndarray  # the combined (or only) score
    fit: np.ndarray  # -1 under a one-score policy
    engagement: np.ndarray
    tier: np.ndarray  # str
    cell: np.ndarray  # str ("" under a one-score policy)
    category_points: dict[str, np.ndarray]  # points per category, 0 where absent
    policy_version: str

    @property
    def open(self) -> np.ndarray:
        return ~self.closed


def _as_of_by_lead(session: Session, *, now: datetime) -> dict[int, datetime]:
    """When each closed lead's outcome was decided (the conversion model's snapshot time)."""
    from leadpilot.tools.prediction import outcome_times

    return {lead_id: utc(at) for lead_id, at in outcome_times(session, now=now).items()}


def score_history(session: Session, *, policy: ScoringPolicy, now: datetime, semantic: SemanticIndex | None = None) -> ScoredHistory:
    """Score every open lead as of `now` (with the semantic category, given the `semantic` index and
    the category in the policy) and every closed lead as of its outcome, under `policy`, without
    storing anything. Raises VectorStoreError when the index cannot be read."""
    engine = _engine_for(policy)
    now = utc(now)
    open_stages = {stage.value for stage in OPEN_STAGES}
    leads = session.execute(
        select(Lead.id, Lead.stage, Lead.converted, *(getattr(Lead, name) for name in LEAD_FACT_FIELDS)).order_by(Lead.id)
    ).all()
    as_of = _as_of_by_lead(session, now=now)
    activities: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in session.execute(select(Activity.lead_id, Activity.kind, Activity.direction, Activity.detail, Activity.occurred_at)):
        activities[row[0]].append((row[0], row[1], row[2], row[3], utc(row[4]).replace(tzinfo=None)))

    open_rows = [lead for lead in leads if lead.converted is None and lead.stage in open_stages]
    closed_rows = [lead for lead in leads if lead.converted is not None and lead.id in as_of]
    open_tally = engine.tally([a for lead in open_rows for a in activities.get(lead.id, ())], now=now)
    semantic_of: Any = {}.get
    if semantic is not None and (category := policy.categories.semantic_in_force) is not None and open_rows:
        semantic_of = SemanticScorer.load(session, index=semantic, category=category).parts(session, [lead.id for lead in open_rows]).get
    results: list[tuple[Any, bool, bool, Any]] = []
    for lead in open_rows:
        results.append((lead.id, False, False, engine.assemble(tuple(lead[3:]), open_tally.get(lead.id), semantic_of(lead.id))))
    # Closed leads in one tally: each activity is moved by (now - the lead's outcome time), so its
    # age at `now` is its age at the outcome, and the decay is the one the lead had then.
    shifted = []
    naive_now = now.replace(tzinfo=None)
    for lead in closed_rows:
        at = as_of[lead.id].replace(tzinfo=None)
        shift = naive_now - at
        shifted += [(*a[:4], a[4] + shift) for a in activities.get(lead.id, ()) if a[4] < at]
    closed_tally = engine.tally(shifted, now=now)
    for lead in closed_rows:
        results.append((lead.id, True, bool(lead.converted), engine.assemble(tuple(lead[3:]), closed_tally.get(lead.id))))
    results.sort(key=lambda item: item[0])
    return _columns(results, policy=policy)


def _columns(results: list[tuple[Any, bool, bool, Any]], *, policy: ScoringPolicy) -> ScoredHistory:
    n = len(results)
    fit = np.full(n, -1, dtype=np.int64)
    engagement = np.full(n, -1, dtype=np.int64)
    names = [name for name, _ in policy.categories.present() if name != "semantic"]
    points = {name: np.zeros(n, dtype=np.float64) for name in names}
    for index, (_, _, _, scored) in enumerate(results):
        for name, value in scored.category_points().items():
            if name in points:
                points[name][index] = value
        if scored.cell is not None:  # as engine._on_grid: static (+ semantic) parts, then the activity part
            fit_tenths = sum(part.total_tenths for i, part in enumerate(scored.parts) if i != 1)
            fit[index] = min(100, (fit_tenths + 5) // 10)
            engagement[index] = min(100, (scored.parts[1].total_tenths + 5) // 10)
    return ScoredHistory(
        lead_ids=np.array([r[0] for r in results], dtype=np.int64),
        closed=np.array([r[1] for r in results], dtype=bool),
        converted=np.array([r[2] for r in results], dtype=bool),
        score=np.array([r[3].score for r in results], dtype=np.float64),
        fit=fit,
        engagement=engagement,
        tier=np.array([r[3].tier for r in results], dtype=object),
        cell=np.array([r[3].cell or "" for r in results], dtype=object),
        category_points=points,
        policy_version=policy.version,
    )


def rule_score_auc(history: ScoredHistory) -> float | None:
    """AUC of the rule score on the closed leads (None without both outcomes)."""
    from sklearn.metrics import roc_auc_score

    labels = history.converted[history.closed]
    if len(labels) < 2 or labels.min() == labels.max():
        return None
    return float(roc_auc_score(labels, history.score[history.closed]))


def rule_scores_as_of_outcome(session: Session, *, policy: ScoringPolicy, now: datetime) -> dict[int, float]:
    """Each closed lead's rule score under `policy` as of its outcome, by lead id."""
    history = score_history(session, policy=policy, now=now)
    return dict(zip(history.lead_ids[history.closed].tolist(), history.score[history.closed].tolist()))
