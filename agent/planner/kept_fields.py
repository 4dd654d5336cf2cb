"""The kept-fields pass: a column of the imported CRM file that the store keeps as written, named with
its value ("leads with the rating Active", "Rating = Market Failed", "rated Acquired", "Persona is
Champion or End user"), or a value of several words on its own ("market failed leads"): the filter's
`kept` field, with the column and values as the file wrote them. The CRM's own hot / warm / cold label
(Pipedrive's Deal - Label, a Salesforce Rating) is the typed `crm_label` field instead, the one an LLM fills too.
"""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import Reading, alternation
from leadpilot.memory.crm_facets import CRM_RATING_COLUMNS

_AS = r"(?:\s*(?:is|=|:|of|as|set\s+to|equals?|==)\s*|\s+)"
_TIERS = frozenset({"hot", "warm", "cold"})
_GROUPED_ELSEWHERE = frozenset({"tier", "industry", "industrie", "source", "channel", "owner", "stage", "status", "statuse", "country", "state",
                                "city", "month", "segment", "seniority", "department", "rep", "size", "lead status", "lead source"})
_JOIN = r"\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+|\s*/\s*)"


class KeptFields(Reading):
    """Reads conditions on the store's kept CRM columns (Vocabulary.kept_fields)."""

    def read_kept_fields(self) -> None:
        for column, values in sorted(self.vocabulary.kept_fields.items()):
            said_column = " ".join(column.lower().split())
            # "by rating", "by label" ("Deal - Label"); "by stage" stays Leadpilot's own grouping (planner aggregates)
            names = [name for name in {said_column, said_column.rsplit(" - ", 1)[-1]} if name.rstrip("s") not in _GROUPED_ELSEWHERE]

            def grouped(m: re.Match[str], column: str = column, values: frozenset[str] = values) -> None:
                self.unsupported = self.unsupported or (
                    f"I can't count by your CRM's {column} column yet. Ask for one value at a time, e.g. "
                    f"'leads with {column} {sorted(values)[0]}' (its values: {', '.join(sorted(values))}).")

            if names:
                self.take(rf"\b(?:by|per|for\s+each|grouped\s+by|split\s+by|broken\s+down\s+by)\s+(?:the\s+)?(?:{alternation(names)})s?\b",
                          grouped, gated=False)
            said = {" ".join(value.lower().split()): value for value in values}
            present = [phrase for phrase in said if phrase in self.text]
            if not present:
                continue
            name = re.escape(" ".join(column.lower().split()))
            if "rating" in column.lower():
                name = rf"(?:{name}|rated(?:\s+as)?)"
            value = rf"['\"]?(?:{alternation(present)})['\"]?(?![\w-])"
            listed = rf"{value}(?:{_JOIN}{value})*"
            alone = [phrase for phrase in present if " " in phrase]
            pattern = (rf"(?<![\w-]){name}{_AS}{listed}|(?<![\w-]){listed}\s+{name}(?![\w-])"
                       + (rf"|(?<![\w-])(?:{alternation(alone)})(?:s|\s+ones)?(?![\w-])" if alone else ""))

            def kept(m: re.Match[str], said: dict[str, str] = said, column: str = column) -> None:
                for found in re.findall(rf"(?<![\w-])(?:{alternation(said)})(?![\w-])", m.group(0)):
                    add_label(self.filter, column, said[found])

            self.take(pattern, kept, gated=False)


def add_label(filter: dict, column: str, value: str) -> None:
    """Adds "`column` is `value`" to the filter: the typed `crm_label` for the CRM's own label or rating column
    (memory.crm_facets.CRM_RATING_COLUMNS, when its values are hot / warm / cold), else a `kept` condition."""
    if column in CRM_RATING_COLUMNS and value.lower() in _TIERS:
        values = filter.setdefault("crm_label", [])
    else:
        entry = next((k for k in filter.get("kept", []) if k["column"] == column), None)
        if entry is None:
            entry = {"column": column, "values": []}
            filter.setdefault("kept", []).append(entry)
        values = entry["values"]
    if value not in values:
        values.append(value)


def label_readings(text: str, filters: list[dict], column: str | None) -> list[str]:
    """ "Read 'hot' as your CRM's Deal - Label Hot ...": a tier word read as the CRM's own label, said back; in a
    store that keeps no such label, "labelled hot" is read as Leadpilot's score tier, and the answer says so."""
    if column is None:
        said = re.search(r"\b(?:labell?ed|tagged|marked|flagged)\s+(?:as\s+)?(hot|warm|cold)\b", text, re.I)
        tiers = {t for f in filters for one in (f, *(f.get("any_of") or [])) for t in one.get("tier") or []}
        if said is None or said.group(1).lower() not in tiers:
            return []
        return [f"Your data keeps no CRM label, so I read {said.group(0)!r} as Leadpilot's score tier {said.group(1).lower()}."]
    named = {v for f in filters for one in (f, *(f.get("any_of") or [])) for v in [
        *(one.get("crm_label") or []), *(v for kept in one.get("kept") or [] if kept["column"] == column for v in kept["values"])]}
    said = list(dict.fromkeys(word.lower() for word in re.findall(r"\b(hot|warm|cold)\b", text, re.I)))
    if not named or not said:
        return []
    return [f"Read {' / '.join(repr(word) for word in said)} as your CRM's {column} ({' or '.join(sorted(named))}); "
            "for Leadpilot's own score tier say e.g. 'scored hot'."]
