"""The outbox: every change Leadpilot owes a system outside it (HubSpot, Salesforce, an email, a
webhook), written in the same transaction as the decision it reports, then sent by the workers.

A row is one change with its own idempotency key (sent with every attempt, so a resend after a
crash is recognised by the receiver). Workers claim due rows with a lease (fenced by a claim
token, as pipeline jobs are): a worker killed mid-send leaves its rows `sending` until the lease
expires, then another worker sends them again under the same keys. A failure is retried with
exponential backoff (or after the receiver's Retry-After); after `max_attempts` the row is dead
(`leadpilot crm push-pending --retry-dead` queues it again). CRM sync cursors, the links between
leads and CRM records, the email addresses that unsubscribed or bounced, and the outgoing webhook
subscriptions added from the command line live here too.

Queue timing runs on the wall clock (memory.pipeline.wall_clock), not on LEADPILOT_NOW.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, and_, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadpilot.memory.models import Base


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker (lease_until); taken again when the lease expires
    SENT = "sent"
    DEAD = "dead"  # out of attempts
    CANCELLED = "cancelled"  # must not be sent any more (the address unsubscribed or bounced)


class OutboxItem(Base):
    """One change owed to one channel (hubspot | salesforce | email | webhook)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_available", "status", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # the idempotency key the receiver sees
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # contact | note | task | email | event name
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class CrmCursor(Base):
    """How far a CRM's changes were pulled (its own modification time), and the last run's numbers."""

    __tablename__ = "crm_cursors"

    crm: Mapped[str] = mapped_column(String(16), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(64))
    backfilled_at: Mapped[datetime | None] = mapped_column()
    synced_at: Mapped[datetime | None] = mapped_column()
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CrmLink(Base):
    """A lead's record in a CRM (its id there, and its owner there when last seen)."""

    __tablename__ = "crm_links"
    __table_args__ = (Index("ix_crm_links_crm_record", "crm", "crm_id", unique=True),)

    crm: Mapped[str] = mapped_column(String(16), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(64))
    crm_owner: Mapped[str | None] = mapped_column(String(254))  # the owner's email in the CRM
    updated_at: Mapped[datetime] = mapped_column()


class EmailSuppression(Base):
    """An address Leadpilot must not email: it unsubscribed, or a mail to it bounced."""

    __tablename__ = "email_suppressions"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # unsubscribed | bounced
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()


class WebhookSubscription(Base):
    """An outgoing webhook added with `leadpilot webhooks add` (config/crm.yaml lists the others): the
    URL, the events it gets, and the secret its deliveries are signed with (needed in clear to sign)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column()
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()


# ---------------------------------------------------------------------------------------------


def add_change(session: Session, *, channel: str, kind: str, lead_id: int | None, payload: dict[str, Any], at: datetime,
               key: str | None = None) -> OutboxItem:
    """Queue one change in the caller's transaction (the decision's own)."""
    item = OutboxItem(key=key or f"lp-{channel}-{kind}-{uuid.uuid4().hex}", channel=channel, kind=kind, lead_id=lead_id,
                      payload=payload, status=OutboxStatus.PENDING.value, attempts=0, available_at=at, created_at=at)
    session.add(item)
    return item


def claim_changes(session: Session, *, token: str, channels: list[str], limit: int, lease_s: float,
                  at: datetime) -> list[OutboxItem]:
    """Claim up to `limit` due changes of `channels`, oldest first (one UPDATE; SKIP LOCKED on PostgreSQL)."""
    due = or_(and_(OutboxItem.status == OutboxStatus.PENDING.value, OutboxItem.available_at <= at),
              and_(OutboxItem.status == OutboxStatus.SENDING.value, OutboxItem.lease_until < at))
    wanted = select(OutboxItem.id).where(due, OutboxItem.channel.in_(channels)).order_by(OutboxItem.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        wanted = wanted.with_for_update(skip_locked=True)
    session.execute(update(OutboxItem).where(OutboxItem.id.in_(wanted.scalar_subquery()))
                    .values(status=OutboxStatus.SENDING.value, lease_owner=token, lease_until=at + timedelta(seconds=lease_s),
                            attempts=OutboxItem.attempts + 1).execution_options(synchronize_session=False))
    return list(session.scalars(select(OutboxItem).where(OutboxItem.lease_owner == token,
                                                         OutboxItem.status == OutboxStatus.SENDING.value)
                                .order_by(OutboxItem.id)))


def settle_change(session: Session, *, item_id: int, token: str, values: dict[str, Any]) -> bool:
    """Record a send's outcome, only while `token` still holds the change."""
    done = session.execute(update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.lease_owner == token,
                                                    OutboxItem.status == OutboxStatus.SENDING.value)
                           .values(**values).execution_options(synchronize_session=False))
    return done.rowcount == 1


def settle_sent(session: Session, *, item_ids: list[int], token: str, at: datetime) -> int:
    """Mark many changes sent in one statement, those `token` still holds; how many it held."""
    if not item_ids:
        return 0
    done = session.execute(update(OutboxItem).where(OutboxItem.id.in_(item_ids), OutboxItem.lease_owner == token,
                                                    OutboxItem.status == OutboxStatus.SENDING.value)
                           .values(status=OutboxStatus.SENT.value, sent_at=at, last_error=None, lease_owner=None, lease_until=None)
                           .execution_options(synchronize_session=False))
    return done.rowcount


