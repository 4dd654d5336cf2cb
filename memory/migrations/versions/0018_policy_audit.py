"""policy-level audit entries: audit_events.lead_id may be empty (a policy change concerns no one lead)

`leadpilot calibrate --write` records who changed the scoring policy, when, its thresholds and
version before and after, and the calibration numbers that justified it, as an audit event with
field "policy" and no lead.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("lead_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM audit_events WHERE lead_id IS NULL")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("lead_id", existing_type=sa.Integer(), nullable=False)
