"""Likely duplicates: two leads kept apart because their records say they are different (different
external ids) although they share an email address.

A write never merges such records silently (memory.leads.upsert_lead_batch stores both); each
lead lists the other in `extra["likely_duplicate_of"]` and the audit history says why, so the
lead's profile and "find duplicates of X" show the pair, and a person can merge them
(tools.leads.dedup.merge_leads) or leave them apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.models import Lead

LIKELY_DUPLICATE_KEY = "likely_duplicate_of"  # in a lead's extra: the ids of the leads it may duplicate


@dataclass(frozen=True)
class DuplicatePair:
    """A lead just stored (`lead_id`) that shares `email` with another lead of another external id."""

    lead_id: int
    other_id: int


def likely_duplicates_of(extra: Mapping[str, Any] | None) -> list[int]:
    """The lead ids a lead's extra flags it as a likely duplicate of (none: [])."""
    found = (extra or {}).get(LIKELY_DUPLICATE_KEY)
    if not isinstance(found, list):
        return []
    return [value for value in found if isinstance(value, int) and not isinstance(value, bool)]


def flag_likely_duplicates(session: Session, *, pairs: Sequence[DuplicatePair], at: datetime, actor: str) -> None:
    """Flag each pair on both leads (extra and an audit event each), merging with flags already there."""
    if not pairs:
        return
    session.flush()
    table = Lead.__table__
    ids = sorted({lead_id for pair in pairs for lead_id in (pair.lead_id, pair.other_id)})
    connection = session.connection()
    stored = {
        row.id: row
        for start in range(0, len(ids), 900)
        for row in connection.execute(
            select(table.c.id, table.c.extra, table.c.external_id, table.c.email).where(table.c.id.in_(ids[start : start + 900]))
        )
    }
    flags: dict[int, set[int]] = {lead_id: set(likely_duplicates_of(stored[lead_id].extra)) for lead_id in ids}
    for pair in pairs:
        for lead_id, other_id in ((pair.lead_id, pair.other_id), (pair.other_id, pair.lead_id)):
            if other_id in flags[lead_id]:
                continue
            flags[lead_id].add(other_id)
            other = stored[other_id]
            record_change(
                session, lead_id=lead_id, field="likely_duplicate", old=None, new=other_id, at=at, actor=actor,
                reason=(f"{actor}: shares the email {other.email} with lead {other_id} (external id {other.external_id}) "
                        f"but has external id {stored[lead_id].external_id}: kept as separate leads, flagged as likely duplicates"),
            )
    changes = [
        {"lead_id": lead_id, "new_extra": {**(stored[lead_id].extra or {}), LIKELY_DUPLICATE_KEY: sorted(others)}}
        for lead_id, others in flags.items()
    ]
    statement = update(table).where(table.c.id == bindparam("lead_id")).values(extra=bindparam("new_extra", type_=table.c.extra.type))
    connection.execute(statement, changes)
