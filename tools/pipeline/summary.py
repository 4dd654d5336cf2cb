"""Lead summaries for the rep: 6-8 bullets on who, the company, why now, the score, similar past
accounts, the owner and the suggested next step.

`gather_facts` reads everything from the store in one read-only session (the lead, its activities,
its score breakdown, the latest routing decision, similar closed accounts from the semantic index,
the conversion model's probability when one is trained). `render_template` words those facts with
prompts/lead_summary_template.md: deterministic and offline. With an OpenAI-compatible LLM
configured, prompts/lead_summary.md plus the same facts as delimited JSON go to the model, and its
answer is checked (6-8 plain-text bullets, length caps, no number that is not in the facts);
anything wrong, or the LLM down or slow, gives the template summary with the reason.
"""

from __future__ import annotations

import json
import logging
import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
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
from leadpilot.tools.scoring import top_reasons

log = logging.getLogger(__name__)

WHY_NOW_DAYS = 30  # the "recent activity" window
SIMILAR_NEIGHBOURS = 5  # closed accounts counted; the closest three are named
SIMILAR_NAMED = 3
BUSINESS_HOURS = (9, 17)  # local, Monday to Friday: when a hot lead gets a call
MIN_BULLETS, MAX_BULLETS = 6, 8
MAX_BULLET_CHARS = 300
# Lead-entered text is quoted, never whole: a long note cannot crowd out the facts.
NOTES_CHARS, DESCRIPTION_CHARS, REASON_CHARS, DETAIL_CHARS = 160, 140, 200, 40

TEMPLATE_FILE = "lead_summary_template.md"
PROMPT_FILE = "lead_summary.md"
FACTS_OPEN, FACTS_CLOSE = "<lead_facts>", "</lead_facts>"


class LeadSummary(BaseModel):
    """What the rep reads about a routed lead, and where the wording came from."""

    lead_id: int
    bullets: list[str] = Field(min_length=MIN_BULLETS, max_length=MAX_BULLETS)
    source: Literal["llm", "template"]
    model: str | None = Field(None, description="The LLM that wrote the bullets (source llm).")
    fallback_reason: str | None = Field(None, description="Why the configured LLM was not used.")
    generated_at: datetime
    conversion_probability: float | None = Field(
        None, description="The conversion model's probability behind the summary (None: no model trained).")
    conversion_model: str | None = None


# ---------------------------------------------------------------------------------------------
# The facts: the one input of both the template and the LLM


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


# Strongest buying signal first: the order of the activity list and of a warm email's hook.
_SIGNAL_ORDER = ("pricing", "form_submit", "meeting", "call", "email_clicked", "email_opened", "page_view")


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


def _score(lead: Lead) -> ScoreFacts:
    breakdown = lead.score_breakdown or {}
    tiers = breakdown.get("tiers") or {}
    return ScoreFacts(
        score=lead.score, cap=int(breakdown.get("total_cap") or 100), tier=lead.tier,
        hot_from=tiers.get("hot"), warm_from=tiers.get("warm"), top_reasons=top_reasons(breakdown, limit=3),
    )


