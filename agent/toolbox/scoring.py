"""Tools about one lead's chances: why it has its score and tier, and the conversion model's prediction."""

from __future__ import annotations

import json
from typing import Any

from langchain.tools import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import not_visible, resolve, to_json, visible


@tool("explain_score", response_format="content_and_artifact")
def explain_score_tool(runtime: ToolRuntime[AgentDeps], lead_id: int | None = None, company: str | None = None) -> tuple[str, dict[str, Any]]:
    """Why a lead (by id, or the best-scored lead at a company) has its score and tier: points per
    category under the scoring policy, and the history of score and tier changes with reasons."""
    from dataclasses import asdict

    from leadpilot.tools.scoring import explain_score

    deps = runtime.context
    with deps.read() as session:
        lead_id = resolve(deps, session, lead_id, company)
        if lead_id is None or not visible(deps, session, lead_id):
            return not_visible(lead_id)
        explanation = asdict(explain_score(session, lead_id=lead_id))
    explanation.pop("breakdown", None)
    return to_json(explanation), {"kind": "score", **json.loads(to_json(explanation))}


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
        return to_json({"error": message}), {"kind": "error", "problems": [message]}
    with deps.read() as session:
        lead_id = resolve(deps, session, lead_id, company)
        if lead_id is None or not visible(deps, session, lead_id):
            return not_visible(lead_id)
        prediction = predict_lead(session, lead_id=lead_id, model=model, now=deps.now, record=False).to_dict()
    return to_json(prediction), {"kind": "prediction", **json.loads(to_json(prediction))}
