"""Calibrated gradient boosting, and an honest held-out evaluation of it.

The model: scikit-learn's HistGradientBoostingClassifier (categorical columns native, missing
values native) inside CalibratedClassifierCV. Isotonic and sigmoid calibration are both fitted on
three quarters of the training data; the one with the lower Brier score on the last quarter is
kept. The evaluation: a stratified held-out split that no fitting step sees, scored by AUC (with
its standard error), Brier score, a reliability table, permutation importance and a plain
logistic-regression baseline on the same split.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

TEST_SIZE = 0.2
RANDOM_STATE = 42
CALIBRATION_BINS = 10


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run scikit-learn's OpenMP code on one thread.

    On a small shared machine, boosting's spinning OpenMP threads slow it down ten-fold as soon as
    another process wants a core; one thread is barely slower when the machine is idle.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@dataclass(frozen=True)
class CalibrationBin:
    lower: float
    upper: float
    count: int
    mean_predicted: float | None  # None when no held-out prediction fell in the bin
    observed_rate: float | None


@dataclass(frozen=True)
class FeatureImportance:
    name: str  # a column (tabular) or an explanation group (lead model)
    importance: float  # mean drop of held-out AUC when the column is shuffled
    std: float


@dataclass(frozen=True)
class ModelEvaluation:
    auc: float
    auc_se: float  # Hanley-McNeil standard error
    brier: float
    baseline_brier: float  # always predicting the training positive rate
    logistic_auc: float | None
    calibration_method: str
    validation_brier: dict[str, float]  # per calibration method, on the validation part of training
    calibration: list[CalibrationBin]
    top_features: list[FeatureImportance]
    n_train: int
    n_test: int
    positive_rate: float
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def expected_calibration_error(self) -> float:
        total = sum(b.count for b in self.calibration) or 1
        return sum(b.count * abs(b.mean_predicted - b.observed_rate) for b in self.calibration if b.count) / total

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expected_calibration_error"] = self.expected_calibration_error
        return json_safe(data)


def calibration_table(y_true: np.ndarray, probabilities: np.ndarray, *, bins: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Reliability bins of equal width over [0, 1]: mean prediction vs observed rate, and count."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probabilities, edges[1:-1], right=False), 0, bins - 1)
    table = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        table.append(
            CalibrationBin(
                lower=round(float(edges[b]), 4),
                upper=round(float(edges[b + 1]), 4),
                count=count,
                mean_predicted=float(probabilities[members].mean()) if count else None,
                observed_rate=float(y_true[members].mean()) if count else None,
            )
        )
    return table


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2) + (n_negative - 1) * (q2 - auc**2)) / max(1, n_positive * n_negative)
    return math.sqrt(max(0.0, variance))


def json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN and infinities to None (JSONB refuses NaN)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --- fitting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibratedFit:
    estimator: Any  # a fitted CalibratedClassifierCV
    method: str  # isotonic | sigmoid
    validation_brier: dict[str, float]


def make_booster(*, n_samples: int, categorical_mask: np.ndarray, random_state: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    if n_samples >= 2000:  # enough data to hold 10% back for early stopping
        return HistGradientBoostingClassifier(
            learning_rate=0.1, max_iter=300, early_stopping=True, n_iter_no_change=15, l2_regularization=1.0,
            categorical_features=categorical_mask, random_state=random_state,
        )
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=150, max_depth=3, early_stopping=False, l2_regularization=1.0,
        min_samples_leaf=max(5, min(20, n_samples // 25)), categorical_features=categorical_mask,
        random_state=random_state,
    )


def _folds(y: np.ndarray, *, most: int, random_state: int) -> Any:
    from sklearn.model_selection import StratifiedKFold

    minority = int(min(np.bincount(y, minlength=2)))
    return StratifiedKFold(n_splits=max(2, min(most, minority)), shuffle=True, random_state=random_state)


def _calibrated(
    method: str, *, X: np.ndarray, y: np.ndarray, categorical_mask: np.ndarray, folds: int, random_state: int
) -> Any:
    from sklearn.calibration import CalibratedClassifierCV

    booster = make_booster(n_samples=len(y), categorical_mask=categorical_mask, random_state=random_state)
    cv = _folds(y, most=folds, random_state=random_state)
    with single_threaded():
        return CalibratedClassifierCV(booster, method=method, cv=cv).fit(X, y)


def _choose_calibration(
    X: np.ndarray, y: np.ndarray, *, categorical_mask: np.ndarray, random_state: int
) -> tuple[str, dict[str, float]]:
    """Isotonic or sigmoid: the lower Brier score on a validation quarter of (X, y) wins.

    With fewer than 10 of the rarer class in that quarter the comparison is noise; sigmoid (two
    parameters) is taken then, as isotonic regression overfits small samples.
    """
    from sklearn.metrics import brier_score_loss
    from sklearn.model_selection import train_test_split

    minority = int(min(np.bincount(y, minlength=2)))
    if minority * 0.25 < 10:
        return "sigmoid", {}
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.25, stratify=y, random_state=random_state)
    scores = {}
    for method in ("isotonic", "sigmoid"):
        model = _calibrated(method, X=X_fit, y=y_fit, categorical_mask=categorical_mask, folds=3, random_state=random_state)
        scores[method] = float(brier_score_loss(y_val, predict_positive(model, X_val)))
    return min(scores, key=lambda m: (scores[m], m != "sigmoid")), scores


def fit_calibrated(
    X: np.ndarray,
    y: np.ndarray,
    *,
    categorical_mask: np.ndarray,
    method: str | None = None,
    random_state: int = RANDOM_STATE,
) -> CalibratedFit:
    """Calibrated boosting on (X, y): 5-fold CalibratedClassifierCV, the method chosen unless given."""
    scores: dict[str, float] = {}
    if method is None:
        method, scores = _choose_calibration(X, y, categorical_mask=categorical_mask, random_state=random_state)
    estimator = _calibrated(method, X=X, y=y, categorical_mask=categorical_mask, folds=5, random_state=random_state)
    return CalibratedFit(estimator=estimator, method=method, validation_brier=scores)


def predict_positive(estimator: Any, X: np.ndarray) -> np.ndarray:
    """P(positive) for each row."""
    with single_threaded():
        return estimator.predict_proba(X)[:, 1]


def logistic_baseline_auc(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, *, categorical_mask: np.ndarray
) -> float:
    """AUC of a plain logistic regression (one-hot categoricals, scaled numbers) on the same split."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = np.flatnonzero(~categorical_mask)
    categorical = np.flatnonzero(categorical_mask)
    prepare = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
            ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value=-1), OneHotEncoder(handle_unknown="ignore")), categorical),
        ]
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=2000))
    model.fit(X_train, y_train)
    return float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))


