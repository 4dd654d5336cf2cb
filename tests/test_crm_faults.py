"""Fault tests for the outbox against the loopback HubSpot: HubSpot down while many leads are
routed (every change delivered exactly once when it returns), and a worker killed with SIGKILL
between a push and its settle (nothing lost, nothing created twice: the idempotency keys HubSpot
saw say so). N is 200 in the suite; the issue's 1,000 with LEADPILOT_CRM_FAULT_LEADS=1000."""

from __future__ import annotations

import os

from sqlalchemy import select

from conftest import NOW
from fake_hubspot import TOKEN, populate
from leadpilot.memory.outbox import OutboxItem, OutboxStatus
from leadpilot.tools.crm import outbox_sender_from_settings
from test_crm_hubspot import _settings, _sync, _worker, hubspot, store  # noqa: F401  (fixtures)

FAULT_LEADS = int(os.environ.get("LEADPILOT_CRM_FAULT_LEADS", "200"))


def test_hubspot_down_for_many_routed_leads_delivers_every_change_once_when_it_returns(store, hubspot, tmp_path):
    """The fault test: HubSpot answers 503 while FAULT_LEADS leads are captured and routed."""
    from leadpilot.tools.pipeline import prepare_capture, store_captures

    settings = _settings(hubspot, tmp_path)
    hubspot.down = True
    posts = [prepare_capture(payload={"company": f"Down Co {i}", "email": f"buyer{i}@down{i}.example", "contact_name": f"Buyer {i}",
                                      "industry": "technology", "company_size": 50 + i, "country": "US", "source": "referral"},
                             body_sha256=f"{i:064x}", idempotency_key=None, now=NOW, received_at=NOW) for i in range(FAULT_LEADS)]
    store_captures(store, posts)
    worker = _worker(store, settings, skip=("dedup", "enrich", "index"))  # the deciding steps: score, route, summary, follow-up
    assert worker.drain(timeout_s=600) == FAULT_LEADS
    sender = outbox_sender_from_settings(store, settings, batch=200)
    down = sender.run_once()
    assert down.sent == 0 and down.retried > 0  # queued, not lost
    hubspot.down = False
    with store.transaction() as session:  # the backoff has passed
        session.execute(OutboxItem.__table__.update().values(available_at=NOW.replace(year=2000)))
    sender.drain()
    with store.session() as session:
        items = list(session.scalars(select(OutboxItem)))
    assert {i.status for i in items} == {OutboxStatus.SENT.value}
    assert set(hubspot.keys_seen) == {i.key for i in items} and max(hubspot.keys_seen.values()) == 1
    assert len(hubspot.contacts) == FAULT_LEADS and len(hubspot.notes) == FAULT_LEADS


_KILLED_WORKER = """
import os, signal
from leadpilot.memory.db import open_database
from leadpilot.settings import get_settings
from leadpilot.tools.crm import outbox_sender_from_settings

settings = get_settings()
db = open_database(settings.resolved_database_url)
sender = outbox_sender_from_settings(db, settings, lease_s=1.0)
# Killed between the push (HubSpot has applied it) and the settle (the outbox still says 'sending').
sender.before_settle = lambda channel, changes: os.kill(os.getpid(), signal.SIGKILL)
sender.run_once()
raise SystemExit("not killed")
"""


def test_a_worker_killed_mid_push_loses_nothing_and_duplicates_nothing(store, hubspot, tmp_path):
    import subprocess
    import sys
    import time

    populate(hubspot, 6)
    settings = _settings(hubspot, tmp_path)
    _sync(store, settings)
    _worker(store, settings).drain()
    env = {**os.environ, "LEADPILOT_DATABASE_URL": store.url, "LEADPILOT_HUBSPOT_TOKEN": TOKEN,
           "LEADPILOT_HUBSPOT_BASE_URL": hubspot.url, "LEADPILOT_DATA_DIR": str(tmp_path / "data")}
    killed = subprocess.run([sys.executable, "-c", _KILLED_WORKER], env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    with store.session() as session:
        sending = session.scalars(select(OutboxItem).where(OutboxItem.status == "sending")).all()
    assert sending and all(hubspot.keys_seen[i.key] == 1 for i in sending if i.kind != "contact")  # applied, not settled
    time.sleep(1.1)  # the dead worker's lease runs out
    outbox_sender_from_settings(store, settings).drain()
    with store.session() as session:
        items = list(session.scalars(select(OutboxItem)))
    assert {i.status for i in items} == {"sent"}  # no loss
    assert set(hubspot.keys_seen) == {i.key for i in items}
    assert max(hubspot.keys_seen.values()) == 2  # the killed batch was sent again, under the same keys ...
    assert max(hubspot.created.values()) == 1  # ... and HubSpot created nothing twice
    assert len(hubspot.notes) == sum(1 for i in items if i.kind == "note") == 6
    assert len(hubspot.contacts) == 6
