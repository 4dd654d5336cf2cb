"""The steps a captured lead goes through: dedup → enrich → index → score → route → summarize →
follow up (task or nurture) → alert.

Each step has an optional `prepare` (or `prepare_many`, for the whole batch) that runs outside any
transaction (network: enrichment vendors, the embedder, the LLM; reads that need no lock), an
optional `begin` that runs once per batch inside the worker's transaction (what the batch's leads
share: a routing snapshot, one re-score), and an `apply` per lead, inside the lead's savepoint,
where its writes and its checkpoint commit together. `apply` finds what `begin` returned in
`ctx.batch`, and must work without it (None: the batch is being run lead by lead). A step whose
service is down falls back instead of failing the lead: enrichment down → scored on rules; vector
store down → indexed by the next catch-up; semantic index down → scored without the semantic
category; LLM down → template summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Lead, Rep
from leadpilot.memory.pipeline import FollowUpTask, NurtureEnrollment
from leadpilot.memory.vocab import Stage
from leadpilot.tools.leads import find_matches, probe_for_lead
from leadpilot.tools.scoring import rescore_leads, top_reasons

log = logging.getLogger(__name__)

# Canonical fields an enrichment may fill when the lead left them empty, and the confidence it needs.
_FILLABLE = ("industry", "company_size", "website", "country", "state", "city")
_FILL_CONFIDENCE = 0.8
_ANSWERED = {"hit", "no_match", "cache_hit", "cache_miss", "skipped_budget"}  # provider attempts that did not fail


@dataclass
class StepResult:
    outcome: str  # ok | fallback | skipped
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failed:
    """What `prepare` raised, handed to `apply` so the step can fall back."""

    error: BaseException

    def __str__(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


@dataclass
class StepContext:
    """What every step may use; built once per worker."""

    db: Any
    settings: Any
    scoring_policy: Callable[[], Any]
    routing_policy: Callable[[], Any]
    pipeline_policy: Callable[[], Any]
    waterfall: Any = None
    semantic_index: Callable[[], Any] | None = None  # lazily built; raises when the store is down; None = off
    summarize: Callable[..., Any] | None = None
    batch: Any = None  # what the step's `begin` loaded for the batch being applied (a per-batch copy)


@dataclass(frozen=True)
class Step:
    name: str
    apply: Callable[[Session, StepContext, int, Any, datetime], StepResult]
    prepare: Callable[[StepContext, int, datetime], Any] | None = None
    # For a whole batch at once (one embedding call); returns lead id -> what `prepare` would.
    prepare_many: Callable[[StepContext, list[int], datetime], dict[int, Any]] | None = None
    # Once per batch, inside the transaction before the leads' applies; its value is `ctx.batch`.
    begin: Callable[[Session, StepContext, list[int], datetime], Any] | None = None
    writes: bool = True  # False: `apply` only reports what was prepared (no savepoint, no early write lock)


def _outbox(session: Session, ctx: StepContext, lead_id: int, step: str, data: dict[str, Any], now: datetime) -> None:
    """Queue what this decision owes the CRMs, email and webhooks (tools/crm) in the step's own transaction."""
    from leadpilot.tools.crm import queue_decision

    queue_decision(session, settings=ctx.settings, lead=_lead(session, lead_id), step=step, data=data, at=now)


def _lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(f"lead {lead_id} no longer exists")
    return lead


# -- dedup ------------------------------------------------------------------------------------


def _dedup_prepare_many(ctx: StepContext, lead_ids: list[int], now: datetime) -> dict[int, Any]:
    """The possible duplicates of each lead, read before the transaction (advice, not a write)."""
    found: dict[int, Any] = {}
    with ctx.db.session() as session:
        for lead in session.scalars(select(Lead).where(Lead.id.in_(lead_ids))):
            probe = probe_for_lead(lead)
            found[lead.id] = [m for m in find_matches(session, probe=probe, min_confidence=0.6, limit=5) if m.lead_id != lead.id]
    return found


