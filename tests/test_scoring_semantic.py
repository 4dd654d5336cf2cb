"""The semantic category of the score: points for resembling converted accounts, from the real
offline embedder and a real vector store, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpilot.memory.audit import lead_history
from leadpilot.memory.embeddings import OnnxMiniLMEmbedder
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.leads import get_lead, set_stage, upsert_leads
from leadpilot.memory.models import AuditEvent, Lead
from leadpilot.memory.numpy_vectors import NumpyVectorStore
from leadpilot.memory.qdrant_vectors import QdrantServerStore
from leadpilot.tools.scoring.explanation import breakdown_lines, top_reasons
from leadpilot.tools.scoring.reads import explain_score, score_lead_by_id
from leadpilot.tools.scoring.rescore import rescore_leads
from leadpilot.tools.scoring.policy import PolicyError, load_policy, parse_policy
from leadpilot.tools.semantic.search import SemanticIndex, reindex, semantic_score

from conftest import NOW
from test_scoring_rules import POLICY

RULES = POLICY  # the rule categories of the rule tests (caps add up to 160)
SEMANTIC = RULES + """\
  semantic:
    cap: 30
    neighbours: 15
    min_similarity: 0.2
"""

WON = [
    ("Cardly", "Launching virtual card issuing for employee expense management."),
    ("Spendwise", "Evaluating card issuing and spend controls for corporate cards."),
    ("Payroll Cards Inc", "Issuing physical and virtual debit cards to gig workers."),
]
LOST = [
    ("Truckwise", "Needs GPS fleet tracking across 300 delivery trucks."),
    ("Haulr", "Real-time tracking of trailers and truck drivers for a logistics fleet."),
    ("Routeline", "Route planning and telematics for a regional trucking fleet."),
]


def _policy(text: str = SEMANTIC):
    return parse_policy(text, path=Path("scoring.yaml"))


@pytest.fixture(scope="module")
def embedder() -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder()  # one model load for the module


@pytest.fixture
def index(embedder: OnnxMiniLMEmbedder, tmp_path: Path) -> Iterator[SemanticIndex]:
    store = NumpyVectorStore(tmp_path / "vectors", dimension=embedder.dimension)
    yield SemanticIndex(store=store, embedder=embedder)
    store.close()


def _add(db, *raws: dict) -> list[int]:
    with db.transaction() as session:
        outcome = upsert_leads(session, records=[validate_lead(raw, now=NOW) for raw in raws], now=NOW)
    return [lead_id for _, lead_id in outcome.actions]


def _accounts(db) -> dict[str, int]:
    """Three won card-issuing accounts, three lost fleet-tracking ones, and two open leads like each."""
    closed = [
        {"company": name, "notes": notes, "industry": "fintech", "source": "referral", "stage": "CUSTOMER", "converted": "true"}
        for name, notes in WON
    ] + [
        {"company": name, "notes": notes, "industry": "logistics", "source": "referral", "stage": "LOST", "converted": "false"}
        for name, notes in LOST
    ]
    open_leads = [
        {"company": "Expensely", "notes": "Looking at card issuing for their expense product.", "source": "paid"},
        {"company": "Fleetcheck", "notes": "Wants live tracking of its delivery truck fleet.", "source": "paid"},
    ]
    ids = _add(db, *closed, *open_leads)
    return dict(zip([raw["company"] for raw in closed + open_leads], ids))


def _semantic(db, lead_id: int) -> dict | None:
    with db.session() as session:
        return get_lead(session, lead_id=lead_id).score_breakdown["categories"].get("semantic")


def test_leads_like_converted_accounts_earn_more_and_the_breakdown_says_why(db, index):
    ids = _accounts(db)
    reindex(db, index)
    late = _add(db, {"company": "Newcard", "notes": "Card issuing for a neobank.", "source": "paid"})[0]  # not indexed yet
    report = rescore_leads(db, policy=_policy(), now=NOW, semantic=index)
    assert report.scored == 9 and report.semantic_scored == 8 and report.semantic_problem is None

    like_won, like_lost = _semantic(db, ids["Expensely"]), _semantic(db, ids["Fleetcheck"])
    assert like_won["points"] > like_lost["points"] and like_won["cap"] == 30
    assert like_won["points"] >= 20 and like_lost["points"] <= 10
    assert {n["company"] for n in like_won["neighbours"][:3]} == {name for name, _ in WON}
    assert all(n["converted"] for n in like_won["neighbours"][:3]) and like_won["neighbours"][0]["similarity"] >= 0.4
    assert like_won["rules"][0]["label"].startswith("3 of ") and "converted (similarity-weighted" in like_won["rules"][0]["label"]
    # A closed account is compared with the others, never with itself.
    assert ids["Cardly"] not in {n["id"] for n in _semantic(db, ids["Cardly"])["neighbours"]}
    # Not in the index: no semantic entry at all, and the score is the rules' alone.
    with db.session() as session:
        unindexed = get_lead(session, lead_id=late).score_breakdown
    assert "semantic" not in unindexed["categories"] and unindexed["score"] == 20  # company 10 + paid source 10

    with db.session() as session:
        expensely = get_lead(session, lead_id=ids["Expensely"])
        explanation = explain_score(session, lead_id=ids["Expensely"])
    categories = expensely.score_breakdown["categories"]
    assert expensely.score == round(sum(c["points"] for c in categories.values()))  # semantic counts in the score
    line = next(line for line in explanation.lines if line.startswith("semantic"))
    assert line.startswith(f"semantic +{like_won['points']} (cap 30): 3 of ") and "; closest: " in line and "(converted, 0." in line
    assert any("closest closed accounts converted" in reason for reason in top_reasons(expensely.score_breakdown, limit=3))


def test_bulk_and_single_lead_semantic_scores_agree(db, index):
    ids = _accounts(db)
    reindex(db, index)
    policy = _policy()
    rescore_leads(db, policy=policy, now=NOW, semantic=index, batch_size=3)  # several batches
    with db.session() as session:
        for lead_id in ids.values():
            computed = score_lead_by_id(session, lead_id=lead_id, policy=policy, now=NOW, semantic=index)
            assert computed.breakdown == get_lead(session, lead_id=lead_id).score_breakdown
        alone = semantic_score(session, index=index, lead_id=ids["Expensely"], now=NOW)
        assert alone is not None and alone.points == _semantic(db, ids["Expensely"])["points"]
        assert "Cardly" in alone.reason or "Spendwise" in alone.reason
    # Re-scoring again changes nothing: the similarities do not depend on the batch a lead is in.
    again = rescore_leads(db, policy=policy, now=NOW, semantic=index, batch_size=4)
    assert (again.changed, again.audit_events) == (0, 0)


def test_calibration_scores_open_leads_as_a_rescore_does(db, index):
    """`leadpilot calibrate` reports the open leads' tiers a re-score would give them: with the index,
    open leads get the semantic category there too (closed ones never: their neighbours know the outcome)."""
    from leadpilot.tools.scoring.history import score_history

    ids = _accounts(db)
    reindex(db, index)
    policy = _policy()
    rescore_leads(db, policy=policy, now=NOW, semantic=index)
    with db.session() as session:
        history = score_history(session, policy=policy, now=NOW, semantic=index)
        without = score_history(session, policy=policy, now=NOW)
        stored = dict(session.execute(select(Lead.id, Lead.score).where(Lead.stage.not_in(("CUSTOMER", "LOST")))).all())
    scored = dict(zip(history.lead_ids.tolist(), history.score.tolist()))
    assert {ids["Expensely"], ids["Fleetcheck"]} == set(stored) and all(scored[i] == stored[i] for i in stored)
    assert dict(zip(without.lead_ids.tolist(), without.score.tolist()))[ids["Expensely"]] < stored[ids["Expensely"]]


def test_gaining_and_changing_the_semantic_category_is_audited(db, index):
    ids = _accounts(db)
    policy = _policy()
    rescore_leads(db, policy=policy, now=NOW)  # rules only: nothing is indexed yet
    assert _semantic(db, ids["Expensely"]) is None
    reindex(db, index)
    report = rescore_leads(db, policy=policy, now=NOW, semantic=index)
    assert report.changed >= 1
    with db.session() as session:
        history = lead_history(session, lead_id=ids["Expensely"])
    points = _semantic(db, ids["Expensely"])["points"]
    gained = [e for e in history if e.field == "score"][-1]
    assert f"semantic none→{points}" in gained.reason and gained.new_value == str(20 + points)

    # Fleetcheck's closest accounts start converting: its semantic points rise, audited with the reason.
    before = _semantic(db, ids["Fleetcheck"])["points"]
    with db.transaction() as session:
        for name, _ in LOST:
            lead = get_lead(session, lead_id=ids[name])
            set_stage(session, lead=lead, stage="CUSTOMER", reason="won after all", at=NOW)
    rescore_leads(db, policy=policy, now=NOW, semantic=index)
    after = _semantic(db, ids["Fleetcheck"])["points"]
    assert after > before
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.lead_id == ids["Fleetcheck"], AuditEvent.field == "score").order_by(AuditEvent.id.desc())
        ).first()
    assert f"semantic {before}→{after}" in event.reason


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_switched_off_or_unavailable_means_absent(db, index, embedder):
    ids = _accounts(db)
    reindex(db, index)
    off = _policy(SEMANTIC + "    enabled: false\n")
    assert off.version != _policy().version
    assert rescore_leads(db, policy=off, now=NOW, semantic=index).semantic_scored == 0
    assert _semantic(db, ids["Expensely"]) is None
    assert rescore_leads(db, policy=_policy(RULES), now=NOW, semantic=index).semantic_scored == 0  # no semantic key

    rescore_leads(db, policy=_policy(), now=NOW, semantic=index)
    points = _semantic(db, ids["Expensely"])["points"]
    # The vector store is unreachable: the category is left out (and says why), not made up.
    down = QdrantServerStore.connect(f"http://127.0.0.1:{_closed_port()}", collection="leads", dimension=384, timeout_s=1)
    report = rescore_leads(db, policy=_policy(), now=NOW, semantic=SemanticIndex(store=down, embedder=embedder))
    assert report.semantic_scored == 0 and "Qdrant" in report.semantic_problem
    assert _semantic(db, ids["Expensely"]) is None
    with db.session() as session:
        reason = lead_history(session, lead_id=ids["Expensely"])[-1].reason
    assert f"semantic {points}→none" in reason


def test_semantic_score_is_none_for_a_lead_not_in_the_index(db, index):
    ids = _accounts(db)
    with db.session() as session:
        assert semantic_score(session, index=index, lead_id=ids["Expensely"], now=NOW) is None


def test_no_closed_accounts_yet_is_an_honest_zero(db, index):
    ids = _add(db, {"company": "Expensely", "notes": "Looking at card issuing.", "source": "paid"})
    reindex(db, index)
    rescore_leads(db, policy=_policy(), now=NOW, semantic=index)
    entry = _semantic(db, ids[0])
    assert entry == {"points": 0, "cap": 30, "neighbours": [],
                     "rules": [{"label": "no closed accounts in the semantic index yet", "points": 0}]}


# --- the policy --------------------------------------------------------------------------------


def test_the_shipped_policy_has_the_semantic_category_on():
    semantic = load_policy().categories.semantic
    assert semantic is not None and semantic.enabled and semantic.cap == 10 and semantic.neighbours == 15


def test_semantic_policy_mistakes_are_named_with_the_fix():
    def problem(block: str) -> str:
        with pytest.raises(PolicyError) as caught:
            _policy(RULES + "  semantic:\n" + block)
        return str(caught.value)

    assert "categories.semantic.neighbours: must be a whole number from 1 to 100, e.g. 15" in problem("    neighbours: 0\n")
    assert "categories.semantic.min_similarity: must be a number from 0 up to (not including) 1" in problem("    min_similarity: 1.5\n")
    assert "categories.semantic.enabled: must be true or false" in problem("    enabled: maybe\n")
    assert "categories.semantic.cap: must be a whole number ≥ 0" in problem("    cap: -3\n")
    assert "categories.semantic.neighbors: unknown key 'neighbors' — did you mean 'neighbours'?" in problem("    neighbors: 5\n")
    assert _policy(RULES + "  semantic: {}\n").categories.semantic.cap == 30  # defaults


def test_the_reindex_command_rescores_so_breakdowns_gain_the_category(tmp_path: Path):
    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app
    from leadpilot.memory.db import open_database
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import get_settings

    database = open_database(get_settings().resolved_database_url)
    seed_demo(database, now=NOW, n_leads=60)
    database.dispose()
    runner = CliRunner()
    scored = runner.invoke(app, ["rescore"])
    assert scored.exit_code == 0 and "Semantic category" not in scored.output  # nothing indexed yet
    indexed = runner.invoke(app, ["reindex", "--quiet"])
    assert indexed.exit_code == 0, indexed.output
    assert "60 leads embedded" in indexed.output and "Semantic category on 60 indexed leads" in indexed.output
    database = open_database(get_settings().resolved_database_url)
    with database.session() as session:
        breakdowns = session.scalars(select(Lead.score_breakdown)).all()
        events = session.scalars(select(AuditEvent.reason).where(AuditEvent.reason.like("%semantic none→%"))).all()
    database.dispose()
    assert all("semantic" in b["categories"] for b in breakdowns) and events
    assert any("semantic" in line for line in breakdown_lines(breakdowns[0]))
    again = runner.invoke(app, ["rescore"])
    assert "no changes" in again.output.replace("\n", " ")
    json.dumps(breakdowns[0])  # plain data


def test_neighbour_search_is_exact_and_does_not_depend_on_the_batch():
    import numpy as np

    from leadpilot.tools.scoring.policy import SemanticCategory
    from leadpilot.tools.scoring.semantic import ClosedAccounts, SemanticScorer

    rng = np.random.default_rng(11)
    centres = rng.standard_normal((20, 384))
    def unit(rows):
        rows = rows.astype(np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)
    accounts = unit(centres[rng.integers(0, 20, 3000)] + rng.standard_normal((3000, 384)) * 0.8)
    ids = np.arange(100, 3100, dtype=np.int64)
    won = rng.random(3000) < 0.3
    closed = ClosedAccounts(ids=ids, matrix=accounts, won=won, entry_head=[f'{{"id":{i},"company":null,"similarity":' for i in ids],
                            entry_tail=[',"converted":true}' if w else ',"converted":false}' for w in won])
    scorer = SemanticScorer(index=None, category=SemanticCategory(neighbours=15), accounts=closed)
    queries = np.vstack([unit(centres[rng.integers(0, 20, 250)] + rng.standard_normal((250, 384)) * 0.8), accounts[:50]])
    query_ids = np.concatenate([np.arange(5000, 5250), ids[:50]])  # the last 50 are closed accounts themselves

    columns, similarity = scorer._neighbours(queries, query_ids)
    exact = queries.astype(np.float64) @ accounts.astype(np.float64).T
    exact[np.arange(250, 300), np.arange(50)] = -np.inf  # not their own neighbour
    expected = np.argsort(-exact, axis=1, kind="stable")[:, :15]
    assert np.array_equal(columns, expected)
    assert np.allclose(similarity, np.take_along_axis(exact, expected, axis=1), rtol=0, atol=1e-6)
    for size in (1, 7, 64):  # other batches: the very same numbers
        parts = [scorer._neighbours(queries[i : i + size], query_ids[i : i + size]) for i in range(0, 300, size)]
        assert np.array_equal(np.vstack([c for c, _ in parts]), columns)
        assert np.array_equal(np.vstack([s for _, s in parts]), similarity)
