"""A lead's life: engagement, outcome, activities.

`_play_out` simulates one lead from creation to its decision (won or lost) under a conversion
model with real signal (source, size, industry, seniority, engagement and rep all move the odds),
and keeps what happened up to `now`: the lead's row and its activities.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadpilot.memory.lead_record import derived_columns
from leadpilot.memory.seed.companies import _Company
from leadpilot.memory.seed.helpers import DAY, _at, _pick, _poisson, _sigmoid
from leadpilot.memory.seed.reps import _rep_email, _RepSpec
from leadpilot.memory.vocab import CONTACT_KINDS, ActivityKind, Direction, Source, Stage, industry_label


# ---------------------------------------------------------------------------------------------
# The conversion model behind the history (log-odds effects)
# ---------------------------------------------------------------------------------------------

_INTERCEPT = -2.8
_SOURCE_EFFECT = {
    Source.REFERRAL: 1.2, Source.PARTNER: 0.45, Source.ORGANIC: 0.35, Source.WEBINAR: 0.1, Source.PAID: -0.15,
    Source.OUTBOUND: -0.35, Source.EVENT: -0.45, Source.OTHER: -0.55,
}
_SOURCE_WEIGHTS = {
    Source.ORGANIC: 25, Source.PAID: 18, Source.OUTBOUND: 14, Source.REFERRAL: 10, Source.EVENT: 9,
    Source.WEBINAR: 9, Source.PARTNER: 8, Source.OTHER: 7,
}
_SOURCE_INTEREST = {  # how engaged leads from each source tend to be
    Source.REFERRAL: 0.5, Source.WEBINAR: 0.25, Source.PARTNER: 0.2, Source.ORGANIC: 0.15, Source.PAID: 0.0,
    Source.EVENT: -0.1, Source.OTHER: -0.2, Source.OUTBOUND: -0.3,
}
_SEGMENT_EFFECT = {"micro": -0.7, "smb": -0.1, "mid-market": 0.3, "enterprise": 0.2}
_INDUSTRY_EFFECT = {
    "fintech": 0.65, "saas": 0.55, "healthcare": 0.5, "cybersecurity": 0.3, "biotech": 0.1, "ecommerce": 0.1,
    "banking": 0.05, "insurance": 0.0, "logistics": 0.0, "telecom": -0.1, "manufacturing": -0.15,
    "professional-services": -0.15, "energy": -0.2, "media": -0.25, "real-estate": -0.25, "retail": -0.25,
    "hospitality": -0.35, "education": -0.45, "government": -0.6, "nonprofit": -0.65,
}
_SENIORITY_EFFECT = {"c_level": 0.35, "vp": 0.5, "director": 0.35, "manager": 0.0, "individual": -0.5}


# ---------------------------------------------------------------------------------------------
# Engagement, outcome, activities
# ---------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    company: _Company
    contact_name: str
    email: str
    phone: str
    job_title: str
    seniority: str
    source: Source
    age_days: float
    notes: str
    topic: str | None
    owner: _RepSpec | None = None


# Where an event sits in a lead's life. Its outcome decides how long that life is, and the outcome
# depends on the engagement, so events are planned at relative positions first and timed after.
_CREATED = "created"  # `delay` days after the lead was created
_LIFE = "life"  # at `position` (0..1) of the way from creation to the decision, plus `delay`
_OUTREACH = "outreach"  # at `position` of the way from the first touch to the decision, plus `delay`


@dataclass(frozen=True)
class _Event:
    anchor: str
    position: float
    delay: float
    kind: ActivityKind
    direction: Direction
    by_rep: bool
    detail: str | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Timeline:
    life: float  # days from creation to the decision (won or lost)
    first_touch: float  # days from creation to the first outbound email

    def offset(self, event: _Event) -> float:
        if event.anchor == _CREATED:
            base = 0.0
        elif event.anchor == _LIFE:
            base = event.position * self.life
        else:
            base = self.first_touch + event.position * (0.95 * self.life - self.first_touch)
        return min(base + event.delay, self.life)


_SUBJECTS = ("Quick intro", "Following up", "An idea for {company}", "How {industry} teams use us",
             "Worth a call?", "Checking in", "Pricing for {company}", "Closing the loop")
_PAGES = (("/", 3.0), ("/product", 3.0), ("/docs", 1.5), ("/docs/api", 1.5), ("/blog/usage-based-pricing-guide", 1.0),
          ("/blog/revenue-operations-playbook", 1.0), ("/blog/2026-benchmark-report", 1.0), ("/customers", 1.5),
          ("/integrations", 1.2), ("/security", 1.0), ("/careers", 0.8), ("/about", 0.8), ("/solutions", 2.0))
_API_HEAVY = frozenset({"saas", "fintech", "cybersecurity", "ecommerce"})
_SECURITY_HEAVY = frozenset({"healthcare", "banking", "insurance", "cybersecurity", "government"})
_MEETINGS = ("Discovery call", "Product demo", "Technical deep dive", "Security review", "Pricing review",
             "Contract walkthrough")
_ENTRY_FORMS = {Source.ORGANIC: "/contact-sales", Source.PAID: "/lp/demo", Source.WEBINAR: "/webinar-registration"}
_RESPONSIVE_SOURCES = frozenset({Source.ORGANIC, Source.PAID, Source.WEBINAR, Source.REFERRAL, Source.PARTNER})
_LOST_REASONS = ("No budget this year", "Chose a competitor", "Not a fit: missing a required integration",
                 "Timing: revisit next quarter", "Went quiet after the demo", "Decided to build in-house")
_FOLLOW_UPS = ("Sent follow-up deck and pricing", "Shared our security questionnaire",
               "Looped in a solutions engineer", "Agreed on a pilot scope")


def _page_path(rng: random.Random, *, industry: str, interest: float) -> str:
    if rng.random() < _sigmoid(1.2 * interest - 1.6):
        return "/pricing"
    weights = []
    for path, weight in _PAGES:
        if path == "/docs/api" and industry in _API_HEAVY:
            weight *= 2.5
        elif path == "/security" and industry in _SECURITY_HEAVY:
            weight *= 2.5
        weights.append((path, weight))
    path = _pick(rng, weights)
    return f"/solutions/{industry}" if path == "/solutions" else path


def _first_touch_days(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.6:
        return min(rng.expovariate(4.0), 2.0)  # same day, mostly
    if roll < 0.9:
        return rng.uniform(1.0, 4.0)
    return rng.uniform(4.0, 12.0)


def _plan_inbound(rng: random.Random, draft: _Draft, *, interest: float) -> list[_Event]:
    """What the lead does on its own: the form it came in through, page views, a demo request."""
    events: list[_Event] = []
    if entry_form := _ENTRY_FORMS.get(draft.source):
        events.append(_Event(_CREATED, 0.0, 0.0, ActivityKind.FORM_SUBMIT, Direction.INBOUND, False, entry_form))
    for _ in range(_poisson(rng, math.exp(0.5 + 0.6 * interest), cap=14)):
        path = _page_path(rng, industry=draft.company.industry, interest=interest)
        events.append(_Event(_LIFE, rng.random(), 0.0, ActivityKind.PAGE_VIEW, Direction.INBOUND, False, path))
    if rng.random() < _sigmoid(interest - 1.2):
        events.append(_Event(_LIFE, rng.uniform(0.05, 0.6), 0.0, ActivityKind.FORM_SUBMIT, Direction.INBOUND,
                             False, "/demo-request"))
    return events


def _plan_outreach(rng: random.Random, draft: _Draft, *, interest: float) -> list[_Event]:
    """What the rep does and how the lead responds: emails (opened, clicked) and calls."""
    events: list[_Event] = []
    company, industry = draft.company.name, industry_label(draft.company.industry)
    sends = rng.randint(2, 7)
    positions = [0.0] + sorted(rng.random() for _ in range(sends - 1))
    for step, position in enumerate(positions):
        subject = _SUBJECTS[min(step, len(_SUBJECTS) - 1)].format(company=company, industry=industry)
        events.append(_Event(_OUTREACH, position, 0.0, ActivityKind.EMAIL_SENT, Direction.OUTBOUND, True, subject,
                             {"step": step + 1}))
        if rng.random() < _sigmoid(0.2 + 0.8 * interest):
            opened = min(rng.expovariate(4.0), 3.0)
            events.append(_Event(_OUTREACH, position, opened, ActivityKind.EMAIL_OPENED, Direction.INBOUND, False,
                                 subject))
            if rng.random() < _sigmoid(-1.3 + 0.8 * interest):
                link = "/pricing" if rng.random() < _sigmoid(interest - 1.0) else rng.choice(
                    ("/customers", "/docs", f"/solutions/{draft.company.industry}", "/blog/2026-benchmark-report"))
                events.append(_Event(_OUTREACH, position, opened + rng.uniform(0.001, 0.1),
                                     ActivityKind.EMAIL_CLICKED, Direction.INBOUND, False, link))
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        inbound = rng.random() < 0.1
        connected = inbound or rng.random() < 0.35 + 0.1 * interest
        events.append(_Event(
            _OUTREACH, rng.uniform(0.02, 0.9), 0.0, ActivityKind.CALL,
            Direction.INBOUND if inbound else Direction.OUTBOUND, True,
            "Inbound call" if inbound else ("Connected" if connected else "Left voicemail"),
            {"outcome": "connected" if connected else rng.choice(("voicemail", "no answer")),
             "duration_minutes": rng.randint(5, 35) if connected else 1},
        ))
    return events


def _plan_meetings(rng: random.Random, *, count: int) -> list[_Event]:
    events: list[_Event] = []
    for index, position in enumerate(sorted(rng.uniform(0.15, 1.0) for _ in range(count))):
        meta = {"duration_minutes": rng.choice((30, 30, 45, 60))}
        detail = _MEETINGS[min(index, len(_MEETINGS) - 1)]
        events.append(_Event(_OUTREACH, position, 0.0, ActivityKind.MEETING, Direction.OUTBOUND, True, detail, meta))
        if index == 0 and rng.random() < 0.5:
            events.append(_Event(_OUTREACH, position, 0.05, ActivityKind.NOTE, Direction.OUTBOUND, True,
                                 rng.choice(_FOLLOW_UPS)))
    return events


def _conversion_log_odds(draft: _Draft, *, events: Sequence[_Event], meetings: int, interest: float) -> float:
    pricing = any(e.detail == "/pricing" for e in events if e.kind == ActivityKind.PAGE_VIEW)
    clicks = sum(1 for e in events if e.kind == ActivityKind.EMAIL_CLICKED)
    demo_request = any(e.detail == "/demo-request" for e in events if e.kind == ActivityKind.FORM_SUBMIT)
    return (
        _INTERCEPT
        + _SOURCE_EFFECT[draft.source]
        + _SEGMENT_EFFECT[draft.company.segment]
        + _INDUSTRY_EFFECT[draft.company.industry]
        + _SENIORITY_EFFECT[draft.seniority]
        + 0.8 * pricing
        + 0.15 * min(clicks, 4)
        + 0.45 * min(meetings, 3)
        + 0.5 * demo_request
        + 0.3 * interest
        + draft.company.fit
        + (draft.owner.skill if draft.owner else 0.0)
    )


def _decision_days(rng: random.Random, draft: _Draft, *, converts: bool, neglected: bool) -> float:
    """How long after creation the lead is won or lost."""
    if neglected:
        return rng.uniform(20.0, 60.0)
    if not converts:
        return rng.triangular(7.0, 80.0, 30.0)
    days = rng.triangular(10.0, 90.0, 35.0)
    if draft.source == Source.REFERRAL:
        days *= 0.7
    if draft.company.segment == "enterprise":
        days *= 1.35
    elif draft.company.segment in ("smb", "micro"):
        days *= 0.8
    return max(10.0, min(90.0, days))


def _close_note(rng: random.Random, *, converts: bool, neglected: bool) -> _Event:
    if converts:
        detail = rng.choice(("Closed won: signed a 12-month contract", "Closed won: annual plan",
                             "Closed won after a successful pilot"))
    elif neglected:
        detail = rng.choice(("Closed lost: no response", "Disqualified: not a fit"))
    else:
        detail = f"Closed lost: {rng.choice(_LOST_REASONS)}"
    return _Event(_LIFE, 1.0, 0.0, ActivityKind.NOTE, Direction.OUTBOUND, True, detail)


def _open_stage(draft: _Draft, events: Sequence[_Event]) -> Stage:
    kinds = [e.kind for e in events]
    meetings = kinds.count(ActivityKind.MEETING)
    hot = any(e.detail in ("/pricing", "/demo-request") for e in events)
    connected = any(e.kind == ActivityKind.CALL and (e.meta or {}).get("outcome") == "connected" for e in events)
    responded = any(e.direction == Direction.INBOUND for e in events)
    if meetings and (meetings >= 2 or hot):
        return Stage.OPPORTUNITY
    if meetings or connected or ActivityKind.EMAIL_CLICKED in kinds:
        return Stage.PROSPECT
    if draft.source not in _RESPONSIVE_SOURCES and not responded:
        return Stage.DISCOVERY
    return Stage.LEAD


def _play_out(rng: random.Random, draft: _Draft, *, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Simulate one lead from creation to its decision, keep what happened up to `now`,
    and return its row and activities."""
    interest = rng.gauss(0.0, 1.0) + _SOURCE_INTEREST[draft.source] + (0.3 if draft.company.industry == "fintech" else 0.0)
    neglected = draft.owner is None or rng.random() < 0.06  # nobody ever reaches out
    events = _plan_inbound(rng, draft, interest=interest)
    meetings = 0
    if not neglected:
        events += _plan_outreach(rng, draft, interest=interest)
        meetings = _poisson(rng, math.exp(-0.5 + 0.7 * interest), cap=4)
    log_odds = _conversion_log_odds(draft, events=events, meetings=meetings, interest=interest)
    converts = not neglected and rng.random() < _sigmoid(log_odds)
    # Larger accounts never sign without meeting us; small ones often buy self-serve.
    if converts and (draft.company.size >= 100 or rng.random() < 0.45):
        meetings = max(meetings, 1)
    events += _plan_meetings(rng, count=meetings)

    life = _decision_days(rng, draft, converts=converts, neglected=neglected)
    timeline = _Timeline(life=life, first_touch=min(_first_touch_days(rng), 0.3 * life))
    closed = life <= draft.age_days
    if closed:
        events.append(_close_note(rng, converts=converts, neglected=neglected))
    timed = sorted(((timeline.offset(e), e) for e in events), key=lambda pair: (pair[0], pair[1].kind.value))
    if not closed:
        timed = [(offset, e) for offset, e in timed if offset <= draft.age_days]

    created_at = _at(now, draft.age_days)
    activities = [_activity_row(draft, e, at=created_at + timedelta(seconds=round(o * DAY))) for o, e in timed]
    contacts = [a["occurred_at"] for a in activities if _is_contact(a)]
    close_at = created_at + timedelta(seconds=round(life * DAY)) if closed else None
    stage = (Stage.CUSTOMER if converts else Stage.LOST) if closed else _open_stage(draft, [e for _, e in timed])
    row = _lead_row(draft, created_at=created_at, stage=stage, last_contacted_at=max(contacts, default=None))
    row["converted"] = converts if closed else None
    row["converted_at"] = close_at if converts and closed else None
    row["updated_at"] = max([created_at, *(a["occurred_at"] for a in activities), *([close_at] if close_at else [])])
    return row, activities


