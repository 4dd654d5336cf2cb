"""Leads: insert-or-update in bulk, read one, change stage or score with an audit entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Update, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.company_names import company_key, person_key
from leadpilot.memory.lead_record import ValidatedLead
from leadpilot.memory.models import Lead
from leadpilot.memory.reps import rep_ids_by_email
from leadpilot.memory.vocab import Stage

# Columns a record may set; everything else on Lead is derived by Leadpilot.
RECORD_COLUMNS: tuple[str, ...] = (
    "external_id", "company", "website", "domain", "contact_name", "email", "phone", "job_title",
    "industry", "company_size", "country", "state", "city", "language", "source", "stage",
    "created_at", "last_contacted_at", "notes", "converted", "converted_at",
)
_RECORD_COLUMN_SET = frozenset(RECORD_COLUMNS)
_BLANK_ROW: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
_IN_CHUNK = 900  # bound parameters per IN (...) list, comfortably inside every backend's limit


@dataclass
class UpsertOutcome:
    """What happened to each record, in input order: ("inserted" | "updated", lead id)."""

    actions: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (record index, message)

    @property
    def inserted(self) -> int:
        return sum(1 for action, _ in self.actions if action == "inserted")

    @property
    def updated(self) -> int:
        return sum(1 for action, _ in self.actions if action == "updated")


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _name_key(company: str | None, contact: str | None) -> tuple[str, str] | None:
    """Company + contact, normalised: "ACME, Inc." / "Acme Incorporated" and "jane  DOE" match."""
    key = company_key(company)
    if key is None:
        return None
    return (key, person_key(contact))


def _lowered(text: str) -> str:
    return " ".join(text.lower().split())


def _existing_keys(session: Session, records: Sequence[ValidatedLead]) -> dict[tuple, dict[str, Any]]:
    """Stored leads these records match, keyed by ("ext", id) / ("email", e) / ("name", key)."""
    columns = (Lead.id, Lead.external_id, Lead.email, Lead.company, Lead.contact_name, Lead.stage, Lead.extra)
    found: dict[int, Any] = {}

    def fetch(column, wanted: set[str]) -> None:
        for chunk in _chunks(sorted(wanted)):
            for row in session.execute(select(*columns).where(column.in_(chunk))):
                found[row.id] = row

    fetch(Lead.external_id, {r.values["external_id"] for r in records if r.values.get("external_id")})
    matched_ids = {row.external_id for row in found.values()}
    # A record whose external id matched never falls back to its email: skip those lookups.
    fetch(Lead.email, {r.values["email"] for r in records if r.values.get("email") and r.values.get("external_id") not in matched_ids})
    by_name = [r.values for r in records if not r.values.get("external_id") and not r.values.get("email") and r.values.get("company")]
    # Candidates for the normalised company + contact key: same contact name (any company spelling),
    # or, without a contact, the same company text.
    fetch(func.lower(Lead.contact_name), {_lowered(v["contact_name"]) for v in by_name if v.get("contact_name")})
    fetch(Lead.company, {v["company"] for v in by_name if not v.get("contact_name")})
    keys: dict[tuple, dict[str, Any]] = {}
    for row in sorted(found.values(), key=lambda r: r.id):  # oldest lead wins a key
        info = {"id": row.id, "stage": row.stage, "extra": row.extra}
        if row.external_id:
            keys.setdefault(("ext", row.external_id), info)
        if row.email:
            keys.setdefault(("email", row.email), info)
        if name := _name_key(row.company, row.contact_name):
            keys.setdefault(("name", name), info)
    return keys


def _record_keys(record: ValidatedLead) -> list[tuple]:
    """Match order: external_id, then email; company + contact only when neither is given."""
    values = record.values
    keys: list[tuple] = []
    if values.get("external_id"):
        keys.append(("ext", values["external_id"]))
    if values.get("email"):
        keys.append(("email", values["email"]))
    if not keys and (name := _name_key(values.get("company"), values.get("contact_name"))):
        keys.append(("name", name))
    return keys


def _insert_returning_ids(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in bulk and return their new ids in input order.

    The ids are read back as the rows above the previous highest id, matched on the identifying
    columns, which differ between the rows of a batch (rows sharing a key were merged). Asking
    SQLAlchemy for RETURNING in parameter order instead makes it insert one row at a time on
    SQLite (no sentinel for multi-row INSERT): ~20x slower.
    """
    identities = [(r["external_id"], r["email"], r["company"], r["contact_name"]) for r in rows]
    if len(set(identities)) < len(rows):  # not expected; then only the slow ordered form can tell them apart
        return list(session.scalars(insert(Lead).returning(Lead.id, sort_by_parameter_order=True), rows))
    previous_max = session.scalar(select(func.max(Lead.id))) or 0
    _executemany(session, insert(Lead.__table__), rows, column_keys=list(rows[0]))
    identity_columns = (Lead.id, Lead.external_id, Lead.email, Lead.company, Lead.contact_name)
    ids: dict[tuple, int] = {}
    for row in session.execute(select(*identity_columns).where(Lead.id > previous_max).order_by(Lead.id)):
        ids.setdefault(tuple(row[1:]), row[0])
    return [ids[identity] for identity in identities]


