"""Source attribution over converted (won) leads: first touch versus last touch.

- First touch: the lead's original source (how it came in), as stored: the user's own value.
- Last touch: the source of the lead's last inbound touch at or before its conversion. A touch's
  source is, in order: the `channel` its activity recorded (a web visit's utm source, say; kept as
  given, normalised like a lead's source); a webinar registration -> webinar; a landing page under
  /lp/ -> paid; another page view or form -> organic (the website); an opened or clicked sales
  email -> outbound; a call they made -> other. A converted lead with no inbound touch keeps its
  original source as its last touch.

Rows: one per source that is either (by="source", the default), or per channel group of those
sources (by="channel": paid, organic, referral, event, partner, outbound, owned_media, other),
with counts and shares of the converted leads. The name column is `channel` either way.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, Lead, Rep
from leadpilot.memory.vocab import Direction, channel_of, normalise_source
from leadpilot.tools.analytics.reports import AnalyticsResult, Chart, scope
from leadpilot.tools.leads import LeadFilter, Viewer

DEFINITIONS = [
    "first touch = the lead's original source",
    "last touch = the channel of its last inbound touch (visit, form, email response, call) at or before conversion; "
    "none = its original source",
    "over converted (won) leads; shares are of those leads",
]


AttributionBy = Literal["source", "channel"]


def touch_channel(kind: str, detail: str | None, meta: dict[str, Any] | None) -> str:
    """The source an inbound touch came through (see the module docstring)."""
    recorded = (meta or {}).get("channel")
    if isinstance(recorded, str) and recorded.strip():
        return normalise_source(recorded)
    path = (detail or "").lower()
    if kind in ("email_opened", "email_clicked"):
        return "outbound"
    if kind == "call":
        return "other"
    if path.startswith("/webinar"):
        return "webinar"
    if path.startswith("/lp/"):
        return "paid"
    return "organic"


def source_attribution(
    session: Session, *, lead_filter: LeadFilter | None, viewer: Viewer, now: datetime, by: AttributionBy = "source"
) -> AnalyticsResult:
    """First-touch and last-touch counts and shares per source (or per channel group), over converted leads in scope."""
    where = scope(session, lead_filter=lead_filter, viewer=viewer, now=now)
    converted = list(session.execute(
        select(Lead.id, Lead.source, Lead.converted_at)
        .select_from(Lead).outerjoin(Rep, Lead.owner_id == Rep.id)
        .where(*where.conditions, Lead.converted.is_(True))
    ))
    first = Counter(source for _, source, _ in converted)
    last_touch = {lead_id: source for lead_id, source, _ in converted}  # default: the original source
    closes = {lead_id: converted_at for lead_id, _, converted_at in converted}
    ids = list(closes)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        touches = session.execute(
            select(Activity.lead_id, Activity.kind, Activity.detail, Activity.meta, Activity.occurred_at)
            .where(Activity.lead_id.in_(chunk), Activity.direction == Direction.INBOUND.value)
            .order_by(Activity.lead_id, Activity.occurred_at, Activity.id)
        )
        for lead_id, kind, detail, meta, occurred_at in touches:
            close = closes[lead_id]
            if close is None or occurred_at <= close:
                last_touch[lead_id] = touch_channel(kind, detail, meta)  # ordered, so the last one wins
    if by == "channel":
        group = {value: channel_of(value).value for value in {*last_touch.values(), *(source for _, source, _ in converted)}}
        first = Counter(group[source] for _, source, _ in converted)
        last_touch = {lead_id: group[value] for lead_id, value in last_touch.items()}
        converted = [(lead_id, group[source], at) for lead_id, source, at in converted]
    last = Counter(last_touch.values())
    total = len(converted)
    rows = [
        {"channel": channel, "first_touch": first.get(channel, 0), "last_touch": last.get(channel, 0),
         "first_touch_share": round(first.get(channel, 0) / total, 4), "last_touch_share": round(last.get(channel, 0) / total, 4)}
        for channel in sorted(set(first) | set(last), key=lambda c: (-first.get(c, 0), -last.get(c, 0), c))
    ]
    moved = sum(1 for lead_id, source, _ in converted if last_touch[lead_id] != source)
    notes = [*DEFINITIONS, f"{moved} of {total} converted leads were last touched through another channel than they came in"]
    if by == "channel":
        notes.insert(len(DEFINITIONS), "rows are channel groups of the sources (paid, organic, referral, event, partner, outbound, owned media, other)")
    return AnalyticsResult(
        report="source_attribution", rows=rows, group_by="channel", metric="first_touch",
        chart=Chart(type="grouped", x="channel", y=["first_touch", "last_touch"], title="Converted leads: first vs last touch") if rows else None,
        definitions=notes, based_on=total, filters_applied=where.applied, problems=where.problems,
    )
