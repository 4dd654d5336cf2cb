"""A CRM's own activity log, as the activities scoring and "not contacted in N days" read.

Salesforce keeps what reps and leads did as Task and Event records on the Lead (`WhoId`), which a
pull reads by SOQL (tools/crm/salesforce_history.py); HubSpot as email, call and meeting objects
associated with the contact (CRM v3 objects, v4 associations: tools/crm/hubspot_history.py).
Each becomes one activity:

| Salesforce record                                                   | becomes                                   |
|---------------------------------------------------------------------|-------------------------------------------|
| Task, TaskSubtype `Call` (or Type `Call`), closed                    | `call`, inbound when CallType is `Inbound`, else outbound |
| Task, TaskSubtype `Email` / `ListEmail` (or Type `Email`), closed    | `email_sent`, inbound when its EmailMessage is `Incoming` (the lead wrote to us), else outbound |
| Event (or a closed Task of Type `Meeting`) that has begun            | `meeting` (outbound: we met)              |
| an open Task (a to-do), an Event still to come, any other Task       | nothing: not a touch yet, or not one the store has a kind for |
| Leadpilot's own summary Task (subject "Leadpilot summary")            | nothing: Leadpilot wrote it (its follow-up Tasks count once a rep closes them) |
| HubSpot email, `hs_email_direction` EMAIL / FORWARDED_EMAIL / INCOMING_EMAIL | `email_sent`, inbound for INCOMING_EMAIL (the lead wrote to us), else outbound |
| HubSpot call, `hs_call_direction` INBOUND / OUTBOUND                 | `call`, inbound for INBOUND, else outbound |
| HubSpot meeting that has begun                                      | `meeting` (outbound: we met)              |
| HubSpot email not sent (`hs_email_status` BOUNCED, FAILED, SCHEDULED, SENDING), a call that did not happen (`hs_call_status` CANCELED, FAILED, QUEUED, RINGING, CONNECTING, IN_PROGRESS, CALLING_CRM_USER), a meeting CANCELED, NO_SHOW or RESCHEDULED, anything still to come | nothing: no touch (a call BUSY or NO_ANSWER is one: the rep called) |

When: a Task's CompletedDateTime, else its ActivityDate (the day, at 00:00 UTC), else its
CreatedDate; an Event's StartDateTime (ActivityDateTime for an all-day one); a HubSpot object's
`hs_timestamp` (a meeting's `hs_meeting_start_time` first). The detail is the subject or title;
meta `crm_activity` names the record ("salesforce:00T…", "hubspot:calls:123") and `crm_type` what it was.

A pull reads a lead's whole log each time, so `replace_crm_history` stores it in place of the one
the last pull stored (meta `crm_activity`): pulling again never duplicates, and a record deleted
in the CRM goes. A kind the pull could not read (a HubSpot token without the scope for emails)
is left as the last pull stored it. Outbound touches move the lead's last_contacted_at forward (never back), as a
logged call does (memory.activities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from leadpilot.memory.crm_engagement import ImportedActivity, replace_marked_activities
from leadpilot.memory.vocab import CONTACT_KINDS, ActivityKind, Direction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HISTORY_KEY = "crm_activity"  # meta key: the CRM record an activity stands for
HISTORY_KINDS: tuple[str, ...] = (ActivityKind.CALL.value, ActivityKind.EMAIL_SENT.value, ActivityKind.MEETING.value)
LEADPILOT_SUBJECTS = frozenset({"leadpilot summary"})  # Tasks Leadpilot pushes (tools/crm/salesforce.py)
TASK_FIELDS = ("Id", "WhoId", "Subject", "Status", "IsClosed", "TaskSubtype", "Type", "CallType", "ActivityDate",
               "CompletedDateTime", "CreatedDate")
EVENT_FIELDS = ("Id", "WhoId", "Subject", "Type", "StartDateTime", "ActivityDateTime", "IsAllDayEvent")


def _when(*values: Any) -> datetime | None:
    from leadpilot.memory.lead_record import parse_datetime

    for value in values:
        if value in (None, ""):
            continue
        try:
            return parse_datetime(str(value))
        except ValueError:
            continue
    return None


def _task_kind(task: Mapping[str, Any]) -> ActivityKind | None:
    subtype, kind = str(task.get("TaskSubtype") or "").lower(), str(task.get("Type") or "").lower()
    if subtype == "call" or kind == "call":
        return ActivityKind.CALL
    if subtype in ("email", "listemail") or kind == "email":
        return ActivityKind.EMAIL_SENT
    if kind == "meeting":
        return ActivityKind.MEETING
    return None


def salesforce_activities(tasks: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]], *, incoming: Mapping[str, bool],
                          now: datetime) -> tuple[list[ImportedActivity], int]:
    """One Lead's Tasks and Events (REST rows) as activities (the module's table), and how many
    records were left out. `incoming`: Task Id -> its EmailMessage's Incoming flag."""
    activities: list[ImportedActivity] = []
    skipped = 0
    for task in tasks:
        kind = _task_kind(task)
        subject = str(task.get("Subject") or "").strip()
        closed = task.get("IsClosed") is True or str(task.get("Status") or "").lower() == "completed"
        at = _when(task.get("CompletedDateTime"), task.get("ActivityDate"), task.get("CreatedDate"))
        if kind is None or not closed or at is None or at > now or subject.lower() in LEADPILOT_SUBJECTS:
            skipped += 1
            continue
        inbound = (str(task.get("CallType") or "").lower() == "inbound" if kind == ActivityKind.CALL
                   else incoming.get(str(task["Id"])) is True if kind == ActivityKind.EMAIL_SENT else False)
        activities.append(ImportedActivity(
            kind.value, at, subject[:500] or kind.value.replace("_", " "),
            {HISTORY_KEY: f"salesforce:{task['Id']}", "crm_type": f"Task/{task.get('TaskSubtype') or task.get('Type') or 'Task'}"},
            direction=(Direction.INBOUND if inbound else Direction.OUTBOUND).value))
    for event in events:
        at = _when(event.get("StartDateTime"), event.get("ActivityDateTime"))
        if at is None or at > now:
            skipped += 1
            continue
        subject = str(event.get("Subject") or "").strip()
        activities.append(ImportedActivity(
            ActivityKind.MEETING.value, at, subject[:500] or "meeting",
            {HISTORY_KEY: f"salesforce:{event['Id']}", "crm_type": f"Event/{event.get('Type') or 'Meeting'}"},
            direction=Direction.OUTBOUND.value))
    return activities, skipped


