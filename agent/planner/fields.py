"""Values named with their field — "source: webinar", "leads where the source is linkedin", "stage =
negotiation", "with tier platinum", "industry isn't retail" — and every categorical value checked
against what the store holds.

A value is read from the field's own words (the planner's tables) and the store's values (its
sources, industries, departments). One nobody in the data has is never passed through as a filter
that silently matches nothing: the answer says so, with the values the data does have and the
closest ones ("No lead in your data has the source 'tiktok'. Sources in your data: event, organic,
...; closest: ..."). A word next to a field the reader could not read ("the negotiation stage",
"leads from tiktok") gets the same hint in the refusal.
"""

from __future__ import annotations

import re
from typing import Any

from leadpilot.agent.planner.categories import (CHANNEL_PHRASES, INDUSTRY_PHRASES, QUALIFIED_PHRASES, SEGMENT_PHRASES, SOURCE_PHRASES,
                                                 STAGE_PHRASES)
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.people import DEPARTMENT_WORDS, LEVELS, SENIORITY_PHRASES
from leadpilot.agent.planner.reading import FILLER, Reading, alternation
from leadpilot.memory.vocab import INDUSTRIES, QUALIFIED_STAGES, Channel, Stage, channel_label, industry_label, source_label

# The words people use for a field, -> the field.
FIELD_WORDS = {
    "source": "source", "sources": "source", "lead source": "source", "channel": "channel", "channel group": "channel",
    "industry": "industry", "vertical": "industry", "sector": "industry", "stage": "stage", "lifecycle stage": "stage",
    "tier": "tier", "department": "department", "dept": "department", "seniority": "seniority", "segment": "segment",
}
_NEGATED = r"(?P<neg>is\s+not|isn't|is\s+n't|!=|<>|not|other\s+than)"
_IS = r"(?:is|=|==|:|equals|of)"
_VALUE = r"(?P<value>[a-z0-9][\w&.'/+-]*(?:[ -][a-z0-9][\w&.'/+-]*){0,3}?)"
# Where a value ends: the end, punctuation, or a word that starts the next condition.
_END = r"(?=\s*(?:$|[,;?.!)]|\s(?:and|or|with|that|who|which|in|from|not|by|sorted|ordered|order|for|but|where|whose|created|contacted|"
_END += r"owned|leads?|accounts?|deals|prospects?|companies|this|last|since|over|under|above|below)\b))"
_NOT_A_VALUE = frozenset({"and", "or", "by", "per", "each", "every", "the", "a", "an", "is", "are", "of", "with", "which", "what",
                          "breakdown", "split", "mix", "distribution", "not", "any", "all"})
_BEFORE_GROUPING = re.compile(r"\b(?:by|per|each|every|across|which|what|whose|group(?:ed)?\s+by|broken\s+down\s+by|split\s+by)\s+$")


def _values(field: str, vocabulary: Vocabulary) -> dict[str, tuple[str, tuple[str, ...]]]:
    """How a field's values are said -> (filter key, values)."""
    table: dict[str, tuple[str, tuple[str, ...]]] = {}
    if field in ("source", "channel"):
        table |= {phrase: ("channel", (value,)) for phrase, value in CHANNEL_PHRASES.items()}
        table |= {c.value: ("channel", (c.value,)) for c in Channel} | {channel_label(c.value): ("channel", (c.value,)) for c in Channel}
        if field == "source":
            table |= {phrase: ("source", (value,)) for phrase, value in SOURCE_PHRASES.items()}
            table |= {phrase: ("source", (value,)) for phrase, value in vocabulary.sources.items()}
    elif field == "industry":
        table |= {phrase: ("industry", (slug,)) for phrase, slug in INDUSTRY_PHRASES.items()}
        table |= {slug: ("industry", (slug,)) for slug in vocabulary.industries}
        table |= {industry_label(slug).lower(): ("industry", (slug,)) for slug in vocabulary.industries}
    elif field == "stage":
        table |= {phrase: ("stage", (stage,)) for phrase, stage in STAGE_PHRASES.items()}
        table |= {stage.value.lower(): ("stage", (stage.value,)) for stage in Stage}
        table |= {phrase: ("qualification", (short,)) for phrase, short in QUALIFIED_PHRASES.items()}  # "stage is MQL"
    elif field == "tier":
        table |= {tier: ("tier", (tier,)) for tier in ("hot", "warm", "cold")}
    elif field == "department":
        table |= {phrase: ("department", (value,)) for phrase, value in DEPARTMENT_WORDS.items()}
        table |= {value: ("department", (value,)) for value in vocabulary.departments}
    elif field == "seniority":
        table |= {phrase: ("seniority", levels) for phrase, levels in SENIORITY_PHRASES.items()}
        table |= {level: ("seniority", (level,)) for level in LEVELS}
    elif field == "segment":
        table |= {phrase: ("segment", (segment,)) for phrase, segment in SEGMENT_PHRASES.items()}
    return table


