"""The capture API: POST /webhooks/lead (signed), GET /leads/{id}, POST /leads/{id}/retry,
GET /health, GET /metrics; OpenAPI at /openapi.json and /docs.

Thin by design: parse and check the request, call tools/pipeline/capture.py or the store, render JSON.
The lead is on disk before the 202; processing happens in the pipeline workers.
Guards (README "Security"): a Host allow-list and a body limit counted while streaming wrap every
request (access.py, limits.py); a bearer token guards /leads, /metrics and the docs; webhooks need a
fresh timestamped signature (signature.py) and JSON within limits.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, text

from leadpilot.clock import clock_from_settings
from leadpilot.interfaces.api.access import HostAllowList, allowed_hosts, api_token, token_file, token_problem
from leadpilot.interfaces.api.capture_writer import CaptureWriter
from leadpilot.interfaces.api.limits import BadJson, BodyLimit, read_json
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
    secrets = [settings.webhook_secret.get_secret_value()]
    if settings.webhook_previous_secret is not None:
        secrets.append(settings.webhook_previous_secret.get_secret_value())
    token = api_token(settings, create=True)
    bearer = HTTPBearer(auto_error=False, scheme_name="token",
                        description="LEADPILOT_API_TOKEN, or the token `leadpilot serve` generated into <data dir>/api_token.")

    def token_required(public: bool = False):
        async def check(credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> None:
            if public:
                return
            given = f"Bearer {credentials.credentials}" if credentials is not None else None
            if problem := token_problem(given, token):
                raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})
        return Depends(check)

    reader, metrics_reader, docs_reader = (token_required(), token_required(settings.api_public_metrics),
                                           token_required(settings.api_public_docs))
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

    app = FastAPI(title="Leadpilot capture API", version="1", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
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

    hosts = ["*"] if "*" in settings.api_allowed_hosts else allowed_hosts(settings)
    where = "LEADPILOT_API_TOKEN" if settings.api_token is not None else f"{token_file(settings)} (generated; LEADPILOT_API_TOKEN overrides it)"
    app.state.token_note = (f"Reads (/leads, /metrics, /docs) need Authorization: Bearer <token>, the token in {where}. "
                            f"Host names answered: {', '.join(hosts)} (LEADPILOT_API_ALLOWED_HOSTS adds more).")
    if settings.webhook_legacy_signatures:
        app.state.token_note += ("\nOld sha256= webhook signatures are accepted (LEADPILOT_WEBHOOK_LEGACY_SIGNATURES): they can be "
                                 "replayed; turn it off once every sender signs t=...,v1=....")
    app.add_middleware(count_requests)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(HostAllowList, hosts=hosts)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[docs_reader])
    async def openapi_document():
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[docs_reader])
    async def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)

    @app.post("/webhooks/lead", status_code=202, response_model=Captured, tags=["capture"],
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": LeadIn.model_json_schema()}}}},
              responses={400: {"model": Problem}, 401: {"model": Problem}, 409: {"model": Problem}, 413: {"model": Problem},
                         422: {"model": Invalid}})
    async def capture(request: Request,
                      x_leadpilot_signature: str | None = Header(None, alias=HEADER, description='t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">'),
                      idempotency_key: str | None = Header(None, alias="Idempotency-Key", description="Same key + same body = the same lead, answered again.")):
        """Capture one lead. 202 once it is durably stored (new or repeat), with its id and status URL."""
        body = await request.body()  # at most LEADPILOT_API_MAX_BODY_BYTES: BodyLimit stops reading there
        if problem := signature_problem(body, x_leadpilot_signature, secrets, tolerance_s=settings.webhook_tolerance_s,
                                        legacy=settings.webhook_legacy_signatures):
            return _problem(401, problem)
        if idempotency_key is not None and not (0 < len(idempotency_key.strip()) <= _MAX_KEY):
            return _problem(400, f"Idempotency-Key must be 1 to {_MAX_KEY} characters")
        try:
            payload = read_json(body, max_depth=settings.api_max_json_depth)
        except BadJson as error:
            return _problem(400, str(error))
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
        from leadpilot.memory.outbox import lead_changes
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
                "outbox": lead_changes(session, lead_id=lead_id),  # #19: what is owed to CRMs, email, webhooks
            }

    @app.get("/leads/{lead_id}", response_model=LeadStatus, tags=["leads"], dependencies=[reader],
             responses={401: {"model": Problem}, 404: {"model": Problem}})
    async def get_lead(lead_id: int = Path(ge=1, le=_MAX_ID)):
        """A lead with its processing status, every step's outcome, the summary and the history."""
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

    @app.post("/leads/{lead_id}/retry", status_code=202, tags=["leads"], dependencies=[reader],
              responses={401: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem}})
    async def retry_lead(lead_id: int = Path(ge=1, le=_MAX_ID)):
        """Queue a dead-lettered (or waiting) lead again with fresh attempts; finished steps are not redone."""
        status, body = await run_in_threadpool(retry, lead_id)
        return JSONResponse(body, status_code=status)

    def unsubscribe_now(token: str) -> tuple[int, str]:
        from leadpilot.tools.crm import CrmError, unsubscribe

        try:
            return 200, unsubscribe(db, settings, token=token, now=clock.now())
        except (ValueError, CrmError) as error:
            return 400, str(error)

    unsubscribe_answers = {400: {"description": "The link is not valid.", "content": {"text/plain": {"schema": {"type": "string"}}}}}

    @app.get("/unsubscribe", tags=["email"], response_class=PlainTextResponse, responses=unsubscribe_answers,
             operation_id="unsubscribe_link")
    @app.post("/unsubscribe", tags=["email"], response_class=PlainTextResponse, responses=unsubscribe_answers,
              operation_id="unsubscribe_one_click")
    async def unsubscribe_link(token: str = Query(min_length=3, max_length=200)):
        """An email's unsubscribe link (GET) or one-click List-Unsubscribe-Post (POST): no more emails, nurture stopped."""
        status, message = await run_in_threadpool(unsubscribe_now, token)
        return PlainTextResponse(message + "\n", status_code=status)

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

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse, dependencies=[metrics_reader],
             responses={401: {"description": "No or a wrong bearer token.",
                              "content": {"application/json": {"schema": Problem.model_json_schema()}}}})
    async def get_metrics():
        """Prometheus text format: received, processed, failed, queue depth, stage latencies."""
        return PlainTextResponse(await run_in_threadpool(metrics_text), media_type="text/plain; version=0.0.4")

    return app
