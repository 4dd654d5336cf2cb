"""The agent's toolbox: the thin, typed functions the model calls, one module per family.

Each tool's schema comes from its types and docstring. A tool reads its deps from the run context,
calls a read-only capability in a tools/ package and returns data (content for the model, artifact
for the interfaces), never UI. The families:

- leads: search the leads, aggregate them, one lead's profile
- scoring: one lead's score explained and its conversion prediction; how the tiers convert, score drift
- enrichment: enrich an email, domain or lead; find duplicates
- routing: suggest an owner, explain an assignment, what-if re-routing
- semantic: search by meaning, leads like a given one
- analytics: the reports (volume, conversion by tier, time to first contact, ...)
- followups: the best time to contact a lead, the follow-ups due on a day

common holds what they share (compact JSON, visibility checks, error answers); registry the `tool`
decorator (an `AgentTool`: run directly, or as a LangChain tool).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadpilot.agent.toolbox.registry import AgentTool

# Every tool, in the order the model is given them, and the module it lives in (`<name>_tool` there).
# A module is imported when one of its tools is first used: a question needs one or two families.
TOOL_MODULES = {
    "search_leads": "leads", "aggregate_leads": "leads", "get_lead": "leads",
    "explain_score": "scoring", "predict_conversion": "scoring", "tier_calibration": "scoring", "score_drift": "scoring",
    "enrich": "enrichment", "find_duplicates": "enrichment",
    "suggest_owner": "routing", "explain_assignment": "routing", "routing_what_if": "routing", "sla_performance": "routing",
    "semantic_search_leads": "semantic", "similar_leads": "semantic",
    "lead_volume": "analytics", "conversion_by_tier": "analytics", "time_to_first_contact": "analytics",
    "rep_performance": "analytics", "score_distribution": "analytics", "source_attribution": "analytics",
    "best_time_to_contact": "followups", "follow_ups_due": "followups",
}


def tool_names() -> list[str]:
    return list(TOOL_MODULES)


def get_tool(name: str) -> AgentTool:
    """The tool called `name` (KeyError: no such tool)."""
    module = import_module(f"{__name__}.{TOOL_MODULES[name]}")
    return getattr(module, f"{name}_tool")


def __getattr__(attribute: str) -> Any:
    if attribute == "READ_TOOLS":  # every tool, as a tuple (imports every family)
        return tuple(get_tool(name) for name in TOOL_MODULES)
    if attribute.endswith("_tool") and attribute.removesuffix("_tool") in TOOL_MODULES:
        return get_tool(attribute.removesuffix("_tool"))
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


__all__ = ["READ_TOOLS", "TOOL_MODULES", "get_tool", "tool_names"]
