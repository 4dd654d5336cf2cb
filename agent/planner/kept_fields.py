"""The kept-fields pass: a column of the imported CRM file that the store keeps as written, named with
its value ("leads with the rating Active", "Rating = Market Failed", "rated Acquired", "Persona is
Champion or End user"), or a value of several words on its own ("market failed leads"): the filter's
`kept` field, with the column and values as the file wrote them.
"""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import Reading, alternation

_AS = r"(?:\s*(?:is|=|:|of|as|set\s+to|equals?|==)\s*|\s+)"
_JOIN = r"\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+|\s*/\s*)"


class KeptFields(Reading):
    """Reads conditions on the store's kept CRM columns (Vocabulary.kept_fields)."""

    def read_kept_fields(self) -> None:
        for column, values in sorted(self.vocabulary.kept_fields.items()):
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
                found = re.findall(rf"(?<![\w-])(?:{alternation(said)})(?![\w-])", m.group(0))
                entry = next((k for k in self.filter.get("kept", []) if k["column"] == column), None)
                if entry is None:
                    entry = {"column": column, "values": []}
                    self.filter.setdefault("kept", []).append(entry)
                entry["values"] += [said[v] for v in found if said[v] not in entry["values"]]

            self.take(pattern, kept, gated=False)


def label_readings(text: str, filters: list[dict], column: str) -> list[str]:
    """ "Read 'hot' as your CRM's Deal - Label Hot ...": a tier word read as the CRM's own label, said back."""
    named = {v for f in filters for one in (f, *(f.get("any_of") or [])) for kept in one.get("kept") or [] if kept["column"] == column
             for v in kept["values"]}
    said = list(dict.fromkeys(word.lower() for word in re.findall(r"\b(hot|warm|cold)\b", text, re.I)))
    if not named or not said:
        return []
    return [f"Read {' / '.join(repr(word) for word in said)} as your CRM's {column} ({' or '.join(sorted(named))}); "
            "for Leadpilot's own score tier say e.g. 'scored hot'."]
