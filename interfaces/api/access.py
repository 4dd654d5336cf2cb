"""Who may read what the capture API holds.

- **Bearer token** for every `/leads` read and retry, loopback included, and for `/metrics`,
  `/docs` and `/openapi.json` unless LEADPILOT_API_PUBLIC_METRICS / LEADPILOT_API_PUBLIC_DOCS open
  them. The token is LEADPILOT_API_TOKEN; when that is unset, the first `serve` generates one into
  `<data dir>/api_token` (mode 0600) and later starts reuse it, so a local install is safe without
  configuration. Every client (curl, the tests, a script) reads it from the same place: `api_token`.
- **Host allow-list** (Starlette's TrustedHostMiddleware): only requests whose Host header names
  localhost, 127.0.0.1, ::1, the interface `serve` listens on, or LEADPILOT_API_ALLOWED_HOSTS are
  answered, so a web page cannot reach the API by DNS rebinding (its requests carry the attacker's
  host name).
`/health` stays open (liveness probes): it tells only whether the database answers and queue counts.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from starlette.middleware.trustedhost import TrustedHostMiddleware

from leadpilot.settings import Settings

TOKEN_FILE = "api_token"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def token_file(settings: Settings) -> Path:
    return settings.data_dir / TOKEN_FILE


def api_token(settings: Settings, *, create: bool = False) -> str | None:
    """LEADPILOT_API_TOKEN, else the generated token in the data dir (made now when `create`)."""
    if settings.api_token is not None:
        return settings.api_token.get_secret_value().strip()
    path = token_file(settings)
    if path.is_file() and (token := path.read_text(encoding="utf-8").strip()):
        return token
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def token_problem(authorization: str | None, token: str) -> str | None:
    """None when `authorization` carries the token; otherwise what to send, for the 401 answer."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return ("missing or wrong bearer token — send Authorization: Bearer <token>: LEADPILOT_API_TOKEN, "
            "or the token `leadpilot serve` generated into <data dir>/api_token")


def allowed_hosts(settings: Settings) -> list[str]:
    """Loopback names, the listening interface (when it is a name or address, not 0.0.0.0), and the configured names."""
    names = list(LOOPBACK_HOSTS)
    if settings.api_host not in ("0.0.0.0", "::", ""):
        names.append(settings.api_host)
    names += [name.strip().lower() for name in settings.api_allowed_hosts.split(",") if name.strip()]
    # An IPv6 address arrives in Host in brackets ([::1]:8080); accept it as written either way.
    hosts = [f"[{name.strip('[]')}]" if ":" in name else name for name in names]
    return list(dict.fromkeys(hosts))


class HostAllowList:
    """TrustedHostMiddleware, answering a refused Host with JSON that names the setting to change."""

    def __init__(self, app: Any, hosts: list[str]):
        self.hosts = hosts

        async def reached(scope, receive, send):
            scope["leadpilot.host_ok"] = True
            await app(scope, receive, send)

        self.inner = TrustedHostMiddleware(reached, allowed_hosts=hosts, www_redirect=False)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)

        async def answer(message):
            if scope.get("leadpilot.host_ok"):
                return await send(message)
            if message["type"] == "http.response.start":
                host = dict(scope.get("headers") or ()).get(b"host", b"").decode("latin-1")[:100]
                body = json.dumps({"detail": f"Host {host!r} is not one this API answers to ({', '.join(self.hosts)}) — "
                                             "add the name clients use to LEADPILOT_API_ALLOWED_HOSTS"}, ensure_ascii=False).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})

        await self.inner(scope, receive, answer)
