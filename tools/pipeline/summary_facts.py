"""The facts of a lead summary, the one input of both the template and the LLM: the models, and
`gather_facts`, which reads everything from the store in one read-only session (the lead, its
activities, its score breakdown, the latest routing decision, similar closed accounts from the
semantic index, the conversion model's probability when one is trained).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.assignments import lead_assignments
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Assignment, Lead
from leadpilot.memory.vocab import ActivityKind, Direction, industry_label, segment_of
from leadpilot.settings import Settings
from leadpilot.tools.pipeline.summary_template import _SIGNAL_ORDER, SummaryTemplate, load_summary_template
from leadpilot.tools.scoring import top_reasons

WHY_NOW_DAYS = 30  # the "recent activity" window
SIMILAR_NEIGHBOURS = 5  # closed accounts counted; the closest three are named
BUSINESS_HOURS = (9, 17)  # local, Monday to Friday: when a hot lead gets a call
# Lead-entered text is quoted, never whole: a long note cannot crowd out the facts.
NOTES_CHARS, DESCRIPTION_CHARS, REASON_CHARS, DETAIL_CHARS = 160, 140, 200, 40


class ContactFacts(BaseModel):
    name: str | None
    title: str | None
    seniority: str | None  # from enrichment only
    department: str | None
    email: str | None
    phone: str | None


class CompanyFacts(BaseModel):
    name: str | None
    industry: str | None
    employees: int | None
    segment: str | None
    location: str | None
    website: str | None
    description: str | None  # from enrichment
    existing_customer: bool | None
    account_lead_id: int | None


class LatestActivity(BaseModel):
    kind: str  # a noun key: pricing, form_submit, email_opened...
    detail: str | None  # page path, form name
    when: str  # "2 hours ago"


class WhyNowFacts(BaseModel):
    source: str
    created: str  # "3 days ago"
    window_days: int
    recent_activity: dict[str, int]  # noun key -> count, strongest signal first
    form_names: list[str]
    latest_activity: LatestActivity | None
    last_contacted: str | None  # None: never
    notes: str | None


class ScoreFacts(BaseModel):
    score: int | None  # None: not scored yet
    cap: int
    tier: str | None
    hot_from: int | None
    warm_from: int | None
    top_reasons: list[str]
    axes: str | None = None  # fit × engagement policies: "fit 78 (A), engagement 11 (level 4): cell A4"
    story: str | None = None  # rule tier and model probability apart: "hot on rules, 6% by the model (low priority): ..."


class SimilarAccount(BaseModel):
    company: str
    outcome: Literal["won", "lost"]
    similarity: float


class SimilarFacts(BaseModel):
    status: Literal["ok", "none", "unavailable"]
    why: str | None = None  # status unavailable
    indexed: int | None = None
    won: int = 0
    lost: int = 0
    accounts: list[SimilarAccount] = Field(default_factory=list)


class OwnerFacts(BaseModel):
    status: Literal["routed", "queue", "manual", "unassigned"]
    name: str | None = None
    email: str | None = None
    rule: str | None = None  # in words: "rule 'dach'", "account match"
    routed_at: str | None = None
    reason: str | None = None
    queue: str | None = None


class ConversionFacts(BaseModel):
    probability: str  # "62%"
    priority: str
    confidence: str
    model: str
    value: float = Field(exclude=True)  # the probability itself, for the lead's record (not shown to the LLM)


class NextStepFacts(BaseModel):
    tier: str | None
    time_zone: str | None
    local_time: str | None  # "Fri 10:05"
    in_business_hours: bool | None
    next_business_open: str | None  # "Mon 23 Nov 09:00"
    has_phone: bool
    hook: str  # what a warm email picks up on
    conversion: ConversionFacts | None
    conversion_unavailable: str | None


class SummaryFacts(BaseModel):
    lead_id: int
    contact: ContactFacts
    company: CompanyFacts
    why_now: WhyNowFacts
    score: ScoreFacts
    similar_accounts: SimilarFacts
    owner: OwnerFacts
    next_step: NextStepFacts


def _clip(text: str | None, limit: int) -> str | None:
    """Whitespace folded, cut at `limit` characters with an ellipsis; None for empty text."""
    if text is None:
        return None
    folded = " ".join(str(text).split())
    if not folded:
        return None
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


def _ago(then: datetime, now: datetime) -> str:
    seconds = max((utc(now) - utc(then)).total_seconds(), 0)
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def _enriched(lead: Lead) -> dict[str, Any]:
    """Enrichment values by field name (lead.enrichment as tools/enrichment/lookup.py saves it)."""
    fields = (lead.enrichment or {}).get("fields") or {}
    return {name: item.get("value") for name, item in fields.items() if isinstance(item, dict)}


def _bare_url(url: Any) -> str | None:
    """"https://www.acme.com/" -> "www.acme.com": readable, and not a link."""
    return re.sub(r"^[a-z]+://", "", url.strip(), flags=re.IGNORECASE).rstrip("/") if isinstance(url, str) else None


def _contact(lead: Lead, enriched: dict[str, Any]) -> ContactFacts:
    return ContactFacts(
        name=_clip(lead.contact_name, 120), title=_clip(lead.job_title, 120),
        seniority=_clip(enriched.get("seniority"), 40), department=_clip(enriched.get("department"), 40),
        email=lead.email, phone=lead.phone,
    )


def _company(lead: Lead, enriched: dict[str, Any]) -> CompanyFacts:
    industry = lead.industry or enriched.get("industry")
    employees = lead.company_size if lead.company_size is not None else enriched.get("company_size")
    employees = employees if isinstance(employees, int) else None
    place = [lead.city or enriched.get("city"), lead.state, lead.country or enriched.get("country")]
    customer = enriched.get("existing_customer")
    return CompanyFacts(
        name=_clip(lead.company or enriched.get("company_name"), 120),
        industry=industry_label(industry) or None,
        employees=employees,
        segment=segment_of(employees),
        location=", ".join(str(p) for p in place if p) or None,
        website=_clip(_bare_url(lead.website or lead.domain or enriched.get("website") or enriched.get("domain")), 120),
        description=_clip(enriched.get("description"), DESCRIPTION_CHARS),
        existing_customer=customer if isinstance(customer, bool) else None,
        account_lead_id=enriched.get("account_lead_id") if isinstance(enriched.get("account_lead_id"), int) else None,
    )


def _noun_key(activity: Activity) -> str | None:
    """What an activity counts as in "why now"; None when it is not the lead engaging."""
    if activity.kind == ActivityKind.MEETING.value:
        return "meeting"  # booked by either side, a meeting is engagement
    if activity.direction != Direction.INBOUND.value:
        return None
    if activity.kind == ActivityKind.PAGE_VIEW.value:
        return "pricing" if "pricing" in (activity.detail or "").lower() else "page_view"
    if activity.kind in {"email_opened", "email_clicked", "form_submit", "call"}:
        return activity.kind
    return None


def _why_now(lead: Lead, activities: list[Activity], *, now: datetime) -> WhyNowFacts:
    since = utc(now) - timedelta(days=WHY_NOW_DAYS)
    counts: dict[str, int] = {}
    forms: list[str] = []
    latest: tuple[Activity, str] | None = None
    for activity in activities:  # oldest first
        key = _noun_key(activity)
        if key is None or not since <= utc(activity.occurred_at) <= utc(now):
            continue
        counts[key] = counts.get(key, 0) + 1
        if key == "form_submit" and activity.detail and (name := _clip(activity.detail, DETAIL_CHARS)) not in forms:
            forms.append(name)
        latest = (activity, key)
    latest_facts = None
    if latest is not None:
        activity, key = latest
        latest_facts = LatestActivity(kind=key, detail=_clip(activity.detail, DETAIL_CHARS), when=_ago(activity.occurred_at, now))
    return WhyNowFacts(
        source=lead.source,
        created=_ago(lead.created_at, now),
        window_days=WHY_NOW_DAYS,
        recent_activity={key: counts[key] for key in _SIGNAL_ORDER if key in counts},
        form_names=forms[:2],
        latest_activity=latest_facts,
        last_contacted=_ago(lead.last_contacted_at, now) if lead.last_contacted_at else None,
        notes=_clip(lead.notes, NOTES_CHARS),
    )


def _score(lead: Lead, conversion: ConversionFacts | None = None) -> ScoreFacts:
    from leadpilot.tools.scoring import axes_sentence, rules_and_model

    breakdown = lead.score_breakdown or {}
    tiers = breakdown.get("tiers") or {}
    story = None
    if conversion is not None:
        story = rules_and_model(tier=lead.tier, breakdown=breakdown, probability=conversion.value, priority=conversion.priority)
    return ScoreFacts(
        score=lead.score, cap=int(breakdown.get("total_cap") or 100), tier=lead.tier,
        hot_from=tiers.get("hot"), warm_from=tiers.get("warm"), top_reasons=top_reasons(breakdown, limit=3),
        axes=axes_sentence(breakdown), story=story,
    )


def _similar(session: Session, *, index: Any, problem: str | None, lead: Lead, now: datetime) -> SimilarFacts:
    """Closed accounts whose text is closest to this lead's, with their outcomes (never invented:
    an unavailable or empty index says so), among the leads its owner may see (the summary is
    theirs: other reps' accounts are not named; an unassigned lead's summary, which every rep may
    read, counts them without naming them)."""
    from leadpilot.memory.embeddings import EmbedderError
    from leadpilot.memory.vectors import VectorStoreError
    from leadpilot.tools.leads import Viewer
    from leadpilot.tools.semantic import SYSTEM_VIEWER, lead_text, similar_accounts_with_outcomes

    owner = lead.owner
    viewer = SYSTEM_VIEWER if owner is None else Viewer(
        email=owner.email, rep_id=owner.id, role=owner.role if owner.role in ("admin", "manager") else "rep")

    if index is None:
        return SimilarFacts(status="unavailable", why=problem)
    try:
        indexed = index.store.count()
        if indexed == 0:
            return SimilarFacts(status="unavailable", why="the semantic index is empty (run leadpilot reindex)")
        # By the lead's stored vector when it is indexed (the pipeline indexes before it summarises: no
        # second embedding), else by its text, so a lead not indexed yet still finds its neighbours.
        if index.store.vectors([lead.id]):
            found = similar_accounts_with_outcomes(session, index=index, lead_id=lead.id, viewer=viewer,
                                                   now=now, limit=SIMILAR_NEIGHBOURS + 1)
        else:
            found = similar_accounts_with_outcomes(session, index=index, text=lead_text(lead), viewer=viewer,
                                                   now=now, limit=SIMILAR_NEIGHBOURS + 1)
    except (VectorStoreError, EmbedderError) as error:
        return SimilarFacts(status="unavailable", why=f"the semantic index could not be searched ({_clip(str(error), 160)})")
    rows = [row for row in found.leads if row["id"] != lead.id][:SIMILAR_NEIGHBOURS]
    if not rows:
        return SimilarFacts(status="none", indexed=indexed)
    won = sum(1 for row in rows if row.get("converted"))
    return SimilarFacts(
        status="ok", indexed=indexed, won=won, lost=len(rows) - won,
        # An unassigned lead is seen by every rep: its neighbours are counted, not named.
        accounts=[SimilarAccount(company=(_clip(row.get("company"), 80) or f"lead {row['id']}") if owner is not None
                                 else "an account (not named until the lead has an owner)",
                                 outcome="won" if row.get("converted") else "lost", similarity=row["similarity"])
                  for row in rows],
    )


def _rule_words(assignment: Assignment) -> str:
    from leadpilot.tools.routing import ACCOUNT_RULE, FALLBACK_RULE

    if assignment.rule == ACCOUNT_RULE:
        return "account match"
    if assignment.rule == FALLBACK_RULE:
        return "the fallback rule"
    if assignment.rule == "manual" or assignment.actor != "system":
        return f"hand ({assignment.actor})"
    return f"rule '{assignment.rule}'" if assignment.rule else "routing"


def _owner(session: Session, lead: Lead) -> OwnerFacts:
    assignments = lead_assignments(session, lead_id=lead.id)
    latest = assignments[0] if assignments else None
    owner = lead.owner
    if latest is not None and (latest.rep_id or None) == (lead.owner_id or None):
        common = {"rule": _rule_words(latest), "routed_at": latest.assigned_at.strftime("%Y-%m-%d %H:%M UTC"),
                  "reason": _clip(latest.reason, REASON_CHARS)}
        if latest.rep is not None:
            return OwnerFacts(status="routed", name=latest.rep.name, email=latest.rep.email, **common)
        decision = next((e for e in latest.candidates or [] if isinstance(e, dict) and e.get("kind") == "decision"), {})
        return OwnerFacts(status="queue", queue=decision.get("queue") or "unassigned", **common)
    if owner is not None:
        return OwnerFacts(status="manual", name=owner.name, email=owner.email)
    return OwnerFacts(status="unassigned")


def _lead_zone(lead: Lead, enriched: dict[str, Any]) -> ZoneInfo | None:
    """Enrichment's time zone, else the likely zone of the lead's country (and US state)."""
    from leadpilot.tools.prediction import local_zone

    if isinstance(enriched.get("time_zone"), str):
        try:
            return ZoneInfo(enriched["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return local_zone(lead.country or enriched.get("country"), lead.state)


def _next_open(local: datetime) -> datetime:
    """`local` itself inside business hours, else the next start of business hours (local, aware)."""
    start, end = BUSINESS_HOURS
    if local.weekday() < 5 and start <= local.hour < end:
        return local
    day = local.replace(hour=start, minute=0, second=0, microsecond=0)
    if day <= local:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _hook(why: WhyNowFacts, contact: ContactFacts, company: CompanyFacts, template: SummaryTemplate) -> str:
    """What a warm lead's email picks up on: the strongest recent signal, else the title or company."""
    if why.recent_activity:
        return template.say(f"hook.{next(iter(why.recent_activity))}")
    if contact.title:
        return template.say("hook.title", title=contact.title)
    return template.say("hook.company", company=company.name) if company.name else template.say("hook.none")


