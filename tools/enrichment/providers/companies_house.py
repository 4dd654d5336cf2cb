"""UK Companies House public data API: company search by name.

GET api.company-information.service.gov.uk/search/companies?q=NAME&items_per_page=5 with HTTP
basic auth (the API key as the user name, empty password) -> {"items": [{"title",
"company_number", "company_status", "address": {...}, ...}], "total_results": n}.
Free (rate-limited to 600 requests per 5 minutes), so it costs no credits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from rapidfuzz import fuzz

from leadpilot.memory.company_names import company_key
from leadpilot.tools.enrichment.providers.base import Answer, HttpPolicy, LookupQuery, ProviderFailure, request_json, require

_MIN_NAME_SIMILARITY = 90  # a search hit must be the same company, not a namesake


@dataclass
class CompaniesHouseProvider:
    api_key: str
    base_url: str = "https://api.company-information.service.gov.uk"
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    name: str = "companies_house"
    costs: dict[str, float] = field(default_factory=lambda: {"company": 0.0})
    charges_on_miss: bool = False

    def lookup(self, kind: str, query: LookupQuery) -> Answer | None:
        if kind != "company" or not query.company:
            return None
        with httpx.Client(auth=(self.api_key, "")) as client:
            body = request_json(client, "GET", f"{self.base_url}/search/companies", params={"q": query.company, "items_per_page": 5}, policy=self.policy)
        if body is None:
            return None
        items = require(body, "items", "companies_house")
        if not isinstance(items, list):
            raise ProviderFailure("malformed", "companies_house 'items' is not a list")
        wanted = company_key(query.company) or ""
        for item in items:
            title = item.get("title") if isinstance(item, dict) else None
            if title and fuzz.ratio(company_key(title) or "", wanted) >= _MIN_NAME_SIMILARITY:
                address = item.get("address") or {}
                return Answer(fields={
                    "legal_name": title, "company_number": item.get("company_number"),
                    "company_status": item.get("company_status"), "incorporated_on": item.get("date_of_creation"),
                    "city": address.get("locality"), "country": "GB", "registered_address": item.get("address_snippet"),
                }, raw=item)
        return None
