"""A Salesforce Lead's activity log, read with the Leads of a pull: its Tasks and Events by SOQL
on `WhoId` (as the REST API returns them, every page by `query_all`), and for email Tasks the
EmailMessage's `Incoming` flag (`ActivityId`), so a lead's reply counts as the lead writing to us.
memory.crm_history turns them into calls, emails and meetings and stores them in place of the last
pull's. A user who may not read Tasks or Events (or EmailMessage) gets the Leads without their log,
and the pull's report says why; a rate limit or an unreachable Salesforce fails the pull as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from leadpilot.memory.crm_history import EVENT_FIELDS, TASK_FIELDS, salesforce_activities
from leadpilot.tools.crm.connector import CrmError, Pulled, RateLimited

_IDS_PER_QUERY = 200  # Lead ids per `WhoId IN (...)`: the query stays far below SOQL's and the URL's length limits


def _quoted(ids: Sequence[str]) -> str:
    return ", ".join("'" + str(i).replace("\\", "").replace("'", "") + "'" for i in ids)


def _rows(call: Callable[[str, Callable[[Any], Any]], Any], what: str, soql_of: Callable[[str], str], ids: Sequence[str]) -> list[dict]:
    rows: list[dict] = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        soql = soql_of(_quoted(ids[start:start + _IDS_PER_QUERY]))
        rows += call(what, lambda sf, q=soql: sf.query_all(q)).get("records", [])
    return rows


def touched_lead_ids(call: Callable[[str, Callable[[Any], Any]], Any], since: str) -> tuple[set[str], list[str]]:
    """The Leads (Id 00Q…) whose Tasks or Events changed at or after `since` (a SOQL datetime), and
    the notes for the report when they could not be read."""
    ids: set[str] = set()
    try:
        for kind in ("Task", "Event"):
            soql = f"SELECT WhoId FROM {kind} WHERE SystemModstamp >= {since}"
            ids |= {str(r["WhoId"]) for r in call(f"{kind} changes", lambda sf, q=soql: sf.query_all(q)).get("records", [])
                    if str(r.get("WhoId") or "").startswith("00Q")}
    except RateLimited:
        raise
    except CrmError as error:
        if "unreachable" in str(error):
            raise
        return set(), [_not_read(error)]
    return ids, []


def _not_read(error: CrmError) -> str:
    return (f"Salesforce Task/Event history not read ({error}): calls, emails and meetings logged in Salesforce are "
            "not activities yet — give the integration user Read on Tasks, Events and EmailMessage")


def attach_history(call: Callable[[str, Callable[[Any], Any]], Any], records: list[Pulled], *, now: datetime | None = None) -> list[str]:
    """Fill each record's `history` (and `history_skipped`) from its Tasks and Events; the notes for
    the pull's report when the log could not be read (the records then keep `history` None)."""
    ids = [r.crm_id for r in records]
    if not ids:
        return []
    now = now or datetime.now(timezone.utc)
    try:
        tasks = _rows(call, "Task history", lambda inside: f"SELECT {', '.join(TASK_FIELDS)} FROM Task WHERE WhoId IN ({inside})", ids)
        events = _rows(call, "Event history",
                       lambda inside: f"SELECT {', '.join(EVENT_FIELDS)} FROM Event WHERE WhoId IN ({inside})", ids)
        emails = [str(t["Id"]) for t in tasks if str(t.get("TaskSubtype") or "").lower() in ("email", "listemail")
                  or str(t.get("Type") or "").lower() == "email"]
        incoming = {str(m["ActivityId"]): m.get("Incoming") is True for m in _rows(
            call, "EmailMessage", lambda inside: f"SELECT ActivityId, Incoming FROM EmailMessage WHERE ActivityId IN ({inside})", emails)
            if m.get("ActivityId")} if emails else {}
    except RateLimited:
        raise
    except CrmError as error:
        if "unreachable" in str(error):
            raise
        return [_not_read(error)]
    by_who: dict[str, tuple[list[dict], list[dict]]] = {i: ([], []) for i in ids}
    for task in tasks:
        by_who.get(str(task.get("WhoId")), ([], []))[0].append(task)
    for event in events:
        by_who.get(str(event.get("WhoId")), ([], []))[1].append(event)
    for record in records:
        tasks_of, events_of = by_who[record.crm_id]
        record.history, record.history_skipped = salesforce_activities(tasks_of, events_of, incoming=incoming, now=now)
    return []
