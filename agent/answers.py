"""Short answers written from tool results (the offline backend's voice).

An answer names what was applied and what was found; the interfaces render the rows themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from leadpilot.memory.vocab import industry_label


def _filters(applied: Sequence[str]) -> str:
    return "; ".join(applied) if applied else "no filters"


def _search(result: dict[str, Any]) -> str:
    total, leads = result.get("total", 0), result.get("leads", [])
    noun = "lead" if total == 1 else "leads"
    if total == 0:
        return f"No leads match ({_filters(result.get('filters_applied', []))})."
    text = f"Found {total} {noun} ({_filters(result.get('filters_applied', []))})."
    if result.get("limit") and result["limit"] < total:
        text += f" Showing the top {result['limit']} by {result.get('sort_by', 'score').replace('_', ' ')}."
    top = [
        f"{lead.get('company') or lead.get('contact_name') or 'lead ' + str(lead['id'])}"
        + (f" ({lead['tier']}, {lead['score']})" if lead.get("tier") else "")
        for lead in leads[:3]
    ]
    if top:
        text += " Top: " + ", ".join(top) + "."
    return text


def _aggregate(result: dict[str, Any]) -> str:
    rows, metric = result.get("rows", []), result.get("metric", "count")
    group = result.get("group_by")
    if not rows:
        return f"No leads match ({_filters(result.get('filters_applied', []))})."

    def fmt(value: Any) -> str:
        if value is None:
            return "n/a"
        if metric == "conversion_rate":
            return f"{value:.1%}"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def name(value: Any) -> str:
        return industry_label(value) if group == "industry" and isinstance(value, str) else str(value)

    label = {"count": "Lead count", "conversion_rate": "Conversion rate", "avg_score": "Average score"}[metric]
    if group is None:
        return f"{label}: {fmt(rows[0].get(metric))} ({_filters(result.get('filters_applied', []))})."
    parts = ", ".join(f"{name(row[group])} {fmt(row[metric])}" for row in rows[:8])
    more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
    return f"{label} by {group} ({_filters(result.get('filters_applied', []))}): {parts}{more}."


def _lead(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    who = result.get("contact_name") or "Unknown contact"
    title = f", {result['job_title']}" if result.get("job_title") else ""
    where = ", ".join(x for x in (result.get("city"), result.get("country")) if x)
    text = f"Lead {result['id']}: {who}{title} at {result.get('company') or 'an unknown company'}"
    text += f" ({industry_label(result.get('industry'))}{', ' + where if where else ''})."
    if result.get("tier"):
        text += f" Tier {result['tier']}, score {result['score']}."
    text += f" Owner: {result.get('owner') or 'unassigned'}; stage {result.get('stage')}."
    contacted = result.get("last_contacted_at")
    text += f" Last contacted {contacted[:10]}." if contacted else " Never contacted."
    return text


def compose_answer(tool_results: Sequence[ToolMessage]) -> str:
    parts = []
    for message in tool_results:
        try:
            result = json.loads(message.content) if isinstance(message.content, str) else {}
        except ValueError:
            parts.append(str(message.content))
            continue
        problems = result.get("problems") or []
        if message.name == "search_leads":
            parts.append(_search(result))
        elif message.name == "aggregate_leads":
            parts.append(_aggregate(result))
        elif message.name == "get_lead":
            parts.append(_lead(result))
        else:
            parts.append(str(result.get("summary") or result))
        parts.extend(f"Note: {problem}." for problem in problems)
    return " ".join(parts)
