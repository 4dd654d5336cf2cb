"""A conversion prediction for one lead, with everything a rep needs to act on it.

- probability: the calibrated model's P(converted), 0-1.
- confidence (0-1): decisiveness x support. Decisiveness = |p - 0.5| x 2 (how far from a coin
  flip the call is); support = n / (n + 20), n = held-out leads whose predictions fell in the same
  tenth of [0, 1] (how much evidence says probabilities in that range are right). Labels: high
  >= 0.6, medium >= 0.3, low below.
- factors: for each group of related features, the change in probability when that group is set
  back to a typical training lead (median / most common value) — a real model re-evaluation, not a
  proxy. Positive = raises the probability, negative = lowers it.
- risks and recommended actions: plain rules over the features and the probability, each with its
  reason; actions are ordered by how soon they are due.
- tier: top / high / medium / low, from the quantiles (90/70/40) of the training leads' probabilities.
- time to close (if it converts): 25th/50th/75th percentile of the remaining days of converted
  leads like this one (same segment and source, else segment, else source, else all) that were
  still open at this lead's age.
- a closed lead (won or lost) has nothing left to predict: its prediction carries the outcome and
  its date ("Won on 5 Aug 2026 — this is a customer."), no next actions, and is not recorded;
  `to_dict` reports the outcome instead of a probability, so nobody acts on one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.lead_lookup import LeadOutcome, lead_outcome
from leadpilot.memory.ml_models import ModelVersion, Prediction
from leadpilot.memory.models import Lead
from leadpilot.tools.prediction.conversion_model import ConversionModel, latest_model_version
from leadpilot.tools.prediction.features import FEATURES, FeatureSpec, FeatureValue, LeadSnapshot, lead_snapshot, lead_snapshots

DECISION_THRESHOLD = 0.5  # a prediction is "right" when (p >= 0.5) matches the outcome
SUPPORT_PSEUDOCOUNT = 20
MIN_EFFECT = 0.005  # contributions smaller than half a point are noise, not factors
TOP_FACTORS = 3
MIN_CLOSE_SAMPLES = 5
# Risk thresholds (days / activity counts).
SILENCE_DAYS = 14
QUIET_DAYS_30 = 1
NEW_LEAD_GRACE_DAYS = 3


@dataclass(frozen=True)
class Factor:
    group: str  # "pricing page visits"
    family: str
    effect: float  # probability change against a typical lead: +0.12 raises by 12 points
    detail: str  # this lead's values, in words


@dataclass(frozen=True)
class Risk:
    code: str  # low_activity_velocity | long_silence | never_contacted | missing_company | missing_title | free_email
    message: str


@dataclass(frozen=True)
class Recommendation:
    action: str
    reason: str
    due_within_hours: int  # the ordering key: sooner first

    @property
    def urgency(self) -> str:
        if self.due_within_hours <= 24:
            return "today"
        if self.due_within_hours <= 72:
            return "within 3 days"
        if self.due_within_hours <= 168:
            return "this week"
        return "later"


@dataclass(frozen=True)
class TimeToClose:
    """Days from the prediction until it converts, if it does: optimistic <= expected <= pessimistic."""

    optimistic_days: float
    expected_days: float
    pessimistic_days: float
    samples: int
    basis: str


@dataclass(frozen=True)
class LeadPrediction:
    lead_id: int
    model_version: str
    made_at: datetime
    as_of: datetime  # the instant the features describe (now for open leads)
    probability: float
    confidence: float
    confidence_label: str
    confidence_basis: str
    tier: str
    raising: list[Factor]
    lowering: list[Factor]
    risks: list[Risk]
    recommendations: list[Recommendation]
    time_to_close: TimeToClose | None  # None for leads already closed
    prediction_id: int | None = None
    stage: str | None = None
    outcome: str | None = None  # won | lost when the lead is closed: then there is nothing to predict
    closed_on: datetime | None = None
    outcome_sentence: str | None = None  # "Won on 5 Aug 2026 — this is a customer."

    def to_dict(self) -> dict[str, Any]:
        """The prediction as JSON-ready data; for a closed lead, its outcome instead (no probability)."""
        if self.outcome is not None and self.stage is not None:
            outcome = LeadOutcome(self.lead_id, self.stage, "won" if self.outcome == "won" else "lost", self.closed_on)
            return {**outcome_report(outcome), "model_version": self.model_version, "made_at": self.made_at.isoformat()}
        data = asdict(self)
        for key in ("stage", "outcome", "closed_on", "outcome_sentence"):
            data.pop(key)
        data["made_at"] = self.made_at.isoformat()
        data["as_of"] = self.as_of.isoformat()
        for item, recommendation in zip(data["recommendations"], self.recommendations):
            item["urgency"] = recommendation.urgency
        return data


def outcome_report(outcome: LeadOutcome) -> dict[str, Any]:
    """What a prediction of a closed lead reports: how and when it ended, and that there is nothing
    left to predict (no probability, so nobody acts on one)."""
    return {**outcome.to_dict(), "answer": f"{outcome.sentence()} There is nothing left to predict for lead {outcome.lead_id}."}


# --- the parts ----------------------------------------------------------------------------------


def _format(name: str, value: FeatureValue) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return value
    if name.endswith("_rate") or name.endswith("_share"):
        return f"{value:.0%}"
    if name.startswith("has_") or name == "free_email":
        return "yes" if value else "no"
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 10 else f"{value:.2f}"


def describe_group(group: str, features: dict[str, FeatureValue], *, specs: Sequence[FeatureSpec] = FEATURES) -> str:
    """This lead's values for one explanation group: "pricing page visits: 3; ... in the last 7 days: 2"."""
    parts = [f"{spec.label}: {_format(spec.name, features.get(spec.name))}" for spec in specs if spec.group == group]
    return "; ".join(parts)


