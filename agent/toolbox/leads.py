"""The agent's tools: typed functions whose schemas come from their types.

Each tool reads its deps from the run context, calls a read-only capability in tools/, and
returns (content for the model, artifact for the interfaces). The content is compact JSON (the
model does not need 1,000 rows to write two sentences); the artifact is the full result.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from langchain.tools import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.tools.leads import LeadFilter
from leadpilot.tools.routing import PoolMembership
from leadpilot.tools.leads import (
    AggregateLeads,
    GroupKey,
    Metric,
    SearchLeads,
    SortKey,
    aggregate_leads,
    get_lead_profile,
    search_leads,
)

_MODEL_ROWS = 20  # leads shown to the model per result
_COMPACT_FIELDS = ("id", "company", "contact_name", "industry", "city", "country", "tier", "score", "owner", "last_contacted_at")


def _json(data: Any) -> str:
    return json.dumps(data, default=str, ensure_ascii=False)


@tool("search_leads", response_format="content_and_artifact")
def search_leads_tool(
    runtime: ToolRuntime[AgentDeps],
    filter: LeadFilter | None = None,
    sort_by: SortKey = "score",
    descending: bool = True,
    limit: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """Find leads matching a filter (tier, industry, place, size, source, stage, owner, score,
    created/contacted windows, activity). Sorted by `sort_by`; `limit` for a top N."""
    deps = runtime.context
    query = SearchLeads(filter=filter or LeadFilter(), sort_by=sort_by, descending=descending, limit=limit)
    with deps.read() as session:
        result = search_leads(session, query=query, viewer=deps.viewer, now=deps.now, row_cap=deps.settings.query_row_cap)
    content = {
        "total": result.total,
        "shown": min(len(result.leads), _MODEL_ROWS),
        "limit": limit,
        "sort_by": sort_by,
        "filters_applied": result.filters_applied,
        "problems": result.problems,
        "leads": [{k: lead[k] for k in _COMPACT_FIELDS} for lead in result.leads[:_MODEL_ROWS]],
    }
    # The lead rows are JSON-ready already: passed on as they are, not copied by a second dump.
    return _json(content), {"kind": "search", **result.model_dump(mode="json", exclude={"leads"}), "leads": result.leads}


@tool("aggregate_leads", response_format="content_and_artifact")
def aggregate_leads_tool(
    runtime: ToolRuntime[AgentDeps],
    filter: LeadFilter | None = None,
    group_by: GroupKey | None = None,
    metric: Metric = "count",
) -> tuple[str, dict[str, Any]]:
    """Count leads, or compute conversion rate (won / closed) or average score, grouped by one
    field (tier, industry, source, owner, stage, country, state, city, month, segment) or in total."""
    deps = runtime.context
    query = AggregateLeads(filter=filter or LeadFilter(), group_by=group_by, metric=metric)
    with deps.read() as session:
        result = aggregate_leads(session, query=query, viewer=deps.viewer, now=deps.now, row_cap=deps.settings.query_row_cap)
    return _json(result.model_dump(mode="json")), {"kind": "aggregate", **result.model_dump(mode="json")}


@tool("get_lead", response_format="content_and_artifact")
def get_lead_tool(runtime: ToolRuntime[AgentDeps], lead_id: int) -> tuple[str, dict[str, Any]]:
    """One lead's full profile: contact, company, activities, score breakdown, assignments."""
    deps = runtime.context
    with deps.read() as session:
        profile = get_lead_profile(session, lead_id=lead_id, viewer=deps.viewer)
    if profile is None:
        content = {"error": f"No lead {lead_id} that you can see."}
        return _json(content), {"kind": "lead", "lead": None, "problems": [content["error"]]}
    # Notes are lead data, quoted as such so they cannot pass for instructions.
    shown = {**profile, "notes": {"untrusted_text_from_lead_record": profile.get("notes")}}
    return _json(shown), {"kind": "lead", "lead": profile}


READ_TOOLS = (search_leads_tool, aggregate_leads_tool, get_lead_tool)


def tool_names() -> list[str]:
    return [t.name for t in READ_TOOLS]


def _visible(deps: AgentDeps, session, lead_id: int) -> bool:
    from sqlalchemy import select

    from leadpilot.memory.models import Lead
    from leadpilot.tools.leads import visibility_condition

    return session.scalar(select(Lead.id).where(Lead.id == lead_id, visibility_condition(deps.viewer))) is not None


