"""What every chat surface reads off an answer besides its text (Slack blocks, the web chat, the
`leadpilot ask` terminal view), said the way a rep reads it: reps by name (their email only when no
name is known), columns in words ("conversion rate", not `conversion_rate`), shares as percents, no
"None", and a total row named by the question's filters ("open leads (tier: hot; industry:
Fintech)", not "all leads" when the count was filtered). A several-part answer: each part's own table
under its heading and the filters its parts share; a comparison's Markdown table cut out of the
text for a surface that draws none; `ask --json` text with reps by name.

Pure functions of the answer's data; `AgentAnswer.rep_names` (email -> name) comes from the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# Column names as the tools write them -> as a table header says them.
_COLUMNS = {
    "count": "leads", "avg_score": "average score", "conversion_rate": "conversion rate", "share": "share",
    "median_hours": "median hours", "p90_hours": "90th percentile hours", "not_contacted": "not contacted",
    "owner": "rep", "group_by": "group",
}
_TOTAL_NAMES = ("all leads",)  # what a tool names the one row of an ungrouped count or report
_LIFECYCLE = {"open leads": "open leads", "closed leads": "closed leads", "including closed": "leads, open or closed"}


def list_offset(tool_calls: Sequence[dict[str, Any]]) -> int:
    """Where the answer's leads start in the whole list: a typed "next page" searched from `offset`."""
    searches = [call for call in tool_calls if call.get("name") == "search_leads"]
    if not searches:
        return 0
    offset = (searches[-1].get("args") or {}).get("offset") or 0
    return offset if isinstance(offset, int) and offset > 0 else 0


def rep_name(owner: Any, names: Mapping[str, str] | None = None) -> str:
    """A lead's owner as a rep reads it: the rep's name, their email when no name is known, else "unassigned"."""
    if not owner or owner == "unassigned":
        return "unassigned"
    return (names or {}).get(str(owner).lower(), str(owner))


def with_names(text: str, names: Mapping[str, str] | None = None) -> str:
    """`text` with every rep email it holds replaced by the rep's name (other addresses kept)."""
    if not names or "@" not in text:
        return text
    return _EMAIL.sub(lambda found: names.get(found.group(0).lower(), found.group(0)), text)


def day_text(value: Any, *, never: str = "never") -> str:
    """A stored time as the answers write a day: "3 Aug 2026" ("never" for none)."""
    if not value:
        return never
    from datetime import date

    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


def stage_text(value: Any) -> str:
    """A stage as a rep says it: CUSTOMER -> "customer", "—" for none."""
    return str(value).replace("_", " ").lower() if value else "—"


def filters_text(filters_applied: Sequence[str], names: Mapping[str, str] | None = None) -> str:
    """The filters line under an answer: "tier: hot; owner: Oliver Bennett; created since 7 Dec 2026"."""
    from leadpilot.agent.answer_parts import days_in_words

    return days_in_words(with_names("; ".join(filters_applied), names))


def column_label(column: str) -> str:
    """A tool's column name in words: conversion_rate -> "conversion rate", count -> "leads"."""
    return _COLUMNS.get(column, column.replace("_", " "))


def is_share(column: str) -> bool:
    return column in ("conversion_rate", "share") or column.endswith(("_rate", "_share"))


def cell_text(column: str, value: Any, names: Mapping[str, str] | None = None) -> str:
    """One table cell: a share as a percent, a float without trailing zeros, a rep by name, "n/a" for nothing."""
    if value is None or value == "":
        return "n/a" if column not in ("industry", "source") else ("(no source)" if column == "source" else "—")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and is_share(column):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{round(value, 2):g}"
    if column in ("owner", "rep"):
        return rep_name(value, names)
    if column == "stage":
        return stage_text(value)
    if column in ("industry", "source"):
        from leadpilot.memory.vocab import industry_label, source_label

        return industry_label(str(value)) if column == "industry" else source_label(str(value))
    return str(value)


