"""Outgoing webhooks: lead.created, lead.routed, lead.scored and lead.hot POSTed as JSON to the
URLs subscribed in config/crm.yaml, signed the way Leadpilot's own webhook endpoint checks
signatures:

    Leadpilot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

plus `Leadpilot-Event` and `Idempotency-Key` (the outbox key: the same on every retry, so a
receiver can drop a repeat). The signature is made at each attempt (a fresh timestamp); the body
is the one queued with the decision. 2xx = delivered; anything else (or no answer) is retried with
the outbox's backoff, then dead-lettered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

from leadpilot.tools.crm.connector import Change, Pushed

SIGNATURE_HEADER = "Leadpilot-Signature"


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


def send_webhooks(changes: list[Change], *, timeout_s: float = 10.0) -> Pushed:
    import httpx

    pushed = Pushed()
    with httpx.Client(timeout=timeout_s) as client:
        for change in changes:
            payload = change.payload
            secret = os.environ.get(payload.get("secret_env") or "")
            if not secret:
                pushed.failed[change.id] = (f"the signing secret is not set — export {payload.get('secret_env')} "
                                            "(named by secret_env in config/crm.yaml)")
                continue
            body = json.dumps({"id": change.key, **payload["body"]}, separators=(",", ":"), default=str).encode()
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                       "Leadpilot-Event": payload.get("event", change.kind), "Idempotency-Key": change.key}
            try:
                answer = client.post(payload["url"], content=body, headers=headers)
            except httpx.HTTPError as error:
                pushed.failed[change.id] = f"{payload['url']} unreachable: {type(error).__name__}: {error}"
                continue
            if 200 <= answer.status_code < 300:
                pushed.sent.append(change.id)
            else:
                pushed.failed[change.id] = f"{payload['url']} answered {answer.status_code}: {answer.text[:200]}"
    return pushed
