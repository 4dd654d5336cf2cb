"""Bulk reads and writes at the driver level, for re-scoring.

A re-score moves ~100,000 leads and ~750,000 activities through Python. SQLAlchemy builds and
compiles every statement below; the rows themselves go to and from the driver directly, which
halves the time of both reading and writing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Text, bindparam, cast, insert, update
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, AuditEvent, Lead
from leadpilot.tools.scoring.facts import LEAD_FACT_FIELDS

# The stored breakdown comes as text: SQLite returns exactly what was written, so an unchanged
# breakdown is found by comparing strings; PostgreSQL normalises JSONB, so there every row is rewritten.
_LEAD_COLUMNS = (
    Lead.id, Lead.score, Lead.tier, cast(Lead.score_breakdown, Text), *(getattr(Lead, name) for name in LEAD_FACT_FIELDS)
)
_ACTIVITY_COLUMNS = (Activity.lead_id, Activity.kind, Activity.direction, Activity.detail, Activity.occurred_at)
_LEADS = Lead.__table__
_AUDIT = AuditEvent.__table__


_SCORE_UPDATE = (
    update(_LEADS)
    .where(_LEADS.c.id == bindparam("b_id"))
    .values(
        score=bindparam("b_score"),
        tier=bindparam("b_tier"),
        score_breakdown=bindparam("b_breakdown", type_=Text),  # ready-made JSON text: no second encoding
        scored_at=bindparam("b_at"),
    )
)
_SCORE_PARAMS = ("b_score", "b_tier", "b_breakdown", "b_at", "b_id")  # the UPDATE's order: no reordering
_AUDIT_COLUMNS = ("lead_id", "at", "field", "old_value", "new_value", "reason", "actor")
_AUDIT_INSERT = insert(_AUDIT).values({name: bindparam(f"b_{name}") for name in _AUDIT_COLUMNS})
_AUDIT_PARAMS = tuple(f"b_{name}" for name in _AUDIT_COLUMNS)
_STAMP_RANGE = update(_LEADS).where(_LEADS.c.id.between(bindparam("b_first"), bindparam("b_last"))).values(scored_at=bindparam("b_at"))
_STAMP_ONE = update(_LEADS).where(_LEADS.c.id == bindparam("b_id")).values(scored_at=bindparam("b_at"))


def _fetch_tuples(session: Session, query: Any) -> list[tuple[Any, ...]]:
    """Rows of `query` as the driver's plain tuples, in the session's transaction.

    Skips SQLAlchemy's Row objects and result processing, which double the time to read
    ~750,000 activities. Only for queries whose parameters and columns need no type processing
    (ids, text, numbers; datetimes arrive raw: SQLite's ISO text or PostgreSQL's naive datetime).
    """
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, tuple(params[name] for name in compiled.positiontup) if compiled.positional else params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _write_scores(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Store (score, tier, breakdown JSON, scored_at, id) rows."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _pg_update_scores(session, rows)
    else:
        _execute_many(session, _SCORE_UPDATE, _SCORE_PARAMS, rows)


def _write_audit(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert audit events, values in _AUDIT_COLUMNS order."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        with _driver_cursor(session) as cursor, cursor.copy(f"COPY audit_events ({', '.join(_AUDIT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        _execute_many(session, _AUDIT_INSERT, _AUDIT_PARAMS, rows)


# PostgreSQL: executemany costs a round trip per row and array parameters of JSON text are slow
# to parse, so scores go in with COPY into a temporary table and one UPDATE ... FROM.
_PG_STAGE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS leadpilot_scores "
    "(score integer, tier text, breakdown jsonb, scored_at timestamp, id integer) ON COMMIT DROP"
)
_PG_UPDATE_FROM_STAGE = (
    "UPDATE leads SET score = s.score, tier = s.tier, score_breakdown = s.breakdown, scored_at = s.scored_at "
    "FROM leadpilot_scores AS s WHERE leads.id = s.id"
)


def _pg_update_scores(session: Session, rows: list[tuple[Any, ...]]) -> None:
    with _driver_cursor(session) as cursor:
        cursor.execute(_PG_STAGE)
        with cursor.copy("COPY leadpilot_scores (score, tier, breakdown, scored_at, id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_PG_UPDATE_FROM_STAGE)
        cursor.execute("TRUNCATE leadpilot_scores")  # the next batch may share the transaction


def _driver_cursor(session: Session) -> Any:
    """A DBAPI cursor on the session's connection, inside its transaction."""
    return session.connection().connection.cursor()


def _execute_many(session: Session, statement: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Run `statement` once per row (values in `names` order) through the driver's executemany.

    The statement is compiled once and values go to the driver as they are, skipping SQLAlchemy's
    per-row parameter processing (a third of a bulk re-score's time). Values must already be in
    the driver's form: see `_driver_datetime`.
    """
    if not rows:
        return
    connection = session.connection()
    sql, in_order = _driver_statement(connection.dialect, statement, names)
    connection.exec_driver_sql(sql, in_order(rows))


def _driver_statement(
    dialect: Any, statement: Any, names: tuple[str, ...]
) -> tuple[str, Callable[[list[tuple[Any, ...]]], list[Any]]]:
    """`statement` compiled for the driver, and what puts rows (values in `names` order) in its parameter order."""
    compiled = statement.compile(dialect=dialect)
    if not compiled.positional:
        return compiled.string, lambda rows: [dict(zip(names, row)) for row in rows]
    if tuple(compiled.positiontup) == names:
        return compiled.string, lambda rows: rows
    in_order = itemgetter(*(names.index(name) for name in compiled.positiontup))  # statements here have 2+ parameters
    return compiled.string, lambda rows: list(map(in_order, rows))


def _driver_datetime(dialect: Any, value: datetime) -> Any:
    """`value` as the store's datetime type hands it to the driver (SQLite: its ISO text)."""
    processor = Lead.__table__.c.scored_at.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value
