"""Semantic lead search: indexing lead text into the vector store, and the hybrid queries.

Hybrid = SQL applies the LeadFilter (every field, plus what the viewer may see, and open leads
unless the filter's scope, stage or outcome says otherwise) and the vector store ranks only the
lead ids that passed, so similarity never widens a filter. The store's
payload carries the structured fields too, for server-side filtering and inspection.

Indexing is incremental and idempotent: `lead_vectors` records what the store holds for each
lead (model, content hash, the lead's updated_at), `sync_index` embeds only leads whose text or
payload changed, and a lead saved while the store was unreachable stays pending until a later
sync (every semantic query catches up first, `leadpilot reindex` does it in bulk).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.embeddings import Embedder, EmbedderError, get_embedder
from leadpilot.memory.lead_vectors import LeadVector
from leadpilot.memory.models import Lead
from leadpilot.memory.vector_engines import open_vector_store
from leadpilot.memory.vectors import VectorStore, VectorStoreError
from leadpilot.settings import Settings
from leadpilot.tools.leads import LeadFilter, Viewer, compile_filter, describe_filter, open_by_default, owner_lookup
from leadpilot.tools.leads import SearchLeads, search_leads
from leadpilot.tools.scoring import SemanticCategory
from leadpilot.tools.scoring import CATEGORY as SEMANTIC
from leadpilot.tools.scoring import SemanticScorer, describe_entry

ProgressCallback = Callable[[int, int], None]
SYSTEM_VIEWER = Viewer(role="admin", name="system")
# Below this cosine a "match" is noise for MiniLM (unrelated sentences sit around 0.0-0.2).
DEFAULT_MIN_SIMILARITY = 0.2


@dataclass(frozen=True)
class SemanticIndex:
    """The vector store and the embedder that fills it; vectors of one model only."""

    store: VectorStore
    embedder: Embedder


def semantic_index(db: Database, settings: Settings) -> SemanticIndex:
    """The configured index, opened once per database (cached in `db.cache`)."""
    cached = db.cache.get("semantic_index")
    if cached is None:
        embedder = get_embedder(settings)
        cached = SemanticIndex(store=open_vector_store(settings, dimension=embedder.dimension), embedder=embedder)
        db.cache["semantic_index"] = cached
    return cached


# ---------------------------------------------------------------------------------------------
# What is indexed
# ---------------------------------------------------------------------------------------------


def _enrichment_description(lead: Lead) -> str | None:
    for blob in (lead.enrichment or {}, (lead.enrichment or {}).get("company") or {}, lead.extra or {}):
        if isinstance(blob, dict) and isinstance(blob.get("description"), str) and blob["description"].strip():
            return blob["description"].strip()
    return None


def lead_text(lead: Lead) -> str:
    """The text a lead is found by: company, title, industry, notes, website description."""
    parts = [
        lead.company,
        lead.job_title,
        lead.industry.replace("-", " ") if lead.industry else None,
        lead.notes,
        _enrichment_description(lead),
    ]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()) + "."


def lead_payload(lead: Lead) -> dict[str, Any]:
    """Structured fields stored next to the vector (filterable in the store; SQL stays the truth)."""
    return {
        "industry": lead.industry, "country": lead.country, "source": lead.source, "stage": lead.stage,
        "tier": lead.tier, "company_size": lead.company_size, "owner_id": lead.owner_id,
        "converted": lead.converted, "company": lead.company,
    }


def _content_hash(text: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([text, payload], sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Indexing
# ---------------------------------------------------------------------------------------------


@dataclass
class IndexReport:
    embedded: int = 0  # leads whose vector was (re)written
    unchanged: int = 0  # pending by timestamp, but text and payload as indexed: nothing written
    removed: int = 0  # vectors of leads no longer in the database
    pending: int = 0  # leads still waiting (store down, or over the batch budget)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.embedded:,} leads embedded, {self.unchanged:,} unchanged, {self.removed:,} removed"
        if self.pending:
            text += f"; {self.pending:,} still pending"
        return text + "".join(f"\n{error}" for error in self.errors)


def _pending_condition(model_id: str):
    return or_(
        LeadVector.lead_id.is_(None), LeadVector.model_id != model_id, Lead.updated_at != LeadVector.lead_updated_at,
    )


def pending_count(session: Session, model_id: str) -> int:
    from sqlalchemy import func

    statement = (
        select(func.count()).select_from(Lead).outerjoin(LeadVector, LeadVector.lead_id == Lead.id)
        .where(_pending_condition(model_id))
    )
    return int(session.scalar(statement) or 0)


def sync_index(
    db: Database, index: SemanticIndex, *, lead_ids: Sequence[int] | None = None, everything: bool = False,
    max_leads: int | None = None, batch_size: int = 256, on_progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> IndexReport:
    """Bring the store up to date with the database for pending leads (or `lead_ids`, or all).

    Never raises for an unreachable store or embedder: what could not be written stays pending
    and the report says why.
    """
    model_id = index.embedder.model_id
    report = IndexReport()
    with db.session() as session:
        statement = select(Lead.id).outerjoin(LeadVector, LeadVector.lead_id == Lead.id).order_by(Lead.id)
        if not everything:
            statement = statement.where(_pending_condition(model_id))
        if lead_ids is not None:
            statement = statement.where(Lead.id.in_(list(lead_ids)))
        todo = list(session.scalars(statement))
    if max_leads is not None and len(todo) > max_leads:
        report.pending = len(todo) - max_leads
        todo = todo[:max_leads]
    stamp = now or datetime.now(timezone.utc)
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        try:
            _index_chunk(db, index, chunk, report, stamp)
        except (VectorStoreError, EmbedderError) as error:
            report.pending += len(todo) - start
            report.errors.append(str(error))
            break
        if on_progress is not None:
            on_progress(min(start + batch_size, len(todo)), len(todo))
    return report


def _index_chunk(db: Database, index: SemanticIndex, chunk: list[int], report: IndexReport, stamp: datetime) -> None:
    model_id = index.embedder.model_id
    with db.transaction() as session:
        leads = session.scalars(select(Lead).where(Lead.id.in_(chunk))).unique().all()
        known = {row.lead_id: row for row in session.scalars(select(LeadVector).where(LeadVector.lead_id.in_(chunk)))}
        to_embed: list[tuple[Lead, str, dict[str, Any], str]] = []
        for lead in leads:
            text, payload = lead_text(lead), lead_payload(lead)
            digest = _content_hash(text, payload)
            row = known.get(lead.id)
            if row is not None and row.model_id == model_id and row.content_sha256 == digest:
                row.lead_updated_at = lead.updated_at  # touched but not changed: nothing to write
                report.unchanged += 1
            else:
                to_embed.append((lead, text, payload, digest))
        if to_embed:
            vectors = index.embedder.embed([text for _, text, _, _ in to_embed])
            # The store first: if it fails, the transaction rolls back and the leads stay pending.
            index.store.upsert([lead.id for lead, *_ in to_embed], vectors, [payload for _, _, payload, _ in to_embed])
            for lead, _, _, digest in to_embed:
                row = known.get(lead.id)
                if row is None:
                    session.add(LeadVector(lead_id=lead.id, model_id=model_id, content_sha256=digest,
                                           lead_updated_at=lead.updated_at, indexed_at=stamp))
                else:
                    row.model_id, row.content_sha256 = model_id, digest
                    row.lead_updated_at, row.indexed_at = lead.updated_at, stamp
            report.embedded += len(to_embed)


def index_leads(db: Database, index: SemanticIndex, lead_ids: Sequence[int]) -> IndexReport:
    """Index these leads now if they changed (call after an insert or update; safe to repeat)."""
    return sync_index(db, index, lead_ids=lead_ids)


def reindex(
    db: Database, index: SemanticIndex, *, rebuild: bool = False, on_progress: ProgressCallback | None = None,
) -> IndexReport:
    """Make the store match the database: index what changed, drop vectors of deleted leads.

    `rebuild=True` empties the store first and embeds every lead again (a new model, a corrupt
    store). Without it, running twice in a row writes nothing the second time.
    """
    if rebuild:
        index.store.reset()
        with db.transaction() as session:
            session.execute(delete(LeadVector))
    report = sync_index(db, index, on_progress=on_progress)
    with db.session() as session:
        known = set(session.scalars(select(Lead.id)))
    try:
        orphans = sorted(index.store.all_ids() - known)
        index.store.delete(orphans)
        report.removed = len(orphans)
    except VectorStoreError as error:
        report.errors.append(str(error))
    return report


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


class SemanticResult(BaseModel):
    leads: list[dict[str, Any]] = Field(description="Lead rows, most similar first, each with `similarity` (cosine).")
    matched_filter: int | None = Field(None, description="Leads passing the structured filter (None: no filter).")
    query: str
    filters_applied: list[str]
    problems: list[str] = Field(default_factory=list)
    closed_not_shown: int | None = Field(
        None, description="Closed leads that would be among these closest matches but were left out by the open-leads "
        "default (None: it did not apply).",
    )


@dataclass(frozen=True)
class _Allowed:
    """The leads a query may rank: `ids` (None: every lead), and — when the open-leads default left
    closed ones out — the ids it would allow without that default."""

    ids: list[int] | None
    problems: list[str]
    widened: list[int] | None = None


def _allowed_ids(session: Session, lead_filter: LeadFilter, *, viewer: Viewer, now: datetime) -> _Allowed:
    """Ids passing the filter and visibility; None when nothing restricts (search everything)."""
    if lead_filter.is_empty() and viewer.sees_everything and not open_by_default(lead_filter):
        return _Allowed(None, [])
    compiled = compile_filter(lead_filter, now=now, viewer=viewer, owner_ids=owner_lookup(session))
    ids = list(session.scalars(select(Lead.id).where(*compiled.conditions)))
    widened = list(session.scalars(select(Lead.id).where(*compiled.widened))) if compiled.widened is not None else None
    return _Allowed(ids, compiled.problems, widened)


def _rows_in_order(session: Session, hits: list[tuple[int, float]], *, viewer: Viewer, now: datetime) -> list[dict[str, Any]]:
    if not hits:
        return []
    ids = [lead_id for lead_id, _ in hits]
    found = search_leads(session, query=SearchLeads(filter=LeadFilter(lead_ids=ids, scope="all"), limit=len(ids)),
                         viewer=viewer, now=now, row_cap=len(ids))
    by_id = {row["id"]: row for row in found.leads}
    return [{**by_id[i], "similarity": round(score, 4)} for i, score in hits if i in by_id]


@dataclass(frozen=True)
class _Ranking:
    leads: list[dict[str, Any]]
    matched: int | None
    problems: list[str]
    closed_not_shown: int | None


def _closest(index: SemanticIndex, vector: np.ndarray, ids: list[int] | None, *, limit: int, min_similarity: float,
             exclude: set[int]) -> list[tuple[int, float]]:
    if ids is not None and exclude:
        ids = [i for i in ids if i not in exclude]
    hits = index.store.search(vector, limit=limit + len(exclude), ids=ids)
    return [(h.id, h.score) for h in hits if h.id not in exclude and h.score >= min_similarity][:limit]


def _ranked(
    session: Session, index: SemanticIndex, vector: np.ndarray, *, lead_filter: LeadFilter, viewer: Viewer,
    now: datetime, limit: int, min_similarity: float, exclude: set[int] = frozenset(),
) -> _Ranking:
    """The closest leads within the filter; with the open-leads default, also how many closed leads
    would have been among them (the same search with closed leads allowed)."""
    allowed = _allowed_ids(session, lead_filter, viewer=viewer, now=now)
    kept = _closest(index, vector, allowed.ids, limit=limit, min_similarity=min_similarity, exclude=exclude)
    hidden = None
    if allowed.widened is not None:
        open_ids = set(allowed.ids or ())
        everything = _closest(index, vector, allowed.widened, limit=limit, min_similarity=min_similarity, exclude=exclude)
        hidden = sum(lead_id not in open_ids for lead_id, _ in everything)
    matched = len(allowed.ids) if allowed.ids is not None else None
    return _Ranking(_rows_in_order(session, kept, viewer=viewer, now=now), matched, allowed.problems, hidden)


def semantic_search_leads(
    session: Session, *, index: SemanticIndex, text: str, filter: LeadFilter | None = None, viewer: Viewer,
    now: datetime, limit: int = 10, min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> SemanticResult:
    """Leads whose text means what `text` says ("looking at card issuing"), within `filter`."""
    lead_filter = filter or LeadFilter()
    vector = index.embedder.embed([text])[0]
    ranking = _ranked(session, index, vector, lead_filter=lead_filter, viewer=viewer, now=now, limit=limit,
                      min_similarity=min_similarity)
    return SemanticResult(leads=ranking.leads, matched_filter=ranking.matched, query=text, filters_applied=describe_filter(lead_filter),
                          problems=ranking.problems, closed_not_shown=ranking.closed_not_shown)


def _anchor(
    session: Session, index: SemanticIndex, *, lead_id: int | None, company: str | None, viewer: Viewer, now: datetime,
) -> tuple[np.ndarray, set[int], str, list[str]]:
    """The vector to compare with: a lead's, the mean of a company's leads, or the company name's text."""
    if lead_id is None and not company:
        raise ValueError("give a lead_id or a company")
    # Any lead can be the anchor, won and lost ones too ("leads like our customer Acme").
    if lead_id is not None:
        anchor_filter, label = LeadFilter(lead_ids=[lead_id], scope="all"), f"lead {lead_id}"
    else:
        anchor_filter, label = LeadFilter(company=company, scope="all"), f"companies like {company}"
    allowed = _allowed_ids(session, anchor_filter, viewer=viewer, now=now)
    ids, problems = allowed.ids or [], allowed.problems
    vectors = index.store.vectors(ids[:50]) if ids else {}
    if vectors:
        mean = np.mean(list(vectors.values()), axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12), set(ids), label, problems
    if lead_id is not None:
        return np.zeros(index.embedder.dimension, np.float32), set(), label, [*problems, f"no lead {lead_id} that you can see is indexed"]
    # An outside company: compare with its name (the model knows many companies' domains).
    return index.embedder.embed([company or ""])[0], set(), label, problems


