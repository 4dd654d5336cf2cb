"""Loopback fakes of the enrichment vendors' HTTP APIs (Clearbit, Hunter, Apollo, Companies House).

Each route answers in the vendor's wire format; a test swaps in misbehaviour (a slow answer, 429
with Retry-After, 5xx, a malformed body, an empty match) per route. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Route = Callable[[dict[str, Any]], Reply]


class VendorStub:
    def __init__(self, routes: dict[tuple[str, str], Route]):
        self.routes = routes
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stall per keep-alive answer

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length) if length else b""
                request = {"method": method, "path": parts.path, "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                           "headers": dict(self.headers), "json": json.loads(raw) if raw else None}
                stub.requests.append(request)
                route = stub.routes.get((method, parts.path))
                reply = route(request) if route else Reply(404, {"error": "not found"})
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                data = reply.body if isinstance(reply.body, bytes) else (reply.body.encode() if isinstance(reply.body, str) else json.dumps(reply.body).encode())
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # stop() waits one poll

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> VendorStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == path)


# The vendors' answers, shaped as their documentation shows them.
def clearbit_company(domain: str = "stripe.com") -> dict[str, Any]:
    return {
        "id": "3f5d6a4e", "name": "Stripe", "legalName": "Stripe, Inc.", "domain": domain,
        "category": {"sector": "Information Technology", "industryGroup": "Software & Services", "industry": "Internet Software & Services", "subIndustry": "Internet Software & Services"},
        "description": "Online payment processing for internet businesses.",
        "geo": {"city": "San Francisco", "state": "California", "stateCode": "CA", "country": "United States", "countryCode": "US"},
        "metrics": {"employees": 7000, "employeesRange": "5K-10K", "estimatedAnnualRevenue": "$1B-$10B"},
        "timeZone": "America/Los_Angeles", "phone": "+1 888-926-2289", "tags": ["Technology", "Payments"],
    }


def apollo_organization(domain: str = "stripe.com") -> dict[str, Any]:
    return {"organization": {"id": "5e66b6381e05b4008c8331b8", "name": "Stripe", "website_url": f"http://www.{domain}", "primary_domain": domain,
                             "industry": "financial services", "estimated_num_employees": 8100, "country": "United States", "phone": "+1 888-926-2289"}}


def apollo_person() -> dict[str, Any]:
    return {"person": {"id": "64a7", "first_name": "Jane", "last_name": "Doe", "name": "Jane Doe", "title": "VP of Engineering",
                       "email": "jane@stripe.com", "email_status": "verified", "seniority": "vp", "departments": ["engineering"],
                       "city": "San Francisco", "linkedin_url": "http://www.linkedin.com/in/janedoe",
                       "organization": {"name": "Stripe", "primary_domain": "stripe.com", "industry": "financial services", "estimated_num_employees": 8100}}}


def hunter_verifier(email: str, status: str = "valid") -> dict[str, Any]:
    return {"data": {"status": status, "result": "deliverable" if status == "valid" else "risky", "score": 92, "email": email,
                     "regexp": True, "gibberish": False, "disposable": False, "webmail": False, "mx_records": True,
                     "smtp_server": True, "smtp_check": True, "accept_all": False, "block": False, "sources": []},
            "meta": {"params": {"email": email}}}


def hunter_finder(email: str | None) -> dict[str, Any]:
    return {"data": {"first_name": "Jane", "last_name": "Doe", "email": email, "score": 97 if email else None, "domain": "stripe.com",
                     "accept_all": False, "position": "VP of Engineering", "company": "Stripe", "sources": [],
                     "verification": {"date": "2026-11-01", "status": "valid" if email else None}},
            "meta": {"params": {"first_name": "Jane", "last_name": "Doe", "domain": "stripe.com"}}}


def companies_house_search(title: str = "STRIPE PAYMENTS UK LTD") -> dict[str, Any]:
    return {"kind": "search#companies", "total_results": 1, "items_per_page": 5, "start_index": 0,
            "items": [{"kind": "searchresults#company", "title": title, "company_number": "08480524", "company_status": "active",
                       "company_type": "ltd", "date_of_creation": "2013-04-10", "address_snippet": "7th Floor, 207 Old Street, London, EC1V 9NR",
                       "address": {"address_line_1": "207 Old Street", "locality": "London", "postal_code": "EC1V 9NR"}}]}