def _resolve(deps: AgentDeps, session, lead_id: int | None, company: str | None) -> int | None:
    """A lead id, or the best-scored lead the viewer can see at `company`."""
    from sqlalchemy import func, select

    from leadpilot.memory.models import Lead
    from leadpilot.tools.leads import visibility_condition

    if lead_id is not None:
        return lead_id
    if not company:
        return None
    query = (
        select(Lead.id)
        .where(func.lower(Lead.company) == company.strip().lower(), visibility_condition(deps.viewer))
        .order_by(Lead.score.is_(None), Lead.score.desc(), Lead.id)
        .limit(1)
    )
    return session.scalar(query)


def _not_visible(lead_id: int | None) -> tuple[str, dict[str, Any]]:
    message = f"No lead {lead_id} that you can see." if lead_id is not None else "No such lead that you can see."
    return _json({"error": message}), {"kind": "error", "problems": [message]}


@tool("explain_score", response_format="content_and_artifact")
def explain_score_tool(runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None) -> tuple[str, dict[str, Any]]:
    """Why a lead (by id, or the best-scored lead at a company) has its score and tier: points per
    category under the scoring policy, and the history of score and tier changes with reasons."""
    from dataclasses import asdict

    from leadpilot.tools.scoring import explain_score

    deps = runtime.context
    with deps.read() as session:
        lead_id = _resolve(deps, session, lead_id, company)
        if lead_id is None or not _visible(deps, session, lead_id):
            return _not_visible(lead_id)
        explanation = asdict(explain_score(session, lead_id=lead_id))
    explanation.pop("breakdown", None)
    return _json(explanation), {"kind": "score", **json.loads(_json(explanation))}


@tool("predict_conversion", response_format="content_and_artifact")
def predict_conversion_tool(runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None) -> tuple[str, dict[str, Any]]:
    """The conversion model's prediction for a lead: probability, confidence, factors raising and
    lowering it, risks, recommended next actions, priority tier and time to close."""
    from leadpilot.tools.prediction import ModelNotFoundError, load_latest_model
    from leadpilot.tools.prediction import predict_lead

    deps = runtime.context
    try:
        model = load_latest_model(deps.db, deps.settings.data_dir)
    except ModelNotFoundError as error:
        message = str(error)
        return _json({"error": message}), {"kind": "error", "problems": [message]}
    with deps.read() as session:
        lead_id = _resolve(deps, session, lead_id, company)
        if lead_id is None or not _visible(deps, session, lead_id):
            return _not_visible(lead_id)
        prediction = predict_lead(session, lead_id=lead_id, model=model, now=deps.now, record=False).to_dict()
    return _json(prediction), {"kind": "prediction", **json.loads(_json(prediction))}


@tool("enrich", response_format="content_and_artifact")
def enrich_tool(runtime: ToolRuntime[AgentDeps], target: str) -> tuple[str, dict[str, Any]]:
    """Enrich an email address, a domain/website or a lead ("lead 42") with offline enrichers:
    email type, phone in E.164, company name, seniority and department, industry, location, and
    whether the company is already an account or customer. Each field names its source."""
    from leadpilot.tools.enrichment import enrich_target

    deps = runtime.context
    try:
        result = enrich_target(deps.db, target=target, now=deps.now)
    except LookupError as error:
        return _json({"error": str(error)}), {"kind": "error", "problems": [str(error)]}
    if result.get("lead_id") is not None:
        with deps.read() as session:
            if not _visible(deps, session, result["lead_id"]):
                return _not_visible(result["lead_id"])
    return _json(result), {"kind": "enrichment", **json.loads(_json(result))}


@tool("find_duplicates", response_format="content_and_artifact")
def find_duplicates_tool(runtime: ToolRuntime[AgentDeps], query: str | None = None, lead_id: int | None = None) -> tuple[str, dict[str, Any]]:
    """Leads that duplicate a lead, or that match a company name, email or domain, with a
    confidence and the fields that matched; existing customers are marked."""
    from leadpilot.tools.enrichment import find_duplicates_of

    deps = runtime.context
    try:
        result = find_duplicates_of(deps.db, query=query, lead_id=lead_id)
    except (LookupError, TypeError) as error:
        return _json({"error": str(error)}), {"kind": "error", "problems": [str(error)]}
    with deps.read() as session:
        result["matches"] = [m for m in result["matches"] if _visible(deps, session, m["lead_id"])]
    return _json(result), {"kind": "duplicates", **json.loads(_json(result))}