def requeue_dead(session: Session, *, at: datetime, channel: str | None = None) -> int:
    """Queue dead changes again with fresh attempts; how many."""
    query = update(OutboxItem).where(OutboxItem.status == OutboxStatus.DEAD.value)
    if channel:
        query = query.where(OutboxItem.channel == channel)
    return session.execute(query.values(status=OutboxStatus.PENDING.value, attempts=0, available_at=at,
                                        lease_owner=None, lease_until=None)).rowcount


def outbox_depth(session: Session) -> dict[tuple[str, str], tuple[int, datetime | None]]:
    """(channel, status) -> (count, oldest created_at)."""
    rows = session.execute(select(OutboxItem.channel, OutboxItem.status, func.count(), func.min(OutboxItem.created_at))
                           .group_by(OutboxItem.channel, OutboxItem.status)).all()
    return {(channel, status): (count, oldest) for channel, status, count, oldest in rows}


def lead_changes(session: Session, *, lead_id: int) -> list[dict[str, Any]]:
    """A lead's outbox rows, for GET /leads/{id}."""
    items = session.scalars(select(OutboxItem).where(OutboxItem.lead_id == lead_id).order_by(OutboxItem.id))
    return [{"key": i.key, "channel": i.channel, "kind": i.kind, "status": i.status, "attempts": i.attempts,
             "last_error": i.last_error, "created_at": i.created_at.isoformat() if i.created_at else None,
             "sent_at": i.sent_at.isoformat() if i.sent_at else None} for i in items]


def suppressed(session: Session, *, email: str) -> EmailSuppression | None:
    return session.get(EmailSuppression, email.strip().lower())


def suppress(session: Session, *, email: str, reason: str, detail: str | None, at: datetime) -> EmailSuppression:
    email = email.strip().lower()
    row = session.get(EmailSuppression, email)
    if row is None:
        row = EmailSuppression(email=email, reason=reason, detail=detail, at=at)
        session.add(row)
    else:
        row.reason, row.detail, row.at = reason, detail, at
    return row


def get_cursor(session: Session, crm: str) -> CrmCursor:
    row = session.get(CrmCursor, crm)
    if row is None:
        row = CrmCursor(crm=crm, cursor=None, stats={})
        session.add(row)
    return row


def link_lead(session: Session, *, crm: str, lead_id: int, crm_id: str, crm_owner: str | None, at: datetime) -> CrmLink:
    row = session.get(CrmLink, (crm, lead_id))
    if row is None:
        row = CrmLink(crm=crm, lead_id=lead_id, crm_id=crm_id, crm_owner=crm_owner, updated_at=at)
        session.add(row)
    else:
        row.crm_id, row.crm_owner, row.updated_at = crm_id, crm_owner, at
    return row


def crm_ids(session: Session, *, crm: str, lead_ids: list[int]) -> dict[int, str]:
    if not lead_ids:
        return {}
    rows = session.execute(select(CrmLink.lead_id, CrmLink.crm_id).where(CrmLink.crm == crm, CrmLink.lead_id.in_(lead_ids)))
    return dict(rows.all())


def links_by_crm_id(session: Session, *, crm: str, crm_ids_: list[str]) -> dict[str, CrmLink]:
    if not crm_ids_:
        return {}
    return {link.crm_id: link for link in session.scalars(select(CrmLink).where(CrmLink.crm == crm, CrmLink.crm_id.in_(crm_ids_)))}


def link_new_leads(session: Session, *, crm: str, links: list[tuple[int, str, str | None]], at: datetime) -> None:
    """Links for many leads at once (lead id, CRM id, owner email): inserted in one statement, the
    leads already linked updated one by one (a repeat pull)."""
    from sqlalchemy import insert

    if not links:
        return
    known = {lead_id for lead_id in session.scalars(select(CrmLink.lead_id).where(
        CrmLink.crm == crm, CrmLink.lead_id.in_([lead_id for lead_id, _, _ in links])))}
    fresh = {lead_id: (crm_id, owner) for lead_id, crm_id, owner in links if lead_id not in known}
    if fresh:
        session.execute(insert(CrmLink), [{"crm": crm, "lead_id": lead_id, "crm_id": crm_id, "crm_owner": owner, "updated_at": at}
                                          for lead_id, (crm_id, owner) in fresh.items()])
    for lead_id, crm_id, owner in links:
        if lead_id in known:
            link_lead(session, crm=crm, lead_id=lead_id, crm_id=crm_id, crm_owner=owner, at=at)


def add_subscription(session: Session, *, url: str, events: list[str], secret: str, at: datetime) -> WebhookSubscription:
    row = WebhookSubscription(url=url, events=list(events), secret=secret, created_at=at)
    session.add(row)
    session.flush()
    return row


def subscriptions(session: Session, *, event: str | None = None) -> list[WebhookSubscription]:
    """The stored subscriptions, oldest first (those that get `event`, when given)."""
    rows = list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
    return [row for row in rows if event is None or event in (row.events or [])]


def remove_subscription(session: Session, *, subscription_id: int) -> WebhookSubscription | None:
    """Remove a subscription; its changes still queued are cancelled when their turn comes."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is not None:
        session.delete(row)
    return row


def subscription_secrets(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(WebhookSubscription.id, WebhookSubscription.secret).where(WebhookSubscription.id.in_(ids))).all())
