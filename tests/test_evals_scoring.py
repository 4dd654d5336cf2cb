"""`evals scoring`: on any CSV, on the store's own history, its JSON, its tables and its exit codes."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from leadpilot.evals.cli import EXIT_BAD_INPUT, EXIT_BELOW_THRESHOLD, app
from leadpilot.evals.scoring import render_scoring
from leadpilot.memory.db import open_database
from leadpilot.settings import get_settings

from conftest import NOW
from synthetic_leads import add_history

runner = CliRunner()


def _write_deals_csv(path: Path, *, n: int = 1200, seed: int = 0) -> Path:
    """Semicolon-separated, quoted, with placeholders and a yes/no outcome that depends on two columns."""
    rng = random.Random(seed)
    lines = ['"visits";"plan";"region";"owner_id";"closed"']
    for i in range(n):
        visits = rng.randint(0, 12)
        plan = rng.choice(["basic", "pro", "enterprise"])
        logit = 0.45 * visits + (1.0 if plan == "enterprise" else 0.0) - 3.0
        closed = "yes" if rng.random() < 1 / (1 + math.exp(-logit)) else "no"
        shown_visits = str(visits) if rng.random() > 0.05 else rng.choice(["", "NA", "?"])
        region = rng.choice(["EMEA", "NA", "APAC", "unknown", "-"])  # "NA" is North America here, yet a placeholder
        lines.append(f'{shown_visits};"{plan}";"{region}";"rep-{i}";"{closed}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _scoring(*args: str):
    return runner.invoke(app, ["scoring", *args])


def test_json_report_on_a_generated_csv(tmp_path: Path):
    data = _write_deals_csv(tmp_path / "deals.csv")
    result = _scoring("--data", str(data), "--label", "closed", "--drop", "owner_id", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["eval"] == "scoring" and report["data"] == "csv" and report["passed"] is True
    assert report["auc"] > 0.75 and report["brier"] < report["baseline_brier"]
    assert 0.5 < report["logistic_auc"] <= 1.0
    assert report["calibration_method"] in {"isotonic", "sigmoid"}
    assert len(report["calibration"]) == 10
    assert sum(b["count"] for b in report["calibration"]) == report["n_test"] == 240
    assert report["top_features"][0]["name"] == "visits"
    dataset = report["dataset"]
    assert (dataset["delimiter"], dataset["positive"], dataset["negative"]) == (";", "yes", "no")
    assert dataset["columns"]["visits"]["kind"] == "numeric" and dataset["columns"]["plan"]["kind"] == "categorical"
    assert dataset["skipped_columns"] == {"owner_id": "dropped on request"}
    # Placeholders are read as missing, and the report says which, per column.
    assert set(dataset["columns"]["region"]["placeholders"]) == {"NA", "unknown", "-"}
    assert set(dataset["columns"]["visits"]["placeholders"]) <= {"(empty)", "NA", "?"}


def test_min_auc_sets_the_exit_code(tmp_path: Path):
    data = _write_deals_csv(tmp_path / "deals.csv", n=400, seed=1)
    failed = _scoring("--data", str(data), "--label", "closed", "--drop", "owner_id", "--json", "--min-auc", "0.99")
    assert failed.exit_code == EXIT_BELOW_THRESHOLD == 1
    report = json.loads(failed.stdout)
    assert report["passed"] is False and report["min_auc"] == 0.99
    passed = _scoring("--data", str(data), "--label", "closed", "--drop", "owner_id", "--min-auc", "0.6")
    assert passed.exit_code == 0, passed.stderr
    for part in ("Held-out metrics", "Calibration (reliability bins, held-out)", "Top features", "AUC ≥ 0.600: pass",
                 "read as missing: visits:", "not used: owner_id (dropped on request)"):
        assert part in passed.stdout


def test_unusable_input_exits_2_with_the_reason(tmp_path: Path):
    data = _write_deals_csv(tmp_path / "deals.csv", n=50)
    wrong_label = _scoring("--data", str(data), "--label", "plan")
    assert wrong_label.exit_code == EXIT_BAD_INPUT == 2
    assert "label column 'plan' must have exactly 2 classes, found 3" in " ".join(wrong_label.stderr.split())
    missing = _scoring("--data", str(data), "--label", "won", "--json")
    assert missing.exit_code == 2 and "label column 'won' is not in the file" in json.loads(missing.stdout)["error"]
    assert _scoring("--data", str(data)).exit_code == 2  # --label is required
    assert _scoring("--label", "closed").exit_code == 2  # --label needs --data
    no_file = _scoring("--data", str(tmp_path / "nope.csv"), "--label", "y")
    assert no_file.exit_code == 2 and "no such file" in " ".join(no_file.stderr.split())


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'evals.db'}"
    monkeypatch.setenv("LEADPILOT_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


def test_store_history_model_vs_rule_score(store_url: str):
    db = open_database(store_url)
    add_history(db, now=NOW, n_closed=400, n_open=5, seed=3)
    db.dispose()
    result = _scoring("--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["data"] == "store" and report["dataset"]["closed_leads"] == 400
    assert report["rule_score_n"] == report["n_test"] == 80
    assert report["auc"] > report["rule_score_auc"] and report["model_beats_rule_score"] is True
    assert report["tiers"]["closed_leads"] == 400 and [row["tier"] for row in report["tiers"]["tiers"]] == ["hot", "warm", "cold"]
    console = Console(record=True, width=120)
    render_scoring(report, console)
    text = console.export_text()
    assert "AUC (rule score as of each outcome, 80 leads)" in text and "Rule tiers (policy" in text


def test_folds_report_mean_and_sd_beside_the_baselines_on_the_same_folds(store_url: str, tmp_path: Path):
    db = open_database(store_url)
    add_history(db, now=NOW, n_closed=300, n_open=5, seed=4)
    db.dispose()
    report = json.loads(_scoring("--json", "--folds", "3").stdout)
    cross = report["cross_validation"]
    assert cross["folds"] == 3 and set(cross["summary"]) == {"model", "logistic", "gradient_boosting", "rule_score"}
    for name, per_fold in cross["per_fold"].items():
        assert len(per_fold) == 3 and all(0.0 <= auc <= 1.0 for auc in per_fold)
        assert math.isclose(cross["summary"][name]["mean"], sum(per_fold) / 3)
    csv = _scoring("--data", str(_write_deals_csv(tmp_path / "deals.csv", n=400)), "--label", "closed", "--folds", "4")
    shown = " ".join(csv.stdout.split())
    assert csv.exit_code == 0 and "AUC over 4 stratified folds" in shown and "gradient boosting" in shown
    too_many = _scoring("--data", str(tmp_path / "deals.csv"), "--label", "closed", "--folds", "100000")
    assert too_many.exit_code == 2 and "--folds must be from 2 to" in " ".join(too_many.stderr.split())


def test_a_forms_unanswered_first_option_is_read_as_missing(tmp_path: Path):
    from leadpilot.tools.prediction import load_tabular

    path = tmp_path / "forms.csv"
    rows = ["industry,budget,won"] + [
        f"{['Select…', '-- select --', 'Choose one', 'fintech', 'retail', 'Select Plus'][i % 6]},{i % 7},{'yes' if i % 3 else 'no'}"
        for i in range(120)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset = load_tabular(path, label="won").describe()
    industry = dataset["columns"]["industry"]
    assert set(industry["placeholders"]) == {"Select…", "-- select --", "Choose one"}  # each 20 times
    assert industry["missing"] == 60 and industry["distinct"] == 3  # fintech, retail and the real value "Select Plus"


def test_empty_store_says_how_much_history_is_needed(store_url: str):
    result = _scoring()
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "the store has 0 closed leads" in message and "at least 50" in message and "leadpilot seed" in message


def test_model_beats_trivial_baselines_on_the_demo_history(store_url: str):
    seed = pytest.importorskip("leadpilot.memory.seed")
    db = open_database(store_url)
    seed.seed_demo(db, now=NOW, n_leads=600)
    db.dispose()
    result = _scoring("--json", "--min-auc", "0.7")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    # Trivial baselines: a coin flip (AUC 0.5) and always predicting the base rate (baseline_brier).
    assert report["auc"] - 3 * report["auc_se"] > 0.5
    assert report["brier"] < report["baseline_brier"]
    assert report["dataset"]["closed_leads"] >= 300
