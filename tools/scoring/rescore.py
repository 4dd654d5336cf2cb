"""Bulk re-scoring: the rules applied to many leads at once, streamed in id order, written in
bulk, with one audit event per changed score or tier."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.vectors import VectorStoreError
from leadpilot.tools.common import gc_paused
from leadpilot.tools.common import pipeline_available, start_method
from leadpilot.tools.scoring.bulk_sql import (
    _ACTIVITY_COLUMNS,
    _AUDIT_INSERT,
    _AUDIT_PARAMS,
    _LEAD_COLUMNS,
    _SCORE_PARAMS,
    _SCORE_UPDATE,
    _STAMP_ONE,
    _STAMP_RANGE,
    _driver_datetime,
    _driver_statement,
    _execute_many,
    _fetch_tuples,
    _write_audit,
    _write_scores,
)
from leadpilot.tools.scoring.engine import _Engine, _engine_for, _Scored
from leadpilot.tools.scoring.explanation import change_reason
from leadpilot.tools.scoring.policy import ScoringPolicy
from leadpilot.tools.scoring.semantic import SemanticPart, SemanticScorer
from leadpilot.tools.scoring.writer import ScoreWriterProcess, WriteStatements

if TYPE_CHECKING:
    from leadpilot.tools.semantic import SemanticIndex

_IN_CHUNK = 900  # ids per IN (...) list, inside every backend's parameter limit
_AUDIT_TEXT = 200  # audit_events.old_value / new_value length


@dataclass
class RescoreReport:
    """What a re-score did. `tier_moves` counts tier changes such as {"warm->hot": 12}."""

    policy_version: str
    scored: int = 0
    changed: int = 0  # leads whose score or tier changed
    tier_moves: dict[str, int] = field(default_factory=dict)
    audit_events: int = 0
    duration_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase: read, semantic, score, write, commit
    semantic_scored: int = 0  # leads whose breakdown has the semantic category
    semantic_problem: str | None = None  # why the semantic category was left out, when the index failed
    background_writer: bool = False  # batches were written by a second process (tools/scoring/writer.py)

    @property
    def unchanged(self) -> int:
        return self.scored - self.changed


def rescore_leads(
    db: Database | Session,
    *,
    policy: ScoringPolicy,
    now: datetime,
    lead_ids: Sequence[int] | None = None,
    actor: str = "rescore",
    batch_size: int = 10_000,
    semantic: SemanticIndex | None = None,
) -> RescoreReport:
    """Re-score all leads (or `lead_ids`) and store score, tier, breakdown and scored_at.

    Writes one audit event per changed score and per changed tier, with a reason naming the
    policy version and the categories that moved. Given a `Database`, each batch of leads is
    written in its own transaction (re-scoring is idempotent, so an interrupted run is finished by
    running it again) — on an SQLite file, from a second process while the next batch is scored
    (tools/scoring/writer.py); given a `Session`, everything happens in it and the caller commits.

    With the `semantic` index (and the category in the policy), leads in the index get the
    semantic category; without it, or while the index fails (`semantic_problem` says why), no lead
    has it — a lead that had it loses it, audited like any change.
    """
    started = time.perf_counter()
    engine = _engine_for(policy)
    now = utc(now)
    report = RescoreReport(
        policy_version=policy.version, timings={"read": 0.0, "semantic": 0.0, "score": 0.0, "write": 0.0, "commit": 0.0}
    )
    tier_moves: Counter[str] = Counter()
    with gc_paused():
        _rescore(db, engine=engine, policy=policy, now=now, lead_ids=lead_ids, actor=actor, batch_size=batch_size,
                 semantic=semantic, report=report, tier_moves=tier_moves)
    report.tier_moves = dict(sorted(tier_moves.items()))
    report.duration_s = time.perf_counter() - started
    return report


def _rescore(
    db: Database | Session, *, engine: _Engine, policy: ScoringPolicy, now: datetime, lead_ids: Sequence[int] | None,
    actor: str, batch_size: int, semantic: SemanticIndex | None, report: RescoreReport, tier_moves: Counter[str],
) -> None:
    """The batches of `rescore_leads`, each read, scored and written in one transaction (or the caller's session)."""
    bind = db.get_bind() if isinstance(db, Session) else db.engine
    scoring = _BatchScoring(engine, now=now, at=_driver_datetime(bind.dialect, now), actor=actor, report=report)
    if isinstance(db, Session):
        db.flush()  # the reads below go straight to the connection
        scoring.load_semantic(db, index=semantic, policy=policy)
        open_batch: Callable[[], AbstractContextManager[Session]] = partial(nullcontext, db)
    else:
        with db.session() as session:
            scoring.load_semantic(session, index=semantic, policy=policy)
        open_batch = db.transaction
    with ExitStack() as stack:
        child: _ChildWriter | None = None
        for session, leads in _lead_batches(open_batch, lead_ids=lead_ids, batch_size=batch_size, report=report):
            batch = scoring.score(session, leads, tier_moves=tier_moves)
            if child is None and len(leads) == batch_size and lead_ids is None and (path := _child_writes_to(db)):
                child = stack.enter_context(_ChildWriter(path, dialect=session.get_bind().dialect, report=report))
                report.background_writer = True
            if child is None:
                _write_batch(session, batch, report=report)  # in the transaction that read it
            else:
                child.submit(batch)
        if child is not None:
            child.finish()
    if isinstance(db, Session):
        _expire_scores(db, lead_ids)


def _child_writes_to(db: Database | Session) -> str | None:
    """The SQLite file a writer process can take a re-score's writes to (see tools/scoring/writer.py), if any.

    Only a `Database` (each batch its own transaction) on an SQLite file, with a second core, in a
    single-threaded process (the CLI): the child is forked. A process with threads (a web server)
    writes in-process rather than spawn a child (~1 s, and it would re-import the main module).
    A batch's reads and its write are then two transactions: a lead edited in between keeps the
    score computed before the edit until the next re-score (the edit's own scoring aside).
    """
    if isinstance(db, Session) or db.dialect != "sqlite" or not pipeline_available() or start_method() != "fork":
        return None
    url = db.engine.url
    if not url.database or url.database == ":memory:" or url.database.startswith("file:") or url.query:
        return None
    return url.database


class _ChildWriter:
    """A ScoreWriterProcess fed with this module's batches (rows put in the compiled statements' order)."""

    def __init__(self, path: str, *, dialect: Any, report: RescoreReport):
        self._stamp_range = _driver_statement(dialect, _STAMP_RANGE, ("b_first", "b_last", "b_at"))
        self._stamp_one = _driver_statement(dialect, _STAMP_ONE, ("b_id", "b_at"))
        self._scores = _driver_statement(dialect, _SCORE_UPDATE, _SCORE_PARAMS)
        self._audit = _driver_statement(dialect, _AUDIT_INSERT, _AUDIT_PARAMS)
        statements = WriteStatements(self._stamp_range[0], self._stamp_one[0], self._scores[0], self._audit[0])
        self._process = ScoreWriterProcess(path=path, statements=statements)
        self._report = report

    def __enter__(self) -> _ChildWriter:
        self._process.__enter__()
        return self

    def submit(self, batch: _BatchWrites) -> None:
        stamp = self._stamp_range[1]([(*batch.stamp_range, batch.at)])[0] if batch.stamp_range is not None else None
        self._count(self._process.submit((
            stamp,
            self._stamp_one[1]([(lead_id, batch.at) for lead_id in batch.stamp_ids]),
            self._scores[1](batch.scores),
            self._audit[1](batch.audit),
        )))

    def finish(self) -> None:
        self._count(self._process.finish())

    def _count(self, timings: dict[str, float]) -> None:
        for phase, seconds in timings.items():
            self._report.timings[phase] += seconds

    def __exit__(self, *exc_info: Any) -> None:
        self._process.__exit__(*exc_info)


def _expire_scores(session: Session, lead_ids: Sequence[int] | None) -> None:
    """Make loaded Lead objects re-read the scores written behind the ORM's back."""
    wanted = None if lead_ids is None else set(lead_ids)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Lead) and (wanted is None or instance.id in wanted):
            session.expire(instance, ["score", "tier", "score_breakdown", "scored_at"])