def permutation_importance(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    groups: Mapping[str, Sequence[int]],
    repeats: int = 5,
    random_state: int = RANDOM_STATE,
    max_rows: int = 5000,
) -> list[FeatureImportance]:
    """Drop in held-out AUC when a group of columns is shuffled together, largest first."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(random_state)
    if len(y) > max_rows:  # a stratified-enough sample keeps this quick on big files
        keep = rng.choice(len(y), size=max_rows, replace=False)
        X, y = X[keep], y[keep]
    reference = roc_auc_score(y, predict_positive(estimator, X))
    results = []
    for name, columns in groups.items():
        # All repeats in one predict call: the per-call overhead dominates on small held-out sets.
        stacked = np.tile(X, (repeats, 1))
        for r in range(repeats):
            rows = slice(r * len(y), (r + 1) * len(y))
            stacked[rows, list(columns)] = X[rng.permutation(len(y))][:, list(columns)]
        probabilities = predict_positive(estimator, stacked).reshape(repeats, len(y))
        drops = [reference - roc_auc_score(y, probabilities[r]) for r in range(repeats)]
        results.append(FeatureImportance(name=name, importance=float(np.mean(drops)), std=float(np.std(drops))))
    return sorted(results, key=lambda item: -item.importance)


@dataclass(frozen=True)
class HeldOutRun:
    """An evaluation plus what later steps reuse: the split and the held-out predictions."""

    evaluation: ModelEvaluation
    test_index: np.ndarray
    test_probabilities: np.ndarray


def evaluate_classifier(
    X: np.ndarray,
    y: np.ndarray,
    *,
    categorical_mask: np.ndarray,
    groups: Mapping[str, Sequence[int]],
    test_size: float = TEST_SIZE,
    random_state: int = RANDOM_STATE,
    importance_repeats: int = 5,
    with_logistic: bool = True,
) -> HeldOutRun:
    """Fit on a stratified training split, measure on the held-out rest."""
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    started = time.perf_counter()
    index = np.arange(len(y))
    train, test = train_test_split(index, test_size=test_size, stratify=y, random_state=random_state)
    fit = fit_calibrated(X[train], y[train], categorical_mask=categorical_mask, random_state=random_state)
    probabilities = predict_positive(fit.estimator, X[test])
    y_test = y[test]
    auc = float(roc_auc_score(y_test, probabilities))
    n_pos = int(y_test.sum())
    warnings = []
    if auc >= 0.99:
        warnings.append(
            "AUC >= 0.99 usually means a column gives the outcome away (a date or status set when the deal "
            "closed); check the top features and --drop it"
        )
    if min(n_pos, len(y_test) - n_pos) < 30:
        warnings.append(f"only {min(n_pos, len(y_test) - n_pos)} held-out examples of the rarer class: the numbers are noisy")
    evaluation = ModelEvaluation(
        auc=auc,
        auc_se=auc_standard_error(auc, n_pos, len(y_test) - n_pos),
        brier=float(brier_score_loss(y_test, probabilities)),
        baseline_brier=float(brier_score_loss(y_test, np.full(len(y_test), y[train].mean()))),
        logistic_auc=(
            logistic_baseline_auc(X[train], y[train], X[test], y_test, categorical_mask=categorical_mask) if with_logistic else None
        ),
        calibration_method=fit.method,
        validation_brier=fit.validation_brier,
        calibration=calibration_table(y_test, probabilities),
        top_features=permutation_importance(
            fit.estimator, X[test], y_test, groups=groups, repeats=importance_repeats, random_state=random_state
        ),
        n_train=int(len(train)),
        n_test=int(len(test)),
        positive_rate=float(y.mean()),
        seconds=0.0,
        warnings=warnings,
    )
    evaluation = replace(evaluation, seconds=round(time.perf_counter() - started, 2))
    return HeldOutRun(evaluation=evaluation, test_index=test, test_probabilities=probabilities)


@dataclass(frozen=True)
class FoldScores:
    """AUC per stratified fold for the model and its baselines, all on the same folds."""

    folds: int
    model: list[float]  # the lead model's booster (its calibration step is monotone and left out: AUC is ranking)
    logistic: list[float]  # plain logistic regression (one-hot categoricals, scaled numbers)
    gradient_boosting: list[float]  # HistGradientBoostingClassifier with sklearn's default settings
    extra: dict[str, list[float]]  # other scores on the same folds (e.g. the rule score)

    def summary(self) -> dict[str, dict[str, float]]:
        named = {"model": self.model, "logistic": self.logistic, "gradient_boosting": self.gradient_boosting, **self.extra}
        return {name: {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}
                for name, v in named.items() if v}

    def to_dict(self) -> dict[str, Any]:
        return {"folds": self.folds, "per_fold": {"model": self.model, "logistic": self.logistic,
                "gradient_boosting": self.gradient_boosting, **self.extra}, "summary": self.summary()}


def fold_aucs(
    X: np.ndarray, y: np.ndarray, *, categorical_mask: np.ndarray, folds: int, random_state: int = RANDOM_STATE,
    extra_scores: Mapping[str, np.ndarray] | None = None,
) -> FoldScores:
    """Mean ± sd AUC over `folds` stratified folds: the lead model's booster, the logistic baseline
    and a default gradient-boosting baseline, trained and measured on the same folds; `extra_scores`
    (fixed scores per row, such as the rule score) are measured on the same held-out folds."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    minority = int(min(np.bincount(y, minlength=2)))
    if not 2 <= folds <= minority:
        raise ValueError(f"--folds must be from 2 to {minority} (the rarer class's count) for this data (got {folds})")
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    model, logistic, default_gb = [], [], []
    extra: dict[str, list[float]] = {name: [] for name in (extra_scores or {})}
    for train, test in split.split(X, y):
        booster = make_booster(n_samples=len(train), categorical_mask=categorical_mask, random_state=random_state)
        baseline = HistGradientBoostingClassifier(random_state=random_state)
        with single_threaded():
            booster.fit(X[train], y[train])
            baseline.fit(X[train], y[train])
        model.append(float(roc_auc_score(y[test], predict_positive(booster, X[test]))))
        default_gb.append(float(roc_auc_score(y[test], predict_positive(baseline, X[test]))))
        logistic.append(logistic_baseline_auc(X[train], y[train], X[test], y[test], categorical_mask=categorical_mask))
        for name, scores in (extra_scores or {}).items():
            keep = test[~np.isnan(scores[test])]
            if len(keep) > 1 and y[keep].min() != y[keep].max():
                extra[name].append(float(roc_auc_score(y[keep], scores[keep])))
    return FoldScores(folds=folds, model=model, logistic=logistic, gradient_boosting=default_gb, extra=extra)
