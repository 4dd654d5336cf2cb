"""HubSpot through the official client (hubspot-api-client, CRM v3/v4).

Pull: the first backfill pages through every contact (GET /crm/v3/objects/contacts, `after`
paging: the search API stops at 10,000 results); later pulls search by `lastmodifieddate` greater
than the cursor, oldest first. Owners (GET /crm/v3/owners) give each owner id its email, which is
matched to a rep; a contact's associated company (v4 association batch read, companies batch read)
fills the company fields the contact leaves empty. The contact's engagement properties (form
submissions, page views, email opens and clicks and their dates: memory.crm_engagement, the same
mapping as a CSV import's columns) travel as the record's `engagement` and become its activities;
its associated emails, calls and meetings become its calls, emails and meetings (hubspot_history.py).
`hs_email_optout` ("Unsubscribed from all email") "true" marks the record as opted out of email:
the sync puts its address on the suppression list (memory.email_consent).

Push: contact changes go in one batch upsert by email (idProperty=email), each input carrying its
idempotency key as `objectWriteTraceId`; notes and tasks are batch upserted by a unique custom
property holding the key (config/crm.yaml `change_key_property`), so a resend updates instead of
creating a second one, then associated with their contact (v4 default association, a PUT-like
idempotent call). A 429 raises RateLimited with the Retry-After; 5xx, 401 and network errors raise
CrmError (retried by the outbox).
"""

from __future__ import annotations

import time
from typing import Any

from leadpilot.memory.crm_engagement import HUBSPOT_PROPERTIES
from leadpilot.memory.email_consent import is_checked
from leadpilot.memory.lead_record import ENGAGEMENT_FIELD
from leadpilot.tools.crm.connector import Change, CrmError, Page, Pulled, Pushed, RateLimited
from leadpilot.tools.crm.hubspot_history import attach_history
from leadpilot.tools.crm.policy import HubSpotMapping

_PAGE = 100
_OWNERS_FRESH_S = 60.0  # an owner email HubSpot does not know makes us read the owners again, at most this often
_SEARCH_WINDOW = 10_000  # HubSpot's search API returns at most this many results per query
OPT_OUT = "hs_email_optout"  # "Unsubscribed from all email": "true" puts the address on the suppression list


def _fail(error: Exception, what: str) -> CrmError:
    status = getattr(error, "status", None)
    if status == 429:
        headers = getattr(error, "headers", None) or {}
        try:
            wait = float(headers.get("Retry-After") or 10)
        except ValueError:
            wait = 10.0
        return RateLimited(f"HubSpot rate limit on {what}: retry after {wait:g}s", wait)
    if status == 401:
        return CrmError(f"HubSpot refused the token on {what} (401) — set LEADPILOT_HUBSPOT_TOKEN to a valid private app token")
    if status is not None:
        body = str(getattr(error, "body", "") or "")
        return CrmError(f"HubSpot answered {status} on {what}: {body[:300]}", status=status, body=body[:4000])
    return CrmError(f"HubSpot unreachable on {what}: {type(error).__name__}: {str(error)[:300]}")


