"""Webhook signatures: `X-Leadpilot-Signature: sha256=<hex HMAC-SHA256 of the raw body>`."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Leadpilot-Signature"


def sign(body: bytes, secret: str) -> str:
    """The header value a sender puts on `body` (senders and tests use this)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_problem(body: bytes, header: str | None, secret: str) -> str | None:
    """None when the signature is right; otherwise what is wrong, for the 401 answer."""
    if not header:
        return f"missing {HEADER} header — sign the raw body with HMAC-SHA256 under the webhook secret: sha256=<hex>"
    scheme, _, digest = header.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        return f"{HEADER} must look like sha256=<hex digest>"
    if not hmac.compare_digest(sign(body, secret), f"sha256={digest.strip().lower()}"):
        return "signature does not match the body — sign the exact bytes sent, with the shared webhook secret"
    return None
