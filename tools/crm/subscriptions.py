"""Outgoing webhook subscriptions managed from the command line (`leadpilot webhooks add|list|remove|test`).

They live in the store (table webhook_subscriptions, memory/outbox.py), so every worker and server
sharing the database sends them, and they need no file edit or restart; the ones RevOps keeps in
config/crm.yaml (`webhooks:`, secret in an environment variable) keep working beside them and are
listed too, but are changed in that file. A stored subscription keeps its signing secret (given
with --secret, or made here and shown once): the receiver verifies `Leadpilot-Signature` with it.
"""

from __future__ import annotations

import secrets as random_secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from leadpilot.memory.outbox import add_subscription, remove_subscription, subscriptions
from leadpilot.tools.common import unknown
from leadpilot.tools.crm.changes import forget_subscriptions
from leadpilot.tools.crm.policy import EVENTS
from leadpilot.tools.crm.webhooks import Answer, send_test

MIN_SECRET = 16


class SubscriptionError(ValueError):
    """A subscription request that cannot be done, with the fix in the message."""


@dataclass
class Added:
    id: int
    url: str
    events: list[str]
    secret: str
    generated: bool  # the secret was made here: show it once


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise SubscriptionError(f"{url!r} is not an http(s) URL — give the receiver's full address, e.g. "
                                "https://hooks.example.com/leadpilot")
    return url


def parse_events(text: str) -> list[str]:
    """"lead.created, lead.assigned" -> the event names, each checked."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if not names:
        raise SubscriptionError(f"name at least one event, e.g. --events lead.created,lead.assigned (events: {', '.join(EVENTS)})")
    for name in names:
        if name not in EVENTS:
            raise SubscriptionError(f"{unknown('event', name, EVENTS)} (events: {', '.join(EVENTS)})")
    return list(dict.fromkeys(names))


def _hint(secret: str) -> str:
    return f"…{secret[-4:]}"


def add_webhook(db: Any, *, url: str, events: str, secret: str | None, at: datetime) -> Added:
    url, names = check_url(url), parse_events(events)
    if secret is not None and len(secret) < MIN_SECRET:
        raise SubscriptionError(f"the signing secret needs at least {MIN_SECRET} characters — give a longer one, "
                                "or leave --secret out to have one made")
    made = secret is None
    secret = secret or "whsec_" + random_secrets.token_urlsafe(24)
    with db.transaction() as session:
        if any(row.url == url for row in subscriptions(session)):
            raise SubscriptionError(f"{url} is already subscribed — `leadpilot webhooks remove {url}` first to change its events or secret")
        row = add_subscription(session, url=url, events=names, secret=secret, at=at)
        added = Added(row.id, url, names, secret, made)
    forget_subscriptions()
    return added


def list_webhooks(db: Any, *, policy: Any) -> list[dict[str, Any]]:
    """Every subscriber: the stored ones (id, secret's last characters) and config/crm.yaml's."""
    with db.session() as session:
        found = [{"id": row.id, "url": row.url, "events": list(row.events), "secret": _hint(row.secret), "source": "store",
                  "created_at": row.created_at.isoformat()} for row in subscriptions(session)]
    found += [{"id": None, "url": hook.url, "events": list(hook.events), "secret": f"${hook.secret_env}", "source": "config/crm.yaml",
               "created_at": None} for hook in policy.webhooks]
    return found


def _find(session: Any, target: str, *, policy: Any) -> Any:
    rows = subscriptions(session)
    match = [row for row in rows if str(row.id) == target.strip() or row.url == target.strip()]
    if match:
        return match[0]
    if any(hook.url == target.strip() for hook in policy.webhooks):
        raise SubscriptionError(f"{target} is subscribed in config/crm.yaml (webhooks:) — change it in that file")
    known = ", ".join(f"{row.id} {row.url}" for row in rows) or "none yet"
    raise SubscriptionError(f"no webhook subscription {target!r} — give its id or URL from `leadpilot webhooks list` (stored: {known})")


def remove_webhook(db: Any, target: str, *, policy: Any) -> dict[str, Any]:
    """Remove by id or URL; changes still queued for it are cancelled, not sent."""
    with db.transaction() as session:
        row = _find(session, target, policy=policy)
        gone = {"id": row.id, "url": row.url, "events": list(row.events)}
        remove_subscription(session, subscription_id=row.id)
    forget_subscriptions()
    return gone


def send_test_event(db: Any, target: str, *, policy: Any, event: str | None, secret: str | None, at: datetime) -> tuple[str, str, Answer]:
    """Send one signed sample event to a subscription (by id or URL), or to any URL with --secret;
    (url, event, the receiver's answer)."""
    import os

    url, events = target.strip(), list(EVENTS)
    if secret is None:
        hook = next((h for h in policy.webhooks if h.url == url), None)
        if hook is not None:
            secret, events = os.environ.get(hook.secret_env), list(hook.events)
            if not secret:
                raise SubscriptionError(f"the signing secret is not set — export {hook.secret_env} (named in config/crm.yaml)")
        else:
            with db.session() as session:
                try:
                    row = _find(session, target, policy=policy)
                except SubscriptionError as error:
                    raise SubscriptionError(f"{error}; or test any URL with --secret") from None
                url, secret, events = row.url, row.secret, list(row.events)
    else:
        check_url(url)
    chosen = parse_events(event)[0] if event else events[0]
    return url, chosen, send_test(url=url, secret=secret, event=chosen, at=at)
