"""What every tool family shares: compact JSON for the model, how many rows it is shown, and
finding a lead the viewer may see (by id or company), with the answers for "not visible" and errors.
"""

from __future__ import annotations

import json
from typing import Any

from leadpilot.agent.deps import AgentDeps

MODEL_ROWS = 20  # leads shown to the model per result
COMPACT_FIELDS = ("id", "company", "contact_name", "industry", "city", "country", "tier", "score", "owner", "last_contacted_at")


def to_json(data: Any) -> str:
    return json.dumps(data, default=str, ensure_ascii=False)


def visible(deps: AgentDeps, session, lead_id: int) -> bool:
    from sqlalchemy import select

    from leadpilot.memory.models import Lead
    from leadpilot.tools.leads import visibility_condition

    return session.scalar(select(Lead.id).where(Lead.id == lead_id, visibility_condition(deps.viewer))) is not None


def resolve(deps: AgentDeps, session, lead_id: int | None, company: str | None) -> int | None:
    """A lead id, or the best-scored lead the viewer can see at `company`."""
    from sqlalchemy import func, select

    from leadpilot.memory.models import Lead
    from leadpilot.tools.leads import visibility_condition

    if lead_id is not None:
        return lead_id
    if not company:
        return None
    query = (
        select(Lead.id)
        .where(func.lower(Lead.company) == company.strip().lower(), visibility_condition(deps.viewer))
        .order_by(Lead.score.is_(None), Lead.score.desc(), Lead.id)
        .limit(1)
    )
    return session.scalar(query)


def not_visible(lead_id: int | None) -> tuple[str, dict[str, Any]]:
    message = f"No lead {lead_id} that you can see." if lead_id is not None else "No such lead that you can see."
    return to_json({"error": message}), {"kind": "error", "problems": [message]}


def error_result(kind: str, message: str) -> tuple[str, dict[str, Any]]:
    return to_json({"error": message}), {"kind": kind, "error": message, "problems": [message]}
