"""The data the `evals nlq` truth is computed from: every lead with its activities and every rep's
role, read straight from the tables as plain Python facts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ActivityFact:
    kind: str
    occurred_at: datetime
    detail: str | None
    direction: str = "inbound"
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class LeadFact:
    id: int
    company: str | None
    industry: str | None
    country: str | None
    state: str | None
    city: str | None
    company_size: int | None
    source: str
    stage: str
    owner: str | None  # rep email
    score: int | None
    tier: str | None
    probability: float | None
    created_at: datetime
    last_contacted_at: datetime | None
    converted: bool | None
    activities: tuple[ActivityFact, ...] = ()
    converted_at: datetime | None = None
    channel: str | None = None  # the source's channel group (memory.vocab.channel_of)
    seniority: str | None = None  # from the job title (memory.job_titles)
    department: str | None = None
    phone: str | None = None
    email: str | None = None


# Lead columns read into LeadFact fields of the same name (owner_id, conversion_probability aside).
_COLUMNS = (
    "id", "company", "industry", "country", "state", "city", "company_size", "source", "stage", "score", "tier",
    "created_at", "last_contacted_at", "converted", "converted_at", "channel", "seniority", "department", "phone", "email",
)


def read_facts(db: Any) -> tuple[list[LeadFact], dict[str, str]]:
    """Every lead with its activities, and every rep's role by email, straight from the tables."""
    from sqlalchemy import select

    from leadpilot.memory.models import Activity, Lead, Rep

    with db.session() as session:
        roles = {email.lower(): role for email, role in session.execute(select(Rep.email, Rep.role))}
        emails = {rep_id: email.lower() for rep_id, email in session.execute(select(Rep.id, Rep.email))}
        activities: dict[int, list[ActivityFact]] = defaultdict(list)
        for lead_id, kind, occurred_at, detail, direction, meta in session.execute(
            select(Activity.lead_id, Activity.kind, Activity.occurred_at, Activity.detail, Activity.direction, Activity.meta)
            .order_by(Activity.lead_id, Activity.occurred_at, Activity.id)
        ):
            activities[lead_id].append(ActivityFact(kind, occurred_at, detail, direction, meta))
        columns = [getattr(Lead, name) for name in _COLUMNS]
        leads = [
            LeadFact(
                **{name: getattr(row, name) for name in _COLUMNS},
                owner=emails.get(row.owner_id) if row.owner_id is not None else None,
                probability=row.conversion_probability,
                activities=tuple(activities.get(row.id, ())),
            )
            for row in session.execute(select(*columns, Lead.owner_id, Lead.conversion_probability).order_by(Lead.id))
        ]
    return leads, roles


def read_rep_names(db: Any) -> dict[str, str]:
    """Every rep's name by email (lower case): what an answer naming an owner may say."""
    from sqlalchemy import select

    from leadpilot.memory.models import Rep

    with db.session() as session:
        return {email.lower(): name for email, name in session.execute(select(Rep.email, Rep.name))}
