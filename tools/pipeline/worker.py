"""The pipeline worker: claims captured leads from the database queue and runs their steps.

A worker claims a batch of jobs and runs it step by step: every lead's dedup, then every lead's
enrichment, and so on. A step's `prepare` (network, embedding, reads that need no lock) runs
outside any transaction; then the step is applied to the whole batch in ONE transaction, which
first renews the batch's leases (fenced by the worker's claim token: a job another worker took is
left out, and the ones kept cannot be taken until the commit) and applies each lead inside its own
SAVEPOINT together with that lead's checkpoint (`job.result`) and its history event. So, exactly
once, whatever fails:
- a lead whose step raises rolls back to its savepoint alone and is recorded for retry in the same
  transaction; the others commit. A step with a batch `begin` (one routing snapshot, one re-score
  of the batch) is instead rolled back whole and run again lead by lead without it, so a lead's
  writes never commit without its own checkpoint;
- a worker killed mid-step commits nothing of that step for the batch; after the leases expire
  another worker (or the restarted one) claims the jobs and resumes at that step;
- a worker that stalled past its lease cannot commit for a job it lost: the renewal leaves the job
  out, and the new holder does the step once;
- the Slack alert, the one effect outside the database, is marked "sending" (committed) before the
  post and "sent" after it, lead by lead: a crash between the two is recorded as "outcome unknown"
  and never re-posted (at most once — a duplicate alert is worse than a missing one; the follow-up
  task is there). Leads with no alert to post finish together in one transaction.
A step that raises is retried with exponential backoff; after `pipeline_max_attempts` the job is
dead-lettered (status "dead", visible in the API) until POST /leads/{id}/retry.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead
from leadpilot.memory.pipeline import (
    JobStatus, PipelineJob, StepRecord, add_event, claim_jobs, fence, record_steps, renew_leases, wall_clock,
)
from leadpilot.tools.pipeline.steps import STEPS, Failed, Step, StepContext, StepResult

log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """Another worker holds this job now; what this one was doing is rolled back."""


class _RunSingly(Exception):
    """A lead failed in a step applied with its batch `begin`: roll the batch back, run it lead by lead."""


@dataclass
class WorkerStats:
    processed: int = 0
    retried: int = 0
    dead: int = 0
    lease_lost: int = 0


@dataclass
class Job:
    """A claimed job as the worker tracks it; `result` is updated only after a commit."""

    id: int
    lead_id: int
    attempts: int
    result: dict[str, Any]


@dataclass
class _Applied:
    """What one step's transaction did, applied to the jobs once it committed."""

    results: dict[int, dict[str, Any]] = field(default_factory=dict)  # job id -> new checkpoint
    failed: list[tuple[Job, bool | None]] = field(default_factory=list)  # (job, dead; None = lost meanwhile)
    lost: list[Job] = field(default_factory=list)


