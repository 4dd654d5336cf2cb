"""Leads: insert-or-update in bulk, read one, change stage or score with an audit entry.

A bulk write goes in two steps. `LeadEncoder.encode` (memory.lead_batch) turns validated records
into a LeadBatch: rows of column values already converted to what the database driver binds
(SQLAlchemy's own conversions for the dialect). `upsert_lead_batch` matches a batch against stored
leads and hands the rows to the driver as they are. The CSV import encodes in its reader process,
so the process that writes only matches keys and moves tuples; `upsert_leads` does both steps in one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.company_names import company_key, person_key
from leadpilot.memory.lead_batch import (
    ROW_COLUMNS,
    _AT,
    _COMPANY,
    _CONTACT,
    _EMAIL,
    _EXT,
    _EXTRA,
    _OWNER,
    _UPDATED,
    LeadBatch,
    LeadEncoder,
    lead_encoder,
)
from leadpilot.memory.crm_engagement import replace_imported_activities
from leadpilot.memory.lead_record import ValidatedLead
from leadpilot.memory.likely_duplicates import DuplicatePair, flag_likely_duplicates
from leadpilot.memory.models import Lead
from leadpilot.memory.reps import rep_ids_by_email
from leadpilot.memory.vocab import Stage


@dataclass
class UpsertOutcome:
    """What happened to each record, in input order: ("inserted" | "updated", lead id)."""

    actions: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (record index, message)
    # (record index, the lead it was stored beside): same email, another external id (likely_duplicates)
    duplicates: list[tuple[int, int]] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return sum(1 for action, _ in self.actions if action == "inserted")

    @property
    def updated(self) -> int:
        return sum(1 for action, _ in self.actions if action == "updated")


def _one_of(column: ColumnElement[Any], wanted: list[str], dialect: str) -> ColumnElement[bool]:
    """`column` is one of `wanted`, with the whole list bound as one JSON array and probed through
    the column's index: one short statement for 5,000 keys (IN (...) would bind 5,000 parameters,
    and a PostgreSQL array parameter is quoted element by element in Python)."""
    wanted_json = bindparam("wanted", json.dumps(wanted))
    if dialect == "sqlite":
        values = func.json_each(wanted_json).table_valued("value")
    else:
        values = func.jsonb_array_elements_text(cast(wanted_json, JSONB)).table_valued("value")
    return column.in_(select(values.c.value))


def _name_key(company: str | None, contact: str | None) -> tuple[str, str] | None:
    """Company + contact, normalised: "ACME, Inc." / "Acme Incorporated" and "jane  DOE" match."""
    key = company_key(company)
    if key is None:
        return None
    return (key, person_key(contact))


def _lowered(text: str) -> str:
    return " ".join(text.lower().split())


def _existing_keys(session: Session, rows: Sequence[tuple[Any, ...]]) -> dict[tuple, dict[str, Any]]:
    """Stored leads these rows match, keyed by ("ext", id) / ("email", e) / ("name", key)."""
    table = Lead.__table__
    columns = (table.c.id, table.c.external_id, table.c.email, table.c.company, table.c.contact_name, table.c.stage, table.c.extra)
    connection = session.connection()  # Core statements: the ORM's per-statement work is not needed here
    found: dict[int, Any] = {}

    def fetch(column: ColumnElement[Any], wanted: set[str]) -> None:
        if wanted:
            for row in connection.execute(select(*columns).where(_one_of(column, sorted(wanted), connection.dialect.name))):
                found[row.id] = row

    fetch(table.c.external_id, {row[_EXT] for row in rows if row[_EXT]})
    matched_ids = {row.external_id for row in found.values()}
    # A record whose external id matched never falls back to its email: skip those lookups.
    fetch(table.c.email, {row[_EMAIL] for row in rows if row[_EMAIL] and row[_EXT] not in matched_ids})
    by_name = [row for row in rows if not row[_EXT] and not row[_EMAIL] and row[_COMPANY]]
    # Candidates for the normalised company + contact key: same contact name (any company spelling),
    # or, without a contact, the same company text.
    fetch(func.lower(table.c.contact_name), {_lowered(row[_CONTACT]) for row in by_name if row[_CONTACT]})
    fetch(table.c.company, {row[_COMPANY] for row in by_name if not row[_CONTACT]})
    keys: dict[tuple, dict[str, Any]] = {}
    for row in sorted(found.values(), key=lambda r: r.id):  # oldest lead wins a key
        info = {"id": row.id, "stage": row.stage, "extra": row.extra, "external_id": row.external_id}
        if row.external_id:
            keys.setdefault(("ext", row.external_id), info)
        if row.email:
            keys.setdefault(("email", row.email), info)
        if name := _name_key(row.company, row.contact_name):
            keys.setdefault(("name", name), info)
    return keys


def _row_keys(row: tuple[Any, ...]) -> list[tuple]:
    """Match order: external_id, then email; company + contact only when neither is given."""
    keys: list[tuple] = []
    if row[_EXT]:
        keys.append(("ext", row[_EXT]))
    if row[_EMAIL]:
        keys.append(("email", row[_EMAIL]))
    if not keys and (name := _name_key(row[_COMPANY], row[_CONTACT])):
        keys.append(("name", name))
    return keys


def upsert_leads(
    session: Session, *, records: Sequence[ValidatedLead], now: datetime, actor: str = "import"
) -> UpsertOutcome:
    """Insert new leads and update the ones already stored, in bulk (see upsert_lead_batch)."""
    return upsert_lead_batch(session, batch=lead_encoder(session).encode(records, now=now), actor=actor)


def upsert_lead_batch(session: Session, *, batch: LeadBatch, actor: str = "import") -> UpsertOutcome:
    """Insert new leads and update the ones already stored, in bulk, at `batch.now`.

    A record matches a stored lead on external_id, then email (then company + contact name when it
    has neither, compared normalised: case, accents, punctuation and legal suffixes do not count).
    An update sets only the fields the record provided and merges `extra`; a stage change is
    audited. Records that repeat a key within the batch update the first one.

    Two records with different external ids are different leads even when they share an email:
    the newcomer is inserted, both are flagged as likely duplicates (memory.likely_duplicates) and
    the outcome lists it in `duplicates` with a warning. A record without an external id, or a
    stored lead without one, still matches on the email.
    """
    encoder = lead_encoder(session)
    if batch.driver != encoder.driver:
        raise ValueError(f"this batch was encoded for {batch.driver}, but the session writes to {encoder.driver}")
    now = batch.now
    outcome = UpsertOutcome()
    keys = _existing_keys(session, batch.rows)
    owners = rep_ids_by_email(session) if batch.owner_emails else {}

    inserts: list[tuple[Any, ...]] = []
    insert_extras: dict[int, dict[str, Any]] = {}  # insert index -> its extra as a dict, for merging repeats
    insert_slots: list[tuple[int, int]] = []  # (outcome index, insert index): filled with the new id
    updates: dict[int, dict[str, Any]] = {}
    batch_index: dict[tuple, int] = {}  # keys of rows inserted in this batch -> insert index
    apart: list[tuple[int, int, bool]] = []  # (outcome index, partner: stored lead id or insert index, partner inserted here)

    for index, row in enumerate(batch.rows):
        owner_id = None
        extra = batch.extras.get(index)
        if (owner_email := batch.owner_emails.get(index)) is not None:
            owner_id = owners.get(owner_email)
            if owner_id is None:
                outcome.warnings.append((index, f"owner_email: no rep with email {owner_email!r}; lead left unassigned"))
                extra = {**(extra or {})}
                extra.setdefault("owner_email", owner_email)
        for message in batch.warnings.get(index, ()):
            outcome.warnings.append((index, message))

        row_keys = _row_keys(row)
        stored = pending = partner = None
        ext = row[_EXT]
        for key in row_keys:  # a plain loop: this runs for every row of an import
            if stored is None and (found := keys.get(key)) is not None:
                if ext and key[0] == "email" and found["external_id"] and found["external_id"] != ext:
                    partner = partner or (found["id"], False)  # another record with this email: not this one
                else:
                    stored = found
            if pending is None and (position := batch_index.get(key)) is not None:
                if ext and key[0] == "email" and inserts[position][_EXT] and inserts[position][_EXT] != ext:
                    partner = partner or (position, True)
                else:
                    pending = position

        if stored is not None:
            changes = {name: row[_AT[name]] for name in batch.provided[index]}
            if owner_id is not None:
                changes["owner_id"] = owner_id
            if extra:
                stored["extra"] = {**(stored["extra"] or {}), **extra}
                changes["extra"] = encoder.value("extra", stored["extra"])
            if "stage" in changes and changes["stage"] != stored["stage"]:
                record_change(
                    session, lead_id=stored["id"], field="stage", old=stored["stage"], new=changes["stage"],
                    reason=f"{actor}: stage set by imported record", at=now, actor=actor,
                )
                stored["stage"] = changes["stage"]
            changes["updated_at"] = row[_UPDATED]
            updates.setdefault(stored["id"], {"lead_id": stored["id"]}).update(changes)
            outcome.actions.append(("updated", stored["id"]))
        elif pending is not None:
            merged = list(inserts[pending])
            for name in batch.provided[index]:
                merged[_AT[name]] = row[_AT[name]]
            if owner_id is not None:
                merged[_OWNER] = owner_id
            if extra:
                insert_extras[pending] = {**insert_extras.get(pending, {}), **extra}
                merged[_EXTRA] = encoder.value("extra", insert_extras[pending])
            inserts[pending] = tuple(merged)
            outcome.actions.append(("updated", -1))
            insert_slots.append((len(outcome.actions) - 1, pending))
        else:
            if owner_id is not None or extra is not batch.extras.get(index):
                changed = list(row)
                changed[_OWNER], changed[_EXTRA] = owner_id, encoder.value("extra", extra or None)
                row = tuple(changed)
            if extra:
                insert_extras[len(inserts)] = extra
            for key in row_keys:
                batch_index.setdefault(key, len(inserts))  # a later record with this key updates the first
            if partner is not None:
                apart.append((len(outcome.actions), *partner))
            outcome.actions.append(("inserted", -1))
            insert_slots.append((len(outcome.actions) - 1, len(inserts)))
            inserts.append(row)

    if inserts:
        new_ids = _insert_rows(session, encoder, inserts)
        for slot, position in insert_slots:
            outcome.actions[slot] = (outcome.actions[slot][0], new_ids[position])
    if updates:
        _update_by_id(session, updates.values())
    if apart:
        _flag_apart(session, batch, outcome, apart, new_ids, actor=actor)
    if batch.engagement:  # the CRM's engagement columns, as activities (replacing an earlier import's)
        replace_imported_activities(session, ((outcome.actions[i][1], acts) for i, acts in batch.engagement.items()))
    return outcome


def _flag_apart(
    session: Session, batch: LeadBatch, outcome: UpsertOutcome, apart: list[tuple[int, int, bool]], new_ids: list[int],
    *, actor: str,
) -> None:
    """Flag the records stored beside a lead with the same email and another external id, and say so."""
    pairs = []
    for index, partner, inserted_here in apart:
        lead_id, other_id = outcome.actions[index][1], new_ids[partner] if inserted_here else partner
        pairs.append(DuplicatePair(lead_id, other_id))
        outcome.duplicates.append((index, other_id))
        email = batch.rows[index][_EMAIL]
        outcome.warnings.append((index, f"email {email} is also on lead {other_id}, which has another external id: "
                                        "stored as a separate lead, both flagged as likely duplicates"))
    flag_likely_duplicates(session, pairs=pairs, at=batch.now, actor=actor)


def _insert_rows(session: Session, encoder: LeadEncoder, rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert encoded rows in bulk and return their new ids in input order.

    PostgreSQL: ids are taken from the table's sequence first, then the rows go in with one COPY.
    SQLite: one executemany; the rows then hold the ids above the previous highest, in order (the
    write lock is held from the first INSERT until commit, and SQLite gives each new row the
    highest id + 1) — checked, with a match on the identifying columns as the fallback. (Asking
    SQLAlchemy for RETURNING in parameter order instead makes it insert one row at a time on
    SQLite: ~20x slower.)
    """
    session.flush()  # what the ORM's autoflush would have done before a statement
    connection = session.connection()
    if encoder.dialect.name == "postgresql":
        return _copy_rows(connection, rows)
    previous_max = connection.scalar(select(func.max(Lead.id))) or 0
    connection.exec_driver_sql(encoder.insert_sql, rows)
    identity = (Lead.external_id, Lead.email, Lead.company, Lead.contact_name)
    count, first, last = connection.execute(
        select(func.count(), func.min(Lead.id), func.max(Lead.id)).where(Lead.id > previous_max)
    ).one()
    if count == len(rows) and last - first + 1 == count:
        ends = {row[0]: tuple(row[1:]) for row in connection.execute(select(Lead.id, *identity).where(Lead.id.in_({first, last})))}
        if ends.get(first) == _identity(rows[0]) and ends.get(last) == _identity(rows[-1]):
            return list(range(first, last + 1))
    # Another writer got in between: find ours by their identifying columns. Of the rows with one
    # identity, ours are the newest (inserted last, in input order).
    stored: dict[tuple, list[int]] = {}
    for row in connection.execute(select(Lead.id, *identity).where(Lead.id > previous_max).order_by(Lead.id)):
        stored.setdefault(tuple(row[1:]), []).append(row[0])
    ours = {key: stored[key][-count:] for key, count in Counter(map(_identity, rows)).items()}
    return [ours[_identity(row)].pop(0) for row in rows]


