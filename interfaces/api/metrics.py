"""GET /metrics in the Prometheus text format, read from the database so that every worker and
every restart counts: leads received, processed, failed, queue depth, stage latencies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory.pipeline import CaptureReceipt, JobStatus, PipelineEvent, PipelineJob, job_counts

_QUANTILES = (0.5, 0.9, 0.99)
_RECENT = 1000  # latency quantiles over the latest events of each step


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _metric(lines: list[str], name: str, kind: str, help_text: str) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


def render_metrics(session: Session, *, http_requests: dict[tuple[str, int], int]) -> str:
    lines: list[str] = []
    received = session.scalar(select(func.count(func.distinct(CaptureReceipt.lead_id)))) or 0
    repeats = session.scalar(select(func.coalesce(func.sum(CaptureReceipt.repeats), 0))) or 0
    counts = job_counts(session)
    failures = session.scalar(select(func.count()).where(PipelineEvent.outcome.in_(("error", "dead")))) or 0

    _metric(lines, "leadpilot_leads_received_total", "counter", "Distinct leads captured through the webhook.")
    lines.append(f"leadpilot_leads_received_total {received}")
    _metric(lines, "leadpilot_capture_repeats_total", "counter", "Posts of a lead already captured (answered, not re-processed).")
    lines.append(f"leadpilot_capture_repeats_total {int(repeats)}")
    _metric(lines, "leadpilot_leads_processed_total", "counter", "Leads that went through every pipeline step.")
    lines.append(f"leadpilot_leads_processed_total {counts.get(JobStatus.DONE.value, 0)}")
    _metric(lines, "leadpilot_leads_failed_total", "counter", "Leads dead-lettered after their last attempt.")
    lines.append(f"leadpilot_leads_failed_total {counts.get(JobStatus.DEAD.value, 0)}")
    _metric(lines, "leadpilot_pipeline_step_failures_total", "counter", "Failed processing attempts (each retried or dead-lettered).")
    lines.append(f"leadpilot_pipeline_step_failures_total {failures}")
    _metric(lines, "leadpilot_pipeline_jobs", "gauge", "Jobs by status.")
    for status in JobStatus:
        lines.append(f'leadpilot_pipeline_jobs{{status="{status.value}"}} {counts.get(status.value, 0)}')

    _metric(lines, "leadpilot_pipeline_step_seconds", "summary", "Time each pipeline step takes (latest events per step).")
    totals = session.execute(
        select(PipelineEvent.step, func.count(), func.sum(PipelineEvent.duration_ms))
        .where(PipelineEvent.duration_ms.is_not(None)).group_by(PipelineEvent.step).order_by(PipelineEvent.step)
    ).all()
    for step, count, total_ms in totals:
        recent = list(session.scalars(
            select(PipelineEvent.duration_ms).where(PipelineEvent.step == step, PipelineEvent.duration_ms.is_not(None))
            .order_by(PipelineEvent.id.desc()).limit(_RECENT)))
        for q in _QUANTILES:
            lines.append(f'leadpilot_pipeline_step_seconds{{step="{step}",quantile="{q}"}} {_quantile(recent, q) / 1000:.6f}')
        lines.append(f'leadpilot_pipeline_step_seconds_sum{{step="{step}"}} {(total_ms or 0) / 1000:.6f}')
        lines.append(f'leadpilot_pipeline_step_seconds_count{{step="{step}"}} {count}')

    oldest = session.scalar(select(func.min(PipelineJob.created_at)).where(PipelineJob.status == JobStatus.QUEUED.value))
    _metric(lines, "leadpilot_pipeline_oldest_queued_timestamp_seconds", "gauge", "When the oldest waiting lead was captured (0 = none).")
    lines.append(f"leadpilot_pipeline_oldest_queued_timestamp_seconds {oldest.timestamp() if oldest else 0:.3f}")

    _outbox_metrics(lines, session)
    _metric(lines, "leadpilot_http_requests_total", "counter", "HTTP requests this process answered.")
    for (route, status), count in sorted(http_requests.items()):
        lines.append(f'leadpilot_http_requests_total{{route="{route}",status="{status}"}} {count}')
    return "\n".join(lines) + "\n"


def _outbox_metrics(lines: list[str], session: Session) -> None:
    """#19: changes owed to CRMs, email and webhooks, by channel and status (dead = dead-lettered), and the oldest pending one's age."""
    from leadpilot.memory.outbox import outbox_depth
    from leadpilot.memory.pipeline import wall_clock

    depth = outbox_depth(session)
    _metric(lines, "leadpilot_outbox_changes", "gauge", "Outbox changes by channel and status (pending, sending, sent, cancelled, dead).")
    for (channel, status), (count, _) in sorted(depth.items()):
        lines.append(f'leadpilot_outbox_changes{{channel="{channel}",status="{status}"}} {count}')
    _metric(lines, "leadpilot_outbox_oldest_pending_age_seconds", "gauge", "Age of the oldest change waiting to be sent, per channel.")
    waiting: dict[str, Any] = {}
    for (channel, status), (_, oldest) in depth.items():
        if status in ("pending", "sending") and oldest is not None:
            waiting[channel] = min(oldest, waiting.get(channel, oldest))
    for channel, oldest in sorted(waiting.items()):
        lines.append(f'leadpilot_outbox_oldest_pending_age_seconds{{channel="{channel}"}} {(wall_clock() - oldest).total_seconds():.3f}')