@dataclass
class PipelineWorker:
    """One worker. `run_once` processes what is due now; `run` loops until `stop` is set."""

    db: Database
    context: StepContext
    clock: Any  # business time (leadpilot.clock.Clock): the `now` every step sees
    max_attempts: int = 5
    backoff_s: float = 2.0
    lease_s: float = 60.0
    poll_s: float = 0.5
    batch: int = 32
    alert: Any = None  # callable(lead_row) -> str (where it went); None = Slack not configured
    idle: Any = None  # callable() -> bool, run when no lead is due (discovery campaigns); True = it did work
    name: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    stats: WorkerStats = field(default_factory=WorkerStats)
    steps: tuple[Step, ...] = STEPS
    sla_every_s: float = 10.0  # how often `run` runs the routing SLA watch
    nudge: Any = None  # callable(dict) delivering an SLA nudge (a Slack DM); None = recorded in the lead's history only
    _sla_next: float = field(default=0.0, init=False, repr=False)
    # Beside leads: the outbox (CRMs, email, webhooks) and the scheduled CRM sync; "settings" = built from them.
    outbox: Any = "settings"

    def __post_init__(self) -> None:
        if self.outbox == "settings":
            self.outbox = None
            if self.context.settings is not None:
                try:
                    from leadpilot.tools.pipeline.crm_sync import CrmBackground

                    self.outbox = CrmBackground.from_settings(self.db, self.context.settings, self.clock)
                except Exception:  # misconfigured CRM: leads still flow; `leadpilot crm status` says why
                    log.exception("pipeline worker: the outbox sender could not be built; CRM/email/webhook changes stay queued")

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
                if self.outbox is not None:
                    busy = bool(self.outbox()) or busy
                busy = busy or (self.idle is not None and bool(self.idle()))
            except Exception:  # the database went away for a moment: log, wait, carry on
                log.exception("pipeline worker %s: claiming failed", self.name)
                busy = 0
            self._watch_sla()
            if not busy:
                stop.wait(self.poll_s)

    def _watch_sla(self) -> None:
        """Every `sla_every_s`: the routing policy's first-touch SLAs — nudge at the first breach,
        reassign at the second (tools/routing/sla.py; safe with many workers, exactly once)."""
        if time.monotonic() < self._sla_next:
            return
        self._sla_next = time.monotonic() + self.sla_every_s
        from leadpilot.tools.routing import watch_sla

        try:
            watch_sla(self.db, policy=self.context.routing_policy(), now=self.clock.now(), notify=self.nudge)
        except Exception:  # a broken policy or a database hiccup: the next tick tries again
            log.exception("pipeline worker %s: the SLA watch failed", self.name)

    def run_once(self) -> int:
        """Claim up to `batch` due jobs and process them; the number processed."""
        token = f"{self.name}-{uuid.uuid4().hex[:8]}"
        with self.db.transaction() as session:
            jobs = [Job(job.id, job.lead_id, job.attempts, dict(job.result or {})) for job in
                    claim_jobs(session, token=token, limit=self.batch, lease_s=self.lease_s, at=wall_clock())]
        if jobs:
            self._process_batch(jobs, token=token)
        return len(jobs)

    def drain(self, *, timeout_s: float = 60.0) -> int:
        """Process until nothing is due (tests, `leadpilot worker --once`)."""
        deadline, total = time.monotonic() + timeout_s, 0
        while time.monotonic() < deadline:
            done = self.run_once()
            if not done:
                return total
            total += done
        return total

    # -- a batch of jobs, step by step ---------------------------------------------------------

    def _process_batch(self, jobs: list[Job], *, token: str) -> None:
        started = time.perf_counter()
        now = self.clock.now()
        live = list(jobs)
        for step in self.steps:
            todo = [job for job in live if step.name not in job.result]
            if todo:
                kept = {job.id for job in self._run_step(step, todo, token=token, now=now)}
                live = [job for job in live if step.name in job.result or job.id in kept]
        if live:
            self._alert_and_finish(live, token=token, started=started)

    def _run_step(self, step: Step, jobs: list[Job], *, token: str, now: datetime) -> list[Job]:
        """Prepare, then apply `step` to `jobs` in one transaction; the jobs that went through."""
        prepared, spent = self._prepare(step, jobs, now)
        try:
            try:
                applied = self._apply(step, jobs, prepared, spent, token=token, now=now, batched=step.begin is not None)
            except _RunSingly:
                applied = self._apply(step, jobs, prepared, spent, token=token, now=now, batched=False)
        except Exception as error:  # the transaction itself failed (database down, lock timeout): nothing committed
            log.warning("pipeline: step %s failed for a batch of %s: %s", step.name, len(jobs), error)
            for job in jobs:
                self._failed_alone(job, token=token, error=error)
            return []
        return self._settle(jobs, applied)

    def _prepare(self, step: Step, jobs: list[Job], now: datetime) -> tuple[dict[int, Any], dict[int, float]]:
        """What the step needs from outside the transaction, per lead id, and the seconds it took per job.
        A service that is down gives Failed, and the step falls back."""
        prepared: dict[int, Any] = {}
        spent = {job.id: 0.0 for job in jobs}
        if step.prepare_many is not None:
            began = time.perf_counter()
            lead_ids = [job.lead_id for job in jobs]
            try:
                prepared = step.prepare_many(self.context, lead_ids, now)
            except Exception as error:
                prepared = {lead_id: Failed(error) for lead_id in lead_ids}
            share = (time.perf_counter() - began) / len(jobs)
            spent = {job.id: share for job in jobs}
        if step.prepare is not None:
            for job in jobs:
                if job.lead_id in prepared:
                    continue
                began = time.perf_counter()
                try:
                    prepared[job.lead_id] = step.prepare(self.context, job.lead_id, now)
                except Exception as error:
                    prepared[job.lead_id] = Failed(error)
                spent[job.id] += time.perf_counter() - began
        return prepared, spent

    def _apply(self, step: Step, jobs: list[Job], prepared: dict[int, Any], spent: dict[int, float], *, token: str,
               now: datetime, batched: bool) -> _Applied:
        """One transaction: each lead's apply (in its savepoint when the step writes), then every
        checkpoint and event at once. A step that writes renews the leases first; one that does not
        (its work was prepared) takes SQLite's write lock only for the checkpoints at the end."""
        applied, records = _Applied(), []
        with self.db.transaction() as session:
            mine = self._renew(session, jobs, token=token, applied=applied) if step.writes else list(jobs)
            context, share = self.context, 0.0
            if batched and mine:
                began = time.perf_counter()
                try:
                    with self._savepoint(session, step):
                        context = dataclasses.replace(self.context, batch=step.begin(session, self.context, [j.lead_id for j in mine], now))
                except Exception as error:
                    raise _RunSingly(step.name) from error
                share = (time.perf_counter() - began) / len(mine)
            for job in mine:
                began = time.perf_counter()
                try:
                    with self._savepoint(session, step):
                        outcome: StepResult = step.apply(session, context, job.lead_id, prepared.get(job.lead_id), now)
                except Exception as error:
                    if batched:
                        raise _RunSingly(step.name) from error
                    log.warning("pipeline: lead %s failed at %s (attempt %s): %s", job.lead_id, step.name, job.attempts, error)
                    applied.failed.append((job, self._record_failure(session, job, token=token, error=error)))
                    continue
                elapsed_ms = round((spent[job.id] + share + time.perf_counter() - began) * 1000, 2)
                result = {**job.result, step.name: {"outcome": outcome.outcome, "message": outcome.message, **outcome.data}}
                records.append(StepRecord(job.id, job.lead_id, step.name, result, outcome.outcome, outcome.message,
                                          elapsed_ms, job.attempts))
            if not step.writes:  # renewed only now, for the checkpoints: the jobs it still holds
                recorded = {r.job_id for r in records}
                held = {job.id for job in self._renew(session, [job for job in jobs if job.id in recorded], token=token,
                                                      applied=applied)}
                records = [r for r in records if r.job_id in held]
            self._record(session, records, token=token)
            applied.results = {r.job_id: r.result for r in records}
        return applied

    @staticmethod
    def _savepoint(session: Session, step: Step):
        """A lead's (or the batch's) own savepoint; a step that does not write needs none."""
        return session.begin_nested() if step.writes else nullcontext()

    def _renew(self, session: Session, jobs: list[Job], *, token: str, applied: _Applied) -> list[Job]:
        """The jobs this worker still holds, their leases renewed until the commit; the rest are lost."""
        at = wall_clock()
        held = renew_leases(session, job_ids=[job.id for job in jobs], token=token, at=at,
                            until=at + timedelta(seconds=self.lease_s))
        applied.lost += [job for job in jobs if job.id not in held]
        return [job for job in jobs if job.id in held]

    @staticmethod
    def _record(session: Session, records: list[StepRecord], *, token: str, finished: bool = False) -> None:
        if not record_steps(session, token=token, at=wall_clock(), records=records, finished=finished):
            raise LeaseLost("a job of the batch")  # not after a renewal in this transaction; roll back all

    def _settle(self, jobs: list[Job], applied: _Applied) -> list[Job]:
        """After the commit: the new checkpoints, the counts; the jobs that go on."""
        for job in applied.lost:
            self._count(job, None)
        for job, dead in applied.failed:
            self._count(job, dead)
        for job in jobs:
            if job.id in applied.results:
                job.result = applied.results[job.id]
        return [job for job in jobs if job.id in applied.results]

    # -- failures ------------------------------------------------------------------------------

    def _record_failure(self, session: Session, job: Job, *, token: str, error: BaseException) -> bool | None:
        """Queue the job again with backoff, or dead-letter it; True when dead, None when another
        worker holds the job now (fenced: nothing recorded)."""
        text = f"{type(error).__name__}: {error}"[:2000]
        at = wall_clock()
        dead = job.attempts >= self.max_attempts
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "last_error": text, "updated_at": at}
        if dead:
            values["status"] = JobStatus.DEAD.value
            message = f"gave up after {job.attempts} attempts: {text} — fix the cause, then POST /leads/{job.lead_id}/retry"
        else:
            delay = self.backoff_s * (2 ** (job.attempts - 1))
            values.update(status=JobStatus.QUEUED.value, available_at=at + timedelta(seconds=delay))
            message = f"attempt {job.attempts} failed: {text}; retrying in {delay:g}s"
        if not fence(session, job_id=job.id, token=token, values=values):
            return None
        add_event(session, lead_id=job.lead_id, step="dead" if dead else "retry", outcome="dead" if dead else "error",
                  message=message, at=at, attempt=job.attempts)
        return dead

    def _failed_alone(self, job: Job, *, token: str, error: BaseException) -> None:
        """Record a failure in a transaction of its own (the step's transaction is gone)."""
        try:
            with self.db.transaction() as session:
                dead = self._record_failure(session, job, token=token, error=error)
        except Exception:  # the database itself is failing: the lease expires and the job is taken again
            log.exception("pipeline: could not record the failure of lead %s", job.lead_id)
            return
        self._count(job, dead)

    def _count(self, job: Job, dead: bool | None) -> None:
        """A job that left the batch: lost to another worker (None), dead-lettered, or to be retried."""
        if dead is None:
            self.stats.lease_lost += 1
            log.warning("pipeline worker %s lost lead %s to another worker", self.name, job.lead_id)
        elif dead:
            self.stats.dead += 1
        else:
            self.stats.retried += 1

    # -- the alert (at most once) and the end of a job -----------------------------------------

    def _alert_and_finish(self, jobs: list[Job], *, token: str, started: float) -> None:
        """Hot leads post their alert one by one (sending → post → sent, then done); every other lead
        records why there is no alert (or that a crashed post's outcome is unknown) and finishes,
        all in one transaction."""
        pending: list[tuple[Job, dict[str, Any] | None]] = []
        for job in jobs:
            state = job.result.get("alert")
            if state is None and (why := self._no_alert_because(job)) is None:
                self._post_alert(job, token=token, started=started)
            elif state is None:
                pending.append((job, {"status": "skipped", "outcome": "skipped", "message": f"no alert: {why}"}))
            elif state.get("status") == "sending":
                pending.append((job, {"status": "unknown", "outcome": "fallback",
                                      "message": "a worker stopped while posting the Slack alert: not re-posted (at most once)"}))
            else:
                pending.append((job, None))
        if pending:
            self._finish(pending, token=token, started=started)

    def _no_alert_because(self, job: Job) -> str | None:
        tier = (job.result.get("score") or {}).get("tier")
        if tier != "hot":
            return "not hot"
        if not self.context.pipeline_policy().hot.alert:
            return "alerts are off in the pipeline policy"
        summary = job.result.get("summarize") or {}
        settings = self.context.settings
        if settings is not None and settings.hot_alert_needs_model and summary.get("conversion_priority") in ("medium", "low"):
            return f"{summary.get('score_story') or 'hot on rules only'} (LEADPILOT_HOT_ALERT_NEEDS_MODEL: the model must agree)"
        if self.alert is None:
            return "Slack is not configured (LEADPILOT_SLACK_BOT_TOKEN)"
        return None

    def _post_alert(self, job: Job, *, token: str, started: float) -> None:
        sending = {**job.result, "alert": {"status": "sending"}}  # no event: the outcome gets one
        try:
            with self.db.transaction() as session:
                held = fence(session, job_id=job.id, token=token, values={"result": sending, "last_step": "alert", "updated_at": wall_clock()})
                row = _lead_row(session, job.lead_id) if held else None
        except Exception as error:
            self._failed_alone(job, token=token, error=error)
            return
        if not held:
            self._settle([job], _Applied(lost=[job]))
            return
        job.result = sending
        began = time.perf_counter()
        try:
            story = (job.result.get("summarize") or {}).get("score_story")
            where = self.alert({**row, "score_story": story} if story and isinstance(row, dict) else row)
            state = {"status": "sent", "to": where, "outcome": "ok", "message": f"hot-lead alert posted to {where}"}
        except Exception as error:  # Slack down: the task exists; record it, do not retry the lead
            state = {"status": "failed", "error": str(error), "outcome": "fallback",
                     "message": f"Slack alert failed ({error}); the follow-up task stands"}
        self._finish([(job, state)], token=token, started=started, alert_s=time.perf_counter() - began)

    def _finish(self, pending: list[tuple[Job, dict[str, Any] | None]], *, token: str, started: float,
                alert_s: float | None = None) -> None:
        """Record each job's alert outcome (when it has one to record) and mark it done, in one transaction."""
        applied = _Applied()
        try:
            with self.db.transaction() as session:
                mine = {job.id for job in self._renew(session, [job for job, _ in pending], token=token, applied=applied)}
                alerts, done = [], []
                for job, alert in pending:
                    if job.id not in mine:
                        continue
                    result = job.result if alert is None else {**job.result, "alert": alert}
                    if alert is not None:
                        alerts.append(StepRecord(job.id, job.lead_id, "alert", result, alert["outcome"], alert["message"],
                                                 None if alert_s is None else round(alert_s * 1000, 2), job.attempts))
                    done.append(StepRecord(job.id, job.lead_id, "done", result, "ok", "processed",
                                           round((time.perf_counter() - started) * 1000, 2), job.attempts))
                self._record(session, alerts, token=token)
                self._record(session, done, token=token, finished=True)
                applied.results = {r.job_id: r.result for r in done}
        except Exception as error:
            for job, _ in pending:
                self._failed_alone(job, token=token, error=error)
            return
        self._settle([job for job, _ in pending], applied)
        self.stats.processed += len(applied.results)


def _lead_row(session: Session, lead_id: int) -> dict[str, Any]:
    from leadpilot.tools.leads import lead_row

    return lead_row(session.get(Lead, lead_id))


def job_of(session, *, lead_id: int) -> PipelineJob | None:
    from sqlalchemy import select

    return session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
