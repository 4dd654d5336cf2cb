"""Engagement a CRM export states, as the activities scoring reads: one mapping for CSV imports
(HubSpot, Salesforce, Zoho CRM files) and for records pulled from a CRM.

A CRM exports engagement as counts and dates ("Number of Form Submissions" 3, "Recent Conversion
Date"), not as the events themselves. Each column becomes inbound activities of the store's kinds
(memory.vocab.ActivityKind), so fit × engagement scoring (tools/scoring, config/scoring.yaml
`engagement` and `behaviour`) and its half-life see what the lead did:

| column (HubSpot label / property)                                   | becomes                                   |
|---------------------------------------------------------------------|-------------------------------------------|
| Number of Form Submissions / num_conversion_events: N               | N `form_submit`                           |
| Recent Conversion Date, First Conversion Date                       | the newest / oldest of those (one each without a count) |
| Number of Pageviews / hs_analytics_num_page_views: N                | N `page_view`                             |
| Number of Sessions / hs_analytics_num_visits: N                     | N `page_view` when no page-view count (a session is page views) |
| Time of Last Session, Last Visit Date                               | the newest page view (one without a count) |
| Marketing emails opened / Email opens / hs_email_open: N            | N `email_opened`                          |
| Marketing emails clicked / Email clicks / hs_email_click: N         | N `email_clicked`                         |
| Last marketing email open / click date                              | the newest open / click (one without a count) |
| Recent Sales Email Replied Date / hs_sales_email_last_replied       | one inbound `email_sent` (the lead wrote to us; `email_sent_inbound` in the shipped policy: 12 points) |
| Last Engagement Date / hs_last_sales_activity_timestamp             | dates the newest counted activity of each kind without a date of its own; alone, one `page_view` (an engagement whose kind the file does not say) |
| Zoho SalesIQ: Days Visited: N                                       | N `page_view` when no page-view or session count (one per day of visits) |
| Zoho SalesIQ: Most Recent Visit, First Visit                        | the newest / oldest page view (and chat)  |
| Zoho SalesIQ: Number Of Chats: N                                    | N inbound `email_sent` "chat on the website" (the lead wrote to us; the store has no chat kind) |

Dates. A count has no dates of its own: its newest activity is dated at the kind's own last date
(Recent Conversion Date, Time of Last Session, ...), else at the Last Engagement Date, else at the
lead's creation; its oldest at the First Conversion Date (forms) or the lead's creation; the rest
evenly in between. So an imported lead is never more recent than its file says, and scoring's
recency (half-life) decays them from those dates. At most MAX_PER_KIND activities are stored per
kind (meta `count` keeps the file's number): the shipped policy's caps are reached long before.

Not engagement, so no activities: "Last Contacted" (the rep's last touch: the lead's
last_contacted_at, which "not contacted in N days" reads), "Last Activity Date" / Salesforce "Last
Activity" (last_contacted_at when there is no Last Contacted), "Number of Sales Activities" (the
reps' logged touches; kept in extra), Salesforce "Last Modified Date" and "Rating", Zoho "Modified
Time", "Rating" and SalesIQ's own "Visitor Score" and "Average Time Spent (Minutes)" (kept in extra
and exported back as written).

Every activity made here carries meta `imported` (its column key). Importing the lead's engagement
again replaces them (`replace_imported_activities`): re-importing a file never duplicates them, and
a newer export's counts replace the older ones. The columns themselves stay in the lead's `extra`,
so an export writes them back and export -> import -> export is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from typing import TYPE_CHECKING

from leadpilot.memory.vocab import ActivityKind, Direction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_PER_KIND = 50  # activities stored per kind and lead; the file's count is kept in meta
IMPORTED_KEY = "imported"  # meta key marking an activity made from a CRM's engagement column

# key -> the headers (CSV labels and CRM property names) that give it; compared by `header_key`.
COUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "form_submissions": ("Number of Form Submissions", "num_conversion_events", "Form Submissions"),
    "page_views": ("Number of Pageviews", "Number of Page Views", "hs_analytics_num_page_views", "Page Views", "Pageviews"),
    "sessions": ("Number of Sessions", "hs_analytics_num_visits", "Sessions", "Number of Visits"),
    "days_visited": ("Days Visited",),  # Zoho SalesIQ: days with a visit
    "chats": ("Number Of Chats", "Chats"),  # Zoho SalesIQ: chats the visitor started
    "email_opens": ("Marketing emails opened", "Email opens", "Emails opened", "hs_email_open"),
    "email_clicks": ("Marketing emails clicked", "Email clicks", "Emails clicked", "hs_email_click"),
}
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "last_engagement_at": ("Last Engagement Date", "hs_last_sales_activity_timestamp", "Last Engagement"),
    "recent_conversion_at": ("Recent Conversion Date", "recent_conversion_date", "Last Form Submission Date"),
    "first_conversion_at": ("First Conversion Date", "first_conversion_date"),
    "last_visit_at": (
        "Time of Last Session", "Last Visit Date", "hs_analytics_last_visit_timestamp", "Last Session Date", "Most Recent Visit",
    ),
    "first_visit_at": ("First Visit", "First Visit Date"),
    "last_open_at": ("Last marketing email open date", "hs_email_last_open_date", "Last Email Open Date"),
    "last_click_at": ("Last marketing email click date", "hs_email_last_click_date", "Last Email Click Date"),
    "email_replied_at": ("Recent Sales Email Replied Date", "hs_sales_email_last_replied", "Last Reply Date"),
}
# What each key becomes, in words (the import report's notes).
ENGAGEMENT_NOUNS: dict[str, str] = {
    "form_submissions": "form_submit ×N", "page_views": "page_view ×N", "sessions": "page_view ×N without a page-view count",
    "days_visited": "page_view ×N without a page-view or session count", "chats": "inbound email_sent ×N (chats)",
    "first_visit_at": "the oldest page_view",
    "email_opens": "email_opened ×N", "email_clicks": "email_clicked ×N", "last_engagement_at": "dates the newest",
    "recent_conversion_at": "the newest form_submit", "first_conversion_at": "the oldest form_submit",
    "last_visit_at": "the newest page_view", "last_open_at": "the newest email_opened",
    "last_click_at": "the newest email_clicked", "email_replied_at": "an inbound email_sent",
}
# HubSpot contact properties to ask for when pulling (tools/crm/hubspot.py), in one list.
HUBSPOT_PROPERTIES: tuple[str, ...] = tuple(
    name for headers in (*COUNT_COLUMNS.values(), *DATE_COLUMNS.values()) for name in headers if name == name.lower() and "_" in name
)

# Per counted kind: (count keys in priority order, the kind's own newest date, its oldest date, activity kind, noun).
_KINDS: tuple[tuple[tuple[str, ...], str, str | None, ActivityKind, str], ...] = (
    (("form_submissions",), "recent_conversion_at", "first_conversion_at", ActivityKind.FORM_SUBMIT, "form submission"),
    (("page_views", "sessions", "days_visited"), "last_visit_at", "first_visit_at", ActivityKind.PAGE_VIEW, "page view"),
    (("email_opens",), "last_open_at", None, ActivityKind.EMAIL_OPENED, "marketing email opened"),
    (("email_clicks",), "last_click_at", None, ActivityKind.EMAIL_CLICKED, "marketing email clicked"),
)
IMPORTED_KINDS: tuple[str, ...] = (*(kind.value for *_, kind, _ in _KINDS), ActivityKind.EMAIL_SENT.value)


def header_key(header: str) -> str:
    """A header's comparison key: lower case, letters and digits only ("No. of Employees" -> "noofemployees")."""
    return "".join(char for char in header.lower() if char.isalnum())


