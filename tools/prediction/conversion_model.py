"""The conversion model: what the evals train on any CSV, and the lead model trained on the store.

`evaluate_tabular` trains and scores calibrated boosting on any tabular dataset (tools.tabular).
`train_conversion_model` learns P(converted) from the store's closed leads, each described as of
its outcome date (tools.prediction.features); held-out metrics go into a `model_versions` row, and the
model, refitted on every closed lead, into a joblib file under `data_dir/models/`.
`load_latest_model` brings the newest back, after checking the file is the one that was saved.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.db import Database
from leadpilot.memory.ml_models import ModelVersion
from leadpilot.tools.prediction.calibrated_classifier import (
    RANDOM_STATE,
    TEST_SIZE,
    CalibrationBin,
    FeatureImportance,
    FoldScores,
    HeldOutRun,
    ModelEvaluation,
    evaluate_classifier,
    fit_calibrated,
    fold_aucs,
    json_safe,
    predict_positive,
)
from leadpilot.tools.prediction.features import FEATURES, FeatureSpec, FeatureValue, LeadSnapshot, lead_snapshots
from leadpilot.tools.prediction.priority import MODEL_KIND, TIER_QUANTILES, priority_of
from leadpilot.tools.prediction.tabular import TabularDataset, TabularError

MIN_CLOSED_LEADS = 50
MIN_PER_CLASS = 5


class NotEnoughHistoryError(ValueError):
    """Too few closed leads (or only one outcome) to learn from."""


class ModelNotFoundError(LookupError):
    """No trained model (or its artifact is missing or altered)."""


def evaluate_tabular(
    dataset: TabularDataset, *, test_size: float = TEST_SIZE, random_state: int = RANDOM_STATE, importance_repeats: int = 5
) -> ModelEvaluation:
    """Train and evaluate on any tabular dataset; importance is per original column."""
    counts = np.bincount(dataset.y, minlength=2)
    if counts.min() < 2 * MIN_PER_CLASS:
        raise TabularError(
            f"label {dataset.label!r}: {int(counts[1])} rows are {dataset.positive!r} and {int(counts[0])} are "
            f"{dataset.negative!r}; need at least {2 * MIN_PER_CLASS} of each to train and hold some out"
        )
    groups = {name: [i] for i, name in enumerate(dataset.feature_names)}
    run = evaluate_classifier(
        dataset.X, dataset.y.astype(int), categorical_mask=dataset.categorical_mask, groups=groups,
        test_size=test_size, random_state=random_state, importance_repeats=importance_repeats,
    )
    return run.evaluation


# --- the store's lead model ---------------------------------------------------------------------


@dataclass
class ConversionModel:
    """A trained lead model with everything predictions need: encoding, baselines, tiers, close times."""

    version: str
    trained_at: datetime
    estimator: Any
    features: tuple[FeatureSpec, ...]
    categories: dict[str, tuple[str, ...]]
    baseline: dict[str, FeatureValue]  # median (numbers) / mode (categories) over the training leads
    tier_thresholds: dict[str, float]  # lower bound of top, high, medium
    calibration: list[CalibrationBin]  # held-out reliability, behind each prediction's confidence
    importance: list[FeatureImportance]  # by explanation group, held-out
    close_days: list[tuple[str | None, str | None, float]]  # (segment, source, days created -> converted)
    metrics: dict[str, Any]
    n_train: int

    @property
    def feature_names(self) -> list[str]:
        return [spec.name for spec in self.features]

    def matrix(self, rows: Sequence[Mapping[str, FeatureValue]]) -> np.ndarray:
        return encode_rows(rows, features=self.features, categories=self.categories)

    def predict(self, rows: Sequence[Mapping[str, FeatureValue]]) -> np.ndarray:
        if not rows:
            return np.empty(0)
        return predict_positive(self.estimator, self.matrix(rows))

    def tier_of(self, probability: float) -> str:
        return priority_of(self.tier_thresholds, probability)

    def calibration_bin(self, probability: float) -> CalibrationBin:
        index = min(int(probability * len(self.calibration)), len(self.calibration) - 1)
        return self.calibration[index]


def learn_categories(rows: Sequence[Mapping[str, FeatureValue]], *, features: Sequence[FeatureSpec]) -> dict[str, tuple[str, ...]]:
    """Category codes per categorical feature: the 250 most frequent values, sorted."""
    categories = {}
    for spec in features:
        if spec.kind == "categorical":
            counts = Counter(str(row[spec.name]) for row in rows if row.get(spec.name) is not None)
            categories[spec.name] = tuple(sorted(value for value, _ in counts.most_common(250)))
    return categories


def encode_rows(
    rows: Sequence[Mapping[str, FeatureValue]], *, features: Sequence[FeatureSpec], categories: Mapping[str, Sequence[str]]
) -> np.ndarray:
    """The float matrix the model reads: numbers as-is, categories as codes, unknown/missing as NaN."""
    codes = {name: {value: float(i) for i, value in enumerate(values)} for name, values in categories.items()}
    X = np.full((len(rows), len(features)), np.nan)
    for j, spec in enumerate(features):
        if spec.kind == "categorical":
            lookup = codes[spec.name]
            X[:, j] = [lookup.get(str(row[spec.name]), np.nan) if row.get(spec.name) is not None else np.nan for row in rows]
        else:
            X[:, j] = [np.nan if row.get(spec.name) is None else float(row[spec.name]) for row in rows]  # type: ignore[arg-type]
    return X


def explanation_groups(features: Sequence[FeatureSpec]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for index, spec in enumerate(features):
        groups.setdefault(spec.group, []).append(index)
    return groups


def training_baseline(rows: Sequence[Mapping[str, FeatureValue]], *, features: Sequence[FeatureSpec]) -> dict[str, FeatureValue]:
    """A typical lead: the median of each number and the most common value of each category."""
    baseline: dict[str, FeatureValue] = {}
    for spec in features:
        values = [row[spec.name] for row in rows if row.get(spec.name) is not None]
        if not values:
            baseline[spec.name] = None
        elif spec.kind == "categorical":
            baseline[spec.name] = Counter(values).most_common(1)[0][0]
        else:
            baseline[spec.name] = float(np.median(np.asarray(values, dtype=float)))
    return baseline


@dataclass(frozen=True)
class LeadHistory:
    """Closed leads as a training set."""

    snapshots: list[LeadSnapshot]
    X: np.ndarray
    y: np.ndarray
    categories: dict[str, tuple[str, ...]]

    @property
    def n_converted(self) -> int:
        return int(self.y.sum())


def lead_history(session: Session, *, now: datetime) -> LeadHistory:
    """The store's closed leads, each described as of its outcome date. Raises when too few."""
    snapshots = lead_snapshots(session, now=now, which="closed")
    converted = sum(1 for s in snapshots if s.converted)
    lost = len(snapshots) - converted
    if len(snapshots) < MIN_CLOSED_LEADS or min(converted, lost) < MIN_PER_CLASS:
        raise NotEnoughHistoryError(
            f"not enough history to train the conversion model: the store has {len(snapshots)} closed leads "
            f"({converted} converted, {lost} lost); it needs at least {MIN_CLOSED_LEADS} closed leads with at least "
            f"{MIN_PER_CLASS} converted and {MIN_PER_CLASS} lost. Close more leads (stage CUSTOMER or LOST) or "
            f"import history with the converted column."
        )
    rows = [s.features for s in snapshots]
    categories = learn_categories(rows, features=FEATURES)
    X = encode_rows(rows, features=FEATURES, categories=categories)
    y = np.array([1 if s.converted else 0 for s in snapshots], dtype=int)
    return LeadHistory(snapshots=snapshots, X=X, y=y, categories=categories)


