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
        columns = (
            Lead.id, Lead.company, Lead.industry, Lead.country, Lead.state, Lead.city, Lead.company_size, Lead.source,
            Lead.stage, Lead.owner_id, Lead.score, Lead.tier, Lead.conversion_probability, Lead.created_at,
            Lead.last_contacted_at, Lead.converted, Lead.converted_at,
        )
        leads = [
            LeadFact(
                id=row.id, company=row.company, industry=row.industry, country=row.country, state=row.state,
                city=row.city, company_size=row.company_size, source=row.source, stage=row.stage,
                owner=emails.get(row.owner_id) if row.owner_id is not None else None, score=row.score, tier=row.tier,
                probability=row.conversion_probability, created_at=row.created_at,
                last_contacted_at=row.last_contacted_at, converted=row.converted,
                activities=tuple(activities.get(row.id, ())), converted_at=row.converted_at,
            )
            for row in session.execute(select(*columns).order_by(Lead.id))
        ]
    return leads, roles