_KEY_OF: dict[str, str] = {
    header_key(header): key for columns in (COUNT_COLUMNS, DATE_COLUMNS) for key, headers in columns.items() for header in headers
}


def engagement_key(header: str) -> str | None:
    """The engagement key a column feeds ("Number of Form Submissions" -> form_submissions), or None."""
    return _KEY_OF.get(header_key(header))


def read_engagement(cells: Mapping[str, Any], *, parse_date: Any) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """The engagement columns among `cells` (header or property -> value) as {key: int | datetime},
    and the cells that cannot be read as (column, value, why); blank cells say nothing.
    `parse_date(text)` is the record's own date reader (ValueError on bad text)."""
    found: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []
    for column, value in cells.items():
        key = _KEY_OF.get(header_key(column))
        if key is None or value is None or (text := str(value).strip()) == "":
            continue
        if key in COUNT_COLUMNS:
            try:
                number = float(text.replace(",", "").replace("_", ""))
            except ValueError:
                number = -1.0
            if not (number.is_integer() and 0 <= number <= 10_000_000):
                problems.append((column, text, "not a whole number from 0 to 10,000,000"))
                continue
            found.setdefault(key, int(number))
        else:
            if isinstance(value, datetime):
                found.setdefault(key, value if value.tzinfo else value.replace(tzinfo=timezone.utc))
                continue
            try:
                found.setdefault(key, parse_date(text))
            except ValueError as error:
                problems.append((column, text, str(error)))
    return found, problems


@dataclass(frozen=True)
class ImportedActivity:
    """One activity to store for a lead (plain data: it travels between processes in a LeadBatch)."""

    kind: str
    occurred_at: datetime
    detail: str
    meta: dict[str, Any]
    direction: str = Direction.INBOUND.value