def _identity(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (row[_EXT], row[_EMAIL], row[_COMPANY], row[_CONTACT])


_RESERVE_IDS = "SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, %s)"


def _copy_rows(connection: Connection, rows: list[tuple[Any, ...]]) -> list[int]:
    """PostgreSQL (psycopg 3, the driver Leadpilot ships): reserve one id per row from the table's
    sequence, then COPY the rows with them, both through the driver's cursor (psycopg loads and
    writes rows in C; SQLAlchemy's result and parameter handling would cost more than the rows)."""
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(Lead.__table__.name)} ({', '.join(quote(name) for name in ('id', *ROW_COLUMNS))}) FROM STDIN"
    dbapi = connection.dialect.loaded_dbapi
    try:
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.execute(_RESERVE_IDS, (len(rows),))
            ids = sorted(lead_id for (lead_id,) in cursor.fetchall())
            with cursor.copy(statement) as copy:
                write = copy.write_row
                for lead_id, row in zip(ids, rows):
                    write((lead_id, *row))
    except dbapi.Error as error:  # as SQLAlchemy raises it, so callers see DataError / IntegrityError
        raise DBAPIError.instance(statement, None, error, dbapi.Error, dialect=connection.dialect) from error
    return ids


def _update_by_id(session: Session, changes: Iterable[dict[str, Any]]) -> None:
    """UPDATE leads by id with encoded values, one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    table = Lead.__table__
    statement = update(table).where(table.c.id == bindparam("lead_id"))
    for names, rows in groups.items():
        _executemany(session, statement, rows, column_keys=[name for name in names if name != "lead_id"])


def _executemany(session: Session, statement: Update, rows: list[dict[str, Any]], *, column_keys: list[str]) -> None:
    """Run one statement for many rows of encoded values (all with the same keys) via executemany.

    The SQL is SQLAlchemy's own for this dialect; its per-row parameter bookkeeping is skipped,
    which costs more than the database's own work for the row.
    """
    session.flush()
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, column_keys=column_keys, for_executemany=True)
    if compiled.positional:
        names = compiled.positiontup
        parameters: list[Any] = [tuple([row[name] for name in names]) for row in rows]
    else:
        names = list(compiled.binds)
        parameters = [{name: row[name] for name in names} for row in rows]
    connection.exec_driver_sql(compiled.string, parameters)


def get_lead(session: Session, *, lead_id: int) -> Lead | None:
    return session.get(Lead, lead_id)


def count_leads(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Lead)) or 0


def find_leads(
    session: Session, *, external_id: str | None = None, email: str | None = None, domain: str | None = None
) -> Sequence[Lead]:
    """Leads with this external id, email or domain (any that are given)."""
    conditions = []
    if external_id:
        conditions.append(Lead.external_id == external_id)
    if email:
        conditions.append(Lead.email == email.strip().lower())
    if domain:
        conditions.append(Lead.domain == domain.strip().lower())
    if not conditions:
        raise TypeError("find_leads needs external_id, email or domain")
    return session.scalars(select(Lead).where(or_(*conditions)).order_by(Lead.id)).all()


def iter_leads(session: Session, *, batch_size: int = 2000) -> Iterator[Lead]:
    """Every lead in id order, fetched in batches (for export and re-scoring)."""
    last_id = 0
    while True:
        batch = session.scalars(select(Lead).where(Lead.id > last_id).order_by(Lead.id).limit(batch_size)).all()
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id
        session.expunge_all()


def set_stage(session: Session, *, lead: Lead, stage: Stage | str, reason: str, at: datetime, actor: str = "system") -> bool:
    """Move a lead through the lifecycle, audited. Returns False when it was already there."""
    stage = Stage(stage)
    if lead.stage == stage.value:
        return False
    record_change(session, lead_id=lead.id, field="stage", old=lead.stage, new=stage.value, reason=reason, at=at, actor=actor)
    lead.stage = stage.value
    lead.updated_at = at
    if stage == Stage.CUSTOMER:
        lead.converted, lead.converted_at = True, lead.converted_at or at
    elif stage == Stage.LOST:
        lead.converted = False
    session.flush()
    return True


def set_score(
    session: Session,
    *,
    lead: Lead,
    score: int,
    tier: str,
    breakdown: dict[str, Any],
    reason: str,
    at: datetime,
    actor: str = "system",
) -> bool:
    """Store a new score and tier with its breakdown; audit each that changed. True when either changed."""
    changed = False
    if record_change(session, lead_id=lead.id, field="score", old=lead.score, new=score, reason=reason, at=at, actor=actor):
        changed = True
    if record_change(session, lead_id=lead.id, field="tier", old=lead.tier, new=tier, reason=reason, at=at, actor=actor):
        changed = True
    lead.score, lead.tier, lead.score_breakdown, lead.scored_at = score, tier, breakdown, at
    return changed
