"""lead_vectors: what the vector store holds for each lead (semantic search)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 05:20:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_vectors",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("lead_updated_at", sa.DateTime(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_lead_vectors_lead_id_leads"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_vectors")),
    )


def downgrade() -> None:
    op.drop_table("lead_vectors")
