"""Agent-facing enrichment and dedup: "enrich stripe.com", "enrich lead 42", "find duplicates of Acme".

Each function takes the store and typed arguments and returns plain data (dicts), with the source
of every field. Providers are asked only when configured; otherwise the answer is offline.

`viewer` is who asks (memory.visibility; None: the system, e.g. the pipeline or the admin CLI): the
account a domain belongs to, the duplicates of a lead and the lead to enrich are looked for only
among the leads they may see, so "enrich <another rep's customer's domain>" says nothing about it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead
from leadpilot.memory.visibility import LeadViewer, can_see_lead, visible_lead_ids
from leadpilot.tools.leads import find_duplicates as _find_duplicates, find_matches, match_account, probe_for
from leadpilot.tools.enrichment.fields import Enrichment
from leadpilot.tools.enrichment.offline import enrich_lead_offline
from leadpilot.tools.enrichment.providers.base import LookupQuery
from leadpilot.tools.enrichment.providers.waterfall import CreditBudget, Waterfall

_LEAD_ID = re.compile(r"^(?:lead\s*#?\s*)?(\d+)$", re.IGNORECASE)


def _query_for(enrichment: Enrichment) -> LookupQuery:
    name = (enrichment.value("contact_name") or "").split()
    corporate = enrichment.value("domain")
    return LookupQuery(domain=corporate, company=enrichment.value("company_name"), email=enrichment.value("email"),
                       first_name=name[0] if name else None, last_name=name[-1] if len(name) > 1 else None)


def _kinds_for(query: LookupQuery, enrichment: Enrichment) -> list[str]:
    kinds = []
    if query.domain or query.company:
        kinds.append("company")
    if query.email:
        kinds += ["person", "email_verify"]
    elif query.domain and query.first_name and query.last_name:
        kinds += ["email_find", "person"]
    return kinds


def _account(session, *, viewer: LeadViewer | None, domain: str | None, company: str | None,
             exclude_id: int | None) -> dict[str, Any] | None:
    """The known account for a domain or company among the leads `viewer` may see: the best match,
    a customer first (as tools.leads.match_account judges all leads for the system)."""
    if viewer is None or viewer.sees_everything:
        account = match_account(session, domain=domain, company=company, exclude_id=exclude_id)
        return account.as_dict() if account else None
    probe = probe_for(company=company, domain=domain, exclude_id=exclude_id)
    if not (probe.domain or probe.company):
        return None
    found = [m for m in find_matches(session, probe=probe, min_confidence=0.4, limit=50) if {"domain", "company", "company_fuzzy"} & set(m.matched)]
    seen = visible_lead_ids(session, viewer, [m.lead_id for m in found])
    shown = [m for m in found if m.lead_id in seen]
    if not shown:
        return None
    customers = [m.lead_id for m in shown if m.is_customer]
    best = next(m for m in shown if m.is_customer) if customers else shown[0]
    return {"account_lead_id": best.lead_id, "is_customer": bool(customers), "matched": best.matched,
            "confidence": best.confidence, "customer_lead_ids": customers}


def _enrich(db: Database, base: Enrichment, *, now: datetime, waterfall: Waterfall | None, credit_cap: float,
            exclude_id: int | None = None, viewer: LeadViewer | None = None) -> dict[str, Any]:
    result = Enrichment()
    result.merge(base)
    estimate: list[dict[str, Any]] = []
    budget = CreditBudget(cap=credit_cap)
    with db.transaction() as session:
        domain, company = base.value("domain"), base.value("company")
        if account := _account(session, viewer=viewer, domain=domain, company=company, exclude_id=exclude_id):
            result.put("account_lead_id", account["account_lead_id"], source="store:account", confidence=account["confidence"],
                       why=f"matched on {', '.join(account['matched'])}")
            result.put("existing_customer", account["is_customer"], source="store:account", confidence=account["confidence"],
                       why=f"customer leads {account['customer_lead_ids']}" if account["is_customer"] else "known account, not a customer")
        if waterfall is not None and waterfall.providers:
            query = _query_for(base)
            for kind in _kinds_for(query, base):
                steps = waterfall.estimate(session, kind=kind, query=query, now=now)
                estimate += [{"kind": kind, "provider": s.provider, "cost": s.cost, "cached": s.cached} for s in steps]
                found = waterfall.lookup(session, kind=kind, query=query, budget=budget, now=now)
                for name, item in found.fields.items():
                    # offline facts from the lead itself stay; providers fill the gaps
                    if name not in result.fields or result.fields[name].source != "input":
                        result.put(name, item.value, source=item.source, confidence=item.confidence, why=item.why)
                result.attempts.extend(found.attempts)
    data = result.as_dict()
    data["credits"] = {"estimate": estimate, "worst_case": round(sum(s["cost"] for s in estimate), 3), "cap": credit_cap, "spent": round(budget.spent, 3)}
    return data


def _no_lead(lead_id: int, viewer: LeadViewer | None) -> LookupError:
    # The same words for a lead that does not exist and one the viewer may not see: no oracle.
    return LookupError(f"no lead with id {lead_id}" if viewer is None else f"No lead {lead_id} that you can see.")


def enrich_target(db: Database, *, target: str, now: datetime, waterfall: Waterfall | None = None, credit_cap: float = 5.0,
                  viewer: LeadViewer | None = None) -> dict[str, Any]:
    """Enrich an email, a domain/website or a lead id ("42", "lead 42"), as `viewer` may see the store."""
    text = target.strip()
    if match := _LEAD_ID.match(text):
        return enrich_lead(db, lead_id=int(match.group(1)), now=now, waterfall=waterfall, credit_cap=credit_cap, viewer=viewer)
    record = {"email": text} if "@" in text else {"website": text}
    data = _enrich(db, enrich_lead_offline(record), now=now, waterfall=waterfall, credit_cap=credit_cap, viewer=viewer)
    return {"target": text, **data}


def enrich_lead(db: Database, *, lead_id: int, now: datetime, waterfall: Waterfall | None = None, credit_cap: float = 5.0,
                save: bool = False, viewer: LeadViewer | None = None) -> dict[str, Any]:
    """Enrich a stored lead `viewer` may see; `save` writes the result into lead.enrichment (the
    lead's own fields are untouched)."""
    with db.transaction() as session:
        if not can_see_lead(session, viewer, lead_id):
            raise _no_lead(lead_id, viewer)
        base = enrich_lead_offline(session.get(Lead, lead_id))
    data = _enrich(db, base, now=now, waterfall=waterfall, credit_cap=credit_cap, exclude_id=lead_id, viewer=viewer)
    if save:
        with db.transaction() as session:
            lead = session.get(Lead, lead_id)
            lead.enrichment = {"at": now.isoformat(), **data}
    return {"target": f"lead {lead_id}", "lead_id": lead_id, **data}


def find_duplicates_of(db: Database, *, query: str | None = None, lead_id: int | None = None, limit: int = 10,
                       viewer: LeadViewer | None = None) -> dict[str, Any]:
    """Leads that duplicate a lead id, or match a company name / email / domain ("Acme", "ann@acme.com"):
    among those `viewer` may see, and only of a lead they may see."""
    wide = limit if viewer is None or viewer.sees_everything else max(limit, 50)  # room for the ones filtered out
    with db.transaction() as session:
        if lead_id is None and query and (match := _LEAD_ID.match(query.strip())):
            lead_id = int(match.group(1))
        if lead_id is not None:
            if not can_see_lead(session, viewer, lead_id):
                raise _no_lead(lead_id, viewer)
            matches = _find_duplicates(session, lead_id=lead_id, limit=wide)
        elif query and "@" in query:
            matches = _find_duplicates(session, email=query, limit=wide)
        elif query and "." in query and " " not in query.strip():
            matches = _find_duplicates(session, domain=query, company=query.split(".")[0], limit=wide)
        elif query:
            matches = _find_duplicates(session, company=query, limit=wide)
        else:
            raise TypeError("find_duplicates_of needs a query or a lead_id")
        ids = {m.lead_id for m in matches} | {i for m in matches for i in m.likely_duplicate_of}
        seen = visible_lead_ids(session, viewer, ids) if viewer is not None else ids
    shown = []
    for match in (m for m in matches if m.lead_id in seen):
        match.likely_duplicate_of = [i for i in match.likely_duplicate_of if i in seen]
        shown.append(match.as_dict())
    return {"query": query, "lead_id": lead_id, "matches": shown[:limit]}
