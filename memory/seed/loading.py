"""Loading the demo dataset into the store: `load_demo_dataset` bulk-inserts it; `seed_demo` is
what `leadpilot seed` calls (into an empty store, or one emptied first with reset=True).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, func, insert, select
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Lead, Rep, RepTimeOff
from leadpilot.memory.seed.dataset import DemoDataset, SeedSummary, build_demo_dataset, summarize_dataset


class StoreNotEmptyError(RuntimeError):
    """The store already holds data; seeding would mix the demo with it."""

    def __init__(self, *, leads: int, reps: int):
        self.leads, self.reps = leads, reps
        super().__init__(
            f"The store already holds {leads:,} leads and {reps:,} reps; loading the demo data would mix with them. "
            "Pass --reset (seed_demo(..., reset=True)) to delete everything in the store and load the demo data."
        )


# Core table inserts, not ORM bulk inserts: the ORM drops None values row by row, which splits
# rows with different None patterns into many small batches (thousands of round trips).


def _insert_returning_ids(session: Session, model: type, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _insert_activities(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    # A None bound to a JSON column is stored as JSON 'null'; leaving `meta` out stores SQL NULL.
    with_meta: list[dict[str, Any]] = []
    without_meta: list[dict[str, Any]] = []
    for row in rows:
        if row["meta"] is None:
            without_meta.append({k: v for k, v in row.items() if k != "meta"})
        else:
            with_meta.append(row)
    for batch in (with_meta, without_meta):
        if batch:
            session.execute(insert(Activity.__table__), batch)


def _load(session: Session, dataset: DemoDataset) -> None:
    rep_ids = dict(zip((r["email"] for r in dataset.reps), _insert_returning_ids(session, Rep, dataset.reps)))
    time_off = [
        {"rep_id": rep_ids[p["rep_email"]], "starts_at": p["starts_at"], "ends_at": p["ends_at"], "reason": p["reason"]}
        for p in dataset.rep_time_off
    ]
    if time_off:
        session.execute(insert(RepTimeOff.__table__), time_off)

    lead_rows = []
    for lead in dataset.leads:
        row = {k: v for k, v in lead.items() if k != "owner_email"}
        row["owner_id"] = rep_ids[lead["owner_email"]] if lead["owner_email"] else None
        lead_rows.append(row)
    new_ids = _insert_returning_ids(session, Lead, lead_rows)
    lead_ids = dict(zip((lead["external_id"] for lead in dataset.leads), new_ids))

    _insert_activities(
        session,
        (
            {
                "lead_id": lead_ids[a["lead_external_id"]],
                "rep_id": rep_ids[a["rep_email"]] if a["rep_email"] else None,
                "kind": a["kind"],
                "direction": a["direction"],
                "occurred_at": a["occurred_at"],
                "detail": a["detail"],
                "meta": a["meta"],
            }
            for a in dataset.activities
        ),
    )


def load_demo_dataset(db: Database, *, dataset: DemoDataset) -> SeedSummary:
    """Insert the dataset in bulk, in one transaction. Does not check what is already stored."""
    with db.transaction() as session:
        _load(session, dataset)
    return summarize_dataset(dataset)


def _delete_all_rows(session: Session) -> None:
    """Empty every table of the store (children first), whichever module defined it."""
    tables = MetaData()
    tables.reflect(bind=session.connection())
    for table in reversed(tables.sorted_tables):
        if table.name != "alembic_version":
            session.execute(table.delete())


def seed_demo(db: Database, *, now: datetime, seed: int = 7, n_leads: int = 2400, reset: bool = False) -> SeedSummary:
    """Load the demo dataset into an empty store, or, with reset=True, into a store emptied first.

    Raises StoreNotEmptyError when the store holds leads or reps and reset is False.
    """
    dataset = build_demo_dataset(seed=seed, now=now, n_leads=n_leads)
    with db.transaction() as session:
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
        reps = session.scalar(select(func.count()).select_from(Rep)) or 0
        if leads or reps:
            if not reset:
                raise StoreNotEmptyError(leads=leads, reps=reps)
            _delete_all_rows(session)
        _load(session, dataset)
    return summarize_dataset(dataset)
