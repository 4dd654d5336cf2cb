"""leads: the ranking index also covers stage (open leads by default)

Lists are of open leads unless the question says otherwise (issue #15), so the card's question
("hot leads in fintech not contacted in 3 days") now also filters on stage. With stage in the
covering index its matches are still ranked without reading the table (see 0010); the count of
closed leads the default left out reads the same index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 12:00:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_OLD = ["tier", "industry", "id", "score", "last_contacted_at"]


def upgrade() -> None:
    op.drop_index("ix_leads_tier_industry_rank", table_name="leads")
    op.create_index("ix_leads_tier_industry_rank", "leads", [*_OLD, "stage"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_leads_tier_industry_rank", table_name="leads")
    op.create_index("ix_leads_tier_industry_rank", "leads", _OLD, unique=False)
