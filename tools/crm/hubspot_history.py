"""A HubSpot contact's activity log, read with the contacts of a pull: the emails, calls and
meetings associated with each contact (v4 association batch read contacts → emails / calls /
meetings, every page of each contact's associations), then those objects (v3 batch read, 100 ids a
call) with the properties memory.crm_history reads. They become calls, emails and meetings stored
in place of the last pull's, as a Salesforce Lead's Tasks and Events do (salesforce_history.py).

Logging an activity in HubSpot updates the contact's own activity dates (notes_last_updated, ...),
so its lastmodifieddate moves and an incremental pull reads the contact, and with it the log.

A token without the scope for one type (HubSpot answers 403 MISSING_SCOPES: emails need
`sales-email-read`) gets the contacts and the other types; that type is left as the last pull
stored it and the pull's report says which scope to add. A rate limit or an unreachable HubSpot
fails the pull as usual. An email read this way replaces the reply date among the contact's
engagement properties (hs_sales_email_last_replied): the incoming email is the reply, counted once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from leadpilot.memory.crm_history import HUBSPOT_OBJECTS, hubspot_activities
from leadpilot.memory.lead_record import ENGAGEMENT_FIELD
from leadpilot.tools.crm.connector import CrmError, Pulled

_BATCH = 100  # ids per batch read: HubSpot's limit
REPLIED = "hs_sales_email_last_replied"  # the reply date an incoming email object stands for
_SCOPE_HINT = {"emails": "sales-email-read", "calls": "crm.objects.contacts.read", "meetings": "crm.objects.contacts.read"}


def _scopes(error: CrmError) -> list[str]:
    """The scopes HubSpot's 403 names (errors[].context.requiredGranularScopes / requiredScopes)."""
    try:
        body = json.loads(error.body or "{}")
    except ValueError:
        return []
    found: list[str] = []
    errors = body.get("errors") if isinstance(body, dict) else None
    for item in errors if isinstance(errors, list) else []:
        context = item.get("context") if isinstance(item, dict) else None
        for key in ("requiredGranularScopes", "requiredScopes") if isinstance(context, dict) else ():
            found += [str(scope) for scope in context.get(key) or [] if str(scope) not in found]
    return found


def _not_read(object_type: str, error: CrmError) -> str:
    scopes = _scopes(error) or [_SCOPE_HINT[object_type]]
    return (f"HubSpot {object_type} not read (403: the token lacks {' or '.join(scopes)}): {object_type} logged in HubSpot are "
            f"not activities yet — add the scope to the private app (Settings → Integrations → Private Apps → Scopes), "
            "then pull every contact again: `leadpilot crm sync --backfill`")


def _associated(json_call: Callable[..., dict[str, Any]], client: Any, object_type: str, contact_ids: list[str]) -> dict[str, list[str]]:
    """Contact id -> ids of its associated objects of `object_type`, every page."""
    found: dict[str, list[str]] = {}
    pending = [{"id": cid} for cid in contact_ids]
    while pending:
        chunk, pending = pending[:_BATCH], pending[_BATCH:]
        answer = json_call(f"contact {object_type}", client.crm.associations.v4.batch_api.get_page, from_object_type="contacts",
                           to_object_type=object_type, batch_input_public_fetch_associations_batch_request={"inputs": chunk})
        for row in answer.get("results") or []:
            contact = str(row["from"]["id"])
            found.setdefault(contact, []).extend(str(link["toObjectId"]) for link in row.get("to") or [])
            if after := ((row.get("paging") or {}).get("next") or {}).get("after"):
                pending.append({"id": contact, "after": after})
    return found


def _objects(json_call: Callable[..., dict[str, Any]], client: Any, object_type: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    properties = list(HUBSPOT_OBJECTS[object_type][0])
    api = getattr(client.crm.objects, object_type).batch_api
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _BATCH):
        answer = json_call(object_type, api.read, batch_read_input_simple_public_object_id={
            "properties": properties, "inputs": [{"id": i} for i in ids[start:start + _BATCH]]})
        rows.update({str(row["id"]): row for row in answer.get("results") or []})
    return rows


def attach_history(json_call: Callable[..., dict[str, Any]], client: Any, records: list[Pulled], *,
                   now: datetime | None = None) -> list[str]:
    """Fill each record's `history` (and `history_skipped`, `history_kinds`) from its emails, calls
    and meetings; the notes for the pull's report on the types that could not be read."""
    if not records:
        return []
    now = now or datetime.now(timezone.utc)
    contact_ids = [r.crm_id for r in records]
    read: dict[str, dict[str, list[dict[str, Any]]]] = {}  # object type -> contact id -> its objects
    notes: list[str] = []
    for object_type in HUBSPOT_OBJECTS:
        try:
            links = _associated(json_call, client, object_type, contact_ids)
            objects = _objects(json_call, client, object_type, sorted({i for ids in links.values() for i in ids}, key=lambda i: (len(i), i)))
        except CrmError as error:
            if error.status != 403:
                raise
            notes.append(_not_read(object_type, error))
            continue
        read[object_type] = {cid: [objects[i] for i in dict.fromkeys(ids) if i in objects] for cid, ids in links.items()}
    if not read:
        return notes
    kinds = tuple(HUBSPOT_OBJECTS[object_type][1].value for object_type in read)
    for record in records:
        record.history, record.history_skipped, record.history_kinds = [], 0, kinds
        for object_type, by_contact in read.items():
            activities, skipped = hubspot_activities(object_type, by_contact.get(record.crm_id, ()), now=now)
            record.history += activities
            record.history_skipped += skipped
        engagement = record.fields.get(ENGAGEMENT_FIELD)
        if "emails" in read and isinstance(engagement, dict) and engagement.pop(REPLIED, None) is not None and not engagement:
            del record.fields[ENGAGEMENT_FIELD]
    return notes
