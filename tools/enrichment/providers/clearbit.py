"""Clearbit-style company and person lookup (Company API v2, Person API v2).

GET company.clearbit.com/v2/companies/find?domain=...  and  person.clearbit.com/v2/people/find?email=...
with `Authorization: Bearer KEY`; 404 = unknown; 202 = "queued, ask again later" (a miss for now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from leadpilot.tools.enrichment.providers.base import Answer, HttpPolicy, LookupQuery, dig, request_json


@dataclass
class ClearbitProvider:
    api_key: str
    company_url: str = "https://company.clearbit.com"
    person_url: str = "https://person.clearbit.com"
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    name: str = "clearbit"
    costs: dict[str, float] = field(default_factory=lambda: {"company": 1.0, "person": 1.0})
    charges_on_miss: bool = False

    def _client(self) -> httpx.Client:
        return httpx.Client(headers={"Authorization": f"Bearer {self.api_key}"})

    def lookup(self, kind: str, query: LookupQuery) -> Answer | None:
        with self._client() as client:
            if kind == "company" and query.domain:
                body = request_json(client, "GET", f"{self.company_url}/v2/companies/find", params={"domain": query.domain}, policy=self.policy)
                return company_answer(body) if body and body.get("name") else None
            if kind == "person" and query.email:
                body = request_json(client, "GET", f"{self.person_url}/v2/people/find", params={"email": query.email}, policy=self.policy)
                return person_answer(body) if body and dig(body, "name", "fullName") else None
        return None


def company_answer(body: dict[str, Any]) -> Answer:
    return Answer(
        fields={
            "company_name": body.get("name"),
            "legal_name": body.get("legalName"),
            "domain": body.get("domain"),
            "industry": dig(body, "category", "industry"),
            "description": body.get("description"),
            "company_size": dig(body, "metrics", "employees"),
            "country": dig(body, "geo", "countryCode"),
            "city": dig(body, "geo", "city"),
            "time_zone": body.get("timeZone"),
            "company_phone": body.get("phone"),
        },
        raw=body,
    )


def person_answer(body: dict[str, Any]) -> Answer:
    return Answer(
        fields={
            "contact_name": dig(body, "name", "fullName"),
            "job_title": dig(body, "employment", "title"),
            "seniority": dig(body, "employment", "seniority"),
            "department": dig(body, "employment", "role"),
            "company_name": dig(body, "employment", "name"),
            "domain": dig(body, "employment", "domain"),
            "country": dig(body, "geo", "countryCode"),
            "city": dig(body, "geo", "city"),
            "time_zone": body.get("timeZone"),
        },
        raw=body,
    )
