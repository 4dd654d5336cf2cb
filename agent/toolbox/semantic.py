"""Semantic search tools: leads by what their notes and company say, and leads like a given one."""

from __future__ import annotations

import json
from typing import Any

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import COMPACT_FIELDS, MODEL_ROWS, to_json
from leadpilot.tools.leads import LeadFilter


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
        return to_json({"error": str(error)}), {"kind": "search", "leads": [], "total": 0, "filters_applied": [], "problems": [str(error)]}
    result.problems[:0] = problems
    data = json.loads(to_json(result.model_dump(mode="json")))
    data["total"] = len(data["leads"])
    shown = {**data, "leads": [{k: lead.get(k) for k in (*COMPACT_FIELDS, "similarity")} for lead in data["leads"][:MODEL_ROWS]]}
    return to_json(shown), {"kind": "search", **data}


@tool("semantic_search_leads", response_format="content_and_artifact")
def semantic_search_leads_tool(
    runtime: ToolRuntime[AgentDeps], text: str, filter: LeadFilter | None = None, limit: int = 10
) -> tuple[str, dict[str, Any]]:
    """Find leads by what their notes, company, title and website say ("looking at card issuing",
    "need fleet tracking"), within any structured filter: open leads unless filter.scope (or a
    stage / converted) says otherwise. Most similar first."""
    from leadpilot.tools.semantic import semantic_search_leads

    deps = runtime.context
    return _semantic(deps, lambda session, index: semantic_search_leads(
        session, index=index, text=text, filter=filter, viewer=deps.viewer, now=deps.now, limit=limit))


@tool("similar_leads", response_format="content_and_artifact")
def similar_leads_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None,
    filter: LeadFilter | None = None, limit: int = 10,
) -> tuple[str, dict[str, Any]]:
    """Leads most like a given lead or company ("companies like Stripe"; any lead can be the example,
    won or lost too), within any structured filter: open leads unless filter.scope (or a stage /
    converted) says otherwise."""
    from leadpilot.tools.semantic import similar_leads

    deps = runtime.context
    return _semantic(deps, lambda session, index: similar_leads(
        session, index=index, lead_id=lead_id, company=company, filter=filter, viewer=deps.viewer, now=deps.now, limit=limit))
