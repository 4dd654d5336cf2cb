"""Lead batches: validated records encoded as rows the database driver binds as they are.

`LeadEncoder.encode` turns validated records into a LeadBatch: rows of column values already
converted to what the database driver binds (SQLAlchemy's own conversions for the dialect). The
CSV import encodes in its reader process, so the process that writes (memory.leads) only matches
keys and moves tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.orm import Session

from leadpilot.memory.crm_engagement import ImportedActivity, engagement_activities
from leadpilot.memory.lead_record import ValidatedLead
from leadpilot.memory.models import Lead, UTCDateTime
from leadpilot.memory.vocab import Channel, Stage

# Columns a record sets: its fields, and what the store derives from them at every write (the
# source's channel, the title's seniority and department: memory.lead_record.derived_columns).
# Everything else on Lead (score, tier, enrichment, ...) is Leadpilot's own.
RECORD_COLUMNS: tuple[str, ...] = (
    "external_id", "company", "website", "domain", "contact_name", "email", "phone", "job_title",
    "seniority", "department", "industry", "company_size", "country", "state", "city", "language", "source",
    "channel", "stage", "created_at", "last_contacted_at", "notes", "converted", "converted_at",
)
_RECORD_COLUMN_SET = frozenset(RECORD_COLUMNS)
# What an encoded row holds, in the table's column order (the order SQLAlchemy binds an INSERT in).
ROW_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in Lead.__table__.columns if column.name in _RECORD_COLUMN_SET | {"owner_id", "extra", "updated_at"}
)
_AT = {name: position for position, name in enumerate(ROW_COLUMNS)}
_EXT, _EMAIL, _COMPANY, _CONTACT = _AT["external_id"], _AT["email"], _AT["company"], _AT["contact_name"]
_STAGE, _OWNER, _EXTRA, _UPDATED = _AT["stage"], _AT["owner_id"], _AT["extra"], _AT["updated_at"]
_SOURCE, _CHANNEL = _AT["source"], _AT["channel"]


@dataclass
class LeadBatch:
    """Validated records as rows ready to bind for one database driver. Plain data (picklable).

    `rows[i]` holds ROW_COLUMNS for record i, converted for `driver`, with updated_at = `now`,
    stage defaulted to LEAD, source and channel to other, and owner_id unset: the owner's email is
    resolved when the batch is written. `extras` keeps each record's `extra` as a dict too, for merging into a stored lead's.
    """

    driver: str  # e.g. "sqlite+pysqlite", "postgresql+psycopg"
    now: datetime
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    provided: list[frozenset[str]] = field(default_factory=list)  # the record columns an update sets
    owner_emails: dict[int, str] = field(default_factory=dict)  # record index -> owner email
    extras: dict[int, dict[str, Any]] = field(default_factory=dict)
    warnings: dict[int, list[str]] = field(default_factory=dict)  # record index -> validation warnings
    # record index -> the activities its CRM engagement columns stand for (memory.crm_engagement), stored
    # in place of the lead's earlier imported ones when the batch is written
    engagement: dict[int, list[ImportedActivity]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def email_of(self, index: int) -> str | None:
        """Record `index`'s email address as stored (None when it has none)."""
        return self.rows[index][_EMAIL]

    def part(self, start: int, stop: int) -> LeadBatch:
        """Records start..stop-1 as a batch of their own (indexes renumbered from 0)."""

        def within(items: dict[int, Any]) -> dict[int, Any]:
            return {index - start: item for index, item in items.items() if start <= index < stop}

        return LeadBatch(
            self.driver, self.now, self.rows[start:stop], self.provided[start:stop],
            within(self.owner_emails), within(self.extras), within(self.warnings), within(self.engagement),
        )


def driver_key(dialect: Dialect) -> str:
    return f"{dialect.name}+{dialect.driver}"


