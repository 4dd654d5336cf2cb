"""enrichment cache: provider answers with a time to live

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 18:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Timestamps are stored as naive UTC (see memory.models.UTCDateTime); JSON is JSONB on PostgreSQL.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrichment_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("query_key", sa.String(length=400), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("payload", JSON, nullable=True),
        sa.Column("credits", sa.Float(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrichment_cache")),
    )
    with op.batch_alter_table("enrichment_cache", schema=None) as batch_op:
        batch_op.create_index("ix_enrichment_cache_lookup", ["provider", "kind", "query_key"], unique=True)
        batch_op.create_index(batch_op.f("ix_enrichment_cache_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("enrichment_cache")