READ_TOOLS = (*READ_TOOLS, explain_score_tool, predict_conversion_tool, enrich_tool, find_duplicates_tool)


def _routing_policy(deps: AgentDeps):
    from leadpilot.tools.routing import policy_in_force

    return policy_in_force(deps.settings.routing_policy)


def _error(kind: str, message: str) -> tuple[str, dict[str, Any]]:
    return _json({"error": message}), {"kind": kind, "error": message, "problems": [message]}


@tool("suggest_owner", response_format="content_and_artifact")
def suggest_owner_tool(runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None) -> tuple[str, dict[str, Any]]:
    """Who should take a lead, and why: a dry run of the routing policy (nothing is assigned), with
    the rule that matched, every candidate considered and why the winner won. Name the lead by id or company."""
    from leadpilot.tools.routing import RoutingInputError, suggest_owner

    deps = runtime.context
    with deps.read() as session:
        if not deps.viewer.sees_everything:
            resolved = _resolve(deps, session, lead_id, company)
            if resolved is None or not _visible(deps, session, resolved):
                return _not_visible(lead_id)
        try:
            result = suggest_owner(session, policy=_routing_policy(deps), now=deps.now, lead_id=lead_id, company=company)
        except RoutingInputError as error:
            return _error("routing", str(error))
    shown = {k: result.get(k) for k in ("lead_id", "company", "current_owner", "owner_name", "queue", "rule", "answer")}
    return _json(shown), {"kind": "routing", **json.loads(_json(result))}


@tool("explain_assignment", response_format="content_and_artifact")
def explain_assignment_tool(runtime: ToolRuntime[AgentDeps], lead_id: int, rep: str | None = None) -> tuple[str, dict[str, Any]]:
    """Why does this rep have this lead? The recorded rule, reason, candidates and owner history."""
    from leadpilot.tools.routing import RoutingInputError, explain_assignment

    deps = runtime.context
    with deps.read() as session:
        if not _visible(deps, session, lead_id):
            return _not_visible(lead_id)
        try:
            result = explain_assignment(session, lead_id=lead_id, rep=rep)
        except RoutingInputError as error:
            return _error("routing_explain", str(error))
    return _json({"answer": result["answer"], "owner": result.get("owner")}), {"kind": "routing_explain", **json.loads(_json(result))}


@tool("routing_what_if", response_format="content_and_artifact")
def routing_what_if_tool(
    runtime: ToolRuntime[AgentDeps],
    out: list[str] | None = None,
    day: str = "tomorrow",
    add_to_pool: list[PoolMembership] | None = None,
    remove_from_pool: list[PoolMembership] | None = None,
    lead_ids: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """What if reps are out on a day ("tomorrow", "monday", "2026-12-01") or pools change? Re-routes the
    open unassigned leads (or lead_ids) and reports who would get what, load per rep before and after,
    and fairness. Nothing is assigned."""
    from leadpilot.tools.routing import RoutingInputError, routing_what_if

    deps = runtime.context
    if not deps.viewer.sees_everything:
        return _error("routing_what_if", "What-if routing is for managers and admins.")
    with deps.read() as session:
        try:
            result = routing_what_if(
                session, policy=_routing_policy(deps), now=deps.now, out=out or [], day=day,
                add_to_pool=add_to_pool or [], remove_from_pool=remove_from_pool or [], lead_ids=lead_ids,
            )
        except RoutingInputError as error:
            return _error("routing_what_if", str(error))
    shown = {"answer": result["answer"], "moved": result["moved"], "fairness": result["fairness"]}
    return _json(shown), {"kind": "routing_what_if", **json.loads(_json(result))}


READ_TOOLS = (*READ_TOOLS, suggest_owner_tool, explain_assignment_tool, routing_what_if_tool)


def _semantic(deps: AgentDeps, run) -> tuple[str, dict[str, Any]]:
    """Open the index, index what changed since the last query, run `run(session, index)`."""
    from leadpilot.memory.vectors import VectorStoreError
    from leadpilot.tools.semantic import catch_up, semantic_index

    try:
        index = semantic_index(deps.db, deps.settings)
        problems = catch_up(deps.db, index)
        with deps.read() as session:
            result = run(session, index)
    except VectorStoreError as error:
        return _json({"error": str(error)}), {"kind": "search", "leads": [], "total": 0, "filters_applied": [], "problems": [str(error)]}
    result.problems[:0] = problems
    data = json.loads(_json(result.model_dump(mode="json")))
    data["total"] = len(data["leads"])
    shown = {**data, "leads": [{k: lead.get(k) for k in (*_COMPACT_FIELDS, "similarity")} for lead in data["leads"][:_MODEL_ROWS]]}
    return _json(shown), {"kind": "search", **data}


@tool("semantic_search_leads", response_format="content_and_artifact")
def semantic_search_leads_tool(
    runtime: ToolRuntime[AgentDeps], text: str, filter: LeadFilter | None = None, limit: int = 10
) -> tuple[str, dict[str, Any]]:
    """Find leads by what their notes, company, title and website say ("looking at card issuing",
    "need fleet tracking"), within any structured filter. Most similar first."""
    from leadpilot.tools.semantic import semantic_search_leads

    deps = runtime.context
    return _semantic(deps, lambda session, index: semantic_search_leads(
        session, index=index, text=text, filter=filter, viewer=deps.viewer, now=deps.now, limit=limit))


@tool("similar_leads", response_format="content_and_artifact")
def similar_leads_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None,
    filter: LeadFilter | None = None, limit: int = 10,
) -> tuple[str, dict[str, Any]]:
    """Leads most like a given lead or company ("companies like Stripe"), within any structured filter."""
    from leadpilot.tools.semantic import similar_leads

    deps = runtime.context
    return _semantic(deps, lambda session, index: similar_leads(
        session, index=index, lead_id=lead_id, company=company, filter=filter, viewer=deps.viewer, now=deps.now, limit=limit))


