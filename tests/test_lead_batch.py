"""Bulk lead writes on both databases: encoded batches, ids in input order with a concurrent writer,
and batches that do not fit the database refused."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select

from leadpilot.memory.lead_batch import LeadEncoder
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.leads import upsert_lead_batch, upsert_leads
from leadpilot.memory.models import Lead

from conftest import NOW


def _records(count: int, *, prefix: str = "p"):
    return [validate_lead({"company": f"Co {i}", "email": f"{prefix}{i}@co{i}.example"}, now=NOW) for i in range(count)]


def test_new_ids_follow_input_order_when_another_writer_inserts_meanwhile(db):
    """Another connection commits a lead while the upsert runs (on SQLite right after it read the
    highest id, before its bulk INSERT): every record still gets its own lead's id, and the other
    lead stays separate."""
    fired: list[bool] = []
    # SQLite: the moment the ids of the new rows are derived from; PostgreSQL: the key lookup
    # (its ids come from the sequence, which another writer cannot take twice).
    moment = "max(leads.id)" if db.dialect == "sqlite" else "FROM leads"

    def other_writer(conn, cursor, statement, parameters, context, executemany) -> None:
        if not fired and moment in statement:
            fired.append(True)
            with db.engine.connect() as other:
                other.execute(insert(Lead.__table__).values(company="Elsewhere", email="other@elsewhere.example",
                                                            source="other", stage="LEAD", created_at=NOW, updated_at=NOW))
                other.commit()

    event.listen(db.engine, "after_cursor_execute", other_writer)
    try:
        with db.transaction() as session:
            outcome = upsert_leads(session, records=_records(50), now=NOW)
    finally:
        event.remove(db.engine, "after_cursor_execute", other_writer)

    assert fired
    assert [action for action, _ in outcome.actions] == ["inserted"] * 50
    with db.session() as session:
        emails = dict(session.execute(select(Lead.id, Lead.email)).all())
    assert [emails[lead_id] for _, lead_id in outcome.actions] == [f"p{i}@co{i}.example" for i in range(50)]
    assert len(emails) == 51 and "other@elsewhere.example" in emails.values()


def test_a_batch_split_in_parts_keeps_each_records_owner_extra_and_warnings(db):
    raws = [
        {"company": "A", "email": "a@a.example"},
        {"company": "B", "email": "b@b.example", "owner_email": "nobody@team.example", "stage": "carrier pigeon"},
        {"company": "C", "email": "c@c.example", "country": "Atlantis"},
    ]
    batch = LeadEncoder.for_driver(f"{db.engine.dialect.name}+{db.engine.dialect.driver}").encode(
        [validate_lead(raw, now=NOW) for raw in raws], now=NOW
    )
    tail = batch.part(1, 3)
    assert (len(tail), tail.owner_emails, sorted(tail.extras), sorted(tail.warnings)) == (2, {0: "nobody@team.example"}, [0, 1], [0, 1])

    with db.transaction() as session:
        first = upsert_lead_batch(session, batch=batch.part(0, 1))
        rest = upsert_lead_batch(session, batch=tail)
    assert (first.inserted, first.warnings, rest.inserted) == (1, [], 2)
    assert [index for index, _ in rest.warnings] == [0, 0, 1]  # unknown owner + unknown stage; unknown country
    with db.session() as session:
        extras = dict(session.execute(select(Lead.company, Lead.extra)).all())
    assert extras == {
        "A": None,
        "B": {"stage_raw": "carrier pigeon", "owner_email": "nobody@team.example"},
        "C": {"country_raw": "Atlantis"},
    }


def test_a_batch_encoded_for_another_database_is_refused_with_the_reason(sqlite_db):
    batch = LeadEncoder.for_driver("postgresql+psycopg").encode(_records(1), now=NOW)
    with sqlite_db.transaction() as session, pytest.raises(ValueError, match="encoded for postgresql\\+psycopg.*sqlite"):
        upsert_lead_batch(session, batch=batch)
