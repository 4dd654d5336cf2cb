"""Who may see which lead: the one rule every read for a person applies.

Admins and managers see every lead. A rep sees the leads they own and the unassigned ones (the
queue anyone may pick up). Anyone else (a person who is not a rep, an unlinked Slack user) sees
none. A lead a person may not see does not exist for them: not its id, company, contact, email,
owner, account facts (an existing customer at a domain) nor its place in a routing decision.

`lead_visibility` is the rule as a SQL condition (the lead filter, name lookups and every report
AND it in); `visible_lead_ids` / `can_see_lead` check ids a tool is about to return or act on;
`withhold_leads` / `hidden_from` take the leads a reader may not see out of recorded explanations
(routing reasons, owner histories, a score's closest accounts), by their id fields and the "lead 42"
references in their text (`lead_refs`). The viewer is anything with `sees_everything` and
`rep_id` (tools.leads.Viewer); None means the system itself (pipeline, admin CLI): everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from leadpilot.memory.models import Lead


MAX_LEAD_ID = 2**31 - 1  # leads.id is an INTEGER: a larger id names no lead (and PostgreSQL would refuse it)


class LeadViewer(Protocol):
    """Who is asking: what the rule needs to know about them."""

    @property
    def rep_id(self) -> int | None: ...

    @property
    def sees_everything(self) -> bool: ...


def lead_visibility(viewer: LeadViewer | None) -> ColumnElement[bool]:
    """The leads `viewer` may see, as a condition on Lead: all (admin, manager, the system), a rep's
    own and the unassigned ones, or none (no rep behind the person)."""
    if viewer is None or viewer.sees_everything:
        return true()
    if viewer.rep_id is None:
        return false()
    return or_(Lead.owner_id == viewer.rep_id, Lead.owner_id.is_(None))


def visible_lead_ids(session: Session, viewer: LeadViewer | None, lead_ids: Iterable[int]) -> set[int]:
    """Those of `lead_ids` that exist and `viewer` may see (one query)."""
    wanted = {int(i) for i in lead_ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_LEAD_ID}
    if not wanted:
        return set()
    found: set[int] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start:start + 900]
        found |= set(session.scalars(select(Lead.id).where(Lead.id.in_(chunk), lead_visibility(viewer))))
    return found


def can_see_lead(session: Session, viewer: LeadViewer | None, lead_id: int | None) -> bool:
    """Whether `lead_id` is a lead `viewer` may see (False for ids that do not exist)."""
    return lead_id is not None and lead_id in visible_lead_ids(session, viewer, [lead_id])


_LEAD_REF = re.compile(r"\blead[ #]+(\d{1,18})\b", re.IGNORECASE)


def lead_refs(text: str | None) -> set[int]:
    """The lead ids a sentence names ("lead 42", "Lead #42")."""
    return {int(m.group(1)) for m in _LEAD_REF.finditer(text or "")}


WITHHELD = "(withheld: it concerns a lead you cannot see)"
_ID_KEYS = ("lead_id", "account_lead_id")  # not "id": in a recorded decision that may be a rep's or a row's
_ID_LISTS = ("likely_duplicate_of",)  # and every "..._lead_ids"
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")


def _id_of(value: Any) -> int | None:
    """The lead id an id field holds: an int, or an enriched field's {"value": 42, "source": ...}."""
    if isinstance(value, Mapping):
        value = value.get("value")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _lead_shaped_id(item: Any) -> int | None:
    """The id of a lead-shaped item ({"id": 12, "company": ...}: a row, a neighbour in a score)."""
    if isinstance(item, Mapping) and ("company" in item or "contact_name" in item):
        return _id_of(item.get("id"))
    return None


def _is_id_list(key: Any, value: Any) -> bool:
    return isinstance(value, list) and (str(key).endswith("lead_ids") or key in _ID_LISTS)


def referenced_lead_ids(data: Any) -> set[int]:
    """Every lead id a result names: in id fields ("lead_id", "account_lead_id", lists of
    "..._lead_ids" and "likely_duplicate_of"), lead-shaped items' "id", and its text ("lead 42")."""
    found: set[int] = set()
    if isinstance(data, str):
        return lead_refs(data)
    if isinstance(data, Mapping):
        if (own := _lead_shaped_id(data)) is not None:
            found.add(own)
        for key, value in data.items():
            if key in _ID_KEYS and _id_of(value) is not None:
                found.add(_id_of(value))
            elif _is_id_list(key, value):
                found |= {v for v in value if isinstance(v, int) and not isinstance(v, bool)}
            else:
                found |= referenced_lead_ids(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            found |= referenced_lead_ids(item)
    return found


def withhold_leads(data: Any, hidden: set[int]) -> Any:
    """`data` with every mention of the `hidden` leads taken out: an item about one (its id field,
    or a lead-shaped item's own id: a row, a score's closest account) leaves its list, an id field
    becomes None, an id list loses it, and a sentence naming one is replaced by WITHHELD (the other
    sentences of the text stay). For recorded explanations (routing reasons, candidates, owner
    histories, score neighbours)."""
    if not hidden:
        return data
    if isinstance(data, str):
        if not lead_refs(data) & hidden:
            return data
        return " ".join(WITHHELD if lead_refs(part) & hidden else part for part in _SENTENCE.split(data))
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in _ID_KEYS and _id_of(value) in hidden:
                out[key] = None
            elif _is_id_list(key, value):
                out[key] = [v for v in value if _id_of(v) not in hidden]
            else:
                out[key] = withhold_leads(value, hidden)
        return out
    if isinstance(data, (list, tuple)):
        return [withhold_leads(item, hidden) for item in data
                if not (isinstance(item, Mapping) and (_lead_shaped_id(item) in hidden or any(_id_of(item.get(k)) in hidden for k in _ID_KEYS)))]
    return data


def hidden_from(session: Session, viewer: LeadViewer | None, data: Any) -> set[int]:
    """The leads `data` names that `viewer` may not see (or that do not exist)."""
    named = referenced_lead_ids(data)
    if viewer is None or viewer.sees_everything or not named:
        return set()
    return named - visible_lead_ids(session, viewer, named)
