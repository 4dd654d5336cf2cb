"""First-touch SLAs: the watch the pipeline workers run, the nudge at the first breach and the
reassignment at the second.

The policy's `sla:` section gives each tier a first-touch time (hot: 15m), counted in the owner's
working hours (their roster or policy hours in their time zone; a rep with none works the SLA's
`default_working_hours`, 09:00–17:00 Mon–Fri) or around the clock. `watch_sla` (called by every
pipeline worker on its schedule, and by `leadpilot sla run`):
1. starts a watch for each new assignment of a lead in an SLA tier (one per assignment: a unique key);
2. closes watches whose lead was touched (an outbound contact since the assignment), changed owner
   or closed;
3. at the first breach nudges the owner: the watch moves watching -> nudged and an audit event
   ("sla") is written in one transaction; then `notify` (a Slack DM) is called once, after the commit;
4. at the second breach (another full SLA later) reassigns the lead by the policy without the owner,
   with the reason "SLA missed by Maya (2h 10m)": nudged -> reassigned, the new assignment and its
   audit in one transaction. The new owner's assignment gets a watch of its own.
Each step is a conditional UPDATE on the watch's status, so two workers, or a worker restarted
after kill -9, never nudge or reassign the same watch twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.models import Assignment, Lead
from leadpilot.memory.routing_state import SlaWatch
from leadpilot.memory.vocab import OPEN_STAGES
from leadpilot.tools.routing.facts import RepFacts, WorkingHours, build_roster
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.policy_outcomes import duration_text

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=7)  # assignments older than this are not watched when the watch starts late
WATCHING, NUDGED, REASSIGNED, TOUCHED, CLOSED = "watching", "nudged", "reassigned", "touched", "closed"


@dataclass
class SlaRun:
    started: int = 0
    touched: int = 0
    closed: int = 0
    nudged: list[dict[str, Any]] = field(default_factory=list)
    reassigned: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"started": self.started, "touched": self.touched, "closed": self.closed,
                "nudged": self.nudged, "reassigned": self.reassigned}


def add_working_time(start: datetime, amount: timedelta, *, rep: RepFacts | None, default: WorkingHours) -> datetime:
    """`start` plus `amount` of the rep's working time (their hours in their time zone)."""
    hours = (rep.working_hours if rep is not None and rep.working_hours is not None else default)
    zone_of = rep.local if rep is not None else (lambda moment: moment)
    local = zone_of(start)
    remaining = amount
    for _ in range(60):  # at most two months of days
        day_start = local.replace(hour=hours.start.hour, minute=hours.start.minute, second=0, microsecond=0)
        day_end = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)) if hours.end.hour == 23 and \
            hours.end.minute == 59 else local.replace(hour=hours.end.hour, minute=hours.end.minute, second=0, microsecond=0)
        if local.weekday() in hours.days and local < day_end:
            begin = max(local, day_start)
            if begin + remaining <= day_end:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= day_end - begin
        next_day = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        local = zone_of(next_day.astimezone(start.tzinfo))  # re-localise: the offset may change (DST)
    return start + amount


def _default_hours(policy: RoutingPolicy) -> WorkingHours:
    spec = policy.sla.default_working_hours
    return WorkingHours(spec.start, spec.end, tuple(sorted(spec.days)), "policy sla.default_working_hours")


def _deadlines(policy: RoutingPolicy, *, tier: str, assigned_at: datetime, rep: RepFacts | None) -> tuple[datetime, datetime]:
    sla = policy.sla.for_tier(tier)
    if sla.clock == "calendar":
        return assigned_at + sla.first_touch, assigned_at + 2 * sla.first_touch
    default = _default_hours(policy)
    due = add_working_time(assigned_at, sla.first_touch, rep=rep, default=default)
    return due, add_working_time(due, sla.first_touch, rep=rep, default=default)


