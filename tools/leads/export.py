"""Export every lead as CSV or JSON, with the same columns the importer reads.

Columns: the canonical lead fields (owner_email from the owner rep), language, then what
Leadpilot computes (id, score, tier, owner), then every key found in the leads' `extra`, so an
export imported into another database keeps them. Dates are ISO 8601 UTC ("...Z"); converted is
true/false/empty.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.lead_record import CANONICAL_FIELDS, OPTIONAL_FIELDS
from leadpilot.memory.leads import iter_leads
from leadpilot.memory.models import Lead

COMPUTED_COLUMNS: tuple[str, ...] = ("id", "score", "tier", "owner")
EXPORT_COLUMNS: tuple[str, ...] = (*CANONICAL_FIELDS, *OPTIONAL_FIELDS, *COMPUTED_COLUMNS)
_BATCH = 2000


def export_leads(
    db: Database, *, output: TextIO | Path, format: Literal["csv", "json"] = "csv", batch_size: int = _BATCH
) -> int:
    """Write every lead to `output` (a path, or an open text stream), in id order; return the count."""
    if format not in ("csv", "json"):
        raise ValueError(f"unknown export format {format!r}; use 'csv' or 'json'")
    with db.session() as session:
        extra_keys = extra_columns(session)
        leads = (lead_row(lead, extra_keys=extra_keys) for lead in iter_leads(session, batch_size=batch_size))
        with _text_output(output) as stream:
            if format == "csv":
                return _write_csv(stream, columns=(*EXPORT_COLUMNS, *extra_keys), rows=leads)
            return _write_json(stream, rows=leads)


def extra_columns(session: Session) -> tuple[str, ...]:
    """Every key used in any lead's `extra`, sorted, minus those the export already writes."""
    keys: set[str] = set()
    for extra in session.scalars(select(Lead.extra).execution_options(yield_per=5000)):
        if isinstance(extra, dict):
            keys.update(extra)
    return tuple(sorted(keys - set(EXPORT_COLUMNS)))


def lead_row(lead: Lead, *, extra_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """One lead as export values (dates as ISO 8601 strings, everything else as stored)."""
    extra = lead.extra if isinstance(lead.extra, dict) else {}
    # An owner the importer could not resolve to a rep is kept in extra; write it back out.
    owner_email = lead.owner.email if lead.owner is not None else extra.get("owner_email")
    row: dict[str, Any] = {
        "external_id": lead.external_id,
        "company": lead.company,
        "website": lead.website,
        "contact_name": lead.contact_name,
        "email": lead.email,
        "phone": lead.phone,
        "job_title": lead.job_title,
        "industry": lead.industry,
        "company_size": lead.company_size,
        "country": lead.country,
        "state": lead.state,
        "city": lead.city,
        "source": lead.source,
        "stage": lead.stage,
        "owner_email": owner_email,
        "created_at": iso_utc(lead.created_at),
        "last_contacted_at": iso_utc(lead.last_contacted_at),
        "notes": lead.notes,
        "converted": lead.converted,
        "converted_at": iso_utc(lead.converted_at),
        "language": lead.language,
        "id": lead.id,
        "score": lead.score,
        "tier": lead.tier,
        "owner": lead.owner.email if lead.owner is not None else None,
    }
    for key in extra_keys:
        row[key] = extra.get(key)
    return row


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _write_csv(stream: TextIO, *, columns: tuple[str, ...], rows: Iterator[dict[str, Any]]) -> int:
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(row[column]) for column in columns])
        count += 1
    return count


def _write_json(stream: TextIO, *, rows: Iterator[dict[str, Any]]) -> int:
    """A JSON array written one object at a time, so memory stays flat however many leads."""
    count = 0
    stream.write("[")
    for row in rows:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(row, ensure_ascii=False, default=str))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


@contextmanager
def _text_output(output: TextIO | Path | str) -> Iterator[TextIO]:
    if isinstance(output, (str, os.PathLike)):
        with Path(output).open("w", encoding="utf-8", newline="") as handle:
            yield handle
    else:
        with nullcontext(output) as handle:
            yield handle
