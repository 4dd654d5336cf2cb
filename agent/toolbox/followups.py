"""Follow-up tools: the best time to reach a lead, and who to call or follow up with on a day."""

from __future__ import annotations

from typing import Any

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import MODEL_ROWS, error_result, resolve_lead, to_json, unresolved
from leadpilot.tools.leads import LeadFilter


def _followup_policy(deps: AgentDeps):
    from leadpilot.tools.followups import policy_in_force

    return policy_in_force(deps.settings.followup_policy)


def _viewer_zone(deps: AgentDeps, session) -> str | None:
    from leadpilot.memory.models import Rep

    rep = session.get(Rep, deps.viewer.rep_id) if deps.viewer.rep_id is not None else None
    return rep.timezone if rep is not None else None


@tool("best_time_to_contact", response_format="content_and_artifact")
def best_time_to_contact_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None, contact: str | None = None
) -> tuple[str, dict[str, Any]]:
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
        return error_result("best_time", str(error))
    with deps.read() as session:
        found = resolve_lead(deps, session, lead_id, company, contact)  # a company or person means its open lead
        if (reply := unresolved(deps, session, found, asked_id=lead_id, tool="best_time_to_contact")) is not None:
            return reply
        lead = session.get(Lead, found.lead_id)
        best = best_time_for_lead(session, lead=lead, policy=policy, now=deps.now, viewer_zone=_viewer_zone(deps, session))
        row = lead_row(lead)
    data = best.model_dump(mode="json")
    return to_json(data), {"kind": "lead", "lead": {**row, "best_time": data}, "best_time": data}


@tool("follow_ups_due", response_format="content_and_artifact")
def follow_ups_due_tool(
    runtime: ToolRuntime[AgentDeps], day: str = "today", filter: LeadFilter | None = None, limit: int | None = None
) -> tuple[str, dict[str, Any]]:
    """Who to call or follow up with on a day ("today", "tomorrow", a weekday, YYYY-MM-DD): open hot and
    warm leads (always open: won and lost leads are never on it) not contacted within their tier's cadence whose best-time window falls that day, ranked,
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
        return error_result("follow_ups", str(error))
    data = result.model_dump(mode="json")
    compact = [{**{k: lead[k] for k in ("id", "company", "tier", "score", "owner")}, **{k: lead["follow_up"][k] for k in ("reason", "suggested_time", "why_this_time")}}
               for lead in data["leads"][:MODEL_ROWS]]
    shown = {k: data[k] for k in ("total", "day", "not_today", "filters_applied", "problems")} | {"leads": compact}
    return to_json(shown), {"kind": "search", **data}
