"""The lead people mean by a name, and how a closed lead ended.

A company or a person often has several leads in the store: a won customer record, lost deals and
a new open lead. A salesperson asking about "Northgate Capital" means the open one. `leads_named`
reads every lead under a company or contact name; `choose_lead` picks the open one and names the
others, or — when several are open and nothing tells them apart — picks none, so the caller asks
which. `lead_outcomes` says when a won or lost lead closed, so an answer about it can start there
("Won on 5 Aug 2026 — this is a customer.").

Company names match by `company_key` ("ACME, Inc." is "Acme"), people by `person_key`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.company_names import company_key, person_key
from leadpilot.memory.models import AuditEvent, Lead, Rep
from leadpilot.memory.visibility import LeadViewer, lead_visibility
from leadpilot.memory.vocab import Stage

CLOSED_STAGES = (Stage.CUSTOMER.value, Stage.LOST.value)


def day_label(when: date | None) -> str:
    """'5 Aug 2026' (no leading zero), or 'an unknown date'."""
    return f"{when.day} {when:%b %Y}" if when is not None else "an unknown date"


@dataclass(frozen=True)
class LeadOutcome:
    """How a closed lead ended: won (it is a customer) or lost, and when."""

    lead_id: int
    stage: str
    result: Literal["won", "lost"]
    closed_on: datetime | None

    def sentence(self) -> str:
        """'Won on 5 Aug 2026 — this is a customer.' / 'Lost on 24 Oct 2026.'"""
        if self.result == "won":
            return f"Won on {day_label(self.closed_on)} — this is a customer."
        return f"Lost on {day_label(self.closed_on)}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "stage": self.stage,
            "outcome": self.result,
            "closed_on": self.closed_on.date().isoformat() if self.closed_on else None,
            "outcome_sentence": self.sentence(),
        }


def lead_outcomes(session: Session, lead_ids: Sequence[int]) -> dict[int, LeadOutcome]:
    """The outcome of each closed lead among `lead_ids` (open and unknown ids are left out).

    The date: a won lead's `converted_at`; otherwise when the audit saw the stage become what it
    is now; failing both, the lead's last update (the store's record of when it closed).
    """
    if not lead_ids:
        return {}
    rows = session.execute(
        select(Lead.id, Lead.stage, Lead.converted_at, Lead.updated_at).where(Lead.id.in_(list(lead_ids)), Lead.stage.in_(CLOSED_STAGES))
    ).all()
    if not rows:
        return {}
    audited: dict[int, datetime] = {}
    events = select(AuditEvent.lead_id, AuditEvent.new_value, AuditEvent.at).where(
        AuditEvent.lead_id.in_([row.id for row in rows]), AuditEvent.field == "stage", AuditEvent.new_value.in_(CLOSED_STAGES)
    )
    stage_of = {row.id: row.stage for row in rows}
    for lead_id, new_stage, at in session.execute(events):
        if new_stage == stage_of[lead_id] and (lead_id not in audited or at > audited[lead_id]):
            audited[lead_id] = at
    found = {}
    for row in rows:
        won = row.stage == Stage.CUSTOMER.value
        when = (row.converted_at if won else None) or audited.get(row.id) or row.updated_at
        found[row.id] = LeadOutcome(row.id, row.stage, "won" if won else "lost", utc(when) if when else None)
    return found


def lead_outcome(session: Session, lead_id: int) -> LeadOutcome | None:
    """How `lead_id` ended, or None when it is still open (or not in the store)."""
    return lead_outcomes(session, [lead_id]).get(lead_id)


@dataclass(frozen=True)
class LeadCandidate:
    """One lead under a name, with what tells it apart: stage, owner, when it came in, outcome."""

    id: int
    company: str | None
    contact_name: str | None
    stage: str
    owner: str | None  # the rep's name
    created_at: datetime
    score: int | None
    tier: str | None
    outcome: LeadOutcome | None  # None while open

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES

    def brief(self) -> dict[str, Any]:
        """The short form an answer lists: id, contact, stage, owner, created, outcome."""
        return {
            "id": self.id,
            "company": self.company,
            "contact_name": self.contact_name,
            "stage": self.stage,
            "owner": self.owner,
            "created": self.created_at.date().isoformat(),
            "outcome": self.outcome.result if self.outcome else None,
            "closed_on": self.outcome.closed_on.date().isoformat() if self.outcome and self.outcome.closed_on else None,
        }


def _any_word(column, key: str) -> ColumnElement[bool]:
    """Rows whose `column` holds one of the key's words: a cheap narrowing before the keys are
    compared exactly (any word, so a name typed without its accents still finds "Díaz")."""
    return or_(*(func.lower(column).contains(word, autoescape=True) for word in sorted(set(key.split()))))


def leads_named(
    session: Session, *, company: str | None = None, contact: str | None = None, where: ColumnElement[bool] | None = None,
    viewer: LeadViewer | None = None,
) -> list[LeadCandidate]:
    """Every lead at `company` or of the person `contact` that `viewer` may see (None: the system,
    every lead; memory.visibility), optionally also matching `where`: open leads first, then the newest."""
    if company:
        key, column, keyed = company_key(company), Lead.company, company_key
    elif contact:
        key, column, keyed = person_key(contact) or None, Lead.contact_name, person_key
    else:
        return []
    if not key:
        return []
    query = (
        select(Lead.id, Lead.company, Lead.contact_name, Lead.stage, Rep.name, Lead.created_at, Lead.score, Lead.tier)
        .outerjoin(Rep, Rep.id == Lead.owner_id)
        .where(_any_word(column, key), lead_visibility(viewer))
    )
    if where is not None:
        query = query.where(where)
    rows = [row for row in session.execute(query) if keyed(row.company if company else row.contact_name) == key]
    outcomes = lead_outcomes(session, [row.id for row in rows if row.stage in CLOSED_STAGES])
    found = [LeadCandidate(*row, outcome=outcomes.get(row.id)) for row in rows]
    return sorted(found, key=lambda c: (not c.is_open, -utc(c.created_at).timestamp(), -c.id))


@dataclass(frozen=True)
class LeadChoice:
    """The lead a name means (`chosen`) and the other leads under it; or, when several are open and
    none is clearly meant, no choice and the open ones to ask about (`choices`)."""

    chosen: LeadCandidate | None = None
    others: tuple[LeadCandidate, ...] = ()
    choices: tuple[LeadCandidate, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.chosen is None and len(self.choices) > 1


def choose_lead(candidates: Iterable[LeadCandidate], *, prefer_unassigned: bool = False) -> LeadChoice:
    """The lead a name means: its one open lead; with several open, the one unassigned lead when
    `prefer_unassigned` (routing: the one waiting for an owner), else none (ask which); with none
    open, the most recently closed. The rest are listed as `others`, open ones first."""
    leads = list(candidates)
    if not leads:
        return LeadChoice()
    open_leads = [c for c in leads if c.is_open]
    chosen: LeadCandidate | None = None
    if len(open_leads) == 1:
        chosen = open_leads[0]
    elif len(open_leads) > 1:
        waiting = [c for c in open_leads if c.owner is None]
        if prefer_unassigned and len(waiting) == 1:
            chosen = waiting[0]
        else:
            return LeadChoice(choices=tuple(open_leads), others=tuple(c for c in leads if not c.is_open))
    else:
        latest = max(leads, key=lambda c: (utc(c.outcome.closed_on) if c.outcome and c.outcome.closed_on else utc(c.created_at), c.id))
        chosen = latest
    return LeadChoice(chosen=chosen, others=tuple(c for c in leads if c.id != chosen.id))
