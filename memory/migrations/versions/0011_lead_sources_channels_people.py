"""leads: the user's own source (widened to 64), its channel group, seniority and department

Sources used to be collapsed onto eight values on the way in (website_form, social and
email_campaign were stored as "other", the value the user gave kept in extra.source_raw). From
here a lead keeps the user's value, normalised (memory.vocab.normalise_source), with its group in
a column of its own, `channel` (memory.vocab.channel_of); `seniority` and `department` come from
the job title (memory.job_titles.title_columns). Every write fills them; this backfills them.

The backfill (Python over the rows, in batches by id) also gives back what the old import
collapsed: a lead stored as "other" whose extra holds source_raw gets that value, normalised, as
its source, and the key leaves extra. Sources are then grouped per distinct value (one UPDATE per
value, through ix_leads_source), job titles classified per row (UPDATE by id).

SQLite: the new columns are added in place (ALTER TABLE ... ADD COLUMN) and `source`'s declared
length is changed in the table's schema text (SQLite does not enforce VARCHAR lengths, so no row
on disk changes). A batch table copy is not used: it drops and re-creates `leads`, and with
foreign keys on, dropping it deletes every activity, assignment and audit event of every lead.

Downgrade drops the new columns and cuts sources back to 32 characters; restored sources stay.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 09:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from leadpilot.memory.job_titles import title_columns
from leadpilot.memory.vocab import SOURCE_MAX_LENGTH, channel_of, normalise_source

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_BATCH = 5000
_LEADS = sa.table(
    "leads",
    sa.column("id", sa.Integer()),
    sa.column("source", sa.String()),
    sa.column("channel", sa.String()),
    sa.column("job_title", sa.String()),
    sa.column("seniority", sa.String()),
    sa.column("department", sa.String()),
    sa.column("extra", JSON),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_declared_type(bind, "source VARCHAR(32) NOT NULL", "source VARCHAR(64) NOT NULL")
    else:
        op.alter_column("leads", "source", type_=sa.String(length=64), existing_type=sa.String(length=32), existing_nullable=False)
    op.add_column("leads", sa.Column("channel", sa.String(length=16), server_default="other", nullable=False))
    op.add_column("leads", sa.Column("seniority", sa.String(length=16), nullable=True))
    op.add_column("leads", sa.Column("department", sa.String(length=32), nullable=True))
    op.create_index("ix_leads_channel", "leads", ["channel"], unique=False)
    _restore_collapsed_sources(bind)
    _group_sources(bind)
    _classify_titles(bind)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_leads_channel", table_name="leads")
    op.drop_column("leads", "department")
    op.drop_column("leads", "seniority")
    op.drop_column("leads", "channel")
    leads = _LEADS
    bind.execute(sa.update(leads).where(sa.func.length(leads.c.source) > 32).values(source=sa.func.substr(leads.c.source, 1, 32)))
    if bind.dialect.name == "sqlite":
        _sqlite_declared_type(bind, "source VARCHAR(64) NOT NULL", "source VARCHAR(32) NOT NULL")
    else:
        op.alter_column("leads", "source", type_=sa.String(length=32), existing_type=sa.String(length=64), existing_nullable=False)


def _sqlite_declared_type(bind: sa.Connection, old: str, new: str) -> None:
    """Change a column's declared type in SQLite's schema text (the documented way for changes that
    leave the stored rows as they are), bumping schema_version so every connection re-reads it."""
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'leads'").scalar()
    if sql is None or sql.count(old) != 1:
        raise RuntimeError(f"migration 0011 expected {old!r} once in the leads table's schema; found: {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'leads'", (sql.replace(old, new),)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _batches(bind: sa.Connection, statement: sa.Select) -> Any:
    """The rows of `statement` (its first column the id) in batches of _BATCH, by id."""
    last = 0
    while True:
        rows = bind.execute(statement.where(_LEADS.c.id > last).order_by(_LEADS.c.id).limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _restore_collapsed_sources(bind: sa.Connection) -> None:
    leads = _LEADS
    statement = sa.select(leads.c.id, leads.c.extra).where(leads.c.source == "other", leads.c.extra.is_not(None))
    update = sa.update(leads).where(leads.c.id == sa.bindparam("lead_id")).values(
        source=sa.bindparam("new_source"), extra=sa.bindparam("new_extra", type_=JSON)
    )
    for rows in _batches(bind, statement):
        changes = []
        for lead_id, extra in rows:
            raw = extra.get("source_raw") if isinstance(extra, dict) else None
            if not isinstance(raw, str) or not raw.strip() or len(source := normalise_source(raw)) > SOURCE_MAX_LENGTH:
                continue
            rest = {key: value for key, value in extra.items() if key != "source_raw"}
            changes.append({"lead_id": lead_id, "new_source": source, "new_extra": rest or None})
        if changes:
            bind.execute(update, changes)


def _group_sources(bind: sa.Connection) -> None:
    leads = _LEADS
    sources = [value for (value,) in bind.execute(sa.select(leads.c.source).distinct()) if value is not None]
    renamed = [{"old": value, "new": normalise_source(value)} for value in sources if normalise_source(value) != value]
    renamed = [change for change in renamed if len(change["new"]) <= SOURCE_MAX_LENGTH]
    if renamed:
        bind.execute(sa.update(leads).where(leads.c.source == sa.bindparam("old")).values(source=sa.bindparam("new")), renamed)
    sources = [value for (value,) in bind.execute(sa.select(leads.c.source).distinct()) if value is not None]
    groups = [{"value": value, "group": channel_of(value).value} for value in sources]
    groups = [group for group in groups if group["group"] != "other"]  # the column's default
    if groups:
        bind.execute(sa.update(leads).where(leads.c.source == sa.bindparam("value")).values(channel=sa.bindparam("group")), groups)


def _classify_titles(bind: sa.Connection) -> None:
    leads = _LEADS
    statement = sa.select(leads.c.id, leads.c.job_title).where(leads.c.job_title.is_not(None))
    update = sa.update(leads).where(leads.c.id == sa.bindparam("lead_id")).values(
        seniority=sa.bindparam("new_seniority"), department=sa.bindparam("new_department")
    )
    for rows in _batches(bind, statement):
        changes = []
        for lead_id, title in rows:
            seniority, department = title_columns(title)
            if seniority is not None or department is not None:
                changes.append({"lead_id": lead_id, "new_seniority": seniority, "new_department": department})
        if changes:
            bind.execute(update, changes)
