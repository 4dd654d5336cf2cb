"""leads: rank tier + industry questions from the index (covering id, score, last_contacted_at)

The card's question ("hot leads in fintech not contacted in 3 days", best score first) filters on
tier, industry and last contact and ranks by score. With those in one index the search ranks every
match without reading the table, then reads the rows of the page only. `id` comes right after the
equality columns so a plan that still visits the table (a wider query) does so in row order, as
with the two-column index this one replaces.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 09:30:00
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_tier_industry")
        batch_op.create_index("ix_leads_tier_industry_rank", ["tier", "industry", "id", "score", "last_contacted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_tier_industry_rank")
        batch_op.create_index("ix_leads_tier_industry", ["tier", "industry"], unique=False)
