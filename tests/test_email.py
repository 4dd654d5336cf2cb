"""Email over a real SMTP server on loopback (aiosmtpd): nurture emails arrive on schedule with an
unsubscribe link and List-Unsubscribe header, stop after unsubscribe, and survive an SMTP outage
(queued, sent once later); an owner gets a "new lead assigned to you" email; bounces are recorded."""

from __future__ import annotations

import email
import hashlib
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from capture_client import free_port
from conftest import NOW
from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead, Rep
from leadpilot.memory.outbox import OutboxItem
from leadpilot.memory.pipeline import NurtureEnrollment, PipelineEvent
from leadpilot.settings import load_settings
from leadpilot.tools.crm import outbox_sender_from_settings, queue_decision, record_bounce, unsubscribe
from leadpilot.tools.pipeline import PipelinePolicyHolder, advance_nurture, prepare_capture, store_captures


class Inbox:
    """Records every message; refuses recipients at bounce.example (550) like a real server."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook name)
        if address.endswith("@bounce.example"):
            return "550 5.1.1 user unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mail(smtp, tmp_path: Path):
    controller, inbox = smtp
    inbox.messages.clear()
    settings = load_settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_tls="none", email_link_secret="s3cret",
                             public_url="https://leads.example.com", outbox_backoff_s=0, data_dir=tmp_path / "data")
    return controller, inbox, settings


def capture_one(db: Database, **payload) -> int:
    """Store one posted lead (as the capture API would); its id."""
    digest = hashlib.sha256(repr(sorted(payload.items())).encode()).hexdigest()
    post = prepare_capture(payload=payload, body_sha256=digest, idempotency_key=None, now=NOW, received_at=NOW)
    [captured] = store_captures(db, [post])
    return captured.lead_id


def add_rep(session, email: str, name: str) -> Rep:
    rep = Rep(email=email, name=name, role="rep", timezone="UTC", created_at=NOW)
    session.add(rep)
    session.flush()
    return rep


def _cold_lead(db: Database, address: str) -> int:
    lead_id = capture_one(db, company="Quiet Co", contact_name="Sam Stone", email=address, industry="retail", source="organic")
    with db.transaction() as session:
        session.add(NurtureEnrollment(lead_id=lead_id, sequence="default", next_step=0, next_touch_at=NOW, status="active",
                                      enrolled_at=NOW, updated_at=NOW))
    return lead_id


def _nurture(db, settings, at):
    return advance_nurture(db, policy=PipelinePolicyHolder().get(), now=at, settings=settings)


def test_nurture_emails_arrive_on_schedule_and_stop_after_unsubscribe(db, mail):
    controller, inbox, settings = mail
    lead_id = _cold_lead(db, "sam@quiet.example")
    sender = outbox_sender_from_settings(db, settings)
    assert _nurture(db, settings, NOW).sent == 1
    assert sender.drain().sent == 1
    assert _nurture(db, settings, NOW + timedelta(days=1)).sent == 0  # the next touch is on day 3
    assert _nurture(db, settings, NOW + timedelta(days=3)).sent == 1
    sender.drain()
    assert [m["Subject"] for m in inbox.messages] == ["Thanks for your interest in Quiet Co", "How teams like Quiet Co use us"]
    first = inbox.messages[0]
    assert first["To"] == "sam@quiet.example" and "Sam" in first.get_content()
    link = first["List-Unsubscribe"].strip("<>")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and link in first.get_content()
    token = parse_qs(urlparse(link).query)["token"][0]
    with pytest.raises(ValueError, match="not valid"):
        unsubscribe(db, settings, token=token[:-1] + ("0" if token[-1] != "0" else "1"), now=NOW)

    assert "unsubscribed" in unsubscribe(db, settings, token=token, now=NOW + timedelta(days=4))
    assert _nurture(db, settings, NOW + timedelta(days=30)).sent == 0
    assert sender.drain().sent == 0 and len(inbox.messages) == 2
    with db.session() as session:
        enrollment = session.scalar(select(NurtureEnrollment).where(NurtureEnrollment.lead_id == lead_id))
        assert enrollment.status == "stopped" and enrollment.stop_reason == "unsubscribed"


def test_smtp_down_queues_mail_and_sends_it_once_later(db, mail):
    _controller, inbox, settings = mail
    port = free_port()  # nothing listens here yet: the mail server is down
    settings = settings.model_copy(update={"smtp_port": port})
    _cold_lead(db, "kim@later.example")
    sender = outbox_sender_from_settings(db, settings)
    _nurture(db, settings, NOW)
    down = sender.run_once()
    assert down.sent == 0 and down.retried == 1
    with db.session() as session:
        item = session.scalar(select(OutboxItem))
        assert item.status == "pending" and "unavailable" in item.last_error
    later = Controller(inbox, hostname="127.0.0.1", port=port)  # the server comes back
    later.start()
    try:
        assert sender.drain().sent == 1
        assert sender.drain().sent == 0
    finally:
        later.stop()
    assert [m["To"] for m in inbox.messages] == ["kim@later.example"]
    assert inbox.messages[0]["Message-ID"] == f"<{item.key}@leadpilot>"


def test_a_refused_recipient_is_recorded_as_bounced_and_mailed_no_more(db, mail):
    controller, inbox, settings = mail
    lead_id = _cold_lead(db, "gone@bounce.example")
    sender = outbox_sender_from_settings(db, settings)
    _nurture(db, settings, NOW)
    report = sender.drain()
    assert report.sent == 0 and report.dead == 0 and not inbox.messages
    with db.session() as session:
        assert session.scalar(select(OutboxItem.status)) == "cancelled"
        enrollment = session.scalar(select(NurtureEnrollment).where(NurtureEnrollment.lead_id == lead_id))
        assert enrollment.status == "stopped" and "bounced" in enrollment.stop_reason
    # A bounce reported later (a DSN): recorded by address.
    other = _cold_lead(db, "late@elsewhere.example")
    assert "bounced" in record_bounce(db, email="LATE@elsewhere.example", detail="550 mailbox full")
    assert _nurture(db, settings, NOW).sent == 0
    with pytest.raises(ValueError, match="not an email address"):
        record_bounce(db, email="nobody")
    with db.session() as session:
        assert session.scalar(select(NurtureEnrollment.status).where(NurtureEnrollment.lead_id == other)) == "stopped"


def test_a_hot_leads_owner_gets_an_assignment_email(db, mail):
    controller, inbox, settings = mail
    lead_id = capture_one(db, company="Blaze Inc", contact_name="Ada Fire", email="ada@blaze.example", job_title="CEO",
                          industry="fintech", company_size=400, city="Austin", country="US", source="referral")
    with db.transaction() as session:
        rep = add_rep(session, "owner@team.example", "Olivia Owner")
        lead = session.get(Lead, lead_id)
        lead.owner_id, lead.tier, lead.score = rep.id, "hot", 91
        session.flush()
        queued = queue_decision(session, settings=settings, lead=lead, step="route", at=NOW,
                                data={"owner": rep.email, "reason": "fintech pool, round robin", "rule": "fintech"})
    assert "assignment email to owner@team.example" in queued
    assert outbox_sender_from_settings(db, settings).drain().sent == 1
    [message] = inbox.messages
    assert message["To"] == "owner@team.example" and message["Subject"] == "New hot lead assigned to you: Blaze Inc"
    body = message.get_content()
    assert "Olivia" in body and "Ada Fire, CEO" in body and "score 91" in body and "fintech pool, round robin" in body
    assert message["List-Unsubscribe"] is None  # an internal email, not marketing


def test_the_api_unsubscribe_link_and_one_click_post_stop_the_sequence(db, mail):
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from leadpilot.interfaces.api.app import create_app
    from leadpilot.tools.crm import unsubscribe_token

    _controller, _inbox, settings = mail
    first = _cold_lead(db, "one@click.example")
    settings = settings.model_copy(update={"webhook_secret": SecretStr("w" * 32)})
    with TestClient(create_app(settings=settings, db=db), base_url="http://127.0.0.1") as client:
        assert client.get("/unsubscribe", params={"token": "1.bad"}).status_code == 400
        token = unsubscribe_token(settings, lead_id=first, email="one@click.example")
        answer = client.post("/unsubscribe", params={"token": token}, content=b"List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})  # RFC 8058, no bearer token
        assert answer.status_code == 200 and "unsubscribed" in answer.text
    assert _nurture(db, settings, NOW).sent == 0
    with db.session() as session:
        assert session.scalar(select(NurtureEnrollment.stop_reason).where(NurtureEnrollment.lead_id == first)) == "unsubscribed"
