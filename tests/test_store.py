"""The store on both databases: schema from migrations, upsert semantics, audit, reps, activities."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from leadpilot.memory.activities import add_activity
from leadpilot.memory.assignments import lead_assignments, record_assignment
from leadpilot.memory.audit import lead_history
from leadpilot.memory.db import schema_revision, table_names
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.leads import count_leads, get_lead, set_stage, upsert_leads
from leadpilot.memory.models import Lead
from leadpilot.memory.schema import metadata
from leadpilot.memory.reps import add_time_off, get_rep, is_out_of_office, list_reps, open_lead_counts, upsert_rep

from conftest import NOW


def _record(**raw):
    return validate_lead(raw, now=NOW)


def test_schema_comes_from_migrations_and_matches_models(db):
    assert schema_revision(db.engine) is not None
    assert {"leads", "reps", "rep_time_off", "activities", "assignments", "audit_events"} <= set(table_names(db.engine))
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []


def test_upsert_matches_external_id_then_email_and_keeps_unprovided_fields(db):
    with db.transaction() as session:
        first = upsert_leads(
            session,
            records=[
                _record(external_id="A-1", company="Acme", email="ann@acme.com", phone="+1 415 555 0100"),
                _record(company="Globex", email="gil@globex.com"),
            ],
            now=NOW,
        )
    assert [a for a, _ in first.actions] == ["inserted", "inserted"]
    acme_id, globex_id = (i for _, i in first.actions)

    with db.transaction() as session:
        second = upsert_leads(
            session,
            records=[
                _record(external_id="A-1", company="Acme Corp", stage="Opportunity"),  # same external id
                _record(company="Globex Inc", email="GIL@globex.com", industry="Fintech"),  # same email
            ],
            now=NOW + timedelta(hours=1),
        )
    assert second.actions == [("updated", acme_id), ("updated", globex_id)]
    with db.session() as session:
        assert count_leads(session) == 2
        acme = get_lead(session, lead_id=acme_id)
        assert acme.company == "Acme Corp"
        assert acme.phone == "+1 415 555 0100"  # not in the second record: kept
        assert acme.email == "ann@acme.com"
        assert acme.stage == "OPPORTUNITY"
        assert acme.updated_at == NOW + timedelta(hours=1)
        history = lead_history(session, lead_id=acme_id, field="stage")
        assert [(e.old_value, e.new_value) for e in history] == [("LEAD", "OPPORTUNITY")]
        assert get_lead(session, lead_id=globex_id).industry == "fintech"


def test_duplicate_keys_within_one_batch_become_one_lead(db):
    with db.transaction() as session:
        outcome = upsert_leads(
            session,
            records=[_record(email="a@x.io", company="X"), _record(email="a@x.io", company="X Ltd", city="Paris")],
            now=NOW,
        )
    assert outcome.inserted == 1 and outcome.updated == 1
    assert outcome.actions[0][1] == outcome.actions[1][1]
    with db.session() as session:
        (lead,) = session.scalars(select(Lead)).all()
        assert (lead.company, lead.city) == ("X Ltd", "Paris")


def test_unknown_owner_is_a_warning_and_is_kept(db):
    with db.transaction() as session:
        upsert_rep(session, email="rita@team.io", name="Rita", now=NOW)
        outcome = upsert_leads(
            session,
            records=[_record(company="A", owner_email="rita@team.io"), _record(company="B", owner_email="nobody@team.io")],
            now=NOW,
        )
    assert len(outcome.warnings) == 1 and "nobody@team.io" in outcome.warnings[0][1]
    with db.session() as session:
        a, b = session.scalars(select(Lead).order_by(Lead.id)).all()
        assert a.owner.email == "rita@team.io"
        assert b.owner is None and b.extra == {"owner_email": "nobody@team.io"}


def test_timestamps_round_trip_as_aware_utc(db):
    with db.transaction() as session:
        (action,) = upsert_leads(session, records=[_record(company="T", created_at="2026-03-05T14:22:00+02:00")], now=NOW).actions
    with db.session() as session:
        lead = get_lead(session, lead_id=action[1])
        assert lead.created_at.isoformat() == "2026-03-05T12:22:00+00:00"


def test_reps_time_off_capacity_and_assignment_audit(db):
    with db.transaction() as session:
        rep = upsert_rep(
            session, email="Sam@Team.io", name="Sam", territories=["US-CA"], industries=["fintech"],
            timezone="America/Los_Angeles", capacity=2, now=NOW,
        )
        add_time_off(session, rep_id=rep.id, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=2), reason="holiday")
        (action,) = upsert_leads(session, records=[_record(company="Lead Co")], now=NOW).actions
        lead = get_lead(session, lead_id=action[1])
        record_assignment(session, lead=lead, rep=rep, rule="fintech-west", reason="territory US-CA", candidates=[{"rep": "sam@team.io", "score": 1.0}], at=NOW)
    with db.session() as session:
        rep = get_rep(session, email="sam@team.io")
        assert [r.email for r in list_reps(session)] == ["sam@team.io"]
        assert is_out_of_office(rep, at=NOW).reason == "holiday"
        assert is_out_of_office(rep, at=NOW + timedelta(days=3)) is None
        assert open_lead_counts(session) == {rep.id: 1}
        (assignment,) = lead_assignments(session, lead_id=action[1])
        assert assignment.rule == "fintech-west" and assignment.candidates[0]["rep"] == "sam@team.io"
        (event,) = lead_history(session, lead_id=action[1], field="owner")
        assert (event.old_value, event.new_value) == (None, "sam@team.io")
        assert "territory US-CA" in event.reason


def test_outbound_contact_moves_last_contacted_but_inbound_does_not(db):
    with db.transaction() as session:
        (action,) = upsert_leads(session, records=[_record(company="C")], now=NOW).actions
        lead_id = action[1]
        add_activity(session, lead_id=lead_id, kind="email_opened", occurred_at=NOW - timedelta(days=1))
        assert get_lead(session, lead_id=lead_id).last_contacted_at is None
        add_activity(session, lead_id=lead_id, kind="call", occurred_at=NOW - timedelta(days=2))
        add_activity(session, lead_id=lead_id, kind="email_sent", occurred_at=NOW - timedelta(days=5))
        assert get_lead(session, lead_id=lead_id).last_contacted_at == NOW - timedelta(days=2)
        set_stage(session, lead=get_lead(session, lead_id=lead_id), stage="CUSTOMER", reason="signed", at=NOW)
        lead = get_lead(session, lead_id=lead_id)
        assert lead.converted is True and lead.converted_at == NOW


def test_read_only_session_refuses_writes_on_both_databases(db):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with db.transaction() as session:
        upsert_leads(session, records=[_record(company="Keep me")], now=NOW)
    with pytest.raises(DBAPIError):
        with db.read_only(timeout_ms=1000) as session:
            assert count_leads(session) == 1  # reads work
            session.execute(text("DELETE FROM leads"))
    with db.session() as session:
        assert count_leads(session) == 1
    # the pooled connection is writable again for ordinary sessions afterwards
    with db.transaction() as session:
        upsert_leads(session, records=[_record(company="Second")], now=NOW)
    with db.session() as session:
        assert count_leads(session) == 2


def test_read_only_statement_timeout(db):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT count(*) FROM n"
    )
    with pytest.raises(DBAPIError):
        with db.read_only(timeout_ms=50) as session:
            session.execute(text(slow)).scalar()
