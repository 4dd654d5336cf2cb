"""The capture API and the pipeline worker, over real HTTP (uvicorn on loopback) and real databases."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from capture_client import SECRET, every_a_fit_lead_is_hot, free_port, serving
from conftest import NOW
from leadpilot.clock import Clock
from leadpilot.interfaces.api.access import api_token
from leadpilot.interfaces.api.app import create_app
from leadpilot.interfaces.api.runtime import build_worker
from leadpilot.interfaces.api.signature import sign
from leadpilot.memory.db import Database
from leadpilot.memory.models import Assignment, Lead
from leadpilot.memory.pipeline import (
    CaptureReceipt, FollowUpTask, JobStatus, NurtureEnrollment, PipelineEvent, PipelineJob, claim_jobs, wall_clock,
)
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import load_settings
from leadpilot.tools.pipeline.worker import Job
from slack_stub import BOT_TOKEN, SlackAPIStub

ACME = {"company": "ACME Corp", "contact_name": "Wile Coyote", "email": "wile@acmecorp.example", "job_title": "CEO",
        "industry": "technology", "company_size": 50, "source": "referral", "country": "US", "state": "CA",
        "city": "San Francisco", "website": "acmecorp.example"}


class Api:
    def __init__(self, db: Database, base_url: str, settings):
        self.db, self.base_url, self.settings = db, base_url, settings
        self.http = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {api_token(settings)}"})

    def post(self, payload, *, key: str | None = None, secret: str = SECRET, signed: bool = True) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Leadpilot-Signature"] = sign(body, secret)
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post("/webhooks/lead", content=body, headers=headers)

    def worker(self, **overrides):
        return build_worker(self.db, settings=self.settings, clock=Clock(pinned=NOW), **overrides)


@pytest.fixture
def slack() -> Iterator[SlackAPIStub]:
    with SlackAPIStub() as stub:
        yield stub


@pytest.fixture
def api(db: Database, slack: SlackAPIStub, tmp_path: Path) -> Iterator[Api]:
    seed_demo(db, now=NOW, n_leads=150)
    settings = load_settings(webhook_secret=SECRET, slack_bot_token=BOT_TOKEN, slack_api_url=slack.base_url,
                             slack_alert_channel="C0ALERTS", pipeline_backoff_s=0, data_dir=tmp_path / "data")
    with serving(create_app(settings=settings, db=db)) as url:
        client = Api(db, url, settings)
        try:
            yield client
        finally:
            client.http.close()


def _lead_id(answer: httpx.Response) -> int:
    assert answer.status_code == 202, answer.text
    return answer.json()["lead_id"]


def test_the_readme_lead_fits_but_has_not_engaged_so_it_is_not_announced(api: Api, slack: SlackAPIStub) -> None:
    """Under the shipped fit × engagement grid the README's lead is A4: a perfect fit with no
    engagement yet (the capture form alone) is warm — an email task, no hot alert."""
    lead_id = _lead_id(api.post(ACME))
    assert api.worker().drain() == 1
    status = api.http.get(f"/leads/{lead_id}").json()
    breakdown = status["lead"]["score_breakdown"]
    assert status["status"] == "done" and status["lead"]["tier"] == "warm" and breakdown["cell"] == "A4"
    assert status["tasks"] and status["tasks"][0]["kind"] == "email"
    assert status["steps"]["alert"]["message"] == "no alert: not hot"
    assert not [c for c in slack.calls if c["method"] == "chat.postMessage"]


def _every_a_fit_lead_is_hot(api: Api, tmp_path: Path) -> None:
    """A team whose policy makes every A-fit lead hot, engaged or not (hot cells A1-A4, B1, B2):
    the README's lead (fit A, no engagement yet) is then hot."""
    api.settings = api.settings.model_copy(update={"scoring_policy": every_a_fit_lead_is_hot(tmp_path)})


