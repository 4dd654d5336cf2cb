"""Hunter.io v2: Email Finder and Email Verifier.

GET api.hunter.io/v2/email-finder?domain=&first_name=&last_name=&api_key=  -> {"data": {"email", "score", ...}}
GET api.hunter.io/v2/email-verifier?email=&api_key=                        -> {"data": {"status", "result", "score", ...}}
Errors come as {"errors": [{"id", "code", "details"}]}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from leadpilot.tools.enrichment.providers.base import Answer, HttpPolicy, LookupQuery, ProviderFailure, request_json, require

VERIFIED_STATUSES = frozenset({"valid", "invalid", "accept_all", "webmail", "disposable"})  # "unknown" is no answer


@dataclass
class HunterProvider:
    api_key: str
    base_url: str = "https://api.hunter.io"
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    name: str = "hunter"
    costs: dict[str, float] = field(default_factory=lambda: {"email_find": 1.0, "email_verify": 0.5})
    charges_on_miss: bool = False  # Hunter does not charge a finder search that returns no email

    def lookup(self, kind: str, query: LookupQuery) -> Answer | None:
        with httpx.Client() as client:
            if kind == "email_find" and query.domain and query.first_name and query.last_name:
                params = {"domain": query.domain, "first_name": query.first_name, "last_name": query.last_name, "api_key": self.api_key}
                body = request_json(client, "GET", f"{self.base_url}/v2/email-finder", params=params, policy=self.policy)
                data = _data(body)
                if not data or not data.get("email"):
                    return None
                return Answer(fields={"email": data["email"], "email_score": data.get("score"), "job_title": data.get("position"),
                                      "company_name": data.get("company"), "email_status": (data.get("verification") or {}).get("status")}, raw=body or {})
            if kind == "email_verify" and query.email:
                params = {"email": query.email, "api_key": self.api_key}
                body = request_json(client, "GET", f"{self.base_url}/v2/email-verifier", params=params, policy=self.policy)
                data = _data(body)
                if not data or data.get("status") not in VERIFIED_STATUSES:
                    return None
                return Answer(fields={"email_status": data["status"], "email_deliverability": data.get("result"),
                                      "email_score": data.get("score"), "email_disposable": data.get("disposable"),
                                      "email_free_mail": data.get("webmail"), "email_accept_all": data.get("accept_all")}, raw=body or {})
        return None


def _data(body: dict[str, Any] | None) -> dict[str, Any] | None:
    if body is None:
        return None
    if body.get("errors"):
        first = body["errors"][0] if isinstance(body["errors"], list) and body["errors"] else {}
        raise ProviderFailure("http_error", f"hunter: {first.get('id')}: {first.get('details')}")
    data = require(body, "data", "hunter")
    if data is not None and not isinstance(data, dict):
        raise ProviderFailure("malformed", "hunter 'data' is not an object")
    return data
