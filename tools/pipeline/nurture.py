"""Run the nurture sequences cold leads are enrolled in (config/pipeline.yaml).

`advance_nurture` takes the enrollments whose next touch is due, renders that step's subject for
the lead, records the touch (an outbound `email_sent` activity marked as a nurture email, so the
lead's engagement history shows it) and schedules the next step; it stops an enrollment when the
lead warmed up, answered, or left the LEAD stage, as the sequence's `stop_when` says, or when its
address unsubscribed or bounced. With SMTP configured (`settings.smtp_host`) the touch's email —
prompts/email_nurture.md with an unsubscribe link — is queued in the outbox in the same
transaction, and the workers send it (tools/crm).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from leadpilot.memory.activities import add_activity
from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.outbox import add_change, suppressed
from leadpilot.memory.pipeline import NurtureEnrollment, add_event
from leadpilot.memory.vocab import ActivityKind, Stage
from leadpilot.tools.pipeline.policy import PipelinePolicy

# Inbound activities that mean the lead answered: an email from them (a reply) is the commonest.
_ANSWERS = (ActivityKind.EMAIL_SENT.value, ActivityKind.FORM_SUBMIT.value, ActivityKind.MEETING.value, ActivityKind.CALL.value)


@dataclass
class NurtureReport:
    sent: int = 0
    completed: int = 0
    stopped: dict[str, int] = field(default_factory=dict)


def _stop_reason(session, enrollment: NurtureEnrollment, lead: Lead, stop_when: list[str]) -> str | None:
    if lead.stage != Stage.LEAD.value:
        return f"left the LEAD stage ({lead.stage})"
    if lead.tier in stop_when:
        return f"now {lead.tier} (score {lead.score})"
    if "replied" in stop_when:
        answered = session.scalar(select(Activity.id).where(
            Activity.lead_id == lead.id, Activity.direction == "inbound", Activity.kind.in_(_ANSWERS),
            Activity.occurred_at > enrollment.enrolled_at).limit(1))
        if answered is not None:
            return "answered (inbound activity after enrolment)"
    return None


def advance_nurture(db, *, policy: PipelinePolicy, now: datetime, limit: int = 200, settings=None) -> NurtureReport:
    """Send every nurture touch due at `now` (at most `limit`), one transaction per enrollment."""
    report = NurtureReport()
    render = None
    if settings is not None and getattr(settings, "smtp_host", None):
        from leadpilot.tools.crm import render_email_for

        render = render_email_for(settings)
    with db.session() as session:
        due = list(session.scalars(select(NurtureEnrollment.id).where(
            NurtureEnrollment.status == "active", NurtureEnrollment.next_touch_at <= now).order_by(NurtureEnrollment.next_touch_at).limit(limit)))
    for enrollment_id in due:
        with db.transaction() as session:
            enrollment = session.get(NurtureEnrollment, enrollment_id, with_for_update=session.get_bind().dialect.name == "postgresql")
            if enrollment is None or enrollment.status != "active" or enrollment.next_touch_at is None or enrollment.next_touch_at > now:
                continue  # another worker took it
            lead = session.get(Lead, enrollment.lead_id)
            sequence = policy.nurture_sequences.get(enrollment.sequence)
            if sequence is None:
                enrollment.status, enrollment.stop_reason = "stopped", f"sequence {enrollment.sequence!r} no longer in the policy"
            elif lead.email and (blocked := suppressed(session, email=lead.email)) is not None:
                enrollment.status, enrollment.stop_reason = "stopped", f"the address {blocked.reason}"
            elif (why := _stop_reason(session, enrollment, lead, list(sequence.stop_when))) is not None:
                enrollment.status, enrollment.stop_reason = "stopped", why
            if enrollment.status == "stopped":
                enrollment.updated_at = now
                report.stopped[enrollment.stop_reason or "?"] = report.stopped.get(enrollment.stop_reason or "?", 0) + 1
                add_event(session, lead_id=lead.id, step="nurture", outcome="skipped", at=now,
                          message=f"nurture '{enrollment.sequence}' stopped: {enrollment.stop_reason}")
                continue
            step = sequence.steps[enrollment.next_step]
            subject = step.subject.format_map({name: getattr(lead, name) or "" for name in ("company", "contact_name", "industry", "city", "country")})
            add_activity(session, lead_id=lead.id, kind=ActivityKind.EMAIL_SENT, direction="outbound", occurred_at=now,
                         detail=subject[:500], meta={"nurture": enrollment.sequence, "step": enrollment.next_step})
            if render is not None and lead.email:
                mail = render("nurture", lead=lead, to=lead.email, data={"subject": subject}, at=now)
                add_change(session, channel="email", kind="nurture", lead_id=lead.id, at=now,
                           key=f"lp-email-nurture-{lead.id}-{enrollment.sequence}-{enrollment.next_step}"[:200], payload=mail)
            add_event(session, lead_id=lead.id, step="nurture", outcome="ok", at=now,
                      message=f"nurture '{enrollment.sequence}' email {enrollment.next_step + 1}/{len(sequence.steps)}: {subject}")
            report.sent += 1
            enrollment.next_step += 1
            enrollment.updated_at = now
            if enrollment.next_step >= len(sequence.steps):
                enrollment.status, enrollment.next_touch_at = "completed", None
                report.completed += 1
            else:
                enrollment.next_touch_at = enrollment.enrolled_at + timedelta(days=sequence.steps[enrollment.next_step].after_days)
    return report