_ID, _SCORE, _TIER, _BREAKDOWN, _FACTS = 0, 1, 2, 3, slice(4, None)  # positions in a row of _LEAD_COLUMNS


def _lead_batches(
    open_session: Callable[[], AbstractContextManager[Session]], *, lead_ids: Sequence[int] | None, batch_size: int,
    report: RescoreReport,
) -> Iterator[tuple[Session, list[tuple[Any, ...]]]]:
    """(session, lead rows) per batch, in id order; each batch is read in its own `open_session()`
    (a transaction, or the caller's session), which stays open while the caller scores and writes it."""
    if lead_ids is not None:
        wanted = sorted(set(lead_ids))
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            yield from _read_batch(open_session, select(*_LEAD_COLUMNS).where(Lead.id.in_(chunk)).order_by(Lead.id), report)
        return
    last_id = 0  # keyset pagination: each batch starts after the last id of the one before
    query = select(*_LEAD_COLUMNS).order_by(Lead.id).limit(batch_size)
    while rows := (yield from _read_batch(open_session, query.where(Lead.id > last_id), report)):
        last_id = rows[-1][_ID]


def _read_batch(
    open_session: Callable[[], AbstractContextManager[Session]], query: Any, report: RescoreReport
) -> Generator[tuple[Session, list[tuple[Any, ...]]], None, list[tuple[Any, ...]]]:
    """Yield (session, rows) for one batch while its session is open; return the rows."""
    with open_session() as session:
        clock = time.perf_counter()
        rows = _fetch_tuples(session, query)
        report.timings["read"] += time.perf_counter() - clock
        if rows:
            yield session, rows
        clock = time.perf_counter()
    report.timings["commit"] += time.perf_counter() - clock
    return rows


