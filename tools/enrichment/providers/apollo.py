"""Apollo.io people enrichment and organization enrichment.

POST api.apollo.io/api/v1/people/match  (JSON: email / first_name / last_name / domain)  -> {"person": {...} | null}
GET  api.apollo.io/api/v1/organizations/enrich?domain=...                               -> {"organization": {...}}
The key goes in the `X-Api-Key` header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from leadpilot.tools.enrichment.providers.base import Answer, HttpPolicy, LookupQuery, ProviderFailure, request_json, require


@dataclass
class ApolloProvider:
    api_key: str
    base_url: str = "https://api.apollo.io"
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    name: str = "apollo"
    costs: dict[str, float] = field(default_factory=lambda: {"person": 1.0, "company": 1.0})
    charges_on_miss: bool = False

    def lookup(self, kind: str, query: LookupQuery) -> Answer | None:
        headers = {"X-Api-Key": self.api_key, "Content-Type": "application/json", "Cache-Control": "no-cache"}
        with httpx.Client(headers=headers) as client:
            if kind == "person" and (query.email or (query.first_name and (query.domain or query.company))):
                payload = {k: v for k, v in {"email": query.email, "first_name": query.first_name, "last_name": query.last_name,
                                             "domain": query.domain, "organization_name": query.company}.items() if v}
                body = request_json(client, "POST", f"{self.base_url}/api/v1/people/match", json={**payload, "reveal_personal_emails": False}, policy=self.policy)
                person = require(body, "person", "apollo") if body is not None else None
                return _person(person, body) if person else None
            if kind == "company" and query.domain:
                body = request_json(client, "GET", f"{self.base_url}/api/v1/organizations/enrich", params={"domain": query.domain}, policy=self.policy)
                organization = require(body, "organization", "apollo") if body is not None else None
                return Answer(fields=_organization(organization), raw=body or {}) if organization and organization.get("name") else None
        return None


def _person(person: Any, body: dict[str, Any] | None) -> Answer:
    if not isinstance(person, dict):
        raise ProviderFailure("malformed", "apollo 'person' is not an object")
    departments = person.get("departments") or []
    organization = person.get("organization") or {}
    fields = {
        "contact_name": person.get("name"), "job_title": person.get("title"), "seniority": person.get("seniority"),
        "department": departments[0] if departments else None, "email": person.get("email"),
        "email_status": person.get("email_status"), "city": person.get("city"), "linkedin_url": person.get("linkedin_url"),
        **{k: v for k, v in _organization(organization).items() if v is not None},
    }
    return Answer(fields=fields, raw=body or {})


def _organization(organization: dict[str, Any]) -> dict[str, Any]:
    return {
        "company_name": organization.get("name"), "domain": organization.get("primary_domain"),
        "industry": organization.get("industry"), "company_size": organization.get("estimated_num_employees"),
        "country": organization.get("country"), "company_phone": organization.get("phone"),
    }