def _conversion(session: Session, *, model: Any, lead_id: int, now: datetime) -> ConversionFacts:
    """The model's probability, priority tier and confidence, as `predict_conversion` gives them (not recorded)."""
    from leadpilot.tools.prediction import predict_lead

    prediction = predict_lead(session, lead_id=lead_id, model=model, now=now, record=False)
    shown = f"{prediction.probability:.0%}" if prediction.probability >= 0.005 else "under 1%"
    return ConversionFacts(probability=shown, priority=prediction.tier, confidence=prediction.confidence_label,
                           model=prediction.model_version, value=prediction.probability)


def _open_index(db: Database, settings: Settings) -> tuple[Any, str | None]:
    from leadpilot.memory.embeddings import EmbedderError
    from leadpilot.memory.vectors import VectorStoreError
    from leadpilot.tools.semantic import semantic_index

    try:
        return semantic_index(db, settings), None
    except (VectorStoreError, EmbedderError, OSError) as error:
        return None, f"the semantic index is unavailable ({_clip(str(error), 160)})"


def _open_model(db: Database, settings: Settings) -> tuple[Any, str | None]:
    """The newest conversion model, kept in `db.cache` until a newer one is trained (loading the
    artifact costs far more than a summary)."""
    from leadpilot.tools.prediction import ModelNotFoundError, latest_model_version, load_model

    with db.session() as session:
        row = latest_model_version(session)
    if row is None:
        return None, "no conversion model has been trained yet; run `leadpilot train`"
    key = (row.version, row.artifact_sha256, str(settings.data_dir))
    cached = db.cache.get("lead_summary_model")
    if cached is None or cached[0] != key:
        try:
            cached = (key, load_model(row, settings.data_dir))
        except ModelNotFoundError as error:
            return None, str(error)
        db.cache["lead_summary_model"] = cached
    return cached[1], None


