"""The conversion model's priority tiers (top, high, medium, low) for a probability: lower bounds
are quantiles of the training leads' predicted probabilities, kept with each model version. Light
on purpose (no numpy, no model file): a lead's stored probability gets its tier from the newest
version's row alone."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.ml_models import ModelVersion

MODEL_KIND = "conversion"
# Priority tiers: lower bounds as quantiles of the training leads' predicted probabilities.
TIER_QUANTILES: tuple[tuple[str, float], ...] = (("top", 0.90), ("high", 0.70), ("medium", 0.40))


def priority_of(thresholds: Mapping[str, float], probability: float) -> str:
    """top / high / medium / low for `probability` under a model's tier thresholds."""
    for tier, _ in TIER_QUANTILES:
        if probability >= thresholds[tier]:
            return tier
    return "low"


def stored_priority(session: Session, probability: float | None) -> str | None:
    """The priority tier of a stored probability (Lead.conversion_probability) under the newest
    trained model; None without a probability or a trained model."""
    if probability is None:
        return None
    query = select(ModelVersion.metrics).where(ModelVersion.kind == MODEL_KIND)
    metrics = session.scalars(query.order_by(ModelVersion.trained_at.desc(), ModelVersion.id.desc()).limit(1)).first()
    thresholds = (metrics or {}).get("tier_thresholds")
    if not thresholds or any(tier not in thresholds for tier, _ in TIER_QUANTILES):
        return None
    return priority_of(thresholds, probability)
