"""The outbox sender the workers run: claim due changes, send them, settle each one.

Per channel, one claim of up to `batch` changes (a lease, fenced by a claim token), one push to
the connector (HubSpot and Salesforce take a batch; email and webhooks go one by one), then one
transaction that records every outcome: sent; failed → retried after `backoff_s * 2^(attempt-1)`;
out of attempts → dead (shown in /metrics and GET /leads/{id}; `leadpilot crm push-pending
--retry-dead` queues them again); rate-limited (HubSpot 429 + Retry-After, Salesforce
REQUEST_LIMIT_EXCEEDED) → every claimed change of that channel waits the time the CRM asked for,
without spending an attempt. A webhook receiver's Retry-After holds back that change alone: after a
429 without spending an attempt, after a 503 (or another failure) as the later of the backoff and
the time asked for. A worker killed between the send and the settle leaves its changes
`sending`; when the lease expires they are sent again under the same idempotency keys, which the
receiver recognises (upsert by key, objectWriteTraceId, Idempotency-Key header, Message-ID).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from leadpilot.memory.outbox import OutboxStatus, claim_changes, crm_ids, link_lead, settle_change, settle_sent
from leadpilot.memory.pipeline import wall_clock
from leadpilot.tools.crm.connector import Change, CrmError, Pushed, RateLimited

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    waiting: int = 0  # rate-limited: waiting for the CRM's Retry-After
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.retried or self.dead or self.waiting)

    def add(self, other: "DeliveryReport") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.waiting += other.waiting
        self.errors += other.errors


# A sender takes the claimed changes of its channel and says what happened to each.
Sender = Callable[[list[Change]], Pushed]


@dataclass
class OutboxSender:
    db: Any
    senders: dict[str, Sender]  # channel -> sender
    max_attempts: int = 8
    backoff_s: float = 2.0
    lease_s: float = 60.0
    batch: int = 100
    name: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    before_settle: Callable[[str, list[Change]], None] | None = None  # tests: kill the worker between send and settle

    def run_once(self) -> DeliveryReport:
        """Send what is due now on every channel with a sender."""
        report = DeliveryReport()
        for channel in self.senders:
            report.add(self._channel(channel))
        return report

    def drain(self, *, max_rounds: int = 1000) -> DeliveryReport:
        """Until nothing due is left (changes waiting for a retry time stay queued)."""
        total = DeliveryReport()
        for _ in range(max_rounds):
            report = self.run_once()
            total.add(report)
            if not (report.sent or report.retried or report.dead):
                break
        return total

    def _channel(self, channel: str) -> DeliveryReport:
        token = f"{self.name}-{uuid.uuid4().hex[:8]}"
        with self.db.transaction() as session:
            items = claim_changes(session, token=token, channels=[channel], limit=self.batch, lease_s=self.lease_s, at=wall_clock())
            links = crm_ids(session, crm=channel, lead_ids=sorted({i.lead_id for i in items if i.lead_id is not None}))
            # Each change knows its lead's record in this CRM, when there is one (an update, not a create).
            claimed = [Change(i.id, i.key, i.kind, i.lead_id, {**(i.payload or {}), "crm_id": links.get(i.lead_id)}) for i in items]
            attempts = {i.id: i.attempts for i in items}
        if not claimed:
            return DeliveryReport()
        waited: float | None = None
        try:
            pushed = self.senders[channel](claimed)
        except RateLimited as error:
            pushed, waited = Pushed(failed={c.id: str(error) for c in claimed}), error.retry_after_s
        except CrmError as error:
            pushed = Pushed(failed={c.id: str(error) for c in claimed})
        except Exception as error:  # a bug or an unexpected answer: recorded, retried, dead-lettered in the end
            log.exception("outbox: sending %s changes on %s failed", len(claimed), channel)
            pushed = Pushed(failed={c.id: f"{type(error).__name__}: {error}" for c in claimed})
        if self.before_settle is not None:
            self.before_settle(channel, claimed)
        return self._settle(channel, claimed, attempts, pushed, token=token, waited=waited)

    def _settle(self, channel: str, claimed: list[Change], attempts: dict[int, int], pushed: Pushed, *, token: str,
                waited: float | None) -> DeliveryReport:
        report = DeliveryReport()
        at = wall_clock()
        with self.db.transaction() as session:
            for lead_id, (crm_id, owner) in pushed.links.items():
                link_lead(session, crm=channel, lead_id=lead_id, crm_id=crm_id, crm_owner=owner, at=at)
            sent = set(pushed.sent)
            plain = [c.id for c in claimed if c.id in sent and c.id not in pushed.notes]  # settled in one statement
            held = settle_sent(session, item_ids=plain, token=token, at=at)
            report.sent += held
            if held < len(plain):
                log.warning("outbox: %s sent change(s) were taken over by another worker before they were settled", len(plain) - held)
            for change in claimed:
                tries = attempts.get(change.id, 1)
                if change.id in plain:
                    continue
                if change.id in sent:
                    values = {"status": OutboxStatus.SENT.value, "sent_at": at, "last_error": pushed.notes.get(change.id),
                              "lease_owner": None, "lease_until": None}
                    report.sent += 1
                elif change.id in pushed.cancelled:
                    values = {"status": OutboxStatus.CANCELLED.value, "last_error": pushed.cancelled[change.id],
                              "lease_owner": None, "lease_until": None}
                else:
                    error = pushed.failed.get(change.id, "not delivered")[:2000]
                    values = {"last_error": error, "lease_owner": None, "lease_until": None}
                    asked = pushed.retry_after.get(change.id, 0.0)
                    if waited is not None or change.id in pushed.throttled:
                        values.update(status=OutboxStatus.PENDING.value, attempts=max(tries - 1, 0),
                                      available_at=at + timedelta(seconds=waited if waited is not None else asked))
                        report.waiting += 1
                    elif tries >= self.max_attempts:
                        values.update(status=OutboxStatus.DEAD.value)
                        report.dead += 1
                        report.errors.append(f"{change.key}: {error}")
                    else:
                        values.update(status=OutboxStatus.PENDING.value,
                                      available_at=at + timedelta(seconds=max(self.backoff_s * (2 ** (tries - 1)), asked)))
                        report.retried += 1
                if not settle_change(session, item_id=change.id, token=token, values=values):
                    log.warning("outbox: change %s was taken over by another worker before it was settled", change.key)
        return report

