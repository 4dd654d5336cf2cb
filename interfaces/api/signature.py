"""Webhook signatures, timestamped as Stripe signs them:

    X-Leadpilot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

The timestamp is inside the HMAC, so a captured request cannot be sent again once it is older than
the tolerance (LEADPILOT_WEBHOOK_TOLERANCE_S, 300 s). Several `v1=` values may be sent (a sender
signing with two secrets while they rotate). The old scheme, `sha256=<hex HMAC-SHA256 of the body>`,
has no timestamp and can be replayed forever: it is accepted only with
LEADPILOT_WEBHOOK_LEGACY_SIGNATURES=true, for senders that cannot change yet.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

HEADER = "X-Leadpilot-Signature"
HOW = "sign with t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<body>\"> under the webhook secret"


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The header value a sender puts on `body` now (or at `timestamp`); senders and tests use this."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_hmac(secret, str(t).encode() + b'.' + body)}"


def sign_legacy(body: bytes, secret: str) -> str:
    """The old, replayable header value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + _hmac(secret, body)


def _matches(expected: Sequence[str], given: Sequence[str]) -> bool:
    return any(hmac.compare_digest(want, got) for want in expected for got in given)


def signature_problem(body: bytes, header: str | None, secrets: Sequence[str], *, tolerance_s: int,
                      legacy: bool = False, now: float | None = None) -> str | None:
    """None when the signature is right and fresh; otherwise what is wrong, for the 401 answer.
    `secrets` are the current webhook secret and, while rotating, the previous one."""
    if not header or not header.strip():
        return f"missing {HEADER} header — {HOW}"
    header = header.strip()
    if header.lower().startswith("sha256="):
        if not legacy:
            return (f"{HEADER} uses the old sha256= scheme, which has no timestamp and can be replayed — {HOW}; "
                    "or set LEADPILOT_WEBHOOK_LEGACY_SIGNATURES=true while senders move over")
        digest = header.partition("=")[2].strip().lower()
        if not _matches([_hmac(secret, body) for secret in secrets], [digest]):
            return "signature does not match the body — sign the exact bytes sent, with the shared webhook secret"
        return None
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key.strip().lower(), []).append(value.strip().lower())
    stamps, digests = parts.get("t", []), [d for d in parts.get("v1", []) if d]
    if len(stamps) != 1 or not stamps[0].isascii() or not stamps[0].isdigit() or len(stamps[0]) > 12 or not digests:
        return f"{HEADER} must look like t=<unix seconds>,v1=<hex digest> — {HOW}"
    stamp = int(stamps[0])
    age = (time.time() if now is None else now) - stamp
    if abs(age) > tolerance_s:
        when = f"{int(age)} s old" if age > 0 else f"{int(-age)} s in the future"
        return (f"signature timestamp is {when}; signatures are accepted for {tolerance_s} s "
                "(LEADPILOT_WEBHOOK_TOLERANCE_S) — sign each post when you send it, and keep the sender's clock right")
    signed = stamps[0].encode() + b"." + body
    if not _matches([_hmac(secret, signed) for secret in secrets], digests):
        return "signature does not match the timestamp and body — HMAC-SHA256 of \"<t>.<exact bytes sent>\" with the shared webhook secret"
    return None
