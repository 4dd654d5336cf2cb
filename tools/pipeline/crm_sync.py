"""Pull a CRM's records into Leadpilot: new ones through the same capture → pipeline as a posted
lead, known ones (linked to a lead) updated in place, the CRM winning for what people edit there.

`sync_crm` reads the stored cursor (the newest modification time seen), pulls every page changed
since (everything on the first run or with `backfill`), and stores each page in one transaction:
- a record not linked to a lead yet is captured (receipts, pipeline job): dedup → enrich → score →
  route → ... run as for any captured lead. A record the CRM already assigns comes with its owner
  (the CRM user matched to a rep by email), so routing keeps it — unless config/crm.yaml says
  `reroute_crm_owned: true`;
- a linked record updates the lead's CRM-edited fields (contact details, stage, owner). An owner
  changed in the CRM replaces Leadpilot's and is recorded (history event and audit). Score, tier,
  model probability and the summary are Leadpilot's: pulled values never overwrite them.
A record the CRM marks as opted out of email (HubSpot hs_email_optout, Salesforce HasOptedOutOfEmail)
puts its address on the suppression list (memory.email_consent; a later pull never lifts it), and a
record's own activity log (Salesforce Tasks and Events, HubSpot emails, calls and meetings) is
stored as its calls, emails and meetings in place of the last pull's (memory.crm_history).
Known leads the pull changed (fields, stage, activities) are re-scored at the end with the scoring
policy in force, so their score, tier and breakdown say what the CRM says now (`rescored` and
`tier_moves` in the report); new leads are scored by their pipeline.
The cursor moves only when the whole pull finished, so an interrupted sync repeats (harmlessly). The
next pages are fetched while a batch is being stored (a background thread, a few pages ahead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadpilot.memory.audit import record_change
from leadpilot.memory.crm_engagement import engagement_activities, replace_imported_activities
from leadpilot.memory.crm_history import replace_crm_history
from leadpilot.memory.email_consent import suppress_opted_out
from leadpilot.memory.lead_record import LeadValidationError, validate_lead
from leadpilot.memory.models import Lead
from leadpilot.memory.outbox import CrmCursor, get_cursor, link_lead, link_new_leads, links_by_crm_id
from leadpilot.memory.pipeline import add_event, wall_clock
from leadpilot.tools.pipeline.capture import PendingCapture, body_digest, identity_keys, store_captures


@dataclass
class SyncReport:
    crm: str
    backfill: bool
    pulled: int = 0
    captured: int = 0  # new leads, queued for the pipeline
    updated: int = 0  # linked leads updated from the CRM
    owner_changes: int = 0
    opted_out: int = 0  # addresses the CRM marks as opted out of email, newly on the suppression list
    activities: int = 0  # calls, emails and meetings stored from the records' own activity logs
    rescored: int = 0  # known leads the pull changed, re-scored at its end
    tier_moves: dict[str, int] = field(default_factory=dict)  # of those, tier changes such as {"warm->hot": 2}
    rejected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the pull could not read (the connector says why)
    cursor: str | None = None
    seconds: float = 0.0
    store_seconds: float = 0.0  # of which storing (the capture step), the rest is the CRM's paging
    store_cpu_seconds: float = 0.0  # this thread's CPU time in the capture step (what a busy machine does not distort)
    touched: set[int] = field(default_factory=set, repr=False)  # known leads this pull changed: re-scored at its end

    def as_dict(self) -> dict[str, Any]:
        return {"crm": self.crm, "backfill": self.backfill, "pulled": self.pulled, "captured": self.captured,
                "updated": self.updated, "owner_changes": self.owner_changes, "opted_out": self.opted_out,
                "activities": self.activities, "rescored": self.rescored, "tier_moves": self.tier_moves,
                "notes": self.notes[:5], "rejected": len(self.rejected),
                "rejected_examples": self.rejected[:5], "cursor": self.cursor, "seconds": round(self.seconds, 2),
                "store_seconds": round(self.store_seconds, 2)}


def _payload(record: Any, *, crm: str, keep_owner: bool) -> dict[str, Any]:
    payload = dict(record.fields)
    payload["external_id"] = str(payload.get("external_id") or record.crm_id)
    payload.setdefault("source", crm)
    if record.stage:
        payload["stage"] = record.stage
    if keep_owner and record.owner_email:
        payload["owner_email"] = record.owner_email
    return payload


def sync_crm(db: Any, connector: Any, *, policy: Any, now: datetime, backfill: bool = False, page_size: int = 100,
             store_every: int = 1000, progress: Callable[[int, int | None], None] | None = None,
             scoring: Any = None) -> SyncReport:
    """Pull `connector`'s changes since the stored cursor into the store; what happened. `scoring`:
    the scoring policy the changed known leads are re-scored with (default: the one in force)."""
    import time

    began = time.perf_counter()
    crm = connector.name
    with db.session() as session:
        stored = session.get(CrmCursor, crm)
        cursor = stored.cursor if stored is not None else None
    first = cursor is None
    report = SyncReport(crm=crm, backfill=backfill or first)
    since = None if report.backfill else cursor
    keep_owner = not policy.conflicts.reroute_crm_owned
    pulled = _Pull(connector, since=since, newest=cursor, page_size=page_size)
    buffered: list[Any] = []  # pages stored together: one capture transaction per `store_every` records
    # The next pages are fetched (a background thread) while a batch is stored: the CRM's round
    # trips overlap the database's work instead of adding to it.
    for records, total, boundary in _prefetched(pulled.pages(), depth=max(2, store_every // max(page_size, 1) + 1)):
        buffered += records
        if buffered and (len(buffered) >= store_every or boundary):
            stored_at, cpu_at = time.perf_counter(), time.thread_time()
            _store_page(db, crm, buffered, report=report, now=now, keep_owner=keep_owner)
            report.store_seconds += time.perf_counter() - stored_at
            report.store_cpu_seconds += time.thread_time() - cpu_at
            report.pulled += len(buffered)
            buffered = []
            if progress is not None:
                progress(report.pulled, total)
    newest = pulled.newest
    report.notes = pulled.notes
    _rescore_touched(db, report, now=now, scoring=scoring)
    with db.transaction() as session:
        row = get_cursor(session, crm)
        row.cursor = newest
        row.synced_at = wall_clock()
        if report.backfill:
            row.backfilled_at = wall_clock()
        report.seconds = time.perf_counter() - began
        row.stats = report.as_dict()
    report.cursor = newest
    return report


@dataclass
class _Pull:
    """The pages of one pull, in order: paging with the CRM's token, searching again from the newest
    record seen when the CRM will page no further (HubSpot's 10,000-result search window)."""

    connector: Any
    since: str | None
    newest: str | None  # the newest modification time seen: the next cursor
    page_size: int
    notes: list[str] = field(default_factory=list)

    def pages(self) -> Iterator[tuple[list[Any], int | None, bool]]:
        """(records, the pull's total when known, whether a paging run ended here)."""
        since, after = self.since, None
        while True:
            page = self.connector.pull(since=since, after=after, limit=self.page_size)
            self.newest = max([self.newest or ""] + [r.modified for r in page.records if r.modified]) or None
            after = page.after
            self.notes += [note for note in getattr(page, "notes", ()) if note not in self.notes]
            if page.restart:  # search again from the newest seen
                if self.newest == since:  # a whole window at one timestamp: nothing to move past; the next sync goes on
                    page.restart = False
                since, after = self.newest, None
            yield page.records, page.total, not after
            if not after and not page.restart:
                return


def _prefetched(pages: Iterator[Any], *, depth: int) -> Iterator[Any]:
    """`pages`, produced by a background thread up to `depth` ahead; its error is raised here, and
    stopping early (an error while storing) stops it."""
    import queue
    import threading

    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in pages:
                while not stop.is_set():
                    try:
                        slots.put((None, item), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((None, done))
        except BaseException as error:  # handed to the consumer, raised there
            slots.put((error, done))

    worker = threading.Thread(target=produce, name="crm-pull", daemon=True)
    worker.start()
    try:
        while True:
            error, item = slots.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        worker.join(timeout=30)


def _store_page(db: Any, crm: str, records: list[Any], *, report: SyncReport, now: datetime, keep_owner: bool) -> None:
    received = wall_clock()
    with db.session() as session:
        linked = {crm_id: link.lead_id for crm_id, link in links_by_crm_id(session, crm=crm, crm_ids_=[r.crm_id for r in records]).items()}
    new, known = [], []
    for record in records:
        payload = _payload(record, crm=crm, keep_owner=keep_owner or record.crm_id in linked)
        try:
            validated = validate_lead(payload, now=now)
        except LeadValidationError as error:
            report.rejected.append(f"{crm} record {record.crm_id}: {error}")
            continue
        if record.crm_id in linked:
            known.append((record, validated, linked[record.crm_id]))
        else:
            digest = body_digest(repr(sorted(payload.items())).encode())
            new.append((record, PendingCapture(validated, identity_keys(validated, idempotency_key=None), digest, None, now, received)))
    if new:
        answers = store_captures(db, [pending for _, pending in new], actor=crm, form_submit=False)  # a pull is no form
        links = []
        for (record, _), answer in zip(new, answers):
            if isinstance(answer, Exception):
                report.rejected.append(f"{crm} record {record.crm_id}: {answer}")
                continue
            links.append((answer.lead_id, record.crm_id, record.owner_email))
            report.captured += 0 if answer.repeat else 1
            report.updated += 1 if answer.repeat else 0
        with db.transaction() as session:
            link_new_leads(session, crm=crm, links=list({lead_id: (lead_id, c, o) for lead_id, c, o in links}.values()), at=received)
        stored = {c: lead_id for lead_id, c, _ in links}
        _keep_consent_and_history(db, crm, [(r, p.record, stored[r.crm_id]) for r, p in new if r.crm_id in stored],
                                  report=report, at=received)
        report.touched.update(answer.lead_id for answer in answers if not isinstance(answer, Exception) and answer.repeat)
    if known:
        _update_known(db, crm, known, report=report, now=now, received=received)
        _keep_consent_and_history(db, crm, known, report=report, at=received)
        report.touched.update(lead_id for _, _, lead_id in known)


_CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}


def _keep_consent_and_history(db: Any, crm: str, stored: list[tuple[Any, Any, int]], *, report: SyncReport, at: datetime) -> None:
    """The stored records' email opt-outs onto the suppression list, and their activity logs as activities."""
    opted = [(record, validated) for record, validated, _ in stored if record.opted_out]
    logs: dict[tuple[str, ...] | None, list[tuple[int, list[Any]]]] = {}  # by the kinds each log covers
    for record, _, lead_id in stored:
        if record.history is not None:
            logs.setdefault(getattr(record, "history_kinds", None), []).append((lead_id, record.history))
    if not opted and not logs:
        return
    name = _CRM_NAMES.get(crm, crm)
    with db.transaction() as session:
        for record, validated in opted:
            detail = f"{record.opted_out} checked in {name} (record {record.crm_id})"
            if suppress_opted_out(session, email=validated.values.get("email"), detail=detail, at=at):
                report.opted_out += 1
        for kinds, of_kinds in logs.items():
            report.activities += replace_crm_history(session, of_kinds, **({"kinds": kinds} if kinds is not None else {}))


def _rescore_touched(db: Any, report: SyncReport, *, now: datetime, scoring: Any) -> None:
    """Re-score the known leads this pull changed (those scored before: a lead still in its pipeline
    is scored there), with the semantic index when the policy uses it; a note when it cannot."""
    from sqlalchemy import select

    from leadpilot.tools.scoring import PolicyError, load_policy, open_scoring_index, rescore_leads

    if not report.touched:
        return
    touched = sorted(report.touched)
    with db.session() as session:
        scored = [i for start in range(0, len(touched), 900) for i in session.scalars(
            select(Lead.id).where(Lead.id.in_(touched[start:start + 900]), Lead.scored_at.is_not(None)))]
    if not scored:
        return
    try:
        scoring = scoring if scoring is not None else load_policy()
    except PolicyError as error:  # a broken policy file: the pull stands, the scores wait
        report.notes.append(f"scores of the {len(scored)} changed lead(s) not recomputed: {error} — fix it, then run `leadpilot rescore`")
        return
    from leadpilot.settings import get_settings

    index, problem = open_scoring_index(db, category=scoring.categories.semantic_in_force, settings=get_settings())
    if problem:
        report.notes.append(f"scores of the {len(scored)} changed lead(s) not recomputed: {problem} — run `leadpilot rescore` later")
        return
    result = rescore_leads(db, policy=scoring, now=now, lead_ids=scored, actor=f"{report.crm} pull", semantic=index)
    report.rescored, report.tier_moves = result.scored, result.tier_moves


_KEPT = {"external_id", "source", "channel", "created_at", "stage", "owner_email", "converted", "converted_at", "last_contacted_at"}
_ALONG = {"job_title": ("seniority", "department"), "email": ("domain",), "website": ("domain",)}


def _update_known(db: Any, crm: str, known: list[tuple[Any, Any, int]], *, report: SyncReport, now: datetime,
                  received: datetime) -> None:
    """Linked leads, updated by id: the CRM's values win for what people edit there (contact and
    company fields, status, owner); Leadpilot's own fields (score, tier, probability, summary,
    source, external id) are left alone. An owner change is recorded."""
    from leadpilot.memory.leads import set_stage
    from leadpilot.memory.reps import rep_ids_by_email

    with db.transaction() as session:
        reps = rep_ids_by_email(session)
        emails = {rep_id: email for email, rep_id in reps.items()}
        for record, validated, lead_id in known:
            lead = session.get(Lead, lead_id)
            if lead is None:
                continue
            values = validated.values
            for name in validated.provided:
                if name in _KEPT or values.get(name) in (None, ""):
                    continue
                for field_name in (name, *_ALONG.get(name, ())):
                    if field_name in values and getattr(lead, field_name) != values[field_name]:
                        setattr(lead, field_name, values[field_name])
            if record.stage:
                set_stage(session, lead=lead, stage=record.stage, reason=f"changed in {crm}", at=now, actor=crm)
            owner_id = reps.get(record.owner_email) if record.owner_email else None
            if owner_id is not None and owner_id != lead.owner_id:
                old = emails.get(lead.owner_id)
                lead.owner_id = owner_id
                report.owner_changes += 1
                why = f"owner changed in {crm} ({old or 'nobody'} → {record.owner_email}): the CRM wins for owners, respected"
                record_change(session, lead_id=lead_id, field="owner", old=old, new=record.owner_email, reason=why, at=now, actor=crm)
                add_event(session, lead_id=lead_id, step="crm", outcome="ok", message=why, at=received)
            if validated.engagement:  # the CRM's engagement properties, as activities (as a new record's: memory.crm_engagement)
                replace_imported_activities(session, [(lead_id, engagement_activities(validated.engagement, created_at=lead.created_at))])
            lead.updated_at = now
            link_lead(session, crm=crm, lead_id=lead_id, crm_id=record.crm_id, crm_owner=record.owner_email, at=received)
            report.updated += 1


@dataclass
class CrmBackground:
    """What a pipeline worker does beside leads: send the outbox, and pull each CRM every
    `crm_sync_interval_s` (the stored cursor's `synced_at` says when it last ran, whichever worker ran it)."""

    db: Any
    settings: Any
    clock: Any
    sender: Any = None
    _checked: float = 0.0

    @classmethod
    def from_settings(cls, db: Any, settings: Any, clock: Any) -> "CrmBackground":
        from leadpilot.tools.crm import outbox_sender_from_settings

        return cls(db=db, settings=settings, clock=clock, sender=outbox_sender_from_settings(db, settings))

    def __call__(self) -> bool:
        import logging
        import time

        busy = bool(self.sender.run_once()) if self.sender is not None else False
        interval = self.settings.crm_sync_interval_s
        if interval and time.monotonic() - self._checked >= min(interval, 30):
            self._checked = time.monotonic()
            try:
                busy = self._scheduled_sync(interval) or busy
            except Exception:
                logging.getLogger(__name__).exception("scheduled CRM sync failed (retried at the next interval)")
        return busy

    def _scheduled_sync(self, interval: float) -> bool:
        from leadpilot.memory.outbox import CrmCursor
        from leadpilot.tools.crm import connectors_from_settings, crm_policy

        connectors = connectors_from_settings(self.settings)
        if not connectors:
            return False
        ran = False
        for name, connector in connectors.items():
            with self.db.session() as session:
                row = session.get(CrmCursor, name)
                last = row.synced_at if row is not None else None
            if last is not None and (wall_clock() - last).total_seconds() < interval:
                continue
            sync_crm(self.db, connector, policy=crm_policy(self.settings), now=self.clock.now())
            ran = True
        return ran
