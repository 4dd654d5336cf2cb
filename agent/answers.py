"""Short answers written from tool results (the offline backend's voice).

An answer names what was applied and what was found; the interfaces render the rows themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from leadpilot.agent.answer_parts import days_in_words
from leadpilot.agent.messages import ToolMessage
from leadpilot.memory.vocab import industry_label, source_label


def rep_names(db: Any) -> dict[str, str]:
    """Each rep's name by email (lower-case) in the store `db`, for the interfaces to name a rep where
    a tool wrote their email (a lead's owner, a filter, a count by owner); a rep without a name is left
    out. One fixed Core select on the reps table (~0.2 ms CPU; no session: it runs on every answer)."""
    with db.engine.connect() as connection:
        return {email.lower(): name for email, name in connection.execute(_rep_names_statement()) if email and name and name.strip()}


@cache
def _rep_names_statement() -> Any:
    from sqlalchemy import select

    from leadpilot.memory.models import Rep

    return select(Rep.email, Rep.name)


def _filters(applied: Sequence[str]) -> str:
    return days_in_words("; ".join(applied)) if applied else "no filters"


def _closed_not_shown(result: dict[str, Any]) -> str:
    """The clause saying what the open-leads default left out: "185 closed ones not shown — ask
    'including closed'." (with a leading space), or nothing."""
    hidden = result.get("closed_not_shown")
    if not hidden:
        return ""
    return f" {hidden:,} closed one{'s' if hidden != 1 else ''} not shown — ask 'including closed'."


def _lifecycle(result: dict[str, Any]) -> tuple[str, list[str]]:
    """("open " or "closed " when the filters say which leads, said in the headline instead), and the
    other filter lines."""
    from leadpilot.tools.leads import CLOSED_LEADS, OPEN_LEADS

    applied = list(result.get("filters_applied", []))
    for line, word in ((OPEN_LEADS, "open "), (CLOSED_LEADS, "closed ")):
        if line in applied:
            applied.remove(line)
            return word, applied
    return "", applied


def _search(result: dict[str, Any]) -> str:
    total, leads = result.get("total", 0), result.get("leads", [])
    which, applied = _lifecycle(result)
    noun = which + ("lead" if total == 1 else "leads")
    if total == 0:
        return f"No {which}leads match ({_filters(applied)})." + _closed_not_shown(result)
    text = f"Found {total:,} {noun} ({_filters(applied)})." + _closed_not_shown(result)
    if offset := result.get("offset"):  # a later page of the list
        returned = result.get("returned", len(leads))
        if not returned:
            return text + f" That is past the end of the list: it has {total}."
        text += f" Showing {offset + 1}–{offset + returned} of {total}" + (
            " (the last page)." if offset + returned >= total else " — say 'next page' for more.")
    elif result.get("limit") and result["limit"] < total:
        text += f" Showing the top {result['limit']} by {result.get('sort_by', 'score').replace('_', ' ')}."
    top = [
        f"{lead.get('company') or lead.get('contact_name') or 'lead ' + str(lead['id'])}"
        + (f" ({lead['tier']}, {lead['score']})" if lead.get("tier") else "")
        for lead in leads[:3]
    ]
    if top:
        text += " Top: " + ", ".join(top) + "."
    if len(leads) == 1 and total == 1:  # one lead: who has it, as "who owns Quill?" asks
        text += f" Owner: {leads[0].get('owner') or 'unassigned'}."
    return text + _which_company(result, applied)


def _which_company(result: dict[str, Any], applied: list[str]) -> str:
    """A list by part of a company name ("Harbor") that holds several companies asks which one is meant."""
    if len(applied) != 1 or not applied[0].startswith("company contains "):
        return ""
    companies = list(dict.fromkeys(lead.get("company") for lead in result.get("leads", []) if lead.get("company")))
    if len(companies) < 2:
        return ""
    return f" Several companies match {applied[0].removeprefix('company contains ')}: {', '.join(companies[:8])} — which one do you mean?"


def _aggregate(result: dict[str, Any], names: dict[str, str] | None = None) -> str:
    names = names or {}  # rep email -> name, for a count by owner
    rows, metric = result.get("rows", []), result.get("metric", "count")
    group = result.get("group_by")
    which, applied = _lifecycle(result)
    hidden = _closed_not_shown(result)
    if not rows:
        return f"No {which}leads match ({_filters(applied)})." + hidden

    def fmt(value: Any) -> str:
        if value is None:
            return "n/a"
        if metric == "conversion_rate":
            return f"{value:.1%}"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def name(value: Any) -> str:
        if group == "source":
            return source_label(value)  # "(no source)", not the stored "unknown"
        if group == "owner":
            return names.get(value, value) if value and value != "unassigned" else "unassigned"  # the rep by name
        if group == "stage" and isinstance(value, str):
            return value.replace("_", " ").lower()  # "prospect 22", not PROSPECT
        return industry_label(value) if group == "industry" and isinstance(value, str) else str(value)

    label = {"count": "Lead count", "conversion_rate": "Conversion rate", "avg_score": "Average score"}[metric]
    if which:
        label = f"{which.capitalize()}lead count" if metric == "count" else f"{label} of {which}leads"
    if group is None:
        if metric == "count" and (arrivals := _arrivals(rows[0].get(metric), applied)):
            return arrivals
        return f"{label}: {fmt(rows[0].get(metric))} ({_filters(applied)})." + hidden
    if metric == "count" and len(rows) == 1 and any(line.startswith(f"{group}: ") for line in applied):  # "how many hot leads?"
        return f"{rows[0][metric]:,} {which}lead{'s' if rows[0][metric] != 1 else ''} ({_filters(applied)})." + hidden  # not "by tier: hot 74"
    parts = ", ".join(f"{name(row[group])} {fmt(row[metric])}" for row in rows[:8])
    more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
    return f"{label} by {group} ({_filters(applied)}): {parts}{more}." + hidden


def _arrivals(count: Any, applied: list[str]) -> str | None:
    """A count of every lead created in a window, open or closed (inflow, planner/inflow.py), said
    as arrivals: "89 leads came in (created since 2026-11-09): all of them, open or closed."."""
    from leadpilot.tools.leads import INCLUDING_CLOSED

    if INCLUDING_CLOSED not in applied or not any(line.startswith("created ") for line in applied):
        return None
    rest = [line for line in applied if line != INCLUDING_CLOSED]
    return f"{count} lead{'' if count == 1 else 's'} came in ({_filters(rest)}): all of them, open or closed."


def _day_of(iso_day: str) -> str:
    """'2026-08-05' -> '5 Aug 2026'."""
    from datetime import date

    from leadpilot.memory.lead_lookup import day_label

    return day_label(date.fromisoformat(iso_day))


def _lead(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    who = result.get("contact_name") or "Unknown contact"
    title = f", {result['job_title']}" if result.get("job_title") else ""
    where = ", ".join(x for x in (result.get("city"), result.get("country")) if x)
    text = ""
    if result.get("stage") == "CUSTOMER":  # a closed lead says so first
        won = str(result.get("converted_at") or "")[:10]
        text = f"Won{' on ' + _day_of(won) if won else ''} — this is a customer. "
    elif result.get("stage") == "LOST":
        text = "Lost — this deal is closed. "
    text += f"Lead {result['id']}: {who}{title} at {result.get('company') or 'an unknown company'}"
    text += f" ({industry_label(result.get('industry'))}{', ' + where if where else ''})."
    if result.get("tier"):
        text += f" Tier {result['tier']}, score {result['score']}."
    stage = str(result.get("stage") or "unknown").replace("_", " ").lower()  # "CUSTOMER" -> customer, as the other answers say it
    text += f" Owner: {result.get('owner') or 'unassigned'}; stage: {stage}."
    contacted = result.get("last_contacted_at")
    text += f" Last contacted {_day_of(contacted[:10])}." if contacted else " Never contacted."
    return text


def _about(result: dict[str, Any], text: str, *, first: str = "") -> str:
    """`text` about one lead, said the way a rep needs it: a closed lead's outcome first ("Won on
    5 Aug 2026 — this is a customer."); for a lead found by name, which of its leads this is and
    the others under that name (stage, owner, created)."""
    from leadpilot.agent.toolbox.common import brief_line

    chosen, others, named = result.get("chosen"), result.get("other_leads") or [], result.get("named")
    intro = ""
    if chosen and others:
        count = f"{named} has {len(others) + 1} leads"
        intro = f"{count}; this is the open one. " if not chosen.get("outcome") else f"{count}, none of them open; this is the latest to close. "
    outcome = f"{result['outcome_sentence']} " if result.get("outcome_sentence") and result.get("outcome_sentence") not in text else ""
    listed = "; ".join(brief_line(lead, named=named) for lead in others[:5]) + (f"; and {len(others) - 5} more" if len(others) > 5 else "")
    return outcome + first + intro + text + (f" Other leads under {named}: {listed}." if others else "")


def _score(result: dict[str, Any], asked: str | None = None) -> str:
    """'Lead 83 (Northgate Capital): 91, hot (hot from 70, warm from 40). Top reasons: ... Points by
    category: ...' — in a rep's words: no policy version, no rule internals. Asked why it is a tier
    it is not ("why is Northgate Capital hot?" of a warm lead), it says so first: "Northgate Capital
    is warm (37), not hot." (after a closed lead's outcome)."""
    if "error" in result:
        return result["error"]
    from leadpilot.tools.scoring import not_the_tier

    # The tool's asked_tier argument (either backend) says it; a plan's layout (older runs) gives the tier.
    not_asked = result.get("not_asked") or not_the_tier(result.get("company") or f"Lead {result['lead_id']}", score=result.get("score"),
                                                        tier=result.get("tier"), asked=asked)
    first = f"{not_asked} " if not_asked else ""
    contact = (result.get("chosen") or {}).get("contact_name")
    text = f"Lead {result['lead_id']} ({result.get('company') or 'no company'}{', ' + contact if contact else ''}): "
    if result.get("score") is None:
        return _about(result, text + "not scored yet.", first=first)
    tiers = result.get("thresholds") or {}
    bands = result.get("axes") or ", ".join(f"{tier} from {tiers[tier]}" for tier in ("hot", "warm") if tier in tiers)  # axes: fit × engagement
    text += f"{result['score']}, {result.get('tier') or 'no tier'}" + (f" ({bands})." if bands else ".")
    reasons = [(label, points) if label else (points, "") for label, _, points in
               (reason.rpartition(" +") for reason in result.get("top_reasons") or [])]  # "1,000+ employees +25"
    if reasons:
        text += " Top reasons: " + ", ".join(f"{label} (+{points})" if points else label for label, points in reasons) + "."
    categories = sorted(result.get("categories") or [], key=lambda c: -(c.get("points") or 0))
    if categories:
        text += " Points by category: " + ", ".join(
            f"{c['category']} {c.get('points', 0):g}" + (f" of {c['cap']:g}" if c.get("cap") is not None else "") for c in categories
        ) + "."
    return _about(result, text, first=first)


def _prediction(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    if result.get("outcome"):  # won or lost: the outcome, not a probability to act on
        return _about(result, result["answer"])
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
    return _about(result, text)


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
        + (", customer" if m.get("is_customer") else "")
        + (", flagged as a likely duplicate: same email, another external id" if m.get("flagged") else "") + ")"
        for m in matches[:5]
    ]
    return f"{len(matches)} possible duplicates of {what}: " + "; ".join(parts) + "."


def _routing(result: dict[str, Any]) -> str:
    if result.get("error"):
        return result["error"]
    return _about(result, result["answer"]) if result.get("answer") else str(result)


def _semantic(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    leads = result.get("leads", [])
    where = f" ({_filters(result.get('filters_applied', []))})" if result.get("filters_applied") else ""
    if not leads:
        return f"No leads match {result.get('query')!r}{where}." + _closed_not_shown(result)
    top = ", ".join(f"{l.get('company')} ({l.get('similarity') or 0:.2f})" for l in leads[:3])
    return f"Found {len(leads)} leads most like {result.get('query')!r}{where}." + _closed_not_shown(result) + f" Closest: {top}."


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _h(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g} h"


def _listing(parts: list[str], shown: int = 8) -> str:
    more = f" and {len(parts) - shown} more" if len(parts) > shown else ""
    return ", ".join(parts[:shown]) + more


def _volume(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    if result["group_by"] in ("source", "channel"):
        name = result["group_by"]
        parts = [f"{r[name]} {r['count']} ({r['share']:.1%})" for r in rows]
        return f"Lead volume by {name}: {result['based_on']} leads — {_listing(parts)}"
    per_source = [k for k in rows[0] if k not in ("month", "count")]
    parts = [f"{r['month']} {r['count']}" + (f" (most from {max(per_source, key=lambda k: r[k])})" if per_source else "") for r in rows]
    grouped = "channel" if any(d.startswith("channel =") for d in result.get("definitions") or []) else "source"
    return (f"Leads per month by {grouped}: " if per_source else "Leads per month: ") + _listing(parts, 12)


def _conversion(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    parts = [f"{r['tier']} {_pct(r['conversion_rate'])} ({r['won']} won of {r['won'] + r['lost']} closed, {r['open']} open)" for r in rows]
    return "Conversion by tier: " + _listing(parts)


def _first_contact(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    name = result["group_by"]
    if name == "leads" and len(rows) == 1:  # one total
        row = rows[0]
        never = f"; {row['not_contacted']} leads never contacted" if row["not_contacted"] else ""
        return (f"Median time to first contact: {_h(row['median_hours'])} (p90 {_h(row['p90_hours'])}) over "
                f"{row['contacted']} contacted leads{never}")
    parts = [f"{r[name]} {_h(r['median_hours'])} (p90 {_h(r['p90_hours'])})" for r in rows]
    never = sum(r["not_contacted"] for r in rows)
    text = f"Median time to first contact by {'rep' if name == 'owner' else name}, fastest first: " + _listing(parts)
    return text + (f"; {never} leads never contacted" if never else "")


def _reps(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    parts = [
        f"{r['owner']} {_pct(r['conversion_rate'])} ({r['converted']} won, {r['leads']} leads, {r['open_pipeline']} open, "
        f"first contact in {_h(r['median_hours_to_first_contact'])})"
        for r in rows
    ]
    return "Rep performance, best conversion first: " + _listing(parts, 6)


def _distribution(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    def split(r: dict[str, Any]) -> str:
        tiers = ", ".join(f"{t} {r[t]}" for t in ("hot", "warm", "cold") if r.get(t))
        return f"{r['score_bucket']}: {r['count']}" + (f" ({tiers})" if tiers else "")

    return f"Score distribution of {result['based_on']} leads: " + _listing([split(r) for r in rows], 12)


def _attribution(rows: list[dict[str, Any]], result: dict[str, Any]) -> str:
    def top(key: str) -> str:
        ranked = sorted(rows, key=lambda r: -r[key])[:3]
        return ", ".join(f"{r['channel']} {r[key + '_share']:.1%}" for r in ranked)

    return (f"Attribution over {result['based_on']} converted leads — first touch: {top('first_touch')}; "
            f"last touch: {top('last_touch')}")


_REPORTS = {"lead_volume": _volume, "conversion_by_tier": _conversion, "time_to_first_contact": _first_contact,
            "rep_performance": _reps, "score_distribution": _distribution, "source_attribution": _attribution}


def _report(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    where = f" ({_filters(result.get('filters_applied', []))})"
    if not result.get("rows"):
        return f"No leads to report on{where}."
    text = _REPORTS[result["report"]](result["rows"], result) + where + "."
    definitions = result.get("definitions") or []
    said = "; ".join(definitions[: 2 if result["report"] == "source_attribution" else 1])
    return text + (f" {said[:1].upper()}{said[1:]}." if said else "")


def _follow_ups(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    leads, total = result.get("leads", []), result.get("total", 0)
    when = result.get("day")
    later = f" {result['not_today']} more are due but their best day is another day." if result.get("not_today") else ""
    if not total:
        return f"No follow-ups due for {when} ({_filters(result.get('filters_applied', []))}).{later}"
    lines = [
        f"{n}. {lead.get('company') or 'lead ' + str(lead['id'])} — {lead['reason']}; call {lead['suggested_time']} ({lead['why_this_time']})"
        for n, lead in enumerate(leads[:5], start=1)
    ]
    more = f" …and {total - 5} more in the table." if total > 5 else ""
    return f"{total} follow-up{'s' if total != 1 else ''} for {when} ({_filters(result.get('filters_applied', []))}): " + " ".join(lines) + more + later


def _best_time(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    text = (f"Best time to reach {result.get('company') or 'lead ' + str(result['lead_id'])} (lead {result['lead_id']}): "
            f"{result['window']} {result['timezone']} ({result['timezone_source']}) — {result['why']}.")
    if result.get("next_local"):
        text += f" Next: {result['next_local']}"
        if result.get("viewer_timezone") != result.get("timezone"):
            text += f" = {result['next_viewer']} (your time)"
        text += "."
    return text


def _calibration(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    tiers = [f"{r['tier']}: {_pct(r['share_of_open'])} of open leads, converts {_pct(r['conversion_rate'])}"
             + (f" (95% {_pct(r['ci_low'])}–{_pct(r['ci_high'])}, {r['lift']}× overall)" if r.get("lift") is not None else "")
             for r in result.get("rows", [])]
    facts = [d for d in result.get("definitions", []) if d.startswith(("rule score AUC", "proposed thresholds"))]
    return "How the tiers convert — " + "; ".join(tiers) + "." + "".join(f" {d[:1].upper()}{d[1:]}." for d in facts)


def _drift(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    weeks = [r for r in result.get("rows", []) if r.get("hot") or r.get("warm") or r.get("cold")]
    if not weeks:
        return "No re-scores in the audit for those weeks, so there is no drift to show."
    said = [f"week ending {str(r['week_ending'])[:10]}: hot {r['hot']}, warm {r['warm']}, cold {r['cold']}"
            + (f", {r['tier_changes']} tier changes" if r.get("tier_changes") else "") for r in weeks[-4:]]
    return "Open leads by tier, week by week (from the audit of every re-score) — " + "; ".join(said) + "."


def _sla(result: dict[str, Any]) -> str:
    return result.get("error") or result.get("answer") or "No first-touch SLA record."


_WRITERS = {
    **dict.fromkeys(_REPORTS, _report),
    "tier_calibration": _calibration,
    "score_drift": _drift,
    "sla_performance": _sla,
    "follow_ups_due": _follow_ups,
    "best_time_to_contact": _best_time,
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


def compose_answer(
    tool_results: Sequence[ToolMessage], *, readings: Sequence[str] = (), layout: dict[str, Any] | None = None
) -> str:
    """The answer from the turn's tool results, in call order: what was read another way first
    ("Read 'helthcare' as healthcare."), then each result; several results as the plan's layout
    says (part by part, or a comparison table: agent/answer_parts.py)."""
    texts: list[str] = []
    results: list[dict[str, Any]] = []
    for message in tool_results:
        try:
            result = json.loads(message.content) if isinstance(message.content, str) else {}
        except ValueError:
            texts.append(str(message.content))
            results.append({"error": str(message.content)})
            continue
        result = result if isinstance(result, dict) else {"summary": result}
        problems = result.get("problems") or []
        writer = _WRITERS.get(message.name or "")
        text = writer(result) if writer else str(result.get("summary") or result.get("error") or result)
        texts.append(" ".join([text, *(f"Note: {problem}." for problem in problems)]))
        results.append(result)
    if layout and len(texts) > 1:
        from leadpilot.agent.answer_parts import word_parts

        body = word_parts(texts, results, layout)
    elif layout and layout.get("kind") == "by_owner" and len(results) == 1 and tool_results[0].name == "aggregate_leads":
        body = _aggregate(results[0], layout.get("names")) + "".join(f" Note: {problem}." for problem in results[0].get("problems") or [])
    elif layout and layout.get("kind") == "why" and len(results) == 1 and tool_results[0].name == "explain_score":
        body = _score(results[0], layout.get("tier")) + "".join(f" Note: {problem}." for problem in results[0].get("problems") or [])
    elif layout and layout.get("kind") == "owner" and len(results) == 1:  # "who owns Acme?": who, not a list
        from leadpilot.agent.answer_owner import owner_answer

        artifact = getattr(tool_results[0], "artifact", None)  # the full rows (stage, created), when this turn ran the call
        result = {**results[0], **artifact} if isinstance(artifact, dict) and "error" not in results[0] else results[0]
        body = owner_answer(result, _closed_not_shown(results[0]), layout.get("names")) or " ".join(texts)
    else:
        body = " ".join(texts)
    if not readings:
        return body
    return " ".join(readings) + ("\n" if "\n" in body else " ") + body
