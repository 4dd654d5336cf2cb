"""Tools over the lead list: search it, aggregate it, and read one lead's profile.

Each tool reads its deps from the run context, calls a read-only capability in tools/, and
returns (content for the model, artifact for the interfaces). The content is compact JSON (the
model does not need 1,000 rows to write two sentences); the artifact is the full result.
"""

from __future__ import annotations

from typing import Any

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import COMPACT_FIELDS, MODEL_ROWS, to_json
from leadpilot.tools.leads import LeadFilter
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


@tool("search_leads", response_format="content_and_artifact")
def search_leads_tool(
    runtime: ToolRuntime[AgentDeps],
    filter: LeadFilter | None = None,
    sort_by: SortKey = "score",
    descending: bool = True,
    limit: int | None = None,
    offset: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """Find leads matching a filter (tier, industry, place, size, source or channel, stage, owner,
    seniority, department, score, created/contacted windows, activity; `any_of` for "X or Y").
    OPEN leads only (not won or lost) unless filter.scope is "all" ("including closed", "all time")
    or "closed", or the filter names a stage or converted; `closed_not_shown` in the result counts
    the closed leads the default left out. Sorted by `sort_by`; `limit` for a top N; `offset` skips that many
    matches first (the next page: the same query again with offset = how many were shown)."""
    deps = runtime.context
    query = SearchLeads(filter=filter or LeadFilter(), sort_by=sort_by, descending=descending, limit=limit, offset=offset)
    with deps.read() as session:
        result = search_leads(session, query=query, viewer=deps.viewer, now=deps.now, row_cap=deps.settings.query_row_cap)
    content = {
        "total": result.total,
        "shown": min(len(result.leads), MODEL_ROWS),
        "limit": limit,
        **({"offset": offset, "returned": len(result.leads)} if offset else {}),
        "sort_by": sort_by,
        "filters_applied": result.filters_applied,
        "problems": result.problems,
        "closed_not_shown": result.closed_not_shown,
        "leads": [{k: lead[k] for k in COMPACT_FIELDS} for lead in result.leads[:MODEL_ROWS]],
    }
    # The lead rows are JSON-ready already: passed on as they are, not copied by a second dump.
    return to_json(content), {"kind": "search", **result.model_dump(mode="json", exclude={"leads"}), "leads": result.leads}


@tool("aggregate_leads", response_format="content_and_artifact")
def aggregate_leads_tool(
    runtime: ToolRuntime[AgentDeps],
    filter: LeadFilter | None = None,
    group_by: GroupKey | None = None,
    metric: Metric = "count",
) -> tuple[str, dict[str, Any]]:
    """Count leads, or compute conversion rate (won / closed) or average score, grouped by one
    field (tier, industry, source, channel, owner, stage, country, state, city, month, segment,
    seniority, department) or in total. Counts and average scores are of OPEN leads unless
    filter.scope says "all" or "closed" or the filter names a stage or converted (`closed_not_shown`
    counts what the default left out); a conversion rate is history and reads all leads by default."""
    deps = runtime.context
    query = AggregateLeads(filter=filter or LeadFilter(), group_by=group_by, metric=metric)
    with deps.read() as session:
        result = aggregate_leads(session, query=query, viewer=deps.viewer, now=deps.now, row_cap=deps.settings.query_row_cap)
    return to_json(result.model_dump(mode="json")), {"kind": "aggregate", **result.model_dump(mode="json")}


@tool("get_lead", response_format="content_and_artifact")
def get_lead_tool(runtime: ToolRuntime[AgentDeps], lead_id: int) -> tuple[str, dict[str, Any]]:
    """One lead's full profile: contact, company, activities, score breakdown, assignments."""
    from leadpilot.agent.toolbox.common import as_seen, visible

    deps = runtime.context
    with deps.read() as session:  # an id out of range, unknown or not the viewer's: the same answer
        profile = get_lead_profile(session, lead_id=lead_id, viewer=deps.viewer) if visible(deps, session, lead_id) else None
        profile = as_seen(deps, session, profile)  # its recorded assignments may name other reps' leads
    if profile is None:
        content = {"error": f"No lead {lead_id} that you can see."}
        return to_json(content), {"kind": "lead", "lead": None, "problems": [content["error"]]}
    # Notes are lead data, quoted as such so they cannot pass for instructions.
    shown = {**profile, "notes": {"untrusted_text_from_lead_record": profile.get("notes")}}
    return to_json(shown), {"kind": "lead", "lead": profile}
