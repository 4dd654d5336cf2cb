"""A loopback HubSpot that speaks the CRM v3/v4 REST wire format closely enough for the official
`hubspot-api-client`: owners, contacts list and search (paging with `after`), companies and their
associations, batch upserts of contacts (by email), notes and tasks (by a unique property), default
associations, a contact's emails, calls and meetings (v4 association batch read with per-contact
paging, v3 batch read) — and the faults a real one has: 429 with Retry-After, 5xx, a revoked token
(401), a token without the scope for an object type (403 MISSING_SCOPES).

It records every idempotency key it is sent (`objectWriteTraceId`) so tests can tell a change
applied twice from a change sent once; `python -m tests.fake_hubspot --port N --contacts K` serves
K generated contacts for the benchmark and by hand.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "pat-test-hubspot"


def _wire(value: Any) -> str | None:
    """A property value as HubSpot sends every one: a string, booleans as "true"/"false" (hs_email_optout)."""
    if value is None:
        return None
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class JsonServer:
    """A threaded loopback HTTP server whose handler dispatches to `self.route(method, path, query, body)`."""

    def __init__(self, *, port: int = 0) -> None:
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []
        self.down = False  # every request answers 503
        self.faults: list[tuple[int, dict[str, str], dict[str, Any]]] = []  # next answers, in order
        owner = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stall per keep-alive answer
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                try:
                    body = json.loads(raw) if raw and raw[:1] in (b"{", b"[") and not owner.raw_bodies else raw
                except ValueError:
                    body = raw
                status, headers, answer = owner.handle(self.command, url.path, parse_qs(url.query), body, self.headers)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json;charset=UTF-8"))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # stop() waits one poll

    scheme = "http"
    raw_bodies = False  # True: `handle` gets the body as bytes (a receiver checking signatures)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> "JsonServer":
        self.thread.start()
        return self

    def __enter__(self) -> "JsonServer":  # `with FakeHubSpot() as fake:` serves while the block runs
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int, *, retry_after: float | None = None, body: dict[str, Any] | None = None) -> None:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        with self.lock:
            self.faults += [(status, dict(headers), body or {"status": "error", "message": f"injected {status}"})] * count

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: Any):
        with self.lock:
            self.requests.append((method, path))
            if self.down:
                return 503, {}, {"status": "error", "message": "Service Unavailable"}
            if self.faults:
                return self.faults.pop(0)
            denied = self.authorise(headers)
            if denied is not None:
                return denied
            try:
                return self.route(method, path, query, body)
            except KeyError as error:
                return 404, {}, {"status": "error", "message": f"not found: {error}"}

    def authorise(self, headers: Any):
        return None

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any):
        raise NotImplementedError


class FakeHubSpot(JsonServer):
    def __init__(self, *, token: str = TOKEN, key_property: str = "leadpilot_change_key", port: int = 0) -> None:
        super().__init__(port=port)
        self.token = token
        self.key_property = key_property
        self.clock = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
        self.owners: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}  # id -> {"id", "properties", "createdAt", "updatedAt"}
        self.companies: dict[str, dict[str, Any]] = {}
        self.contact_company: dict[str, str] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.associations: set[tuple[str, str, str]] = set()  # (kind, object id, contact id)
        self.keys_seen: Counter[str] = Counter()  # every idempotency key received, with repeats
        self.created: Counter[str] = Counter()  # key -> objects created under it (a duplicate is > 1)
        self._ids = 1000
        self._listed: list[dict[str, Any]] | None = None
        self.search_afters: list[str | None] = []  # the `after` of every search (HubSpot refuses past 10,000)
        self.owner_writes: Counter[tuple[str, str]] = Counter()  # (contact id, owner id) per write that set an owner
        self.activities: dict[str, dict[str, dict[str, Any]]] = {"emails": {}, "calls": {}, "meetings": {}}  # type -> id -> object
        self.activity_links: dict[str, dict[str, list[str]]] = {kind: {} for kind in self.activities}  # type -> contact -> ids
        self.association_page = 500  # associations per contact per page (HubSpot's own page size)
        self.scopes_missing: dict[str, str] = {}  # object type -> the scope HubSpot says the token lacks (403)

    # -- setup ------------------------------------------------------------------------------

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return iso(self.clock)

    def next_id(self) -> str:
        self._ids += 1
        return str(self._ids)

    def add_owner(self, email: str, first: str = "Rep", last: str = "") -> str:
        with self.lock:
            owner_id = self.next_id()
            self.owners[owner_id] = {"id": owner_id, "email": email, "firstName": first, "lastName": last, "userId": int(owner_id),
                                     "createdAt": iso(self.clock), "updatedAt": iso(self.clock), "archived": False}
            return owner_id

    def add_contact(self, **properties: Any) -> str:
        with self.lock:
            contact_id = self.next_id()
            at = self.tick()
            props = {k: _wire(v) for k, v in properties.items()}
            props.update(hs_object_id=contact_id, createdate=at, lastmodifieddate=at)
            self.contacts[contact_id] = {"id": contact_id, "properties": props, "createdAt": at, "updatedAt": at, "archived": False}
            return contact_id

    def add_company(self, contact_id: str, **properties: Any) -> str:
        with self.lock:
            company_id = self.next_id()
            self.companies[company_id] = {"id": company_id, "properties": {k: str(v) for k, v in properties.items()},
                                          "createdAt": iso(self.clock), "updatedAt": iso(self.clock), "archived": False}
            self.contact_company[contact_id] = company_id
            return company_id

    def edit_contact(self, contact_id: str, **properties: Any) -> None:
        """A person edits the contact in HubSpot (its lastmodifieddate moves)."""
        with self.lock:
            at = self.tick()
            contact = self.contacts[contact_id]
            contact["properties"].update({k: _wire(v) for k, v in properties.items()}, lastmodifieddate=at)
            contact["updatedAt"] = at

    def add_activity(self, object_type: str, contact_id: str, **properties: Any) -> str:
        """A rep logs an email, call or meeting on the contact: HubSpot updates the contact's activity
        date (notes_last_updated), so its lastmodifieddate moves too."""
        with self.lock:
            object_id = self.next_id()
            at = self.tick()
            self.activities[object_type][object_id] = {"id": object_id, "properties": {**{k: _wire(v) for k, v in properties.items()},
                                                                                        "hs_object_id": object_id},
                                                       "createdAt": at, "updatedAt": at, "archived": False}
            self.activity_links[object_type].setdefault(contact_id, []).append(object_id)
            self.edit_contact(contact_id, notes_last_updated=at)
            return object_id

    def contact_by_email(self, email: str) -> dict[str, Any] | None:
        return next((c for c in self.contacts.values() if (c["properties"].get("email") or "").lower() == email.lower()), None)

    # -- the wire -----------------------------------------------------------------------------

    def authorise(self, headers: Any):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"status": "error", "category": "INVALID_AUTHENTICATION",
                             "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication"}
        return None

    @staticmethod
    def _shown(record: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
        props = record["properties"]
        shown = {name: props.get(name) for name in properties} if properties else dict(props)
        shown.setdefault("hs_object_id", record["id"])
        return {**record, "properties": shown}

    def _page(self, records: list[dict[str, Any]], *, after: str | None, limit: int, properties: list[str] | None) -> dict[str, Any]:
        start = int(after or 0)
        chunk = records[start:start + limit]
        answer: dict[str, Any] = {"results": [self._shown(r, properties) for r in chunk]}
        if start + limit < len(records):
            answer["paging"] = {"next": {"after": str(start + limit), "link": "?after=" + str(start + limit)}}
        return answer

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any):
        one = lambda name, default=None: (query.get(name) or [default])[0]  # noqa: E731
        if method == "GET" and path.rstrip("/") == "/crm/v3/owners":
            owners = sorted(self.owners.values(), key=lambda o: int(o["id"]))
            page = self._page([{**o, "properties": {}} for o in owners], after=one("after"), limit=int(one("limit", 100)), properties=None)
            page["results"] = [{k: v for k, v in o.items() if k != "properties"} for o in page["results"]]
            return 200, {}, page
        if method == "GET" and path == "/crm/v3/objects/contacts":
            props = ",".join(query.get("properties", [])).split(",") if query.get("properties") else None
            if self._listed is None or len(self._listed) != len(self.contacts):  # ids only grow: insertion order is id order
                self._listed = list(self.contacts.values())
            return 200, {}, self._page(self._listed, after=one("after"), limit=int(one("limit", 10)), properties=props)
        if method == "POST" and path == "/crm/v3/objects/contacts/search":
            return 200, {}, self._search(body)
        if method == "POST" and (m := re.fullmatch(r"/crm/v4/associations/contacts/companies/batch/read", path)):
            results = []
            for item in body.get("inputs", []):
                company = self.contact_company.get(str(item["id"]))
                if company:
                    results.append({"from": {"id": str(item["id"])}, "to": [{"toObjectId": int(company), "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}]}]})
            return 200, {}, {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock), "completedAt": iso(self.clock)}
        if method == "POST" and (m := re.fullmatch(r"/crm/v4/associations/contacts/(emails|calls|meetings)/batch/read", path)):
            return self._denied(m.group(1)) or (200, {}, self._activity_links(m.group(1), body))
        if method == "POST" and (m := re.fullmatch(r"/crm/v3/objects/(emails|calls|meetings)/batch/read", path)):
            store, props = self.activities[m.group(1)], body.get("properties") or None
            results = [self._shown(store[str(i["id"])], props) for i in body.get("inputs", []) if str(i["id"]) in store]
            return self._denied(m.group(1)) or (200, {}, {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock),
                                                          "completedAt": iso(self.clock)})
        if method == "POST" and path == "/crm/v3/objects/companies/batch/read":
            props = body.get("properties") or None
            results = [self._shown(self.companies[str(i["id"])], props) for i in body.get("inputs", []) if str(i["id"]) in self.companies]
            return 200, {}, {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock), "completedAt": iso(self.clock)}
        if method == "POST" and path == "/crm/v3/objects/contacts/batch/upsert":
            return 200, {}, self._upsert_contacts(body)
        if method == "POST" and (m := re.fullmatch(r"/crm/v3/objects/(notes|tasks)/batch/upsert", path)):
            return 200, {}, self._upsert_engagements(m.group(1), body)
        if method == "POST" and (m := re.fullmatch(r"/crm/v4/associations/(notes|tasks)/contacts/batch/associate/default", path)):
            for item in body.get("inputs", []):
                self.associations.add((m.group(1), str(item["from"]["id"]), str(item["to"]["id"])))
            return 200, {}, {"status": "COMPLETE", "results": [], "startedAt": iso(self.clock), "completedAt": iso(self.clock)}
        raise KeyError(f"{method} {path}")

    _TYPE_IDS = {"emails": 197, "calls": 193, "meetings": 199}  # HubSpot's contact_to_email / _call / _meeting_event

    def _denied(self, object_type: str):
        if object_type not in self.scopes_missing:
            return None
        return 403, {}, {"status": "error", "category": "MISSING_SCOPES", "correlationId": "5b1d0c6e-0000-4000-8000-000000000403",
                         "message": "This app hasn't been granted all required scopes to make this call. Read more about required "
                                    "scopes here: https://developers.hubspot.com/scopes.",
                         "errors": [{"message": "One or more of the following scopes are required.",
                                     "context": {"requiredGranularScopes": [self.scopes_missing[object_type]]}}],
                         "links": {"scopes": "https://developers.hubspot.com/scopes"}}

    def _activity_links(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        for item in body.get("inputs", []):
            ids = self.activity_links[object_type].get(str(item["id"]), [])
            start = int(item.get("after") or 0)
            chunk = ids[start:start + self.association_page]
            if not chunk:
                continue
            row: dict[str, Any] = {"from": {"id": str(item["id"])}, "to": [
                {"toObjectId": int(i), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": self._TYPE_IDS[object_type],
                                                             "label": None}]} for i in chunk]}
            if start + self.association_page < len(ids):
                row["paging"] = {"next": {"after": str(start + self.association_page), "link": None}}
            results.append(row)
        return {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock), "completedAt": iso(self.clock)}

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        self.search_afters.append(body.get("after"))
        records = list(self.contacts.values())
        for group in body.get("filterGroups") or []:
            for f in group.get("filters", []):
                name, op, value = f["propertyName"], f["operator"], f.get("value")
                if op == "GT":
                    records = [r for r in records if (r["properties"].get(name) or "") > value]
                elif op == "GTE":
                    records = [r for r in records if (r["properties"].get(name) or "") >= value]
                elif op == "EQ":
                    records = [r for r in records if (r["properties"].get(name) or "") == value]
        records.sort(key=lambda r: (r["properties"].get("lastmodifieddate") or "", int(r["id"])))
        page = self._page(records, after=body.get("after"), limit=int(body.get("limit") or 10), properties=body.get("properties"))
        page["total"] = len(records)
        return page

    def _upsert_contacts(self, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        for item in body.get("inputs", []):
            for key in filter(None, (item.get("objectWriteTraceId") or "").split(",")):
                self.keys_seen[key] += 1
            email = str(item["id"]).lower()
            contact = self.contact_by_email(email)
            new = contact is None
            if new:
                contact_id = self.add_contact(email=email)
                contact = self.contacts[contact_id]
            contact["properties"].update(item.get("properties") or {})
            if (item.get("properties") or {}).get("hubspot_owner_id"):
                self.owner_writes[(contact["id"], item["properties"]["hubspot_owner_id"])] += 1
            at = self.tick()
            contact["properties"]["lastmodifieddate"] = at
            contact["updatedAt"] = at
            results.append({**contact, "new": new})
        return {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock), "completedAt": iso(self.clock)}

    def _upsert_engagements(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        store = self.notes if kind == "notes" else self.tasks
        results = []
        for item in body.get("inputs", []):
            key = str(item["id"])
            self.keys_seen[key] += 1
            existing = next((o for o in store.values() if o["properties"].get(self.key_property) == key), None)
            new = existing is None
            if new:
                self.created[key] += 1
                object_id = self.next_id()
                existing = store[object_id] = {"id": object_id, "properties": {}, "createdAt": iso(self.clock),
                                               "updatedAt": iso(self.clock), "archived": False}
            existing["properties"].update(item.get("properties") or {}, **{self.key_property: key})
            results.append({**existing, "new": new})
        return {"status": "COMPLETE", "results": results, "startedAt": iso(self.clock), "completedAt": iso(self.clock)}


def main() -> None:  # pragma: no cover - by hand and the benchmark
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--contacts", type=int, default=100)
    args = parser.parse_args()
    fake = FakeHubSpot(port=args.port)
    populate(fake, args.contacts, owners=["maya.chen@leadpilot.demo", "diego.ramirez@leadpilot.demo"])
    fake.start()
    print(f"fake HubSpot on {fake.url} (token {fake.token}), {len(fake.contacts)} contacts", flush=True)
    while True:
        time.sleep(3600)


def populate(fake: FakeHubSpot, count: int, *, owners: list[str] | None = None) -> None:
    industries = ["technology", "fintech", "healthcare", "manufacturing", "retail", "education"]
    owner_ids = [fake.add_owner(email) for email in owners or []]
    for i in range(count):
        props = {"email": f"person{i}@company{i}.example", "firstname": f"Pat{i}", "lastname": "Doe", "company": f"Company {i}",
                 "jobtitle": ["CEO", "VP Sales", "Engineer", "Head of Growth"][i % 4], "industry": industries[i % len(industries)],
                 "numemployees": str(10 + (i * 37) % 2000), "country": "US", "city": "Austin", "hs_analytics_source": "ORGANIC_SEARCH",
                 "lifecyclestage": "lead"}
        if owner_ids and i % 3 == 0:
            props["hubspot_owner_id"] = owner_ids[i % len(owner_ids)]
        fake.add_contact(**props)


if __name__ == "__main__":  # pragma: no cover
    main()
