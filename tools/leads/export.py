"""Export every lead as CSV or JSON, with the same columns the importer reads.

Columns: the canonical lead fields (owner_email from the owner rep), language, then every key
found in the leads' `extra`, so an export imported into another database keeps them. Dates are
ISO 8601 UTC ("...Z"); converted is true/false/empty, or the file's own cell ("0") on an open lead
that has no outcome (extra.converted_raw); stages are written as the store keeps them (LOST), which the
importer reads back unchanged; an industry and a source are written as the team labelled them in the
file they came from ("EdTech", "Partner Referral", kept in extra.industry_raw / extra.source_raw; the
store keeps edtech and partner_referral), else as stored (a lead with no source: a blank cell); the team's own stage spelling
("Marketing Qualified Lead") is the extra column stage_raw, a lost lead's close date closed_lost_at
(memory.lead_record). JSON keeps the stored industry and industry_raw beside it.

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
from leadpilot.memory.lead_record import (
    CANONICAL_FIELDS, CONVERTED_RAW_KEY, DERIVED_FIELDS, INDUSTRY_RAW_KEY, NO_SOURCE, OPTIONAL_FIELDS, SOURCE_RAW_KEY,
)
from leadpilot.memory.leads import iter_leads
from leadpilot.memory.likely_duplicates import LIKELY_DUPLICATE_KEY, likely_duplicates_of
from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import industry_value, normalise_source

DATA_COLUMNS: tuple[str, ...] = (*CANONICAL_FIELDS, *OPTIONAL_FIELDS)  # what the importer reads
COMPUTED_COLUMNS: tuple[str, ...] = ("id", "score", "tier", "owner")  # the importer ignores these
EXPORT_COLUMNS: tuple[str, ...] = (*DATA_COLUMNS, *COMPUTED_COLUMNS)
# Only in JSON: derived at every write from the data (a CSV with them would feed `extra` on import).
JSON_ONLY_COLUMNS: tuple[str, ...] = (*DERIVED_FIELDS, LIKELY_DUPLICATE_KEY)
# Kept in extra on import, written back by a CSV in their own columns (JSON keeps them beside the stored values).
LABEL_KEYS = frozenset({INDUSTRY_RAW_KEY, SOURCE_RAW_KEY, CONVERTED_RAW_KEY})
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
        labels = format == "csv"  # a CSV writes the team's labels (industry, source, converted) in their columns
        extra_keys = tuple(key for key in extra_columns(session) if not (labels and key in LABEL_KEYS))
        leads = (lead_row(lead, extra_keys=extra_keys, labels=labels) for lead in iter_leads(session, batch_size=batch_size))
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


def lead_row(lead: Lead, *, extra_keys: tuple[str, ...] = (), labels: bool = False) -> dict[str, Any]:
    """One lead as export values (dates as ISO 8601 strings, everything else as stored; with `labels`,
    the industry as the team wrote it: `industry_label_of`)."""
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
        "industry": industry_label_of(lead.industry, extra) if labels else lead.industry,
        "company_size": lead.company_size,
        "country": lead.country,
        "state": lead.state,
        "city": lead.city,
        "source": source_label_of(lead.source, extra) if labels else lead.source,
        "stage": lead.stage,
        "owner_email": owner_email,
        "created_at": iso_utc(lead.created_at),
        "last_contacted_at": iso_utc(lead.last_contacted_at),
        "notes": lead.notes,
        "converted": converted_label_of(lead.converted, extra) if labels else lead.converted,
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


def industry_label_of(industry: str | None, extra: dict[str, Any]) -> str | None:
    """The industry as the team wrote it ("EdTech", kept in extra.industry_raw on import) while it
    still is the stored one; else the stored value."""
    label = extra.get(INDUSTRY_RAW_KEY)
    if industry and isinstance(label, str) and industry_value(label) == industry:
        return label
    return industry


def source_label_of(source: str | None, extra: dict[str, Any]) -> str | None:
    """The source as the team wrote it ("Partner Referral", kept in extra.source_raw) while it still is the
    stored one; a lead with no source (memory.lead_record.NO_SOURCE) as a blank cell; else the stored value."""
    label = extra.get(SOURCE_RAW_KEY)
    if source and isinstance(label, str) and normalise_source(label) == source:
        return label
    return None if source == NO_SOURCE else source


def converted_label_of(converted: bool | None, extra: dict[str, Any]) -> bool | str | None:
    """`converted`, or while no outcome is stored the cell the file had ("0" on an open stage,
    extra.converted_raw), which the importer reads back as no outcome again."""
    label = extra.get(CONVERTED_RAW_KEY)
    return label if converted is None and isinstance(label, str) else converted


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