def _dedup(session: Session, ctx: StepContext, lead_id: int, matches: Any, now: datetime) -> StepResult:
    if isinstance(matches, Failed):
        raise matches.error  # no fallback: retried
    if matches is None:
        raise LookupError(f"lead {lead_id} no longer exists")
    if not matches:
        return StepResult("ok", "no other lead matches this one", {"possible_duplicates": []})
    found = [{"lead_id": m.lead_id, "company": m.company, "confidence": round(m.confidence, 2), "matched": m.matched,
              "relation": m.relation, "is_customer": m.is_customer} for m in matches]
    best = matches[0]
    what = "existing customer" if best.is_customer else "lead"
    return StepResult("ok", f"possible duplicate of {what} {best.lead_id} ({best.company}; {best.confidence:.2f}, "
                            f"matched on {', '.join(best.matched)}) — kept separate for review, routing uses the account",
                      {"possible_duplicates": found})


# -- enrich -----------------------------------------------------------------------------------


def _enrich_prepare(ctx: StepContext, lead_id: int, now: datetime) -> dict[str, Any]:
    from leadpilot.tools.enrichment import enrich_lead

    return enrich_lead(ctx.db, lead_id=lead_id, now=now, waterfall=ctx.waterfall,
                       credit_cap=ctx.settings.enrichment_credit_cap)


def _enrich_apply(session: Session, ctx: StepContext, lead_id: int, data: Any, now: datetime) -> StepResult:
    if isinstance(data, Failed):
        _outbox(session, ctx, lead_id, "enrich", {}, now)
        return StepResult("fallback", f"enrichment unavailable ({data}); scoring on the lead's own fields", {"error": str(data)})
    lead = _lead(session, lead_id)
    stored = {key: value for key, value in data.items() if key not in ("target", "lead_id")}
    lead.enrichment = {"at": now.isoformat(), **stored}
    filled = []
    for name in _FILLABLE:
        item = data.get("fields", {}).get(name)
        if getattr(lead, name) in (None, "") and item and item.get("confidence", 0) >= _FILL_CONFIDENCE:
            value = item["value"]
            if name == "company_size":
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            setattr(lead, name, value)
            filled.append(f"{name}={value} ({item.get('source')})")
    lead.updated_at = now
    attempts = data.get("attempts", [])
    failed = [a for a in attempts if a.get("outcome") not in _ANSWERED]
    sources = sorted({item.get("source", "?") for item in data.get("fields", {}).values()})
    message = f"{len(data.get('fields', {}))} fields from {', '.join(sources) or 'nothing'}"
    if filled:
        message += "; filled " + ", ".join(filled)
    _outbox(session, ctx, lead_id, "enrich", {}, now)
    if attempts and len(failed) == len(attempts):
        why = ", ".join(sorted({f"{a.get('provider')}: {a.get('outcome')}" for a in failed}))
        return StepResult("fallback", message + f"; every provider failed ({why}) — scored on the lead's own fields",
                          {"filled": filled})
    return StepResult("ok", message, {"filled": filled})


# -- index (semantic search) ------------------------------------------------------------------


def _index_prepare(ctx: StepContext, lead_id: int, now: datetime) -> str:
    from leadpilot.tools.semantic import index_leads

    if ctx.semantic_index is None:
        return "semantic search is off"
    report = index_leads(ctx.db, ctx.semantic_index(), [lead_id])
    if report.errors or report.pending:
        raise RuntimeError("; ".join(report.errors) or "the vector store did not take the lead")
    return "embedded and indexed" if report.embedded else "already indexed, unchanged"


def _index_prepare_many(ctx: StepContext, lead_ids: list[int], now: datetime) -> dict[int, Any]:
    from leadpilot.tools.semantic import index_leads

    if ctx.semantic_index is None:
        return {lead_id: "semantic search is off" for lead_id in lead_ids}
    report = index_leads(ctx.db, ctx.semantic_index(), lead_ids)
    if report.errors or report.pending:
        raise RuntimeError("; ".join(report.errors) or "the vector store did not take the leads")
    return {lead_id: f"indexed with its batch of {len(lead_ids)}" for lead_id in lead_ids}


def _index_apply(session: Session, ctx: StepContext, lead_id: int, done: Any, now: datetime) -> StepResult:
    if isinstance(done, Failed):
        return StepResult("fallback", f"vector store unavailable ({done}); the next catch-up indexes it", {})
    return StepResult("ok", str(done))