def _start_watches(session: Session, *, policy: RoutingPolicy, now: datetime, roster: dict[int, RepFacts]) -> int:
    """A watch for each assignment (to a rep, of an open lead in an SLA tier) that has none yet."""
    open_stages = [s.value for s in OPEN_STAGES]
    query = (
        select(Assignment.id, Assignment.lead_id, Assignment.rep_id, Assignment.assigned_at, Lead.tier)
        .join(Lead, Lead.id == Assignment.lead_id)
        .outerjoin(SlaWatch, SlaWatch.assignment_id == Assignment.id)
        .where(SlaWatch.id.is_(None), Assignment.rep_id.is_not(None), Assignment.assigned_at >= now - LOOKBACK,
               Assignment.assigned_at <= now, Lead.owner_id == Assignment.rep_id, Lead.tier.in_(policy.sla.tiers()),
               Lead.stage.in_(open_stages))
    )
    rows = []
    for assignment_id, lead_id, rep_id, assigned_at, tier in session.execute(query):
        due, second = _deadlines(policy, tier=tier, assigned_at=assigned_at, rep=roster.get(rep_id))
        rows.append({"assignment_id": assignment_id, "lead_id": lead_id, "rep_id": rep_id, "tier": tier, "assigned_at": assigned_at,
                     "due_at": due, "second_due_at": second, "status": WATCHING, "updated_at": now})
    if rows:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # Another worker may start the same watches at the same moment: one row per assignment.
        session.execute(insert(SlaWatch).on_conflict_do_nothing(index_elements=["assignment_id"]), rows)
    return len(rows)


def _close_settled(session: Session, *, now: datetime) -> tuple[int, int]:
    """Watches whose lead was touched since the assignment (touched), or changed owner or closed (closed)."""
    open_stages = [s.value for s in OPEN_STAGES]
    live = select(SlaWatch.id, SlaWatch.assigned_at, Lead.last_contacted_at, Lead.owner_id, SlaWatch.rep_id, Lead.stage).join(
        Lead, Lead.id == SlaWatch.lead_id).where(SlaWatch.status.in_([WATCHING, NUDGED]))
    touched, closed = [], []
    for watch_id, assigned_at, contacted, owner_id, rep_id, stage in session.execute(live):
        if contacted is not None and contacted >= assigned_at:
            touched.append((watch_id, contacted))
        elif owner_id != rep_id or stage not in open_stages:
            closed.append(watch_id)
    for watch_id, contacted in touched:
        session.execute(update(SlaWatch).where(SlaWatch.id == watch_id, SlaWatch.status.in_([WATCHING, NUDGED]))
                        .values(status=TOUCHED, touched_at=contacted, updated_at=now))
    if closed:
        session.execute(update(SlaWatch).where(SlaWatch.id.in_(closed), SlaWatch.status.in_([WATCHING, NUDGED]))
                        .values(status=CLOSED, detail="the lead changed owner or closed", updated_at=now))
    return len(touched), len(closed)


def _claim(session: Session, watch_id: int, *, frm: str, to: str, now: datetime, **values: Any) -> bool:
    """Move a watch from `frm` to `to`; False when another worker already did."""
    result = session.execute(update(SlaWatch).where(SlaWatch.id == watch_id, SlaWatch.status == frm)
                             .values(status=to, updated_at=now, **values))
    return result.rowcount == 1


def _nudge_text(rep: RepFacts | None, watch: SlaWatch, policy: RoutingPolicy, now: datetime) -> str:
    sla = policy.sla.for_tier(watch.tier)
    hours = "working hours" if sla.clock == "working_hours" else "around the clock"
    who = rep.name if rep is not None else "the owner"
    return (f"first-touch SLA missed by {who}: {watch.tier} lead assigned {duration_text(now - watch.assigned_at)} ago, "
            f"due within {duration_text(sla.first_touch)} ({hours}) at {watch.due_at:%Y-%m-%d %H:%M} UTC; nudged — "
            f"reassigned at {watch.second_due_at:%Y-%m-%d %H:%M} UTC if still untouched")


def _nudge_due(db: Any, *, policy: RoutingPolicy, now: datetime, roster: dict[int, RepFacts], batch: int, run: SlaRun,
               notify: Callable[[dict[str, Any]], Any] | None) -> None:
    while True:
        sent: list[dict[str, Any]] = []
        with db.transaction() as session:
            due = session.scalars(select(SlaWatch).where(SlaWatch.status == WATCHING, SlaWatch.due_at <= now)
                                  .order_by(SlaWatch.due_at, SlaWatch.id).limit(batch)).all()
            for watch in due:
                rep = roster.get(watch.rep_id)
                text = _nudge_text(rep, watch, policy, now)
                if not _claim(session, watch.id, frm=WATCHING, to=NUDGED, now=now, nudged_at=now, detail=text):
                    continue
                record_change(session, lead_id=watch.lead_id, field="sla", old=None, new=f"nudged {rep.email if rep else watch.rep_id}",
                              reason=text, at=now, actor="sla")
                sent.append({"lead_id": watch.lead_id, "rep": rep.email if rep else None, "rep_name": rep.name if rep else None,
                             "slack_user_id": None, "text": text})
        run.nudged += sent
        for item in sent:  # after the commit, once: a crash here loses a DM, never doubles it
            if notify is not None:
                try:
                    notify(item)
                except Exception as error:  # Slack down: the nudge is recorded in the lead's history
                    log.warning("sla: could not deliver the nudge for lead %s: %s", item["lead_id"], error)
        if len(due) < batch:
            return