class HubSpotConnector:
    name = "hubspot"

    def __init__(self, *, token: str, base_url: str, mapping: HubSpotMapping, timeout_s: float = 15.0):
        from hubspot import HubSpot
        from urllib3.util.retry import Retry

        # No retries inside the client: a 429 or a 5xx goes back to the outbox, which waits (Retry-After) and resends.
        self.client = HubSpot(access_token=token, host=base_url.rstrip("/"), retry=Retry(total=0, respect_retry_after_header=False))
        self.mapping = mapping
        self.timeout_s = timeout_s
        self._owners: dict[str, str] | None = None  # owner id -> email
        self._owners_at = float("-inf")  # when they were read (time.monotonic)

    # -- reading ---------------------------------------------------------------------------------

    def _call(self, what: str, function, *args, **kwargs):
        try:
            return function(*args, _request_timeout=self.timeout_s, **kwargs)
        except Exception as error:  # the client's ApiException per package, urllib3's errors
            raise _fail(error, what) from None

    def _json(self, what: str, function, **kwargs) -> dict[str, Any]:
        """The call's answer as plain JSON, not the client's model objects: building those (a dateutil
        parse per timestamp, a Configuration per object) cost more than the round trip on a backfill."""
        import json

        response = self._call(what, function, _preload_content=False, **kwargs)
        try:
            return json.loads(response.data or b"{}")
        except ValueError as error:
            raise CrmError(f"HubSpot answered {what} with something that is not JSON: {error}") from None
        finally:
            response.release_conn()

    def owners(self, *, refresh: bool = False) -> dict[str, str]:
        """Owner id -> email (every page of GET /crm/v3/owners)."""
        if self._owners is None or refresh:
            found, after = {}, None
            while True:
                page = self._call("owners", self.client.crm.owners.owners_api.get_page, limit=_PAGE,
                                  **({"after": after} if after else {}))
                for owner in page.results or []:
                    if owner.email:
                        found[str(owner.id)] = owner.email.lower()
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after:
                    break
            self._owners, self._owners_at = found, time.monotonic()
        return self._owners

    def check(self) -> str:
        owners = self.owners(refresh=True)
        return f"HubSpot at {self.client.config.get('host')}: token accepted, {len(owners)} owners"

    def _properties(self) -> list[str]:
        stage = ["lifecyclestage"] if self.mapping.stages else []
        return list(dict.fromkeys(self.mapping.pulled_properties() + ["hubspot_owner_id", "lastmodifieddate", OPT_OUT] + stage
                                  + list(HUBSPOT_PROPERTIES)))

    def pull(self, *, since: str | None, after: str | None, limit: int = _PAGE) -> Page:
        props = self._properties()
        if since is None:  # backfill: list every contact
            page = self._json("contacts list", self.client.crm.contacts.basic_api.get_page, limit=min(limit, _PAGE),
                              properties=props, archived=False, **({"after": after} if after else {}))
            total = None
        else:
            from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest

            request = PublicObjectSearchRequest(
                filter_groups=[FilterGroup(filters=[Filter(property_name="lastmodifieddate", operator="GT", value=since)])],
                sorts=["lastmodifieddate"], properties=props, limit=min(limit, _PAGE), after=after)
            page = self._json("contacts search", self.client.crm.contacts.search_api.do_search, public_object_search_request=request)
            total = page.get("total")
        contacts = page.get("results") or []
        companies = self._companies([str(c["id"]) for c in contacts])
        owners = self.owners() if any((c.get("properties") or {}).get("hubspot_owner_id") for c in contacts) else {}
        records = []
        for contact in contacts:
            contact_id, properties = str(contact["id"]), dict(contact.get("properties") or {})
            fields = self.mapping.read(properties)
            for name, value in companies.get(contact_id, {}).items():
                fields.setdefault(name, value)
            fields.setdefault("external_id", contact_id)
            if engagement := {name: properties[name] for name in HUBSPOT_PROPERTIES if properties.get(name) not in (None, "")}:
                fields[ENGAGEMENT_FIELD] = engagement
            modified = properties.get("lastmodifieddate") or contact.get("updatedAt") or ""
            records.append(Pulled(crm_id=contact_id, modified=str(modified), fields=fields,
                                  owner_email=owners.get(str(properties.get("hubspot_owner_id") or "")),
                                  stage=self.mapping.stage_of(properties.get("lifecyclestage")),
                                  opted_out=OPT_OUT if is_checked(properties.get(OPT_OUT)) else None))
        notes = attach_history(self._json, self.client, records)  # each contact's emails, calls and meetings
        next_after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if since is not None and next_after and int(next_after) + limit > _SEARCH_WINDOW:
            return Page(records, None, total, restart=True, notes=notes)  # search pages stop at 10,000 results: search again from here
        return Page(records, next_after, total, notes=notes)

    def _companies(self, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Contact id -> company fields from its associated company (name, domain, industry, size):
        one associations batch and one companies batch read per page."""
        if not contact_ids:
            return {}
        links = self._json("contact companies", self.client.crm.associations.v4.batch_api.get_page,
                           from_object_type="contacts", to_object_type="companies",
                           batch_input_public_fetch_associations_batch_request={"inputs": [{"id": cid} for cid in contact_ids]})
        company_of = {}
        for row in links.get("results") or []:
            if row.get("to"):
                company_of[str(row["from"]["id"])] = str(row["to"][0]["toObjectId"])
        if not company_of:
            return {}
        read = self._json("companies", self.client.crm.companies.batch_api.read,
                          batch_read_input_simple_public_object_id={"properties": ["name", "domain", "industry", "numberofemployees"],
                                                                    "inputs": [{"id": cid} for cid in sorted(set(company_of.values()))]})
        by_id = {str(c["id"]): c.get("properties") or {} for c in read.get("results") or []}
        out = {}
        for contact_id, company_id in company_of.items():
            props = by_id.get(company_id, {})
            values = {"company": props.get("name"), "website": props.get("domain"), "industry": props.get("industry"),
                      "company_size": props.get("numberofemployees")}
            out[contact_id] = {k: v for k, v in values.items() if v not in (None, "")}
        return out

    # -- writing ---------------------------------------------------------------------------------

    def _owner_id(self, email: str | None) -> str | None:
        if not email:
            return None
        ids = {mail: owner_id for owner_id, mail in self.owners().items()}
        if email.lower() not in ids and time.monotonic() - self._owners_at > _OWNERS_FRESH_S:  # a user added since? once a minute
            ids = {mail: owner_id for owner_id, mail in self.owners(refresh=True).items()}
        return ids.get(email.lower())

    def _contact_properties(self, payload: dict[str, Any], note: Any = None) -> dict[str, str]:
        props = {}
        for name, prop in self.mapping.computed.items():
            if payload.get(name) is not None:
                props[prop] = str(payload[name])
        if payload.get("stage") and payload["stage"] in self.mapping.stages:
            props["lifecyclestage"] = self.mapping.stages[payload["stage"]]
        if payload.get("assign"):
            if owner := self._owner_id(payload.get("owner_email")):
                props["hubspot_owner_id"] = owner
            elif note is not None:
                note(f"owner {payload.get('owner_email')} is not a HubSpot user (Settings > Users): the contact's owner is unchanged")
        return props

    def push(self, changes: list[Change]) -> Pushed:
        from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert

        pushed = Pushed()
        usable = []
        for change in changes:
            if not change.payload.get("email"):
                pushed.failed[change.id] = "the lead has no email: HubSpot contacts are upserted by email — add one"
            else:
                usable.append(change)
        by_email: dict[str, dict[str, Any]] = {}
        for change in usable:  # every email of the batch, so notes and tasks learn their contact id
            entry = by_email.setdefault(change.payload["email"].lower(), {"props": {}, "keys": [], "lead_id": change.lead_id})
            if change.kind == "contact":
                entry["props"].update(self._contact_properties(change.payload, note=lambda text, c=change: pushed.notes.__setitem__(c.id, text)))
                entry["keys"].append(change.key)
        if not by_email:
            return pushed
        inputs = [SimplePublicObjectBatchInputUpsert(id=email, id_property="email", properties=entry["props"],
                                                     object_write_trace_id=",".join(entry["keys"]) or None)
                  for email, entry in by_email.items()]
        answer = self._call("contacts batch upsert", self.client.crm.contacts.batch_api.upsert,
                            batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
        contact_ids = {}
        owners = self.owners() if any((r.properties or {}).get("hubspot_owner_id") for r in answer.results or []) else {}
        for result in answer.results or []:
            email = str((result.properties or {}).get("email") or "").lower()
            contact_ids[email] = str(result.id)
            if email in by_email and by_email[email]["lead_id"] is not None:
                owner = owners.get(str((result.properties or {}).get("hubspot_owner_id") or ""))
                pushed.links[by_email[email]["lead_id"]] = (str(result.id), owner)
        for change in usable:
            if change.kind == "contact":
                if change.payload["email"].lower() in contact_ids:
                    pushed.sent.append(change.id)
                else:
                    pushed.failed[change.id] = "HubSpot did not return the contact for this email"
        for kind in ("note", "task"):
            self._push_engagements(kind, [c for c in usable if c.kind == kind], contact_ids, pushed)
        return pushed

    def _push_engagements(self, kind: str, changes: list[Change], contact_ids: dict[str, str], pushed: Pushed) -> None:
        if not changes:
            return
        from hubspot.crm.associations.v4 import BatchInputPublicDefaultAssociationMultiPost, PublicDefaultAssociationMultiPost
        from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert

        key_prop = self.mapping.change_key_property
        inputs, ready = [], []
        for change in changes:
            contact = contact_ids.get(change.payload["email"].lower())
            if contact is None:
                pushed.failed[change.id] = "its contact is not in HubSpot yet"
                continue
            p = change.payload
            if kind == "note":
                props = {"hs_note_body": p.get("body", ""), "hs_timestamp": p.get("at", "")}
            else:
                props = {"hs_task_subject": p.get("subject", ""), "hs_task_body": p.get("body", ""),
                         "hs_timestamp": p.get("due_at", ""), "hs_task_status": "NOT_STARTED",
                         "hs_task_type": "CALL" if p.get("task") == "call" else "EMAIL"}
                if owner := self._owner_id(p.get("owner_email")):
                    props["hubspot_owner_id"] = owner
            props[key_prop] = change.key
            inputs.append(SimplePublicObjectBatchInputUpsert(id=change.key, id_property=key_prop, properties=props,
                                                             object_write_trace_id=change.key))
            ready.append((change, contact))
        if not inputs:
            return
        api = getattr(self.client.crm.objects, kind + "s").batch_api
        answer = self._call(f"{kind}s batch upsert", api.upsert,
                            batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
        ids = {str((r.properties or {}).get(key_prop)): str(r.id) for r in answer.results or []}
        pairs = [(change, ids[change.key], contact) for change, contact in ready if change.key in ids]
        if pairs:
            self._call(f"{kind} associations", self.client.crm.associations.v4.batch_api.create_default,
                       from_object_type=kind + "s", to_object_type="contacts",
                       batch_input_public_default_association_multi_post=BatchInputPublicDefaultAssociationMultiPost(
                           inputs=[PublicDefaultAssociationMultiPost(_from={"id": oid}, to={"id": cid}) for _, oid, cid in pairs]))
        for change, contact in ready:
            if change.key in ids:
                pushed.sent.append(change.id)
            else:
                pushed.failed[change.id] = f"HubSpot did not return the {kind}"
