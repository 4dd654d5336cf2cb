"""lead snooze and persistent round-robin pointers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:10:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(), nullable=True))
    op.create_table(
        "routing_pointers",
        sa.Column("pool", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("last_rep_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["last_rep_id"], ["reps.id"], name=op.f("fk_routing_pointers_last_rep_id_reps"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("pool", name=op.f("pk_routing_pointers")),
    )


def downgrade() -> None:
    op.drop_table("routing_pointers")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("snoozed_until")
