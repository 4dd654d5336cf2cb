"""Build pipeline workers from settings, and run them in threads (`leadpilot worker`, tests) or in
worker processes beside the API (`leadpilot serve`). The interface supplies what tools must not
import: the Slack client."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadpilot.clock import Clock
from leadpilot.memory.db import Database
from leadpilot.settings import Settings
from leadpilot.tools.pipeline import StepContext
from leadpilot.tools.pipeline import PipelineWorker

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


def slack_nudge_sender(settings: Settings, db: Database) -> Callable[[Mapping[str, Any]], None] | None:
    """Deliver a first-touch SLA nudge as a Slack DM to the lead's owner; None when there is no bot
    token (the nudge stays recorded in the lead's history and the audit)."""
    if settings.slack_bot_token is None:
        return None
    from slack_sdk import WebClient

    from leadpilot.memory.reps import get_rep

    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url, timeout=10)

    def send(item: Mapping[str, Any]) -> None:
        with db.session() as session:
            rep = get_rep(session, email=item["rep"]) if item.get("rep") else None
            user = rep.slack_user_id if rep is not None else None
        if user is None:
            raise RuntimeError(f"{item.get('rep') or 'the owner'} has no Slack user id (set the rep's slack_user_id; README, Slack setup)")
        client.chat_postMessage(channel=user, text=f"SLA reminder — lead {item['lead_id']}: {item['text']}")

    return send


def step_context(db: Database, settings: Settings) -> StepContext:
    from leadpilot.tools.enrichment import waterfall_from_settings
    from leadpilot.tools.pipeline import PipelinePolicyHolder
    from leadpilot.tools.routing import policy_in_force
    from leadpilot.tools.scoring import PolicyHolder
    from leadpilot.tools.semantic import semantic_index

    scoring, pipeline = PolicyHolder(settings.scoring_policy), PipelinePolicyHolder(settings.pipeline_policy)
    try:
        from leadpilot.tools.pipeline import summarize_lead
    except ImportError:  # summaries not installed in this build
        summarize_lead = None
    return StepContext(
        db=db, settings=settings, scoring_policy=scoring.get, routing_policy=lambda: policy_in_force(settings.routing_policy),
        pipeline_policy=pipeline.get, waterfall=waterfall_from_settings(settings),
        semantic_index=lambda: semantic_index(db, settings), summarize=summarize_lead,
    )


def build_worker(db: Database, *, settings: Settings, clock: Clock, alert: Callable | None = None, **overrides: Any) -> PipelineWorker:
    options = dict(max_attempts=settings.pipeline_max_attempts, backoff_s=settings.pipeline_backoff_s,
                   lease_s=settings.pipeline_lease_s, poll_s=settings.pipeline_poll_s, batch=settings.pipeline_batch)
    options.update(overrides)
    from leadpilot.tools.discovery import run_next_campaign
    from leadpilot.tools.pipeline import advance_nurture

    context = step_context(db, settings)

    def idle() -> bool:
        """Between leads: nurture touches that are due, then one queued discovery campaign."""
        sent = advance_nurture(db, policy=context.pipeline_policy(), now=clock.now(), settings=settings).sent
        return bool(sent) or run_next_campaign(db, now=clock.now(), settings=settings) is not None

    return PipelineWorker(db=db, context=context, clock=clock, idle=idle,
                          alert=alert if alert is not None else slack_alert_sender(settings, db),
                          nudge=options.pop("nudge", None) or slack_nudge_sender(settings, db), **options)


@dataclass
class WorkerThreads:
    """N workers in daemon threads; `stop()` lets each finish the job it is on."""

    workers: list[PipelineWorker]
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.workers)

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=worker.run, args=(self._stop,), name=f"pipeline-{worker.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)


def _die_with_parent() -> None:
    """Linux: a worker process gets SIGKILL when its server dies, even by kill -9 (PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


@dataclass
class WorkerProcesses:
    """`count` pipeline workers for `leadpilot serve`, each a `leadpilot worker` process with one
    thread, reading the same settings (environment, .env).

    Processes, not threads: the workers' Python (matching, scoring, routing, summaries) would
    share the API's GIL, and the capture endpoint then answered at half its speed (95 instead of
    156 captures/s, 2,000 posts, 2 workers, SQLite, 2 cores) while the pipeline also went slower.
    They are started from the server's main thread and die with the server; `stop()` lets each
    finish the batch it is on. Each embeds with `embedding_threads` threads (one unless configured):
    two processes each spinning an ONNX thread per core made the index step 17 instead of 11.6 ms
    per lead (32 instead of 40 leads/s end to end, same run).
    """

    count: int
    embedding_threads: int = 1
    _processes: list[subprocess.Popen] = field(default_factory=list)

    def __len__(self) -> int:
        return self.count

    def start(self) -> None:
        command = [sys.executable, "-m", "leadpilot.interfaces.cli", "worker", "--threads", "1"]
        env = {**os.environ, "LEADPILOT_EMBEDDING_THREADS": str(self.embedding_threads)}
        for _ in range(self.count):
            self._processes.append(subprocess.Popen(command, env=env, preexec_fn=_die_with_parent))

    def stop(self, timeout_s: float = 30.0) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("pipeline worker process %s did not stop in %ss: killed", process.pid, timeout_s)
                process.kill()
                process.wait()
        self._processes.clear()