# HubSpot: object type -> (the properties to read, the activity kind); `hubspot_activities` reads them.
HUBSPOT_OBJECTS: dict[str, tuple[tuple[str, ...], ActivityKind]] = {
    "emails": (("hs_timestamp", "hs_email_direction", "hs_email_status", "hs_email_subject"), ActivityKind.EMAIL_SENT),
    "calls": (("hs_timestamp", "hs_call_direction", "hs_call_status", "hs_call_title"), ActivityKind.CALL),
    "meetings": (("hs_timestamp", "hs_meeting_start_time", "hs_meeting_outcome", "hs_meeting_title"), ActivityKind.MEETING),
}
_NO_TOUCH = {  # statuses / outcomes of a HubSpot object that is no touch (the module's table)
    "emails": ("hs_email_status", frozenset({"BOUNCED", "FAILED", "SCHEDULED", "SENDING"})),
    "calls": ("hs_call_status", frozenset({"CANCELED", "FAILED", "QUEUED", "RINGING", "CONNECTING", "IN_PROGRESS", "CALLING_CRM_USER"})),
    "meetings": ("hs_meeting_outcome", frozenset({"CANCELED", "NO_SHOW", "RESCHEDULED"})),
}


def hubspot_activities(object_type: str, objects: Iterable[Mapping[str, Any]], *, now: datetime) -> tuple[list[ImportedActivity], int]:
    """One contact's HubSpot objects of one type (REST rows: id, properties) as activities (the
    module's table), and how many were left out."""
    kind = HUBSPOT_OBJECTS[object_type][1]
    status_property, not_touches = _NO_TOUCH[object_type]
    activities: list[ImportedActivity] = []
    skipped = 0
    for row in objects:
        props = row.get("properties") or {}
        status = str(props.get(status_property) or "").upper()
        at = _when(props.get("hs_meeting_start_time"), props.get("hs_timestamp")) if kind == ActivityKind.MEETING \
            else _when(props.get("hs_timestamp"))
        if status in not_touches or at is None or at > now:
            skipped += 1
            continue
        direction = str(props.get("hs_email_direction") or props.get("hs_call_direction") or "").upper()
        inbound = direction in ("INCOMING_EMAIL", "INBOUND")
        title = str(props.get("hs_email_subject") or props.get("hs_call_title") or props.get("hs_meeting_title") or "").strip()
        activities.append(ImportedActivity(
            kind.value, at, title[:500] or kind.value.replace("_", " "),
            {HISTORY_KEY: f"hubspot:{object_type}:{row['id']}", "crm_type": f"{object_type[:-1]}/{status or direction or 'logged'}"},
            direction=(Direction.INBOUND if inbound else Direction.OUTBOUND).value))
    return activities, skipped


def replace_crm_history(session: Session, leads: Iterable[tuple[int, Sequence[ImportedActivity]]], *,
                        kinds: Sequence[str] = HISTORY_KINDS) -> int:
    """Store each lead's CRM activity log in place of the one stored before (meta `crm_activity`,
    of `kinds`: those the pull read); other activities are untouched. Outbound touches move
    last_contacted_at forward. Returns how many were stored."""
    from leadpilot.memory.models import Lead

    by_lead = {lead_id: list(activities) for lead_id, activities in leads if lead_id is not None and lead_id > 0}
    stored = replace_marked_activities(session, by_lead.items(), kinds=kinds, marker=HISTORY_KEY)
    contact = {kind.value for kind in CONTACT_KINDS}
    for lead_id, activities in by_lead.items():
        touched = [a.occurred_at for a in activities if a.kind in contact and a.direction == Direction.OUTBOUND.value]
        if touched and (lead := session.get(Lead, lead_id)) is not None:
            newest = max(touched).astimezone(timezone.utc)
            if lead.last_contacted_at is None or newest > lead.last_contacted_at:
                lead.last_contacted_at = newest
    return stored