class LeadEncoder:
    """Converts lead values into what one driver binds, with SQLAlchemy's own bind conversions for
    the dialect (UTC datetimes stored naive, as text on SQLite; JSON as text; booleans; ...)."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.driver = driver_key(dialect)
        table = Lead.__table__
        self._converters: dict[str, tuple[Callable[[Any], Any], Any]] = {}  # name -> (convert, what None becomes)
        for name in ROW_COLUMNS:
            if (convert := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None:
                if isinstance(table.c[name].type, UTCDateTime):
                    convert = _faster_datetime(convert)
                self._converters[name] = (convert, convert(None))
        self._record_converters = [(_AT[name], *self._converters[name]) for name in RECORD_COLUMNS if name in self._converters]
        if dialect.paramstyle == "qmark":  # executemany binds rows as they are: their order must be the INSERT's
            compiled = insert(table).compile(dialect=dialect, column_keys=list(ROW_COLUMNS), for_executemany=True)
            if tuple(compiled.positiontup or ()) != ROW_COLUMNS:
                raise RuntimeError(f"INSERT binds {compiled.positiontup}, rows hold {ROW_COLUMNS}")
            self.insert_sql = compiled.string

    @classmethod
    def for_driver(cls, driver: str) -> LeadEncoder:
        """An encoder for a driver key (e.g. in a process that has no engine), cached."""
        encoder = _ENCODERS.get(driver)
        if encoder is None:
            encoder = _ENCODERS[driver] = cls(URL.create(driver).get_dialect()())
        return encoder

    def value(self, name: str, value: Any) -> Any:
        """One column's value as the driver binds it."""
        found = self._converters.get(name)
        if found is None:
            return value
        convert, none = found
        return none if value is None else convert(value)

    def encode(self, records: Iterable[ValidatedLead], *, now: datetime) -> LeadBatch:
        """The records as a batch to upsert at `now`."""
        batch = LeadBatch(self.driver, now)
        converters = self._record_converters
        updated_at, no_extra = self.value("updated_at", now), self.value("extra", None)
        provided_sets: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct set: pickled once
        lead_stage, other = Stage.LEAD.value, Channel.OTHER.value
        for index, record in enumerate(records):
            row = list(map(record.values.get, ROW_COLUMNS))
            for position, convert, none in converters:
                value = row[position]
                row[position] = none if value is None else convert(value)
            if not row[_STAGE]:
                row[_STAGE] = lead_stage
            if not row[_SOURCE]:
                row[_SOURCE] = other
            if not row[_CHANNEL]:
                row[_CHANNEL] = other
            row[_OWNER], row[_EXTRA], row[_UPDATED] = None, no_extra, updated_at
            if record.extra:
                batch.extras[index] = record.extra
                row[_EXTRA] = self.value("extra", record.extra)
            if record.owner_email:
                batch.owner_emails[index] = record.owner_email
            if record.warnings:
                batch.warnings[index] = [str(problem) for problem in record.warnings]
            if record.engagement:
                batch.engagement[index] = engagement_activities(record.engagement, created_at=record.values.get("created_at"))
            batch.rows.append(tuple(row))
            provided = provided_sets.get(record.provided)
            if provided is None:
                provided = provided_sets[record.provided] = record.provided & _RECORD_COLUMN_SET
            batch.provided.append(provided)
        return batch


_DATETIME_SAMPLES = (
    datetime(2026, 3, 5, 14, 22, tzinfo=timezone.utc),
    datetime(2026, 3, 5, 14, 22, 7, 123456, tzinfo=timezone(timedelta(hours=2))),
    datetime(999, 1, 2, 3, 4, 5, 6),
)


def _faster_datetime(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite keeps a datetime as naive-UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'; isoformat writes that
    text ~5x faster than SQLAlchemy's generic converter (an import converts ~3 per row). Used only
    when it gives SQLAlchemy's own result on the samples; other databases keep their converter."""

    def faster(value: Any) -> Any:
        if type(value) is not datetime or not 1000 <= value.year:  # isoformat pads years to 4 digits too,
            return convert(value)  # but the slicing below counts on them
        if value.tzinfo is timezone.utc:  # what validation produces: drop the "+00:00"
            return value.isoformat(" ", "microseconds")[:-6]
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")

    return faster if all(faster(sample) == convert(sample) for sample in _DATETIME_SAMPLES) else convert


_ENCODERS: dict[str, LeadEncoder] = {}  # by driver: engines here set no conversion options of their own


def lead_encoder(session: Session) -> LeadEncoder:
    """The encoder for the session's database."""
    return LeadEncoder.for_driver(driver_key(session.get_bind().dialect))
