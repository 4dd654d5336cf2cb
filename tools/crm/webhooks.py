"""Outgoing webhooks: lead.created, lead.routed, lead.scored and lead.hot POSTed as JSON to the
subscribed URLs — those listed in config/crm.yaml (secret in the environment variable it names) and
those added with `leadpilot webhooks add` (kept in the store, with their secret) — signed the way
Leadpilot's own webhook endpoint checks signatures:

    Leadpilot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

plus `Leadpilot-Event` and `Idempotency-Key` (the outbox key: the same on every retry, so a
receiver can drop a repeat). The signature is made at each attempt (a fresh timestamp); the body
is the one queued with the decision. 2xx = delivered; anything else (or no answer) is retried with
the outbox's backoff, then dead-lettered. A 429 or 503 with Retry-After (seconds or an HTTP date,
at most an hour) is honoured: that change is not sent again sooner (a 429 spends no attempt), and
the rest of the batch for the same URL waits too. A change for a subscription removed meanwhile is
cancelled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from leadpilot.tools.crm.connector import Change, Pushed
from leadpilot.tools.crm.policy import EVENTS

SIGNATURE_HEADER = "Leadpilot-Signature"
MAX_RETRY_AFTER_S = 3600.0

# subscription ids -> their secrets (None: the subscription is gone)
SecretLookup = Callable[[list[int]], dict[int, str]]


def sign(secret: str, body: bytes, *, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300, now: float | None = None) -> bool:
    """What a receiver checks (and the tests): a v1 signature of this body, made within `tolerance_s`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - at) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_after_s(value: str | None) -> float | None:
    """A Retry-After header (delay seconds or an HTTP date) in seconds from now, at most an hour."""
    if not value:
        return None
    try:
        wait = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        wait = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp() - time.time()
    return min(max(wait, 0.0), MAX_RETRY_AFTER_S)


@dataclass
class Answer:
    status: int | None  # None: no answer
    text: str
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post_signed(client: Any, *, url: str, secret: str, body: bytes, event: str, key: str) -> Answer:
    """One signed POST; the receiver's answer (never raises for a network error)."""
    import httpx

    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body), "Leadpilot-Event": event, "Idempotency-Key": key}
    try:
        answer = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return Answer(None, f"{url} unreachable: {type(error).__name__}: {error}")
    wait = retry_after_s(answer.headers.get("Retry-After")) if answer.status_code in (429, 503) else None
    return Answer(answer.status_code, answer.text[:500], wait)


def _secret(payload: dict[str, Any], stored: dict[int, str]) -> tuple[str | None, str]:
    """The signing secret of a queued webhook, or why there is none."""
    if payload.get("subscription_id") is not None:
        secret = stored.get(int(payload["subscription_id"]))
        return secret, "" if secret else "removed"
    secret = os.environ.get(payload.get("secret_env") or "")
    return secret, "" if secret else (f"the signing secret is not set — export {payload.get('secret_env')} "
                                      "(named by secret_env in config/crm.yaml)")


def send_webhooks(changes: list[Change], *, secrets: SecretLookup | None = None, timeout_s: float = 10.0) -> Pushed:
    import httpx

    pushed = Pushed()
    ids = sorted({int(c.payload["subscription_id"]) for c in changes if c.payload.get("subscription_id") is not None})
    stored = secrets(ids) if secrets is not None and ids else {}
    paused: dict[str, tuple[str, float]] = {}  # url -> (why, wait): the rest of the batch for it waits too
    with httpx.Client(timeout=timeout_s) as client:
        for change in changes:
            payload = change.payload
            url = payload["url"]
            secret, problem = _secret(payload, stored)
            if problem == "removed":
                pushed.cancelled[change.id] = f"the webhook subscription {payload['subscription_id']} was removed"
                continue
            if not secret:
                pushed.failed[change.id] = problem
                continue
            if url in paused:  # not tried: it waits as asked, without spending an attempt
                pushed.failed[change.id], pushed.retry_after[change.id] = paused[url]
                pushed.throttled.add(change.id)
                continue
            body = json.dumps({"id": change.key, **payload["body"]}, separators=(",", ":"), default=str).encode()
            answer = post_signed(client, url=url, secret=secret, body=body, event=payload.get("event", change.kind), key=change.key)
            if answer.ok:
                pushed.sent.append(change.id)
                continue
            why = answer.text if answer.status is None else f"{url} answered {answer.status}: {answer.text[:200]}"
            pushed.failed[change.id] = why
            if answer.retry_after is not None:
                pushed.retry_after[change.id] = answer.retry_after
                if answer.status == 429:
                    pushed.throttled.add(change.id)
                paused[url] = (f"{why} (waiting {answer.retry_after:g}s as it asked)", answer.retry_after)
    return pushed


def sample_event(event: str, *, at: datetime) -> dict[str, Any]:
    """A made-up event of the real shape, for `leadpilot webhooks test`."""
    lead = {"id": 0, "external_id": "sample-1", "company": "Sample Co", "contact_name": "Sam Sample", "email": "sam@sample.example",
            "industry": "technology", "country": "US", "source": "website", "stage": "LEAD", "score": 87, "tier": "hot",
            "owner": "maya.chen@leadpilot.demo"}
    data = {"lead.created": {}, "lead.scored": {"score": 87, "tier": "hot"}, "lead.hot": {"score": 87},
            "lead.routed": {"owner": "maya.chen@leadpilot.demo", "queue": None, "rule": "sample", "reason": "a test event"},
            "lead.assigned": {"owner": "maya.chen@leadpilot.demo", "owner_name": "Maya Chen", "rule": "sample", "reason": "a test event"}}
    return {"event": event, "occurred_at": at.isoformat(), "lead": lead, "data": data.get(event, {}), "test": True}


def send_test(*, url: str, secret: str, event: str, at: datetime, timeout_s: float = 10.0) -> Answer:
    """POST one signed sample event now (not through the outbox); the receiver's answer."""
    import httpx

    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r} — use one of {', '.join(EVENTS)}")
    key = f"lp-webhook-test-{int(time.time() * 1000)}"
    body = json.dumps({"id": key, **sample_event(event, at=at)}, separators=(",", ":")).encode()
    with httpx.Client(timeout=timeout_s) as client:
        return post_signed(client, url=url, secret=secret, body=body, event=event, key=key)