def gather_facts(db: Database, *, lead_id: int, now: datetime, settings: Settings, template: SummaryTemplate | None = None) -> SummaryFacts:
    """Everything the summary says about a lead, read in one read-only session."""
    template = template or load_summary_template()
    index, index_problem = _open_index(db, settings)
    model, model_problem = _open_model(db, settings)
    with db.read_only(timeout_ms=settings.query_timeout_ms) as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LookupError(f"There is no lead {lead_id}: summarise a lead id that exists in the store.")
        activities = list(session.scalars(
            select(Activity).where(Activity.lead_id == lead_id).order_by(Activity.occurred_at, Activity.id)))
        enriched = _enriched(lead)
        contact, company = _contact(lead, enriched), _company(lead, enriched)
        why_now = _why_now(lead, activities, now=now)
        conversion, conversion_problem = None, model_problem
        if model is not None:
            try:
                conversion = _conversion(session, model=model, lead_id=lead_id, now=now)
            except (LookupError, ValueError) as error:
                conversion_problem = f"the conversion model could not score this lead ({_clip(str(error), 160)})"
        zone = _lead_zone(lead, enriched)
        local = utc(now).astimezone(zone) if zone else None
        opens = _next_open(local) if local else None
        return SummaryFacts(
            lead_id=lead.id, contact=contact, company=company, why_now=why_now, score=_score(lead, conversion),
            similar_accounts=_similar(session, index=index, problem=index_problem, lead=lead, now=now),
            owner=_owner(session, lead),
            next_step=NextStepFacts(
                tier=lead.tier, time_zone=zone.key if zone else None,
                local_time=local.strftime("%a %H:%M") if local else None,
                in_business_hours=(opens == local) if local else None,
                next_business_open=opens.strftime("%a %d %b %H:%M") if opens and opens != local else None,
                has_phone=bool(lead.phone), hook=_hook(why_now, contact, company, template),
                conversion=conversion, conversion_unavailable=None if conversion else conversion_problem,
            ),
        )
