"""The store a routing eval suite runs against: the demo data, or a team's own roster.

A dataset with a sibling `<name>.roster.csv` (routing_policy3.yaml -> routing_policy3.roster.csv)
was labelled for another team than the demo's: it runs against a throwaway store that holds only
that roster, imported the way RevOps imports theirs (`leadpilot reps import`), and one closed lead
that earlier-today assignments (a case's `new_today`) can point at. Every other dataset runs
against the demo data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


def roster_file(dataset: Path) -> Path | None:
    """The dataset's own roster, if it has one."""
    candidate = dataset.with_name(dataset.name.removesuffix(".yaml") + ".roster.csv")
    return candidate if candidate.exists() else None


def open_suite_store(folder: Path, roster: Path | None, *, now: datetime, error: type[ValueError]) -> Any:
    """A migrated SQLite store in `folder`: seeded with the demo data, or holding only `roster`."""
    from leadpilot.memory.db import open_database

    db = open_database(f"sqlite:///{folder / ((roster.stem if roster else 'demo') + '.db')}")
    if roster is None:
        from leadpilot.memory.seed import seed_demo

        seed_demo(db, now=now)
        return db
    from leadpilot.memory.models import Lead
    from leadpilot.tools.routing import import_roster

    with db.transaction() as session:
        report = import_roster(session, path=roster, now=now)
        if report.problems or not report.added:
            db.dispose()
            raise error(f"{roster}: the roster did not load: " + ("; ".join(report.problems) or "no reps in it"))
        long_ago = now - timedelta(days=400)
        session.add(Lead(external_id="EVAL-ANCHOR", company="(anchor for earlier assignments)", stage="LOST", source="other",
                         created_at=long_ago, updated_at=long_ago))
    return db
