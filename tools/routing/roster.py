"""The rep roster from RevOps' spreadsheet: `leadpilot reps import roster.csv` creates and updates
reps (team, role, languages, territories, industries, segments, skills, seniority, tags, capacity,
working hours, time zone, active), and `leadpilot reps list` shows them.

One line per rep, keyed by email. A blank cell leaves the rep's value as it is (a new rep gets the
roster's default); "-" clears a list or an attribute. A line with a bad cell is reported with its
line number, its column and how to write it, and is left out whole; good lines still load. Reps
not in the file are left as they are. A dry run reports the same changes and writes nothing.
Routing reads the roster at each decision, so a pool's `where:` sees the imported values at the
next lead routed.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from leadpilot.memory.models import Rep
from leadpilot.memory.reps import list_reps, upsert_rep
from leadpilot.tools.routing.accounts import csv_text
from leadpilot.tools.routing.roster_cells import COLUMNS, EXAMPLE, CellError, column_field, header_key, read_cell, shown

NEW_REP_DEFAULTS = {"role": "rep", "timezone": "UTC", "capacity": 150, "daily_cap": 25, "routing_weight": 1.0, "active": True}


class RosterImportError(ValueError):
    """The file cannot be read as a roster; the message says what to fix."""


@dataclass
class RosterImport:
    dry_run: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: int = 0  # lines left out (each has one or more problems)
    changes: dict[str, list[str]] = field(default_factory=dict)  # email -> ["languages: en -> de, en", ...]
    problems: list[str] = field(default_factory=list)  # "line 4, column languages: unknown language 'xx' — ..."
    notes: list[str] = field(default_factory=list)  # columns kept as attributes, policy overrides

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "changes": self.changes, "problems": self.problems, "notes": self.notes}

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (f"Roster{' (dry run: nothing written)' if self.dry_run else ''}: {len(self.added)} rep(s) {verb} added, "
                f"{len(self.updated)} updated, {self.unchanged} unchanged, {self.rejected} line(s) rejected.")


def _read(path: Path) -> tuple[csv.DictReader, dict[str, str]]:
    reader = csv.DictReader(io.StringIO(csv_text(path, RosterImportError)))
    headers = [h for h in reader.fieldnames or [] if h and h.strip()]
    columns = {header: column_field(header) for header in headers}
    if "email" not in columns.values():
        raise RosterImportError(f"{path}: the header needs an email column (one line per rep), e.g. {EXAMPLE} — found: "
                                + (", ".join(headers) or "nothing"))
    unusable = [h for h, f in columns.items() if f is None]
    if unusable:
        raise RosterImportError(f"{path}: column(s) {', '.join(map(repr, unusable))} cannot be a roster field or a rep attribute "
                                "— name columns with letters, digits and _ (e.g. skills, seniority)")
    doubled = sorted({f for f in columns.values() if list(columns.values()).count(f) > 1})
    if doubled:
        raise RosterImportError(f"{path}: more than one column fills {', '.join(doubled)} — keep one column for each")
    return reader, {h: f for h, f in columns.items() if f is not None}


def _with_hint(header: str) -> str:
    close = difflib.get_close_matches(header_key(header), list(COLUMNS), n=1, cutoff=0.6)
    return f"{header} (did you mean {close[0]}?)" if close else header


def _parse_line(raw: dict[str, Any], columns: dict[str, str], line: int) -> tuple[dict[str, Any], list[str]]:
    """(fields, problems) for one line: fields holds only the non-blank cells, read."""
    fields: dict[str, Any] = {}
    problems: list[str] = []
    if None in raw:  # more cells than headers
        problems.append(f"line {line}: {len(raw[None])} cell(s) more than the header has columns — quote cells that "
                        'contain commas, e.g. "en, de"')
    for header, name in columns.items():
        text = (raw.get(header) or "").strip()
        if not text:
            continue
        try:
            fields[name] = read_cell(name, text)
        except CellError as error:
            problems.append(f"line {line}, column {header}: {error}")
            fields[name] = None  # read, but wrong
    if "email" not in fields:
        email_header = next(h for h, f in columns.items() if f == "email")
        problems.append(f"line {line}, column {email_header}: no email — every rep is named by their email address")
    return fields, problems


def _changes(rep: Rep | None, fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(what to write, the changes in words) for a rep (None: a new one)."""
    write: dict[str, Any] = {}
    said: list[str] = []
    attributes = dict((rep.attributes or {}) if rep is not None else {})
    for name, value in fields.items():
        if name == "email":
            continue
        if name.startswith("attributes."):
            key = name.split(".", 1)[1]
            old = attributes.get(key)
            if value:
                attributes[key] = value
            else:
                attributes.pop(key, None)
            if list(old or []) != list(value or []) and (old or value):
                said.append(f"{key}: {shown(old)} -> {shown(value)}")
            continue
        old = getattr(rep, name) if rep is not None else NEW_REP_DEFAULTS.get(name)
        if _same(old, value):
            continue
        write[name] = value
        said.append(f"{name}: {shown(old)} -> {shown(value)}")
    if attributes != dict((rep.attributes or {}) if rep is not None else {}):
        write["attributes"] = attributes or None
    return write, said


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return list(old) == list(new)
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and float(old) == float(new)
    return old == new or (not old and not new and old is not False and new is not False)


