"""`enrich_lead_offline`: every offline enricher applied to one lead or raw record, no network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadpilot.memory.geo import country_code
from leadpilot.memory.lead_record import parse_company_size
from leadpilot.tools.enrichment.company import normalise_company
from leadpilot.tools.enrichment.domain import normalise_domain
from leadpilot.tools.enrichment.email import check_email
from leadpilot.tools.enrichment.fields import Enrichment
from leadpilot.tools.enrichment.industry import classify_industry
from leadpilot.memory.job_titles import classify_title
from leadpilot.tools.enrichment.location import infer_place
from leadpilot.tools.enrichment.phone import parse_phone
from leadpilot.tools.enrichment.size import segment, size_band

_INPUT_FIELDS = ("email", "phone", "website", "domain", "company", "contact_name", "job_title", "industry", "country", "city", "company_size", "notes")


def lead_fields(lead: Any) -> dict[str, Any]:
    """The enrichable fields of a Lead, a mapping (CSV row, webhook JSON) or a ValidatedLead."""
    if hasattr(lead, "values") and isinstance(getattr(lead, "values"), Mapping):  # ValidatedLead
        lead = lead.values
    if isinstance(lead, Mapping):
        fields = {name: lead.get(name) for name in _INPUT_FIELDS}
        description = lead.get("description") or (lead.get("extra") or {}).get("description")
    else:
        fields = {name: getattr(lead, name, None) for name in _INPUT_FIELDS}
        description = (getattr(lead, "extra", None) or {}).get("description")
    fields["description"] = description
    return {name: (value.strip() if isinstance(value, str) else value) or None for name, value in fields.items()}


def enrich_lead_offline(lead: Any) -> Enrichment:
    """What can be known about a lead without asking anyone: each value with its source."""
    given = lead_fields(lead)
    out = Enrichment()
    for name in ("email", "company", "contact_name", "job_title", "industry", "city"):
        out.put(name, given[name], source="input")

    known_country = country_code(given["country"]) if isinstance(given["country"], str) else None
    out.put("country", known_country, source="input")

    corporate_domain = None
    if given["email"]:
        check = check_email(email=given["email"])
        why = f"domain {check.domain}"
        out.put("email_valid_syntax", check.valid_syntax, source="offline:email")
        if check.valid_syntax:
            out.put("email_free_mail", check.free_mail, source="offline:email", why=why + (" is a free-mail provider" if check.free_mail else ""))
            out.put("email_disposable", check.disposable, source="offline:email", why=why + (" is a throwaway inbox" if check.disposable else ""))
            out.put("email_role_address", check.role_address, source="offline:email", why="local part names a function" if check.role_address else "")
            corporate_domain = check.corporate_domain

    domain_info = None
    for text, source in ((given["website"], "website"), (given["domain"], "domain"), (corporate_domain, "email")):
        if text and (domain_info := normalise_domain(text=text)):
            confidence = 1.0 if source != "email" else 0.9
            out.put("domain", domain_info.domain, source="offline:domain", confidence=confidence, why=f"from the {source} {text}")
            out.put("website", domain_info.website, source="offline:domain", confidence=confidence, why=f"from the {source}")
            break

    phone = None
    if given["phone"]:
        phone = parse_phone(phone=given["phone"], country=known_country)
        if phone is None and domain_info and domain_info.country:  # a national number from a .de company
            phone = parse_phone(phone=given["phone"], country=domain_info.country)
        if phone:
            out.put("phone_e164", phone.e164, source="offline:phone")
            out.put("phone_country", phone.country, source="offline:phone")
            out.put("phone_type", phone.line_type, source="offline:phone")
        else:
            out.notes.append(f"phone {given['phone']!r} is not a valid number{' for ' + known_country if known_country else ''}")

    if given["company"]:
        name = normalise_company(name=given["company"])
        out.put("company_name", name.display, source="offline:company", why=f"legal form {name.legal_form!r} dropped" if name.legal_form else "")
        out.put("company_key", name.key, source="offline:company")

    if given["job_title"]:
        facts = classify_title(title=given["job_title"])
        why = "words: " + ", ".join(facts.matched) if facts.matched else "no seniority word: individual contributor"
        out.put("seniority", facts.seniority, source="offline:job_title", confidence=0.9, why=why)
        out.put("department", facts.department, source="offline:job_title", confidence=0.9, why=why)

    if not given["industry"] and given["description"]:
        guess = classify_industry(text=given["description"])
        if guess:
            out.put("industry", guess.industry, source="offline:industry", confidence=min(0.9, 0.4 + guess.score / 10),
                    why=f"description words {', '.join(guess.words)} (score {guess.score}, runner-up {guess.runner_up})")

    place = infer_place(
        city=given["city"], phone_country=phone.country if phone else None, phone_zones=phone.time_zones if phone else (),
        domain_country=domain_info.country if domain_info else None, known_country=known_country,
    )
    if place.country_source and place.country_source != "input":
        out.put("country", place.country, source="offline:location", confidence={"phone": 0.9, "city": 0.8, "domain": 0.6}[place.country_source], why=f"from the {place.country_source}")
    if place.time_zone:
        out.put("time_zone", place.time_zone, source="offline:location", confidence=0.9 if place.time_zone_source != "country" else 0.8, why=f"from the {place.time_zone_source}")

    employees = given["company_size"]
    if isinstance(employees, str):
        try:
            employees = parse_company_size(employees)
        except ValueError:
            employees = None
    if isinstance(employees, int) and employees > 0:
        out.put("company_size", employees, source="input")
        out.put("size_band", size_band(employees=employees), source="offline:size")
        out.put("segment", segment(employees=employees), source="offline:size")
    return out
