"""The semantic category of a lead's score: points for resembling closed accounts that converted.

A lead in the semantic index is compared with the closed accounts (customers and lost leads) in
the index. Its `neighbours` most similar ones at or above `min_similarity` count; the points are
cap × their similarity-weighted share that converted, rounded half up. The breakdown entry names
the closest accounts and their outcomes::

    "semantic": {"points": 18, "cap": 30,
                 "rules": [{"label": "4 of 6 closest closed accounts converted (similarity-weighted 61%)", "points": 18}],
                 "neighbours": [{"id": 12, "company": "Corpcard Co", "similarity": 0.71, "converted": true}, ...]}

A lead that is not in the index (not embedded yet, embedded by another model) gets no entry at
all, and neither does any lead while the vector store is unreachable: the category is absent,
never a made-up 0. An indexed lead with no similar closed account gets 0 with that reason.

Bulk (`SemanticScorer`): the closed accounts' vectors are read once (at most
`max_closed_accounts`, most recently updated first); each batch of leads costs one SQL query and
one vector-store read, and is compared with every closed account in one float32 matrix product.
A matrix product's digits depend on the shape of the batch, so that product only picks the
candidates (with a margin); each candidate pair's similarity is then summed again on its own, and
a lead's result does not depend on which other leads share its batch: the bulk re-score and the
single-lead score agree to the last digit, and a second re-score changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from leadpilot.memory.lead_vectors import LeadVector
from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import Stage
from leadpilot.tools.scoring.policy import SemanticCategory

if TYPE_CHECKING:
    from leadpilot.memory.db import Database
    from leadpilot.settings import Settings
    from leadpilot.tools.semantic import SemanticIndex

CATEGORY = "semantic"
SHOWN_NEIGHBOURS = 5  # neighbours listed in the breakdown (all `neighbours` count)
_CLOSED = (Stage.CUSTOMER.value, Stage.LOST.value)
_IN_CHUNK = 900  # ids per IN (...) list
_MATRIX_CELLS = 1 << 23  # leads × closed accounts compared at once (32 MB of float32)
# A float32 matrix product is within ~2.3e-5 of the exact similarity of unit vectors of 384
# dimensions; candidates are kept this far below the k-th best, so none of the true neighbours is missed.
_MARGIN = 1e-4
_PAIRS = 1024  # candidate pairs recomputed at once: 2 × 1.5 MB, in cache (3× faster than all at once)


@dataclass(frozen=True, slots=True)
class SemanticPart:
    """One lead's semantic entry: points in tenths and the breakdown JSON ('"semantic":{...}')."""

    tenths: int
    json: str


@dataclass(frozen=True)
class ClosedAccounts:
    """The closed accounts leads are compared with: vectors and outcomes, by column."""

    ids: np.ndarray  # int64, most recently updated first
    matrix: np.ndarray  # float32, one unit vector per row
    won: np.ndarray  # bool
    entry_head: list[str]  # '{"id":12,"company":"Corpcard Co","similarity":'
    entry_tail: list[str]  # ',"converted":true}'

    def __len__(self) -> int:
        return len(self.ids)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def load_closed_accounts(session: Session, *, index: SemanticIndex, limit: int) -> ClosedAccounts:
    """The indexed closed accounts, most recently updated first (at most `limit`). Raises
    VectorStoreError when the store cannot be read."""
    rows = session.execute(
        select(Lead.id, Lead.company, Lead.converted, Lead.stage)
        .join(LeadVector, LeadVector.lead_id == Lead.id)
        .where(Lead.stage.in_(_CLOSED), LeadVector.model_id == index.embedder.model_id)
        .order_by(Lead.updated_at.desc(), Lead.id.desc())
        .limit(limit)
    ).all()
    vectors = index.store.vectors([row.id for row in rows]) if rows else {}
    rows = [row for row in rows if row.id in vectors]  # the store lost it: not comparable
    dimension = index.embedder.dimension
    matrix = np.ascontiguousarray(np.array([vectors[row.id] for row in rows], dtype=np.float32).reshape(len(rows), dimension))
    # A customer is a win even when `converted` was never filled in (an imported stage).
    won = [bool(row.converted) if row.converted is not None else row.stage == Stage.CUSTOMER.value for row in rows]
    return ClosedAccounts(
        ids=np.array([row.id for row in rows], dtype=np.int64),
        matrix=matrix,
        won=np.array(won, dtype=bool),
        entry_head=[f'{{"id":{row.id},"company":{_json(row.company)},"similarity":' for row in rows],
        entry_tail=[',"converted":true}' if w else ',"converted":false}' for w in won],
    )