def rule_score_auc(history: LeadHistory, test_index: np.ndarray) -> tuple[float | None, int]:
    """AUC of the stored rule score on the held-out leads that have one (and how many had one)."""
    from sklearn.metrics import roc_auc_score

    scored = [i for i in test_index if history.snapshots[i].score is not None]
    labels = history.y[scored]
    if len(scored) < 2 or labels.min() == labels.max():
        return None, len(scored)
    scores = np.array([history.snapshots[i].score for i in scored], dtype=float)
    return float(roc_auc_score(labels, scores)), len(scored)


def evaluate_lead_history(history: LeadHistory, *, random_state: int = RANDOM_STATE) -> tuple[HeldOutRun, float | None, int]:
    """The lead model on a held-out split of the closed leads, and the rule score on the same leads."""
    run = evaluate_classifier(
        history.X, history.y, categorical_mask=_categorical_mask(FEATURES), groups=explanation_groups(FEATURES),
        random_state=random_state,
    )
    auc, n_scored = rule_score_auc(history, run.test_index)
    return run, auc, n_scored


def history_fold_aucs(
    history: LeadHistory, *, folds: int, random_state: int = RANDOM_STATE, extra_scores: dict[str, np.ndarray] | None = None
) -> FoldScores:
    """Mean ± sd AUC over stratified folds of the closed leads: the model and its baselines
    (`extra_scores`, one value per snapshot, NaN where absent, are measured on the same folds)."""
    return fold_aucs(history.X, history.y, categorical_mask=_categorical_mask(FEATURES), folds=folds,
                     random_state=random_state, extra_scores=extra_scores)


def tabular_fold_aucs(dataset: Any, *, folds: int, random_state: int = RANDOM_STATE) -> FoldScores:
    """Mean ± sd AUC over stratified folds of a tabular dataset (`load_tabular`)."""
    return fold_aucs(dataset.X, dataset.y.astype(int), categorical_mask=dataset.categorical_mask, folds=folds,
                     random_state=random_state)


def _categorical_mask(features: Sequence[FeatureSpec]) -> np.ndarray:
    return np.array([spec.kind == "categorical" for spec in features], dtype=bool)