# -- score ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scored:
    policy: Any
    semantic_problem: str | None  # why the semantic category is left out, when it is


def _score_begin(session: Session, ctx: StepContext, lead_ids: list[int], now: datetime) -> _Scored:
    """Score the batch in one go (one read of the closed accounts the semantic category compares with)."""
    from leadpilot.tools.scoring import open_scoring_index

    policy = ctx.scoring_policy()
    category = policy.categories.semantic_in_force
    if ctx.semantic_index is None:
        index, problem = None, "semantic search is off" if category is not None else None
    else:
        index, problem = open_scoring_index(ctx.db, category=category, settings=ctx.settings)
    report = rescore_leads(session, policy=policy, now=now, lead_ids=sorted(lead_ids), actor="pipeline", semantic=index)
    return _Scored(policy, problem or report.semantic_problem)


def _score(session: Session, ctx: StepContext, lead_id: int, _: Any, now: datetime) -> StepResult:
    scored: _Scored = ctx.batch if ctx.batch is not None else _score_begin(session, ctx, [lead_id], now)
    lead = _lead(session, lead_id)
    reasons = top_reasons(lead.score_breakdown)
    message = f"score {lead.score} ({lead.tier}): " + "; ".join(reasons)
    data = {"score": lead.score, "tier": lead.tier, "reasons": reasons, "policy_version": scored.policy.version}
    if scored.semantic_problem and "semantic" not in (lead.score_breakdown or {}).get("categories", {}):
        message += f" (no semantic category: {scored.semantic_problem})"
        data["semantic_problem"] = scored.semantic_problem
    _outbox(session, ctx, lead_id, "score", data, now)
    return StepResult("ok", message, data)


# -- route ------------------------------------------------------------------------------------


def _route_begin(session: Session, ctx: StepContext, lead_ids: list[int], now: datetime) -> tuple[Any, Any, Any]:
    """The policy, one snapshot of the roster (pool pointers locked until the commit) and the
    account owners the batch's leads can match, read once for the batch."""
    from leadpilot.tools.routing import AccountIndex, account_stages, lead_facts, load_snapshot

    policy = ctx.routing_policy()
    matching = policy.account_matching
    accounts = (AccountIndex.for_leads(session, lead_facts(session, lead_ids=lead_ids), match_on=matching.match_on,
                                       stages=account_stages(matching))
                if matching.enabled else None)
    return policy, load_snapshot(session, policy=policy, now=now, lock_pointers=True), accounts


def _route(session: Session, ctx: StepContext, lead_id: int, _: Any, now: datetime) -> StepResult:
    from leadpilot.tools.routing import route_lead

    lead = _lead(session, lead_id)
    if lead.owner_id is not None:
        owner = session.get(Rep, lead.owner_id)
        return StepResult("skipped", f"already owned by {owner.name if owner else lead.owner_id} (given with the lead)",
                          {"owner": owner.email if owner else None})
    policy, snapshot, accounts = ctx.batch if ctx.batch is not None else (ctx.routing_policy(), None, None)
    decision = route_lead(session, lead=lead_id, policy=policy, now=now, dry_run=False, actor="pipeline", snapshot=snapshot,
                          accounts=accounts)
    data = {"owner": decision.owner, "owner_name": decision.owner_name, "queue": decision.queue, "rule": decision.rule,
            "reason": decision.reason, "candidates": len(decision.candidates), "policy_version": decision.policy_version}
    outcome = "ok" if decision.owner else "fallback"
    _outbox(session, ctx, lead_id, "route", data, now)
    return StepResult(outcome, f"{decision.headline()} — {decision.reason}", data)


# -- summarize --------------------------------------------------------------------------------


def _summarize_prepare(ctx: StepContext, lead_id: int, now: datetime) -> Any:
    if ctx.summarize is None:
        raise RuntimeError("no summarizer configured")
    return ctx.summarize(ctx.db, lead_id=lead_id, now=now, settings=ctx.settings)


