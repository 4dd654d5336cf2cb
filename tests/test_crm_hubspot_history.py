"""A HubSpot contact's emails, calls and meetings (CRM v3 objects, v4 associations) pulled as its
activities — replaced per pull, so "not contacted in N days" and engagement scoring see them — and
a known lead re-scored at the end of the pull that changed it. Through the official
hubspot-api-client against the loopback fake, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import NOW
from fake_hubspot import TOKEN, FakeHubSpot
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, AuditEvent, Lead
from leadpilot.memory.outbox import CrmLink
from leadpilot.settings import load_settings
from leadpilot.tools.crm import load_policy, require_connector
from leadpilot.tools.pipeline import sync_crm
from leadpilot.tools.scoring import load_policy as load_scoring, rescore_leads


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.association_page = 2  # every contact's associations come in several pages
        yield fake


def _at(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _sync(db: Database, fake: FakeHubSpot, tmp_path, **options):
    settings = load_settings(hubspot_token=TOKEN, hubspot_base_url=fake.url, data_dir=tmp_path / "data")
    return sync_crm(db, require_connector(settings, "hubspot"), policy=load_policy(), now=NOW, **options)


def _lead_id(db: Database, crm_id: str) -> int:
    with db.session() as session:
        return session.scalar(select(CrmLink.lead_id).where(CrmLink.crm == "hubspot", CrmLink.crm_id == crm_id))


def _log(db: Database, lead_id: int) -> dict[str, tuple[str, str]]:
    """The lead's activities: what the CRM logged by its record, the rest by kind and direction."""
    with db.session() as session:
        rows = session.scalars(select(Activity).where(Activity.lead_id == lead_id))
        return {(a.meta or {}).get("crm_activity") or f"{a.kind}:{(a.meta or {}).get('imported')}": (a.kind, a.direction) for a in rows}


def _worked(fake: FakeHubSpot, contact: str) -> dict[str, str]:
    """A worked contact's emails, calls and meetings; the ids of those that are touches."""
    add = fake.add_activity
    ids = {
        "sent": add("emails", contact, hs_timestamp=_at(9), hs_email_direction="EMAIL", hs_email_status="SENT", hs_email_subject="Pricing"),
        "reply": add("emails", contact, hs_timestamp=_at(8), hs_email_direction="INCOMING_EMAIL", hs_email_subject="RE: Pricing"),
        "call": add("calls", contact, hs_timestamp=_at(7), hs_call_direction="OUTBOUND", hs_call_status="COMPLETED", hs_call_title="Discovery"),
        "no_answer": add("calls", contact, hs_timestamp=_at(6.5), hs_call_direction="OUTBOUND", hs_call_status="NO_ANSWER"),
        "called_us": add("calls", contact, hs_timestamp=_at(6), hs_call_direction="INBOUND", hs_call_status="COMPLETED"),
        "demo": add("meetings", contact, hs_timestamp=_at(5), hs_meeting_start_time=_at(5), hs_meeting_outcome="COMPLETED",
                    hs_meeting_title="Demo"),
    }
    add("emails", contact, hs_timestamp=_at(4), hs_email_direction="EMAIL", hs_email_status="BOUNCED")  # never arrived
    add("emails", contact, hs_timestamp="2031-01-10T09:00:00.000Z", hs_email_direction="EMAIL", hs_email_status="SCHEDULED")
    add("calls", contact, hs_timestamp=_at(3), hs_call_direction="OUTBOUND", hs_call_status="CANCELED")
    add("meetings", contact, hs_timestamp=_at(2), hs_meeting_start_time=_at(2), hs_meeting_outcome="NO_SHOW")
    add("meetings", contact, hs_timestamp="2031-01-15T10:00:00.000Z", hs_meeting_start_time="2031-01-15T10:00:00.000Z",
        hs_meeting_outcome="SCHEDULED")  # still to come
    return ids


