"""Outgoing webhooks: a URL subscribed in config/crm.yaml gets lead.created, lead.scored, lead.hot and
lead.routed, each signed (t=...,v1=HMAC-SHA256 of "t.body"), retried through the outbox until the
receiver takes it, under one Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import NOW
from fake_hubspot import JsonServer
from leadpilot.memory.models import Lead
from leadpilot.memory.outbox import OutboxItem
from leadpilot.settings import load_settings
from leadpilot.tools.crm import outbox_sender_from_settings, queue_decision
from test_email import add_rep, capture_one

SECRET = "whsec-test-1234"


class Receiver(JsonServer):
    raw_bodies = True

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[dict, bytes]] = []

    def handle(self, method, path, query, body, headers):
        with self.lock:
            self.requests.append((method, path))
            if self.faults:
                return self.faults.pop(0)
            self.received.append(({k: v for k, v in headers.items()}, body))
            return 204, {}, b""


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def _policy(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "crm.yaml"
    shipped = (Path(__file__).resolve().parents[1] / "config" / "crm.yaml").read_text()
    path.write_text(shipped.replace("webhooks: []", f"webhooks:\n  - url: {url}/hooks/leadpilot\n"
                                    "    events: [lead.created, lead.scored, lead.hot, lead.routed]\n"
                                    "    secret_env: LP_TEST_HOOK_SECRET\n"))
    return path


def test_events_are_signed_retried_and_delivered_once(db, receiver, tmp_path, monkeypatch):
    monkeypatch.setenv("LP_TEST_HOOK_SECRET", SECRET)
    receiver.received.clear()
    settings = load_settings(crm_policy=_policy(tmp_path, receiver.url), outbox_backoff_s=0, data_dir=tmp_path / "data")
    lead_id = capture_one(db, company="Hook Co", email="h@hook.example", contact_name="Hana Hook", source="referral")
    with db.transaction() as session:
        rep = add_rep(session, "r@team.example", "Rae Rep")
        lead = session.get(Lead, lead_id)
        queue_decision(session, settings=settings, lead=lead, step="enrich", data={}, at=NOW)
        lead.score, lead.tier, lead.owner_id = 88, "hot", rep.id
        queue_decision(session, settings=settings, lead=lead, step="score", data={}, at=NOW)
        queue_decision(session, settings=settings, lead=lead, step="route", data={"owner": rep.email, "rule": "r1", "reason": "why"}, at=NOW)
        queue_decision(session, settings=settings, lead=lead, step="summarize", data={"bullets": ["x"]}, at=NOW)  # no event for this
    sender = outbox_sender_from_settings(db, settings)
    receiver.fail_next(2, 500)
    first = sender.run_once()
    assert first.retried == 2 and first.sent == 2
    sender.drain()
    events = [headers["Leadpilot-Event"] for headers, _ in receiver.received]
    assert sorted(events) == ["lead.created", "lead.hot", "lead.routed", "lead.scored"]
    with db.session() as session:
        keys = {i.key: i for i in session.scalars(select(OutboxItem))}
    assert {i.status for i in keys.values()} == {"sent"}
    assert sorted(h["Idempotency-Key"] for h, _ in receiver.received) == sorted(keys)  # each once
    import json

    for headers, body in receiver.received:
        parts = dict(p.split("=", 1) for p in headers["Leadpilot-Signature"].split(","))
        assert abs(time.time() - int(parts["t"])) < 60
        expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(parts["v1"], expected)
        payload = json.loads(body)
        assert payload["id"] == headers["Idempotency-Key"] and payload["lead"]["company"] == "Hook Co"
        if payload["event"] == "lead.routed":
            assert payload["data"]["owner"] == "r@team.example" and payload["data"]["rule"] == "r1"


def test_a_missing_secret_is_retried_with_the_fix_and_nothing_unsigned_is_sent(db, receiver, tmp_path, monkeypatch):
    monkeypatch.delenv("LP_TEST_HOOK_SECRET", raising=False)
    receiver.received.clear()
    settings = load_settings(crm_policy=_policy(tmp_path, receiver.url), outbox_backoff_s=0, outbox_max_attempts=1,
                             data_dir=tmp_path / "data")
    lead_id = capture_one(db, company="Nosig Co", email="n@nosig.example")
    with db.transaction() as session:
        queue_decision(session, settings=settings, lead=session.get(Lead, lead_id), step="enrich", data={}, at=NOW)
    report = outbox_sender_from_settings(db, settings).drain()
    assert report.dead == 1 and not receiver.received
    assert "export LP_TEST_HOOK_SECRET" in report.errors[0]