def _num(features: dict[str, FeatureValue], name: str) -> float:
    """A numeric feature, 0 when missing."""
    value = features.get(name)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _days(features: dict[str, FeatureValue], name: str) -> float | None:
    value = features.get(name)
    return float(value) if isinstance(value, (int, float)) else None


def _times(count: float) -> str:
    return {1: "once", 2: "twice"}.get(int(count), f"{count:.0f} times")


def _plural(count: float, singular: str, plural: str | None = None) -> str:
    return f"{count:.0f} {singular if int(count) == 1 else plural or singular + 's'}"


def probability_and_contributions(model: ConversionModel, features: dict[str, FeatureValue]) -> tuple[float, list[Factor]]:
    """The probability, and per group of features: the probability minus the probability with
    that group set to the training baseline (all in one model call)."""
    groups: dict[str, list[FeatureSpec]] = {}
    for spec in model.features:
        groups.setdefault(spec.group, []).append(spec)
    variants = [features]
    for specs in groups.values():
        variants.append({**features, **{spec.name: model.baseline.get(spec.name) for spec in specs}})
    probability, *without = (float(p) for p in model.predict(variants))
    factors = [
        Factor(
            group=group,
            family=specs[0].family,
            effect=round(probability - other, 4),
            detail=describe_group(group, features, specs=model.features),
        )
        for (group, specs), other in zip(groups.items(), without)
    ]
    return probability, factors


def confidence_of(model: ConversionModel, probability: float) -> tuple[float, str, str]:
    bin_ = model.calibration_bin(probability)
    support = bin_.count / (bin_.count + SUPPORT_PSEUDOCOUNT)
    value = round(abs(probability - 0.5) * 2 * support, 3)
    label = "high" if value >= 0.6 else "medium" if value >= 0.3 else "low"
    if bin_.count:
        basis = (
            f"held-out leads predicted {bin_.lower:.0%}-{bin_.upper:.0%}: {bin_.count}, "
            f"of which {bin_.observed_rate:.0%} converted"
        )
    else:
        basis = f"no held-out lead was predicted {bin_.lower:.0%}-{bin_.upper:.0%}: little evidence for this range"
    return value, label, basis


