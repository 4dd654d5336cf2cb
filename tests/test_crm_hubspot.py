"""HubSpot beside Leadpilot, through the official hubspot-api-client against a loopback HubSpot:
contacts pulled (backfill, then incrementally by lastmodifieddate) go through the pipeline, and
what Leadpilot decides (owner, score, tier, probability, summary note, follow-up task, stage)
reaches HubSpot through the outbox — once, whatever fails on the way."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import NOW
from fake_hubspot import TOKEN, FakeHubSpot, populate
from leadpilot.clock import Clock
from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead, Rep
from leadpilot.memory.outbox import CrmLink, OutboxItem
from leadpilot.memory.pipeline import PipelineEvent
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import load_settings
from leadpilot.tools.crm import CrmPolicyError, load_policy, outbox_sender_from_settings, require_connector
from leadpilot.tools.pipeline import sync_crm
from leadpilot.tools.pipeline.steps import STEPS

REPS = ("maya.chen@leadpilot.demo", "diego.ramirez@leadpilot.demo")


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot().start()
    yield fake
    fake.stop()


@pytest.fixture
def store(db: Database) -> Database:
    seed_demo(db, now=NOW, n_leads=20)
    return db


def _settings(fake: FakeHubSpot, tmp_path: Path, **extra):
    return load_settings(hubspot_token=TOKEN, hubspot_base_url=fake.url, outbox_backoff_s=0, data_dir=tmp_path / "data", **extra)


def _worker(db: Database, settings, *, skip=("index",)):
    from leadpilot.interfaces.api.runtime import build_worker

    worker = build_worker(db, settings=settings, clock=Clock(pinned=NOW), alert=lambda row: "test",
                          steps=tuple(step for step in STEPS if step.name not in skip))
    worker.context = dataclasses.replace(worker.context, semantic_index=None)
    return worker


def _sync(db, settings, **options):
    return sync_crm(db, require_connector(settings, "hubspot"), policy=load_policy(), now=NOW, **options)


def test_pulled_contacts_go_through_the_pipeline_and_decisions_reach_hubspot(store, hubspot, tmp_path):
    populate(hubspot, 12, owners=list(REPS))
    with store.session() as session:  # every rep is a HubSpot user too (matched by email)
        for rep in session.scalars(select(Rep)):
            if rep.email not in REPS:
                hubspot.add_owner(rep.email)
    owned = [c["id"] for c in hubspot.contacts.values() if c["properties"].get("hubspot_owner_id")]
    settings = _settings(hubspot, tmp_path)
    seen: list[tuple[int, int | None]] = []
    report = _sync(store, settings, page_size=5, store_every=5, progress=lambda done, total: seen.append((done, total)))
    assert report.backfill and report.pulled == 12 and report.captured == 12 and not report.rejected
    assert [done for done, _ in seen] == [5, 10, 12]  # paged through the list API, progress per page

    worker = _worker(store, settings)
    assert worker.drain() == 12
    with store.session() as session:
        leads = {link.crm_id: session.get(Lead, link.lead_id) for link in session.scalars(select(CrmLink))}
        owners = {rep.id: rep.email for rep in session.scalars(select(Rep))}
        # The CRM already owned a third of them: those keep their HubSpot owner and are not re-routed.
        for crm_id in owned:
            lead = leads[crm_id]
            owner_id = hubspot.contacts[crm_id]["properties"]["hubspot_owner_id"]
            assert owners[lead.owner_id] == hubspot.owners[owner_id]["email"]
            route = session.scalar(select(PipelineEvent.message).where(PipelineEvent.lead_id == lead.id, PipelineEvent.step == "route"))
            assert route.startswith("already owned by")
        pending = session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending"))
    assert pending > 12

    delivered = outbox_sender_from_settings(store, settings).drain()
    assert delivered.sent == pending and delivered.dead == 0
    with store.session() as session:
        for crm_id, lead in leads.items():
            lead = session.get(Lead, lead.id)
            props = hubspot.contacts[crm_id]["properties"]
            assert props["leadpilot_score"] == str(lead.score) and props["leadpilot_tier"] == lead.tier
            assert props["lifecyclestage"] == "lead"
            if lead.owner_id is not None:
                assert hubspot.owners[props["hubspot_owner_id"]]["email"] == owners[lead.owner_id]
        keys = set(session.scalars(select(OutboxItem.key)))
    assert len(hubspot.notes) == 12  # one summary note per lead, attached to its contact
    assert {(kind, contact) for kind, _, contact in hubspot.associations if kind == "notes"} == {("notes", c) for c in leads}
    hot_or_warm = sum(1 for lead in leads.values() if lead.tier in ("hot", "warm"))
    assert len(hubspot.tasks) == hot_or_warm
    assert all(t["properties"]["hs_timestamp"] for t in hubspot.tasks.values())  # due dates
    assert set(hubspot.keys_seen) == keys and max(hubspot.keys_seen.values()) == 1  # every change once

    # Our own pushes changed the contacts: the next sync reads them back and changes nothing.
    echo = _sync(store, settings)
    assert echo.pulled == 12 and echo.captured == 0 and echo.owner_changes == 0
    assert _sync(store, settings).pulled == 0  # the cursor moved past them
    # A manager reassigns a contact in HubSpot: the next (incremental) sync respects and records it.
    crm_id = next(c for c in leads if c not in owned)
    new_owner = next(o for o in hubspot.owners.values() if hubspot.owners[hubspot.contacts[crm_id]["properties"].get("hubspot_owner_id", "")]["email"] != o["email"]) \
        if hubspot.contacts[crm_id]["properties"].get("hubspot_owner_id") else next(iter(hubspot.owners.values()))
    hubspot.edit_contact(crm_id, hubspot_owner_id=new_owner["id"], jobtitle="Chief Revenue Officer")
    again = _sync(store, settings)
    assert not again.backfill and again.captured == 0 and again.owner_changes == 1
    assert again.pulled == 1  # only what changed since the cursor
    with store.session() as session:
        lead = session.get(Lead, leads[crm_id].id)
        assert owners[lead.owner_id] == new_owner["email"] and lead.job_title == "Chief Revenue Officer"
        crm_event = session.scalar(select(PipelineEvent.message).where(PipelineEvent.lead_id == lead.id, PipelineEvent.step == "crm"))
        assert "owner changed in hubspot" in crm_event and "the CRM wins" in crm_event
        assert lead.score is not None  # Leadpilot's score is not overwritten by the pull


def test_rate_limits_errors_and_expired_tokens_are_retried_without_duplicates(store, hubspot, tmp_path):
    populate(hubspot, 4)
    settings = _settings(hubspot, tmp_path)
    _sync(store, settings)
    _worker(store, settings).drain()
    sender = outbox_sender_from_settings(store, settings)
    hubspot.fail_next(1, 429, retry_after=0)
    first = sender.run_once()
    assert first.waiting > 0 and first.sent == 0  # the 429 costs no attempt
    hubspot.fail_next(1, 502)
    hubspot.token = "rotated"  # then the token stops working (401) ...
    assert sender.run_once().retried > 0
    hubspot.token = TOKEN
    total = sender.drain()
    with store.session() as session:
        items = list(session.scalars(select(OutboxItem)))
    assert {i.status for i in items} == {"sent"} and total.dead == 0
    assert max(hubspot.keys_seen.values()) == 1 and set(hubspot.keys_seen) == {i.key for i in items}


def test_out_of_attempts_is_dead_lettered_and_shown(store, hubspot, tmp_path):
    populate(hubspot, 2)
    settings = _settings(hubspot, tmp_path, outbox_max_attempts=2)
    _sync(store, settings)
    _worker(store, settings).drain()
    hubspot.down = True
    sender = outbox_sender_from_settings(store, settings)
    sender.drain()
    with store.session() as session:
        statuses = Counter(session.scalars(select(OutboxItem.status)))
        errors = set(session.scalars(select(OutboxItem.last_error)))
    assert set(statuses) == {"dead"} and any("503" in e for e in errors)
    # Dead letters show in /metrics and in GET /leads/{id}.
    from fastapi.testclient import TestClient

    from leadpilot.interfaces.api.access import api_token
    from leadpilot.interfaces.api.app import create_app

    api_settings = settings.model_copy(update={"webhook_secret": __import__("pydantic").SecretStr("x" * 32)})
    with TestClient(create_app(settings=api_settings, db=store), base_url="http://127.0.0.1") as client:
        auth = {"Authorization": f"Bearer {api_token(api_settings)}"}
        metrics = client.get("/metrics", headers=auth).text
        assert f'leadpilot_outbox_changes{{channel="hubspot",status="dead"}} {statuses["dead"]}' in metrics
        with store.session() as session:
            lead_id = session.scalar(select(CrmLink.lead_id))
        outbox = client.get(f"/leads/{lead_id}", headers=auth).json()["outbox"]
        assert outbox and {c["status"] for c in outbox} == {"dead"} and "503" in outbox[0]["last_error"]


def test_a_broken_mapping_names_the_file_the_key_and_the_fix(tmp_path):
    bad = tmp_path / "crm.yaml"
    bad.write_text("hubspot:\n  fields:\n    emial: email\n  computed:\n    score: lp_score\nwebhooks:\n  - url: ftp://files.example.com/x\n"
                   "    events: [lead.creatd]\n    secret_env: X\n")
    with pytest.raises(CrmPolicyError) as error:
        load_policy(bad)
    text = str(error.value)
    assert str(bad) in text and "hubspot.fields.emial" in text and "did you mean 'email'" in text
    assert "lead.creatd" in text and "did you mean 'lead.created'" in text and "not an http(s) URL" in text


def test_an_incremental_pull_past_the_search_window_searches_again_from_the_newest(store, hubspot, tmp_path, monkeypatch):
    import leadpilot.tools.crm.hubspot as hubspot_module

    populate(hubspot, 3)
    settings = _settings(hubspot, tmp_path)
    _sync(store, settings)  # the backfill sets the cursor
    for contact_id in list(hubspot.contacts)[:3]:
        hubspot.edit_contact(contact_id, jobtitle="CFO")
    for i in range(20):
        hubspot.add_contact(email=f"late{i}@window.example", firstname="Late", lastname=str(i), company=f"Window {i}")
    monkeypatch.setattr(hubspot_module, "_SEARCH_WINDOW", 10)  # HubSpot's is 10,000
    hubspot.search_afters.clear()
    report = _sync(store, settings, page_size=5)
    assert report.pulled == 23 and report.captured == 20 and report.updated == 3
    assert max(int(after or 0) for after in hubspot.search_afters) < 10  # never paged past the window ...
    assert hubspot.search_afters.count(None) == 3  # ... it searched again from the newest record instead
    with store.session() as session:
        titles = {session.get(Lead, link.lead_id).job_title for link in session.scalars(select(CrmLink))
                  if link.crm_id in list(hubspot.contacts)[:3]}
    assert titles == {"CFO"}


def test_workers_send_the_outbox_and_pull_on_schedule(store, hubspot, tmp_path):
    populate(hubspot, 3)
    settings = _settings(hubspot, tmp_path, crm_sync_interval_s=3600)
    worker = _worker(store, settings)
    assert worker.outbox is not None
    assert worker.outbox()  # never synced: pulls now
    assert worker.drain() == 3
    assert worker.outbox()  # sends what the three leads' decisions queued
    with store.session() as session:
        assert {s for s in session.scalars(select(OutboxItem.status))} == {"sent"}
    hubspot.add_contact(email="new@later.example", firstname="New", lastname="Later", company="Later Co")
    worker.outbox._checked = 0.0
    assert not worker.outbox()  # synced a moment ago: the next pull waits for the interval
    assert all(c["properties"].get("leadpilot_score") for c in hubspot.contacts.values() if c["properties"]["email"] != "new@later.example")


def test_a_lead_a_rep_claims_in_the_chat_reaches_hubspot_with_its_new_owner(store, hubspot, tmp_path, monkeypatch):
    """"Assign to me" in Slack or the web chat is a routing decision too: the owner reaches HubSpot
    through the outbox (queued in the same transaction as the assignment), once."""
    from leadpilot.interfaces.lead_actions import assign_to_me
    from leadpilot.settings import get_settings
    from leadpilot.tools.leads import Viewer

    populate(hubspot, 3, owners=[])
    with store.session() as session:
        for rep in session.scalars(select(Rep)):
            hubspot.add_owner(rep.email)
    monkeypatch.setenv("LEADPILOT_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("LEADPILOT_HUBSPOT_BASE_URL", hubspot.url)
    monkeypatch.setenv("LEADPILOT_OUTBOX_BACKOFF_S", "0")
    get_settings.cache_clear()
    settings = get_settings()
    _sync(store, settings)
    _worker(store, settings, skip=("index", "route")).drain()  # captured, not routed: nobody owns them yet
    outbox_sender_from_settings(store, settings).drain()
    with store.session() as session:
        link = session.scalars(select(CrmLink)).first()
        rep = session.scalar(select(Rep).where(Rep.email == REPS[0]))
        viewer = Viewer(role="rep", rep_id=rep.id, email=rep.email)
        assert session.get(Lead, link.lead_id).owner_id is None
    result = assign_to_me(store, viewer=viewer, lead_id=link.lead_id, now=NOW, via="Slack")
    assert result.ok, result.message
    delivered = outbox_sender_from_settings(store, settings).drain()
    assert delivered.sent >= 1 and delivered.dead == 0
    owner_id = hubspot.contacts[link.crm_id]["properties"]["hubspot_owner_id"]
    assert hubspot.owners[owner_id]["email"] == REPS[0]
    assert outbox_sender_from_settings(store, settings).drain().sent == 0  # nothing twice




def test_an_sla_reassignment_reaches_hubspot_once_with_its_reason(db, hubspot, tmp_path, monkeypatch):
    """The second SLA breach reassigns a CRM-linked lead in a worker: the new owner and a note
    with the reason ("SLA missed by Ana (31m)") reach HubSpot through the outbox, once."""
    from datetime import timedelta

    from leadpilot.memory.reps import upsert_rep
    from leadpilot.settings import get_settings
    from leadpilot.tools.routing.router import route_leads
    from test_sla import POLICY as SLA_POLICY, REPS as SLA_REPS  # a team in turn, hot leads touched within 15m

    policy_file = tmp_path / "routing.yaml"
    policy_file.write_text(SLA_POLICY, encoding="utf-8")
    for name, value in {"HUBSPOT_TOKEN": TOKEN, "HUBSPOT_BASE_URL": hubspot.url, "OUTBOX_BACKOFF_S": "0",
                        "ROUTING_POLICY": str(policy_file)}.items():
        monkeypatch.setenv(f"LEADPILOT_{name}", value)
    get_settings.cache_clear()
    settings = get_settings()
    populate(hubspot, 1, owners=[])
    owners = {email: hubspot.add_owner(email) for email in SLA_REPS}
    _sync(db, settings)
    with db.transaction() as session:
        for email, name in SLA_REPS.items():
            upsert_rep(session, email=email, name=name, now=NOW, timezone="UTC", capacity=100)
        link = session.scalars(select(CrmLink)).one()
        lead = session.get(Lead, link.lead_id)
        lead.tier, lead.score, lead.stage = "hot", 90, "LEAD"
        [first] = route_leads(session, lead_ids=[lead.id], policy=_routing_policy(), now=NOW, dry_run=False)
    assert first.owner == "ana@t.co"
    sender = outbox_sender_from_settings(db, settings)
    sender.drain()  # nothing queued for the first routing here: the CRM has no owner yet
    for minutes in (1, 16, 31):  # a watch starts, the first breach nudges, the second reassigns
        worker = _worker(db, settings)
        worker.clock = Clock(pinned=NOW + timedelta(minutes=minutes))
        worker._watch_sla()
    with db.session() as session:
        lead = session.get(Lead, link.lead_id)
        assert session.get(Rep, lead.owner_id).email == "ben@t.co"
        queued = list(session.scalars(select(OutboxItem).where(OutboxItem.channel == "hubspot")))
    assert {i.kind for i in queued} == {"contact", "note"}
    assert [i.payload["owner_email"] for i in queued if i.kind == "contact"] == ["ben@t.co"]
    [note] = [i.payload["body"] for i in queued if i.kind == "note"]
    assert "reassigned this lead to Ben Ode" in note and "SLA missed by Ana (31m)" in note
    assert sender.drain().sent == 2 and sender.drain().sent == 0
    contact = hubspot.contacts[link.crm_id]
    assert contact["properties"]["hubspot_owner_id"] == owners["ben@t.co"]
    assert hubspot.owner_writes == Counter({(link.crm_id, owners["ben@t.co"]): 1})  # the new owner, once
    assert [n["properties"]["hs_note_body"] for n in hubspot.notes.values()] == [note]
    assert ("notes", next(iter(hubspot.notes)), link.crm_id) in hubspot.associations


def _routing_policy():
    from leadpilot.tools.routing.policy import policy_in_force

    return policy_in_force()


def test_a_pulled_contact_carries_its_companys_fields(hubspot, tmp_path):
    """The contact's associated company (associations v4 batch + companies batch read) fills the
    company fields the contact lacks; the contact's own values win."""
    populate(hubspot, 3)
    first, second, _ = list(hubspot.contacts)
    hubspot.add_company(first, name="Acme Holdings", domain="acme.example", industry="fintech", numberofemployees="420")
    hubspot.add_company(second, name="Other Co", domain="other.example")
    hubspot.contacts[second]["properties"]["company"] = "Own Name Inc"
    del hubspot.contacts[first]["properties"]["numemployees"]  # the company's size fills it
    connector = require_connector(_settings(hubspot, tmp_path), "hubspot")
    page = connector.pull(since=None, after=None, limit=2)
    assert page.after and [r.crm_id for r in page.records] == [first, second]
    by_id = {r.crm_id: r.fields for r in page.records}
    assert by_id[first]["website"] == "acme.example" and str(by_id[first]["company_size"]) == "420"
    assert by_id[second]["company"] == "Own Name Inc" and by_id[second]["website"] == "other.example"
    rest = connector.pull(since=None, after=page.after, limit=2)
    assert [r.crm_id for r in rest.records] == [list(hubspot.contacts)[2]] and rest.after is None
    found = connector.pull(since="2000-01-01T00:00:00.000Z", after=None, limit=10)  # the search API, same reading
    assert found.total == 3 and {r.crm_id: r.fields.get("website") for r in found.records}[first] == "acme.example"