def total_name(filters_applied: Sequence[str], names: Mapping[str, str] | None = None) -> str:
    """The name of an ungrouped total's row: "all leads" only when nothing narrowed it, else which
    leads were counted: "open leads (tier: hot; industry: Fintech)"."""
    lifecycle = [line for line in filters_applied if line in _LIFECYCLE]
    rest = [line for line in filters_applied if line not in _LIFECYCLE]
    which = _LIFECYCLE[lifecycle[0]] if lifecycle else "leads"
    if not rest:
        return "all " + which
    return f"{which} ({filters_text(rest, names)})"


def rows_table(
    rows: Sequence[Mapping[str, Any]], *, filters_applied: Sequence[str] = (), names: Mapping[str, str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Aggregate rows (a name column, then number columns) as (headers, cells), all text: headers in
    words, a total row named by its filters, reps by name, shares as percents. A table of one
    ungrouped total has no name column header ("total" is said by its row)."""
    if not rows:
        return [], []
    columns = list(rows[0].keys())
    name = columns[0]
    headers = [column_label(column) for column in columns]
    if name in ("total", "leads") and all(row.get(name) in _TOTAL_NAMES for row in rows):
        headers[0] = "which leads"
    body = []
    for row in rows:
        cells = [cell_text(column, row.get(column), names) for column in columns]
        if row.get(name) in _TOTAL_NAMES:
            cells[0] = total_name(filters_applied, names)
        body.append(cells)
    return headers, body


def split_tables(text: str) -> list[str | tuple[list[str], list[list[str]]]]:
    """The answer's text cut at its Markdown tables (a comparison's): text pieces as they are, each
    table as (headers, rows) for a surface that cannot draw Markdown (Slack, a terminal)."""
    pieces: list[str | tuple[list[str], list[list[str]]]] = []
    prose: list[str] = []
    table: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|") and line.rstrip().endswith("|"):
            if prose:
                pieces.append("\n".join(prose).strip("\n"))
                prose = []
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if table:
            body = [row for row in table[1:] if not all(set(cell) <= set("-: ") for cell in row)]
            pieces.append((table[0], body))
            table = []
        prose.append(line)
    if "\n".join(prose).strip():
        pieces.append("\n".join(prose).strip("\n"))
    return [piece for piece in pieces if piece != ""]


def part_tables(answer: Any) -> list[tuple[str, dict[str, Any]]]:
    """("Part 2 (tier hot):", part) for each part of a several-part answer whose leads or rows a
    surface draws under the text — each part's own, not only the last one's. A part's one total
    ("12 leads came in") and a comparison's figures are already in the text: not drawn again."""
    parts = getattr(answer, "parts", None) or []
    if len(parts) < 2:
        return []
    from leadpilot.agent.answer_parts import part_labels

    names = getattr(answer, "rep_names", None)
    compared = any(not isinstance(piece, str) for piece in split_tables(answer.answer or ""))
    labels = part_labels([part["call"] for part in parts])
    return [(f"Part {number} ({with_names(label, names)}):", part)
            for number, (part, label) in enumerate(zip(parts, labels), start=1)
            if part.get("leads") or (part.get("rows") and not compared and not _one_total(part["rows"]))]


def _one_total(rows: Sequence[Mapping[str, Any]]) -> bool:
    return len(rows) == 1 and next(iter(rows[0].values()), None) in _TOTAL_NAMES


def answer_filters(answer: Any) -> list[str]:
    """The filters line of an answer: a several-part answer's filters that every part shares (each
    part's own are in its text), not the last part's."""
    parts = getattr(answer, "parts", None) or []
    if len(parts) < 2:
        return list(answer.filters_applied or [])
    each = [list(part.get("filters_applied") or []) for part in parts]
    return [item for item in each[0] if all(item in other for other in each[1:])]


def named_json(output: dict[str, Any], names: Mapping[str, str] | None) -> dict[str, Any]:
    """`ask --json` as the plain text says it: reps by name in the answer's text and the parts'
    labels (a part's and its rows' `part`); the data's email fields (a lead's or a row's `owner`)
    keep the address."""
    named = {**output, "answer": with_names(output.get("answer") or "", names)}
    if output.get("parts"):
        named["parts"] = [{**part, "label": with_names(str(part.get("label") or ""), names)} for part in output["parts"]]
        named["rows"] = [{**row, "part": with_names(str(row["part"]), names)} if "part" in row else row for row in output.get("rows") or []]
    return named
