"""Capture one lead posted by a web form or another system: validate, store durably, enqueue.

`capture_lead` does everything in one transaction — the lead (inserted, or the stored one it
matches updated), a form-submit activity, a receipt per identity key, the pipeline job — so a 202
means the lead is on disk and will be processed. Identity, in order: the Idempotency-Key header;
else source + external_id; else email; else company + contact name (normalised). A repeat of a
key already seen is answered with the same lead id and never queued again: a lead is processed
once however often it is posted. A repeat with a different body updates the fields it provides;
the same Idempotency-Key with a different body is refused (409), the way payment APIs do.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from leadpilot.memory.activities import add_activity
from leadpilot.memory.company_names import company_key, person_key
from leadpilot.memory.db import Database
from leadpilot.memory.lead_record import ValidatedLead, validate_lead
from leadpilot.memory.leads import upsert_leads
from leadpilot.memory.pipeline import add_event, add_receipt, enqueue, find_receipt, note_repeat
from leadpilot.memory.vocab import ActivityKind

_ATTEMPTS = 8  # concurrent first posts of one lead: the loser of the receipt race retries as a repeat


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before with a different body."""


@dataclass(frozen=True)
class CaptureResult:
    lead_id: int
    job_id: int | None
    repeat: bool  # the lead was posted before: same id, not queued again
    updated: bool  # a repeat that changed stored fields


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def identity_keys(record: ValidatedLead, *, idempotency_key: str | None) -> list[str]:
    """The receipt keys of a record, strongest first."""
    values = record.values
    keys = [f"idem:{idempotency_key}"] if idempotency_key else []
    if values.get("external_id"):
        keys.append(f"ext:{values.get('source') or 'other'}:{values['external_id']}")
    if values.get("email"):
        keys.append(f"email:{values['email']}")
    if not values.get("external_id") and not values.get("email") and (company := company_key(values.get("company"))):
        keys.append(f"name:{company}|{person_key(values.get('contact_name'))}")
    return [key[:400] for key in keys]


def capture_lead(
    db: Database,
    *,
    payload: Mapping[str, Any],
    body_sha256: str,
    idempotency_key: str | None,
    now: datetime,
    received_at: datetime,
    actor: str = "webhook",
) -> CaptureResult:
    """Store one posted lead and queue its processing. Raises LeadValidationError (every bad field
    named) or IdempotencyConflict; `now` is business time, `received_at` the wall clock."""
    record = validate_lead(payload, now=now)
    keys = identity_keys(record, idempotency_key=idempotency_key)
    for attempt in range(_ATTEMPTS):
        try:
            with db.transaction() as session:
                return _capture(session, record=record, keys=keys, body_sha256=body_sha256,
                                idempotency_key=idempotency_key, now=now, received_at=received_at, actor=actor)
        except (IntegrityError, OperationalError) as error:
            # Another request stored the same lead a moment ago (its receipt won), or SQLite was busy:
            # run again, and it is answered as the repeat it is.
            if attempt == _ATTEMPTS - 1 or (isinstance(error, OperationalError) and "locked" not in str(error).lower()):
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def _capture(session, *, record: ValidatedLead, keys: list[str], body_sha256: str, idempotency_key: str | None,
             now: datetime, received_at: datetime, actor: str) -> CaptureResult:
    seen = find_receipt(session, keys=keys)
    if seen is not None:
        if idempotency_key and seen.key == f"idem:{idempotency_key}" and seen.body_sha256 != body_sha256:
            raise IdempotencyConflict(
                f"Idempotency-Key {idempotency_key!r} was already used for a different body — "
                "send a new key for a new submission, or the identical body to repeat one")
        note_repeat(session, receipt=seen, at=received_at)
        updated = False
        if seen.body_sha256 != body_sha256:
            updated = True
            upsert_leads(session, records=[record], now=now, actor=actor)
        add_event(session, lead_id=seen.lead_id, step="capture", outcome="repeat", at=received_at,
                  message="posted again: " + ("stored fields updated, not processed again" if updated else "identical, nothing changed"))
        return CaptureResult(lead_id=seen.lead_id, job_id=None, repeat=True, updated=updated)

    outcome = upsert_leads(session, records=[record], now=now, actor=actor)
    action, lead_id = outcome.actions[0]
    for key in keys:
        add_receipt(session, key=key, lead_id=lead_id, body_sha256=body_sha256, at=received_at)
    session.flush()  # a concurrent first post of the same lead fails here, before anything else
    add_activity(session, lead_id=lead_id, kind=ActivityKind.FORM_SUBMIT, occurred_at=now,
                 detail=f"captured by {actor}", meta={"idempotency_key": idempotency_key} if idempotency_key else None)
    job = enqueue(session, lead_id=lead_id, at=received_at)
    add_event(session, lead_id=lead_id, step="capture", outcome="ok", at=received_at,
              message=("new lead stored" if action == "inserted" else "matched a stored lead; fields updated") + ", queued")
    return CaptureResult(lead_id=lead_id, job_id=job.id, repeat=False, updated=action == "updated")
