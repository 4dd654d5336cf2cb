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

from leadpilot.interfaces.answer_view import cell_text, day_text, filters_text, rep_name, rows_table, stage_text

PAGE_SIZE = 25  # lead rows per message; "Show more" adds the next page
TABLE_COLUMNS = ("id", "company", "contact", "industry", "city", "tier", "score", "owner", "last contact")
FOLLOW_UP_COLUMNS = ("id", "company", "tier", "score", "owner", "call at", "why")
CSV_COLUMNS = ("id", "external_id", "company", "contact_name", "email", "job_title", "industry", "country", "state", "city",
               "company_size", "source", "stage", "score", "tier", "owner", "created_at", "last_contacted_at")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: Any) -> str:
    """Text as literal Markdown (no formatting, links or HTML from lead data), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _cell(lead: Mapping[str, Any], column: str, names: Mapping[str, str] | None = None) -> str:
    if column == "contact":
        value = lead.get("contact_name")
    elif column == "last contact":
        value = day_text(lead.get("last_contacted_at"))
    elif column == "owner":
        value = rep_name(lead.get("owner"), names)
    elif column == "industry":
        value = cell_text("industry", lead.get("industry"))
    elif column in ("call at", "why"):
        follow_up = lead.get("follow_up") or {}
        value = follow_up.get("suggested_time") if column == "call at" else f"{follow_up.get('reason')}; {follow_up.get('why_this_time')}"
    else:
        value = lead.get(column)
    return "" if value is None else md(value)


def leads_table(leads: Sequence[Mapping[str, Any]], *, start: int = 0, page_size: int = PAGE_SIZE,
                names: Mapping[str, str] | None = None) -> str:
    """A page of leads as a Markdown table (rendered as a real table by the chat), owners by name
    (`names`: email -> name); a follow-up list shows when to call and why instead of the location columns."""
    page = leads[start : start + page_size]
    columns = FOLLOW_UP_COLUMNS if any("follow_up" in lead for lead in page) else TABLE_COLUMNS
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---:" if c in ("id", "score") else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(_cell(lead, column, names) for column in columns) + " |" for lead in page]
    return "\n".join(lines)


def page_note(*, start: int, shown: int, returned: int, total: int | None, offset: int = 0) -> str:
    """ "Showing 11–17 of 17.": `offset` is where the returned leads start in the whole list (a "next page")."""
    total = offset + returned if total is None else total
    note = f"Showing {offset + start + 1}–{offset + start + shown} of {total}"
    if total > offset + returned:
        which = f"the first {returned}" if offset == 0 else f"leads {offset + 1}–{offset + returned}"
        note += f" ({which} were returned; ask for the next page or narrow the question to see the rest)"
    return note + "."


def _columns(rows: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    keys = list(rows[0].keys())
    return (keys[0], keys[1]) if len(keys) > 1 else (keys[0], keys[0])


def aggregate_table(rows: Sequence[Mapping[str, Any]], *, filters_applied: Sequence[str] = (),
                    names: Mapping[str, str] | None = None) -> str:
    """Aggregate rows (a name column, then number columns) as a Markdown table, in a rep's words
    (interfaces/answer_view.rows_table: headers in words, reps by name, a total named by its filters)."""
    if not rows:
        return ""
    headers, body = rows_table(rows, filters_applied=filters_applied, names=names)
    lines = ["| " + " | ".join(md(c) for c in headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in body]
    return "\n".join(lines)


_PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563")


def chart_png(rows: Sequence[Mapping[str, Any]], *, chart: Mapping[str, Any] | None = None, max_bars: int = 20) -> bytes | None:
    """A chart of aggregate rows as PNG bytes; None for a single number.

    `chart` (from an analytics tool: type bar | grouped | stacked | line, x, y columns, title, unit)
    says what to draw; without it, the first number column as bars (months as a line).
    """
    if len(rows) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    if chart:
        name, series, kind = chart["x"], list(chart["y"]), chart["type"]
        title, percent = chart.get("title") or "", chart.get("unit") == "percent"
        unit = {"percent": "%", "hours": "hours"}.get(chart.get("unit") or "", "leads")
    else:
        name, metric = _columns(rows)
        series, kind, percent = [metric], "line" if name == "month" else "bar", metric == "conversion_rate"
        title, unit = f"{metric.replace('_', ' ')} by {name}", metric.replace("_", " ") + (" (%)" if percent else "")
    shown = list(rows[:max_bars])
    labels = [str(row.get(name)) for row in shown]
    figure = Figure(figsize=(7.5, 3.4), dpi=110)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    width = 0.8 / len(series) if kind == "grouped" else 0.8
    bottom = [0.0] * len(labels)
    for index, column in enumerate(series):
        values = [float(row.get(column) or 0) * (100 if percent else 1) for row in shown]
        colour = _PALETTE[index % len(_PALETTE)]
        label = column.replace("_", " ")
        if kind == "line":
            axes.plot(labels, values, marker="o", color=colour, label=label)
        elif kind == "grouped":
            axes.bar([p + (index - (len(series) - 1) / 2) * width for p in positions], values, width=width, color=colour, label=label)
        elif kind == "stacked":
            axes.bar(positions, values, width=width, bottom=bottom, color=colour, label=label)
            bottom = [b + v for b, v in zip(bottom, values)]
        else:
            axes.bar(positions, values, width=width, color=colour, label=label)
    if kind != "line":
        axes.set_xticks(positions, labels)
    if len(series) > 1:
        axes.legend(fontsize=7, frameon=False)
    axes.set_ylabel(unit)
    axes.set_title(title + (f" (first {max_bars})" if len(rows) > max_bars else ""), fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelrotation=35 if len(labels) > 5 else 0, labelsize=8)
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("right" if len(labels) > 5 else "center")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _tier_text(tier: str | None, score: Any) -> str:
    """'hot, 91' (no emoji: a browser without an emoji font would show a box)."""
    if not tier and score is None:
        return "not scored"
    return ", ".join(str(part) for part in (tier, score) if part not in ("", None))


def lead_card(lead: Mapping[str, Any], *, score_lines: Sequence[str] = (), names: Mapping[str, str] | None = None) -> str:
    """One lead in detail: the person, its facts (a one-row table under their labels), the score card
    (when the lead has a breakdown; else `score_lines`), latest activities."""
    from leadpilot.interfaces.score_card import from_lead

    name = md(lead.get("company") or lead.get("contact_name") or "Lead " + str(lead["id"]))
    person = ", ".join(x for x in (lead.get("contact_name"), lead.get("job_title")) if x)
    contact = " · ".join(md(x) for x in (person, lead.get("email")) if x)
    facts = [
        ("Industry", md(cell_text("industry", lead.get("industry")))),
        ("Where", ", ".join(md(x) for x in (lead.get("city"), lead.get("state"), lead.get("country")) if x) or "—"),  # as Slack's card
        ("Stage", md(stage_text(lead.get("stage")))),
        ("Owner", md(rep_name(lead.get("owner"), names))),
        ("Last contact", day_text(lead.get("last_contacted_at"))),
        ("Source", md(cell_text("source", lead.get("source")))),
    ]
    parts = [f"### {name} (lead {lead['id']}) — {_tier_text(lead.get('tier'), lead.get('score'))}", "",
             *([contact, ""] if contact else []),
             "| " + " | ".join(label for label, _ in facts) + " |", "|" + "---|" * len(facts),
             "| " + " | ".join(value for _, value in facts) + " |"]
    if lead.get("score_breakdown"):
        parts += ["", score_card_body(from_lead(lead))]
    elif score_lines:
        parts += ["", "**Why this score**", *(f"- {md(line)}" for line in score_lines)]
    activities = list(lead.get("activities") or [])[:5]
    if activities:
        parts += ["", "**Latest activity**"]
        parts += [f"- {day_text(a['occurred_at'])} {md(str(a['kind']).replace('_', ' '))}" + (f" ({md(a['direction'])})" if a.get("direction") else "")
                  for a in activities]  # "email opened", not email_opened
    return "\n".join(parts)


def score_card(card: Any) -> str:
    """Why a lead has its score (interfaces.score_card.ScoreCard), as Markdown: the tier and score,
    a bar per category against its cap, the top reasons in words."""
    parts = [f"### {md(card.title)} — {_tier_text(card.tier, card.score)}"]
    if card.not_asked:  # "why is X hot?" of a warm lead: "Northgate Capital is warm (37), not hot."
        parts.append(f"**{md(card.not_asked)}**")
    notes = [note for note in (card.outcome, card.others) if note]
    if notes:
        parts.append("_" + md(" ".join(notes)) + "_")
    parts += ["", score_card_body(card)]
    return "\n".join(parts)


def score_card_body(card: Any) -> str:
    from leadpilot.interfaces.score_card import bar, number

    if card.score is None:
        return "_Not scored yet._"
    lines = []
    if card.cell_line:
        lines += [f"**{md(card.cell_line)}**", ""]
        for axis in card.axes:
            reasons = "; ".join(md(reason) for reason in axis.reasons) or "nothing yet"
            lines.append(f"- **{md(axis.heading)}** `{bar(axis.share)}` — {reasons}")
        lines.append("")
    if card.model is not None:
        disagreement = card.model.disagreement
        lines += [md(card.model.sentence) + (f" _{md(disagreement)}_" if disagreement else ""), ""]
    note = card.threshold_note or card.combined_note
    lines.append(f"**Score {card.score} of 100**" + (f" — {note}" if note else ""))
    if card.categories:
        lines += ["", "| category | points | of its cap |", "|---|---:|---|"]
        lines += [f"| {md(c.label)} | {number(c.points)}" + (f" of {number(c.cap)}" if c.cap is not None else "")
                  + f" | `{bar(c.share)}` |" for c in card.categories]
    if card.reasons:
        lines += ["", "**Top reasons**", *(f"{n}. {md(reason)}" for n, reason in enumerate(card.reasons, start=1))]
    return "\n".join(lines)


def part_sections(answer: Any) -> list[str]:
    """Each part of a several-part answer drawn under its heading ("**Part 2 (tier hot):**" and its
    leads or rows), not only the last part's table (interfaces/answer_view.part_tables)."""
    from leadpilot.interfaces.answer_view import part_tables

    names = getattr(answer, "rep_names", None)
    return [f"**{md(heading)}**\n\n" + (leads_table(part["leads"], names=names) if part.get("leads")
                                        else aggregate_table(part["rows"], filters_applied=part.get("filters_applied") or [], names=names))
            for heading, part in part_tables(answer)]


def describe_call(call: Mapping[str, Any]) -> str:
    args = json.dumps(call.get("args") or {}, default=str, separators=(", ", ": "))
    return f"{call.get('name')}({args})"


def context_line(filters_applied: Sequence[str], tool_calls: Sequence[Mapping[str, Any]],
                 names: Mapping[str, str] | None = None) -> str:
    """The small print under an answer: filters applied (reps by name) and the tool calls behind it."""
    parts = []
    if filters_applied:
        parts.append("Filters: " + md(filters_text(filters_applied, names)))
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
    """Every lead of an answer as CSV (the export's columns), for download; a cell a spreadsheet
    would run as a formula gets a leading apostrophe, as in `leadpilot export`."""
    from leadpilot.tools.leads import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for lead in leads:
        cells = {column: lead.get(column) for column in CSV_COLUMNS}
        writer.writerow({column: spreadsheet_safe(value) if isinstance(value, str) else value for column, value in cells.items()})
    return buffer.getvalue().encode("utf-8")


def starters(suggestions: Sequence[str], *, limit: int = 4) -> list[tuple[str, str]]:
    """(label, message) pairs for the starter prompts of a new chat."""
    return [(s[0].upper() + s[1:].rstrip("?"), s) for s in suggestions[:limit]]
