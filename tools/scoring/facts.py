"""What the rules look at: the facts of a lead and of an activity, in the store's column order."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from leadpilot.memory.vocab import Direction


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the rules look at on a lead (the store's column values)."""

    email: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    website: str | None = None
    company: str | None = None
    job_title: str | None = None
    industry: str | None = None  # a slug, as stored: "fintech"
    company_size: int | None = None
    country: str | None = None
    source: str = "other"

    @classmethod
    def of(cls, lead: Any) -> LeadFacts:
        """The facts of a `Lead` row (or anything with the same attributes)."""
        return cls(*(getattr(lead, name) for name in LEAD_FACT_FIELDS))


LEAD_FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LeadFacts))


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    """What the rules look at on an activity."""

    kind: str  # an ActivityKind value
    occurred_at: datetime  # naive values are taken as UTC
    direction: str = Direction.INBOUND.value
    detail: str | None = None  # page path, form name, subject

    @classmethod
    def of(cls, activity: Any) -> ActivityFacts:
        return cls(kind=activity.kind, occurred_at=activity.occurred_at, direction=activity.direction, detail=activity.detail)
