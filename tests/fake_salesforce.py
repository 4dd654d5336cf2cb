"""A loopback Salesforce (HTTPS, a self-signed certificate made at start) that speaks the REST API
closely enough for simple-salesforce: SOQL queries on Lead and User with `nextRecordsUrl` paging,
on Task and Event by `WhoId IN (...)` and EmailMessage by `ActivityId IN (...)` (a Lead's activity
log: `add_task`, `add_event`, `add_email_message`; a Task's IsClosed follows its Status),
Lead update by Id, Lead and Task upsert by an external id field, get by custom id, getUpdated — and
the faults: REQUEST_LIMIT_EXCEEDED (403), 5xx, an expired session (401 INVALID_SESSION_ID).

It also speaks the partner SOAP API's `login` (POST /services/Soap/u/<version>, SOAPAction: login,
an XML envelope with the username and the password followed by the security token): a loginResponse
with a fresh sessionId and a serverUrl on this server, or the INVALID_LOGIN LoginFault (HTTP 500)
Salesforce answers to a wrong password or token. `expire_session()` makes the current session
answer 401 INVALID_SESSION_ID, as one that timed out does.

Task upserts record their external id (the idempotency key) so tests can tell a resend from a
duplicate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from fake_hubspot import JsonServer

SESSION = "00Dfake!session"
API = "/services/data/v59.0"


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert.pem doubles as the CA bundle clients trust)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fake-salesforce.pem", folder / "fake-salesforce.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


class FakeSalesforce(JsonServer):
    scheme = "https"

    def __init__(self, folder: Path, *, page_size: int = 5, port: int = 0) -> None:
        super().__init__(port=port)
        self.ca_bundle, key = make_certificate(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_bundle, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.session = SESSION
        self.page_size = page_size
        self.clock = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
        self.users: dict[str, dict[str, Any]] = {}
        self.leads: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.email_messages: dict[str, dict[str, Any]] = {}
        self.hidden: set[str] = set()  # sObject types the API user may not read (queries get INVALID_TYPE)
        self.keys_seen: Counter[str] = Counter()
        self.created: Counter[str] = Counter()
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._ids = 0
        self.api_users: dict[str, str] = {}  # SOAP login: username -> password + security token
        self.logins: list[str] = []  # every accepted login, by username
        self.refused_logins: list[str] = []

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:015d}"

    def tick(self) -> str:
        self.clock += dt.timedelta(seconds=1)
        return _stamp(self.clock)

    def add_user(self, email: str) -> str:
        with self.lock:
            user_id = self._id("005")
            self.users[user_id] = {"Id": user_id, "Email": email, "IsActive": True}
            return user_id

    def add_lead(self, **fields: Any) -> str:
        with self.lock:
            lead_id = self._id("00Q")
            self.leads[lead_id] = {"Id": lead_id, "Status": "Open - Not Contacted", "HasOptedOutOfEmail": False, **fields,
                                   "SystemModstamp": self.tick()}
            return lead_id

    def add_task(self, who: str, **fields: Any) -> str:
        """A Task on a Lead as a rep logs it (a call: TaskSubtype "Call", CallType "Outbound"; an email: "Email")."""
        with self.lock:
            task_id = self._id("00T")
            self.tasks[task_id] = {"Id": task_id, "WhoId": who, "Status": "Completed", "TaskSubtype": "Task",
                                   "CreatedDate": _stamp(self.clock), **fields, "SystemModstamp": self.tick()}
            return task_id

    def add_event(self, who: str, **fields: Any) -> str:
        with self.lock:
            event_id = self._id("00U")
            self.events[event_id] = {"Id": event_id, "WhoId": who, "IsAllDayEvent": False, **fields, "SystemModstamp": self.tick()}
            return event_id

    def add_email_message(self, task_id: str, *, incoming: bool) -> str:
        """The EmailMessage behind an email Task (Enhanced Email): `Incoming` says the lead wrote it."""
        with self.lock:
            message_id = self._id("02s")
            self.email_messages[message_id] = {"Id": message_id, "ActivityId": task_id, "Incoming": incoming}
            return message_id

    def edit_lead(self, lead_id: str, **fields: Any) -> None:
        with self.lock:
            self.leads[lead_id].update(fields, SystemModstamp=self.tick())

    def add_api_user(self, username: str, password: str, security_token: str) -> None:
        """A user who may log in through SOAP with `password` + `security_token` (as Salesforce concatenates them)."""
        self.api_users[username] = password + security_token

    def expire_session(self) -> None:
        """The current session times out: requests with it get 401 INVALID_SESSION_ID until someone logs in again."""
        with self.lock:
            self.session = f"{SESSION}-expired-{len(self.logins)}"

    def limit_exceeded(self, count: int = 1) -> None:
        self.fail_next(count, 403, body=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])

    # -- the wire -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: Any):
        if method == "POST" and (m := re.fullmatch(r"/services/Soap/u/(\d+\.\d+)/?", path)):
            with self.lock:
                self.requests.append((method, path))
                if self.down:
                    return 503, {"Content-Type": "text/html"}, b"<html><body>Service Unavailable</body></html>"
                return self._soap_login(m.group(1), body, headers)
        return super().handle(method, path, query, body, headers)

    def _soap_login(self, version: str, body: Any, headers: Any):
        xml = {"Content-Type": "text/xml;charset=UTF-8"}
        try:
            envelope = ElementTree.fromstring(body if isinstance(body, bytes) else str(body).encode())
            fields = {element.tag.rsplit("}", 1)[-1]: (element.text or "") for element in envelope.iter()}
        except ElementTree.ParseError:
            return 500, xml, _fault("INVALID_XML", "The login request is not well-formed XML")
        if (headers.get("SOAPAction") or "").strip('"') != "login" or "login" not in fields:
            return 500, xml, _fault("INVALID_OPERATION", "No operation available for request login: send SOAPAction: login")
        username, secret = fields.get("username", ""), fields.get("password", "")
        if self.api_users.get(username) != secret:
            self.refused_logins.append(username)
            return 500, xml, _fault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.",
                                    fault="LoginFault")
        self.logins.append(username)
        self.session = f"00Dfake!login{len(self.logins)}"
        org = "00Dfake000000001"
        answer = (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                  f'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
                  f"<loginResponse><result><metadataServerUrl>{self.url}/services/Soap/m/{version}/{org}</metadataServerUrl>"
                  f"<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
                  f"<serverUrl>{self.url}/services/Soap/u/{version}/{org}</serverUrl><sessionId>{escape(self.session)}</sessionId>"
                  f"<userId>005fake000000001</userId><userInfo><organizationId>{org}</organizationId>"
                  f"<userName>{escape(username)}</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>")
        return 200, xml, answer.encode()

    def authorise(self, headers: Any):
        if headers.get("Authorization") != f"Bearer {self.session}":
            return 401, {}, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        return None

    def _row(self, record: dict[str, Any], fields: list[str], kind: str) -> dict[str, Any]:
        row: dict[str, Any] = {"attributes": {"type": kind, "url": f"{API}/sobjects/{kind}/{record['Id']}"}}
        for name in fields:
            if name == "Owner.Email":
                owner = self.users.get(record.get("OwnerId") or "")
                row["Owner"] = {"attributes": {"type": "User"}, "Email": owner["Email"]} if owner else None
            elif kind == "Task" and name == "IsClosed":
                row[name] = record.get("Status") == "Completed"
            else:
                row[name] = record.get(name)
        return row

    def _query(self, soql: str) -> dict[str, Any]:
        match = re.fullmatch(r"SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (\w+)(?: ASC)?)?", soql.strip(), re.IGNORECASE)
        if match is None:
            return {"__error__": [{"message": f"unexpected token: {soql[:40]}", "errorCode": "MALFORMED_QUERY"}]}
        fields = [f.strip() for f in match.group(1).split(",")]
        kind, where, order = match.group(2), match.group(3), match.group(4)
        stores = {"User": self.users, "Lead": self.leads, "Task": self.tasks, "Event": self.events, "EmailMessage": self.email_messages}
        if kind not in stores or kind in self.hidden:  # as Salesforce answers a user without Read on the object
            return {"__error__": [{"message": f"sObject type '{kind}' is not supported.", "errorCode": "INVALID_TYPE"}]}
        rows = list(stores[kind].values())
        if where:
            cond = re.fullmatch(r"(\w+) (>=|>|=|IN) (.+)", where.strip())
            name, op, value = cond.group(1), cond.group(2), cond.group(3).strip()
            if op == "IN":
                wanted = set(re.findall(r"'([^']*)'", value))
                rows = [r for r in rows if str(r.get(name)) in wanted]
            elif name == "SystemModstamp":
                at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                stamp = lambda r: dt.datetime.strptime(r["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.%f%z")  # noqa: E731
                rows = [r for r in rows if (stamp(r) >= at if op == ">=" else stamp(r) > at)]
            elif value.lower() == "true":
                rows = [r for r in rows if r.get(name) is True]
        if order:
            rows.sort(key=lambda r: (r.get(order) or "", r["Id"]))
        return self._page([self._row(r, fields, kind) for r in rows], 0)

    def _page(self, rows: list[dict[str, Any]], start: int) -> dict[str, Any]:
        chunk = rows[start:start + self.page_size]
        answer: dict[str, Any] = {"totalSize": len(rows), "done": start + self.page_size >= len(rows), "records": chunk}
        if not answer["done"]:
            locator = f"01gFAKE{len(self._cursors):06d}-{start + self.page_size}"
            self._cursors[locator] = rows
            answer["nextRecordsUrl"] = f"{API}/query/{locator}"
        return answer

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any):
        if method == "GET" and path.rstrip("/") == f"{API}/query":
            answer = self._query(query["q"][0])
            if "__error__" in answer:
                return 400, {}, answer["__error__"]
            return 200, {}, answer
        if method == "GET" and (m := re.fullmatch(rf"{API}/query/(01gFAKE\d+)-(\d+)", path)):
            return 200, {}, self._page(self._cursors[f"{m.group(1)}-{m.group(2)}"], int(m.group(2)))
        if method == "GET" and path.rstrip("/") == f"{API}/sobjects/Lead/updated":
            start = dt.datetime.fromisoformat(query["start"][0].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(query["end"][0].replace("Z", "+00:00"))
            ids = [r["Id"] for r in self.leads.values()
                   if start <= dt.datetime.strptime(r["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.%f%z") <= end]
            return 200, {}, {"ids": ids, "latestDateCovered": _stamp(end)}
        if (m := re.fullmatch(rf"{API}/sobjects/(Lead|Task)/(\w+)/([^/]+)", path)):  # by external id
            kind, field, value = m.group(1), m.group(2), unquote(m.group(3))
            store = self.leads if kind == "Lead" else self.tasks
            found = next((r for r in store.values() if str(r.get(field)) == value), None)
            if method == "GET":
                return (200, {}, found) if found else (404, {}, [{"errorCode": "NOT_FOUND", "message": "not found"}])
            if method == "PATCH":
                self.keys_seen[value] += 1
                if found is None:
                    self.created[value] += 1
                    found = {"Id": self._id("00Q" if kind == "Lead" else "00T"), field: value}
                    if kind == "Lead":
                        found["Status"] = "Open - Not Contacted"
                    store[found["Id"]] = found
                    found.update(body or {}, SystemModstamp=self.tick())
                    return 201, {}, {"id": found["Id"], "success": True, "errors": [], "created": True}
                found.update(body or {}, SystemModstamp=self.tick())
                return 204, {}, b""
        if method == "PATCH" and (m := re.fullmatch(rf"{API}/sobjects/Lead/(00Q\w+)", path)):
            self.leads[m.group(1)].update(body or {}, SystemModstamp=self.tick())
            return 204, {}, b""
        raise KeyError(f"{method} {path}")


def _fault(code: str, message: str, *, fault: str = "UnexpectedErrorFault") -> bytes:
    """A SOAP fault as Salesforce's partner API sends it (exceptionCode / exceptionMessage in the detail)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            f"<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring><detail>"
            f'<sf:{fault} xsi:type="sf:{fault}"><sf:exceptionCode>{code}</sf:exceptionCode>'
            f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:{fault}></detail></soapenv:Fault>"
            f"</soapenv:Body></soapenv:Envelope>").encode()