def risks_of(features: dict[str, FeatureValue]) -> list[Risk]:
    risks: list[Risk] = []
    age = _num(features, "days_since_created")
    last_inbound = _days(features, "days_since_last_inbound")
    recent = _num(features, "inbound_30d")
    if age >= SILENCE_DAYS and recent <= QUIET_DAYS_30:
        since = f"; the last one {last_inbound:.0f} days ago" if last_inbound is not None else "; none ever"
        active = _plural(recent, "activity", "activities")
        risks.append(Risk("low_activity_velocity", f"low activity velocity: {active} from the lead in the last 30 days{since}"))
    touch = _days(features, "days_since_last_touch")
    if touch is None and age >= NEW_LEAD_GRACE_DAYS:
        risks.append(Risk("never_contacted", f"never contacted, {age:.0f} days after it came in"))
    elif touch is not None and touch >= SILENCE_DAYS:
        risks.append(Risk("long_silence", f"long silence: no touch from us in {touch:.0f} days"))
    if not features.get("has_company"):
        risks.append(Risk("missing_company", "company is missing"))
    if not features.get("has_title"):
        risks.append(Risk("missing_title", "job title is missing"))
    if features.get("free_email"):
        risks.append(Risk("free_email", "free email domain: the company behind it is unconfirmed"))
    return risks


def recommendations_for(features: dict[str, FeatureValue], *, probability: float, tier: str) -> list[Recommendation]:
    """Next actions from the lead's recent signals and tier, the most urgent first."""
    f = features
    out: list[Recommendation] = []
    touch = _days(f, "days_since_last_touch")
    last_inbound = _days(f, "days_since_last_inbound")
    unanswered = last_inbound is not None and (touch is None or touch > last_inbound)
    hot_tier = tier in ("top", "high")
    forms, demos, pricing = _num(f, "form_submits_7d"), _num(f, "demo_views_7d"), _num(f, "pricing_views_7d")
    if (forms or demos) and unanswered:
        what = "submitted a form" if forms else f"viewed the demo page {_times(demos)}"
        out.append(Recommendation("Reply within 24h", f"{what} this week and has not heard from us since", 24))
    if pricing:
        due = 24 if hot_tier or pricing >= 2 else 48
        out.append(Recommendation(f"Call within {due}h", f"visited pricing {_times(pricing)} this week", due))
    if hot_tier and (touch is None or touch >= 7):
        since = "never contacted" if touch is None else f"no touch in {touch:.0f} days"
        out.append(Recommendation("Reach out within 48h", f"{tier} priority ({probability:.0%} to convert), {since}", 48))
    if _num(f, "inbound_7d") >= 3 and not out:
        active = _plural(_num(f, "inbound_7d"), "activity", "activities")
        out.append(Recommendation("Engage within 48h while they are active", f"{active} from the lead this week", 48))
    if _num(f, "meetings") and touch is not None and touch >= 7:
        out.append(Recommendation("Follow up on the meeting within 3 days", f"met before, no touch in {touch:.0f} days", 72))
    missing = [name for name, key in (("company", "has_company"), ("job title", "has_title")) if not f.get(key)]
    if missing:
        out.append(Recommendation("Enrich the lead this week", f"{' and '.join(missing)} missing", 120))
    if f.get("free_email"):
        out.append(Recommendation("Confirm the company this week", "signed up with a free email domain", 120))
    if _num(f, "emails_sent") >= 3 and _num(f, "email_opens") and not _num(f, "email_clicks"):
        opened = _plural(_num(f, "email_opens"), "email")
        out.append(Recommendation("Change the message in the next send", f"opened {opened} but clicked none", 168))
    if tier == "low" and (last_inbound is None or last_inbound > 30):
        out.append(Recommendation("Move to a nurture sequence", f"low priority ({probability:.0%}) and no activity from the lead in 30 days", 336))
    if not out:
        out.append(Recommendation("Keep in the current sequence; review in a week", "no urgent signal", 168))
    return sorted(out, key=lambda r: r.due_within_hours)  # stable: rule order breaks ties


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    low, mid, high = np.quantile(np.asarray(values, dtype=float), [0.25, 0.5, 0.75])
    return round(float(low), 1), round(float(mid), 1), round(float(high), 1)


