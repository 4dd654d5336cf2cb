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


def _score(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    lines = "; ".join(result.get("lines", [])[:7])
    text = f"Lead {result['lead_id']} ({result.get('company') or 'no company'}): {result['summary']}."
    return f"{text} {lines}." if lines else text


def _prediction(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    text = (
        f"Lead {result['lead_id']}: {result['probability']:.0%} likely to convert ({result['tier']} priority, "
        f"{result['confidence_label']} confidence; model {result['model_version']})."
    )
    raising = ", ".join(f"{f['group']} {f['effect']:+.0%}" for f in result.get("raising", [])[:3])
    lowering = ", ".join(f"{f['group']} {f['effect']:+.0%}" for f in result.get("lowering", [])[:3])
    if raising:
        text += f" Raising it: {raising}."
    if lowering:
        text += f" Lowering it: {lowering}."
    if result.get("risks"):
        text += " Risks: " + "; ".join(r["message"] for r in result["risks"][:3]) + "."
    if result.get("recommendations"):
        first = result["recommendations"][0]
        text += f" Next: {first['action']} ({first['urgency']}) — {first['reason']}."
    if result.get("time_to_close"):
        t = result["time_to_close"]
        text += f" Time to close if it converts: ~{t['expected_days']:.0f} days ({t['optimistic_days']:.0f}–{t['pessimistic_days']:.0f})."
    return text


def _enrichment(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    fields = result.get("fields", {})
    shown = []
    for name, item in list(fields.items())[:10]:
        value = item.get("value") if isinstance(item, dict) else item
        source = item.get("source") if isinstance(item, dict) else None
        shown.append(f"{name}: {value}" + (f" ({source})" if source else ""))
    return f"Enrichment of {result.get('target')}: " + ("; ".join(shown) if shown else "nothing found") + "."


def _duplicates(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    matches = result.get("matches", [])
    what = result.get("query") or f"lead {result.get('lead_id')}"
    if not matches:
        return f"No duplicates of {what} found."
    parts = [
        f"lead {m['lead_id']} {m.get('company') or ''} ({m['relation'].replace('_', ' ')}, {m['confidence']:.0%}: {', '.join(m['matched'])}"
        + (", customer" if m.get("is_customer") else "") + ")"
        for m in matches[:5]
    ]
    return f"{len(matches)} possible duplicates of {what}: " + "; ".join(parts) + "."


def _routing(result: dict[str, Any]) -> str:
    return result.get("error") or result.get("answer") or str(result)


def _semantic(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    leads = result.get("leads", [])
    where = f" ({_filters(result.get('filters_applied', []))})" if result.get("filters_applied") else ""
    if not leads:
        return f"No leads match {result.get('query')!r}{where}."
    top = ", ".join(f"{l.get('company')} ({l.get('similarity') or 0:.2f})" for l in leads[:3])
    return f"Found {len(leads)} leads most like {result.get('query')!r}{where}. Closest: {top}."


_WRITERS = {
    "semantic_search_leads": _semantic,
    "similar_leads": _semantic,
    "suggest_owner": _routing,
    "explain_assignment": _routing,
    "routing_what_if": _routing,
    "search_leads": _search,
    "aggregate_leads": _aggregate,
    "get_lead": _lead,
    "explain_score": _score,
    "predict_conversion": _prediction,
    "enrich": _enrichment,
    "find_duplicates": _duplicates,
}


def compose_answer(tool_results: Sequence[ToolMessage]) -> str:
    parts = []
    for message in tool_results:
        try:
            result = json.loads(message.content) if isinstance(message.content, str) else {}
        except ValueError:
            parts.append(str(message.content))
            continue
        problems = result.get("problems") or []
        writer = _WRITERS.get(message.name or "")
        parts.append(writer(result) if writer else str(result.get("summary") or result.get("error") or result))
        parts.extend(f"Note: {problem}." for problem in problems)
    return " ".join(parts)
