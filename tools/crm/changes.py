"""What a decision owes the outside world, queued in the outbox in the decision's own transaction.

Routing (the pipeline's route step), a rep's "Assign to me" and an SLA reassignment are all route
decisions here; `lead.assigned` is sent when one gives the lead a new owner (not a queue, not a lead
the CRM already owns).

The pipeline calls `queue_changes` from inside each step's apply (the lead's savepoint, committed
with the step's checkpoint), so a change is queued exactly once however often a worker dies:

| step      | CRM (HubSpot / Salesforce)              | email                      | webhook events          |
|-----------|-----------------------------------------|----------------------------|-------------------------|
| enrich    |                                          |                            | lead.created            |
| score     | contact: score, tier                    |                            | lead.scored (+ lead.hot)|
| route     | contact: owner (when Leadpilot routed)  | "assigned to you" (hot, warm) | lead.routed (+ lead.assigned) |
| summarize | contact: model probability; note: summary |                          |                         |
| follow_up | contact: stage; task: the follow-up, due |                           |                         |

Nurture emails are queued by the nurture run (tools/pipeline/nurture.py) the same way. Only the
channels that are configured get rows: a CRM with credentials, SMTP with a host, webhooks with
subscribers in config/crm.yaml or added with `leadpilot webhooks add` (read from the store at most
every SUBSCRIPTIONS_TTL_S seconds: a worker picks up a new subscription within that time).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadpilot.memory.models import Lead
from leadpilot.memory.outbox import add_change, subscriptions

SUBSCRIPTIONS_TTL_S = 5.0
_STORED: dict[tuple[int, str], tuple[float, list[tuple[int, str, list[str]]]]] = {}  # store -> (read at, subscriptions)

CRMS = ("hubspot", "salesforce")
_ASSIGNMENT_TIERS = ("hot", "warm")


def crm_channels(settings: Any) -> list[str]:
    channels = []
    if getattr(settings, "hubspot_token", None) is not None:
        channels.append("hubspot")
    if getattr(settings, "salesforce_username", None) or getattr(settings, "salesforce_instance_url", None):
        channels.append("salesforce")
    return channels


def _owner_email(session: Session, lead: Lead) -> str | None:
    """The owner's email, from owner_id (the relationship may not be refreshed after a routing write)."""
    from leadpilot.memory.models import Rep

    rep = session.get(Rep, lead.owner_id) if lead.owner_id is not None else None
    return rep.email if rep is not None else None


def _lead_facts(lead: Lead) -> dict[str, Any]:
    from leadpilot.tools.leads import lead_row

    return lead_row(lead)


def forget_subscriptions() -> None:
    """Read the stored webhook subscriptions afresh next time (after `leadpilot webhooks add/remove`)."""
    _STORED.clear()


def stored_subscribers(session: Session, event: str | None = None) -> list[tuple[int, str]]:
    """(id, url) of the subscriptions added from the command line that get `event` (any event: None)."""
    engine = getattr(session.get_bind(), "engine", session.get_bind())
    key = (id(engine), str(engine.url))
    hit = _STORED.get(key)
    if hit is None or time.monotonic() - hit[0] > SUBSCRIPTIONS_TTL_S:
        hit = _STORED[key] = (time.monotonic(), [(row.id, row.url, list(row.events or [])) for row in subscriptions(session)])
    return [(sid, url) for sid, url, events in hit[1] if event is None or event in events]


def queue_event(session: Session, *, policy: Any, event: str, lead: Lead, data: dict[str, Any], at: datetime) -> int:
    """One signed webhook per subscriber of `event` (config/crm.yaml's, then the stored ones); how many were queued."""
    hooks = [{"url": hook.url, "secret_env": hook.secret_env} for hook in policy.subscribers(event)]
    hooks += [{"url": url, "subscription_id": sid} for sid, url in stored_subscribers(session, event)]
    if not hooks:
        return 0
    body = {"event": event, "occurred_at": at.isoformat(), "lead": _lead_facts(lead), "data": data}
    for hook in hooks:
        add_change(session, channel="webhook", kind=event, lead_id=lead.id, at=at, payload={**hook, "event": event, "body": body})
    return len(hooks)


def _contact(session: Session, channels: list[str], lead: Lead, values: dict[str, Any], at: datetime) -> None:
    for channel in channels:
        add_change(session, channel=channel, kind="contact", lead_id=lead.id, at=at,
                   payload={"email": lead.email, "company": lead.company, "contact_name": lead.contact_name, **values})


