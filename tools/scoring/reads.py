"""Agent-facing reads: a what-if score by lead id, a stored score explained, the top-scored leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.lead_lookup import lead_outcome
from leadpilot.memory.models import Activity, AuditEvent, Lead
from leadpilot.memory.vocab import OPEN_STAGES, Tier
from leadpilot.tools.scoring.explanation import _summary, breakdown_lines, rules_and_model, top_reasons
from leadpilot.tools.scoring.facts import LEAD_FACT_FIELDS, ActivityFacts, LeadFacts
from leadpilot.tools.scoring.policy import ScoringPolicy
from leadpilot.tools.scoring.rules import ScoreResult, score_lead
from leadpilot.tools.scoring.semantic import SemanticScorer

if TYPE_CHECKING:
    from leadpilot.tools.semantic import SemanticIndex


@dataclass(frozen=True)
class ScoreChange:
    at: datetime
    field: str  # score | tier
    old_value: str | None
    new_value: str | None
    reason: str
    actor: str


@dataclass(frozen=True)
class ScoreExplanation:
    """A lead's stored score, why it is what it is, and how it got there."""

    lead_id: int
    company: str | None
    score: int | None  # None: not scored yet
    tier: str | None
    scored_at: datetime | None
    policy_version: str | None
    summary: str  # "55, warm (hot from 70, warm from 40), policy ce2f9070d9e8"
    lines: list[str]  # one per category: "source +25 (cap 25): referral source +25"
    history: list[ScoreChange]  # score and tier changes, oldest first
    breakdown: dict[str, Any] | None = None
    stage: str | None = None
    outcome: str | None = None  # won | lost for a closed lead (its score describes it before it closed), None while open
    closed_on: datetime | None = None
    outcome_sentence: str | None = None  # "Won on 5 Aug 2026 — this is a customer." — what an answer about it says first
    # An open lead's conversion probability from the trained model, its priority tier and, when the
    # rules and the model disagree, one sentence saying so: {"probability", "priority", "story"}.
    model: dict[str, Any] | None = None


@dataclass(frozen=True)
class RankedLead:
    lead_id: int
    company: str | None
    contact_name: str | None
    industry: str | None
    source: str
    stage: str
    score: int
    tier: str | None
    reasons: list[str]  # the biggest contributions


def score_lead_by_id(
    session: Session, *, lead_id: int, policy: ScoringPolicy, now: datetime, semantic: SemanticIndex | None = None
) -> ScoreResult:
    """Compute a lead's score under `policy` as of `now`, without storing it (a what-if read).

    With the `semantic` index, an indexed lead gets the semantic category, as in `rescore_leads`.
    Raises VectorStoreError when that index cannot be read.
    """
    facts = session.execute(select(*(getattr(Lead, name) for name in LEAD_FACT_FIELDS)).where(Lead.id == lead_id)).first()
    if facts is None:
        raise LookupError(f"no lead with id {lead_id}")
    activities = session.execute(
        select(Activity.kind, Activity.occurred_at, Activity.direction, Activity.detail).where(Activity.lead_id == lead_id)
    ).all()
    part = None
    if semantic is not None and (category := policy.categories.semantic_in_force) is not None:
        part = SemanticScorer.load(session, index=semantic, category=category).parts(session, [lead_id]).get(lead_id)
    return score_lead(
        lead=LeadFacts(*facts),
        activities=[ActivityFacts(*row) for row in activities],
        policy=policy,
        now=now,
        semantic=part,
    )


def explain_score(session: Session, *, lead_id: int) -> ScoreExplanation:
    """A lead's stored score in readable lines, plus the audit history of its score and tier; a
    closed lead also says how and when it ended."""
    lead = session.execute(
        select(Lead.id, Lead.company, Lead.score, Lead.tier, Lead.scored_at, Lead.score_breakdown, Lead.stage,
               Lead.conversion_probability).where(Lead.id == lead_id)
    ).first()
    if lead is None:
        raise LookupError(f"no lead with id {lead_id}")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.lead_id == lead_id, AuditEvent.field.in_(("score", "tier")))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    breakdown = lead.score_breakdown
    outcome = lead_outcome(session, lead_id)
    return ScoreExplanation(
        lead_id=lead.id,
        company=lead.company,
        score=lead.score,
        tier=lead.tier,
        scored_at=lead.scored_at,
        policy_version=breakdown.get("policy_version") if breakdown else None,
        summary=_summary(breakdown) if breakdown else "not scored yet",
        lines=breakdown_lines(breakdown) if breakdown else [],
        history=[ScoreChange(e.at, e.field, e.old_value, e.new_value, e.reason, e.actor) for e in events],
        breakdown=breakdown,
        stage=lead.stage,
        outcome=outcome.result if outcome else None,
        closed_on=outcome.closed_on if outcome else None,
        outcome_sentence=outcome.sentence() if outcome else None,
        model=None if outcome else _model_view(session, tier=lead.tier, breakdown=breakdown, probability=lead.conversion_probability),
    )


def _model_view(session: Session, *, tier: str | None, breakdown: dict[str, Any] | None, probability: float | None) -> dict[str, Any] | None:
    """The trained model's view of an open lead (its stored probability), None without one."""
    from leadpilot.tools.prediction import stored_priority

    priority = stored_priority(session, probability)
    if probability is None or priority is None:
        return None
    story = rules_and_model(tier=tier, breakdown=breakdown, probability=probability, priority=priority)
    return {"probability": round(float(probability), 4), "priority": priority, "story": story}


def rank_leads(
    session: Session, *, tier: str | None = None, limit: int = 10, scope: Literal["open", "closed", "all"] = "open"
) -> list[RankedLead]:
    """The highest-scoring leads (ties: lowest id first), optionally of one tier; open leads only by default."""
    if tier is not None and tier not in {t.value for t in Tier}:
        raise ValueError(f"unknown tier {tier!r}: use hot, warm or cold")
    if not 1 <= limit <= 1000:
        raise ValueError(f"limit must be between 1 and 1000 (got {limit})")
    query = select(
        Lead.id, Lead.company, Lead.contact_name, Lead.industry, Lead.source, Lead.stage, Lead.score, Lead.tier, Lead.score_breakdown
    ).where(Lead.score.is_not(None))
    if tier is not None:
        query = query.where(Lead.tier == tier)
    open_stages = [stage.value for stage in OPEN_STAGES]
    if scope == "open":
        query = query.where(Lead.stage.in_(open_stages))
    elif scope == "closed":  # won or lost
        query = query.where(Lead.stage.not_in(open_stages))
    rows = session.execute(query.order_by(Lead.score.desc(), Lead.id).limit(limit)).all()
    return [
        RankedLead(
            lead_id=row.id,
            company=row.company,
            contact_name=row.contact_name,
            industry=row.industry,
            source=row.source,
            stage=row.stage,
            score=row.score,
            tier=row.tier,
            reasons=top_reasons(row.score_breakdown),
        )
        for row in rows
    ]
