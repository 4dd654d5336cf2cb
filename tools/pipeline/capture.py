"""Capture one lead posted by a web form or another system: validate, store durably, enqueue.

`capture_lead` does everything in one transaction — the lead (inserted, or the stored one it
matches updated), a form-submit activity (not for a record pulled from a CRM: `store_captures`), a receipt per identity key, the pipeline job — so a 202
means the lead is on disk and will be processed. Identity, in order: the Idempotency-Key header;
else source + external_id; else email; else company + contact name (normalised). A repeat of a
key already seen is answered with the same lead id and never queued again: a lead is processed
once however often it is posted. A repeat with a different body updates the fields it provides;
the same Idempotency-Key with a different body is refused (409), the way payment APIs do.

Two posts with different external ids are different leads even when they share an email: the
email does not make the second a repeat of the first; it is stored as a lead of its own and both
are flagged as likely duplicates (memory.leads.upsert_lead_batch). The source is stored as the
poster gave it, normalised, with its channel group; seniority and department come from the job
title (memory.lead_record.validate_lead).

`store_captures` stores many validated posts in one transaction (group commit: the API's
CaptureWriter hands it the requests that arrived together), each answered as `capture_lead`
would answer it alone.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from leadpilot.memory.activities import add_activity
from leadpilot.memory.company_names import company_key, person_key
from leadpilot.memory.db import Database
from leadpilot.memory.lead_record import ValidatedLead, validate_lead
from leadpilot.memory.leads import upsert_leads
from leadpilot.memory.models import Lead
from leadpilot.memory.pipeline import add_event, add_receipt, enqueue, find_receipts, note_repeats
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
        # a record that names no source is keyed as before blank sources were stored as "unknown"
        source = values.get("source") if "source" in record.provided else None
        keys.append(f"ext:{source or 'other'}:{values['external_id']}")
    if values.get("email"):
        keys.append(f"email:{values['email']}")
    if not values.get("external_id") and not values.get("email") and (company := company_key(values.get("company"))):
        keys.append(f"name:{company}|{person_key(values.get('contact_name'))}")
    return [key[:400] for key in keys]


@dataclass(frozen=True)
class PendingCapture:
    """A validated post, ready to store."""

    record: ValidatedLead
    keys: list[str]
    body_sha256: str
    idempotency_key: str | None
    now: datetime
    received_at: datetime


def prepare_capture(*, payload: Mapping[str, Any], body_sha256: str, idempotency_key: str | None, now: datetime,
                    received_at: datetime) -> PendingCapture:
    """Validate a post (raises LeadValidationError naming every bad field) and work out its identity keys."""
    record = validate_lead(payload, now=now)
    return PendingCapture(record, identity_keys(record, idempotency_key=idempotency_key), body_sha256, idempotency_key,
                          now, received_at)


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
    pending = prepare_capture(payload=payload, body_sha256=body_sha256, idempotency_key=idempotency_key, now=now,
                              received_at=received_at)
    return _store_one(db, pending, actor=actor)


def _store_one(db: Database, pending: PendingCapture, *, actor: str, form_submit: bool = True) -> CaptureResult:
    for attempt in range(_ATTEMPTS):
        try:
            with db.transaction() as session:
                [answer] = _capture_group(session, [pending], actor=actor, form_submit=form_submit)
            if isinstance(answer, IdempotencyConflict):  # nothing was written
                raise answer
            return answer
        except (IntegrityError, OperationalError) as error:
            # Another request stored the same lead a moment ago (its receipt won), or SQLite was busy:
            # run again, and it is answered as the repeat it is.
            if attempt == _ATTEMPTS - 1 or (isinstance(error, OperationalError) and "locked" not in str(error).lower()):
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def store_captures(db: Database, batch: Sequence[PendingCapture], *, actor: str = "webhook",
                   form_submit: bool = True) -> list[CaptureResult | Exception]:
    """Store validated posts in one transaction, in order (a repeat later in the batch is answered
    as a repeat); each answer is a CaptureResult or the IdempotencyConflict (nothing written for
    it). Any other failure rolls the batch back and stores each post on its own, as capture_lead
    does, so one bad post costs the others nothing but time; its error is its answer.

    `form_submit=False`: the posts are records pulled from a CRM (backfill or sync), not forms someone
    just submitted, so they get no form_submit activity: their engagement is what the CRM reports."""
    try:
        with db.transaction() as session:
            return list(_capture_group(session, batch, actor=actor, form_submit=form_submit))
    except Exception:
        pass
    answers: list[CaptureResult | Exception] = []
    for pending in batch:
        try:
            answers.append(_store_one(db, pending, actor=actor, form_submit=form_submit))
        except Exception as error:
            answers.append(error)
    return answers


@dataclass
class _Planned:
    """What a post in a group turned out to be, before anything is written."""

    pending: PendingCapture
    key: str | None = None  # the receipt key it repeats; None: a new lead
    first: int | None = None  # the post of this group that it repeats, when that one is new too
    upsert: int | None = None  # its record's index among the group's upserts
    conflict: IdempotencyConflict | None = None
    receipts: list[str] = field(default_factory=list)  # a new post: the keys it is the first to bring


def _capture_group(session, batch: Sequence[PendingCapture], *, actor: str,
                   form_submit: bool = True) -> list[CaptureResult | IdempotencyConflict]:
    """The posts of a group, as each would be captured after the one before it, in a few statements
    for all of them: one receipt lookup, one upsert of the leads, the receipts, activities, jobs and
    events flushed together."""
    receipts = find_receipts(session, keys=[key for pending in batch for key in pending.keys])
    plans = _plan(batch, receipts, _external_ids(session, receipts))
    records = [plan.pending.record for plan in plans if plan.upsert is not None]
    now = max(plan.pending.now for plan in plans)  # the group is stored at one moment
    outcome = upsert_leads(session, records=records, now=now, actor=actor) if records else None
    actions = outcome.actions if outcome is not None else []
    beside = dict(outcome.duplicates) if outcome is not None else {}  # upsert index -> the lead it shares an email with
    lead_of = {i: actions[plan.upsert][1] for i, plan in enumerate(plans) if plan.key is None}  # the new posts
    last = max(plan.pending.received_at for plan in plans)
    for i in lead_of:
        pending = plans[i].pending
        for key in plans[i].receipts:
            add_receipt(session, key=key, lead_id=lead_of[i], body_sha256=pending.body_sha256, at=pending.received_at)
    session.flush()  # a concurrent first post of the same lead fails here, before anything else
    note_repeats(session, keys=[plan.key for plan in plans if plan.key is not None and plan.conflict is None], at=last)
    for i in lead_of if form_submit else ():
        pending = plans[i].pending
        add_activity(session, lead_id=lead_of[i], kind=ActivityKind.FORM_SUBMIT, occurred_at=pending.now, flush=False,
                     detail=f"captured by {actor}",
                     meta={"idempotency_key": pending.idempotency_key} if pending.idempotency_key else None)
    jobs = enqueue(session, lead_ids=list(lead_of.values()), at=last)
    answers: list[CaptureResult | IdempotencyConflict] = []
    for i, plan in enumerate(plans):
        if plan.conflict is not None:
            answers.append(plan.conflict)
            continue
        at = plan.pending.received_at
        if plan.key is None:
            action = actions[plan.upsert][0]
            message = "new lead stored" if action == "inserted" else "matched a stored lead; fields updated"
            if (other := beside.get(plan.upsert)) is not None:
                message += f" (its email is also on lead {other}, which has another external id: flagged as likely duplicates)"
            add_event(session, lead_id=lead_of[i], step="capture", outcome="ok", at=at, message=message + ", queued")
            answers.append(CaptureResult(lead_id=lead_of[i], job_id=jobs[lead_of[i]].id, repeat=False, updated=action == "updated"))
            continue
        lead_id = receipts[plan.key].lead_id if plan.first is None else lead_of[plan.first]
        updated = plan.upsert is not None
        add_event(session, lead_id=lead_id, step="capture", outcome="repeat", at=at,
                  message="posted again: " + ("stored fields updated, not processed again" if updated else "identical, nothing changed"))
        answers.append(CaptureResult(lead_id=lead_id, job_id=None, repeat=True, updated=updated))
    return answers


def _external_ids(session, receipts: dict[str, Any]) -> dict[int, str | None]:
    """The external id of each lead an email receipt points at (a post with another one is not a repeat)."""
    ids = {receipt.lead_id for key, receipt in receipts.items() if key.startswith("email:")}
    if not ids:
        return {}
    return {lead_id: external_id for lead_id, external_id in session.execute(select(Lead.id, Lead.external_id).where(Lead.id.in_(ids)))}


def _plan(batch: Sequence[PendingCapture], receipts: dict[str, Any], external_ids: dict[int, str | None]) -> list[_Planned]:
    """New lead, repeat (of a stored receipt or of an earlier post in the group), or conflict."""
    plans: list[_Planned] = []
    claimed: dict[str, int] = {}  # receipt key -> the new post of this group that brings it
    upserts = 0
    for pending in batch:
        external_id = pending.record.values.get("external_id")

        def identifies(key: str) -> bool:
            """The key says this post is that lead: an email does not, when the two external ids differ."""
            if key in receipts:
                other = external_ids.get(receipts[key].lead_id)
            elif key in claimed:
                other = batch[claimed[key]].record.values.get("external_id")
            else:
                return False
            return not (external_id and key.startswith("email:") and other and other != external_id)

        plan = _Planned(pending, key=next((key for key in pending.keys if identifies(key)), None))
        if plan.key is None:  # a new lead
            plan.receipts = [key for key in pending.keys if key not in receipts and key not in claimed]
            claimed.update(dict.fromkeys(plan.receipts, len(plans)))
            plan.upsert, upserts = upserts, upserts + 1
        else:
            plan.first = None if plan.key in receipts else claimed[plan.key]
            first_body = receipts[plan.key].body_sha256 if plan.first is None else batch[plan.first].body_sha256
            if pending.idempotency_key and plan.key == f"idem:{pending.idempotency_key}" and first_body != pending.body_sha256:
                plan.conflict = IdempotencyConflict(
                    f"Idempotency-Key {pending.idempotency_key!r} was already used for a different body — "
                    "send a new key for a new submission, or the identical body to repeat one")
            elif first_body != pending.body_sha256:  # a repeat that changes stored fields
                plan.upsert, upserts = upserts, upserts + 1
        plans.append(plan)
    return plans
