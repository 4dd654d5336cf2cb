"""Tools about one lead's chances: why it has its score and tier, and the conversion model's prediction.

A lead named by company or person is the open one (common.resolve_lead): the result names the other
leads under that name, or asks which when several are open. A closed lead's result starts from its
outcome ("Won on 5 Aug 2026 — this is a customer."), and its prediction is that outcome, not a
probability to act on.
"""

from __future__ import annotations

import json
from typing import Any

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import resolve_lead, to_json, unresolved


@tool("explain_score", response_format="content_and_artifact")
def explain_score_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None, contact: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Why a lead has its score and tier: points per category under the scoring policy, and the
    history of score and tier changes with reasons. Name it by id, company or contact person: a
    name means its open lead (the others are listed; several open ones: you are asked which). A
    closed lead says first how and when it ended."""
    from dataclasses import asdict

    from leadpilot.tools.scoring import explain_score, top_reasons

    deps = runtime.context
    with deps.read() as session:
        found = resolve_lead(deps, session, lead_id, company, contact)
        if (reply := unresolved(deps, session, found, asked_id=lead_id, tool="explain_score")) is not None:
            return reply
        explanation = asdict(explain_score(session, lead_id=found.lead_id))
    explanation.update(found.context())
    breakdown = explanation.pop("breakdown", None)
    # The model reads the points per category and the top reasons; the policy version and the raw
    # breakdown stay in the artifact, for the interfaces' score card.
    shown = {key: value for key, value in explanation.items() if key not in ("summary", "policy_version")}
    if breakdown:
        shown["thresholds"] = breakdown.get("tiers") or {}
        shown["categories"] = [{"category": name.replace("_", " "), "points": part.get("points", 0), "cap": part.get("cap")}
                               for name, part in (breakdown.get("categories") or {}).items()]
        shown["top_reasons"] = top_reasons(breakdown)
    return to_json(shown), {"kind": "score", **json.loads(to_json({**explanation, "breakdown": breakdown}))}


@tool("predict_conversion", response_format="content_and_artifact")
def predict_conversion_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None, contact: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The conversion model's prediction for an open lead: probability, confidence, factors raising
    and lowering it, risks, recommended next actions, priority tier and time to close. A won or lost
    lead gets its outcome instead. Name it by id, company or contact person (a name means its open lead)."""
    from leadpilot.memory.lead_lookup import lead_outcome
    from leadpilot.tools.prediction import ModelNotFoundError, load_latest_model, outcome_report, predict_lead

    deps = runtime.context
    with deps.read() as session:
        found = resolve_lead(deps, session, lead_id, company, contact)
        if (reply := unresolved(deps, session, found, asked_id=lead_id, tool="predict_conversion")) is not None:
            return reply
        outcome = lead_outcome(session, found.lead_id)
    if outcome is not None:  # won or lost: the outcome, with or without a trained model
        result = outcome_report(outcome)
    else:
        try:
            model = load_latest_model(deps.db, deps.settings.data_dir)
        except ModelNotFoundError as error:
            message = str(error)
            return to_json({"error": message}), {"kind": "error", "problems": [message]}
        with deps.read() as session:
            result = predict_lead(session, lead_id=found.lead_id, model=model, now=deps.now, record=False).to_dict()
    result.update(found.context())
    return to_json(result), {"kind": "prediction", **json.loads(to_json(result))}