READ_TOOLS = (*READ_TOOLS, semantic_search_leads_tool, similar_leads_tool)


# --- analytics (rows with a name column and number columns) and follow-ups --------------------

_ANALYTICS_SHOWN = ("report", "group_by", "metric", "definitions", "based_on", "filters_applied", "problems")


def _analytics(deps: AgentDeps, run) -> tuple[str, dict[str, Any]]:
    """Run a report from tools/analytics/reports.py in a read-only session; rows go to the interfaces as an aggregate."""
    with deps.read() as session:
        data = run(session).model_dump(mode="json")
    shown = {**{k: data[k] for k in _ANALYTICS_SHOWN}, "rows": data["rows"][:_MODEL_ROWS + 10]}
    return _json(shown), {"kind": "aggregate", **data}


@tool("lead_volume", response_format="content_and_artifact")
def lead_volume_tool(
    runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None, by: Literal["source", "month", "source_by_month"] = "source"
) -> tuple[str, dict[str, Any]]:
    """New lead volume by source (count and share), by month, or by month and source. Put the period in
    `filter` (created_after / created_before / created_within_days, e.g. this quarter)."""
    from leadpilot.tools.analytics import lead_volume

    deps = runtime.context
    return _analytics(deps, lambda s: lead_volume(s, lead_filter=filter, by=by, viewer=deps.viewer, now=deps.now, row_cap=deps.settings.query_row_cap))


@tool("conversion_by_tier", response_format="content_and_artifact")
def conversion_by_tier_tool(runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None) -> tuple[str, dict[str, Any]]:
    """Conversion rate (won / closed) per score tier, with won, lost, open and total leads."""
    from leadpilot.tools.analytics import conversion_by_tier

    deps = runtime.context
    return _analytics(deps, lambda s: conversion_by_tier(s, lead_filter=filter, viewer=deps.viewer, now=deps.now))


@tool("time_to_first_contact", response_format="content_and_artifact")
def time_to_first_contact_tool(
    runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None, by: Literal["rep", "source"] = "rep"
) -> tuple[str, dict[str, Any]]:
    """Median and p90 hours from a lead's creation to its first outbound contact, by rep or by source."""
    from leadpilot.tools.analytics import time_to_first_contact

    deps = runtime.context
    return _analytics(deps, lambda s: time_to_first_contact(s, lead_filter=filter, by=by, viewer=deps.viewer, now=deps.now))


@tool("rep_performance", response_format="content_and_artifact")
def rep_performance_tool(runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None) -> tuple[str, dict[str, Any]]:
    """Per rep: conversion rate, leads owned, contacted, won, lost, open pipeline and median hours to
    first contact. One rep: filter.owner."""
    from leadpilot.tools.analytics import rep_performance

    deps = runtime.context
    return _analytics(deps, lambda s: rep_performance(s, lead_filter=filter, viewer=deps.viewer, now=deps.now))