def _activity_rows(session: Session, leads: list[tuple[Any, ...]], *, engine: _Engine) -> list[tuple[Any, ...]]:
    """The activities of these leads. Neither kind nor time is filtered here: a kind filter leads
    SQLite to the kind index and a scan of the whole table, and the tally drops both cheaply."""
    if not engine.slots:
        return []
    query = select(*_ACTIVITY_COLUMNS)
    first, last = leads[0][_ID], leads[-1][_ID]
    if len(leads) > _IN_CHUNK or last - first < 2 * len(leads):  # dense ids: one indexed range scan
        query = query.where(Activity.lead_id.between(first, last))
    else:
        query = query.where(Activity.lead_id.in_([lead[_ID] for lead in leads]))
    return _fetch_tuples(session, query)


@dataclass
class _BatchWrites:
    """What one batch writes: new scores, audit events, and scored_at for the leads left as they were."""

    scores: list[tuple[Any, ...]]  # _SCORE_PARAMS order
    audit: list[tuple[Any, ...]]  # _AUDIT_COLUMNS order
    stamp_range: tuple[int, int] | None  # every id in [first, last] is in the batch: one statement
    stamp_ids: list[int]  # otherwise, the unchanged ids one by one
    at: Any


class _BatchScoring:
    """Scores batches of lead rows (reading what else they need through the batch's session); writes nothing."""

    def __init__(self, engine: _Engine, *, now: datetime, at: Any, actor: str, report: RescoreReport):
        self.engine, self.now, self.at, self.actor, self.report = engine, now, at, actor, report
        self.semantic: SemanticScorer | None = None

    def load_semantic(self, session: Session, *, index: SemanticIndex | None, policy: ScoringPolicy) -> None:
        """Read the closed accounts to compare with, when the policy and an index call for it."""
        category = policy.categories.semantic_in_force
        if index is None or category is None:
            return
        clock = time.perf_counter()
        try:
            self.semantic = SemanticScorer.load(session, index=index, category=category)
        except VectorStoreError as error:
            self.report.semantic_problem = f"the semantic category is left out: {error}"
        self.report.timings["semantic"] += time.perf_counter() - clock

    def _semantic_parts(self, session: Session, leads: list[tuple[Any, ...]]) -> dict[int, SemanticPart]:
        if self.semantic is None:
            return {}
        clock = time.perf_counter()
        try:
            parts = self.semantic.parts(session, [lead[_ID] for lead in leads])
        except VectorStoreError as error:  # absent from here on, not made up
            self.semantic = None
            self.report.semantic_problem = f"the semantic category is left out: {error}"
            parts = {}
        self.report.timings["semantic"] += time.perf_counter() - clock
        self.report.semantic_scored += len(parts)
        return parts

    def score(self, session: Session, leads: list[tuple[Any, ...]], *, tier_moves: Counter[str]) -> _BatchWrites:
        engine, report, at = self.engine, self.report, self.at
        clock = time.perf_counter()
        activity_rows = _activity_rows(session, leads, engine=engine)
        report.timings["read"] += time.perf_counter() - clock
        semantic_of = self._semantic_parts(session, leads).get

        clock = time.perf_counter()
        tally_of = engine.tally(activity_rows, now=self.now).get
        writes: list[tuple[Any, ...]] = []
        changed: list[tuple[tuple[Any, ...], _Scored]] = []
        assemble = engine.assemble
        for lead in leads:
            lead_id = lead[_ID]
            scored = assemble(lead[_FACTS], tally_of(lead_id), semantic_of(lead_id))
            # SQLite hands back the JSON text stored last time: an identical breakdown needs no rewrite.
            if scored.breakdown_json != lead[_BREAKDOWN]:
                writes.append((scored.score, scored.tier, scored.breakdown_json, at, lead_id))
                if scored.score != lead[_SCORE] or scored.tier != lead[_TIER]:
                    changed.append((lead, scored))
        audit = _audit_rows(changed, version=engine.version, at=at, actor=self.actor, tier_moves=tier_moves)
        stamp_range, stamp_ids = None, []
        if len(writes) != len(leads):
            first, last = leads[0][_ID], leads[-1][_ID]
            if last - first + 1 == len(leads):
                stamp_range = (first, last)
            else:
                written = {row[-1] for row in writes}
                stamp_ids = [lead[_ID] for lead in leads if lead[_ID] not in written]
        report.timings["score"] += time.perf_counter() - clock
        report.scored += len(leads)
        report.changed += len(changed)
        report.audit_events += len(audit)
        return _BatchWrites(writes, audit, stamp_range, stamp_ids, at)