def _summarize_apply(session: Session, ctx: StepContext, lead_id: int, summary: Any, now: datetime) -> StepResult:
    if isinstance(summary, Failed):
        return StepResult("fallback", f"no summary ({summary})", {"bullets": []})
    data = summary.model_dump(mode="json") if hasattr(summary, "model_dump") else dict(summary)
    if data.get("conversion_probability") is not None:  # the new lead's prediction, as `leadpilot train` records them
        _lead(session, lead_id).conversion_probability = data["conversion_probability"]
    _outbox(session, ctx, lead_id, "summarize", data, now)
    how = data.get("source", "template")
    if data.get("fallback_reason"):
        return StepResult("fallback", f"template summary: the LLM failed ({data['fallback_reason']})", data)
    return StepResult("ok", f"{len(data.get('bullets', []))} bullets ({how})", data)


# -- follow up: task for hot and warm, nurture for cold; the lifecycle stage ------------------


def _owner_tz_note(lead: Lead) -> str:
    return f" for {lead.owner.name}" if lead.owner else " (unassigned: for the queue)"


def _follow_up(session: Session, ctx: StepContext, lead_id: int, _: Any, now: datetime) -> StepResult:
    policy = ctx.batch if ctx.batch is not None else ctx.pipeline_policy()
    lead = _lead(session, lead_id)
    data: dict[str, Any] = {"tier": lead.tier}
    notes = []
    if lead.stage == Stage.DISCOVERY.value:
        from leadpilot.memory.leads import set_stage

        set_stage(session, lead=lead, stage=Stage.LEAD, reason="captured inbound (form or API)", at=now, actor="pipeline")
        notes.append("stage DISCOVERY → LEAD")
    if lead.tier in ("hot", "warm"):
        rules = policy.hot if lead.tier == "hot" else policy.warm
        due = now + (timedelta(minutes=policy.hot.due_within_minutes) if lead.tier == "hot" else timedelta(hours=policy.warm.due_within_hours))
        task = FollowUpTask(lead_id=lead_id, rep_id=lead.owner_id, kind=rules.task, due_at=due, status="open", created_at=now,
                            reason=f"new {lead.tier} lead (score {lead.score}): {rules.task} by {due:%Y-%m-%d %H:%M} UTC",
                            created_by="pipeline")
        session.add(task)
        session.flush()
        data.update(task_id=task.id, task=rules.task, due_at=due.isoformat())
        notes.append(f"{rules.task} task{_owner_tz_note(lead)} due {due:%Y-%m-%d %H:%M} UTC")
    elif policy.cold.nurture:
        sequence = policy.nurture_sequences[policy.cold.nurture]
        existing = session.scalar(select(NurtureEnrollment).where(NurtureEnrollment.lead_id == lead_id))
        if existing is None:
            first = now + timedelta(days=sequence.steps[0].after_days)
            session.add(NurtureEnrollment(lead_id=lead_id, sequence=policy.cold.nurture, next_step=0, next_touch_at=first,
                                          status="active", enrolled_at=now, updated_at=now))
            notes.append(f"enrolled in nurture '{policy.cold.nurture}' ({len(sequence.steps)} emails, first {first:%Y-%m-%d})")
        else:
            notes.append(f"already in nurture '{existing.sequence}'")
        data["nurture"] = policy.cold.nurture
    else:
        notes.append("cold: no nurture sequence configured")
    _outbox(session, ctx, lead_id, "follow_up", data, now)
    return StepResult("ok", "; ".join(notes), data)


STEPS: tuple[Step, ...] = (
    Step("dedup", _dedup, prepare_many=_dedup_prepare_many, writes=False),
    Step("enrich", _enrich_apply, _enrich_prepare),
    Step("index", _index_apply, _index_prepare, _index_prepare_many, writes=False),
    Step("score", _score, begin=_score_begin),
    Step("route", _route, begin=_route_begin),
    Step("summarize", _summarize_apply, _summarize_prepare),  # writes the lead's conversion probability
    Step("follow_up", _follow_up, begin=lambda _session, ctx, _lead_ids, _now: ctx.pipeline_policy()),  # read once
)
STEP_NAMES = tuple(step.name for step in STEPS) + ("alert",)