@tool("score_distribution", response_format="content_and_artifact")
def score_distribution_tool(
    runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None, bucket_size: Literal[5, 10, 20, 25] = 10
) -> tuple[str, dict[str, Any]]:
    """A histogram of lead scores in buckets of `bucket_size` points, split by tier."""
    from leadpilot.tools.analytics import score_distribution

    deps = runtime.context
    return _analytics(deps, lambda s: score_distribution(s, lead_filter=filter, bucket_size=bucket_size, viewer=deps.viewer, now=deps.now))


@tool("source_attribution", response_format="content_and_artifact")
def source_attribution_tool(runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None) -> tuple[str, dict[str, Any]]:
    """First-touch (original source) vs last-touch (channel of the last inbound touch before
    conversion) attribution over converted leads: counts and shares per channel."""
    from leadpilot.tools.analytics import source_attribution

    deps = runtime.context
    return _analytics(deps, lambda s: source_attribution(s, lead_filter=filter, viewer=deps.viewer, now=deps.now))


def _followup_policy(deps: AgentDeps):
    from leadpilot.tools.followups import policy_in_force

    return policy_in_force(deps.settings.followup_policy)


def _viewer_zone(deps: AgentDeps, session) -> str | None:
    from leadpilot.memory.models import Rep

    rep = session.get(Rep, deps.viewer.rep_id) if deps.viewer.rep_id is not None else None
    return rep.timezone if rep is not None else None


@tool("best_time_to_contact", response_format="content_and_artifact")
def best_time_to_contact_tool(runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None) -> tuple[str, dict[str, Any]]:
    """The best time to reach a lead (by id, or the best-scored lead at a company): a weekly window in
    the lead's local time and in yours, why (its engagement history, or its industry's default), the
    confidence and the next time the window opens."""
    from leadpilot.memory.models import Lead
    from leadpilot.tools.followups import best_time_for_lead
    from leadpilot.tools.followups import FollowUpPolicyError
    from leadpilot.tools.leads import lead_row

    deps = runtime.context
    try:
        policy = _followup_policy(deps)
    except FollowUpPolicyError as error:
        return _error("best_time", str(error))
    with deps.read() as session:
        lead_id = _resolve(deps, session, lead_id, company)
        if lead_id is None or not _visible(deps, session, lead_id):
            return _not_visible(lead_id)
        lead = session.get(Lead, lead_id)
        best = best_time_for_lead(session, lead=lead, policy=policy, now=deps.now, viewer_zone=_viewer_zone(deps, session))
        row = lead_row(lead)
    data = best.model_dump(mode="json")
    return _json(data), {"kind": "lead", "lead": {**row, "best_time": data}, "best_time": data}


@tool("follow_ups_due", response_format="content_and_artifact")
def follow_ups_due_tool(
    runtime: ToolRuntime[AgentDeps], day: str = "today", filter: LeadFilter | None = None, limit: int | None = None
) -> tuple[str, dict[str, Any]]:
    """Who to call or follow up with on a day ("today", "tomorrow", a weekday, YYYY-MM-DD): open hot and
    warm leads not contacted within their tier's cadence whose best-time window falls that day, ranked,
    each with the reason and a suggested time. A rep gets their own; managers everyone's, or one rep's
    with filter.owner; `filter` narrows further."""
    from leadpilot.tools.followups import FollowUpPolicyError
    from leadpilot.tools.followups import FollowUpError, FollowUpQuery, follow_ups_due

    deps = runtime.context
    try:
        query = FollowUpQuery(day=day, filter=filter or LeadFilter(), limit=limit)
        policy = _followup_policy(deps)
        with deps.read() as session:
            result = follow_ups_due(session, query=query, viewer=deps.viewer, now=deps.now, policy=policy, row_cap=deps.settings.query_row_cap)
    except (FollowUpError, FollowUpPolicyError, ValueError) as error:
        return _error("follow_ups", str(error))
    data = result.model_dump(mode="json")
    compact = [{**{k: lead[k] for k in ("id", "company", "tier", "score", "owner")}, **{k: lead["follow_up"][k] for k in ("reason", "suggested_time", "why_this_time")}}
               for lead in data["leads"][:_MODEL_ROWS]]
    shown = {k: data[k] for k in ("total", "day", "not_today", "filters_applied", "problems")} | {"leads": compact}
    return _json(shown), {"kind": "search", **data}


READ_TOOLS = (
    *READ_TOOLS, lead_volume_tool, conversion_by_tier_tool, time_to_first_contact_tool, rep_performance_tool,
    score_distribution_tool, source_attribution_tool, best_time_to_contact_tool, follow_ups_due_tool,
)