def main() -> None:  # pragma: no cover - by hand
    """`python tests/fake_salesforce.py --port N --leads K --folder DIR`: serve K generated Leads."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--leads", type=int, default=30)
    parser.add_argument("--folder", type=Path, default=Path("."))
    parser.add_argument("--users", default="maya.chen@leadpilot.demo,diego.ramirez@leadpilot.demo")
    parser.add_argument("--login", default="api@leadpilot.demo:password:TOKEN", help="USERNAME:PASSWORD:SECURITY_TOKEN for the SOAP login.")
    args = parser.parse_args()
    fake = FakeSalesforce(args.folder, page_size=200, port=args.port)
    fake.add_api_user(*args.login.split(":", 2))
    users = [fake.add_user(email) for email in args.users.split(",") if email]
    for i in range(args.leads):
        lead = fake.add_lead(FirstName=f"Lee{i}", LastName="Ray", Company=f"Force {i}", Email=f"lee{i}@force{i}.example", Title="CTO",
                             Industry="Technology", NumberOfEmployees=40 + i, Country="US", LeadSource="Web", HasOptedOutOfEmail=i % 10 == 9,
                             **({"OwnerId": users[i % len(users)]} if users and i % 3 == 0 else {}))
        if i % 4 == 0:  # a worked lead's log: a call, an email the lead answered, a meeting
            fake.add_task(lead, Subject="Call: intro", TaskSubtype="Call", CallType="Outbound", CompletedDateTime=_stamp(fake.clock))
            reply = fake.add_task(lead, Subject="Email: RE: intro", TaskSubtype="Email", CompletedDateTime=_stamp(fake.clock))
            fake.add_email_message(reply, incoming=True)
            fake.add_event(lead, Subject="Demo", StartDateTime=_stamp(fake.clock))
    fake.start()
    print(f"fake Salesforce on {fake.url} (session {fake.session}, login {args.login}, CA bundle {fake.ca_bundle}), "
          f"{len(fake.leads)} leads", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":  # pragma: no cover
    main()
