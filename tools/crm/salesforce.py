"""Salesforce through simple-salesforce (REST + SOQL).

Pull: `SELECT ... FROM Lead WHERE SystemModstamp > <cursor> ORDER BY SystemModstamp` (everything on
the backfill), paged with `nextRecordsUrl`; each Lead's owner comes as `Owner.Email` and is matched
to a rep by email; `Status` maps to a stage (config/crm.yaml); `HasOptedOutOfEmail` true puts the
Lead's Email on the suppression list (memory.email_consent); each page's Leads come with their Task
and Event history as calls, emails and meetings (salesforce_history.py); an incremental pull also
reads the Leads whose Tasks or Events changed since the cursor while the Lead did not (a call logged
is no edit of the Lead). `changed_ids` asks getUpdated
(`/sobjects/Lead/updated/`) for the ids changed in a window, for a cheap "anything new?" check.

Push: a Lead Leadpilot pulled is updated by its Id; one that began in Leadpilot is upserted by the
external id field `Leadpilot_Id__c` (the lead's id), so a resend updates it. The summary note and
follow-up tasks are Tasks upserted by the external id field holding the change's idempotency key
(config/crm.yaml `change_key_field`, default `Leadpilot_Key__c`), linked to the Lead (WhoId).
REQUEST_LIMIT_EXCEEDED (403) raises RateLimited.

Login: username + password + security token through Salesforce's SOAP `login` call
(simple-salesforce's SalesforceLogin, at https://<domain>.salesforce.com or
LEADPILOT_SALESFORCE_LOGIN_URL), or an OAuth access token with the instance URL. A session that
expires (401 INVALID_SESSION_ID) is logged in again once and the call retried once; with a bare
access token, or when the retry is refused too, a CrmError says what to fix (the outbox retries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadpilot.memory.email_consent import is_checked
from leadpilot.tools.crm.connector import Change, CrmError, Page, Pulled, Pushed, RateLimited
from leadpilot.tools.crm.policy import SalesforceMapping
from leadpilot.tools.crm.salesforce_history import attach_history, touched_lead_ids

_LIMIT_WAIT_S = 60.0  # Salesforce does not say when the 24-hour API allowance frees up: look again in a minute
OPT_OUT = "HasOptedOutOfEmail"  # the Lead's "Email Opt Out" checkbox: true puts its Email on the suppression list


def _soql_time(value: str) -> str:
    """The cursor (SystemModstamp, e.g. 2026-12-01T09:00:01.000+0000) as a SOQL datetime literal in
    whole seconds, UTC. Compared with >=: a record in the cursor's own second is read again (an
    update that changes nothing) rather than missed."""
    from datetime import datetime, timezone

    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 -> +00:00
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceConnector:
    name = "salesforce"

    def __init__(self, *, client_factory: Any, mapping: SalesforceMapping, can_login: bool):
        self._factory = client_factory
        self._client = None
        self.mapping = mapping
        self.can_login = can_login
        self._users: dict[str, str] | None = None  # user id -> email
        self.logins_renewed = 0  # sessions that expired and were logged in again
        self.login_at = "https://login.salesforce.com"  # where the SOAP login goes

    @classmethod
    def from_settings(cls, settings: Any, *, mapping: SalesforceMapping) -> "SalesforceConnector":
        import requests
        from simple_salesforce import Salesforce, SalesforceLogin

        def factory():
            session = requests.Session()
            if settings.salesforce_ca_bundle:  # the bundle wins over REQUESTS_CA_BUNDLE from the environment
                session.verify, session.trust_env = str(settings.salesforce_ca_bundle), False
            if settings.salesforce_username and settings.salesforce_password:
                token = settings.salesforce_security_token.get_secret_value() if settings.salesforce_security_token else ""
                login_url = (settings.salesforce_login_url or "").rstrip("/") or None
                session_id, instance = SalesforceLogin(username=settings.salesforce_username, session=session, security_token=token,
                                                       password=settings.salesforce_password.get_secret_value(),
                                                       domain=settings.salesforce_domain, scratch_url=login_url)
                return Salesforce(instance=instance, session_id=session_id, session=session)
            if settings.salesforce_instance_url and settings.salesforce_session_id:
                return Salesforce(instance_url=settings.salesforce_instance_url, session_id=settings.salesforce_session_id.get_secret_value(),
                                  session=session)
            raise CrmError("Salesforce needs LEADPILOT_SALESFORCE_USERNAME + _PASSWORD + _SECURITY_TOKEN, or "
                           "LEADPILOT_SALESFORCE_INSTANCE_URL + _SESSION_ID (an OAuth access token)")

        connector = cls(client_factory=factory, mapping=mapping, can_login=bool(settings.salesforce_username and settings.salesforce_password))
        connector.login_at = (settings.salesforce_login_url or "").rstrip("/") or f"https://{settings.salesforce_domain}.salesforce.com"
        return connector

    # -- calls -------------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            try:
                self._client = self._factory()
            except CrmError:
                raise
            except Exception as error:
                raise self._fail(error, "login") from None
        return self._client

    def _fail(self, error: Exception, what: str) -> CrmError:
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession, SalesforceRefusedRequest

        content = getattr(error, "content", None)
        codes = {item.get("errorCode") for item in content if isinstance(item, dict)} if isinstance(content, list) else set()
        if isinstance(error, SalesforceAuthenticationFailed):
            return CrmError(f"Salesforce refused the login ({error.code}: {error.auth_message}) — check LEADPILOT_SALESFORCE_USERNAME, "
                            "_PASSWORD and _SECURITY_TOKEN (Salesforce emails a new token: Settings → Reset My Security Token) "
                            f"and where it logs in ({self.login_at}: LEADPILOT_SALESFORCE_DOMAIN = login, test or your My Domain, "
                            "or LEADPILOT_SALESFORCE_LOGIN_URL)")
        if isinstance(error, SalesforceRefusedRequest) and "REQUEST_LIMIT_EXCEEDED" in codes:
            return RateLimited(f"Salesforce API limit reached on {what} (REQUEST_LIMIT_EXCEEDED): waiting", _LIMIT_WAIT_S)
        if isinstance(error, SalesforceExpiredSession):
            self._client = None  # log in again next time, when we can
            fix = ("the new session was refused too: check the user's API access" if self.can_login
                   else "set a fresh LEADPILOT_SALESFORCE_SESSION_ID (or use username/password, which logs in again by itself)")
            return CrmError(f"Salesforce session expired on {what} (401 INVALID_SESSION_ID): {fix}")
        status = getattr(error, "status", None)
        if status is not None:
            return CrmError(f"Salesforce answered {status} on {what}: {str(content)[:300]}")
        return CrmError(f"Salesforce unreachable on {what}: {type(error).__name__}: {str(error)[:300]}")

    def _call(self, what: str, use: Callable[[Any], Any]) -> Any:
        """`use(client)`; an expired session is logged in again (username/password) and the call retried once."""
        from simple_salesforce.exceptions import SalesforceExpiredSession

        for attempt in (1, 2):
            client = self.client
            try:
                return use(client)
            except CrmError:
                raise
            except SalesforceExpiredSession as error:
                if attempt == 1 and self.can_login:
                    self._client = None
                    self.logins_renewed += 1
                    continue
                raise self._fail(error, what) from None
            except Exception as error:
                raise self._fail(error, what) from None
        raise AssertionError("unreachable")

    def users(self, *, refresh: bool = False) -> dict[str, str]:
        if self._users is None or refresh:
            answer = self._call("users", lambda sf: sf.query_all("SELECT Id, Email FROM User WHERE IsActive = true"))
            self._users = {r["Id"]: (r.get("Email") or "").lower() for r in answer.get("records", [])}
        return self._users

    def check(self) -> str:
        users = self.users(refresh=True)
        return f"Salesforce at {self.client.sf_instance}: session accepted, {len(users)} active users"

    def changed_ids(self, start: Any, end: Any) -> list[str]:
        """getUpdated: the Lead ids changed between start and end (datetimes)."""
        return list(self._call("getUpdated", lambda sf: sf.Lead.updated(start, end)).get("ids", []))

    # -- pull -------------------------------------------------------------------------------

    def pull(self, *, since: str | None, after: str | None, limit: int = 200) -> Page:
        fields = list(dict.fromkeys(self.mapping.pulled_properties() + ["Id", "OwnerId", "Owner.Email", "Status", "SystemModstamp",
                                                                         OPT_OUT]))
        if after:
            answer = self._call("query more", lambda sf: sf.query_more(after, identifier_is_url=True))
        else:
            where = f" WHERE SystemModstamp >= {_soql_time(since)}" if since else ""
            answer = self._call("query", lambda sf: sf.query(f"SELECT {', '.join(fields)} FROM Lead{where} ORDER BY SystemModstamp ASC"))
        records = [self._record(row) for row in answer.get("records", [])]
        notes: list[str] = []
        if since and not after:  # Leads whose log changed (a call logged) while the Lead itself did not: read them too
            touched, notes = touched_lead_ids(self._call, _soql_time(since))
            records += [record for record in self._leads_by_id(sorted(touched - {r.crm_id for r in records}), fields)
                        if _soql_time(record.modified) < _soql_time(since)]  # a newer one comes in this pull's pages
        logs = attach_history(self._call, records)  # each Lead's Tasks and Events, as calls, emails and meetings
        notes += [] if notes else logs  # one note when the log cannot be read
        return Page(records, None if answer.get("done", True) else answer.get("nextRecordsUrl"), answer.get("totalSize"), notes=notes)

    def _record(self, row: dict[str, Any]) -> Pulled:
        flat = {k: v for k, v in row.items() if k != "attributes"}
        owner = (flat.get("Owner") or {}).get("Email") if isinstance(flat.get("Owner"), dict) else None
        fields = self.mapping.read(flat)
        fields["external_id"] = str(flat["Id"])
        return Pulled(crm_id=str(flat["Id"]), modified=str(flat.get("SystemModstamp") or ""), fields=fields,
                      owner_email=owner.lower() if owner else None, stage=self.mapping.stage_of(flat.get("Status")),
                      opted_out=OPT_OUT if is_checked(flat.get(OPT_OUT)) else None)

    def _leads_by_id(self, ids: list[str], fields: list[str]) -> list[Pulled]:
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), 200):
            inside = ", ".join(f"'{lead_id}'" for lead_id in ids[start:start + 200] if lead_id.isalnum())
            rows += self._call("Lead by id", lambda sf, q=f"SELECT {', '.join(fields)} FROM Lead WHERE Id IN ({inside})":
                               sf.query_all(q)).get("records", [])
        return [self._record(row) for row in rows]

    # -- push -------------------------------------------------------------------------------

    def _user_id(self, email: str | None) -> str | None:
        if not email:
            return None
        ids = {mail: uid for uid, mail in self.users().items()}
        return ids.get(email.lower())

    def _lead_fields(self, p: dict[str, Any], pushed: Pushed, change: Change) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, target in self.mapping.computed.items():
            if p.get(name) is not None:
                fields[target] = p[name]
        if p.get("stage") and p["stage"] in self.mapping.stages:
            fields["Status"] = self.mapping.stages[p["stage"]]
        if p.get("assign"):
            if owner := self._user_id(p.get("owner_email")):
                fields["OwnerId"] = owner
            else:
                pushed.notes[change.id] = f"owner {p.get('owner_email')} is not an active Salesforce user: the Lead's owner is unchanged"
        return fields

    def push(self, changes: list[Change]) -> Pushed:
        pushed = Pushed()
        lead_ids: dict[int, str] = {}  # Leadpilot lead id -> Salesforce Lead Id
        for change in sorted(changes, key=lambda c: (c.kind != "contact", c.id)):
            p = change.payload
            try:
                if change.kind == "contact":
                    lead_ids[change.lead_id] = self._push_lead(change, pushed)
                else:
                    who = p.get("crm_id") or lead_ids.get(change.lead_id) or self._push_lead(change, pushed, bare=True)
                    lead_ids[change.lead_id] = who
                    self._push_task(change, who)
                pushed.sent.append(change.id)
                pushed.links[change.lead_id] = (lead_ids[change.lead_id], None)
            except RateLimited:
                raise
            except CrmError as error:
                if "unreachable" in str(error):
                    raise  # the rest would fail the same way
                pushed.failed[change.id] = str(error)
        return pushed

    def _push_lead(self, change: Change, pushed: Pushed, *, bare: bool = False) -> str:
        p = change.payload
        fields = {} if bare else self._lead_fields(p, pushed, change)
        headers = {"Sforce-Auto-Assign": "FALSE"}
        if p.get("crm_id"):
            if fields:
                self._call("Lead update", lambda sf: sf.Lead.update(p["crm_id"], fields, headers=headers))
            return p["crm_id"]
        name = (p.get("contact_name") or "").split()
        create = {"LastName": name[-1] if name else (p.get("email") or "Unknown"), "Company": p.get("company") or "Unknown",
                  "Email": p.get("email"), **({"FirstName": " ".join(name[:-1])} if len(name) > 1 else {}), **fields}
        self._call("Lead upsert", lambda sf: sf.Lead.upsert(f"Leadpilot_Id__c/{change.lead_id}", create, headers=headers))
        found = self._call("Lead lookup", lambda sf: sf.Lead.get_by_custom_id("Leadpilot_Id__c", str(change.lead_id)))
        return str(found["Id"])

    def _push_task(self, change: Change, who: str) -> None:
        p = change.payload
        key_field = self.mapping.change_key_field
        if change.kind == "note":
            task = {"Subject": "Leadpilot summary", "Description": p.get("body", ""), "Status": "Completed", "WhoId": who}
        else:
            task = {"Subject": p.get("subject") or "Follow up", "Description": p.get("body", ""), "Status": "Not Started",
                    "WhoId": who, "ActivityDate": (p.get("due_at") or "")[:10] or None,
                    "TaskSubtype": "Call" if p.get("task") == "call" else "Email"}
            if owner := self._user_id(p.get("owner_email")):
                task["OwnerId"] = owner
        self._call(f"Task upsert ({change.kind})", lambda sf: sf.Task.upsert(f"{key_field}/{change.key}", task))
