"""Tools that look a lead up: offline enrichment of an email, domain or lead, and its duplicates."""

from __future__ import annotations

import json
from typing import Any

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import resolve_lead, to_json, which_lead


@tool("enrich", response_format="content_and_artifact")
def enrich_tool(runtime: ToolRuntime[AgentDeps], target: str) -> tuple[str, dict[str, Any]]:
    """Enrich an email address, a domain/website or a lead ("lead 42") with offline enrichers:
    email type, phone in E.164, company name, seniority and department, industry, location, and
    whether the company is already an account or customer. Each field names its source."""
    from leadpilot.tools.enrichment import enrich_target

    deps = runtime.context
    domain = "." in target and " " not in target.strip()
    if "@" not in target and not domain and not target.strip().lower().removeprefix("lead").strip().isdigit():
        with deps.read() as session:  # a company or person: its open lead (common.resolve_lead)
            found = resolve_lead(deps, session, company=target) if target.strip() else None
            if found is not None and found.lead_id is None and not found.choices:
                found = resolve_lead(deps, session, contact=target)
        if found is not None and found.choices:
            return which_lead(found, tool="enrich")
        if found is not None and found.lead_id is not None:
            target = f"lead {found.lead_id}"
    try:  # the account and the lead looked for among the leads the viewer may see (tools.enrichment)
        result = enrich_target(deps.db, target=target, now=deps.now, viewer=deps.viewer)
    except LookupError as error:
        return to_json({"error": str(error)}), {"kind": "error", "problems": [str(error)]}
    return to_json(result), {"kind": "enrichment", **json.loads(to_json(result))}


@tool("find_duplicates", response_format="content_and_artifact")
def find_duplicates_tool(runtime: ToolRuntime[AgentDeps], query: str | None = None, lead_id: int | None = None) -> tuple[str, dict[str, Any]]:
    """Leads that duplicate a lead, or that match a company name, email or domain, with a
    confidence and the fields that matched; existing customers are marked."""
    from leadpilot.tools.enrichment import find_duplicates_of

    deps = runtime.context
    try:
        result = find_duplicates_of(deps.db, query=query, lead_id=lead_id, viewer=deps.viewer)
    except (LookupError, TypeError) as error:
        return to_json({"error": str(error)}), {"kind": "error", "problems": [str(error)]}
    return to_json(result), {"kind": "duplicates", **json.loads(to_json(result))}