def _write_batch(session: Session, batch: _BatchWrites, *, report: RescoreReport) -> None:
    clock = time.perf_counter()
    if batch.stamp_range is not None:
        _execute_many(session, _STAMP_RANGE, ("b_first", "b_last", "b_at"), [(*batch.stamp_range, batch.at)])
    _execute_many(session, _STAMP_ONE, ("b_id", "b_at"), [(lead_id, batch.at) for lead_id in batch.stamp_ids])
    _write_scores(session, batch.scores)
    _write_audit(session, batch.audit)
    report.timings["write"] += time.perf_counter() - clock


def _audit_rows(
    changed: list[tuple[tuple[Any, ...], _Scored]], *, version: str, at: Any, actor: str, tier_moves: Counter[str]
) -> list[tuple[Any, ...]]:
    """Audit events (in _AUDIT_PARAMS order) for leads whose score or tier changed."""
    first_reason = change_reason(actor=actor, version=version, new_points={}, old=None)
    rows: list[tuple[Any, ...]] = []
    for lead, scored in changed:
        lead_id, old_score, old_tier, old = lead[_ID], lead[_SCORE], lead[_TIER], lead[_BREAKDOWN]
        reason = first_reason
        if old is not None:
            reason = change_reason(actor=actor, version=version, new_points=scored.category_points(), old=json.loads(old))
        if scored.score != old_score:
            rows.append((lead_id, at, "score", _audit_text(old_score), str(scored.score), reason, actor))
        if scored.tier != old_tier:
            rows.append((lead_id, at, "tier", old_tier, scored.tier, reason, actor))
            tier_moves[f"{old_tier or 'unscored'}->{scored.tier}"] += 1
    return rows


def _audit_text(value: object) -> str | None:
    return None if value is None else str(value)[:_AUDIT_TEXT]
