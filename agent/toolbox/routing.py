"""Routing tools: who should take a lead, why a rep has one, and what-if re-routing (dry runs only)."""

from __future__ import annotations

import json
from typing import Any

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import as_seen, error_result, not_visible, resolve_lead, to_json, unresolved, visible
from leadpilot.tools.routing import PoolMembership


def _for_viewer(deps: AgentDeps, session, result: dict[str, Any]) -> dict[str, Any]:
    """A routing result as the person asking may see it (memory.visibility): the decision is made
    over all leads, but an account owned through a lead they cannot see is not named — not its
    lead, its owner nor its stage — and recorded reasons naming such leads are withheld."""
    from leadpilot.memory.visibility import hidden_from
    from leadpilot.tools.routing import ACCOUNT_RULE

    hidden = hidden_from(session, deps.viewer, result)
    if not hidden:
        return result
    decision = result.get("decision") or {}
    account = decision.get("account") or {}
    if account.get("lead_id") in hidden and decision.get("rule") == ACCOUNT_RULE:
        label = f"lead {result['lead_id']} ({result.get('company') or 'unnamed company'})"
        answer = (f"By the account-match rule, {label} would go to the owner of its company's account; that account is "
                  "on a lead you cannot see, so ask a manager who owns it.")
        return {**{k: result.get(k) for k in ("lead_id", "company", "current_owner", "named", "chosen", "other_leads")},
                "owner": None, "owner_name": None, "queue": None, "rule": ACCOUNT_RULE, "answer": answer,
                "decision": {"rule": ACCOUNT_RULE, "account": "withheld", "policy_version": decision.get("policy_version")}}
    return as_seen(deps, session, result)


def _routing_policy(deps: AgentDeps):
    from leadpilot.tools.routing import policy_in_force

    return policy_in_force(deps.settings.routing_policy)


@tool("suggest_owner", response_format="content_and_artifact")
def suggest_owner_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None, contact: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Who should take a lead, and why: a dry run of the routing policy (nothing is assigned), with
    the rule that matched, every candidate considered and why the winner won. Name the lead by id,
    company or contact person (a name means its open lead; several open: the unassigned one, else you are asked which)."""
    from leadpilot.tools.routing import RoutingInputError, suggest_owner

    deps = runtime.context
    with deps.read() as session:
        found = resolve_lead(deps, session, lead_id, company, contact, prefer_unassigned=True)
        if (reply := unresolved(deps, session, found, asked_id=lead_id, tool="suggest_owner")) is not None:
            return reply
        try:
            result = {**suggest_owner(session, policy=_routing_policy(deps), now=deps.now, lead_id=found.lead_id), **found.context()}
            result = _for_viewer(deps, session, result)
        except RoutingInputError as error:
            return error_result("routing", str(error))
    shown = {k: result.get(k) for k in ("lead_id", "company", "current_owner", "owner_name", "queue", "rule", "answer", "named", "chosen", "other_leads")}
    return to_json(shown), {"kind": "routing", **json.loads(to_json(result))}


@tool("explain_assignment", response_format="content_and_artifact")
def explain_assignment_tool(runtime: ToolRuntime[AgentDeps], lead_id: int, rep: str | None = None) -> tuple[str, dict[str, Any]]:
    """Why does this rep have this lead? The recorded rule, reason, candidates and owner history."""
    from leadpilot.tools.routing import RoutingInputError, explain_assignment

    deps = runtime.context
    with deps.read() as session:
        if not visible(deps, session, lead_id):
            return not_visible(lead_id)
        try:
            result = _for_viewer(deps, session, explain_assignment(session, lead_id=lead_id, rep=rep))
        except RoutingInputError as error:
            return error_result("routing_explain", str(error))
    return to_json({"answer": result["answer"], "owner": result.get("owner")}), {"kind": "routing_explain", **json.loads(to_json(result))}


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
        return error_result("routing_what_if", "What-if routing is for managers and admins.")
    with deps.read() as session:
        try:
            result = routing_what_if(
                session, policy=_routing_policy(deps), now=deps.now, out=out or [], day=day,
                add_to_pool=add_to_pool or [], remove_from_pool=remove_from_pool or [], lead_ids=lead_ids,
            )
        except RoutingInputError as error:
            return error_result("routing_what_if", str(error))
    shown = {"answer": result["answer"], "moved": result["moved"], "fairness": result["fairness"]}
    return to_json(shown), {"kind": "routing_what_if", **json.loads(to_json(result))}


@tool("sla_performance", response_format="content_and_artifact")
def sla_performance_tool(runtime: ToolRuntime[AgentDeps], days: int = 30) -> tuple[str, dict[str, Any]]:
    """First-touch SLAs: per rep over the last `days`, leads watched, touched in time, nudged, reassigned
    away, and the median time to first touch; plus the median before and after SLAs started. For
    "how are reps doing on SLAs?", "who missed their first-touch SLA?". A rep sees their own record."""
    from leadpilot.tools.routing import first_touch_change, sla_performance

    deps = runtime.context
    days = max(1, min(int(days), 365))
    with deps.read() as session:
        record = sla_performance(session, now=deps.now, days=days)
        change = first_touch_change(session, now=deps.now) if deps.viewer.sees_everything else None
    if not deps.viewer.sees_everything:  # another rep's record is theirs and their manager's
        mine = [r for r in record["reps"] if r["rep"] and r["rep"] == deps.viewer.email]
        record = {**record, "reps": mine, "answer": (record["answer"] if not mine else
                  f"Your first-touch SLA, last {days} days: {mine[0]['met']}/{mine[0]['watched']} in time, "
                  f"{mine[0]['nudged']} nudged, {mine[0]['reassigned']} reassigned.")
                  if mine or not record["reps"] else f"You had no leads under a first-touch SLA in the last {days} days."}
    rows = [{"rep": r["name"] or r["rep"], "watched": r["watched"], "in_time": r["met"], "met_rate": r["met_rate"],
             "nudged": r["nudged"], "reassigned": r["reassigned"], "waiting": r["waiting"],
             "median_first_touch_minutes": r["median_first_touch_minutes"]} for r in record["reps"]]
    answer = record["answer"] + (f" {change['answer']}" if change and change.get("before") is not None else "")
    data = {"answer": answer, "rows": rows, "days": days, "first_touch_change": change}
    aggregate = {"report": "sla_performance", "rows": rows, "group_by": "rep", "metric": "met_rate", "chart": None,
                 "definitions": ["in_time = first touch (an activity or last_contacted_at) before the SLA's deadline in the "
                                 "owner's working hours; nudged = first breach; reassigned = second breach"],
                 "based_on": sum(r["watched"] for r in rows), "filters_applied": [], "problems": []}
    return to_json(data), {"kind": "aggregate", **aggregate}
