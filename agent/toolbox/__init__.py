"""The agent's toolbox: the thin, typed functions the model calls, one module per family.

Each tool's schema comes from its types and docstring. A tool reads its deps from the run context,
calls a read-only capability in a tools/ package and returns data (content for the model, artifact
for the interfaces), never UI. The families:

- leads: search the leads, aggregate them, one lead's profile
- scoring: one lead's score explained and its conversion prediction
- enrichment: enrich an email, domain or lead; find duplicates
- routing: suggest an owner, explain an assignment, what-if re-routing
- semantic: search by meaning, leads like a given one
- analytics: the reports (volume, conversion by tier, time to first contact, ...)
- followups: the best time to contact a lead, the follow-ups due on a day

common holds what they share (compact JSON, visibility checks, error answers).
"""

from __future__ import annotations

from leadpilot.agent.toolbox.analytics import (
    conversion_by_tier_tool,
    lead_volume_tool,
    rep_performance_tool,
    score_distribution_tool,
    source_attribution_tool,
    time_to_first_contact_tool,
)
from leadpilot.agent.toolbox.enrichment import enrich_tool, find_duplicates_tool
from leadpilot.agent.toolbox.followups import best_time_to_contact_tool, follow_ups_due_tool
from leadpilot.agent.toolbox.leads import aggregate_leads_tool, get_lead_tool, search_leads_tool
from leadpilot.agent.toolbox.routing import explain_assignment_tool, routing_what_if_tool, suggest_owner_tool
from leadpilot.agent.toolbox.scoring import explain_score_tool, predict_conversion_tool
from leadpilot.agent.toolbox.semantic import semantic_search_leads_tool, similar_leads_tool

READ_TOOLS = (
    search_leads_tool, aggregate_leads_tool, get_lead_tool,
    explain_score_tool, predict_conversion_tool, enrich_tool, find_duplicates_tool,
    suggest_owner_tool, explain_assignment_tool, routing_what_if_tool,
    semantic_search_leads_tool, similar_leads_tool,
    lead_volume_tool, conversion_by_tier_tool, time_to_first_contact_tool, rep_performance_tool,
    score_distribution_tool, source_attribution_tool, best_time_to_contact_tool, follow_ups_due_tool,
)


def tool_names() -> list[str]:
    return [t.name for t in READ_TOOLS]


__all__ = ["READ_TOOLS", "tool_names"]