def held(field: str, vocabulary: Vocabulary) -> list[str]:
    """The values of `field` the data has (the store's, where the vocabulary knows them), as said."""
    if field == "source" and vocabulary.sources:
        return sorted({source_label(value) for value in vocabulary.sources.values()})
    if field in ("source", "channel"):
        return [channel_label(c.value) for c in Channel]
    if field == "industry":
        return sorted(industry_label(slug) for slug in (vocabulary.industries or INDUSTRIES))
    if field == "department":
        return sorted(vocabulary.departments or set(DEPARTMENT_WORDS.values()))
    if field == "stage":
        return [stage.value for stage in Stage]
    if field == "tier":
        return ["hot", "warm", "cold"]
    if field == "seniority":
        return list(LEVELS)
    if field == "city":
        return sorted(set(vocabulary.cities.values()))
    if field == "country":
        from leadpilot.memory.geo import country_name

        return sorted(country_name(code) for code in vocabulary.countries)
    return sorted(set(SEGMENT_PHRASES.values())) if field == "segment" else []


def closest(said: str, choices: list[str], limit: int = 3) -> list[str]:
    """The choices most like `said` (rapidfuzz), best first: for "did you mean ...?"."""
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    found = process.extract(said.lower(), [c.lower() for c in choices], scorer=Indel.normalized_similarity, score_cutoff=0.5, limit=limit)
    by_lower = {c.lower(): c for c in choices}
    return [by_lower[choice] for choice, _, _ in found]


def unheld_message(field: str, said: str, vocabulary: Vocabulary) -> str:
    """ "No lead in your data has the source 'tiktok'. Sources in your data: ...; closest: ..."."""
    values = held(field, vocabulary)
    close = closest(said, values)
    plural = {"industry": "industries", "seniority": "seniority levels", "city": "cities", "country": "countries"}.get(field, f"{field}s")
    listed = ", ".join(values[:20]) + (", ..." if len(values) > 20 else "")
    none = "Every lead in your data has a source" if field == "source" and said == source_label(None) else f"No lead in your data has the {field} {said!r}"
    return (f"{none}. {plural.capitalize()} in your data: {listed}"
            + (f" (closest: {', '.join(close)})" if close else "") + ".")


class FieldValues(Reading):
    """Reads "FIELD is VALUE" (and "with FIELD VALUE", "FIELD: VALUE", "FIELD is not VALUE")."""

    def read_field_values(self) -> None:
        said = self.said(FIELD_WORDS)
        if not said:
            return
        fields = alternation(said)
        lead_in = r"(?:(?:where|whose|with|having|and|that\s+have|which\s+have)\s+(?:the\s+|their\s+|a\s+|its\s+|lead\s+)?)"
        pattern = (rf"\b(?P<lead_in>{lead_in})?(?P<field>{fields})(?:\s*(?:{_NEGATED}\s*{_IS}?|{_IS})\s*|\s+)(?:the\s+)?{_VALUE}{_END}")

        def handle(m: re.Match[str]) -> bool:
            field = FIELD_WORDS[m.group("field")]
            words = m.group("value").split()
            while words and words[-1] in FILLER and len(words) > 1:
                words.pop()  # "tier platinum leads": the value is "platinum"
            value = " ".join(words)
            explicit = m.group("lead_in") or re.match(rf"\s*(?:{_NEGATED}|{_IS})", m.string[m.end("field"):m.start("value")])
            if not explicit and (_BEFORE_GROUPING.search(self.text[: m.start()]) or words[0] in _NOT_A_VALUE):
                return False  # "by source", "which industry": a grouping, not a value
            if words[0] in _NOT_A_VALUE:
                return False
            table = _values(field, self.vocabulary)
            found = table.get(value) or table.get(value.replace("-", " ")) or table.get(value.replace(" ", "_"))
            if found is None:
                if not explicit:
                    return False  # "source webinar" without "is" / "with": leave it to the other passes
                self.unsupported = self.unsupported or unheld_message(field, value, self.vocabulary)
            else:
                key, values = found
                for one in values:
                    if m.group("neg") and key == "qualification":  # "stage is not MQL": not the stage an MQL stands for
                        self.add("not_stage", QUALIFIED_STAGES[one].value)
                    else:
                        self.add(f"not_{key}" if m.group("neg") and key not in ("tier", "seniority", "segment") else key, one)
            self.blank(m.start(), m.start("value") + len(value))
            return False  # blanked above (up to the value, not the filler words after it)

        self.take(pattern, handle)