def engagement_activities(engagement: Mapping[str, Any], *, created_at: datetime | None) -> list[ImportedActivity]:
    """The activities a lead's engagement columns stand for (see the module's table and dating rule)."""
    if not engagement:
        return []
    last_engaged = engagement.get("last_engagement_at")
    activities: list[ImportedActivity] = []
    anchored_last = False  # some activity is dated at the Last Engagement Date
    for count_keys, own_last, own_first, kind, noun in _KINDS:
        count_key = next((key for key in count_keys if key in engagement), None)
        count = engagement[count_key] if count_key is not None else None
        newest = engagement.get(own_last)
        oldest = engagement.get(own_first) if own_first else None
        if count is None:  # dates without a count: one activity per date given
            count = len({date for date in (newest, oldest) if date is not None})
            count_key = own_last
        if not count:
            continue
        if newest is None and last_engaged is not None:
            newest, anchored_last = last_engaged, True
        if newest is None:
            newest = created_at or oldest
        if newest is None:
            continue
        if oldest is None or oldest > newest:
            oldest = min(created_at, newest) if created_at is not None else newest
        dated = "given" if engagement.get(own_last) is not None else ("last engagement" if newest is last_engaged else "created")
        activities += _spread(kind, noun, count, oldest, newest, key=count_key, dated=dated)
    if chats := engagement.get("chats"):  # during the visits: dated like page views, never more recent than the file says
        newest = engagement.get("last_visit_at") or last_engaged or created_at
        if newest is not None:
            oldest = engagement.get("first_visit_at") or created_at or newest
            activities += _spread(ActivityKind.EMAIL_SENT, "chat on the website", chats, min(oldest, newest), newest, key="chats",
                                  dated="given" if engagement.get("last_visit_at") else "created")
    if (replied := engagement.get("email_replied_at")) is not None:
        activities.append(ImportedActivity(ActivityKind.EMAIL_SENT.value, replied, "replied to a sales email",
                                           {IMPORTED_KEY: "email_replied_at", "dated": "given"}))
    if last_engaged is not None and not anchored_last and not any(a.occurred_at == last_engaged for a in activities):
        activities.append(ImportedActivity(ActivityKind.PAGE_VIEW.value, last_engaged, "last engagement (the file does not say of what kind)",
                                           {IMPORTED_KEY: "last_engagement_at", "dated": "given"}))
    return activities


def _spread(kind: ActivityKind, noun: str, count: int, oldest: datetime, newest: datetime, *, key: str | None,
            dated: str) -> list[ImportedActivity]:
    """`count` activities (at most MAX_PER_KIND) evenly from `oldest` to `newest`, the last at `newest`."""
    stored = min(count, MAX_PER_KIND)
    span = newest - oldest
    out = []
    for index in range(stored):
        at = newest if stored == 1 else oldest + span * index / (stored - 1)
        meta = {IMPORTED_KEY: key, "count": count, "dated": dated if index == stored - 1 else "spread"}
        out.append(ImportedActivity(kind.value, at, f"{noun} {index + 1} of {count} (a count in the CRM's export)", meta))
    return out


def replace_imported_activities(session: Session, leads: Iterable[tuple[int, Sequence[ImportedActivity]]]) -> int:
    """Store each lead's imported activities in place of the ones an earlier import made (meta
    `imported`); other activities are untouched. Inbound only: last_contacted_at does not move.
    Returns how many were stored."""
    return replace_marked_activities(session, leads, kinds=IMPORTED_KINDS, marker=IMPORTED_KEY, direction=Direction.INBOUND.value)


def replace_marked_activities(session: Session, leads: Iterable[tuple[int, Sequence[ImportedActivity]]], *, kinds: Sequence[str],
                              marker: str, direction: str | None = None) -> int:
    """Each lead's activities of `kinds` (and `direction`) whose meta has `marker`, replaced by the
    given ones in a few statements for all the leads; returns how many were stored."""
    from sqlalchemy import delete, insert, select  # here: validating a record (lead_record) needs no SQL

    from leadpilot.memory.models import Activity

    by_lead = {lead_id: list(activities) for lead_id, activities in leads if lead_id is not None and lead_id > 0}
    if not by_lead:
        return 0
    ids = list(by_lead)
    stale: list[int] = []
    for start in range(0, len(ids), 5000):
        query = select(Activity.id, Activity.meta).where(Activity.lead_id.in_(ids[start:start + 5000]), Activity.kind.in_(kinds))
        if direction is not None:
            query = query.where(Activity.direction == direction)
        stale += [activity_id for activity_id, meta in session.execute(query) if isinstance(meta, dict) and marker in meta]
    for start in range(0, len(stale), 5000):
        session.execute(delete(Activity).where(Activity.id.in_(stale[start:start + 5000])))
    rows = [
        {"lead_id": lead_id, "kind": activity.kind, "direction": activity.direction, "occurred_at": activity.occurred_at,
         "detail": activity.detail, "meta": activity.meta, "rep_id": None}
        for lead_id, activities in by_lead.items() for activity in activities
    ]
    if rows:
        session.execute(insert(Activity), rows)
    return len(rows)