def test_the_seed_example_lead_is_captured_processed_and_announced(api: Api, slack: SlackAPIStub, tmp_path: Path) -> None:
    _every_a_fit_lead_is_hot(api, tmp_path)
    lead_id = _lead_id(api.post(ACME))
    first = api.http.get(f"/leads/{lead_id}").json()
    assert first["status"] == "queued" and first["lead"]["company"] == "ACME Corp"

    assert api.worker().drain() == 1
    status = api.http.get(f"/leads/{lead_id}").json()
    assert status["status"] == "done", status
    steps = status["steps"]
    assert [h["step"] for h in status["history"]] == ["capture", "dedup", "enrich", "index", "score", "route", "summarize",
                                                      "follow_up", "alert", "done"]
    assert steps["enrich"]["outcome"] == "ok" and status["lead"]["enrichment"]["fields"]
    assert status["lead"]["score"] == steps["score"]["score"] and status["lead"]["tier"] == "hot"
    assert status["lead"]["score_breakdown"]
    assert steps["route"]["owner"] == status["lead"]["owner"] and steps["route"]["reason"]
    assert 6 <= len(status["summary"]) <= 8 and any("ACME" in b or "Wile" in b for b in status["summary"])
    assert status["tasks"] and status["tasks"][0]["kind"] == "call"
    # The hot lead reached the loopback Slack API, once.
    posts = [c for c in slack.calls if c["method"] == "chat.postMessage"]
    assert len(posts) == 1 and posts[0]["args"]["channel"] == "C0ALERTS" and "ACME Corp" in posts[0]["args"]["text"]
    assert steps["alert"]["status"] == "sent"
    with api.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Assignment).where(Assignment.lead_id == lead_id)) == 1


def test_a_captured_lead_gets_the_conversion_models_probability(api: Api) -> None:
    """Once a model is trained, a new lead's probability is on its record (probability filters find
    it), the same one its summary states, without waiting for the next `leadpilot train`."""
    from leadpilot.tools.prediction.conversion_model import train_conversion_model

    version = train_conversion_model(api.db, now=NOW, data_dir=api.settings.data_dir).version
    lead_id = _lead_id(api.post(ACME))
    assert api.worker().drain() == 1
    status = api.http.get(f"/leads/{lead_id}").json()
    summary = status["steps"]["summarize"]
    assert summary["conversion_model"] == version and 0 < summary["conversion_probability"] < 1
    assert status["lead"]["conversion_probability"] == summary["conversion_probability"]
    shown = f"{summary['conversion_probability']:.0%}" if summary["conversion_probability"] >= 0.005 else "under 1%"
    assert f"puts it at {shown}" in status["summary"][-1]