def _country(code: str) -> str:
    from leadpilot.memory.geo import country_name

    return country_name(code)


def unheld_values(filters: list[dict[str, Any]], vocabulary: Vocabulary) -> list[str]:
    """What a plan's filters name that the store does not hold (an industry, department or source no
    lead has), said as notes; empty when the vocabulary does not know the store's values."""
    checks = (("industry", vocabulary.industries), ("department", vocabulary.departments), ("source", set(vocabulary.sources.values())),
              ("country", vocabulary.countries))
    notes: list[str] = []
    for lead_filter in filters:
        for alternative in [lead_filter, *(lead_filter.get("any_of") or [])]:
            for field, store in checks:
                if not store:
                    continue
                for key in (field, f"not_{field}"):
                    for value in alternative.get(key) or []:
                        if value not in store:
                            said = (industry_label(value) if field == "industry" else source_label(value) if field == "source"
                                    else _country(value) if field == "country" else value)
                            note = unheld_message(field, said, vocabulary)
                            if note not in notes:
                                notes.append(note)
    return notes


_NEXT_TO_FIELD = (r"(?:(?P<field_after>{fields})\s*(?:{is_}\s*)?(?:the\s+)?(?P<a>{word})|(?P<b>{word})\s+(?P<field_before>{fields})"
                  r"|(?P<from>from|via|through)\s+(?:the\s+|our\s+)?(?P<c>(?:[a-z][\w-]*\s+){{0,2}}{word}))")


def place_hint(word: str, text: str, vocabulary: Vocabulary) -> str | None:
    """ "any leads in Madrid?": for a word the reader could not read (and that is no near-miss of a
    known word) said as a place, that no lead is there — the store's cities are all known to the reader."""
    place = re.search(rf"\b(?:in|at|near|around|out\s+of)\s+(?:the\s+)?{re.escape(word.lower())}\b(?!\s+(?:{alternation(FIELD_WORDS)})\b)",
                      text.lower())
    if place is None or not vocabulary.cities:
        return None
    return unheld_message("city", word if word[:1].isupper() else word.capitalize(), vocabulary)


_LEAD_NOUNS = r"(?:leads?|companies|accounts?|prospects?|deals?|firms|businesses|startups|clients|customers|opps|opportunities)"


def industry_hint(word: str, text: str, vocabulary: Vocabulary) -> str | None:
    """ "crypto leads?", "aerospace companies in Texas": a word the reader could not read (and that is
    no near-miss of a known word) said where an industry goes, right before the leads — that no lead
    is in it, with the industries the data has. Only with the store's industries to show."""
    if not vocabulary.industries or len(word) < 3:
        return None
    if re.search(rf"(?<![\w-]){re.escape(word.lower())}\s+{_LEAD_NOUNS}\b", text.lower()) is None:
        return None
    return unheld_message("industry", word, vocabulary)


def field_hint(word: str, text: str, vocabulary: Vocabulary) -> str | None:
    """For a word the reader could not read: when it stands next to a field ("the negotiation stage",
    "source tiktok") or after "from" / "via" (a source), what the data holds for that field."""
    pattern = _NEXT_TO_FIELD.format(fields=alternation(FIELD_WORDS), is_=_IS, word=rf"{re.escape(word.lower())}\b")
    match = re.search(rf"\b{pattern}", text.lower())
    if match is None:
        return None
    field = "source" if match.group("from") else FIELD_WORDS[match.group("field_after") or match.group("field_before")]
    if field == "source" and not vocabulary.sources:
        return None  # "from" is also a place ("from Berlin"): only with the store's sources to show
    return unheld_message(field, match.group("a") or match.group("b") or match.group("c"), vocabulary)