def time_to_close(model: ConversionModel, features: dict[str, FeatureValue]) -> TimeToClose | None:
    if not model.close_days:
        return None
    segment, source = features.get("segment"), features.get("source")
    age = _num(features, "days_since_created")
    pools: list[tuple[str, list[float]]] = []
    if segment and source:
        pools.append((f"converted {segment} leads from {source}", [d for s, src, d in model.close_days if (s, src) == (segment, source)]))
    if segment:
        pools.append((f"converted {segment} leads", [d for s, _, d in model.close_days if s == segment]))
    if source:
        pools.append((f"converted leads from {source}", [d for _, src, d in model.close_days if src == source]))
    pools.append(("converted leads", [d for _, _, d in model.close_days]))
    for basis, days in pools:
        remaining = [d - age for d in days if d >= age]
        if len(remaining) >= MIN_CLOSE_SAMPLES:
            low, mid, high = _quartiles(remaining)
            return TimeToClose(low, mid, high, len(remaining), f"{len(remaining)} {basis} still open at {age:.0f} days")
    days = [d for _, _, d in model.close_days]
    usual = _quartiles(days)
    return TimeToClose(
        0.0, 0.0, 0.0, len(days),
        f"already older ({age:.0f} days) than nearly every converted lead (they closed {usual[0]:.0f}-{usual[2]:.0f} days in): overdue",
    )


# --- predicting, recording, validating -----------------------------------------------------------


def explain_snapshot(snapshot: LeadSnapshot, *, model: ConversionModel, now: datetime) -> LeadPrediction:
    """The full prediction for a snapshot, without recording it."""
    features = snapshot.features
    probability, factors = probability_and_contributions(model, features)
    tier = model.tier_of(probability)
    raising = sorted((f for f in factors if f.effect >= MIN_EFFECT), key=lambda f: -f.effect)[:TOP_FACTORS]
    lowering = sorted((f for f in factors if f.effect <= -MIN_EFFECT), key=lambda f: f.effect)[:TOP_FACTORS]
    confidence, label, basis = confidence_of(model, probability)
    return LeadPrediction(
        lead_id=snapshot.lead_id,
        model_version=model.version,
        made_at=utc(now),
        as_of=snapshot.as_of,
        probability=round(probability, 4),
        confidence=confidence,
        confidence_label=label,
        confidence_basis=basis,
        tier=tier,
        raising=raising,
        lowering=lowering,
        risks=risks_of(features),
        recommendations=recommendations_for(features, probability=probability, tier=tier),
        time_to_close=time_to_close(model, features) if snapshot.converted is None else None,
    )


def predict_lead(
    session: Session, *, lead_id: int, model: ConversionModel, now: datetime, record: bool = True
) -> LeadPrediction:
    """Predict one open lead as of `now` and record it. A closed lead is not predicted: the result
    carries its outcome (what the model would have said as of the outcome is kept in `probability`,
    for the record, but no actions) and nothing is recorded."""
    prediction = explain_snapshot(lead_snapshot(session, lead_id=lead_id, now=now), model=model, now=now)
    outcome = lead_outcome(session, lead_id)
    if outcome is not None:
        return replace(
            prediction, risks=[], recommendations=[], time_to_close=None, stage=outcome.stage, outcome=outcome.result,
            closed_on=outcome.closed_on, outcome_sentence=outcome.sentence(),
        )
    if not record:
        return prediction
    row = Prediction(
        lead_id=lead_id,
        model_version=model.version,
        made_at=utc(now),
        probability=prediction.probability,
        tier=prediction.tier,
        detail={
            "confidence": prediction.confidence,
            "raising": [asdict(f) for f in prediction.raising],
            "lowering": [asdict(f) for f in prediction.lowering],
        },
    )
    session.add(row)
    session.flush()
    return replace(prediction, prediction_id=row.id)


