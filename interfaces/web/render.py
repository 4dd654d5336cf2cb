"""Pure helpers for the web chat: agent answers in, Markdown / PNG / CSV out.

Nothing here imports Chainlit or touches the store, so every view is unit-testable. The Chainlit
app (app.py) only wires these to messages, steps and elements.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

PAGE_SIZE = 25  # lead rows per message; "Show more" adds the next page
TABLE_COLUMNS = ("id", "company", "contact", "industry", "city", "tier", "score", "owner", "last contact")
CSV_COLUMNS = ("id", "external_id", "company", "contact_name", "email", "job_title", "industry", "country", "state", "city",
               "company_size", "source", "stage", "score", "tier", "owner", "created_at", "last_contacted_at")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: Any) -> str:
    """Text as literal Markdown (no formatting, links or HTML from lead data), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _cell(lead: Mapping[str, Any], column: str) -> str:
    if column == "contact":
        value = lead.get("contact_name")
    elif column == "last contact":
        value = (lead.get("last_contacted_at") or "never")[:10]
    elif column == "owner":
        value = lead.get("owner") or "unassigned"
    else:
        value = lead.get(column)
    return "" if value is None else md(value)


def leads_table(leads: Sequence[Mapping[str, Any]], *, start: int = 0, page_size: int = PAGE_SIZE) -> str:
    """A page of leads as a Markdown table (rendered as a real table by the chat)."""
    page = leads[start : start + page_size]
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "|".join("---:" if c in ("id", "score") else "---" for c in TABLE_COLUMNS) + "|"]
    lines += ["| " + " | ".join(_cell(lead, column) for column in TABLE_COLUMNS) + " |" for lead in page]
    return "\n".join(lines)


def page_note(*, start: int, shown: int, returned: int, total: int | None) -> str:
    total = returned if total is None else total
    note = f"Showing {start + 1}–{start + shown} of {total}"
    if total > returned:
        note += f" (the first {returned} were returned; narrow the question to see the rest)"
    return note + "."


def _format(metric: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if metric == "conversion_rate":
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _columns(rows: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    keys = list(rows[0].keys())
    return (keys[0], keys[1]) if len(keys) > 1 else (keys[0], keys[0])


def aggregate_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Aggregate rows (a name column and a number column) as a Markdown table."""
    if not rows:
        return ""
    name, metric = _columns(rows)
    lines = [f"| {md(name)} | {md(metric.replace('_', ' '))} |", "|---|---:|"]
    lines += [f"| {md(row.get(name))} | {md(_format(metric, row.get(metric)))} |" for row in rows]
    return "\n".join(lines)


def chart_png(rows: Sequence[Mapping[str, Any]], *, max_bars: int = 20) -> bytes | None:
    """A bar chart of aggregate rows (months as a line), as PNG bytes; None for a single number."""
    if len(rows) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    name, metric = _columns(rows)
    shown = list(rows[:max_bars])
    labels = [str(row.get(name)) for row in shown]
    values = [float(row.get(metric) or 0) * (100 if metric == "conversion_rate" else 1) for row in shown]
    figure = Figure(figsize=(7.5, 3.4), dpi=110)
    axes = figure.add_subplot()
    if name == "month":
        axes.plot(labels, values, marker="o", color="#2563eb")
    else:
        axes.bar(labels, values, color="#2563eb")
    axes.set_ylabel(metric.replace("_", " ") + (" (%)" if metric == "conversion_rate" else ""))
    axes.set_title(f"{metric.replace('_', ' ')} by {name}" + (f" (top {max_bars})" if len(rows) > max_bars else ""))
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelrotation=35 if len(labels) > 5 else 0, labelsize=8)
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("right" if len(labels) > 5 else "center")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def lead_card(lead: Mapping[str, Any], *, score_lines: Sequence[str] = ()) -> str:
    """One lead in detail: facts, score breakdown, latest activities, assignments."""
    title = f"**{md(lead.get('company') or lead.get('contact_name') or 'Lead ' + str(lead['id']))}** (lead {lead['id']})"
    facts = [
        ("Contact", ", ".join(md(x) for x in (lead.get("contact_name"), lead.get("job_title"), lead.get("email")) if x)),
        ("Tier / score", f"{lead.get('tier') or 'not scored'} {lead.get('score') if lead.get('score') is not None else ''}".strip()),
        ("Industry", md(lead.get("industry") or "—")),
        ("Where", ", ".join(md(x) for x in (lead.get("city"), lead.get("state"), lead.get("country")) if x) or "—"),
        ("Stage", md(lead.get("stage") or "—")),
        ("Owner", md(lead.get("owner") or "unassigned")),
        ("Last contact", (lead.get("last_contacted_at") or "never")[:10]),
        ("Source", md(lead.get("source") or "—")),
    ]
    parts = [title, "", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in facts)]
    if score_lines:
        parts += ["", "**Why this score**", *(f"- {md(line)}" for line in score_lines)]
    activities = list(lead.get("activities") or [])[:5]
    if activities:
        parts += ["", "**Latest activity**"]
        parts += [f"- {a['occurred_at'][:10]} {md(a['kind'])}" + (f" ({md(a['direction'])})" if a.get("direction") else "") for a in activities]
    return "\n".join(parts)


def describe_call(call: Mapping[str, Any]) -> str:
    args = json.dumps(call.get("args") or {}, default=str, separators=(", ", ": "))
    return f"{call.get('name')}({args})"


def context_line(filters_applied: Sequence[str], tool_calls: Sequence[Mapping[str, Any]]) -> str:
    """The small print under an answer: filters applied and the tool calls behind it."""
    parts = []
    if filters_applied:
        parts.append("Filters: " + md("; ".join(filters_applied)))
    if tool_calls:
        parts.append("Tools: " + ", ".join(f"`{call.get('name')}`" for call in tool_calls))
    return " · ".join(parts)


def call_input(args: Mapping[str, Any]) -> str:
    """A tool call's arguments, as shown in its step."""
    return json.dumps(args, indent=2, default=str, ensure_ascii=False)


def tool_output(artifact: Any) -> str:
    """What a tool returned, in one line, for its step."""
    if not isinstance(artifact, Mapping):
        return str(artifact or "")[:500]
    kind = artifact.get("kind")
    problems = artifact.get("problems") or []
    if kind == "search":
        text = f"{artifact.get('total', 0)} leads matched" + (f"; {len(artifact.get('leads', []))} returned" if artifact.get("truncated") else "")
    elif kind == "aggregate":
        text = f"{len(artifact.get('rows', []))} rows"
    elif kind == "lead":
        lead = artifact.get("lead")
        text = f"lead {lead['id']}: {lead.get('company')}" if lead else "no lead found"
    else:
        text = json.dumps(artifact, default=str)[:500]
    filters = artifact.get("filters_applied") or []
    if filters:
        text += " (" + "; ".join(filters) + ")"
    if problems:
        text += " — " + "; ".join(problems)
    return text


def leads_csv(leads: Sequence[Mapping[str, Any]]) -> bytes:
    """Every lead of an answer as CSV (the export's columns), for download."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for lead in leads:
        writer.writerow({column: lead.get(column) for column in CSV_COLUMNS})
    return buffer.getvalue().encode("utf-8")


def starters(suggestions: Sequence[str], *, limit: int = 4) -> list[tuple[str, str]]:
    """(label, message) pairs for the starter prompts of a new chat."""
    return [(s[0].upper() + s[1:].rstrip("?"), s) for s in suggestions[:limit]]
