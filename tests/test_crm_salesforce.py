"""Salesforce beside Leadpilot, through simple-salesforce against a loopback Salesforce over HTTPS:
Leads pulled by SOQL on SystemModstamp (paged with nextRecordsUrl) go through the pipeline; owner,
score, tier, status, the summary and follow-up Tasks go back through the outbox, once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from conftest import NOW
from fake_salesforce import SESSION, FakeSalesforce
from leadpilot.clock import Clock
from leadpilot.memory.models import Lead, Rep
from leadpilot.memory.outbox import CrmLink, OutboxItem
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import load_settings
from leadpilot.tools.crm import load_policy, outbox_sender_from_settings, require_connector
from leadpilot.tools.pipeline import prepare_capture, store_captures, sync_crm
from leadpilot.tools.pipeline.steps import STEPS


@pytest.fixture
def salesforce(tmp_path) -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(tmp_path).start()
    yield fake
    fake.stop()


@pytest.fixture
def store(db):
    seed_demo(db, now=NOW, n_leads=20)
    return db


def _settings(fake, tmp_path, **extra):
    return load_settings(salesforce_instance_url=fake.url, salesforce_session_id=SESSION, salesforce_ca_bundle=fake.ca_bundle,
                         outbox_backoff_s=0, data_dir=tmp_path / "data", **extra)


def _process(db, settings):
    from leadpilot.interfaces.api.runtime import build_worker

    worker = build_worker(db, settings=settings, clock=Clock(pinned=NOW), alert=lambda row: "test",
                          steps=tuple(step for step in STEPS if step.name != "index"))
    worker.context = dataclasses.replace(worker.context, semantic_index=None)
    return worker.drain()


def _users(fake, db):
    with db.session() as session:
        return {rep.email: fake.add_user(rep.email) for rep in session.scalars(select(Rep))}


def test_pulled_leads_are_processed_and_pushed_back_once(store, salesforce, tmp_path):
    users = _users(salesforce, store)
    owner = next(iter(users))
    for i in range(12):
        salesforce.add_lead(FirstName=f"Lee{i}", LastName="Ray", Company=f"Force {i}", Email=f"lee{i}@force{i}.example", Title="CTO",
                            Industry="Technology", NumberOfEmployees=40 + i, Country="US", LeadSource="Web",
                            **({"OwnerId": users[owner]} if i % 4 == 0 else {}))
    settings = _settings(salesforce, tmp_path)
    connector = require_connector(settings, "salesforce")
    assert "active users" in connector.check()
    pages: list[int] = []
    report = sync_crm(store, connector, policy=load_policy(), now=NOW, store_every=5, progress=lambda done, total: pages.append(done))
    assert report.pulled == 12 and report.captured == 12 and pages == [5, 10, 12]  # nextRecordsUrl paging
    assert _process(store, settings) == 12
    sender = outbox_sender_from_settings(store, settings)
    salesforce.limit_exceeded()
    assert sender.run_once().waiting > 0  # REQUEST_LIMIT_EXCEEDED: wait, no attempt spent
    with store.transaction() as session:
        session.execute(OutboxItem.__table__.update().values(available_at=NOW.replace(year=2000)))
    sender.drain()
    with store.session() as session:
        items = list(session.scalars(select(OutboxItem)))
        assert {i.status for i in items} == {"sent"}
        reps = {rep.id: rep.email for rep in session.scalars(select(Rep))}
        for link in session.scalars(select(CrmLink)):
            lead, record = session.get(Lead, link.lead_id), salesforce.leads[link.crm_id]
            assert record["Leadpilot_Score__c"] == lead.score and record["Leadpilot_Tier__c"] == lead.tier
            if lead.owner_id is not None:
                assert salesforce.users[record["OwnerId"]]["Email"] == reps[lead.owner_id]
    owned = [r for r in salesforce.leads.values() if r.get("OwnerId") == users[owner]]
    assert len(owned) >= 3  # the three it owned kept their owner (not re-routed)
    task_keys = {i.key for i in items if i.kind in ("note", "task")}
    assert set(salesforce.keys_seen) == task_keys and max(salesforce.keys_seen.values()) == 1
    assert len(salesforce.tasks) == len(task_keys)
    assert all(t["WhoId"] in salesforce.leads for t in salesforce.tasks.values())
    assert any(t.get("ActivityDate") for t in salesforce.tasks.values() if t["Subject"] != "Leadpilot summary")

    # A manager changes an owner in Salesforce: respected on the next sync (by SystemModstamp).
    crm_id, new_owner = next(iter(salesforce.leads)), list(users)[-1]
    salesforce.edit_lead(crm_id, OwnerId=users[new_owner])
    again = sync_crm(store, connector, policy=load_policy(), now=NOW)
    assert not again.backfill and again.owner_changes == 1 and again.pulled < 12 + 2
    with store.session() as session:
        link = session.scalar(select(CrmLink).where(CrmLink.crm == "salesforce", CrmLink.crm_id == crm_id))
        assert reps[session.get(Lead, link.lead_id).owner_id] == new_owner
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert crm_id in connector.changed_ids(start, start + timedelta(days=30))  # getUpdated


def test_a_lead_born_in_leadpilot_is_created_once_and_an_expired_session_is_retried(store, salesforce, tmp_path):
    _users(salesforce, store)
    settings = _settings(salesforce, tmp_path)
    post = prepare_capture(payload={"company": "Native Co", "contact_name": "Nia Native", "email": "nia@native.example",
                                    "industry": "fintech", "company_size": 300, "country": "US", "source": "referral", "job_title": "CEO"},
                           body_sha256="4" * 64, idempotency_key=None, now=NOW, received_at=NOW)
    [captured] = store_captures(store, [post])
    assert _process(store, settings) == 1
    salesforce.session = "rotated"  # the session expires
    sender = outbox_sender_from_settings(store, settings)
    first = sender.run_once()
    assert first.sent == 0 and first.retried > 0
    with store.session() as session:
        assert "INVALID_SESSION_ID" in session.scalar(select(OutboxItem.last_error).where(OutboxItem.last_error.is_not(None)))
    salesforce.session = SESSION
    sender.drain()
    [record] = [r for r in salesforce.leads.values() if r.get("Leadpilot_Id__c") == str(captured.lead_id)]
    assert record["Company"] == "Native Co" and record["LastName"] == "Native" and record["Email"] == "nia@native.example"
    assert max(salesforce.created.values()) == 1
    with store.session() as session:
        assert {i.status for i in session.scalars(select(OutboxItem))} == {"sent"}


API_USER, PASSWORD, TOKEN = "api@acme.example", "s3cret&<pw>", "TOKEN123"


def _login_settings(fake, tmp_path, **extra):
    return load_settings(salesforce_username=API_USER, salesforce_password=PASSWORD, salesforce_security_token=TOKEN,
                         salesforce_login_url=fake.url, salesforce_ca_bundle=fake.ca_bundle, outbox_backoff_s=0,
                         data_dir=tmp_path / "data", **extra)


def test_username_password_logs_in_through_soap_and_again_when_the_session_expires(store, salesforce, tmp_path):
    """SOAP login (simple-salesforce's SalesforceLogin) with password + security token; a session that
    times out (401 INVALID_SESSION_ID) is logged in again once and the call retried once — on a pull
    and on the outbox's pushes, which are then delivered once."""
    salesforce.add_api_user(API_USER, PASSWORD, TOKEN)
    _users(salesforce, store)
    for i in range(3):
        salesforce.add_lead(FirstName=f"Sam{i}", LastName="Soap", Company=f"Soap {i}", Email=f"sam{i}@soap{i}.example",
                            Industry="Technology", NumberOfEmployees=50, Country="US", LeadSource="Web")
    settings = _login_settings(salesforce, tmp_path)
    connector = require_connector(settings, "salesforce")
    assert f"Salesforce at 127.0.0.1:{salesforce.port}" in connector.check()
    assert salesforce.logins == [API_USER]
    salesforce.expire_session()
    report = sync_crm(store, connector, policy=load_policy(), now=NOW)
    assert report.pulled == 3 and report.captured == 3
    assert salesforce.logins == [API_USER, API_USER] and connector.logins_renewed == 1
    assert _process(store, settings) == 3
    sender = outbox_sender_from_settings(store, settings)
    pusher = sender.senders["salesforce"].__self__
    pusher.check()
    salesforce.expire_session()
    delivered = sender.drain()
    assert delivered.dead == 0 and delivered.retried == 0 and pusher.logins_renewed == 1
    with store.session() as session:
        items = list(session.scalars(select(OutboxItem)))
    assert items and {i.status for i in items} == {"sent"}
    assert max(salesforce.keys_seen.values()) == 1 and len(salesforce.logins) == 4


def test_a_refused_login_and_a_session_refused_again_say_what_to_fix(store, salesforce, tmp_path):
    from leadpilot.tools.crm import CrmError

    salesforce.add_api_user(API_USER, PASSWORD, "OLD-TOKEN")
    connector = require_connector(_login_settings(salesforce, tmp_path), "salesforce")
    with pytest.raises(CrmError) as error:
        connector.check()
    text = str(error.value)
    assert "refused the login" in text and "INVALID_LOGIN" in text and "_SECURITY_TOKEN" in text and PASSWORD not in text
    assert salesforce.refused_logins == [API_USER] and salesforce.logins == []

    salesforce.add_api_user(API_USER, PASSWORD, TOKEN)
    connector.check()
    salesforce.fail_next(2, 401, body=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    with pytest.raises(CrmError) as error:
        connector.users(refresh=True)
    assert "INVALID_SESSION_ID" in str(error.value) and "refused too" in str(error.value)
    assert len(salesforce.logins) == 2  # logged in again once, retried once: no login loop
