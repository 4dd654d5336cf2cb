"""The pipeline worker: claims captured leads from the database queue and runs their steps.

Exactly once, whatever fails: every step's writes commit together with its checkpoint, fenced by
the worker's claim token, so
- a worker killed mid-step leaves nothing of that step; after its lease expires another worker
  (or the restarted one) claims the job and resumes at that step;
- a worker that stalled past its lease cannot commit: the fence fails and its transaction rolls
  back, while the new holder does the step once;
- the Slack alert, the one effect outside the database, is marked "sending" before the post and
  "sent" after it: a crash between the two is recorded as "outcome unknown" and never re-posted
  (at most once — a duplicate alert is worse than a missing one; the follow-up task is there).
A step that raises is retried with exponential backoff; after `pipeline_max_attempts` the job is
dead-lettered (status "dead", visible in the API) until POST /leads/{id}/retry.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead
from leadpilot.memory.pipeline import JobStatus, PipelineJob, add_event, claim_jobs, fence, wall_clock
from leadpilot.tools.pipeline_steps import STEPS, Failed, Step, StepContext, StepResult

log = logging.getLogger(__name__)


_UNPREPARED = object()  # a batch step had nothing for this lead: prepare it alone


class LeaseLost(RuntimeError):
    """Another worker holds this job now; what this one was doing is rolled back."""


@dataclass
class WorkerStats:
    processed: int = 0
    retried: int = 0
    dead: int = 0
    lease_lost: int = 0


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
    batch: int = 8
    alert: Any = None  # callable(lead_row) -> str (where it went); None = Slack not configured
    idle: Any = None  # callable() -> bool, run when no lead is due (discovery campaigns); True = it did work
    name: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    stats: WorkerStats = field(default_factory=WorkerStats)
    steps: tuple[Step, ...] = STEPS

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once() or (self.idle is not None and bool(self.idle()))
            except Exception:  # the database went away for a moment: log, wait, carry on
                log.exception("pipeline worker %s: claiming failed", self.name)
                busy = 0
            if not busy:
                stop.wait(self.poll_s)

    def run_once(self) -> int:
        """Claim up to `batch` due jobs and process them; the number processed."""
        token = f"{self.name}-{uuid.uuid4().hex[:8]}"
        with self.db.transaction() as session:
            jobs = [(job.id, job.lead_id, job.attempts, dict(job.result or {})) for job in
                    claim_jobs(session, token=token, limit=self.batch, lease_s=self.lease_s, at=wall_clock())]
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

    def _process_batch(self, jobs: list[tuple[int, int, int, dict[str, Any]]], *, token: str) -> None:
        """Run the batch step by step (all leads' dedup, then all enrichments, ...) so that a step
        with `prepare_many` (embedding) does one call for the batch; each lead still commits each
        step on its own, and a lead that fails leaves the batch without stopping the others."""
        started = time.perf_counter()
        now = self.clock.now()
        live = {job_id: {"lead_id": lead_id, "attempts": attempts, "result": result} for job_id, lead_id, attempts, result in jobs}
        for step in self.steps:
            todo = [job_id for job_id, job in live.items() if step.name not in job["result"]]
            if not todo:
                continue
            prepared: dict[int, Any] = {}
            if step.prepare_many is not None:
                lead_ids = [live[job_id]["lead_id"] for job_id in todo]
                try:
                    prepared = step.prepare_many(self.context, lead_ids, now)
                except Exception as error:  # the service is down for the whole batch: each lead falls back
                    prepared = {lead_id: Failed(error) for lead_id in lead_ids}
            for job_id in todo:
                job = live[job_id]
                ready = prepared.get(job["lead_id"], _UNPREPARED)
                self._guarded(job_id, job, token, lambda: self._run_step(
                    step, job_id=job_id, lead_id=job["lead_id"], attempts=job["attempts"], result=job["result"],
                    token=token, now=now, prepared=ready), live)
        for job_id, job in list(live.items()):
            def finish(job_id: int = job_id, job: dict[str, Any] = job) -> dict[str, Any]:
                result = job["result"]
                if "alert" not in result:
                    result = self._alert(job_id=job_id, lead_id=job["lead_id"], attempts=job["attempts"], result=result, token=token)
                elif result["alert"].get("status") == "sending":
                    result = self._alert_unknown(job_id=job_id, lead_id=job["lead_id"], attempts=job["attempts"], result=result, token=token)
                self._finish(job_id=job_id, lead_id=job["lead_id"], attempts=job["attempts"], token=token, started=started)
                return result
            self._guarded(job_id, job, token, finish, live)

    def _guarded(self, job_id: int, job: dict[str, Any], token: str, work, live: dict[int, Any]) -> None:
        """Run one piece of a job; on failure record it (retry or dead-letter) and drop the job from the batch."""
        try:
            job["result"] = work()
        except LeaseLost:
            self.stats.lease_lost += 1
            log.warning("pipeline worker %s lost lead %s to another worker", self.name, job["lead_id"])
            live.pop(job_id, None)
        except Exception as error:  # retry with backoff, or dead-letter
            log.warning("pipeline: lead %s failed (attempt %s): %s", job["lead_id"], job["attempts"], error)
            self._failed(job_id=job_id, lead_id=job["lead_id"], attempts=job["attempts"], token=token, error=error)
            live.pop(job_id, None)

    def _commit(self, session, *, job_id: int, token: str, result: dict[str, Any], last_step: str) -> None:
        at = wall_clock()
        values = {"result": result, "last_step": last_step, "updated_at": at, "lease_until": at + timedelta(seconds=self.lease_s)}
        if not fence(session, job_id=job_id, token=token, values=values):
            raise LeaseLost(job_id)

    def _run_step(self, step: Step, *, job_id: int, lead_id: int, attempts: int, result: dict[str, Any], token: str,
                  now: datetime, prepared: Any = None) -> dict[str, Any]:
        began = time.perf_counter()
        if prepared is _UNPREPARED:
            prepared = None
        if prepared is None and step.prepare is not None:
            try:
                prepared = step.prepare(self.context, lead_id, now)
            except Exception as error:  # the service behind the step is down: the step falls back
                prepared = Failed(error)
        with self.db.transaction() as session:
            outcome: StepResult = step.apply(session, self.context, lead_id, prepared, now)
            elapsed = (time.perf_counter() - began) * 1000
            result = {**result, step.name: {"outcome": outcome.outcome, "message": outcome.message, **outcome.data}}
            add_event(session, lead_id=lead_id, step=step.name, outcome=outcome.outcome, message=outcome.message,
                      at=wall_clock(), duration_ms=round(elapsed, 2), attempt=attempts)
            self._commit(session, job_id=job_id, token=token, result=result, last_step=step.name)
        return result

    # -- the alert: at most once ---------------------------------------------------------------

    def _alert(self, *, job_id: int, lead_id: int, attempts: int, result: dict[str, Any], token: str) -> dict[str, Any]:
        tier = (result.get("score") or {}).get("tier")
        policy = self.context.pipeline_policy()
        if tier != "hot" or not policy.hot.alert or self.alert is None:
            why = ("not hot" if tier != "hot" else "alerts are off in the pipeline policy" if not policy.hot.alert
                   else "Slack is not configured (LEADPILOT_SLACK_BOT_TOKEN)")
            return self._record_alert(job_id=job_id, lead_id=lead_id, attempts=attempts, result=result, token=token,
                                      state={"status": "skipped"}, outcome="skipped", message=f"no alert: {why}")
        began = time.perf_counter()
        result = self._record_alert(job_id=job_id, lead_id=lead_id, attempts=attempts, result=result, token=token,
                                    state={"status": "sending"}, outcome="ok", message="alert: sending", event=False)
        with self.db.session() as session:
            from leadpilot.tools.lead_search import lead_row

            row = lead_row(session.get(Lead, lead_id))
        try:
            where = self.alert(row)
        except Exception as error:  # Slack down: the task exists; record it, do not retry the lead
            return self._record_alert(job_id=job_id, lead_id=lead_id, attempts=attempts, result=result, token=token,
                                      state={"status": "failed", "error": str(error)}, outcome="fallback",
                                      message=f"Slack alert failed ({error}); the follow-up task stands", began=began)
        return self._record_alert(job_id=job_id, lead_id=lead_id, attempts=attempts, result=result, token=token,
                                  state={"status": "sent", "to": where}, outcome="ok", message=f"hot-lead alert posted to {where}",
                                  began=began)

    def _alert_unknown(self, *, job_id: int, lead_id: int, attempts: int, result: dict[str, Any], token: str) -> dict[str, Any]:
        return self._record_alert(job_id=job_id, lead_id=lead_id, attempts=attempts, result=result, token=token,
                                  state={"status": "unknown"}, outcome="fallback",
                                  message="a worker stopped while posting the Slack alert: not re-posted (at most once)")

    def _record_alert(self, *, job_id: int, lead_id: int, attempts: int, result: dict[str, Any], token: str,
                      state: dict[str, Any], outcome: str, message: str, event: bool = True, began: float | None = None) -> dict[str, Any]:
        with self.db.transaction() as session:
            result = {**result, "alert": {**state, "outcome": outcome, "message": message}}
            if event:
                elapsed = None if began is None else round((time.perf_counter() - began) * 1000, 2)
                add_event(session, lead_id=lead_id, step="alert", outcome=outcome, message=message, at=wall_clock(),
                          duration_ms=elapsed, attempt=attempts)
            self._commit(session, job_id=job_id, token=token, result=result, last_step="alert")
        return result

    # -- the end of a job ----------------------------------------------------------------------

    def _finish(self, *, job_id: int, lead_id: int, attempts: int, token: str, started: float) -> None:
        with self.db.transaction() as session:
            at = wall_clock()
            if not fence(session, job_id=job_id, token=token, values={
                "status": JobStatus.DONE.value, "finished_at": at, "updated_at": at, "lease_owner": None,
                "lease_until": None, "last_error": None}):
                raise LeaseLost(job_id)
            add_event(session, lead_id=lead_id, step="done", outcome="ok", at=at, attempt=attempts,
                      duration_ms=round((time.perf_counter() - started) * 1000, 2), message="processed")
        self.stats.processed += 1

    def _failed(self, *, job_id: int, lead_id: int, attempts: int, token: str, error: BaseException) -> None:
        text = f"{type(error).__name__}: {error}"[:2000]
        at = wall_clock()
        dead = attempts >= self.max_attempts
        if dead:
            values = {"status": JobStatus.DEAD.value, "lease_owner": None, "lease_until": None, "last_error": text, "updated_at": at}
            message = f"gave up after {attempts} attempts: {text} — fix the cause, then POST /leads/{lead_id}/retry"
        else:
            delay = self.backoff_s * (2 ** (attempts - 1))
            values = {"status": JobStatus.QUEUED.value, "lease_owner": None, "lease_until": None, "last_error": text,
                      "updated_at": at, "available_at": at + timedelta(seconds=delay)}
            message = f"attempt {attempts} failed: {text}; retrying in {delay:g}s"
        try:
            with self.db.transaction() as session:
                if fence(session, job_id=job_id, token=token, values=values):
                    add_event(session, lead_id=lead_id, step="dead" if dead else "retry", outcome="dead" if dead else "error",
                              message=message, at=at, attempt=attempts)
        except Exception:  # the database itself is failing: the lease expires and the job is taken again
            log.exception("pipeline: could not record the failure of lead %s", lead_id)
            return
        if dead:
            self.stats.dead += 1
        else:
            self.stats.retried += 1


def job_of(session, *, lead_id: int) -> PipelineJob | None:
    from sqlalchemy import select

    return session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
