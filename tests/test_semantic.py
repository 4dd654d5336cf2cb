"""Semantic search: the offline embedder, both vector store engines, hybrid queries, indexing."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from leadpilot.memory.db import Database, open_database
from leadpilot.memory.edge_vectors import EdgeVectorStore
from leadpilot.memory.embeddings import EmbedderError, OnnxMiniLMEmbedder, minilm_model_path
from leadpilot.memory.models import Lead
from leadpilot.memory.numpy_vectors import NumpyVectorStore
from leadpilot.memory.qdrant_vectors import QdrantServerStore
from leadpilot.memory.vectors import VectorStore
from leadpilot.tools.leads.filter import LeadFilter, Viewer
from leadpilot.tools.semantic.search import (
    SemanticIndex,
    index_leads,
    reindex,
    semantic_score,
    semantic_search_leads,
    similar_accounts_with_outcomes,
    similar_leads,
    sync_index,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
ADMIN = Viewer(role="admin")


@pytest.fixture(scope="module")
def embedder() -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder()  # one model load for the module


def _qdrant_local(path: Path, dimension: int = 384) -> QdrantServerStore:
    from qdrant_client import QdrantClient

    return QdrantServerStore(QdrantClient(path=str(path)), collection="leads", dimension=dimension)


@pytest.fixture(params=["numpy", "edge", "qdrant-client"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    made = {"numpy": lambda: NumpyVectorStore(tmp_path / "np", dimension=384), "edge": lambda: EdgeVectorStore(tmp_path / "edge", dimension=384),
            "qdrant-client": lambda: _qdrant_local(tmp_path / "q")}[request.param]()
    yield made
    made.close()


# ---------------------------------------------------------------------------------------------
# Embedder
# ---------------------------------------------------------------------------------------------


def test_offline_embedder_gives_sensible_similarities(embedder: OnnxMiniLMEmbedder) -> None:
    vectors = embedder.embed([
        "Evaluating card issuing for their expense product",
        "Wants to launch virtual cards for employee spend",
        "Needs fleet tracking across 300 trucks",
        "Wants real-time GPS tracking for their delivery fleet",
    ])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sim = vectors @ vectors.T
    assert sim[0, 1] > sim[0, 2] + 0.2 and sim[2, 3] > sim[1, 3] + 0.2
    # A text's vector does not depend on the batch it is in (padding is masked out).
    alone = embedder.embed(["Needs fleet tracking across 300 trucks"])[0]
    assert float(alone @ vectors[2]) > 0.999


def test_embedder_refuses_a_model_file_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(minilm_model_path(), copy)
    with copy.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(EmbedderError, match="sha256"):
        OnnxMiniLMEmbedder(model_path=copy).embed(["x"])


def test_embedder_reports_progress(embedder: OnnxMiniLMEmbedder) -> None:
    seen: list[tuple[int, int]] = []
    OnnxMiniLMEmbedder(batch_size=2).embed(["a", "b", "c"], on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 3), (3, 3)]


# ---------------------------------------------------------------------------------------------
# Vector store: both engines behind one interface
# ---------------------------------------------------------------------------------------------


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    matrix = rng.standard_normal((n, 384)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_vector_store_contract(store: VectorStore) -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 30)
    ids = list(range(1, 31))
    payloads = [{"industry": "fintech" if i % 2 else "retail", "tier": "hot" if i % 3 == 0 else "cold"} for i in ids]
    store.upsert(ids, vectors, payloads)
    store.upsert(ids, vectors, payloads)  # idempotent by id
    assert store.count() == 30 and store.all_ids() == set(ids)

    query = vectors[4]
    best = store.search(query, limit=3)
    assert best[0].id == 5 and best[0].score == pytest.approx(1.0, abs=1e-4)
    assert [h.score for h in best] == sorted((h.score for h in best), reverse=True)
    # Exact: the same top 5 as a brute-force dot product.
    expected = (np.argsort(-(vectors @ query))[:5] + 1).tolist()
    assert [h.id for h in store.search(query, limit=5)] == expected

    allowed = {2, 9, 17}
    assert {h.id for h in store.search(query, limit=10, ids=allowed)} == allowed
    assert store.search(query, limit=10, ids=[]) == []
    hits = store.search(query, limit=30, where={"industry": ["fintech"], "tier": ["hot"]})
    assert {h.id for h in hits} == {i for i in ids if i % 2 and i % 3 == 0}
    assert hits[0].payload["industry"] == "fintech"

    assert np.allclose(store.vectors([7])[7], vectors[6], atol=1e-5)
    store.delete([5, 6])
    assert store.count() == 28 and 5 not in {h.id for h in store.search(query, limit=5)}
    store.reset()
    assert store.count() == 0


@pytest.mark.parametrize("engine", [NumpyVectorStore, EdgeVectorStore])
def test_embedded_stores_persist_across_reopen(engine, tmp_path: Path) -> None:
    vectors = _unit(np.random.default_rng(2), 3)
    first = engine(tmp_path / "store", dimension=384)
    first.upsert([1, 2, 3], vectors, [{"tier": "hot"}, {}, {}])
    first.delete([3])
    first.upsert([2], vectors[2:3], [{"tier": "cold"}])
    first.close()
    again = engine(tmp_path / "store", dimension=384)
    assert again.count() == 2 and again.search(vectors[2], limit=1)[0].id == 2
    assert again.search(vectors[0], limit=5, where={"tier": ["cold"]})[0].id == 2
    again.close()


def test_numpy_store_folds_its_log_into_a_snapshot(tmp_path: Path) -> None:
    vectors = _unit(np.random.default_rng(3), 1500)
    store = NumpyVectorStore(tmp_path / "np", dimension=384)
    for start in range(0, 1500, 500):
        store.upsert(list(range(start + 1, start + 501)), vectors[start : start + 500], [{}] * 500)
    assert (tmp_path / "np" / "snapshot.npz").exists() and len(list((tmp_path / "np").glob("log-*.npz"))) < 3
    reopened = NumpyVectorStore(tmp_path / "np", dimension=384)
    assert reopened.count() == 1500 and np.allclose(reopened.vectors([1500])[1500], vectors[1499])


# ---------------------------------------------------------------------------------------------
# Indexing and hybrid search on a small store
# ---------------------------------------------------------------------------------------------

LEADS = [
    # company, industry, tier, days since contact (None = never), notes
    ("Spendwise", "fintech", "hot", None, "Evaluating card issuing for their expense product."),
    ("Cardly", "fintech", "hot", 10, "Looking at card issuing and virtual cards."),
    ("Ledgerline", "fintech", "hot", 1, "Wants to launch virtual cards for employee spend."),
    ("Corpcard Co", "fintech", "cold", None, "Exploring physical and virtual card issuing for a corporate card."),
    ("Verifyo", "fintech", "hot", None, "Needs KYC automation and AML screening via API."),
    ("Truckwise", "logistics", "hot", None, "Needs fleet tracking across 300 trucks."),
    ("MediBook", "healthcare", "warm", None, "Wants online appointment booking integrated with their EHR."),
    ("Shopfast", "ecommerce", "hot", None, "Cart abandonment is high; wants a faster one-page checkout."),
    ("Gridwatch", "energy", "warm", 20, "Needs real-time monitoring of 200 substations."),
    ("Learnly", "education", "cold", None, "Replacing their LMS before the fall semester."),
]


def _add_leads(db: Database, rows=LEADS) -> dict[str, int]:
    ids = {}
    with db.transaction() as session:
        for company, industry, tier, contacted, notes in rows:
            lead = Lead(
                company=company, industry=industry, tier=tier, notes=notes, job_title="Head of Product",
                created_at=NOW - timedelta(days=30), updated_at=NOW - timedelta(days=30),
                last_contacted_at=None if contacted is None else NOW - timedelta(days=contacted),
            )
            session.add(lead)
            session.flush()
            ids[company] = lead.id
    return ids


@pytest.fixture
def lead_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    yield database
    database.dispose()


@pytest.fixture
def index(store: VectorStore, embedder: OnnxMiniLMEmbedder) -> SemanticIndex:
    return SemanticIndex(store=store, embedder=embedder)


def _companies(result) -> list[str]:
    return [row["company"] for row in result.leads]


def test_hybrid_search_finds_card_issuing_leads_and_applies_every_filter(lead_db: Database, index: SemanticIndex) -> None:
    _add_leads(lead_db)
    reindex(lead_db, index)
    card_issuers = {"Spendwise", "Cardly", "Ledgerline", "Corpcard Co"}
    with lead_db.session() as session:
        found = semantic_search_leads(session, index=index, text="which leads are looking at card issuing?",
                                      viewer=ADMIN, now=NOW, limit=4)
        assert set(_companies(found)) == card_issuers
        assert found.leads[0]["similarity"] >= found.leads[-1]["similarity"]

        hot_fintech_quiet = LeadFilter(tier=["hot"], industry=["FinTech"], not_contacted_in_days=3)
        narrowed = semantic_search_leads(session, index=index, text="card issuing", filter=hot_fintech_quiet,
                                         viewer=ADMIN, now=NOW, limit=10)
        # Ledgerline was contacted yesterday, Corpcard Co is cold: the filter removes them.
        assert set(_companies(narrowed)[:2]) == {"Spendwise", "Cardly"}
        assert "Ledgerline" not in _companies(narrowed) and "Corpcard Co" not in _companies(narrowed)
        assert narrowed.matched_filter == 3 and "tier: hot" in " ".join(narrowed.filters_applied)

        nothing = semantic_search_leads(session, index=index, text="card issuing",
                                        filter=LeadFilter(industry=["biotech"]), viewer=ADMIN, now=NOW)
        assert nothing.leads == [] and nothing.matched_filter == 0


def test_similar_leads_and_outcomes(lead_db: Database, index: SemanticIndex) -> None:
    ids = _add_leads(lead_db)
    with lead_db.transaction() as session:
        for company, won in (("Corpcard Co", True), ("Learnly", False)):
            lead = session.get(Lead, ids[company])
            lead.stage, lead.converted, lead.updated_at = ("CUSTOMER" if won else "LOST"), won, NOW
    reindex(lead_db, index)
    with lead_db.session() as session:
        like = similar_leads(session, index=index, company="Spendwise", filter=LeadFilter(not_contacted_in_days=3),
                             viewer=ADMIN, now=NOW, limit=3)
        assert "Spendwise" not in _companies(like) and _companies(like)[0] in {"Cardly", "Corpcard Co"}
        assert "Ledgerline" not in _companies(like)  # contacted yesterday
        by_id = similar_leads(session, index=index, lead_id=ids["Truckwise"], viewer=ADMIN, now=NOW, limit=1)
        assert by_id.leads and by_id.leads[0]["id"] != ids["Truckwise"]

        outcomes = similar_accounts_with_outcomes(session, index=index, lead_id=ids["Cardly"], viewer=ADMIN, now=NOW)
        assert _companies(outcomes)[0] == "Corpcard Co" and outcomes.leads[0]["converted"] is True
        score = semantic_score(session, index=index, lead_id=ids["Cardly"], now=NOW)
        assert 0 < score.points <= 30 and "Corpcard Co" in score.reason


def test_reindex_is_idempotent_and_follows_updates_and_deletes(lead_db: Database, index: SemanticIndex) -> None:
    ids = _add_leads(lead_db)
    first = reindex(lead_db, index)
    assert first.embedded == len(LEADS) and index.store.count() == len(LEADS)
    again = reindex(lead_db, index)
    assert (again.embedded, again.unchanged, again.removed) == (0, 0, 0)

    with lead_db.transaction() as session:
        touched = session.get(Lead, ids["MediBook"])
        touched.updated_at = NOW  # saved, but nothing indexed changed
        edited = session.get(Lead, ids["Learnly"])
        edited.notes, edited.updated_at = "Now evaluating card issuing for student cards.", NOW
        session.delete(session.get(Lead, ids["Gridwatch"]))
    report = index_leads(lead_db, index, [ids["MediBook"], ids["Learnly"]])
    assert (report.embedded, report.unchanged) == (1, 1)
    assert reindex(lead_db, index).removed == 1 and index.store.count() == len(LEADS) - 1
    with lead_db.session() as session:
        top = semantic_search_leads(session, index=index, text="student card issuing", viewer=ADMIN, now=NOW, limit=1)
        assert _companies(top) == ["Learnly"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_lead_added_while_the_store_is_down_is_indexed_when_it_returns(
    lead_db: Database, embedder: OnnxMiniLMEmbedder, tmp_path: Path,
) -> None:
    up = _qdrant_local(tmp_path / "q")
    _add_leads(lead_db, LEADS[:3])
    assert sync_index(lead_db, SemanticIndex(store=up, embedder=embedder)).embedded == 3
    up.close()

    # The server is unreachable (nothing listens on the port): the lead is saved, the index waits.
    down = QdrantServerStore.connect(f"http://127.0.0.1:{_closed_port()}", collection="leads", dimension=384, timeout_s=1)
    new_id = _add_leads(lead_db, [("Truckwise", "logistics", "hot", None, "Needs fleet tracking across 300 trucks.")])["Truckwise"]
    report = sync_index(lead_db, SemanticIndex(store=down, embedder=embedder))
    assert report.embedded == 0 and report.pending == 1 and "Qdrant" in report.errors[0]

    back = SemanticIndex(store=_qdrant_local(tmp_path / "q"), embedder=embedder)
    assert sync_index(lead_db, back).embedded == 1
    with lead_db.session() as session:
        hit = semantic_search_leads(session, index=back, text="truck fleet tracking", viewer=ADMIN, now=NOW, limit=1)
    assert hit.leads[0]["id"] == new_id
    back.store.close()


def test_reps_only_get_what_they_may_see(lead_db: Database, index: SemanticIndex) -> None:
    _add_leads(lead_db)
    reindex(lead_db, index)
    with lead_db.session() as session:
        unlinked = semantic_search_leads(session, index=index, text="card issuing", viewer=Viewer(role="rep"), now=NOW)
    assert unlinked.leads == []


# ---------------------------------------------------------------------------------------------
# Demo data
# ---------------------------------------------------------------------------------------------


def test_card_issuing_question_on_demo_data(lead_db: Database, embedder: OnnxMiniLMEmbedder, tmp_path: Path) -> None:
    from leadpilot.memory.seed import build_demo_dataset, load_demo_dataset

    dataset = build_demo_dataset(now=NOW, n_leads=150)
    load_demo_dataset(lead_db, dataset=dataset)
    index = SemanticIndex(store=EdgeVectorStore(tmp_path / "edge", dimension=384), embedder=embedder)
    reindex(lead_db, index)
    with lead_db.session() as session:
        found = semantic_search_leads(session, index=index, text="which leads are looking at card issuing?",
                                      viewer=ADMIN, now=NOW, limit=5, filter=LeadFilter(scope="all"))
        by_default = semantic_search_leads(session, index=index, text="which leads are looking at card issuing?",
                                           viewer=ADMIN, now=NOW, limit=5)
        external = {lead.id: lead.external_id for lead in session.scalars(select(Lead))}
    topics = [dataset.need_topics.get(external[row["id"]]) for row in found.leads]
    assert topics and topics.count("fintech/card-issuing") >= min(3, list(dataset.need_topics.values()).count("fintech/card-issuing"))
    assert all(row["industry"] == "fintech" for row in found.leads[:3])
    # By default the question is about open leads: no won or lost lead among them, and it says so.
    assert by_default.leads and {row["stage"] for row in by_default.leads}.isdisjoint({"CUSTOMER", "LOST"})
    assert by_default.filters_applied == ["open leads"] and by_default.leads[0]["industry"] == "fintech"
    index.store.close()


def test_numpy_store_sees_what_another_process_wrote(tmp_path: Path) -> None:
    vectors = _unit(np.random.default_rng(5), 2)
    chat = NumpyVectorStore(tmp_path / "np", dimension=384)
    chat.upsert([1], vectors[:1], [{}])
    NumpyVectorStore(tmp_path / "np", dimension=384).upsert([2], vectors[1:], [{}])  # e.g. `leadpilot reindex`
    assert chat.count() == 2 and chat.search(vectors[1], limit=1)[0].id == 2


def test_numpy_store_handles_sparse_ids(tmp_path: Path) -> None:
    vectors = _unit(np.random.default_rng(4), 3)
    store = NumpyVectorStore(tmp_path / "np", dimension=384)
    store.upsert([7, 10**9, 123_456_789], vectors, [{}, {}, {}])  # too sparse for a direct table
    assert [h.id for h in store.search(vectors[1], limit=1, ids=[10**9, 7, 55])] == [10**9]
    assert store.search(vectors[0], limit=5, ids=[55]) == []


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


def test_reindex_command_is_incremental(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import get_settings

    database = open_database(get_settings().resolved_database_url)
    seed_demo(database, now=NOW, n_leads=40)
    database.dispose()
    runner = CliRunner()
    first = runner.invoke(app, ["reindex", "--quiet"])
    assert first.exit_code == 0, first.output
    assert "40 leads embedded" in first.output
    second = runner.invoke(app, ["reindex", "--quiet"])
    assert "0 leads embedded" in second.output
    assert (get_settings().data_dir / "vectors").is_dir()


def test_ranking_metrics() -> None:
    from leadpilot.evals.semantic import ndcg_at_k, recall_at_k

    assert recall_at_k([2, 0, 2], relevant_total=4, k=3) == pytest.approx(2 / 3)
    assert ndcg_at_k([2, 2, 1], [2, 2, 1]) == pytest.approx(1.0)
    assert ndcg_at_k([0, 1, 2], [2, 1]) < ndcg_at_k([2, 1, 0], [2, 1])


def test_evals_semantic_reports_recall_and_ndcg() -> None:
    from leadpilot.evals.semantic import run_semantic_eval

    report = run_semantic_eval(leads=100)
    assert report["queries"] >= 20 and 0.5 <= report["recall@10"] <= 1 and 0.5 <= report["ndcg@10"] <= 1