def import_roster(session: Session, *, path: Path, now: datetime, dry_run: bool = False,
                  policy_reps: dict[str, Any] | None = None) -> RosterImport:
    """Create or update reps from a roster CSV (see the module docstring). `policy_reps` (the
    routing policy's `reps:` section) only adds notes where the policy overrides an imported value."""
    reader, columns = _read(path)
    report = RosterImport(dry_run=dry_run)
    extra = [h for h, f in columns.items() if f.startswith("attributes.") and f.split(".", 1)[1] not in ("skills", "seniority", "tags")]
    if extra:
        report.notes.append("column(s) " + ", ".join(_with_hint(h) for h in extra) + " are not roster fields: kept as rep attributes a pool's where: "
                            "can test — rename a column if you meant a roster field (email, name, team, role, languages, "
                            "territory, industries, segments, capacity, daily_cap, weight, working_hours, timezone, active)")
    existing = {rep.email: rep for rep in list_reps(session)}
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if not any((value or "").strip() for key, value in raw.items() if key is not None):
            continue  # a blank line
        fields, problems = _parse_line(raw, columns, line)
        email = fields.get("email")
        if email in seen:
            problems.append(f"line {line}: {email} is also on line {seen[email]} — keep one line per rep")
        if problems:
            report.problems += problems
            report.rejected += 1
            continue
        seen[email] = line
        rep = existing.get(email)
        write, said = _changes(rep, fields)
        if rep is not None and not said:
            report.unchanged += 1
            continue
        (report.updated if rep is not None else report.added).append(email)
        report.changes[email] = said
        _note_policy(report, email, write, policy_reps or {})
        if not dry_run:
            existing[email] = upsert_rep(session, email=email, now=now, **write)
    return report


_POLICY_OVERRIDES = {"capacity": "max_open_leads", "daily_cap": "max_new_per_day", "routing_weight": "weight",
                     "working_hours": "working_hours", "team": "team"}


def _note_policy(report: RosterImport, email: str, write: dict[str, Any], policy_reps: dict[str, Any]) -> None:
    settings = policy_reps.get(email)
    if settings is None:
        return
    for name, setting in _POLICY_OVERRIDES.items():
        if name in write and getattr(settings, setting, None) is not None:
            report.notes.append(f"{email}: the routing policy's reps: section sets {setting}, which routing uses instead of the "
                                f"imported {name} — remove it there to let the roster decide")


def roster_rows(session: Session) -> list[dict[str, Any]]:
    """Every rep as `leadpilot reps list` shows them."""
    return [
        {"email": rep.email, "name": rep.name, "team": rep.team, "role": rep.role, "active": rep.active,
         "languages": list(rep.languages or []), "territories": list(rep.territories or []),
         "industries": list(rep.industries or []), "segments": list(rep.segments or []),
         "capacity": rep.capacity, "daily_cap": rep.daily_cap, "routing_weight": rep.routing_weight,
         "timezone": rep.timezone, "working_hours": shown(rep.working_hours) if rep.working_hours else None,
         "attributes": dict(rep.attributes or {})}
        for rep in list_reps(session)
    ]