def queue_changes(session: Session, *, settings: Any, policy: Any, lead: Lead, step: str, data: dict[str, Any],
                  at: datetime, render_email: Any = None) -> list[str]:
    """Queue what `step`'s decision about `lead` owes each configured channel; what was queued, in words."""
    channels = crm_channels(settings)
    queued: list[str] = []
    if step == "enrich":
        if queue_event(session, policy=policy, event="lead.created", lead=lead, data={}, at=at):
            queued.append("lead.created")
    elif step == "score":
        _contact(session, channels, lead, {"score": lead.score, "tier": lead.tier}, at)
        if queue_event(session, policy=policy, event="lead.scored", lead=lead, data={"score": lead.score, "tier": lead.tier}, at=at):
            queued.append("lead.scored")
        if lead.tier == "hot" and queue_event(session, policy=policy, event="lead.hot", lead=lead, data={"score": lead.score}, at=at):
            queued.append("lead.hot")
    elif step == "route":
        owner = _owner_email(session, lead)
        if owner and data.get("owner"):  # Leadpilot routed it (a lead the CRM owns keeps its owner there)
            _contact(session, channels, lead, {"owner_email": owner, "assign": True}, at)
            if lead.tier in _ASSIGNMENT_TIERS and render_email is not None:
                mail = render_email("assigned", lead=lead, to=owner, data=data, at=at)
                if mail is not None:
                    add_change(session, channel="email", kind="assigned", lead_id=lead.id, at=at, payload=mail)
                    queued.append(f"assignment email to {owner}")
            if queue_event(session, policy=policy, event="lead.assigned", lead=lead, at=at,
                           data={"owner": owner, **{k: data.get(k) for k in ("owner_name", "rule", "reason")}}):
                queued.append("lead.assigned")
        if queue_event(session, policy=policy, event="lead.routed", lead=lead, data={k: data.get(k) for k in ("owner", "queue", "rule", "reason")}, at=at):
            queued.append("lead.routed")
    elif step == "summarize":
        if lead.conversion_probability is not None:
            _contact(session, channels, lead, {"conversion_probability": round(float(lead.conversion_probability), 4)}, at)
        bullets = data.get("bullets") or []
        if bullets:
            for channel in channels:
                add_change(session, channel=channel, kind="note", lead_id=lead.id, at=at,
                           payload={"email": lead.email, "body": "Leadpilot summary:\n" + "\n".join(f"- {b}" for b in bullets),
                                    "at": at.isoformat()})
    elif step == "follow_up":
        _contact(session, channels, lead, {"stage": lead.stage}, at)
        if data.get("task_id") is not None:
            owner = _owner_email(session, lead)
            for channel in channels:
                add_change(session, channel=channel, kind="task", lead_id=lead.id, at=at,
                           payload={"email": lead.email, "task": data.get("task"), "due_at": data.get("due_at"), "owner_email": owner,
                                    "subject": f"{(data.get('task') or 'follow up').capitalize()} {lead.contact_name or lead.company or 'the lead'}"
                                               f" ({lead.tier} lead, score {lead.score})",
                                    "body": data.get("reason") or ""})
    if channels and step in ("score", "route", "summarize", "follow_up"):
        queued.append("CRM: " + ", ".join(channels))
    return queued


def queue_reassignment(session: Session, *, lead: Lead, decision: Any, at: datetime, settings: Any = None) -> list[str]:
    """An SLA reassignment (tools/routing/sla.py), in its own transaction: the new owner goes out as a
    routing decision (CRM owner, the new owner's email, lead.routed) and each CRM gets a note with the
    reason ("SLA missed by Maya (2h 10m); ..."), so the record there says why its owner changed."""
    if settings is None:
        from leadpilot.settings import get_settings

        settings = get_settings()
    data = {"owner": decision.owner, "owner_name": decision.owner_name, "queue": decision.queue, "rule": decision.rule,
            "reason": decision.reason}
    queued = queue_decision(session, settings=settings, lead=lead, step="route", data=data, at=at)
    who = decision.owner_name or decision.owner or (f"the {decision.queue} queue" if decision.queue else "nobody")
    for channel in crm_channels(settings):
        add_change(session, channel=channel, kind="note", lead_id=lead.id, at=at,
                   payload={"email": lead.email, "body": f"Leadpilot reassigned this lead to {who}: {decision.reason}", "at": at.isoformat()})
    return queued


def queue_decision(session: Session, *, settings: Any, lead: Lead, step: str, data: dict[str, Any], at: datetime) -> list[str]:
    """`queue_changes` with the CRM policy in force and the email templates; nothing when nothing is configured.
    A broken config/crm.yaml fails the step (retried, visible) only when a channel needs it."""
    from leadpilot.tools.crm.setup import crm_policy

    channels = crm_channels(settings)
    try:
        policy = crm_policy(settings)
    except Exception:
        if channels or getattr(settings, "smtp_host", None):
            raise
        return []
    render = None
    if getattr(settings, "smtp_host", None):
        from leadpilot.tools.crm.email import render_email_for

        render = render_email_for(settings)
    if not channels and render is None and not policy.webhooks and not stored_subscribers(session):
        return []
    return queue_changes(session, settings=settings, policy=policy, lead=lead, step=step, data=data, at=at, render_email=render)
