"""A CRM's export file for the import tests: written from rows, imported with the team's reps, and
export -> import into a fresh store -> export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conftest import NOW
from leadpilot.memory.db import Database, open_database
from leadpilot.memory.reps import upsert_rep
from leadpilot.tools.leads import import_leads_csv
from leadpilot.tools.leads.export import export_leads
from leadpilot.tools.scoring import load_policy


def write_crm_csv(path: Path, headers: Sequence[str], base: Mapping[str, str], rows: Iterable[Mapping[str, str]], *,
                  quoting: int = csv.QUOTE_MINIMAL) -> Path:
    """A file with the CRM's `headers`, each row `base` with its own cells over it (blank elsewhere)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(headers), quoting=quoting)
        writer.writeheader()
        writer.writerows({**dict.fromkeys(headers, ""), **base, **row} for row in rows)
    return path


def import_with_reps(db: Database, path: Path, reps: Mapping[str, str]):
    """`leadpilot import` of `path` (rule scores) into a store that has the reps (email -> name)."""
    with db.transaction() as session:
        for email, name in reps.items():
            upsert_rep(session, email=email, name=name, now=NOW)
    return import_leads_csv(db, path=path, now=NOW, policy=load_policy())


def export_import_export(db: Database, folder: Path, load: Callable[[Database, Path], Any],
                         check: Callable[[Database], None] | None = None) -> tuple[str, str]:
    """`db`'s CSV export, and the export of a fresh SQLite store `load` imported that file into
    (`check(fresh)` runs before the fresh store is closed)."""
    first = io.StringIO()
    export_leads(db, output=first)
    fresh = open_database(f"sqlite:///{folder / 'fresh.db'}")
    try:
        exported = folder / "export.csv"
        exported.write_text(first.getvalue(), encoding="utf-8")
        load(fresh, exported)
        second = io.StringIO()
        export_leads(fresh, output=second)
        if check is not None:
            check(fresh)
    finally:
        fresh.dispose()
    return first.getvalue(), second.getvalue()
