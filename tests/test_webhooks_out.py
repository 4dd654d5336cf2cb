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


def _cli(*args: str) -> tuple[int, str]:
    """`leadpilot ...` in this process (Typer's runner; the store is LEADPILOT_DATABASE_URL)."""
    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_subscriptions_from_the_command_line_are_signed_with_their_secret_and_removable(db, receiver, tmp_path, monkeypatch):
    """`leadpilot webhooks add|list|test|remove`: kept in the store; a decision's events reach the URL
    signed with the subscription's own secret; a removed subscription's queued changes are cancelled."""
    import json

    from leadpilot.settings import get_settings
    from leadpilot.tools.crm.webhooks import verify

    monkeypatch.setenv("LEADPILOT_DATABASE_URL", db.url)
    monkeypatch.setenv("LEADPILOT_OUTBOX_BACKOFF_S", "0")
    get_settings.cache_clear()
    receiver.received.clear()
    code, out = _cli("webhooks", "add", "hooks.example.com/x", "--events", "lead.created")
    assert code == 1 and "is not an http(s) URL" in out and "https://hooks.example.com/leadpilot" in out
    code, out = _cli("webhooks", "add", f"{receiver.url}/cli", "--events", "lead.created,lead.asigned")
    assert code == 1 and "unknown event 'lead.asigned'" in out and "did you mean 'lead.assigned'" in out
    code, out = _cli("webhooks", "add", f"{receiver.url}/cli", "--events", "lead.created, lead.assigned", "--json")
    assert code == 0, out
    added = json.loads(out)
    secret = added["secret"]
    assert added["events"] == ["lead.created", "lead.assigned"] and len(secret) >= 16
    code, out = _cli("webhooks", "list", "--json")
    [listed] = json.loads(out)["webhooks"]
    assert listed["url"] == f"{receiver.url}/cli" and listed["secret"].endswith(secret[-4:]) and secret not in out

    code, out = _cli("webhooks", "test", str(added["id"]))
    assert code == 0 and f"Sent a signed sample lead.created to {receiver.url}/cli: answered 204" in out
    [(headers, body)] = receiver.received
    assert verify(secret, body, headers["Leadpilot-Signature"]) and json.loads(body)["test"] is True
    code, out = _cli("webhooks", "test", f"{receiver.url}/elsewhere", "--secret", "another-secret-123", "--event", "lead.hot")
    assert code == 0 and "sample lead.hot" in out
    assert verify("another-secret-123", receiver.received[-1][1], receiver.received[-1][0]["Leadpilot-Signature"])
    receiver.fail_next(1, 503, retry_after=30)
    code, out = _cli("webhooks", "test", f"{receiver.url}/cli", "--event", "lead.assigned")
    assert code == 1 and "answered 503" in out and "wait 30s" in out

    settings = get_settings()
    lead_id = capture_one(db, company="Cli Co", email="c@cli.example", contact_name="Cy Cli")
    with db.transaction() as session:
        rep = add_rep(session, "r@cli.example", "Rae Cli")
        lead = session.get(Lead, lead_id)
        lead.owner_id = rep.id
        queued = queue_decision(session, settings=settings, lead=lead, step="route", at=NOW,
                                data={"owner": rep.email, "rule": "r1", "reason": "why"})
    assert queued == ["lead.assigned"]  # lead.routed has no subscriber
    receiver.received.clear()
    assert outbox_sender_from_settings(db, settings).drain().sent == 1
    [(headers, body)] = receiver.received
    assert headers["Leadpilot-Event"] == "lead.assigned" and verify(secret, body, headers["Leadpilot-Signature"])
    assert json.loads(body)["data"]["owner"] == "r@cli.example"

    with db.transaction() as session:  # queued, then the subscription goes: cancelled, never sent
        queue_decision(session, settings=settings, lead=session.get(Lead, lead_id), step="enrich", data={}, at=NOW)
    code, out = _cli("webhooks", "remove", "99")
    assert code == 1 and "no webhook subscription '99'" in out and f"{receiver.url}/cli" in out
    code, out = _cli("webhooks", "remove", f"{receiver.url}/cli")
    assert code == 0 and "Removed" in out
    receiver.received.clear()
    outbox_sender_from_settings(db, settings).drain()
    with db.session() as session:
        last = session.scalars(select(OutboxItem).order_by(OutboxItem.id.desc())).first()
    assert last.status == "cancelled" and "was removed" in last.last_error and not receiver.received
    assert _cli("webhooks", "list")[1].startswith("No webhook subscriptions")


def test_a_receivers_retry_after_is_honoured(db, receiver, tmp_path, monkeypatch):
    """429 + Retry-After: the change and the rest of the batch for that URL wait as asked, no attempt
    spent; 503 + Retry-After: an attempt, and not retried before the time asked (backoff is 0 here)."""
    from datetime import timedelta
    from email.utils import format_datetime

    from leadpilot.memory.pipeline import wall_clock
    from leadpilot.tools.crm.webhooks import retry_after_s

    assert retry_after_s("7") == 7 and retry_after_s("x") is None and retry_after_s("999999") == 3600
    assert 50 < retry_after_s(format_datetime(wall_clock() + timedelta(seconds=60), usegmt=True)) <= 60
    monkeypatch.setenv("LP_TEST_HOOK_SECRET", SECRET)
    receiver.received.clear()
    settings = load_settings(crm_policy=_policy(tmp_path, receiver.url), outbox_backoff_s=0, data_dir=tmp_path / "data")
    lead_id = capture_one(db, company="Wait Co", email="w@wait.example")
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        queue_decision(session, settings=settings, lead=lead, step="enrich", data={}, at=NOW)
        lead.score, lead.tier = 91, "hot"
        queue_decision(session, settings=settings, lead=lead, step="score", data={}, at=NOW)  # lead.scored + lead.hot

    def rows():
        with db.session() as session:
            return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))

    def due_now():
        with db.transaction() as session:
            session.execute(OutboxItem.__table__.update().values(available_at=NOW.replace(year=2000)))

    sender = outbox_sender_from_settings(db, settings)
    receiver.fail_next(1, 429, retry_after=30)
    before = receiver.requests[:]
    report = sender.run_once()
    assert report.waiting == 3 and report.sent == 0 and len(receiver.requests) == len(before) + 1  # one try, the rest held back
    for item in rows():
        assert item.status == "pending" and item.attempts == 0 and "429" in item.last_error
        assert item.available_at >= wall_clock() + timedelta(seconds=25)
    due_now()
    receiver.fail_next(1, 503, retry_after=120)
    report = sender.run_once()
    assert report.retried == 1 and report.waiting == 2
    first, *rest = rows()
    assert first.attempts == 1 and first.available_at >= wall_clock() + timedelta(seconds=115)
    assert all(item.attempts == 0 for item in rest)
    due_now()
    assert sender.drain().sent == 3
    assert sorted(h["Leadpilot-Event"] for h, _ in receiver.received) == ["lead.created", "lead.hot", "lead.scored"]