def _version(*, now: datetime, X: np.ndarray, y: np.ndarray, random_state: int) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([spec.name for spec in FEATURES]).encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    digest.update(str(random_state).encode())
    return f"conv-{utc(now):%Y%m%dT%H%M%S}-{digest.hexdigest()[:8]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def train_conversion_model(db: Database, *, now: datetime, data_dir: Path, random_state: int = RANDOM_STATE) -> ModelVersion:
    """Learn P(converted) from the store's closed leads; save it and return its `ModelVersion` row.

    Metrics come from a held-out split; the stored model is then refitted on every closed lead.
    Raises NotEnoughHistoryError when there are too few closed leads or outcomes.
    """
    import joblib

    with db.session() as session:
        history = lead_history(session, now=now)
    run, rule_auc, n_scored = evaluate_lead_history(history, random_state=random_state)
    mask = _categorical_mask(FEATURES)
    # Refit on every closed lead, with the calibration method the held-out run chose.
    final = fit_calibrated(
        history.X, history.y, categorical_mask=mask, method=run.evaluation.calibration_method, random_state=random_state
    )
    train_probabilities = predict_positive(final.estimator, history.X)
    thresholds = {tier: float(np.quantile(train_probabilities, q)) for tier, q in TIER_QUANTILES}
    rows = [s.features for s in history.snapshots]
    close_days = [
        (s.features.get("segment"), s.features.get("source"), max(0.0, (utc(s.converted_at) - utc(s.created_at)).total_seconds() / 86400))
        for s in history.snapshots
        if s.converted and s.converted_at is not None
    ]
    version = _version(now=now, X=history.X, y=history.y, random_state=random_state)
    evaluation = run.evaluation
    metrics = evaluation.to_dict()
    metrics["feature_importance"] = metrics.pop("top_features")  # by explanation group
    metrics |= {
        "rule_score_auc": rule_auc,
        "rule_score_n": n_scored,
        "n_closed": len(history.snapshots),
        "n_converted": history.n_converted,
        "tier_thresholds": thresholds,
        "sklearn_version": _sklearn_version(),
    }
    model = ConversionModel(
        version=version,
        trained_at=utc(now),
        estimator=final.estimator,
        features=FEATURES,
        categories=history.categories,
        baseline=training_baseline(rows, features=FEATURES),
        tier_thresholds=thresholds,
        calibration=evaluation.calibration,
        importance=evaluation.top_features,
        close_days=close_days,
        metrics=json_safe(metrics),
        n_train=len(history.y),
    )
    relative = Path("models") / f"{version}.joblib"
    path = Path(data_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".joblib.tmp")
    joblib.dump(model, temporary, compress=3)
    temporary.replace(path)

    with db.transaction() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
        if row is None:
            row = ModelVersion(version=version, kind=MODEL_KIND, trained_at=utc(now))
            session.add(row)
        row.n_train = model.n_train
        row.metrics = model.metrics
        row.features = [{"name": s.name, "family": s.family, "kind": s.kind, "label": s.label, "group": s.group} for s in FEATURES]
        row.artifact_path = relative.as_posix()
        row.artifact_sha256 = _sha256(path)
        session.flush()
    return row


def latest_model_version(session: Session, *, kind: str = MODEL_KIND) -> ModelVersion | None:
    """The newest `ModelVersion` row of this kind, or None."""
    query = select(ModelVersion).where(ModelVersion.kind == kind).order_by(ModelVersion.trained_at.desc(), ModelVersion.id.desc())
    return session.scalars(query.limit(1)).first()


def load_model(row: ModelVersion, data_dir: Path) -> ConversionModel:
    """Load a version's artifact, after checking it is the file that was saved."""
    import joblib

    path = Path(data_dir) / row.artifact_path
    if not path.is_file():
        raise ModelNotFoundError(f"model {row.version}: artifact {path} is missing; retrain with `leadpilot train`")
    if _sha256(path) != row.artifact_sha256:
        raise ModelNotFoundError(f"model {row.version}: artifact {path} changed since it was saved; retrain with `leadpilot train`")
    trained_with = (row.metrics or {}).get("sklearn_version")
    if trained_with and trained_with != _sklearn_version():
        raise ModelNotFoundError(
            f"model {row.version} was trained with scikit-learn {trained_with}, this is {_sklearn_version()}; "
            "retrain with `leadpilot train`"
        )
    model = joblib.load(path)
    if not isinstance(model, ConversionModel):
        raise ModelNotFoundError(f"model {row.version}: {path} does not hold a conversion model")
    return model


def load_latest_model(db: Database, data_dir: Path) -> ConversionModel:
    """The newest trained conversion model. Raises ModelNotFoundError when none was trained."""
    with db.session() as session:
        row = latest_model_version(session)
    if row is None:
        raise ModelNotFoundError("no conversion model has been trained yet; run `leadpilot train`")
    return load_model(row, data_dir)