def _similar(session: Session, *, index: Any, problem: str | None, lead: Lead, now: datetime) -> SimilarFacts:
    """Closed accounts whose text is closest to this lead's, with their outcomes (never invented:
    an unavailable or empty index says so)."""
    from leadpilot.memory.embeddings import EmbedderError
    from leadpilot.memory.vectors import VectorStoreError
    from leadpilot.tools.semantic import SYSTEM_VIEWER, lead_text, similar_accounts_with_outcomes

    if index is None:
        return SimilarFacts(status="unavailable", why=problem)
    try:
        indexed = index.store.count()
        if indexed == 0:
            return SimilarFacts(status="unavailable", why="the semantic index is empty (run leadpilot reindex)")
        # By the lead's stored vector when it is indexed (the pipeline indexes before it summarises: no
        # second embedding), else by its text, so a lead not indexed yet still finds its neighbours.
        if index.store.vectors([lead.id]):
            found = similar_accounts_with_outcomes(session, index=index, lead_id=lead.id, viewer=SYSTEM_VIEWER,
                                                   now=now, limit=SIMILAR_NEIGHBOURS + 1)
        else:
            found = similar_accounts_with_outcomes(session, index=index, text=lead_text(lead), viewer=SYSTEM_VIEWER,
                                                   now=now, limit=SIMILAR_NEIGHBOURS + 1)
    except (VectorStoreError, EmbedderError) as error:
        return SimilarFacts(status="unavailable", why=f"the semantic index could not be searched ({_clip(str(error), 160)})")
    rows = [row for row in found.leads if row["id"] != lead.id][:SIMILAR_NEIGHBOURS]
    if not rows:
        return SimilarFacts(status="none", indexed=indexed)
    won = sum(1 for row in rows if row.get("converted"))
    return SimilarFacts(
        status="ok", indexed=indexed, won=won, lost=len(rows) - won,
        accounts=[SimilarAccount(company=_clip(row.get("company"), 80) or f"lead {row['id']}",
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
            lead_id=lead.id, contact=contact, company=company, why_now=why_now, score=_score(lead),
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


# ---------------------------------------------------------------------------------------------
# The template: wording from prompts/lead_summary_template.md


class SummaryTemplateError(ValueError):
    """The summary template file is broken; the message names the file, the line or key, and the fix."""


# Every key of the template file and the placeholders it may use.
_TEMPLATE_KEYS: dict[str, frozenset[str]] = {key: frozenset(names) for key, names in {
    "who": {"contact", "title"}, "who.no_title": {"contact"}, "who.level": {"level"},
    "who.reach": {"reach"}, "who.no_reach": set(),
    "company": {"company", "profile"}, "company.bare": {"company"}, "company.description": {"description"},
    "company.customer": {"account_lead_id"}, "company.account": {"account_lead_id"},
    "why_now": {"source", "created"}, "why_now.activity": {"days", "activity", "latest"}, "why_now.quiet": {"days"},
    "why_now.contacted": {"contacted"}, "why_now.never_contacted": set(), "why_now.notes": {"notes"},
    **{f"noun.{key}": set() for key in _SIGNAL_ORDER},
    "score": {"score", "cap", "tier", "hot", "warm"}, "score.no_tiers": {"score", "cap", "tier"}, "score.reasons": {"reasons"}, "score.unscored": set(),
    "similar": {"won", "total", "accounts"}, "similar.none": {"indexed"}, "similar.unavailable": {"why"},
    "owner": {"owner", "rule", "at", "reason"}, "owner.queue": {"queue", "rule", "at", "reason"},
    "owner.manual": {"owner"}, "owner.unassigned": set(),
    "next.hot.in_hours": {"contact", "local_time", "zone"}, "next.hot.after_hours": {"contact", "next_open", "zone", "local_time"},
    "next.hot.no_zone": {"contact"}, "next.hot.no_phone": set(), "next.warm": {"contact", "hook"},
    "next.cold": {"contact"}, "next.unscored": set(),
    **{f"hook.{key}": set() for key in _SIGNAL_ORDER}, "hook.title": {"title"}, "hook.company": {"company"}, "hook.none": set(),
    "next.probability": {"model", "probability", "priority", "confidence"},
}.items()}


@dataclass(frozen=True)
class SummaryTemplate:
    """The wording of the template summary: text per key, checked against _TEMPLATE_KEYS."""

    path: str
    texts: dict[str, str]

    def say(self, key: str, **values: Any) -> str:
        return self.texts[key].format(**values)

    def count(self, noun: str, count: int) -> str:
        """"3 pricing page visits" from the key's singular|plural."""
        singular, plural = self.texts[f"noun.{noun}"].split("|", 1)
        return f"{count} {singular.strip() if count == 1 else plural.strip()}"

    def singular(self, noun: str) -> str:
        return self.texts[f"noun.{noun}"].split("|", 1)[0].strip()


def parse_summary_template(text: str, *, path: str) -> SummaryTemplate:
    """Parse and check `key = text` lines; errors name the file, the line or key, and the fix."""
    texts: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        where = f"{path}, line {number}"
        if not equals or not key:
            raise SummaryTemplateError(f"{where}: {line!r} is not `key = text`; write it as e.g. `who = Who: {{contact}}.`")
        if key not in _TEMPLATE_KEYS:
            raise SummaryTemplateError(f"{where}: unknown key {key!r}; the keys are: {', '.join(_TEMPLATE_KEYS)}")
        if key in texts:
            raise SummaryTemplateError(f"{where}: {key!r} is given twice; keep one")
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise SummaryTemplateError(f"{where}: {key!r} has a broken placeholder ({error}); write placeholders as {{name}} and double {{{{ }}}} for literal braces") from None
        if unknown := used - _TEMPLATE_KEYS[key]:
            allowed = ", ".join(f"{{{name}}}" for name in sorted(_TEMPLATE_KEYS[key])) or "none"
            raise SummaryTemplateError(f"{where}: {key!r} uses {', '.join(f'{{{n}}}' for n in sorted(unknown))}, which it cannot; it may use: {allowed}")
        if key.startswith("noun.") and "|" not in value:
            raise SummaryTemplateError(f"{where}: {key!r} needs `singular|plural`, e.g. `meeting|meetings`")
        texts[key] = value
    if missing := [key for key in _TEMPLATE_KEYS if key not in texts]:
        raise SummaryTemplateError(f"{path}: missing key(s) {', '.join(missing)}; add a `key = text` line for each")
    return SummaryTemplate(path=path, texts=texts)


@lru_cache(maxsize=4)
def load_summary_template(path: Path | None = None) -> SummaryTemplate:
    """The template file shipped in prompts/ (or `path`), parsed and checked once."""
    resource = files("leadpilot.prompts").joinpath(TEMPLATE_FILE) if path is None else path
    return parse_summary_template(resource.read_text(encoding="utf-8"), path=str(path or f"prompts/{TEMPLATE_FILE}"))


def _sentences(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def _who(f: SummaryFacts, t: SummaryTemplate) -> str:
    c = f.contact
    contact = c.name or c.email or "Unnamed contact"
    level = " in ".join(part for part in (c.seniority, c.department) if part)
    reach = ", ".join(part for part in (c.email, c.phone) if part)
    return _sentences(
        t.say("who", contact=contact, title=c.title) if c.title else t.say("who.no_title", contact=contact),
        t.say("who.level", level=level) if level else None,
        t.say("who.reach", reach=reach) if reach else t.say("who.no_reach"),
    )


def _company_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    c = f.company
    size = None
    if c.employees is not None:
        size = f"{c.employees:,} employees" + (f" ({c.segment})" if c.segment else "")
    profile = ", ".join(part for part in (c.industry, size, c.location, c.website) if part)
    name = c.name or "Unnamed company"
    account = None
    if c.account_lead_id is not None:
        account = t.say("company.customer" if c.existing_customer else "company.account", account_lead_id=c.account_lead_id)
    return _sentences(
        t.say("company", company=name, profile=profile) if profile else t.say("company.bare", company=name),
        t.say("company.description", description=c.description) if c.description else None,
        account,
    )


def _why_now_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    w = f.why_now
    activity = None
    if w.recent_activity:
        parts = []
        for key, count in w.recent_activity.items():
            forms = f" ({', '.join(w.form_names)})" if key == "form_submit" and w.form_names else ""
            parts.append(t.count(key, count) + forms)
        last = w.latest_activity
        latest = f"{t.singular(last.kind)}{f' ({last.detail})' if last.detail else ''} {last.when}" if last else ""
        activity = t.say("why_now.activity", days=w.window_days, activity=", ".join(parts), latest=latest)
    return _sentences(
        t.say("why_now", source=w.source, created=w.created),
        activity or t.say("why_now.quiet", days=w.window_days),
        t.say("why_now.contacted", contacted=w.last_contacted) if w.last_contacted else t.say("why_now.never_contacted"),
        t.say("why_now.notes", notes=w.notes) if w.notes else None,
    )


def _score_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    s = f.score
    if s.score is None:
        return t.say("score.unscored")
    if s.hot_from is None or s.warm_from is None:  # a score from outside the policy (e.g. imported)
        head = t.say("score.no_tiers", score=s.score, cap=s.cap, tier=s.tier or "no tier")
    else:
        head = t.say("score", score=s.score, cap=s.cap, tier=s.tier, hot=s.hot_from, warm=s.warm_from)
    return _sentences(
        head,
        t.say("score.reasons", reasons="; ".join(s.top_reasons)) if s.top_reasons else None,
    )


def _similar_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    s = f.similar_accounts
    if s.status == "unavailable":
        return t.say("similar.unavailable", why=s.why or "the semantic index is unavailable")
    if s.status == "none":
        return t.say("similar.none", indexed=f"{s.indexed:,}")
    named = ", ".join(list(dict.fromkeys(f"{a.company} {a.outcome}" for a in s.accounts))[:SIMILAR_NAMED])
    return t.say("similar", won=s.won, total=s.won + s.lost, accounts=named)


def _owner_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    o = f.owner
    if o.status == "routed":
        return t.say("owner", owner=f"{o.name} ({o.email})", rule=o.rule, at=o.routed_at, reason=o.reason)
    if o.status == "queue":
        return t.say("owner.queue", queue=o.queue, rule=o.rule, at=o.routed_at, reason=o.reason)
    if o.status == "manual":
        return t.say("owner.manual", owner=f"{o.name} ({o.email})")
    return t.say("owner.unassigned")


def _next_bullet(f: SummaryFacts, t: SummaryTemplate) -> str:
    n = f.next_step
    contact = f.contact.name or "them"
    if n.tier == "hot":
        if n.time_zone is None:
            step = t.say("next.hot.no_zone", contact=contact)
        elif n.in_business_hours:
            step = t.say("next.hot.in_hours", contact=contact, local_time=n.local_time, zone=n.time_zone)
        else:
            step = t.say("next.hot.after_hours", contact=contact, next_open=n.next_business_open, zone=n.time_zone,
                         local_time=n.local_time)
        step = _sentences(step, None if n.has_phone else t.say("next.hot.no_phone"))
    elif n.tier == "warm":
        step = t.say("next.warm", contact=contact, hook=n.hook)
    elif n.tier == "cold":
        step = t.say("next.cold", contact=contact)
    else:
        step = t.say("next.unscored")
    c = n.conversion
    return _sentences(step, t.say("next.probability", model=c.model, probability=c.probability, priority=c.priority,
                                  confidence=c.confidence) if c else None)


def render_template(facts: SummaryFacts, *, template: SummaryTemplate) -> list[str]:
    """The deterministic summary: one bullet per part (7 bullets)."""
    parts = (_who, _company_bullet, _why_now_bullet, _score_bullet, _similar_bullet, _owner_bullet, _next_bullet)
    return [part(facts, template) for part in parts]


# ---------------------------------------------------------------------------------------------
# The LLM: the same facts as delimited data, the answer checked


class SummaryLLMError(RuntimeError):
    """The LLM could not give a usable summary; the message is the fallback reason."""


def facts_message(facts: SummaryFacts, *, next_step: str) -> str:
    """The user message: the facts as JSON between the delimiters. `<` and `>` are escaped inside
    the JSON (still the same JSON), so no text in a lead can close the block early."""
    payload = facts.model_dump(mode="json")
    payload["next_step"]["action"] = next_step
    data = json.dumps(payload, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{FACTS_OPEN}\n{data}\n{FACTS_CLOSE}"


_BULLET = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+(.*)$")
_MARKUP = re.compile(r"```|\]\(|</?[A-Za-z][^>]*>|^#")
_NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")


def check_llm_bullets(text: str, *, facts_text: str) -> list[str]:
    """The bullets of an LLM answer, or SummaryLLMError saying what is wrong with it.

    Accepted: 6-8 lines starting with "- " (or "* ", "•", "1."), plain text (bold markers are
    dropped; headings, links, HTML and code are refused), at most MAX_BULLET_CHARS each, and every
    number of two or more digits present in the facts (a number the facts do not hold is invented).
    """
    bullets: list[str] = []
    for number, raw in enumerate(text.strip().splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _BULLET.match(line)
        if match is None:
            raise SummaryLLMError(f"the LLM's answer is not a bullet list (line {number}: {_clip(line, 60)!r})")
        bullet = match.group(1).replace("**", "").replace("__", "").strip()
        if _MARKUP.search(bullet):
            raise SummaryLLMError(f"the LLM's bullet {len(bullets) + 1} is not plain text ({_clip(bullet, 60)!r})")
        if len(bullet) > MAX_BULLET_CHARS:
            raise SummaryLLMError(f"the LLM's bullet {len(bullets) + 1} has {len(bullet)} characters (at most {MAX_BULLET_CHARS})")
        if any(ord(ch) < 32 for ch in bullet):
            raise SummaryLLMError(f"the LLM's bullet {len(bullets) + 1} holds control characters")
        if bullet:
            bullets.append(bullet)
    if not MIN_BULLETS <= len(bullets) <= MAX_BULLETS:
        raise SummaryLLMError(f"the LLM gave {len(bullets)} bullets (need {MIN_BULLETS} to {MAX_BULLETS})")
    known = facts_text.replace(",", "")
    for bullet in bullets:
        for found in _NUMBER.findall(bullet):
            digits = found.replace(",", "")
            if len(digits.replace(".", "")) >= 2 and digits not in known:
                raise SummaryLLMError(f"the LLM's summary has a number that is not in the facts ({found!r} in {_clip(bullet, 80)!r})")
    return bullets


def _ask_llm(settings: Settings, *, system: str, user: str) -> tuple[str, str]:
    """(answer text, model name) from the OpenAI-compatible endpoint: one try, a short timeout."""
    import openai

    if not settings.openai_api_key:
        raise SummaryLLMError("the LLM backend is openai but OPENAI_API_KEY is not set (any value for a local server)")
    client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                           timeout=settings.summary_timeout_s, max_retries=0)
    where = settings.openai_base_url or "the OpenAI API"
    try:
        response = client.chat.completions.create(
            model=settings.model, temperature=0, max_tokens=900,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        )
    except openai.APITimeoutError:
        raise SummaryLLMError(f"the LLM at {where} did not answer within {settings.summary_timeout_s:g} s (LEADPILOT_SUMMARY_TIMEOUT_S)") from None
    except openai.APIConnectionError as error:
        raise SummaryLLMError(f"the LLM at {where} is unreachable ({_clip(str(error.__cause__ or error), 120)})") from None
    except openai.APIStatusError as error:
        detail = error.body.get("message") if isinstance(error.body, dict) else None  # the server's own words
        raise SummaryLLMError(f"the LLM at {where} answered HTTP {error.status_code} ({_clip(detail or error.message, 120)})") from None
    except openai.OpenAIError as error:
        raise SummaryLLMError(f"the LLM call failed ({_clip(str(error), 120)})") from None
    finally:
        client.close()
    choice = response.choices[0] if response.choices else None
    content = choice.message.content if choice is not None else None
    if not content or not content.strip():
        raise SummaryLLMError("the LLM gave an empty answer")
    return content, response.model or settings.model


def summarize_lead(db: Database, *, lead_id: int, now: datetime, settings: Settings) -> LeadSummary:
    """The rep's summary of a lead: by the LLM when one is configured and answers well, else the
    template (then `fallback_reason` says why the LLM was not used). Reads only."""
    template = load_summary_template()
    facts = gather_facts(db, lead_id=lead_id, now=now, settings=settings, template=template)
    bullets = render_template(facts, template=template)
    conversion = facts.next_step.conversion
    made = {"lead_id": lead_id, "generated_at": now, "conversion_probability": conversion.value if conversion else None,
            "conversion_model": conversion.model if conversion else None}
    if settings.effective_llm_backend != "openai":
        return LeadSummary(bullets=bullets, source="template", **made)
    user = facts_message(facts, next_step=bullets[-1])
    system = files("leadpilot.prompts").joinpath(PROMPT_FILE).read_text(encoding="utf-8")
    try:
        answer, model = _ask_llm(settings, system=system, user=user)
        llm_bullets = check_llm_bullets(answer, facts_text=user)
    except SummaryLLMError as error:
        log.warning("lead %s: template summary instead of the LLM's: %s", lead_id, error)
        return LeadSummary(bullets=bullets, source="template", fallback_reason=str(error), **made)
    return LeadSummary(bullets=llm_bullets, source="llm", model=model, **made)


# ---------------------------------------------------------------------------------------------
# Rendering for Slack and the web chat

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def summary_text(summary: LeadSummary, *, style: Literal["markdown", "slack"] = "markdown") -> str:
    """The bullets as a list: Markdown (lead text escaped, so a note cannot add links or formatting),
    or Slack mrkdwn (`&`, `<`, `>` escaped as Slack requires)."""
    if style == "slack":
        escape = lambda text: text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
        return "\n".join(f"• {escape(bullet)}" for bullet in summary.bullets)
    return "\n".join("- " + _MARKDOWN_SPECIAL.sub(r"\\\1", bullet) for bullet in summary.bullets)