def _update_by_id(session: Session, changes: Iterable[dict[str, Any]]) -> None:
    """UPDATE leads by id, one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    table = Lead.__table__
    statement = update(table).where(table.c.id == bindparam("lead_id"))
    for names, rows in groups.items():
        columns = [name for name in names if name != "lead_id"]
        _executemany(session, statement, rows, column_keys=columns)


def _executemany(session: Session, statement: Insert | Update, rows: list[dict[str, Any]], *, column_keys: list[str]) -> None:
    """Run one INSERT or UPDATE for many parameter rows (all with the same keys) via executemany.

    The SQL and the value conversions are SQLAlchemy's own for this dialect; only its per-row
    parameter bookkeeping is skipped, which costs more than SQLite's own work for the row.
    """
    session.flush()  # what the ORM's autoflush would have done before a statement
    connection = session.connection()
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=column_keys, for_executemany=True)
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    converters = [
        (position, _remembering(convert), convert(None))
        for position, name in enumerate(names)
        if (convert := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    parameters: list[Any] = []
    for row in rows:
        values = [row[name] for name in names]
        for position, convert, none in converters:
            value = values[position]
            values[position] = none if value is None else convert(value)
        parameters.append(tuple(values) if compiled.positional else dict(zip(names, values)))
    connection.exec_driver_sql(compiled.string, parameters)


def _remembering(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A converter that reuses its last result for the same value (updated_at is one `now` per batch)."""
    last: list[Any] = [object(), None]

    def converted(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return converted


def upsert_leads(
    session: Session, *, records: Sequence[ValidatedLead], now: datetime, actor: str = "import"
) -> UpsertOutcome:
    """Insert new leads and update the ones already stored, in bulk.

    A record matches a stored lead on external_id, then email (then company + contact name when it
    has neither, compared normalised: case, accents, punctuation and legal suffixes do not count). An update sets only the fields the record provided and merges `extra`; a stage
    change is audited. Records that repeat a key within the batch update the first one.
    """
    outcome = UpsertOutcome()
    keys = _existing_keys(session, records)
    owners = rep_ids_by_email(session)

    inserts: list[dict[str, Any]] = []
    insert_slots: list[int] = []  # outcome index of each insert, to fill in the new id
    updates: dict[int, dict[str, Any]] = {}
    batch_index: dict[tuple, dict[str, Any]] = {}  # keys of rows inserted in this batch

    for index, record in enumerate(records):
        values = record.values
        owner_id = None
        if record.owner_email:
            owner_id = owners.get(record.owner_email)
            if owner_id is None:
                outcome.warnings.append(
                    (index, f"owner_email: no rep with email {record.owner_email!r}; lead left unassigned")
                )
                record.extra.setdefault("owner_email", record.owner_email)
        for message in record.warnings:
            outcome.warnings.append((index, str(message)))

        record_keys = _record_keys(record)
        stored = next((keys[k] for k in record_keys if k in keys), None)
        pending = next((batch_index[k] for k in record_keys if k in batch_index), None)

        if stored is not None:
            changes = {name: values[name] for name in record.provided if name in _RECORD_COLUMN_SET}
            if owner_id is not None:
                changes["owner_id"] = owner_id
            if record.extra:
                changes["extra"] = {**(stored["extra"] or {}), **record.extra}
                stored["extra"] = changes["extra"]
            if "stage" in changes and changes["stage"] != stored["stage"]:
                record_change(
                    session, lead_id=stored["id"], field="stage", old=stored["stage"], new=changes["stage"],
                    reason=f"{actor}: stage set by imported record", at=now, actor=actor,
                )
                stored["stage"] = changes["stage"]
            changes["updated_at"] = now
            merged = updates.setdefault(stored["id"], {"lead_id": stored["id"]})
            merged.update(changes)
            outcome.actions.append(("updated", stored["id"]))
        elif pending is not None:
            for name in record.provided:
                if name in _RECORD_COLUMN_SET:
                    pending[name] = values[name]
            if owner_id is not None:
                pending["owner_id"] = owner_id
            if record.extra:
                pending["extra"] = {**(pending.get("extra") or {}), **record.extra}
            outcome.actions.append(("updated", -1))
            insert_slots.append(len(outcome.actions) - 1)
            inserts.append(pending)  # same dict: resolved to the same id below
        else:
            if values.keys() <= _RECORD_COLUMN_SET:
                row = {**_BLANK_ROW, **values}
            else:
                row = {name: values.get(name) for name in RECORD_COLUMNS}
            row["stage"] = values.get("stage") or Stage.LEAD.value
            row["owner_id"] = owner_id
            row["extra"] = record.extra or None
            row["updated_at"] = now
            for key in record_keys:
                batch_index[key] = row
            outcome.actions.append(("inserted", -1))
            insert_slots.append(len(outcome.actions) - 1)
            inserts.append(row)

    unique_rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for row in inserts:
        if id(row) not in seen:
            seen[id(row)] = len(unique_rows)
            unique_rows.append(row)
    if unique_rows:
        new_ids = _insert_returning_ids(session, unique_rows)
        for slot, row in zip(insert_slots, inserts):
            action, _ = outcome.actions[slot]
            outcome.actions[slot] = (action, new_ids[seen[id(row)]])
    if updates:
        _update_by_id(session, updates.values())
    return outcome


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
