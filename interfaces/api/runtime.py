"""Build pipeline workers from settings, and run them in threads beside the API (or alone:
`leadpilot worker`). The interface supplies what tools must not import: the Slack client."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadpilot.clock import Clock
from leadpilot.memory.db import Database
from leadpilot.settings import Settings
from leadpilot.tools.pipeline_steps import StepContext
from leadpilot.tools.pipeline_worker import PipelineWorker

log = logging.getLogger(__name__)


def slack_alert_sender(settings: Settings, db: Database) -> Callable[[Mapping[str, Any]], str] | None:
    """Post hot-lead alerts to LEADPILOT_SLACK_ALERT_CHANNEL, else as a DM to the owner; None when
    there is no bot token."""
    if settings.slack_bot_token is None:
        return None
    from slack_sdk import WebClient

    from leadpilot.interfaces.slack.alerts import post_hot_lead_alert
    from leadpilot.memory.reps import get_rep

    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url, timeout=10)

    def send(row: Mapping[str, Any]) -> str:
        channel = settings.slack_alert_channel
        if channel is None and row.get("owner"):
            with db.session() as session:
                rep = get_rep(session, email=row["owner"])
                channel = rep.slack_user_id if rep is not None else None
        if channel is None:
            raise RuntimeError("no alert channel (LEADPILOT_SLACK_ALERT_CHANNEL) and the owner has no Slack user id")
        response = post_hot_lead_alert(client, channel=channel, lead_row=row)
        return f"{channel} (ts {response.get('ts')})"

    return send


def step_context(db: Database, settings: Settings) -> StepContext:
    from leadpilot.tools.enrichment.providers.waterfall import waterfall_from_settings
    from leadpilot.tools.pipeline_policy import PipelinePolicyHolder
    from leadpilot.tools.routing_policy import policy_in_force
    from leadpilot.tools.scoring_policy import PolicyHolder
    from leadpilot.tools.semantic_search import semantic_index

    scoring, pipeline = PolicyHolder(settings.scoring_policy), PipelinePolicyHolder(settings.pipeline_policy)
    try:
        from leadpilot.tools.lead_summary import summarize_lead
    except ImportError:  # summaries not installed in this build
        summarize_lead = None
    return StepContext(
        db=db, settings=settings, scoring_policy=scoring.get, routing_policy=lambda: policy_in_force(settings.routing_policy),
        pipeline_policy=pipeline.get, waterfall=waterfall_from_settings(settings),
        semantic_index=lambda: semantic_index(db, settings), summarize=summarize_lead,
    )


def build_worker(db: Database, *, settings: Settings, clock: Clock, alert: Callable | None = None, **overrides: Any) -> PipelineWorker:
    options = dict(max_attempts=settings.pipeline_max_attempts, backoff_s=settings.pipeline_backoff_s,
                   lease_s=settings.pipeline_lease_s, poll_s=settings.pipeline_poll_s)
    options.update(overrides)
    from leadpilot.tools.campaigns import run_next_campaign
    from leadpilot.tools.nurture import advance_nurture

    context = step_context(db, settings)

    def idle() -> bool:
        """Between leads: nurture touches that are due, then one queued discovery campaign."""
        sent = advance_nurture(db, policy=context.pipeline_policy(), now=clock.now()).sent
        return bool(sent) or run_next_campaign(db, now=clock.now(), settings=settings) is not None

    return PipelineWorker(db=db, context=context, clock=clock, idle=idle,
                          alert=alert if alert is not None else slack_alert_sender(settings, db), **options)


@dataclass
class WorkerThreads:
    """N workers in daemon threads; `stop()` lets each finish the job it is on."""

    workers: list[PipelineWorker]
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=worker.run, args=(self._stop,), name=f"pipeline-{worker.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
