"""The capture API: POST /webhooks/lead (signed), GET /leads/{id}, POST /leads/{id}/retry,
GET /health, GET /metrics; OpenAPI at /openapi.json and /docs.

Thin by design: parse and check the request, call tools/pipeline/capture.py or the store, render JSON.
The lead is on disk before the 202; processing happens in the pipeline workers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections import Counter
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select, text

from leadpilot.clock import clock_from_settings
from leadpilot.interfaces.api.capture_writer import CaptureWriter
from leadpilot.interfaces.api.schemas import Captured, Invalid, LeadIn, LeadStatus, Problem
from leadpilot.interfaces.api.signature import HEADER, signature_problem
from leadpilot.memory.db import Database
from leadpilot.memory.lead_record import LeadValidationError
from leadpilot.memory.models import Lead
from leadpilot.memory.pipeline import (
    FollowUpTask, JobStatus, NurtureEnrollment, PipelineEvent, PipelineJob, job_counts, requeue, wall_clock,
)
from leadpilot.settings import Settings
from leadpilot.tools.pipeline import IdempotencyConflict, body_digest, prepare_capture

MAX_BODY = 256 * 1024
_MAX_KEY = 200
_MAX_ID = 2**31 - 1  # lead ids are 32-bit integers in both databases


def _problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def create_app(*, settings: Settings, db: Database, workers: Any = None) -> FastAPI:
    """The app over an open database. `workers` (WorkerThreads or WorkerProcesses) start and stop with the app."""
    if settings.webhook_secret is None:
        raise ValueError("LEADPILOT_WEBHOOK_SECRET is not set — every webhook must be signed; generate one with "
                         "`python -c \"import secrets; print(secrets.token_hex(32))\"` and give it to the senders")
    secret = settings.webhook_secret.get_secret_value()
    api_token = settings.api_token.get_secret_value() if settings.api_token else None
    clock = clock_from_settings(settings)
    requests: Counter[tuple[str, int]] = Counter()
    counter_lock = threading.Lock()
    writer = CaptureWriter(db)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            await run_in_threadpool(writer.stop)
            if workers is not None:
                await run_in_threadpool(workers.stop)

    app = FastAPI(title="Leadpilot capture API", version="1", lifespan=lifespan,
                  description="Signed lead webhooks in; each lead stored at once, then de-duplicated, enriched, scored, "
                              "routed, summarised and announced by the pipeline workers.")

    def count_requests(inner):
        """Requests per route and status for /metrics; plain ASGI (a BaseHTTPMiddleware costs every
        capture an extra task and stream)."""
        async def counted(scope, receive, send):
            if scope["type"] != "http":
                return await inner(scope, receive, send)
            status = 500

            async def sending(message):
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await inner(scope, receive, sending)
            finally:
                with counter_lock:
                    requests[(getattr(scope.get("route"), "path", "unmatched"), status)] += 1
        return counted

    app.add_middleware(count_requests)

    def authorised(authorization: str | None) -> JSONResponse | None:
        if api_token is None:
            return None
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), api_token):
            return _problem(401, "missing or wrong bearer token — send Authorization: Bearer <LEADPILOT_API_TOKEN>")
        return None

    @app.post("/webhooks/lead", status_code=202, response_model=Captured, tags=["capture"],
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": LeadIn.model_json_schema()}}}},
              responses={400: {"model": Problem}, 401: {"model": Problem}, 409: {"model": Problem}, 413: {"model": Problem},
                         422: {"model": Invalid}})
    async def capture(request: Request,
                      x_leadpilot_signature: str | None = Header(None, alias=HEADER, description="sha256=<hex HMAC-SHA256 of the body>"),
                      idempotency_key: str | None = Header(None, alias="Idempotency-Key", description="Same key + same body = the same lead, answered again.")):
        """Capture one lead. 202 once it is durably stored (new or repeat), with its id and status URL."""
        body = await request.body()
        if len(body) > MAX_BODY:
            return _problem(413, f"body is {len(body):,} bytes; the limit is {MAX_BODY:,} — post one lead per request")
        if problem := signature_problem(body, x_leadpilot_signature, secret):
            return _problem(401, problem)
        if idempotency_key is not None and not (0 < len(idempotency_key.strip()) <= _MAX_KEY):
            return _problem(400, f"Idempotency-Key must be 1 to {_MAX_KEY} characters")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return _problem(400, f"body is not JSON ({error}) — send one JSON object with the lead's fields")
        if not isinstance(payload, dict):
            return JSONResponse(Invalid(detail="the body must be a JSON object with the lead's fields, e.g. "
                                               '{"company": "ACME Corp", "email": "jane@acme.example"}').model_dump(), status_code=422)
        try:
            pending = prepare_capture(payload=payload, body_sha256=body_digest(body), now=clock.now(), received_at=wall_clock(),
                                      idempotency_key=idempotency_key.strip() if idempotency_key else None)
        except LeadValidationError as error:
            errors = [{"field": p.field, "value": p.value, "message": p.message} for p in error.problems]
            return JSONResponse(Invalid(detail=f"{len(errors)} invalid field(s): {error}", errors=errors).model_dump(), status_code=422)
        try:
            result = await asyncio.wrap_future(writer.submit(pending))  # stored with the posts that came with it
        except IdempotencyConflict as error:
            return _problem(409, str(error))
        return Captured(lead_id=result.lead_id, status="repeat" if result.repeat else "queued", repeat=result.repeat,
                        updated=result.updated, status_url=f"/leads/{result.lead_id}")

    def lead_status(lead_id: int) -> dict[str, Any] | None:
        from leadpilot.tools.leads import lead_row

        with db.session() as session:
            lead = session.get(Lead, lead_id)
            if lead is None:
                return None
            job = session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
            events = session.scalars(select(PipelineEvent).where(PipelineEvent.lead_id == lead_id).order_by(PipelineEvent.id)).all()
            tasks = session.scalars(select(FollowUpTask).where(FollowUpTask.lead_id == lead_id).order_by(FollowUpTask.id)).all()
            nurture = session.scalar(select(NurtureEnrollment).where(NurtureEnrollment.lead_id == lead_id))
            row = {**lead_row(lead), "score_breakdown": lead.score_breakdown, "enrichment": lead.enrichment, "extra": lead.extra}
            steps = dict(job.result or {}) if job else {}
            return {
                "lead": row,
                "status": job.status if job else "none",
                "attempts": job.attempts if job else 0,
                "last_error": job.last_error if job else None,
                "steps": steps,
                "summary": list((steps.get("summarize") or {}).get("bullets") or []),
                "history": [{"at": _iso(e.at), "step": e.step, "outcome": e.outcome, "message": e.message,
                             "duration_ms": e.duration_ms, "attempt": e.attempt} for e in events],
                "tasks": [{"id": t.id, "kind": t.kind, "due_at": _iso(t.due_at), "status": t.status, "reason": t.reason,
                           "rep_id": t.rep_id} for t in tasks],
                "nurture": None if nurture is None else {"sequence": nurture.sequence, "next_step": nurture.next_step,
                                                         "next_touch_at": _iso(nurture.next_touch_at), "status": nurture.status},
            }

    @app.get("/leads/{lead_id}", response_model=LeadStatus, tags=["leads"],
             responses={401: {"model": Problem}, 404: {"model": Problem}})
    async def get_lead(lead_id: int = Path(ge=1, le=_MAX_ID), authorization: str | None = Header(None)):
        """A lead with its processing status, every step's outcome, the summary and the history."""
        if denied := authorised(authorization):
            return denied
        status = await run_in_threadpool(lead_status, lead_id)
        if status is None:
            return _problem(404, f"no lead with id {lead_id}")
        return status

    def retry(lead_id: int) -> tuple[int, dict[str, Any]]:
        with db.transaction() as session:
            if session.get(Lead, lead_id) is None:
                return 404, {"detail": f"no lead with id {lead_id}"}
            job = session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
            if job is None:
                return 404, {"detail": f"lead {lead_id} was not captured through the webhook; nothing to retry"}
            if job.status == JobStatus.DONE.value:
                return 409, {"detail": f"lead {lead_id} is already processed; nothing to retry"}
            if job.status == JobStatus.RUNNING.value and job.lease_until and job.lease_until > wall_clock():
                return 409, {"detail": f"lead {lead_id} is being processed right now; try again when it finishes"}
            requeue(session, lead_id=lead_id, at=wall_clock(), reason=f"retry requested (was {job.status})", actor="api")
            return 202, {"lead_id": lead_id, "status": "queued", "status_url": f"/leads/{lead_id}"}

    @app.post("/leads/{lead_id}/retry", status_code=202, tags=["leads"],
              responses={401: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem}})
    async def retry_lead(lead_id: int = Path(ge=1, le=_MAX_ID), authorization: str | None = Header(None)):
        """Queue a dead-lettered (or waiting) lead again with fresh attempts; finished steps are not redone."""
        if denied := authorised(authorization):
            return denied
        status, body = await run_in_threadpool(retry, lead_id)
        return JSONResponse(body, status_code=status)

    def health() -> tuple[int, dict[str, Any]]:
        try:
            with db.session() as session:
                session.execute(text("SELECT 1"))
                counts = job_counts(session)
        except Exception as error:  # noqa: BLE001 — the answer is the error
            return 503, {"status": "error", "database": str(error)}
        return 200, {"status": "ok", "database": db.dialect, "queue": counts,
                     "workers": len(workers) if workers is not None else 0}

    @app.get("/health", tags=["ops"])
    async def get_health():
        """200 with queue counts when the database answers; 503 otherwise."""
        status, body = await run_in_threadpool(health)
        return JSONResponse(body, status_code=status)

    def metrics_text() -> str:
        from leadpilot.interfaces.api.metrics import render_metrics

        with counter_lock:
            snapshot = dict(requests)
        with db.session() as session:
            return render_metrics(session, http_requests=snapshot)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def get_metrics():
        """Prometheus text format: received, processed, failed, queue depth, stage latencies."""
        return PlainTextResponse(await run_in_threadpool(metrics_text), media_type="text/plain; version=0.0.4")

    return app