def _is_contact(activity: dict[str, Any]) -> bool:
    return activity["direction"] == Direction.OUTBOUND.value and activity["kind"] in _CONTACT_KIND_VALUES


_CONTACT_KIND_VALUES = frozenset(kind.value for kind in CONTACT_KINDS)


def _activity_row(draft: _Draft, event: _Event, *, at: datetime) -> dict[str, Any]:
    return {
        "lead_external_id": None,  # set once the lead is numbered
        "kind": event.kind.value,
        "direction": event.direction.value,
        "occurred_at": at,
        "rep_email": _rep_email(draft.owner.name) if event.by_rep and draft.owner else None,
        "detail": event.detail,
        "meta": event.meta,
    }


def _lead_row(draft: _Draft, *, created_at: datetime, stage: Stage, last_contacted_at: datetime | None) -> dict[str, Any]:
    company = draft.company
    return {
        "external_id": None,  # set once the lead is numbered
        "company": company.name,
        "website": company.website,
        "domain": company.domain,
        "contact_name": draft.contact_name,
        "email": draft.email,
        "phone": draft.phone,
        "job_title": draft.job_title,
        "industry": company.industry,
        "company_size": company.size,
        "country": company.city.country,
        "state": company.city.state,
        "city": company.city.name,
        "language": company.city.language,
        "source": draft.source.value,
        **derived_columns(source=draft.source.value, job_title=draft.job_title),  # channel, seniority, department
        "stage": stage.value,
        "owner_email": _rep_email(draft.owner.name) if draft.owner else None,
        "created_at": created_at,
        "updated_at": created_at,
        "last_contacted_at": last_contacted_at,
        "notes": draft.notes,
        "converted": None,
        "converted_at": None,
    }
