"""routing accounts and SLA: imported accounts, first-touch SLA watches, rep attributes

Revision ID: 0015
Revises: 0014 (0015 did not exist yet; re-chain to 0015)
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.add_column(sa.Column("attributes", JSON, nullable=True))
    op.create_table(
        "routing_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("company_key", sa.String(length=300), nullable=True),
        sa.Column("owner_email", sa.String(length=254), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_accounts")),
        sa.UniqueConstraint("domain", name=op.f("uq_routing_accounts_domain")),
    )
    op.create_index(op.f("ix_routing_accounts_company_key"), "routing_accounts", ["company_key"])
    op.create_table(
        "sla_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("second_due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("touched_at", sa.DateTime(), nullable=True),
        sa.Column("nudged_at", sa.DateTime(), nullable=True),
        sa.Column("reassigned_at", sa.DateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"], name=op.f("fk_sla_watches_assignment_id_assignments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_sla_watches_lead_id_leads"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], name=op.f("fk_sla_watches_rep_id_reps"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_watches")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_sla_watches_assignment_id")),
    )
    op.create_index("ix_sla_watches_status_due", "sla_watches", ["status", "due_at"])
    op.create_index(op.f("ix_sla_watches_lead_id"), "sla_watches", ["lead_id"])
    op.create_index(op.f("ix_sla_watches_rep_id"), "sla_watches", ["rep_id"])


def downgrade() -> None:
    op.drop_table("sla_watches")
    op.drop_index(op.f("ix_routing_accounts_company_key"), table_name="routing_accounts")
    op.drop_table("routing_accounts")
    with op.batch_alter_table("reps") as batch:
        batch.drop_column("attributes")
