"""Export every lead as CSV or JSON, with the same columns the importer reads.

Columns: the canonical lead fields (owner_email from the owner rep), language, then every key
found in the leads' `extra`, so an export imported into another database keeps them. Dates are
ISO 8601 UTC ("...Z"); converted is true/false/empty; sources, stages and industries are written
as the store keeps them (website_form, LOST, edtech: the team's own industry, not its group), which
the importer reads back unchanged; the team's own stage spelling ("Marketing Qualified Lead") is the
extra column stage_raw, a lost lead's close date closed_lost_at (memory.lead_record).

A CSV export writes what the importer reads, so export -> import into a fresh store -> export is
byte-identical. Cells a spreadsheet would run as formulas (=, +, -, @, tab or CR first: OWASP CSV
injection) are written with a leading apostrophe, which the importer removes again
(`spreadsheet_safe` / `read_spreadsheet_safe`); `raw=True` (`leadpilot export --raw`) writes them
as stored. What Leadpilot computes (id, score, tier, owner; channel, seniority, department;
the likely-duplicate flags) depends on the store (its reps, its activity history), so it is not
part of that: JSON exports carry it, and a CSV export with `computed=True` (`leadpilot export
--with-scores`) adds id, score, tier and owner.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.lead_record import CANONICAL_FIELDS, DERIVED_FIELDS, OPTIONAL_FIELDS
from leadpilot.memory.leads import iter_leads
from leadpilot.memory.likely_duplicates import LIKELY_DUPLICATE_KEY, likely_duplicates_of
from leadpilot.memory.models import Lead

DATA_COLUMNS: tuple[str, ...] = (*CANONICAL_FIELDS, *OPTIONAL_FIELDS)  # what the importer reads
COMPUTED_COLUMNS: tuple[str, ...] = ("id", "score", "tier", "owner")  # the importer ignores these
EXPORT_COLUMNS: tuple[str, ...] = (*DATA_COLUMNS, *COMPUTED_COLUMNS)
# Only in JSON: derived at every write from the data (a CSV with them would feed `extra` on import).
JSON_ONLY_COLUMNS: tuple[str, ...] = (*DERIVED_FIELDS, LIKELY_DUPLICATE_KEY)
_BATCH = 2000


def export_leads(
    db: Database, *, output: TextIO | Path, format: Literal["csv", "json"] = "csv", batch_size: int = _BATCH,
    computed: bool | None = None, raw: bool = False,
) -> int:
    """Write every lead to `output` (a path, or an open text stream), in id order; return the count.

    `computed` adds what Leadpilot computes (id, score, tier, owner) to a CSV; None (the default)
    leaves it out of a CSV, so the file is exactly what an import reads, and keeps it in JSON.
    A CSV cell a spreadsheet would run as a formula gets a leading apostrophe (`spreadsheet_safe`)
    unless `raw`; JSON is always as stored."""
    if format not in ("csv", "json"):
        raise ValueError(f"unknown export format {format!r}; use 'csv' or 'json'")
    if computed is None:
        computed = format == "json"
    with db.session() as session:
        extra_keys = extra_columns(session)
        leads = (lead_row(lead, extra_keys=extra_keys) for lead in iter_leads(session, batch_size=batch_size))
        with _text_output(output) as stream:
            if format == "csv":
                columns = EXPORT_COLUMNS if computed else DATA_COLUMNS
                return _write_csv(stream, columns=(*columns, *extra_keys), rows=leads, raw=raw)
            if not computed:
                leads = ({k: v for k, v in row.items() if k not in (*COMPUTED_COLUMNS, *JSON_ONLY_COLUMNS)} for row in leads)
            return _write_json(stream, rows=leads)


def extra_columns(session: Session) -> tuple[str, ...]:
    """Every key used in any lead's `extra`, sorted, minus those the export already writes (and
    Leadpilot's own likely-duplicate flags, which an import derives again)."""
    keys: set[str] = set()
    for extra in session.scalars(select(Lead.extra).execution_options(yield_per=5000)):
        if isinstance(extra, dict):
            keys.update(extra)
    return tuple(sorted(keys - set(EXPORT_COLUMNS) - set(JSON_ONLY_COLUMNS)))


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
        "channel": lead.channel,
        "seniority": lead.seniority,
        "department": lead.department,
        LIKELY_DUPLICATE_KEY: likely_duplicates_of(extra) or None,
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


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")  # a formula start, or an apostrophe-quoted one
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")  # -5, +1.5: a number, never a formula


def spreadsheet_safe(value: str) -> str:
    """`value` with one apostrophe in front when a spreadsheet would run it as a formula
    (=HYPERLINK(...), +cmd, -1+..., @SUM, a tab or CR first), so it shows as text. A value that
    already starts with apostrophes before such a character gets one more, so `read_spreadsheet_safe`
    gives back exactly the original: export -> import -> export stays byte-identical."""
    if _NEEDS_QUOTE.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def read_spreadsheet_safe(value: str) -> str:
    """The inverse of spreadsheet_safe, for import: one leading apostrophe before a formula start
    (or before more apostrophes and one) is the text marker an export or a spreadsheet added."""
    if value.startswith("'") and _NEEDS_QUOTE.match(value[1:]) and not _NUMBER.match(value[1:]):
        return value[1:]
    return value


def _csv_cell(value: Any, *, raw: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if raw else spreadsheet_safe(text)


def _write_csv(stream: TextIO, *, columns: tuple[str, ...], rows: Iterator[dict[str, Any]], raw: bool = False) -> int:
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(row[column], raw=raw) for column in columns])
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
