"""The conversion model: tabular parsing, honest evaluation, lead features without leakage,
training from the store, per-lead predictions and their validation."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from leadpilot.memory.db import Database, open_database
from leadpilot.memory.ml_models import ModelVersion, Prediction
from leadpilot.memory.models import Activity, AuditEvent
from leadpilot.tools.prediction.calibrated_classifier import calibration_table
from leadpilot.tools.prediction.conversion_model import (
    ModelNotFoundError,
    NotEnoughHistoryError,
    evaluate_tabular,
    load_latest_model,
    train_conversion_model,
)
from leadpilot.tools.prediction.features import (
    FEATURE_NAMES,
    FEATURES,
    ActivityEvent,
    compute_features,
    department_of,
    is_free_email,
    lead_snapshot,
    seniority_of,
)
from leadpilot.tools.prediction.predict import predict_lead, prediction_accuracy, validate_prediction
from leadpilot.tools.prediction.tabular import TabularError, dataset_from_rows, encode_label, load_tabular, read_csv

from conftest import NOW
from synthetic_leads import add_history, add_lead

UCI = Path("/work/shared/data/uci-bank-marketing/bank-full.csv")


# --- tabular data -------------------------------------------------------------------------------


def test_placeholders_are_missing_and_column_kinds_are_inferred():
    header = ["n", "size", "when", "plan", "email", "const", "y"]
    rows = [
        ["1", "1,200", "2026-01-05", "pro", "a@x.io", "same", "yes"],
        ["2", "unknown", "2026-01-06T10:00:00Z", "", "b@x.io", "same", "no"],
        ["NA", "30", "", "Unknown", "c@x.io", "same", "yes"],
        ["4", "n/a", "2026-01-08", "?", "d@x.io", "same", "no"],
        ["-", "50", "2026-01-09", "free", "e@x.io", "same", "no"],
    ] * 12  # 60 rows: the 5 emails repeat, so they are categorical rather than an identifier
    dataset = dataset_from_rows(header, rows, label="y")
    kinds = {c.name: c.kind for c in dataset.columns}
    assert kinds == {"n": "numeric", "size": "numeric", "when": "date", "plan": "categorical", "email": "categorical"}
    assert dataset.skipped_columns == {"const": "constant (always 'same')"}
    X = dataset.X
    n, size, when, plan = (X[:5, dataset.feature_names.index(name)] for name in ("n", "size", "when", "plan"))
    assert np.isnan(n[2]) and np.isnan(n[4]) and n[0] == 1
    assert size[0] == 1200 and np.isnan(size[1]) and np.isnan(size[3])
    assert np.isnan(when[2]) and when[1] - when[0] == pytest.approx(1 + 10 / 24)
    plan_column = dataset.columns[dataset.feature_names.index("plan")]
    assert plan_column.categories == ("free", "pro") and plan_column.missing == 36
    assert dict(plan_column.placeholders) == {"(empty)": 12, "Unknown": 12, "?": 12}
    assert np.isnan(plan[1]) and np.isnan(plan[2]) and np.isnan(plan[3]) and plan[0] == 1 and plan[4] == 0
    assert dataset.y[:5].tolist() == [1, 0, 1, 0, 0]


def test_identifier_like_columns_are_skipped_with_the_reason():
    rows = [[f"id-{i}", str(i % 7), "yes" if i % 3 else "no"] for i in range(200)]
    dataset = dataset_from_rows(["key", "x", "won"], rows, label="won")
    assert dataset.feature_names == ["x"]
    assert dataset.skipped_columns["key"].startswith("identifier-like (200 distinct values")


@pytest.mark.parametrize(
    ("values", "positive"),
    [
        (["yes", "no"], "yes"),
        (["No", "Yes"], "Yes"),
        (["true", "false"], "true"),
        (["0", "1"], "1"),
        (["won", "lost"], "won"),
        (["Lost", "Converted"], "Converted"),
        (["2", "5"], "5"),  # two numbers: the larger is positive
    ],
)
def test_label_values_map_by_meaning(values, positive):
    cells = values * 5 + ["", "unknown"]
    y, pos, neg, present = encode_label(cells, column="outcome")
    assert pos == positive and neg == next(v for v in values if v != positive)
    assert present.sum() == 10 and y.tolist() == [int(v == positive) for v in values * 5]


def test_unknown_label_words_take_the_rarer_class_unless_told():
    cells = ["churned"] * 3 + ["stayed"] * 7
    assert encode_label(cells, column="c")[1] == "churned"
    assert encode_label(cells, column="c", positive="stayed")[1] == "stayed"
    with pytest.raises(TabularError, match=r"--positive 'gone' is not a value of label column 'c'"):
        encode_label(cells, column="c", positive="gone")


def test_label_errors_name_the_column_and_the_values_found():
    header = ["a", "stage"]
    with pytest.raises(TabularError, match=r"label column 'outcome' is not in the file; columns are: a, stage"):
        dataset_from_rows(header, [["1", "x"]], label="outcome")
    with pytest.raises(TabularError, match=r"label column 'stage' must have exactly 2 classes, found 3: 'won' \(2\), 'lost' \(1\), 'open' \(1\)"):
        dataset_from_rows(header, [["1", "won"], ["2", "lost"], ["3", "open"], ["4", "won"]], label="stage")
    with pytest.raises(TabularError, match=r"exactly 2 classes, found 1: 'won' \(2\)"):
        dataset_from_rows(header, [["1", "won"], ["2", "won"], ["3", ""]], label="stage")
    with pytest.raises(TabularError, match=r"label column 'stage' has no values \(all 2 cells are empty or placeholders\)"):
        dataset_from_rows(header, [["1", ""], ["2", "n/a"]], label="stage")
    with pytest.raises(TabularError, match=r"--drop: no column named 'b'"):
        dataset_from_rows(header, [["1", "yes"], ["2", "no"]], label="stage", drop=["b"])


def test_reads_semicolon_quoted_csv_and_reports_malformed_lines(tmp_path: Path):
    path = tmp_path / "deals.csv"
    path.write_text(
        '"age";"job";"note";"y"\n'
        '30;"admin.";"a; b";"yes"\n'
        '41;"unknown";"c";"no"\n'
        '52;"technician"\n'  # line 4: too few fields
        '29;"admin.";"d";"no"\n',
        encoding="utf-8",
    )
    header, rows, delimiter, malformed = read_csv(path)
    assert delimiter == ";" and header == ["age", "job", "note", "y"] and malformed == (4,)
    assert rows[0] == ["30", "admin.", "a; b", "yes"]
    dataset = load_tabular(path, label="y")
    assert dataset.rows_read == 4 and len(dataset.y) == 3 and dataset.skipped_rows == (4,)
    assert dataset.describe()["rows_malformed"] == [4]


def _signal_rows(n: int, *, seed: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        signal, noise = rng.gauss(0, 1), rng.gauss(0, 1)
        plan = rng.choice(["basic", "pro", "team"])
        logit = 2.0 * signal + (0.8 if plan == "pro" else 0.0) - 1.2
        converted = rng.random() < 1 / (1 + math.exp(-logit))
        rows.append([f"{signal:.3f}" if rng.random() > 0.05 else "NA", f"{noise:.3f}", plan, "won" if converted else "lost"])
    return ["engagement", "noise", "plan", "outcome"], rows


def test_model_finds_real_signal_and_the_calibration_table_covers_the_held_out_rows():
    header, rows = _signal_rows(1500, seed=1)
    dataset = dataset_from_rows(header, rows, label="outcome")
    evaluation = evaluate_tabular(dataset, importance_repeats=3)
    assert evaluation.auc > 0.8
    assert evaluation.logistic_auc is not None and evaluation.logistic_auc > 0.75
    assert evaluation.brier < evaluation.baseline_brier
    assert evaluation.calibration_method in {"isotonic", "sigmoid"}
    assert set(evaluation.validation_brier) == {"isotonic", "sigmoid"}
    assert evaluation.n_test == 300 and evaluation.n_train == 1200
    assert len(evaluation.calibration) == 10 and sum(b.count for b in evaluation.calibration) == evaluation.n_test
    assert evaluation.top_features[0].name == "engagement"
    assert evaluation.top_features[-1].name == "noise"
    data = evaluation.to_dict()
    assert data["calibration"][0]["lower"] == 0.0 and data["calibration"][-1]["upper"] == 1.0


def test_calibration_table_bins():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.19, 0.5, 1.0])
    table = calibration_table(y, p)
    assert [b.count for b in table] == [1, 2, 0, 0, 0, 1, 0, 0, 0, 1]
    assert table[1].mean_predicted == pytest.approx(0.17) and table[1].observed_rate == 1.0
    assert table[2].mean_predicted is None and table[2].observed_rate is None


@pytest.mark.skipif(not UCI.is_file(), reason="UCI bank marketing data not present")
def test_real_uci_bank_marketing_sample_without_duration():
    """12,000 sampled rows of the real file; the full run is `evals scoring --data ... --label y --drop duration`."""
    header, rows, delimiter, _ = read_csv(UCI)
    assert delimiter == ";"
    dataset = dataset_from_rows(header, random.Random(0).sample(rows, 12_000), label="y", drop=["duration"])
    assert (dataset.positive, dataset.negative) == ("yes", "no")
    assert {c.name: c.kind for c in dataset.columns}["poutcome"] == "categorical"
    evaluation = evaluate_tabular(dataset, importance_repeats=2)
    assert evaluation.auc >= 0.74
    assert evaluation.brier < evaluation.baseline_brier
    assert "duration" not in [f.name for f in evaluation.top_features]


# --- lead features ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "seniority", "department"),
    [
        ("Chief Financial Officer", "c-level", "finance"),
        ("CEO", "c-level", "executive"),
        ("Co-Founder & CTO", "c-level", "engineering"),
        ("VP of Sales", "vp", "sales"),
        ("Head of Marketing", "vp", "marketing"),
        ("Director, IT Infrastructure", "director", "it"),
        ("Product Manager", "manager", "product"),
        ("Senior Software Engineer", "individual", "engineering"),
        ("Recruiter", "individual", "people"),
        ("", "unknown", "unknown"),
        (None, "unknown", "unknown"),
    ],
)
def test_seniority_and_department_from_the_title(title, seniority, department):
    assert seniority_of(title) == seniority
    assert department_of(title) == department


def test_free_email():
    assert is_free_email("ann@gmail.com") and is_free_email("B@Outlook.com")
    assert not is_free_email("ann@acme.io") and not is_free_email(None)


class _LeadFacts:
    id = 1
    company = "Acme"
    email = "ann@acme.io"
    phone = None
    job_title = "VP Sales"
    industry = "fintech"
    company_size = 250
    country = "US"
    state = "CA"
    source = "referral"
    stage = "PROSPECT"
    created_at = NOW - timedelta(days=40)
    updated_at = NOW
    converted = None
    converted_at = None


def test_feature_values_cover_the_four_families():
    day = timedelta(days=1)
    # 2026-11-16 is a Monday; 17:00 UTC is 09:00 in California.
    monday_9am_pacific = datetime(2026, 11, 16, 17, 0, tzinfo=timezone.utc)
    events = [
        ActivityEvent("email_sent", "outbound", NOW - 20 * day),
        ActivityEvent("email_sent", "outbound", NOW - 10 * day),
        ActivityEvent("email_opened", "inbound", NOW - 10 * day + timedelta(hours=2)),
        ActivityEvent("email_clicked", "inbound", NOW - 10 * day + timedelta(hours=3), "/pricing"),
        ActivityEvent("page_view", "inbound", monday_9am_pacific, "/pricing"),
        ActivityEvent("page_view", "inbound", monday_9am_pacific + timedelta(hours=1), "/pricing"),
        ActivityEvent("page_view", "inbound", NOW - timedelta(hours=2), "/demo"),  # Friday 02:00 in California
        ActivityEvent("call", "outbound", NOW - 3 * day, "Connected"),
        ActivityEvent("note", "outbound", NOW - day, "called back"),
        ActivityEvent("page_view", "inbound", NOW + day, "/pricing"),  # after as_of: ignored
    ]
    f = compute_features(_LeadFacts(), events, as_of=NOW)
    assert set(f) == set(FEATURE_NAMES) and len(FEATURES) == len(FEATURE_NAMES)
    assert {spec.family for spec in FEATURES} == {"demographic", "behavioural", "temporal", "engagement"}
    assert (f["industry"], f["segment"], f["region"], f["seniority"], f["department"]) == ("fintech", "mid-market", "NA", "vp", "sales")
    assert (f["free_email"], f["has_phone"], f["has_title"], f["has_company"]) == (0.0, 0.0, 1.0, 1.0)
    assert (f["email_opens"], f["email_clicks"], f["page_views"], f["calls"], f["meetings"]) == (1, 1, 3, 1, 0)
    assert (f["pricing_views"], f["pricing_views_7d"], f["demo_views"], f["demo_views_7d"]) == (2, 2, 1, 1)
    assert f["days_since_created"] == pytest.approx(40)
    assert f["days_since_last_inbound"] == pytest.approx(2 / 24)
    assert f["inbound_recency"] == pytest.approx(2 ** (-(2 / 24) / 7))
    # Nov 10 open + click and the two Nov 16 visits fall within 7 days of each other.
    assert f["inbound_7d"] == 3 and f["inbound_30d"] == 5 and f["burst_7d"] == 4
    # In California: Tue 06:00 and 07:00, Mon 09:00 and 10:00, Fri 02:00 — all weekdays, two in business hours.
    assert f["weekday_share"] == 1.0 and f["business_hours_share"] == pytest.approx(2 / 5)
    assert f["days_since_last_touch"] == pytest.approx(3)
    assert (f["emails_sent"], f["outbound_touches"], f["open_rate"], f["click_rate"]) == (2, 3, 0.5, 0.5)


# --- lead features from the store: described as of the outcome -----------------------------------


def test_activities_after_conversion_do_not_change_the_features(sqlite_db: Database):
    converted_at = NOW - timedelta(days=10)
    lead_id = add_lead(
        sqlite_db, company="Acme", email="ann@acme.io", created_at=NOW - timedelta(days=60),
        stage="CUSTOMER", converted=True, converted_at=converted_at,
        activities=[
            ("email_sent", "outbound", NOW - timedelta(days=50), None),
            ("page_view", "inbound", NOW - timedelta(days=20), "/pricing"),
            ("meeting", "outbound", converted_at, "Contract signed"),  # the conversion itself
        ],
    )
    with sqlite_db.session() as session:
        before = lead_snapshot(session, lead_id=lead_id, now=NOW)
    assert before.as_of == converted_at and before.converted is True
    assert (before.features["meetings"], before.features["pricing_views"]) == (0, 1)
    assert before.features["days_since_created"] == pytest.approx(50)

    with sqlite_db.transaction() as session:
        for kind, direction, days_after, detail in [
            ("page_view", "inbound", 1, "/pricing"), ("meeting", "outbound", 2, "Onboarding"),
            ("email_opened", "inbound", 3, None), ("form_submit", "inbound", 4, "/demo-request"),
        ]:
            session.add(Activity(lead_id=lead_id, kind=kind, direction=direction, occurred_at=converted_at + timedelta(days=days_after), detail=detail))
    with sqlite_db.session() as session:
        after = lead_snapshot(session, lead_id=lead_id, now=NOW)
        later = lead_snapshot(session, lead_id=lead_id, now=NOW + timedelta(days=90))
    assert after.features == before.features and after.as_of == before.as_of
    assert later.features == before.features


def test_lost_leads_are_described_as_of_their_loss(sqlite_db: Database):
    lost_at = NOW - timedelta(days=30)
    audited = add_lead(
        sqlite_db, company="A", created_at=NOW - timedelta(days=60), stage="LOST", converted=False,
        activities=[
            ("page_view", "inbound", NOW - timedelta(days=40), "/"),
            ("page_view", "inbound", NOW - timedelta(days=5), "/pricing"),  # after the loss
        ],
    )
    unaudited = add_lead(
        sqlite_db, company="B", created_at=NOW - timedelta(days=60), stage="LOST", converted=False,
        updated_at=NOW,  # touched later (an import, say): not the loss date
        activities=[
            ("page_view", "inbound", NOW - timedelta(days=40), "/"),
            ("page_view", "inbound", NOW - timedelta(days=20), "/pricing"),
        ],
    )
    with sqlite_db.transaction() as session:
        session.add(AuditEvent(lead_id=audited, at=lost_at, field="stage", old_value="PROSPECT", new_value="LOST", reason="no budget"))
    with sqlite_db.session() as session:
        a = lead_snapshot(session, lead_id=audited, now=NOW)
        b = lead_snapshot(session, lead_id=unaudited, now=NOW)
    assert a.as_of == lost_at and a.features["page_views"] == 1 and a.features["pricing_views"] == 0
    # Without an audit date: just after the last activity, which is kept.
    assert b.as_of == NOW - timedelta(days=20, seconds=-1) and b.features["pricing_views"] == 1


def test_too_little_history_says_how_many_closed_leads_exist_and_are_needed(sqlite_db: Database, tmp_path: Path):
    add_history(sqlite_db, now=NOW, n_closed=30, n_open=5, seed=1)
    with pytest.raises(NotEnoughHistoryError, match=r"the store has 30 closed leads \(\d+ converted, \d+ lost\); it needs at least 50"):
        train_conversion_model(sqlite_db, now=NOW, data_dir=tmp_path)
    with pytest.raises(ModelNotFoundError, match="no conversion model has been trained yet"):
        load_latest_model(sqlite_db, tmp_path)


def test_one_outcome_only_is_not_enough(sqlite_db: Database, tmp_path: Path):
    for i in range(60):
        add_lead(sqlite_db, company=f"L{i}", created_at=NOW - timedelta(days=90), stage="LOST", converted=False)
    with pytest.raises(NotEnoughHistoryError, match=r"60 closed leads \(0 converted, 60 lost\).*at least 5 converted"):
        train_conversion_model(sqlite_db, now=NOW, data_dir=tmp_path)


# --- a trained model (shared by the tests below; predictions are rolled back) ---------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Path, ModelVersion, dict[str, int]]]:
    root = tmp_path_factory.mktemp("trained")
    db = open_database(f"sqlite:///{root / 'store.db'}")
    add_history(db, now=NOW, n_closed=400, n_open=0, seed=3)
    day = timedelta(days=1)
    leads = {
        "hot": add_lead(
            db, company="Acme Pay", email="ann@acmepay.io", job_title="VP Finance", industry="fintech", company_size=300,
            country="US", source="referral", created_at=NOW - 12 * day,
            activities=[
                ("email_sent", "outbound", NOW - 9 * day, None),
                ("email_opened", "inbound", NOW - 9 * day + timedelta(hours=2), None),
                ("email_clicked", "inbound", NOW - 9 * day + timedelta(hours=3), None),
                ("page_view", "inbound", NOW - 3 * day, "/pricing"),
                ("page_view", "inbound", NOW - 1 * day, "/pricing"),
            ],
        ),
        "risky": add_lead(
            db, email="someone@gmail.com", industry="education", company_size=5, source="outbound",
            created_at=NOW - 60 * day,
            activities=[("page_view", "inbound", NOW - 50 * day, "/blog"), ("email_sent", "outbound", NOW - 40 * day, None)],
        ),
    }
    row = train_conversion_model(db, now=NOW, data_dir=root)
    yield db, root, row, leads
    db.dispose()


def test_training_stores_a_version_with_held_out_metrics(trained):
    db, root, row, _ = trained
    assert re.fullmatch(r"conv-20261120T120000-[0-9a-f]{8}", row.version)
    assert row.kind == "conversion" and row.n_train == 400
    assert row.artifact_path == f"models/{row.version}.joblib" and (root / row.artifact_path).is_file()
    assert [f["name"] for f in row.features] == list(FEATURE_NAMES)
    metrics = row.metrics
    assert metrics["auc"] > 0.75 and metrics["brier"] < metrics["baseline_brier"]  # 0.89 measured
    assert metrics["rule_score_auc"] is not None and metrics["auc"] > metrics["rule_score_auc"]
    assert sum(b["count"] for b in metrics["calibration"]) == metrics["n_test"] == 80
    assert metrics["feature_importance"][0]["importance"] > 0
    thresholds = metrics["tier_thresholds"]
    assert thresholds["top"] >= thresholds["high"] >= thresholds["medium"]
    with db.session() as session:
        stored = session.scalar(select(ModelVersion).where(ModelVersion.version == row.version))
        assert stored.metrics == metrics and stored.artifact_sha256 == row.artifact_sha256
    model = load_latest_model(db, root)
    assert model.version == row.version and model.n_train == 400


def test_an_altered_or_missing_artifact_is_refused(trained, tmp_path: Path):
    db, root, row, _ = trained
    with pytest.raises(ModelNotFoundError, match="is missing"):
        load_latest_model(db, tmp_path)
    copy = tmp_path / row.artifact_path
    copy.parent.mkdir(parents=True)
    copy.write_bytes((root / row.artifact_path).read_bytes() + b"\0")
    with pytest.raises(ModelNotFoundError, match="changed since it was saved"):
        load_latest_model(db, tmp_path)


def test_prediction_has_every_part(trained):
    db, root, row, leads = trained
    model = load_latest_model(db, root)
    with db.session() as session:
        hot = predict_lead(session, lead_id=leads["hot"], model=model, now=NOW)
        risky = predict_lead(session, lead_id=leads["risky"], model=model, now=NOW)
        stored = session.get(Prediction, hot.prediction_id)
        assert (stored.lead_id, stored.model_version, stored.probability, stored.tier) == (leads["hot"], row.version, hot.probability, hot.tier)
        assert stored.outcome_validated is None and stored.made_at == NOW
        session.rollback()

    for prediction in (hot, risky):
        assert 0.0 <= prediction.probability <= 1.0 and prediction.model_version == row.version
        assert 0.0 <= prediction.confidence <= 1.0 and prediction.confidence_label in {"high", "medium", "low"}
        assert prediction.confidence_basis
        assert prediction.tier in {"top", "high", "medium", "low"}
        assert prediction.raising or prediction.lowering
        assert all(f.effect > 0 for f in prediction.raising) and all(f.effect < 0 for f in prediction.lowering)
        assert [f.effect for f in prediction.raising] == sorted((f.effect for f in prediction.raising), reverse=True)
        assert [f.effect for f in prediction.lowering] == sorted(f.effect for f in prediction.lowering)
        hours = [r.due_within_hours for r in prediction.recommendations]
        assert hours and hours == sorted(hours)
        ttc = prediction.time_to_close
        assert ttc is not None and 0 <= ttc.optimistic_days <= ttc.expected_days <= ttc.pessimistic_days and ttc.basis
        assert prediction.to_dict()["recommendations"][0]["urgency"]

    assert hot.probability > risky.probability
    assert model.tier_of(hot.probability) == hot.tier
    first = hot.recommendations[0]
    assert (first.action, first.reason, first.urgency) == ("Call within 24h", "visited pricing twice this week", "today")
    assert {r.code for r in hot.risks}.isdisjoint({"missing_company", "missing_title", "free_email", "long_silence"})
    assert {r.code for r in risky.risks} == {"low_activity_velocity", "long_silence", "missing_company", "missing_title", "free_email"}
    assert any(r.action == "Enrich the lead this week" and r.reason == "company and job title missing" for r in risky.recommendations)


def test_contributions_are_real_model_re_evaluations(trained):
    db, root, _, leads = trained
    model = load_latest_model(db, root)
    with db.session() as session:
        prediction = predict_lead(session, lead_id=leads["hot"], model=model, now=NOW, record=False)
        features = lead_snapshot(session, lead_id=leads["hot"], now=NOW).features
    assert prediction.prediction_id is None
    factor = (prediction.raising + prediction.lowering)[0]
    as_typical = dict(features)
    for spec in model.features:
        if spec.group == factor.group:
            as_typical[spec.name] = model.baseline[spec.name]
    assert prediction.probability - model.predict([as_typical])[0] == pytest.approx(factor.effect, abs=2e-4)


def test_validation_marks_predictions_right_or_wrong_and_feeds_accuracy(trained):
    db, root, row, leads = trained
    model = load_latest_model(db, root)
    with db.session() as session:
        hot = predict_lead(session, lead_id=leads["hot"], model=model, now=NOW)
        risky = predict_lead(session, lead_id=leads["risky"], model=model, now=NOW)
        later = NOW + timedelta(days=20)
        checked = validate_prediction(session, prediction_id=hot.prediction_id, converted=True, now=later)
        assert checked.outcome_validated is True and checked.validated_at == later
        assert checked.correct is (hot.probability >= 0.5)
        assert validate_prediction(session, prediction_id=risky.prediction_id, converted=False, now=later).correct is (risky.probability < 0.5)
        accuracy = prediction_accuracy(session)
        with pytest.raises(LookupError, match="no prediction with id 999999"):
            validate_prediction(session, prediction_id=999999, converted=True, now=later)
        session.rollback()
    right = int(hot.probability >= 0.5) + int(risky.probability < 0.5)
    assert (accuracy["predictions"], accuracy["validated"], accuracy["correct"]) == (2, 2, right)
    assert accuracy["accuracy"] == right / 2
    assert accuracy["brier"] == pytest.approx(((1 - hot.probability) ** 2 + risky.probability**2) / 2, abs=1e-3)
    assert sum(t["count"] for t in accuracy["by_tier"].values()) == 2
    assert accuracy["model_version"] == row.version
    assert {f["name"] for f in accuracy["feature_importance"]} == {spec.group for spec in FEATURES}


# --- the whole loop on each database ------------------------------------------------------------


def test_train_predict_validate_on_each_backend(db: Database, tmp_path: Path):
    ids = add_history(db, now=NOW, n_closed=70, n_open=3, seed=5)
    first = train_conversion_model(db, now=NOW - timedelta(days=1), data_dir=tmp_path)
    newest = train_conversion_model(db, now=NOW, data_dir=tmp_path)
    assert first.version != newest.version and 0.0 <= newest.metrics["auc"] <= 1.0
    model = load_latest_model(db, tmp_path)
    assert model.version == newest.version
    with db.transaction() as session:
        prediction = predict_lead(session, lead_id=ids[-1], model=model, now=NOW)
    with db.transaction() as session:
        validate_prediction(session, prediction_id=prediction.prediction_id, converted=False, now=NOW + timedelta(days=30))
    with db.session() as session:
        accuracy = prediction_accuracy(session)
        stored = session.get(Prediction, prediction.prediction_id)
    assert accuracy["validated"] == 1 and accuracy["model_version"] == newest.version
    assert stored.outcome_validated is False and stored.correct is (prediction.probability < 0.5)
    assert stored.detail["confidence"] == prediction.confidence
