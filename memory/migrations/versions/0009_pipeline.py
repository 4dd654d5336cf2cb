"""pipeline: capture receipts, the processing queue and its history, follow-up tasks, nurture

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 06:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Timestamps are stored as naive UTC (see memory.models.UTCDateTime); JSON is JSONB on PostgreSQL.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _lead_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f(f"fk_{table}_lead_id_leads"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "capture_receipts",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("last_repeat_at", sa.DateTime(), nullable=True),
        _lead_fk("capture_receipts"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_capture_receipts")),
    )
    op.create_index(op.f("ix_capture_receipts_lead_id"), "capture_receipts", ["lead_id"])

    op.create_table(
        "pipeline_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_step", sa.String(length=24), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        _lead_fk("pipeline_jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_jobs")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_pipeline_jobs_lead_id")),
    )
    op.create_index("ix_pipeline_jobs_status_available", "pipeline_jobs", ["status", "available_at"])

    op.create_table(
        "pipeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _lead_fk("pipeline_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_events")),
    )
    op.create_index("ix_pipeline_events_lead_at", "pipeline_events", ["lead_id", "at"])
    op.create_index("ix_pipeline_events_step", "pipeline_events", ["step"])

    op.create_table(
        "follow_up_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _lead_fk("follow_up_tasks"),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], name=op.f("fk_follow_up_tasks_rep_id_reps"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_tasks")),
    )
    op.create_index(op.f("ix_follow_up_tasks_lead_id"), "follow_up_tasks", ["lead_id"])
    op.create_index("ix_follow_up_tasks_rep_due", "follow_up_tasks", ["rep_id", "status", "due_at"])

    op.create_table(
        "nurture_enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.String(length=64), nullable=False),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("next_touch_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _lead_fk("nurture_enrollments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_enrollments")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_nurture_enrollments_lead_id")),
    )
    op.create_index(op.f("ix_nurture_enrollments_next_touch_at"), "nurture_enrollments", ["next_touch_at"])


def downgrade() -> None:
    for table in ("nurture_enrollments", "follow_up_tasks", "pipeline_events", "pipeline_jobs", "capture_receipts"):
        op.drop_table(table)
