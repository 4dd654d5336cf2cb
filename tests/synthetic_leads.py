"""Small lead histories with known signal, written straight into a store, for model tests.

Each closed lead has a hidden "interest"; interested leads open and click more, visit pricing,
meet us, and convert more often. The rule score sees only a noisy part of it, so a model that
reads the activities should beat it.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Lead

INDUSTRIES = ("fintech", "saas", "retail", "education")
INDUSTRY_EFFECT = {"fintech": 0.8, "saas": 0.4, "retail": -0.3, "education": -0.8}
TITLES = ("CEO", "VP Sales", "Director of Marketing", "Engineering Manager", "Analyst", "")


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _activity(lead: Lead, kind: str, direction: str, at: datetime, detail: str | None = None) -> Activity:
    return Activity(lead=lead, kind=kind, direction=direction, occurred_at=at, detail=detail)


def add_history(
    db: Database, *, now: datetime, n_closed: int = 240, n_open: int = 12, seed: int = 0, with_scores: bool = True
) -> list[int]:
    """Insert closed and open leads with activities; returns the new lead ids (closed first)."""
    rng = random.Random(seed)
    leads: list[Lead] = []
    activities: list[Activity] = []
    for index in range(n_closed + n_open):
        is_open = index >= n_closed
        interest = rng.gauss(0.0, 1.0)
        industry = rng.choice(INDUSTRIES)
        age = rng.uniform(2, 20) if is_open else rng.uniform(60, 170)
        created = now - timedelta(days=age)
        life = age if is_open else rng.uniform(15, 50)
        title = rng.choice(TITLES)
        lead = Lead(
            external_id=f"syn-{seed}-{index}",
            company=f"Company {index}" if rng.random() > 0.1 else None,
            email=f"p{index}@{'gmail.com' if rng.random() < 0.2 else f'c{index}.example'}",
            job_title=title or None,
            industry=industry,
            company_size=rng.choice((5, 40, 300, 2500)),
            country=rng.choice(("US", "GB", "DE")),
            source=rng.choice(("referral", "organic", "paid", "outbound")),
            stage="LEAD",
            created_at=created,
            updated_at=created,
        )
        end = created + timedelta(days=life)
        first = len(activities)
        for step in range(3):
            sent = created + timedelta(days=life * (0.1 + 0.25 * step))
            activities.append(_activity(lead, "email_sent", "outbound", sent))
            if rng.random() < _sigmoid(1.5 * interest):
                activities.append(_activity(lead, "email_opened", "inbound", sent + timedelta(hours=3)))
                if rng.random() < _sigmoid(1.5 * interest - 1):
                    activities.append(_activity(lead, "email_clicked", "inbound", sent + timedelta(hours=4)))
        for _ in range(max(0, round(2 + 1.5 * interest + rng.gauss(0, 1)))):
            seen = created + timedelta(days=rng.uniform(0, life * 0.95))
            page = "/pricing" if rng.random() < _sigmoid(interest - 0.5) else "/blog"
            activities.append(_activity(lead, "page_view", "inbound", seen, page))
        if rng.random() < _sigmoid(2 * interest - 1):
            activities.append(_activity(lead, "meeting", "outbound", created + timedelta(days=life * 0.8), "Demo"))
        if is_open:
            lead.converted = None
        else:
            converts = rng.random() < _sigmoid(2.2 * interest + INDUSTRY_EFFECT[industry] - 0.6)
            lead.converted = converts
            lead.stage = "CUSTOMER" if converts else "LOST"
            lead.converted_at = end if converts else None
            activities.append(_activity(lead, "note", "outbound", end, "Closed"))
            if converts:  # life goes on after the sale: none of it may reach the features
                activities.append(_activity(lead, "meeting", "outbound", end + timedelta(days=3), "Onboarding"))
                activities.append(_activity(lead, "page_view", "inbound", end + timedelta(days=4), "/pricing"))
        lead.updated_at = max([lead.created_at, *(a.occurred_at for a in activities[first:])])
        if with_scores:  # a rule score that knows the industry and only a hint of interest
            lead.score = int(50 + 15 * INDUSTRY_EFFECT[industry] + 4 * interest + rng.gauss(0, 12))
        leads.append(lead)
    with db.transaction() as session:
        session.add_all(leads)
        session.add_all(activities)
        session.flush()
        return [lead.id for lead in leads]


def add_lead(db: Database, *, activities: list[tuple[str, str, datetime, str | None]] = (), **fields: Any) -> int:
    """One lead with the given fields and (kind, direction, when, detail) activities."""
    fields.setdefault("source", "organic")
    fields.setdefault("stage", "LEAD")
    fields.setdefault("updated_at", fields["created_at"])
    with db.transaction() as session:
        lead = Lead(**fields)
        session.add(lead)
        for kind, direction, at, detail in activities:
            session.add(_activity(lead, kind, direction, at, detail))
        session.flush()
        return lead.id
