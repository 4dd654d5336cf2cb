"""What a CRM pull carries besides the record's fields: its email opt-out (HubSpot hs_email_optout,
Salesforce HasOptedOutOfEmail) onto the suppression list, never lifted by a later pull; and a
Salesforce Lead's Task and Event history as the calls, emails and meetings scoring and "not
contacted in N days" read, stored once however often it is pulled. Through the official clients
against the loopback fakes, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import NOW
from fake_hubspot import TOKEN, FakeHubSpot
from fake_salesforce import SESSION, FakeSalesforce
from leadpilot.clock import Clock
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.outbox import CrmLink, EmailSuppression
from leadpilot.settings import load_settings
from leadpilot.tools.crm import load_policy, require_connector
from leadpilot.tools.pipeline import sync_crm


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        yield fake


@pytest.fixture
def salesforce(tmp_path) -> Iterator[FakeSalesforce]:
    with FakeSalesforce(tmp_path, page_size=3) as fake:
        yield fake


def _connector(fake, tmp_path):
    if isinstance(fake, FakeHubSpot):
        settings = load_settings(hubspot_token=TOKEN, hubspot_base_url=fake.url, data_dir=tmp_path / "data")
        return require_connector(settings, "hubspot")
    settings = load_settings(salesforce_instance_url=fake.url, salesforce_session_id=SESSION, salesforce_ca_bundle=fake.ca_bundle,
                             data_dir=tmp_path / "data")
    return require_connector(settings, "salesforce")


def _suppressed(db: Database) -> dict[str, tuple[str, str]]:
    with db.session() as session:
        return {row.email: (row.reason, row.detail) for row in session.scalars(select(EmailSuppression))}


def _lead_of(db: Database, crm: str, crm_id: str) -> int:
    with db.session() as session:
        return session.scalar(select(CrmLink.lead_id).where(CrmLink.crm == crm, CrmLink.crm_id == crm_id))


def test_a_hubspot_contacts_email_optout_is_suppressed_and_a_later_pull_lifts_nothing(db, hubspot, tmp_path):
    out = hubspot.add_contact(email="Ana@Optco.example", firstname="Ana", lastname="Ruiz", company="Optco", hs_email_optout=True)
    stay = hubspot.add_contact(email="bo@stayco.example", firstname="Bo", lastname="Lee", company="Stayco", hs_email_optout=False)
    connector = _connector(hubspot, tmp_path)
    report = sync_crm(db, connector, policy=load_policy(), now=NOW)
    assert (report.captured, report.opted_out) == (2, 1) and report.as_dict()["opted_out"] == 1
    assert _suppressed(db) == {"ana@optco.example": ("unsubscribed", f"hs_email_optout checked in HubSpot (record {out})")}
    # The box is cleared in HubSpot, and the other contact opts out: the first stays suppressed, the second joins.
    hubspot.edit_contact(out, hs_email_optout=False)
    hubspot.edit_contact(stay, hs_email_optout=True)
    again = sync_crm(db, connector, policy=load_policy(), now=NOW)
    assert (again.backfill, again.updated, again.opted_out) == (False, 2, 1)
    assert set(_suppressed(db)) == {"ana@optco.example", "bo@stayco.example"}
    assert sync_crm(db, connector, policy=load_policy(), now=NOW, backfill=True).opted_out == 0  # already on the list


def test_a_salesforce_leads_has_opted_out_of_email_is_suppressed_and_never_lifted(db, salesforce, tmp_path):
    out = salesforce.add_lead(LastName="Ray", Company="Force Out", Email="lee@forceout.example", HasOptedOutOfEmail=True)
    salesforce.add_lead(LastName="Kim", Company="Force In", Email="cy@forcein.example")
    connector = _connector(salesforce, tmp_path)
    report = sync_crm(db, connector, policy=load_policy(), now=NOW)
    assert (report.captured, report.opted_out) == (2, 1)
    assert _suppressed(db) == {"lee@forceout.example": ("unsubscribed", f"HasOptedOutOfEmail checked in Salesforce (record {out})")}
    salesforce.edit_lead(out, HasOptedOutOfEmail=False)
    assert sync_crm(db, connector, policy=load_policy(), now=NOW).opted_out == 0
    assert set(_suppressed(db)) == {"lee@forceout.example"}


def _log_history(fake: FakeSalesforce, who: str) -> dict[str, str]:
    """A worked Lead's log as Salesforce keeps it; returns the ids of the records that must become activities."""
    day = lambda days: (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")  # noqa: E731
    ids = {
        "call": fake.add_task(who, Subject="Call: discovery", TaskSubtype="Call", CallType="Outbound", CompletedDateTime=day(9)),
        "called_us": fake.add_task(who, Subject="Inbound call", TaskSubtype="Call", CallType="Inbound", CompletedDateTime=day(8)),
        "sent": fake.add_task(who, Subject="Email: pricing", TaskSubtype="Email", ActivityDate=day(6)[:10]),
        "reply": fake.add_task(who, Subject="Email: RE: pricing", TaskSubtype="Email", CompletedDateTime=day(5)),
        "meeting": fake.add_event(who, Subject="Demo", StartDateTime=day(4), EndDateTime=day(4)),
    }
    fake.add_email_message(ids["sent"], incoming=False)
    fake.add_email_message(ids["reply"], incoming=True)
    fake.add_task(who, Subject="Follow up", TaskSubtype="Call", Status="Not Started", ActivityDate=day(-2)[:10])  # a to-do
    fake.add_task(who, Subject="Leadpilot summary", Status="Completed", CompletedDateTime=day(3))  # Leadpilot's own
    fake.add_event(who, Subject="Security review", StartDateTime="2031-01-15T10:00:00.000+0000")  # still to come
    return ids


def _activities(db: Database, lead_id: int) -> dict[str, tuple[str, str]]:
    with db.session() as session:
        rows = session.scalars(select(Activity).where(Activity.lead_id == lead_id))
        return {(a.meta or {}).get("crm_activity", f"local:{a.id}"): (a.kind, a.direction) for a in rows}


def test_a_salesforce_leads_tasks_and_events_become_its_activities_once(db, salesforce, tmp_path):
    worked = salesforce.add_lead(LastName="Ray", Company="Worked Co", Email="lee@worked.example", Industry="Technology")
    quiet = salesforce.add_lead(LastName="Kim", Company="Quiet Co", Email="cy@quiet.example", Industry="Technology")
    ids = _log_history(salesforce, worked)
    connector = _connector(salesforce, tmp_path)
    report = sync_crm(db, connector, policy=load_policy(), now=NOW)
    assert (report.captured, report.activities, report.notes) == (2, 5, [])
    lead_id = _lead_of(db, "salesforce", worked)
    expected = {f"salesforce:{ids['call']}": ("call", "outbound"), f"salesforce:{ids['called_us']}": ("call", "inbound"),
                f"salesforce:{ids['sent']}": ("email_sent", "outbound"), f"salesforce:{ids['reply']}": ("email_sent", "inbound"),
                f"salesforce:{ids['meeting']}": ("meeting", "outbound")}
    assert _activities(db, lead_id) == expected
    assert _activities(db, _lead_of(db, "salesforce", quiet)) == {}
    with db.session() as session:  # "not contacted in N days" reads this: the newest outbound touch, the demo 4 days ago
        assert session.get(Lead, lead_id).last_contacted_at == NOW - timedelta(days=4)
        assert session.get(Lead, _lead_of(db, "salesforce", quiet)).last_contacted_at is None

    # Pulled again (everything, then what changed): the same activities, never twice; a deleted Task goes, a new one comes
    # (a call logged on the Lead changes the Task's SystemModstamp, not the Lead's).
    assert sync_crm(db, connector, policy=load_policy(), now=NOW, backfill=True).activities == 5
    del salesforce.tasks[ids["called_us"]]
    new_call = salesforce.add_task(worked, Subject="Call: follow-up", TaskSubtype="Call", CallType="Outbound",
                                   CompletedDateTime=(NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"))
    again = sync_crm(db, connector, policy=load_policy(), now=NOW)  # the Lead itself did not change: its log did
    assert (again.backfill, again.activities) == (False, 5)  # (the cursor's own second is read again: `quiet` too, no log)
    expected.pop(f"salesforce:{ids['called_us']}")
    expected[f"salesforce:{new_call}"] = ("call", "outbound")
    assert _activities(db, lead_id) == expected
    with db.session() as session:
        assert session.get(Lead, lead_id).last_contacted_at == NOW - timedelta(days=1)


def test_the_logged_history_earns_engagement_points_when_the_pipeline_scores(db, salesforce, tmp_path):
    from leadpilot.interfaces.api.runtime import build_worker
    from leadpilot.tools.pipeline.steps import STEPS

    same = dict(Title="VP Engineering", Industry="Technology", NumberOfEmployees=300, Country="US", LeadSource="Web")
    worked = salesforce.add_lead(LastName="Ray", Company="Worked Co", Email="lee@worked.example", **same)
    quiet = salesforce.add_lead(LastName="Kim", Company="Quiet Co", Email="cy@quiet.example", **same)
    _log_history(salesforce, worked)
    settings = load_settings(salesforce_instance_url=salesforce.url, salesforce_session_id=SESSION,
                             salesforce_ca_bundle=salesforce.ca_bundle, data_dir=tmp_path / "data")
    sync_crm(db, require_connector(settings, "salesforce"), policy=load_policy(), now=NOW)
    worker = build_worker(db, settings=settings, clock=Clock(pinned=NOW), alert=lambda row: "test",
                          steps=tuple(step for step in STEPS if step.name != "index"))
    worker.context = dataclasses.replace(worker.context, semantic_index=None)
    worker.drain()
    with db.session() as session:
        scored = {crm_id: session.get(Lead, _lead_of(db, "salesforce", crm_id)).score for crm_id in (worked, quiet)}
    assert scored[worked] > scored[quiet]  # the meeting, the inbound call and the reply count


def test_a_user_who_may_not_read_tasks_gets_the_leads_and_the_report_says_why(db, salesforce, tmp_path):
    salesforce.add_lead(LastName="Ray", Company="Force Co", Email="lee@force.example")
    salesforce.hidden = {"Task"}
    report = sync_crm(db, _connector(salesforce, tmp_path), policy=load_policy(), now=NOW)
    assert report.captured == 1 and report.activities == 0
    assert len(report.notes) == 1 and "INVALID_TYPE" in report.notes[0] and "Read on Tasks" in report.notes[0]
