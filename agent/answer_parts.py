"""Answers of several tool calls in one turn: a multi-part question answered part by part, and a
comparison ("hot leads US vs Europe") as a small table, one column per side.

`answers.compose_answer` words each result with its tool's writer and hands the texts and results
here with the plan's layout: {"kind": "parts", "labels": [the part as asked, ...]} or {"kind":
"compare", "labels": ["US", "Europe"]}. Also: days in filter wording as the answers write them
("created since 7 Dec 2026", not 2026-12-07), for the answers and the chat surfaces' filter lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from leadpilot.memory.vocab import industry_label

_METRICS = {"count": "Lead count", "conversion_rate": "Conversion rate", "avg_score": "Average score"}
_GROUP_WORDS = {"owner": "rep", "segment": "company size"}  # a grouped comparison's corner cell: what its rows are


_ISO_DAY = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d:T-])")


def days_in_words(text: str) -> str:
    """`text` with each ISO day in it ("created since 2026-12-07") as the answers write a day: "7 Dec 2026"."""
    def said(found: re.Match[str]) -> str:
        try:
            day = date(*map(int, found.groups()))
        except ValueError:
            return found.group(0)
        return f"{day.day} {day:%b %Y}"

    return _ISO_DAY.sub(said, text) if "-" in text else text


def _number(value: Any, metric: str) -> str:
    if value is None:
        return "n/a"
    if metric == "conversion_rate":
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


# A part that starts with one of these is a question ("How many are hot?"); else a request ("Show me
# the hot ones:"), which a question mark would misquote.
_ASKING = frozenset("how what which who whose whom where when why is are was were do does did can could any anything "
                    "has have had should will would shall am".split())


def part_heading(label: str, number: int) -> str:
    """ "How many leads came in this week?", "Show me the hot ones (of those in part 1):": the part as
    the person asked it, capitalised and punctuated as a question or a request."""
    label = label.strip()
    if not label:
        return f"Part {number}:"
    label = label[:1].upper() + label[1:]
    if label.endswith(("?", ":")):
        return label
    bare = label.rstrip(".! ")
    first = bare.split(maxsplit=1)[0].lower().replace("’", "'").strip("'\"").split("'")[0] if bare else ""  # "what's" -> what
    return f"{bare}?" if first in _ASKING else f"{bare}:"


def _parts(texts: Sequence[str], labels: Sequence[str]) -> str:
    lines = []
    for number, text in enumerate(texts, start=1):
        lines.append(f"{number}. {part_heading(labels[number - 1] if number <= len(labels) else '', number)} {text}")
    return "\n".join(lines)


def _total(result: dict[str, Any], metric: str) -> Any:
    rows = result.get("rows") or []
    if not rows:
        return 0 if metric == "count" else None
    return rows[0].get(metric)


def _compare(results: Sequence[dict[str, Any]], labels: Sequence[str]) -> str | None:
    """A table: one column per side; one row for a total, or one per group when grouped."""
    if any("error" in r or "rows" not in r for r in results):
        return None
    metric = results[0].get("metric", "count")
    group = results[0].get("group_by")
    applied = [list(r.get("filters_applied") or []) for r in results]
    shared = [item for item in applied[0] if all(item in other for other in applied[1:])]
    header = f"{_METRICS.get(metric, metric)}, {' vs '.join(labels)}" + (f" ({'; '.join(shared)})" if shared else "") + ":"
    corner = _GROUP_WORDS.get(group, group.replace("_", " ")) if group else "measure"  # never an empty corner cell
    columns = "| " + corner + " | " + " | ".join(labels) + " |"
    rule = "|" + "---|" * (len(labels) + 1)
    if group is None:
        rows = [f"| {_METRICS.get(metric, metric)} | " + " | ".join(_number(_total(r, metric), metric) for r in results) + " |"]
    else:
        names: list[Any] = []
        for result in results:
            names.extend(row.get(group) for row in result["rows"] if row.get(group) not in names)
        by_side = [{row.get(group): row.get(metric) for row in r["rows"]} for r in results]

        def name(value: Any) -> str:
            if value is None or value == "":
                return "unassigned" if group == "owner" else "(none)"
            return industry_label(value) if group == "industry" and isinstance(value, str) else str(value)

        rows = [f"| {name(n)} | " + " | ".join(_number(side.get(n, 0 if metric == "count" else None), metric) for side in by_side) + " |"
                for n in names[:12]]
    own = [f"{label}: {'; '.join(item for item in items if item not in shared) or 'no other filter'}" for label, items in zip(labels, applied)]
    # Blank lines around the table: Markdown ends a table only at a blank line (the web chat would
    # read the next line as a row); the terminal and Slack draw it from the same lines.
    lines = [header, "", columns, rule, *rows, "", "Each side: " + " | ".join(own) + "."]
    if group is not None and len(names) > len(rows):
        lines.insert(len(lines) - 1, f"The first {len(rows)} of {len(names)} shown.")
    hidden = [(label, r.get("closed_not_shown")) for label, r in zip(labels, results)]
    if any(count for _, count in hidden):
        lines.append("Closed leads not shown: " + ", ".join(f"{label} {count or 0}" for label, count in hidden) + " — ask 'including closed'.")
    return "\n".join(lines)


def word_parts(texts: Sequence[str], results: Sequence[dict[str, Any]], layout: dict[str, Any]) -> str:
    """Several results worded together, as the plan's layout says."""
    labels = [str(label) for label in layout.get("labels") or []]
    if layout.get("kind") == "compare" and len(labels) == len(results):
        table = _compare(results, labels)
        if table is not None:
            return table
    return _parts(texts, labels)


_SCOPES = {"all": "including closed", "open": "open leads", "closed": "closed leads"}  # as the tools say them


def _said(value: Any, key: str = "") -> str:
    if isinstance(value, list):
        return " or ".join(_said(v, key) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_said(v, k)}" for k, v in value.items())
    return industry_label(value) if key == "industry" and isinstance(value, str) else days_in_words(str(value))


def part_labels(calls: Sequence[dict[str, Any]]) -> list[str]:
    """A short label per tool call of a several-part answer, from what sets it apart from the others:
    "country US" and "region EUROPE" for a comparison, "tier hot" for one part of several questions
    (the calls' own words, so it holds for any backend); when nothing does, the part's own
    conditions ("created after 16 Nov 2026"), its grouping ("by industry"), or "all leads"."""
    same_tool = len({c.get("name") for c in calls}) == 1  # else "metric count" says only which tool it was
    arguments = [{**{k: v for k, v in (c.get("args") or {}).items() if k != "filter" and same_tool},
                  **((c.get("args") or {}).get("filter") or {})} for c in calls]
    labels = []
    for number, args in enumerate(arguments, start=1):
        own = {k: v for k, v in args.items() if len(calls) < 2 or any(other.get(k) != v for other in arguments if other is not args)}
        if not set(own) - {"scope"}:  # nothing but which leads sets it apart: its own conditions, with that
            own = (calls[number - 1].get("args") or {}).get("filter") or own
        said = "; ".join(_SCOPES.get(value, str(value)) if key == "scope" else f"{key.replace('_', ' ')} {_said(value, key)}"
                         for key, value in own.items())
        group = (calls[number - 1].get("args") or {}).get("group_by")
        labels.append(said or (f"by {_GROUP_WORDS.get(group, str(group).replace('_', ' '))}" if group else "all leads"))
    return labels
