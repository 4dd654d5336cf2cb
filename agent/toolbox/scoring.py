"""Tools about one lead's chances: why it has its score and tier, and the conversion model's prediction.

A lead named by company or person is the open one (common.resolve_lead): the result names the other
leads under that name, or asks which when several are open. A closed lead's result starts from its
outcome ("Won on 5 Aug 2026 — this is a customer."), and its prediction is that outcome, not a
probability to act on.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import as_seen, resolve_lead, to_json, unresolved


AskedTier = Annotated[Literal["hot", "warm", "cold"] | None,
                     BeforeValidator(lambda said: (said.strip().lower() or None) if isinstance(said, str) else said),  # "Hot", ""
                     Field(description="the tier asked about ('why is X hot?': hot)")]


@tool("explain_score", response_format="content_and_artifact")
def explain_score_tool(
    runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None, contact: str | None = None,
    asked_tier: AskedTier = None,
) -> tuple[str, dict[str, Any]]:
    """Why a lead has its score and tier: points per category under the scoring policy, and the
    history of score and tier changes with reasons. Name it by id, company or contact person: a
    name means its open lead (the others are listed; several open ones: you are asked which). A
    closed lead says first how and when it ended. `asked_tier`: the tier the question asks about
    ("why is X hot?"); the result then says first when the lead is not of that tier ("X is warm
    (38), not hot."), and the score card the interfaces draw says it too."""
    from dataclasses import asdict

    from leadpilot.tools.scoring import axes_sentence, breakdown_lines, explain_score, not_the_tier, top_reasons

    deps = runtime.context
    with deps.read() as session:
        found = resolve_lead(deps, session, lead_id, company, contact)
        if (reply := unresolved(deps, session, found, asked_id=lead_id, tool="explain_score")) is not None:
            return reply
        explanation = asdict(explain_score(session, lead_id=found.lead_id))
        seen = as_seen(deps, session, explanation["breakdown"])
    if seen != explanation["breakdown"]:  # its closest accounts name leads the viewer may not see: left out, lines re-read
        explanation.update(breakdown=seen, lines=breakdown_lines(seen), summary=None)
    explanation.update(found.context())
    if asked_tier:  # the result (and the card) say first when the lead is not that tier
        who = explanation.get("company") or f"Lead {explanation['lead_id']}"
        not_asked = not_the_tier(who, score=explanation.get("score"), tier=explanation.get("tier"), asked=asked_tier)
        explanation.update(asked_tier=asked_tier, **({"not_asked": not_asked} if not_asked else {}))
    breakdown = explanation.pop("breakdown", None)
    # The model reads the points per category and the top reasons; the policy version and the raw
    # breakdown stay in the artifact, for the interfaces' score card.
    shown = {key: value for key, value in explanation.items() if key not in ("summary", "policy_version")}
    if breakdown:
        shown["thresholds"] = breakdown.get("tiers") or {}
        if breakdown.get("axes"):  # fit × engagement: the cell picks the tier ("fit 78 (A), engagement 11 (level 4): cell A4")
            shown["axes"] = axes_sentence(breakdown)
            shown["hot_cells"] = (breakdown.get("grid") or {}).get("hot", [])
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


@tool("tier_calibration", response_format="content_and_artifact")
def tier_calibration_tool(runtime: ToolRuntime[AgentDeps]) -> tuple[str, dict[str, Any]]:
    """How well the scoring tiers convert: each tier's share of today's open leads and its
    conversion on closed history (with a 95% interval and × the overall rate), the rule score's
    AUC, and thresholds proposed for the policy's targets (a proposal: `leadpilot calibrate --write`
    applies it). Counts only, no lead is named. For "how well do our tiers convert?"."""
    from leadpilot.tools.scoring import PolicyError, calibrate_policy, load_policy

    deps = runtime.context
    if (refused := _whole_pipeline_only(deps, "How the tiers convert")) is not None:
        return refused
    try:
        policy = load_policy()
    except PolicyError as error:
        return to_json({"error": str(error)}), {"kind": "error", "problems": [str(error)]}
    with deps.read() as session:
        data = calibrate_policy(session, policy=policy, now=deps.now, weights=False).as_aggregate()
    return to_json(data), {"kind": "aggregate", **data}


@tool("score_drift", response_format="content_and_artifact")
def score_drift_tool(runtime: ToolRuntime[AgentDeps], weeks: int = 8) -> tuple[str, dict[str, Any]]:
    """How tiers and scores of open leads moved week by week (from the audit of every re-score), with
    the policy versions that re-scored each week: drift after a policy change. Counts only."""
    from leadpilot.tools.scoring import score_drift

    deps = runtime.context
    if (refused := _whole_pipeline_only(deps, "The score drift")) is not None:
        return refused
    with deps.read() as session:
        try:
            data = score_drift(session, now=deps.now, weeks=weeks).as_aggregate()
        except ValueError as error:
            return to_json({"error": str(error)}), {"kind": "error", "problems": [str(error)]}
    return to_json(data), {"kind": "aggregate", **data}


def _whole_pipeline_only(deps: AgentDeps, what: str) -> tuple[str, dict[str, Any]] | None:
    """Policy reports count every lead: only a viewer who sees every lead (manager, admin) gets them."""
    if deps.viewer.sees_everything:
        return None
    message = f"{what} is measured on every lead in the pipeline: ask a manager or an admin (you see your own leads only)."
    return to_json({"error": message}), {"kind": "error", "problems": [message]}
