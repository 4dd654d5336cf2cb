"""Ingest what a discovery provider found: validate, filter by the criteria, de-duplicate, store, score.

Runs inside the caller's transaction (tools/discovery/campaigns.py holds the claim and commits). Each
company is validated as a lead record (memory/lead_record.validate_lead: its source is "outbound"
unless the company's record names one, kept as given; channel, seniority and department are
derived), checked against the
criteria, matched against stored leads (the contact's email, then tools/dedup.match_account:
domain, normalised and fuzzy company name, customers first) and, when new, inserted at stage
DISCOVERY (memory/leads.upsert_leads) with an audit event naming the campaign and why it fits.
Every company ends up new, a duplicate (of a customer or a lead) or rejected with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.company_names import company_key
from leadpilot.memory.lead_record import LeadValidationError, ValidatedLead, validate_lead
from leadpilot.memory.leads import find_leads, upsert_leads
from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import Stage
from leadpilot.tools.leads import COMPANY_FUZZY_CUTOFF, match_account, probe_for
from leadpilot.tools.discovery.company import DiscoveredCompany, Discovery, Rejection
from leadpilot.tools.discovery.criteria import CampaignCriteria
from leadpilot.tools.enrichment import normalise_domain
from leadpilot.tools.scoring import rescore_leads

SOURCE = "outbound"  # we went looking for them; they did not come to us (unless the company's record names its source)
_SOURCE_KEYS = ("source", "lead_source")  # keys of a found company's record that name where it came from


@dataclass
class IngestOutcome:
    """What became of each found company; `results()` are the campaign row's columns."""

    found: int = 0
    lead_ids: list[int] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    customers: int = 0

    def results(self) -> dict[str, Any]:
        return {
            "found_count": self.found, "new_count": len(self.lead_ids),
            "duplicate_customer_count": self.customers, "duplicate_lead_count": len(self.duplicates) - self.customers,
            "rejected_count": len(self.rejections), "lead_ids": self.lead_ids, "duplicates": self.duplicates,
            "rejections": [r.as_dict() for r in self.rejections], "error": None,
        }


def _validated(company: DiscoveredCompany, *, now: datetime) -> ValidatedLead:
    """The company as a lead record at DISCOVERY; LeadValidationError or ValueError when it is not a valid one."""
    if company.problems:
        raise ValueError("; ".join(company.problems))
    if company.name is None:
        raise ValueError("no company name; every company needs a name")
    given = next((company.extra.pop(key) for key in _SOURCE_KEYS if isinstance(company.extra.get(key), str)
                  and company.extra[key].strip()), None)
    raw = {**company.fields, "source": given or SOURCE, "stage": Stage.DISCOVERY.value, "created_at": now}
    return validate_lead(raw, now=now)


class _AccountIndex:
    """The stored companies' domains and name keys, computed once per run: a quick necessary test.

    match_account scores every stored lead on each call (~2 ms CPU at 2,400 leads, ~20 ms at
    20,000; bench/bench_campaigns.py). It can only find an account when some stored lead has the
    same registrable domain, the same company key or a key within the fuzzy cutoff; those are
    checked here first, so only possible duplicates pay for the full (explained) match. The
    answers are the same as calling match_account every time.
    """

    def __init__(self, session: Session):
        self.domains: set[str] = set()
        keys: set[str] = set()
        for company, website, domain in session.execute(select(Lead.company, Lead.website, Lead.domain)):
            if key := company_key(company):
                keys.add(key)
            for text in (website, domain):
                if text and (info := normalise_domain(text=text)):
                    self.domains.add(info.domain)
        self.keys = frozenset(keys)
        self._key_list = sorted(keys)

    def may_match(self, *, domain: str | None, company: str | None) -> bool:
        probe = probe_for(company=company, domain=domain)
        if probe.domain and probe.domain in self.domains:
            return True
        if not probe.company:
            return False
        if probe.company in self.keys:
            return True
        return process.extractOne(probe.company, self._key_list, scorer=fuzz.ratio, score_cutoff=COMPANY_FUZZY_CUTOFF) is not None


def _known(session: Session, values: dict[str, Any], *, index: _AccountIndex) -> dict[str, Any] | None:
    """The stored lead this company already is: same contact email, else the same account (customers first)."""
    if values.get("email"):
        for lead in find_leads(session, email=values["email"]):
            return {"lead_id": lead.id, "known_as": lead.company, "customer": lead.stage == Stage.CUSTOMER.value,
                    "matched": ["email"], "confidence": 1.0}
    if not index.may_match(domain=values.get("domain"), company=values.get("company")):
        return None
    account = match_account(session, domain=values.get("domain"), company=values.get("company"))
    if account is None:
        return None
    return {"lead_id": account.account_lead_id, "known_as": account.company, "customer": account.is_customer,
            "matched": account.matched, "confidence": account.confidence}


def ingest_discovery(
    session: Session,
    *,
    campaign_id: int,
    name: str,
    provider: str,
    criteria: CampaignCriteria,
    discovery: Discovery,
    now: datetime,
    policy: Any,
) -> IngestOutcome:
    """Filter, de-duplicate, store and score what the provider found (inside the caller's transaction)."""
    outcome = IngestOutcome(found=discovery.found, rejections=list(discovery.rejections))
    seen: dict[str, str] = {}  # domain / company key / email -> the item that had it first
    index = _AccountIndex(session)
    fresh: list[tuple[DiscoveredCompany, ValidatedLead]] = []
    for company in discovery.companies:
        def reject(reason: str, kind: str = "invalid") -> None:
            outcome.rejections.append(Rejection(company.item, company.name, reason, kind))

        try:
            record = _validated(company, now=now)
        except (LeadValidationError, ValueError) as error:
            reject(str(error))
            continue
        values = record.values
        if reason := criteria.mismatch(values, text=values.get("notes") or ""):
            reject(f"outside the campaign's criteria: {reason}", "criteria")
            continue
        keys = [k for k in (values.get("domain"), company_key(values.get("company")), values.get("email")) if k]
        if first := next((seen[k] for k in keys if k in seen), None):
            reject(f"the same company as {first} of this campaign", "repeat")
            continue
        if known := _known(session, values, index=index):
            outcome.customers += known["customer"]
            outcome.duplicates.append({"item": company.item, "company": company.name, **known})
            continue
        if len(fresh) >= criteria.limit:
            reject(f"the campaign's limit of {criteria.limit} new leads was reached", "limit")
            continue
        for key in keys:
            seen[key] = company.item
        record.extra.update({**company.extra, "campaign_id": campaign_id, "campaign_name": name, "discovered_by": provider})
        fresh.append((company, record))
    if not fresh:
        return outcome
    actor = f"campaign:{campaign_id}"
    upserted = upsert_leads(session, records=[record for _, record in fresh], now=now, actor=actor)
    fits = criteria.describe()
    for (company, _), (action, lead_id) in zip(fresh, upserted.actions):
        if action != "inserted":  # cannot happen after the checks above; if it does, store nothing
            raise RuntimeError(f"{company.item} ({company.name}) matched stored lead {lead_id} only at insert time; "
                               "the campaign stored nothing, please report this")
        outcome.lead_ids.append(lead_id)
        record_change(
            session, lead_id=lead_id, field="stage", old=None, new=Stage.DISCOVERY.value, at=now, actor=actor,
            reason=f"found by campaign #{campaign_id} {name!r} ({provider}, {company.item}); fits: {fits}",
        )
    rescore_leads(session, policy=policy, now=now, lead_ids=outcome.lead_ids, actor=actor)
    return outcome
