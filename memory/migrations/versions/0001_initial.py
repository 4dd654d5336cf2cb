"""initial schema: leads, reps, activities, assignments, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:33:10.530546
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# Timestamps are stored as naive UTC (see memory.models.UTCDateTime); JSON is JSONB on PostgreSQL.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('territories', JSON, nullable=False),
    sa.Column('industries', JSON, nullable=False),
    sa.Column('segments', JSON, nullable=False),
    sa.Column('languages', JSON, nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('working_hours', JSON, nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=False),
    sa.Column('routing_weight', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reps')),
    sa.UniqueConstraint('email', name=op.f('uq_reps_email')),
    sa.UniqueConstraint('slack_user_id', name=op.f('uq_reps_slack_user_id'))
    )
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('company', sa.String(length=300), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('domain', sa.String(length=255), nullable=True),
    sa.Column('contact_name', sa.String(length=300), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('job_title', sa.String(length=300), nullable=True),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('company_size', sa.Integer(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('state', sa.String(length=100), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_contacted_at', sa.DateTime(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('converted', sa.Boolean(), nullable=True),
    sa.Column('converted_at', sa.DateTime(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=8), nullable=True),
    sa.Column('score_breakdown', JSON, nullable=True),
    sa.Column('scored_at', sa.DateTime(), nullable=True),
    sa.Column('conversion_probability', sa.Float(), nullable=True),
    sa.Column('enrichment', JSON, nullable=True),
    sa.Column('extra', JSON, nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['reps.id'], name=op.f('fk_leads_owner_id_reps'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_industry'), ['industry'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_last_contacted_at'), ['last_contacted_at'], unique=False)
        batch_op.create_index('ix_leads_owner_stage', ['owner_id', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_score'), ['score'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_tier'), ['tier'], unique=False)
        batch_op.create_index('ix_leads_tier_industry', ['tier', 'industry'], unique=False)

    op.create_table('rep_time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['rep_id'], ['reps.id'], name=op.f('fk_rep_time_off_rep_id_reps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rep_time_off'))
    )
    with op.batch_alter_table('rep_time_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rep_time_off_rep_id'), ['rep_id'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('meta', JSON, nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_activities_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rep_id'], ['reps.id'], name=op.f('fk_activities_rep_id_reps'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_activities_lead_when', ['lead_id', 'occurred_at'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('candidates', JSON, nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_assignments_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rep_id'], ['reps.id'], name=op.f('fk_assignments_rep_id_reps'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_rep_id'), ['rep_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=True),
    sa.Column('new_value', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_audit_events_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_lead_at', ['lead_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_lead_at')

    op.drop_table('audit_events')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_rep_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_lead_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_lead_when')
        batch_op.drop_index(batch_op.f('ix_activities_kind'))

    op.drop_table('activities')
    with op.batch_alter_table('rep_time_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rep_time_off_rep_id'))

    op.drop_table('rep_time_off')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_tier_industry')
        batch_op.drop_index(batch_op.f('ix_leads_tier'))
        batch_op.drop_index(batch_op.f('ix_leads_stage'))
        batch_op.drop_index(batch_op.f('ix_leads_source'))
        batch_op.drop_index(batch_op.f('ix_leads_score'))
        batch_op.drop_index('ix_leads_owner_stage')
        batch_op.drop_index(batch_op.f('ix_leads_last_contacted_at'))
        batch_op.drop_index(batch_op.f('ix_leads_industry'))
        batch_op.drop_index(batch_op.f('ix_leads_external_id'))
        batch_op.drop_index(batch_op.f('ix_leads_email'))
        batch_op.drop_index(batch_op.f('ix_leads_domain'))
        batch_op.drop_index(batch_op.f('ix_leads_created_at'))
        batch_op.drop_index(batch_op.f('ix_leads_country'))

    op.drop_table('leads')
    op.drop_table('reps')