def similar_leads(
    session: Session, *, index: SemanticIndex, lead_id: int | None = None, company: str | None = None,
    filter: LeadFilter | None = None, viewer: Viewer, now: datetime, limit: int = 10,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> SemanticResult:
    """Leads most like a given lead, or like a company ("companies like Stripe"), within `filter`."""
    lead_filter = filter or LeadFilter()
    vector, anchors, label, problems = _anchor(session, index, lead_id=lead_id, company=company, viewer=viewer, now=now)
    if not np.any(vector):
        return SemanticResult(leads=[], query=label, filters_applied=describe_filter(lead_filter), problems=problems)
    ranking = _ranked(session, index, vector, lead_filter=lead_filter, viewer=viewer, now=now, limit=limit,
                      min_similarity=min_similarity, exclude=anchors)
    return SemanticResult(leads=ranking.leads, matched_filter=ranking.matched, query=label, filters_applied=describe_filter(lead_filter),
                          problems=problems + ranking.problems, closed_not_shown=ranking.closed_not_shown)


class OutcomeSummary(SemanticResult):
    won: int
    lost: int
    weighted_win_rate: float | None = Field(description="Win rate of the similar accounts, weighted by similarity.")


def similar_accounts_with_outcomes(
    session: Session, *, index: SemanticIndex, lead_id: int | None = None, company: str | None = None,
    text: str | None = None, viewer: Viewer, now: datetime, limit: int = 10,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> OutcomeSummary:
    """Closed accounts (won or lost) most like a lead, company or description, with their outcomes."""
    closed = LeadFilter(stage=["CUSTOMER", "LOST"])
    if text:
        result = semantic_search_leads(session, index=index, text=text, filter=closed, viewer=viewer, now=now,
                                       limit=limit, min_similarity=min_similarity)
    else:
        result = similar_leads(session, index=index, lead_id=lead_id, company=company, filter=closed, viewer=viewer,
                               now=now, limit=limit, min_similarity=min_similarity)
    outcomes = _outcomes(session, [row["id"] for row in result.leads])
    won = lost = 0
    weight_won = weight_all = 0.0
    for row in result.leads:
        row["converted"] = outcomes.get(row["id"])
        weight = max(row["similarity"], 0.0)
        weight_all += weight
        if row["converted"]:
            won += 1
            weight_won += weight
        else:
            lost += 1
    rate = round(weight_won / weight_all, 4) if weight_all > 0 else None
    return OutcomeSummary(**result.model_dump(), won=won, lost=lost, weighted_win_rate=rate)


def _outcomes(session: Session, ids: list[int]) -> dict[int, bool]:
    if not ids:
        return {}
    return {i: bool(c) for i, c in session.execute(select(Lead.id, Lead.converted).where(Lead.id.in_(ids)))}


class SemanticScore(BaseModel):
    points: int = Field(ge=0)
    reason: str
    neighbours: list[dict[str, Any]] = Field(default_factory=list)


def semantic_score(session: Session, *, index: SemanticIndex, lead_id: int, now: datetime, neighbours: int = 15,
                   max_points: int = 30, min_similarity: float = DEFAULT_MIN_SIMILARITY) -> SemanticScore | None:
    """Points (0-max_points) for resembling accounts that converted: the similarity-weighted win
    rate of the closest closed accounts, exactly as the scoring breakdown's semantic category
    computes it (tools/scoring/semantic.py). None when the lead is not in the index."""
    category = SemanticCategory(cap=max_points, neighbours=neighbours, min_similarity=min_similarity)
    part = SemanticScorer.load(session, index=index, category=category).parts(session, [lead_id]).get(lead_id)
    if part is None:
        return None
    entry = json.loads("{" + part.json + "}")[SEMANTIC]
    return SemanticScore(points=entry["points"], reason=describe_entry(entry), neighbours=entry["neighbours"])


# ---------------------------------------------------------------------------------------------
# One call for the agent: catch up, then search read-only
# ---------------------------------------------------------------------------------------------


def catch_up(db: Database, index: SemanticIndex, *, max_leads: int = 2000) -> list[str]:
    """Index pending leads before a query (bounded); problems to show, if any."""
    report = sync_index(db, index, max_leads=max_leads)
    problems = [f"the semantic index could not be updated: {e}" for e in report.errors]
    if report.pending:
        problems.append(f"{report.pending:,} leads are not in the semantic index yet (run `leadpilot reindex`)")
    return problems