def indexed_lead_ids(session: Session, *, lead_ids: Sequence[int], model_id: str) -> list[int]:
    """Those of `lead_ids` (sorted) that the semantic index holds with the current model."""
    if not lead_ids:
        return []
    first, last = lead_ids[0], lead_ids[-1]
    query = select(LeadVector.lead_id).where(LeadVector.model_id == model_id).order_by(LeadVector.lead_id)
    if last - first < 2 * len(lead_ids):  # dense ids: one range
        wanted = set(lead_ids)
        return [i for i in session.scalars(query.where(LeadVector.lead_id.between(first, last))) if i in wanted]
    found: list[int] = []
    for start in range(0, len(lead_ids), _IN_CHUNK):
        found += session.scalars(query.where(LeadVector.lead_id.in_(lead_ids[start : start + _IN_CHUNK])))
    return found


class SemanticScorer:
    """Semantic entries for many leads against one set of closed accounts (see the module doc)."""

    def __init__(self, *, index: SemanticIndex, category: SemanticCategory, accounts: ClosedAccounts):
        self.index = index
        self.category = category
        self.accounts = accounts
        self._column_order = np.argsort(accounts.ids, kind="stable")
        self._sorted_ids = accounts.ids[self._column_order]
        self._neighbour_memo: dict[int, str] = {}  # account column * 128 + similarity in hundredths -> JSON

    @classmethod
    def load(cls, session: Session, *, index: SemanticIndex, category: SemanticCategory) -> SemanticScorer:
        """Read the closed accounts once. Raises VectorStoreError when the store cannot be read."""
        accounts = load_closed_accounts(session, index=index, limit=category.max_closed_accounts)
        return cls(index=index, category=category, accounts=accounts)

    def parts(self, session: Session, lead_ids: Sequence[int]) -> dict[int, SemanticPart]:
        """The semantic entry of each indexed lead among `lead_ids` (sorted); others are left out.
        Raises VectorStoreError when the store cannot be read."""
        ids = indexed_lead_ids(session, lead_ids=lead_ids, model_id=self.index.embedder.model_id)
        vectors = self.index.store.vectors(ids) if ids else {}
        ids = [i for i in ids if i in vectors]
        if not ids:
            return {}
        queries = np.array([vectors[i] for i in ids], dtype=np.float32)
        parts: dict[int, SemanticPart] = {}
        step = max(1, _MATRIX_CELLS // max(1, len(self.accounts)))
        # One BLAS thread: a bulk re-score's writes (tools/scoring/writer.py) and the database use the
        # other core, and waiting BLAS threads spin. Measured on 2 busy cores, 50,000 leads: 3.4 s
        # for this step instead of 6.1 s with two threads.
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(ids), step):
                chunk = ids[start : start + step]
                columns, similarity = self._neighbours(queries[start : start + step], np.array(chunk, dtype=np.int64))
                parts.update(zip(chunk, self._entries(columns, similarity)))
        return parts

    # -- neighbours -----------------------------------------------------------------------------

    def _neighbours(self, queries: np.ndarray, query_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, similarities) of each query's closest accounts, best first, shape (n, k);
        -1 / -inf pad rows with fewer candidates. A closed lead is not its own neighbour."""
        n, total = len(queries), len(self.accounts)
        k = min(self.category.neighbours, total)
        if k == 0:
            return np.full((n, 0), -1, dtype=np.int64), np.full((n, 0), -np.inf)
        rough = queries @ self.accounts.matrix.T  # float32: to find the candidates
        at = np.clip(np.searchsorted(self._sorted_ids, query_ids), 0, total - 1)
        own = self._sorted_ids[at] == query_ids
        rough[np.flatnonzero(own), self._column_order[at[own]]] = -np.inf
        if k < total:
            kth = np.partition(rough, total - k, axis=1)[:, total - k]
            rows, cols = np.nonzero(rough >= (kth - _MARGIN)[:, None])
        else:
            rows, cols = np.nonzero(rough > -np.inf)
        # Each candidate pair's similarity again, pair by pair: the same sum whatever else is in the batch.
        paired = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), _PAIRS):
            pairs = slice(start, start + _PAIRS)
            paired[pairs] = np.einsum("ij,ij->i", queries[rows[pairs]], self.accounts.matrix[cols[pairs]])
        paired = paired.astype(np.float64)
        order = np.lexsort((cols, -paired, rows))  # per lead: most similar first, ties to the most recent account
        rows, cols, paired = rows[order], cols[order], paired[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
        keep = rank < k
        columns = np.full((n, k), -1, dtype=np.int64)
        similarity = np.full((n, k), -np.inf)
        columns[rows[keep], rank[keep]] = cols[keep]
        similarity[rows[keep], rank[keep]] = paired[keep]
        return columns, similarity

    # -- breakdown entries ----------------------------------------------------------------------

    def _entries(self, columns: np.ndarray, similarity: np.ndarray) -> list[SemanticPart]:
        category, accounts = self.category, self.accounts
        counted = similarity >= category.min_similarity  # a prefix of each row: best first
        weights = np.where(counted, similarity, 0.0)
        won = counted & accounts.won[np.maximum(columns, 0)]
        weight_all, weight_won = weights.sum(axis=1), np.where(won, weights, 0.0).sum(axis=1)
        rate = np.divide(weight_won, weight_all, out=np.zeros_like(weight_all), where=weight_all > 0)
        points = np.floor(category.cap * rate + 0.5).astype(np.int64)
        shown = self._neighbour_texts(columns[:, :SHOWN_NEIGHBOURS], similarity[:, :SHOWN_NEIGHBOURS])
        width = shown.shape[1] if shown.ndim == 2 else 0
        shown_texts = shown.ravel().tolist()
        head, cap = f'"{CATEGORY}":{{"points":', f',"cap":{category.cap},"rules":[{{"label":"'
        nothing = (f"no closed account is similar enough (similarity ≥ {category.min_similarity:g})" if len(accounts)
                   else "no closed accounts in the semantic index yet")
        entries = []
        # Written as JSON text directly (labels hold no quotes or backslashes): this runs once per lead.
        for row, (count, wins, share, earned) in enumerate(
            zip(counted.sum(axis=1).tolist(), won.sum(axis=1).tolist(), rate.tolist(), points.tolist())
        ):
            if count:
                label = f"{wins} of {count} closest closed accounts converted (similarity-weighted {share:.0%})"
                listed = ",".join(shown_texts[row * width : row * width + min(count, width)])
            else:
                label, listed = nothing, ""
            entries.append(SemanticPart(earned * 10, f'{head}{earned}{cap}{label}","points":{earned}}}],"neighbours":[{listed}]}}'))
        return entries

    def _neighbour_texts(self, columns: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        """Each shown neighbour's JSON entry, similarity to 2 decimals (an object array shaped like
        `columns`); the same few hundred thousand (account, similarity) pairs recur, so each is written once."""
        hundredths = np.rint(np.where(similarity >= 0, similarity, 0) * 100).astype(np.int64)  # 0..100
        keys = np.where(columns >= 0, columns * 128 + hundredths, -1)
        memo, heads, tails = self._neighbour_memo, self.accounts.entry_head, self.accounts.entry_tail
        texts = list(map(memo.get, keys.ravel().tolist()))
        for position, key in enumerate(keys.ravel().tolist()):
            if texts[position] is None and key >= 0:
                column, hundredth = divmod(key, 128)
                texts[position] = memo[key] = heads[column] + repr(hundredth / 100) + tails[column]
        return np.array(texts, dtype=object).reshape(columns.shape)


def closest_accounts(neighbours: Sequence[dict[str, Any]], *, shown: int = 3) -> str:
    """"Corpcard Co (converted, 0.71), Learnly (lost, 0.44)": the closest accounts and their outcomes."""
    return ", ".join(
        f"{n.get('company') or 'lead ' + str(n['id'])} ({'converted' if n['converted'] else 'lost'}, {n['similarity']:.2f})"
        for n in neighbours[:shown]
    )


def describe_entry(entry: dict[str, Any]) -> str:
    """A semantic entry in words: "4 of 6 closest closed accounts converted (similarity-weighted
    61%); closest: Corpcard Co (converted, 0.71), Learnly (lost, 0.44)"."""
    text = "; ".join(rule["label"] for rule in entry.get("rules", []))
    if entry.get("neighbours"):
        text += "; closest: " + closest_accounts(entry["neighbours"])
    return text


def open_scoring_index(
    db: Database, *, category: SemanticCategory | None, settings: Settings
) -> tuple[SemanticIndex | None, str | None]:
    """The semantic index to score with, or (None, why not) — for the commands that re-score.

    None without a word when the policy has no semantic category in force or no lead is indexed
    yet; None with the reason when the index cannot be opened.
    """
    from leadpilot.memory.embeddings import EmbedderError
    from leadpilot.memory.vectors import VectorStoreError
    from leadpilot.tools.semantic import semantic_index

    if category is None:
        return None, None
    with db.session() as session:
        if session.scalar(select(LeadVector.lead_id).limit(1)) is None:
            return None, None
    try:
        return semantic_index(db, settings), None
    except (VectorStoreError, EmbedderError) as error:
        return None, f"the semantic index is unavailable ({error}); the semantic category is left out"