def test_signature_validation_and_idempotency(api: Api) -> None:
    assert api.post(ACME, signed=False).status_code == 401
    wrong = api.post(ACME, secret="not-the-secret")
    assert wrong.status_code == 401 and "signature" in wrong.json()["detail"]
    assert api.post(b"{not json").status_code == 400
    assert api.post([1, 2]).status_code == 422

    bad = api.post({"email": "not-an-email", "company_size": "lots", "created_at": "yesterday-ish"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"email", "company_size", "created_at"}

    lead_id = _lead_id(api.post(ACME, key="form-1"))
    replay = api.post(ACME, key="form-1")
    assert _lead_id(replay) == lead_id and replay.json()["repeat"] is True
    assert api.post({**ACME, "phone": "+1 415 555 0100"}, key="form-1").status_code == 409
    # Without a key: the same email is the same lead; a changed field is stored, not re-processed.
    again = api.post({**ACME, "job_title": "Chief Executive Officer"})
    assert _lead_id(again) == lead_id and again.json()["updated"] is True
    with api.db.session() as session:
        assert session.get(Lead, lead_id).job_title == "Chief Executive Officer"
        assert session.scalar(select(func.count()).select_from(PipelineJob).where(PipelineJob.lead_id == lead_id)) == 1
    other = {**ACME, "email": None, "external_id": "crm-77", "source": "partner"}
    first = _lead_id(api.post(other))
    assert _lead_id(api.post(other)) == first  # source + external_id


def test_a_failing_step_retries_then_dead_letters_and_retry_recovers(api: Api, tmp_path: Path) -> None:
    lead_id = _lead_id(api.post(ACME))
    broken = tmp_path / "routing.yaml"
    broken.write_text("rules: [this is not a routing policy\n")
    settings = api.settings.model_copy(update={"routing_policy": broken, "pipeline_max_attempts": 2})
    worker = build_worker(api.db, settings=settings, clock=Clock(pinned=NOW))
    worker.drain()
    status = api.http.get(f"/leads/{lead_id}").json()
    assert status["status"] == "dead" and status["attempts"] == 2
    assert "Routing policy" in status["last_error"]
    assert [h["outcome"] for h in status["history"] if h["step"] in ("retry", "dead")] == ["error", "dead"]
    # Steps that finished keep their checkpoint; the route step never committed anything.
    assert {"dedup", "enrich", "score"} <= set(status["steps"]) and "route" not in status["steps"]
    metrics = api.http.get("/metrics").text
    assert "leadpilot_leads_failed_total 1" in metrics

    assert api.http.post(f"/leads/{lead_id}/retry").status_code == 202
    api.worker().drain()
    status = api.http.get(f"/leads/{lead_id}").json()
    assert status["status"] == "done" and status["steps"]["route"]["owner"]
    assert [h["step"] for h in status["history"]].count("score") == 1  # not scored twice
    assert api.http.post(f"/leads/{lead_id}/retry").status_code == 409
    assert api.http.post("/leads/999999/retry").status_code == 404
    assert api.http.get("/leads/999999").status_code == 404


def test_enrichment_down_falls_back_to_rules(api: Api) -> None:
    lead_id = _lead_id(api.post(ACME))
    from leadpilot.tools.enrichment.providers.base import HttpPolicy
    from leadpilot.tools.enrichment.providers.clearbit import ClearbitProvider
    from leadpilot.tools.enrichment.providers.waterfall import waterfall_from_settings

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens here: the vendor is down
    worker = api.worker()
    worker.context.waterfall = waterfall_from_settings(api.settings, providers=[
        ClearbitProvider(api_key="cb", company_url=down, person_url=down, policy=HttpPolicy(timeout_s=0.5, retries=0))])
    worker.drain()
    status = api.http.get(f"/leads/{lead_id}").json()
    assert status["status"] == "done"
    assert status["steps"]["score"]["score"] is not None and status["steps"]["route"]["owner"]


def test_a_captured_lead_is_scored_with_the_semantic_category(api: Api) -> None:
    from leadpilot.tools.semantic.search import index_leads, semantic_index

    with api.db.session() as session:
        closed = list(session.scalars(select(Lead.id).where(Lead.stage.in_(("CUSTOMER", "LOST")))))
    assert index_leads(api.db, semantic_index(api.db, api.settings), closed).embedded == len(closed) > 0
    lead_id = _lead_id(api.post(ACME))
    api.worker().drain()
    status = api.http.get(f"/leads/{lead_id}").json()
    semantic = status["lead"]["score_breakdown"]["categories"]["semantic"]
    assert semantic["neighbours"] and "closest closed accounts converted" in semantic["rules"][0]["label"]
    assert {n["id"] for n in semantic["neighbours"]} <= set(closed)
    assert "semantic_problem" not in status["steps"]["score"]


def test_with_semantic_search_off_the_score_says_why_it_has_no_semantic_category(api: Api) -> None:
    lead_id = _lead_id(api.post(ACME))
    worker = api.worker()
    worker.context.semantic_index = None
    worker.drain()
    status = api.http.get(f"/leads/{lead_id}").json()
    assert status["status"] == "done" and status["lead"]["score"] == status["steps"]["score"]["score"]
    assert "semantic" not in status["lead"]["score_breakdown"]["categories"]
    assert status["steps"]["score"]["semantic_problem"] == "semantic search is off"
    assert "no semantic category: semantic search is off" in status["steps"]["score"]["message"]


def test_a_group_of_posts_is_stored_as_one_post_after_another_would_be(db: Database, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's writer stores posts that arrive together in one transaction (store_captures): new
    leads, repeats within the group and of stored leads, a changed repeat, an Idempotency-Key reused
    for another body — each answered, and stored, exactly as capture_lead gives it alone."""
    from leadpilot.memory.db import open_database
    from leadpilot.tools.pipeline import capture
    from leadpilot.tools.pipeline.capture import IdempotencyConflict, body_digest, capture_lead, prepare_capture, store_captures

    def post(payload, key=None):
        body = json.dumps(payload).encode()
        return dict(payload=payload, body_sha256=body_digest(body), idempotency_key=key, now=NOW, received_at=wall_clock())

    stored = {**ACME, "email": "road@runner.example", "company": "Runner Co"}
    posts = [post(ACME, "k1"), post(ACME, "k1"), post({**ACME, "job_title": "Founder"}), post({**ACME, "city": "Oakland"}, "k1"),
             post(stored), post({**stored, "notes": "asked for pricing"}), post({"company": "Tiny Shop", "contact_name": "Sam"})]
    alone = open_database(f"sqlite:///{tmp_path / 'alone.db'}")
    for store in (db, alone):
        seed_demo(store, now=NOW, n_leads=50)
    capture_lead(db, **post(stored))  # captured before the group
    capture_lead(alone, **post(stored))
    with monkeypatch.context() as patched:  # the group's own transaction, not the post-by-post fallback
        patched.setattr(capture, "_store_one", lambda *args, **kwargs: pytest.fail("the group fell back to single posts"))
        group = store_captures(db, [prepare_capture(**p) for p in posts])

    def one_by_one(p):
        try:
            return capture_lead(alone, **p)
        except IdempotencyConflict as error:
            return error

    singly = [one_by_one(p) for p in posts]
    assert [type(a) for a in group] == [type(a) for a in singly] and isinstance(group[3], IdempotencyConflict)
    assert [(a.lead_id, a.repeat, a.updated) for a in group if not isinstance(a, Exception)] == \
           [(a.lead_id, a.repeat, a.updated) for a in singly if not isinstance(a, Exception)]
    assert (group[0].repeat, group[1].repeat, group[2].repeat, group[4].repeat, group[6].repeat) == (False, True, True, True, False)

    def state(store):
        with store.session() as session:
            leads = session.execute(select(Lead.id, Lead.company, Lead.job_title, Lead.notes).order_by(Lead.id)).all()
            events = session.execute(select(PipelineEvent.lead_id, PipelineEvent.outcome, PipelineEvent.message)
                                     .order_by(PipelineEvent.id)).all()
            jobs = session.execute(select(PipelineJob.lead_id, PipelineJob.status).order_by(PipelineJob.lead_id)).all()
            receipts = session.execute(select(CaptureReceipt.key, CaptureReceipt.lead_id, CaptureReceipt.repeats)
                                       .order_by(CaptureReceipt.key)).all()
            return leads, events, jobs, receipts

    try:
        assert state(db) == state(alone)
    finally:
        alone.dispose()


def test_a_group_that_fails_is_stored_post_by_post(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadpilot.tools.pipeline import capture

    group = capture._capture_group

    def fails_for_groups(session, batch, **kwargs):
        if len(batch) > 1:
            raise RuntimeError("a post of this group broke the transaction")
        return group(session, batch, **kwargs)

    monkeypatch.setattr(capture, "_capture_group", fails_for_groups)
    body = json.dumps(ACME).encode()
    pending = [capture.prepare_capture(payload=ACME, body_sha256=capture.body_digest(body), idempotency_key=None, now=NOW,
                                       received_at=wall_clock()) for _ in range(2)]
    first, again = capture.store_captures(api.db, pending)
    assert (first.repeat, again.repeat, again.lead_id) == (False, True, first.lead_id)


def test_leads_of_one_new_account_in_a_batch_go_to_the_same_owner(api: Api) -> None:
    """The route step reads the batch's account owners once (AccountIndex.for_leads): a lead routed
    earlier in the same batch owns its account for the next one, as when routed one by one."""
    from leadpilot.tools.routing.decision import ACCOUNT_RULE

    first = _lead_id(api.post({**ACME, "company": "Zeta Widgets", "email": "ann@zetawidgets.example", "website": "zetawidgets.example"}))
    second = _lead_id(api.post({**ACME, "company": "Zeta Widgets Inc.", "email": "bob@zetawidgets.example",
                                "contact_name": "Bob Zeta", "website": "zetawidgets.example"}))
    assert api.worker().drain() == 2
    routed = [api.http.get(f"/leads/{lead_id}").json()["steps"]["route"] for lead_id in (first, second)]
    assert routed[0]["owner"] and routed[0]["rule"] != ACCOUNT_RULE
    assert routed[1]["owner"] == routed[0]["owner"] and routed[1]["rule"] == ACCOUNT_RULE


def test_a_worker_that_lost_its_lease_commits_nothing(api: Api) -> None:
    lead_id = _lead_id(api.post(ACME))
    stale = api.worker(lease_s=0.01)
    with api.db.transaction() as session:
        [job] = claim_jobs(session, token="stale-token", limit=1, lease_s=0.01, at=wall_clock())
        job_id = job.id
    time.sleep(0.05)
    fresh = api.worker()
    assert fresh.drain() == 1  # the lease ran out: the job is taken over and finished
    from leadpilot.tools.pipeline.steps import STEPS

    # The stale worker runs a step for the job it lost: its transaction leaves the job out.
    assert stale._run_step(STEPS[0], [Job(job_id, lead_id, 1, {})], token="stale-token", now=NOW) == []
    assert stale.stats.lease_lost == 1
    with api.db.session() as session:
        assert session.scalar(select(func.count()).select_from(PipelineEvent)
                              .where(PipelineEvent.lead_id == lead_id, PipelineEvent.step == "dedup")) == 1


def test_an_alert_interrupted_mid_post_is_never_posted_twice(api: Api, slack: SlackAPIStub, tmp_path: Path) -> None:
    _every_a_fit_lead_is_hot(api, tmp_path)
    lead_id = _lead_id(api.post(ACME))
    worker = api.worker()
    worker.drain()
    assert len([c for c in slack.calls if c["method"] == "chat.postMessage"]) == 1
    # Pretend a worker died between "sending" and "sent": the job is running with that checkpoint.
    with api.db.transaction() as session:
        job = session.scalar(select(PipelineJob).where(PipelineJob.lead_id == lead_id))
        result = {**job.result, "alert": {"status": "sending"}}
        session.execute(update(PipelineJob).where(PipelineJob.id == job.id).values(
            status=JobStatus.RUNNING.value, result=result, lease_owner="dead-worker", lease_until=wall_clock() - timedelta(seconds=1)))
    worker.drain()
    status = api.http.get(f"/leads/{lead_id}").json()
    assert status["status"] == "done" and status["steps"]["alert"]["status"] == "unknown"
    assert len([c for c in slack.calls if c["method"] == "chat.postMessage"]) == 1


def test_warm_and_cold_leads_get_a_task_or_nurture(api: Api) -> None:
    cold = _lead_id(api.post({"email": "sam.small@gmail.com", "source": "other"}))
    warm = _lead_id(api.post({"company": "Tiny Shop", "contact_name": "Sam Small", "email": "sam@tinyshop.example",
                              "industry": "fintech", "company_size": 40, "source": "referral"}))  # fits (A), not engaged yet: A4
    api.worker().drain()
    status = api.http.get(f"/leads/{cold}").json()
    assert status["lead"]["tier"] == "cold" and not status["tasks"]
    assert status["nurture"]["sequence"] == "default" and status["nurture"]["status"] == "active"
    assert status["steps"]["alert"]["status"] == "skipped"
    status = api.http.get(f"/leads/{warm}").json()
    assert status["lead"]["tier"] == "warm" and status["nurture"] is None
    [task] = status["tasks"]
    assert task["kind"] == "email" and task["due_at"] == (NOW + timedelta(hours=24)).isoformat()
    with api.db.session() as session:
        assert session.scalar(select(func.count()).select_from(NurtureEnrollment)) == 1
        assert session.scalar(select(func.count()).select_from(FollowUpTask)) == 1


def test_health_metrics_and_openapi(api: Api) -> None:
    health = api.http.get("/health").json()
    assert health["status"] == "ok"
    _lead_id(api.post(ACME))
    api.worker().drain()
    metrics = api.http.get("/metrics").text
    assert "leadpilot_leads_received_total 1" in metrics and "leadpilot_leads_processed_total 1" in metrics
    assert 'leadpilot_pipeline_step_seconds_count{step="score"} 1' in metrics
    spec = api.http.get("/openapi.json").json()
    assert {"/webhooks/lead", "/leads/{lead_id}", "/leads/{lead_id}/retry", "/health", "/metrics"} <= set(spec["paths"])
    schema = spec["paths"]["/webhooks/lead"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "company_size" in schema["properties"]


def test_api_token_guards_lead_data(db: Database, tmp_path: Path) -> None:
    settings = load_settings(webhook_secret=SECRET, api_token="tok-123", data_dir=tmp_path / "data")
    with serving(create_app(settings=settings, db=db)) as url:
        assert httpx.get(url + "/leads/1").status_code == 401
        assert httpx.get(url + "/leads/1", headers={"Authorization": "Bearer tok-123"}).status_code == 404


def test_the_app_refuses_to_start_without_a_webhook_secret(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="LEADPILOT_WEBHOOK_SECRET"):
        create_app(settings=load_settings(data_dir=tmp_path / "data"), db=db)


def test_pipeline_workers_run_queued_discovery_campaigns(api: Api) -> None:
    from importlib.resources import files

    from leadpilot.interfaces.api.runtime import WorkerThreads
    from leadpilot.tools.discovery.campaigns import create_campaign, get_campaign

    source = str(files("leadpilot.config").joinpath("discovery_demo.csv"))
    with api.db.transaction() as session:
        campaign_id = create_campaign(session, name="Demo discovery", provider="file", criteria=None, source_path=source,
                                      now=NOW, actor="test").id
    threads = WorkerThreads([api.worker(poll_s=0.05)])
    threads.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with api.db.session() as session:
                state = get_campaign(session, campaign_id=campaign_id)
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
    finally:
        threads.stop()
    assert state["status"] == "done", state


def test_nurture_sequences_send_on_schedule_and_stop_when_the_lead_warms(api: Api) -> None:
    from leadpilot.memory.models import Activity
    from leadpilot.tools.pipeline.nurture import advance_nurture
    from leadpilot.tools.pipeline.policy import load_policy

    cold = _lead_id(api.post({"email": "sam.small@gmail.com", "source": "other", "contact_name": "Sam"}))
    api.worker().drain()
    policy = load_policy()
    assert advance_nurture(api.db, policy=policy, now=NOW).sent == 1
    assert advance_nurture(api.db, policy=policy, now=NOW + timedelta(days=1)).sent == 0  # next one is on day 3
    assert advance_nurture(api.db, policy=policy, now=NOW + timedelta(days=3)).sent == 1
    with api.db.session() as session:
        sent = session.scalars(select(Activity.detail).where(Activity.lead_id == cold, Activity.kind == "email_sent")
                               .order_by(Activity.occurred_at)).all()
        assert len(sent) == 2 and sent[1].startswith("How teams like")
    with api.db.transaction() as session:  # the lead warms up before the third email
        session.execute(update(Lead).where(Lead.id == cold).values(tier="warm", score=55))
    report = advance_nurture(api.db, policy=policy, now=NOW + timedelta(days=10))
    assert report.sent == 0 and report.stopped
    status = api.http.get(f"/leads/{cold}").json()
    assert status["nurture"]["status"] == "stopped" and status["nurture"]["next_step"] == 2
    assert [h["outcome"] for h in status["history"] if h["step"] == "nurture"] == ["ok", "ok", "skipped"]


def test_a_reply_by_email_stops_the_nurture_sequence(api: Api) -> None:
    from leadpilot.memory.activities import add_activity
    from leadpilot.tools.pipeline.nurture import advance_nurture
    from leadpilot.tools.pipeline.policy import load_policy

    cold = _lead_id(api.post({"email": "rae.reply@gmail.com", "source": "other", "contact_name": "Rae"}))
    api.worker().drain()
    policy = load_policy()
    assert advance_nurture(api.db, policy=policy, now=NOW).sent == 1
    with api.db.transaction() as session:  # the lead wrote back (an inbound email), still cold
        add_activity(session, lead_id=cold, kind="email_sent", direction="inbound", occurred_at=NOW + timedelta(days=1),
                     detail="Re: hello")
    report = advance_nurture(api.db, policy=policy, now=NOW + timedelta(days=3))
    assert report.sent == 0 and report.stopped == {"answered (inbound activity after enrolment)": 1}, report


def test_a_broken_pipeline_policy_names_the_key_and_the_fix(tmp_path: Path) -> None:
    from leadpilot.tools.pipeline.policy import PipelinePolicyError, load_policy

    path = tmp_path / "pipeline.yaml"
    path.write_text("cold:\n  nurture: defualt\nnurture_sequences:\n  default:\n    steps:\n"
                    "      - after_days: 3\n        subject: 'Hi {compnay}'\n      - after_days: 1\n        subject: ok\n")
    with pytest.raises(PipelinePolicyError) as error:
        load_policy(path)
    text = str(error.value)
    assert str(path) in text
    assert "unknown placeholder '{compnay}'" in text and "{company}" in text
    path.write_text("nurture_sequences:\n  default:\n    steps:\n      - after_days: 3\n        subject: a\n"
                    "      - after_days: 1\n        subject: b\n")
    with pytest.raises(PipelinePolicyError, match="steps must be in order of after_days"):
        load_policy(path)
    path.write_text("cold:\n  nurture: defualt\nnurture_sequences:\n  default:\n    steps:\n      - after_days: 0\n        subject: hi\n")
    with pytest.raises(PipelinePolicyError, match="did you mean 'default'"):
        load_policy(path)