def predict_probabilities(
    session: Session, *, model: ConversionModel, now: datetime, lead_ids: Sequence[int] | None = None
) -> dict[int, tuple[float, str]]:
    """(probability, tier) for many open leads at once, for ranking and bulk re-scoring (not recorded)."""
    snapshots = lead_snapshots(session, now=now, which="open", lead_ids=lead_ids)
    probabilities = model.predict([s.features for s in snapshots])
    return {s.lead_id: (round(float(p), 4), model.tier_of(float(p))) for s, p in zip(snapshots, probabilities)}


def validate_prediction(session: Session, *, prediction_id: int, converted: bool, now: datetime) -> Prediction:
    """Record the real outcome of a prediction and whether the prediction was right (p >= 0.5 vs outcome)."""
    row = session.get(Prediction, prediction_id)
    if row is None:
        raise LookupError(f"no prediction with id {prediction_id}")
    row.outcome_validated = bool(converted)
    row.correct = (row.probability >= DECISION_THRESHOLD) == bool(converted)
    row.validated_at = utc(now)
    session.flush()
    return row


def validate_closed_predictions(session: Session, *, now: datetime) -> int:
    """Validate every open prediction whose lead has since converted or been lost; returns how many."""
    query = select(Prediction, Lead.converted).join(Lead, Lead.id == Prediction.lead_id).where(
        Prediction.outcome_validated.is_(None), Lead.converted.is_not(None)
    )
    count = 0
    for prediction, converted in session.execute(query).all():
        validate_prediction(session, prediction_id=prediction.id, converted=converted, now=now)
        count += 1
    return count


def prediction_accuracy(session: Session) -> dict[str, Any]:
    """Accuracy and Brier score over validated predictions, conversion by tier, and what the current model weighs."""
    validated = session.execute(
        select(Prediction.probability, Prediction.tier, Prediction.outcome_validated, Prediction.correct).where(
            Prediction.outcome_validated.is_not(None)
        )
    ).all()
    total = session.scalar(select(func.count()).select_from(Prediction)) or 0
    n = len(validated)
    by_tier: dict[str, dict[str, Any]] = {}
    for _, tier, outcome, _ in validated:
        entry = by_tier.setdefault(tier, {"count": 0, "converted": 0})
        entry["count"] += 1
        entry["converted"] += int(bool(outcome))
    for entry in by_tier.values():
        entry["conversion_rate"] = round(entry["converted"] / entry["count"], 4)
    current: ModelVersion | None = latest_model_version(session)
    return {
        "predictions": total,
        "validated": n,
        "correct": sum(1 for row in validated if row.correct),
        "accuracy": round(sum(1 for row in validated if row.correct) / n, 4) if n else None,
        "brier": round(sum((row.probability - float(row.outcome_validated)) ** 2 for row in validated) / n, 4) if n else None,
        "decision_threshold": DECISION_THRESHOLD,
        "by_tier": by_tier,
        "model_version": current.version if current else None,
        "model_auc": current.metrics.get("auc") if current else None,
        "feature_importance": current.metrics.get("feature_importance", []) if current else [],
    }


def store_probabilities(session: Session, *, model: ConversionModel, now: datetime) -> int:
    """Write the model's probability onto every open lead (Lead.conversion_probability); returns how many."""
    from sqlalchemy import update

    probabilities = predict_probabilities(session, model=model, now=now)
    if probabilities:
        session.execute(
            update(Lead), [{"id": lead_id, "conversion_probability": p} for lead_id, (p, _tier) in probabilities.items()]
        )
    return len(probabilities)
