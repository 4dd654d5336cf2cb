"""closed outcomes and departments backfilled: leads imported before #15's "keep the user's values"

Before it, an import without a `converted` column (a HubSpot export) left `converted` empty on
every Customer and Closed Lost lead, so win rates over an import counted nothing; now a closed
stage says the outcome (memory.lead_record._close). This sets converted = true on CUSTOMER and
false on LOST leads whose converted is empty, and classifies again the job titles that named no
department (Chief Operating Officer, Fleet Manager, Office Manager, ... are operations now:
memory.job_titles). Data only; the downgrade leaves the data as it is.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:50:00
"""

import sqlalchemy as sa
from alembic import op

from leadpilot.memory.job_titles import title_columns

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_LEADS = sa.table(
    "leads",
    sa.column("stage", sa.String()),
    sa.column("converted", sa.Boolean()),
    sa.column("job_title", sa.String()),
    sa.column("department", sa.String()),
)


def upgrade() -> None:
    bind = op.get_bind()
    leads = _LEADS
    for stage, converted in (("CUSTOMER", True), ("LOST", False)):
        bind.execute(sa.update(leads).where(leads.c.stage == stage, leads.c.converted.is_(None)).values(converted=converted))
    titles = bind.execute(
        sa.select(leads.c.job_title).where(leads.c.job_title.is_not(None), leads.c.department.is_(None)).distinct()
    ).scalars()
    changes = [{"title": title, "new_department": department} for title in titles if (department := title_columns(title)[1])]
    if changes:
        bind.execute(
            sa.update(leads).where(leads.c.job_title == sa.bindparam("title"), leads.c.department.is_(None))
            .values(department=sa.bindparam("new_department")),
            changes,
        )


def downgrade() -> None:
    pass  # data only: the backfilled outcomes and departments stay
