"""outbox and CRM sync: changes owed to CRMs, email and webhooks; sync cursors, CRM links, suppressions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _lead_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f(f"fk_{table}_lead_id_leads"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        _lead_fk("outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index("ix_outbox_status_available", "outbox", ["status", "available_at"])
    op.create_index(op.f("ix_outbox_lead_id"), "outbox", ["lead_id"])

    op.create_table(
        "crm_cursors",
        sa.Column("crm", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("backfilled_at", sa.DateTime(), nullable=True),
        sa.Column("synced_at", sa.DateTime(), nullable=True),
        sa.Column("stats", JSON, nullable=False),
        sa.PrimaryKeyConstraint("crm", name=op.f("pk_crm_cursors")),
    )
    op.create_table(
        "crm_links",
        sa.Column("crm", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("crm_id", sa.String(length=64), nullable=False),
        sa.Column("crm_owner", sa.String(length=254), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _lead_fk("crm_links"),
        sa.PrimaryKeyConstraint("crm", "lead_id", name=op.f("pk_crm_links")),
    )
    op.create_index("ix_crm_links_crm_record", "crm_links", ["crm", "crm_id"], unique=True)
    op.create_table(
        "email_suppressions",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_email_suppressions")),
    )


def downgrade() -> None:
    op.drop_table("email_suppressions")
    op.drop_index("ix_crm_links_crm_record", table_name="crm_links")
    op.drop_table("crm_links")
    op.drop_table("crm_cursors")
    op.drop_index(op.f("ix_outbox_lead_id"), table_name="outbox")
    op.drop_index("ix_outbox_status_available", table_name="outbox")
    op.drop_table("outbox")
