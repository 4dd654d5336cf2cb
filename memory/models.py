"""SQLAlchemy 2 typed models of the lead store. The schema itself comes from Alembic migrations.

Tables a `leadpilot ask` never reads are Core tables whose ORM classes are mapped on first use
(map_on_first_use): a one-question process builds and configures only the mappers it needs (#21)."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Table,
    event,
    inspect,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from leadpilot.memory.job_titles import title_columns
from leadpilot.memory.vocab import channel_of, normalise_source

# Stable constraint names, so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC, returned as aware UTC: identical behaviour on SQLite and PostgreSQL."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class _JSONOrJSONB(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL (as `JSON().with_variant(JSONB(), "postgresql")`), whose
    PostgreSQL type is made only when a PostgreSQL connection needs it: a SQLite process never
    imports SQLAlchemy's PostgreSQL dialect and its four drivers (#21: ~40 ms of `leadpilot ask`)."""

    impl = JSON(none_as_null=True)
    cache_ok = True
    hashable = False  # as JSON: rows with JSON values are not deduplicated by hashing them

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(self.impl_instance)


# none_as_null: a Python None is SQL NULL (not JSON null), so "IS NULL" means "no value".
JSONType = _JSONOrJSONB()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


class Rep(Base):
    """A sales rep: who they are, what they cover and when they can take leads."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    team: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="rep")  # rep | manager | admin
    # Coverage: territories are ISO countries, US/CA states ("US-CA") or regions ("EMEA").
    territories: Mapped[list[Any]] = mapped_column(default=list)
    industries: Mapped[list[Any]] = mapped_column(default=list)
    segments: Mapped[list[Any]] = mapped_column(default=list)  # enterprise | mid-market | smb
    languages: Mapped[list[Any]] = mapped_column(default=list)  # ISO 639-1 codes
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"start": "09:00", "end": "17:00", "days": [0, 1, 2, 3, 4]} in the rep's time zone; Monday = 0.
    working_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capacity: Mapped[int] = mapped_column(Integer, default=150)  # max open leads
    daily_cap: Mapped[int] = mapped_column(Integer, default=25)  # max new leads per day
    routing_weight: Mapped[float] = mapped_column(Float, default=1.0)
    # What a routing pool's `where:` can test besides the columns above: {"skill": ["payments"], "seniority": "senior", "tags": [...]} (migration 0015).
    attributes: Mapped[dict[str, Any] | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()

    time_off: Mapped[list[RepTimeOff]] = relationship(back_populates="rep", cascade="all, delete-orphan")


class RepTimeOff(Base):
    """An out-of-office period for a rep."""

    __tablename__ = "rep_time_off"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(200))

    rep: Mapped[Rep] = relationship(back_populates="time_off")


class Lead(Base):
    """A lead: every canonical CSV field plus what Leadpilot derives (score, tier, enrichment)."""

    __tablename__ = "leads"
    __table_args__ = (
        # Covers the card's question (tier, industry, last contact, ranked by score): see migration 0010.
        Index("ix_leads_tier_industry_rank", "tier", "industry", "id", "score", "last_contacted_at", "stage"),  # 0012
        Index("ix_leads_owner_stage", "owner_id", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    company: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(500))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    job_title: Mapped[str | None] = mapped_column(String(300))
    # From the job title at every write (memory.job_titles.classify_title): c-level | vp | director | manager | individual.
    seniority: Mapped[str | None] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(32))  # engineering, sales, finance, ...; None: the title names none
    industry: Mapped[str | None] = mapped_column(String(100), index=True)
    company_size: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    state: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(64), default="other", index=True)  # the user's own value, normalised
    # The source's group (memory.vocab.channel_of) at every write: paid | organic | referral | event | partner | outbound | owned_media | other.
    channel: Mapped[str] = mapped_column(String(16), default="other", server_default="other", index=True)
    stage: Mapped[str] = mapped_column(String(16), default="LEAD", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(index=True)
    last_contacted_at: Mapped[datetime | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    converted: Mapped[bool | None] = mapped_column(Boolean)
    converted_at: Mapped[datetime | None] = mapped_column()

    score: Mapped[int | None] = mapped_column(Integer, index=True)
    tier: Mapped[str | None] = mapped_column(String(8), index=True)
    score_breakdown: Mapped[dict[str, Any] | None] = mapped_column()
    scored_at: Mapped[datetime | None] = mapped_column()
    conversion_probability: Mapped[float | None] = mapped_column(Float)
    snoozed_until: Mapped[datetime | None] = mapped_column()  # a rep asked not to be reminded before then
    enrichment: Mapped[dict[str, Any] | None] = mapped_column()
    extra: Mapped[dict[str, Any] | None] = mapped_column()  # CSV columns we do not model, kept as-is

    owner: Mapped[Rep | None] = relationship(lazy="joined")
    activities: Mapped[list[Activity]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="Activity.occurred_at"
    )


@event.listens_for(Lead, "before_insert")
@event.listens_for(Lead, "before_update")
def _derive_columns(_mapper: Any, _connection: Any, lead: Lead) -> None:
    """A lead written through the ORM (a merge that fills a job title, a test's Lead(...)) gets its
    source normalised and its channel, seniority and department like every other write; bulk writes set them themselves
    (memory.lead_record.derived_columns)."""
    state = inspect(lead)
    if state.persistent and not (state.attrs.source.history.has_changes() or state.attrs.job_title.history.has_changes()):
        return
    lead.source = normalise_source(lead.source or "other")
    lead.channel = channel_of(lead.source).value
    lead.seniority, lead.department = title_columns(lead.job_title)


class Activity(Base):
    """Something that happened with a lead: an email, a page view, a meeting..."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_lead_when", "lead_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[datetime] = mapped_column()
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(String(500))  # page path, subject, outcome
    meta: Mapped[dict[str, Any] | None] = mapped_column()

    lead: Mapped[Lead] = relationship(back_populates="activities")


# The tables no `leadpilot ask` reads (#21): Core tables in the metadata from the start, their ORM classes
# (Assignment, AuditEvent, RoutingPointer) mapped onto them on first use (map_on_first_use), so a
# one-question process neither builds nor configures their mappers.
assignments = Table(
    "assignments", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("rep_id", ForeignKey("reps.id", ondelete="SET NULL"), index=True),
    Column("assigned_at", UTCDateTime(), nullable=False),
    Column("rule", String(200)),
    Column("reason", Text, nullable=False),
    Column("candidates", JSONType, nullable=False, default=list),
    Column("actor", String(254), nullable=False, default="system"),
)

audit_events = Table(
    "audit_events", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", ForeignKey("leads.id", ondelete="CASCADE")),  # None: a policy change
    Column("at", UTCDateTime(), nullable=False),
    Column("field", String(32), nullable=False),  # score | tier | stage | owner | policy
    Column("old_value", String(200)),
    Column("new_value", String(200)),
    Column("reason", Text, nullable=False),
    Column("actor", String(254), nullable=False, default="system"),
    Index("ix_audit_events_lead_at", "lead_id", "at"),
)

routing_pointers = Table(
    "routing_pointers", Base.metadata,
    Column("pool", String(100), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    Column("last_rep_id", ForeignKey("reps.id", ondelete="SET NULL")),
    Column("updated_at", UTCDateTime(), nullable=False),
)


def map_on_first_use(module: str, later: dict[str, tuple[Table, str | None]], properties: dict[str, dict[str, Any]] | None = None):
    """A module `__getattr__` that maps ORM classes (name: table, docstring) onto Core tables when one is
    first asked for — all of them at once, under a lock (the Slack app answers on threads)."""
    lock = threading.Lock()
    namespace = sys.modules[module].__dict__

    def __getattr__(name: str) -> Any:
        if name not in later:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        with lock:
            if name not in namespace:
                for class_name, (table, doc) in later.items():
                    body = {"__table__": table, "__doc__": doc, "__module__": module, **(properties or {}).get(class_name, {})}
                    namespace[class_name] = type(class_name, (Base,), body)
        return namespace[name]

    return __getattr__


__getattr__ = map_on_first_use(__name__, {
    "Assignment": (assignments, "Who got a lead, when, by which rule, and why; with every candidate considered."),
    "AuditEvent": (audit_events, "A change of a lead's score, tier, stage or owner, or of a policy (no lead), with its reason."),
    "RoutingPointer": (routing_pointers, "Where a round-robin pool stands, so fairness survives restarts."),
}, {"Assignment": {"rep": relationship(Rep, lazy="joined")}})