def test_a_contacts_emails_calls_and_meetings_become_its_activities_once(db, hubspot, tmp_path):
    worked = hubspot.add_contact(email="ana@worked.example", firstname="Ana", lastname="Ruiz", company="Worked Co",
                                 hs_sales_email_last_replied=_at(8))  # the reply, also as a contact property
    quiet = hubspot.add_contact(email="bo@quiet.example", firstname="Bo", lastname="Lee", company="Quiet Co")
    ids = _worked(hubspot, worked)
    report = _sync(db, hubspot, tmp_path)
    assert (report.captured, report.activities, report.notes) == (2, 6, [])
    lead_id = _lead_id(db, worked)
    expected = {f"hubspot:emails:{ids['sent']}": ("email_sent", "outbound"), f"hubspot:emails:{ids['reply']}": ("email_sent", "inbound"),
                f"hubspot:calls:{ids['call']}": ("call", "outbound"), f"hubspot:calls:{ids['no_answer']}": ("call", "outbound"),
                f"hubspot:calls:{ids['called_us']}": ("call", "inbound"), f"hubspot:meetings:{ids['demo']}": ("meeting", "outbound")}
    assert _log(db, lead_id) == expected  # the reply once: the incoming email, not also the contact's reply date
    assert _log(db, _lead_id(db, quiet)) == {}
    with db.session() as session:  # "not contacted in N days" reads the newest outbound touch: the demo, 5 days ago
        assert session.get(Lead, lead_id).last_contacted_at == NOW - timedelta(days=5)

    # Pulled again: the same activities, never twice. A call deleted in HubSpot goes; a call logged since comes
    # (logging it moved the contact's lastmodifieddate: the incremental pull reads the contact and its log).
    assert _sync(db, hubspot, tmp_path, backfill=True).activities == 6
    del hubspot.activities["calls"][ids["called_us"]]
    new_call = hubspot.add_activity("calls", worked, hs_timestamp=_at(1), hs_call_direction="OUTBOUND", hs_call_status="COMPLETED")
    again = _sync(db, hubspot, tmp_path)
    assert (again.backfill, again.pulled, again.activities) == (False, 1, 6)
    kept = {key: read for key, read in expected.items() if key != f"hubspot:calls:{ids['called_us']}"}
    assert _log(db, lead_id) == {**kept, f"hubspot:calls:{new_call}": ("call", "outbound")}
    with db.session() as session:  # the new call is the newest touch now
        assert session.get(Lead, lead_id).last_contacted_at == NOW - timedelta(days=1)


def test_a_token_without_the_email_scope_gets_the_leads_the_other_types_and_the_reason(db, hubspot, tmp_path):
    worked = hubspot.add_contact(email="ana@worked.example", firstname="Ana", lastname="Ruiz", company="Worked Co")
    ids = _worked(hubspot, worked)
    assert _sync(db, hubspot, tmp_path).activities == 6
    hubspot.scopes_missing = {"emails": "sales-email-read"}  # the scope is taken away
    new_call = hubspot.add_activity("calls", worked, hs_timestamp=_at(1), hs_call_direction="OUTBOUND", hs_call_status="COMPLETED")
    report = _sync(db, hubspot, tmp_path)
    assert report.pulled == 1 and len(report.notes) == 1
    assert "HubSpot emails not read" in report.notes[0] and "sales-email-read" in report.notes[0] and "Private Apps" in report.notes[0]
    log = _log(db, _lead_id(db, worked))
    assert f"hubspot:calls:{new_call}" in log  # calls and meetings still read
    assert {f"hubspot:emails:{ids['sent']}", f"hubspot:emails:{ids['reply']}"} <= set(log)  # emails as the last pull stored them

    # A new contact pulled without the scope is a lead all the same.
    hubspot.add_contact(email="cy@new.example", firstname="Cy", lastname="Ng", company="New Co")
    assert _sync(db, hubspot, tmp_path).captured == 1


def test_a_known_lead_is_rescored_by_the_pull_that_changed_it(db, hubspot, tmp_path):
    worked = hubspot.add_contact(email="ana@worked.example", firstname="Ana", lastname="Ruiz", company="Worked Co",
                                 jobtitle="VP Engineering", industry="technology", numemployees="300", country="US")
    first = _sync(db, hubspot, tmp_path)
    assert first.captured == 1 and first.rescored == 0  # a new lead is scored by its pipeline, not by the pull
    lead_id = _lead_id(db, worked)
    rescore_leads(db, policy=load_scoring(), now=NOW, lead_ids=[lead_id], actor="pipeline")  # as its pipeline did
    with db.session() as session:
        before = session.get(Lead, lead_id)
        score, engagement = before.score, before.score_breakdown["categories"].get("engagement", {}).get("points", 0)

    _worked(hubspot, worked)  # the rep works the lead in HubSpot: emails, calls, a demo, a reply
    report = _sync(db, hubspot, tmp_path)
    assert (report.updated, report.activities, report.rescored) == (1, 6, 1)
    assert report.as_dict()["rescored"] == 1 and report.as_dict()["tier_moves"] == report.tier_moves
    with db.session() as session:
        after = session.get(Lead, lead_id)
        assert after.score > score and after.score_breakdown["categories"]["engagement"]["points"] > engagement
        audit = session.scalars(select(AuditEvent).where(AuditEvent.lead_id == lead_id, AuditEvent.field == "score")).all()
    assert audit[-1].actor == "hubspot pull" and audit[-1].new_value == str(after.score)
    assert _sync(db, hubspot, tmp_path, backfill=True).tier_moves == {}  # pulled again, nothing new: the same score