def _reassign_due(db: Any, *, policy: RoutingPolicy, now: datetime, roster: dict[int, RepFacts], run: SlaRun) -> None:
    with db.session() as session:
        ids = list(session.scalars(select(SlaWatch.id).where(SlaWatch.status == NUDGED, SlaWatch.second_due_at <= now)
                                   .order_by(SlaWatch.second_due_at, SlaWatch.id)))
    for watch_id in ids:
        try:
            _reassign_one(db, watch_id, policy=policy, now=now, roster=roster, run=run)
        except Exception as error:  # this lead cannot be routed now: say so once, do not retry it every tick
            log.warning("sla: could not reassign the lead of watch %s: %s", watch_id, error)
            with db.transaction() as session:
                session.execute(update(SlaWatch).where(SlaWatch.id == watch_id, SlaWatch.status == NUDGED)
                                .values(status=CLOSED, detail=f"could not reassign: {error}"[:2000], updated_at=now))


def _reassign_one(db: Any, watch_id: int, *, policy: RoutingPolicy, now: datetime, roster: dict[int, RepFacts], run: SlaRun) -> None:
    from leadpilot.tools.routing.router import assign_routed, route_lead
    from leadpilot.tools.routing.store import load_snapshot

    with db.transaction() as session:
        watch = session.get(SlaWatch, watch_id)
        rep = roster.get(watch.rep_id)
        missed = duration_text(now - watch.assigned_at)
        first = rep.first_name if rep is not None else "the owner"
        if not _claim(session, watch_id, frm=NUDGED, to=REASSIGNED, now=now, reassigned_at=now):
            return
        lead = session.get(Lead, watch.lead_id)
        if lead is None or lead.owner_id != watch.rep_id:
            session.execute(update(SlaWatch).where(SlaWatch.id == watch_id).values(status=CLOSED, detail="owner changed meanwhile"))
            return
        snapshot = load_snapshot(session, policy=policy, now=now, lock_pointers=True)
        snapshot.barred = {watch.rep_id: f"missed the first-touch SLA on this lead ({missed} without a touch)"}
        decision = route_lead(session, lead=lead.id, policy=policy, now=now, dry_run=True, snapshot=snapshot)
        decision.reason = f"SLA missed by {first} ({missed}); {decision.reason}"
        assign_routed(session, decision=decision, now=now, actor="sla")
        from leadpilot.tools.crm import queue_reassignment  # the CRM, email, webhooks hear of it: outbox, this transaction

        queue_reassignment(session, lead=lead, decision=decision, at=now)
        session.execute(update(SlaWatch).where(SlaWatch.id == watch_id).values(detail=decision.reason[:2000]))
        run.reassigned.append({"lead_id": lead.id, "from": rep.email if rep else None, "to": decision.owner,
                               "queue": decision.queue, "reason": decision.reason})

def watch_sla(db: Any, *, policy: RoutingPolicy, now: datetime, notify: Callable[[dict[str, Any]], Any] | None = None,
              batch: int = 10) -> SlaRun:
    """One pass of the SLA watch (see the module docstring). Safe to run from several workers at once."""
    run = SlaRun()
    if policy.sla is None or not policy.sla.tiers():
        return run
    from leadpilot.tools.routing.store import rep_rows

    with db.transaction() as session:
        roster = {rep.id: rep for rep in build_roster(rep_rows(session), policy).values()}
        run.started = _start_watches(session, policy=policy, now=now, roster=roster)
        run.touched, run.closed = _close_settled(session, now=now)
    _nudge_due(db, policy=policy, now=now, roster=roster, batch=batch, run=run, notify=notify)
    _reassign_due(db, policy=policy, now=now, roster=roster, run=run)
    if run.reassigned:  # the new owners' clocks start now
        with db.transaction() as session:
            run.started += _start_watches(session, policy=policy, now=now, roster=roster)
    return run
