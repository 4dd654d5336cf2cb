"""`evals scoring`: how well the conversion model ranks and how honest its probabilities are.

Two datasets. A CSV (`--data FILE --label COLUMN`): any tabular history with an outcome column.
The store (default): its closed leads, each described as of its outcome date, with the model
compared against the rule score the leads carry. Both report AUC, Brier score, a reliability
table, the top features and a logistic-regression baseline, measured on a held-out split.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

MODEL_DESCRIPTION = "HistGradientBoostingClassifier + CalibratedClassifierCV"


def evaluate_csv(
    *, path: Path, label: str, drop: Sequence[str] = (), positive: str | None = None, random_state: int = 42,
    folds: int | None = None,
) -> dict[str, Any]:
    """Train and evaluate on a CSV file (and on `folds` stratified folds). Raises TabularError /
    ValueError on unusable input."""
    from leadpilot.tools.prediction import evaluate_tabular
    from leadpilot.tools.prediction import load_tabular, tabular_fold_aucs

    started = time.perf_counter()
    dataset = load_tabular(path, label=label, drop=drop, positive=positive)
    evaluation = evaluate_tabular(dataset, random_state=random_state)
    cross = tabular_fold_aucs(dataset, folds=folds, random_state=random_state).to_dict() if folds else None
    return {
        "eval": "scoring",
        "data": "csv",
        "model": MODEL_DESCRIPTION,
        "dataset": dataset.describe(),
        **evaluation.to_dict(),
        "cross_validation": cross,
        "seconds_total": round(time.perf_counter() - started, 2),
    }


def evaluate_store(*, db: Any, now: datetime, random_state: int = 42, folds: int | None = None) -> dict[str, Any]:
    """The lead model on the store's closed leads vs the rule score, on the same held-out leads (and
    on `folds` stratified folds), plus the policy's tiers on closed history (`leadpilot calibrate`).

    The rule score of a closed lead is the one the policy in force gave it as of its outcome date
    (its stored score describes it today, activities long decayed); the stored one is reported too.
    Nothing is written: no model version is stored. Raises NotEnoughHistoryError.
    """
    import numpy as np

    from leadpilot.tools.prediction import evaluate_lead_history, history_fold_aucs, lead_history
    from leadpilot.tools.scoring import calibrate_policy, load_policy, rule_scores_as_of_outcome

    started = time.perf_counter()
    policy = load_policy()
    with db.session() as session:
        history = lead_history(session, now=now)
        rule_of = rule_scores_as_of_outcome(session, policy=policy, now=now)
        calibration = calibrate_policy(session, policy=policy, now=now, weights=False)
    run, stored_auc, _ = evaluate_lead_history(history, random_state=random_state)
    evaluation = run.evaluation
    rule = np.array([rule_of.get(s.lead_id, np.nan) for s in history.snapshots], dtype=float)
    rule_auc, rule_n = _auc_on(history.y, rule, run.test_index)
    cross = None
    if folds:
        cross = history_fold_aucs(history, folds=folds, random_state=random_state, extra_scores={"rule_score": rule}).to_dict()
    return {
        "eval": "scoring",
        "data": "store",
        "model": MODEL_DESCRIPTION,
        "dataset": {
            "source": f"store ({db.dialect})",
            "closed_leads": len(history.snapshots),
            "converted": history.n_converted,
            "positive_rate": round(history.n_converted / len(history.snapshots), 4),
            "as_of": "each closed lead's outcome date",
        },
        **evaluation.to_dict(),
        "rule_score_auc": rule_auc,
        "rule_score_n": rule_n,
        "rule_score_auc_stored": stored_auc,
        "rule_policy": policy.version,
        "model_beats_rule_score": None if rule_auc is None else evaluation.auc > rule_auc,
        "cross_validation": cross,
        "tiers": calibration.to_dict(),
        "seconds_total": round(time.perf_counter() - started, 2),
    }


def _auc_on(y: Any, scores: Any, index: Any) -> tuple[float | None, int]:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    keep = index[~np.isnan(scores[index])]
    if len(keep) < 2 or y[keep].min() == y[keep].max():
        return None, int(len(keep))
    return float(roc_auc_score(y[keep], scores[keep])), int(len(keep))


def with_threshold(report: dict[str, Any], *, min_auc: float | None) -> dict[str, Any]:
    """The report with the threshold it was held to and whether it passed."""
    passed = True if min_auc is None else report["auc"] >= min_auc
    return {**report, "min_auc": min_auc, "passed": passed}


# --- for people -----------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def render_scoring(report: dict[str, Any], console: Console) -> None:
    dataset = report["dataset"]
    if report["data"] == "csv":
        title = (
            f"{dataset['source']}: {dataset['rows_used']:,} rows, label {dataset['label']!r} "
            f"({dataset['positive']!r} = 1, {dataset['positive_rate']:.1%})"
        )
    else:
        title = f"{dataset['source']}: {dataset['closed_leads']:,} closed leads, {dataset['positive_rate']:.1%} converted"
    console.print(f"[bold]Scoring eval[/bold] — {title}")
    console.print(f"{report['model']}; held-out {report['n_test']:,} of {report['n_train'] + report['n_test']:,} rows")

    metrics = Table(title="Held-out metrics", show_header=True, header_style="bold")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_row("AUC (model)", f"{report['auc']:.3f} ± {report['auc_se']:.3f}")
    metrics.add_row("AUC (logistic regression baseline)", _num(report.get("logistic_auc")))
    if report["data"] == "store":
        rule = report.get("rule_score_auc")
        metrics.add_row(f"AUC (rule score as of each outcome, {report['rule_score_n']} leads)", _num(rule) if rule is not None else "no scores")
        metrics.add_row("AUC (rule score as stored today)", _num(report.get("rule_score_auc_stored")))
    metrics.add_row("Brier score (model)", _num(report["brier"], 4))
    metrics.add_row("Brier score (always the base rate)", _num(report["baseline_brier"], 4))
    metrics.add_row("expected calibration error", _num(report["expected_calibration_error"], 4))
    briers = ", ".join(f"{m} {b:.4f}" for m, b in report["validation_brier"].items()) or "not compared: too few samples"
    metrics.add_row("calibration", f"{report['calibration_method']} (validation Brier: {briers})")
    if report.get("min_auc") is not None:
        verdict = "[green]pass[/green]" if report["passed"] else "[red]FAIL[/red]"
        metrics.add_row("threshold", f"AUC ≥ {report['min_auc']:.3f}: {verdict}")
    metrics.add_row("time", f"{report['seconds_total']:.1f} s")
    console.print(metrics)
    if report.get("cross_validation"):
        render_folds(report["cross_validation"], console)
    if report.get("tiers"):
        render_tiers(report["tiers"], console)

    reliability = Table(title="Calibration (reliability bins, held-out)", header_style="bold")
    for column in ("predicted", "count", "mean predicted", "observed rate"):
        reliability.add_column(column, justify="right")
    for bin_ in report["calibration"]:
        reliability.add_row(
            f"{bin_['lower']:.1f}–{bin_['upper']:.1f}", f"{bin_['count']:,}",
            _num(bin_["mean_predicted"]), _num(bin_["observed_rate"]),
        )
    console.print(reliability)

    features = Table(title="Top features (permutation importance: held-out AUC drop)", header_style="bold")
    features.add_column("feature")
    features.add_column("AUC drop", justify="right")
    features.add_column("")
    top = report["top_features"][:10]
    scale = max((f["importance"] for f in top), default=0.0) or 1.0
    for item in top:
        bar = "█" * max(0, round(20 * item["importance"] / scale))
        features.add_row(item["name"], f"{item['importance']:.4f} ± {item['std']:.4f}", bar)
    console.print(features)
    for warning in report.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if report["data"] == "csv":
        _render_data_notes(dataset, console)


def _render_data_notes(dataset: dict[str, Any], console: Console) -> None:
    """What was read as missing and what was left out, so nothing is dropped silently."""
    read_as_missing = []
    for name, column in dataset["columns"].items():
        tokens = ", ".join(f"{token!r} ×{count:,}" for token, count in list(column["placeholders"].items())[:4])
        if column.get("unparsed"):
            tokens = ", ".join(filter(None, [tokens, f"{column['unparsed']:,} non-numbers"]))
        if tokens:
            read_as_missing.append(f"{name}: {tokens}")
    if read_as_missing:
        console.print("read as missing: " + "; ".join(read_as_missing), highlight=False)
    if dataset.get("skipped_columns"):
        skipped = "; ".join(f"{name} ({why})" for name, why in dataset["skipped_columns"].items())
        console.print(f"not used: {skipped}", highlight=False)
    if dataset.get("rows_without_label") or dataset.get("rows_malformed"):
        console.print(
            f"rows left out: {dataset['rows_without_label']:,} without a label; "
            f"{len(dataset['rows_malformed']):,}+ with the wrong number of fields (lines {dataset['rows_malformed'][:5]})",
            highlight=False,
        )


_FOLD_NAMES = {"model": "model (boosting)", "logistic": "logistic regression", "gradient_boosting": "gradient boosting (sklearn defaults)",
               "rule_score": "rule score"}


def fold_rows(cross: dict[str, Any]) -> list[list[str]]:
    """(scorer, mean ± sd, per fold) rows of a `--folds` report."""
    return [[_FOLD_NAMES.get(name, name), f"{stats['mean']:.3f} ± {stats['sd']:.3f}",
             " ".join(f"{value:.3f}" for value in cross["per_fold"][name])] for name, stats in cross["summary"].items()]


def render_folds(cross: dict[str, Any], console: Console) -> None:
    table = Table(title=f"AUC over {cross['folds']} stratified folds (same folds for each)", header_style="bold")
    for column in ("scorer", "mean ± sd", "per fold"):
        table.add_column(column, justify="left" if column == "scorer" else "right")
    for row in fold_rows(cross):
        table.add_row(*row)
    console.print(table)


def tier_rows(tiers: dict[str, Any]) -> list[list[str]]:
    """The tier table of a calibration report (as `leadpilot calibrate` shows it), as text cells."""
    rows = []
    for row in tiers["tiers"]:
        interval = "—" if row["interval"] is None else f"{row['interval'][0]:.1%}–{row['interval'][1]:.1%}"
        rows.append([row["tier"], f"{row['open_leads']:,}", f"{row['open_share']:.1%}", f"{row['closed_leads']:,}",
                     f"{row['converted']:,}", "—" if row["conversion"] is None else f"{row['conversion']:.1%}", interval,
                     "—" if row["lift"] is None else f"{row['lift']:.2f}×"])
    return rows


TIER_HEADERS = ["tier", "open leads", "share of open", "closed", "converted", "conversion", "95% interval (Wilson)", "× overall"]


def render_tiers(tiers: dict[str, Any], console: Console) -> None:
    table = Table(title=f"Rule tiers (policy {tiers['policy_version']}): open share and conversion on closed history",
                  header_style="bold")
    for column in TIER_HEADERS:
        table.add_column(column, justify="left" if column == "tier" else "right")
    for row in tier_rows(tiers):
        table.add_row(*row)
    console.print(table)
