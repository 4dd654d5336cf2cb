"""The store's own values as its file wrote them, where a word people say could mean more than one:
a word of several industries ("ISV": ManagementISV and Non-management ISV) stands for all of them, and
a source named like a channel group ("leads from Partner") is the source when written as the file
writes it. What was read is said back.
"""

from __future__ import annotations

import re
from functools import cache

from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.reading import alternation

# Words other passes read ("enterprise" is a segment, "partner" a channel) or too common to name an industry.
_COMMON = frozenset({"contact", "contacts", "person", "people", "deal", "deals", "lead", "leads", "account", "accounts", "large", "small", "medium", "new", "non", "provider", "providers", "service", "services", "tech", "technology",
                     "and", "management", "solutions", "products", "goods", "industry", "industries", "other", "general", "business",
                     "companies"})


@cache
def _read_otherwise() -> frozenset[str]:
    from leadpilot.agent.planner.categories import CHANNEL_PHRASES, SEGMENT_PHRASES, SOURCE_PHRASES, STAGE_PHRASES

    return frozenset({*SEGMENT_PHRASES, *STAGE_PHRASES, *CHANNEL_PHRASES, *SOURCE_PHRASES, *_COMMON})


# The industries a word said stands for, when it is a word of several ("isv" -> ManagementISV and Non-management ISV):
# the values joined by this mark in the industry table (Reading.categorical adds each).
SEVERAL = "|"


def industry_words(label: str) -> list[str]:
    """The words of an industry as the file wrote it: "ManagementISV" is Management + ISV, "Non-management ISV"
    is non, management, isv (lower case)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", label)
    return [word.lower() for word in re.findall(r"[A-Za-z0-9]+", spaced)]


def shared_industry_words(vocabulary: Vocabulary, table: dict[str, str], held: set[str]) -> dict[str, str]:
    """A word of several of the store's industries as the file wrote them ("ISV" in ManagementISV and
    Non-management ISV; "storage" in Storage Equipment and Storage Service Provider) stands for all of them
    (any of: listing both, and the answer says so — never one picked silently). Not a word other passes read,
    nor one the planner's own industry words already give a held value."""
    from leadpilot.memory.vocab import industry_slug

    owners: dict[str, set[str]] = {}
    for label in vocabulary.industry_labels:
        value = industry_slug(label)
        if value not in held:
            continue
        words = industry_words(label)
        for word in words if len(words) > 1 else ():
            if len(word) >= 3 and word not in _read_otherwise():
                for form in (word, f"{word}s"):
                    owners.setdefault(form, set()).add(value)
    return {word: SEVERAL.join(sorted(values)) for word, values in owners.items()
            if len(values) > 1 and (word not in table or table[word] not in held)}


def several_industry_readings(text: str, filters: list[dict], vocabulary: Vocabulary) -> list[str]:
    """ "Read 'ISV' as either of your industries ManagementISV or Non-management ISV.": a word that stood for
    several industries, said back with each as the file wrote it."""
    from leadpilot.memory.vocab import industry_slug

    from leadpilot.agent.planner.categories import industry_table

    table = {word: value for word, value in industry_table(vocabulary).items() if SEVERAL in value}
    named = {v for f in filters for one in (f, *(f.get("any_of") or [])) for key in ("industry", "not_industry") for v in one.get(key) or []}
    if not table or not named:
        return []
    labels = {industry_slug(label): label for label in sorted(vocabulary.industry_labels)}
    lines = []
    for said in dict.fromkeys(re.findall(rf"(?<![\w-])(?:{alternation(table)})(?![\w-])", text, re.I)):
        values = table[said.lower()].split(SEVERAL)
        if set(values) <= named:
            names = [labels.get(value, value) for value in values]
            lines.append(f"Read {said!r} as any of your industries {', '.join(names[:-1])} or {names[-1]}.")
    return lines


def named_as_source(original: str, phrase: str, vocabulary: Vocabulary) -> bool:
    """ "leads from Partner": a store's source value that is also a channel group's name, written as the
    value is (capitalised, singular, not first in the sentence), is that source; "partners", "partner
    leads" stay the channel group (every partner source)."""
    value = vocabulary.sources.get(phrase)
    if value is None or phrase != value.replace("_", " ") or phrase.endswith("s") and not value.endswith("s"):
        return False
    capital = phrase[:1].upper() + phrase[1:]
    return re.search(rf"(?<=\S\s)(?:{re.escape(capital)}|{re.escape(phrase.upper())})(?![\w-])", original) is not None


def channel_source_readings(text: str, filters: list[dict], vocabulary: Vocabulary) -> list[str]:
    """What a word that is both a source of the store and a channel group was read as: "Read 'Partner' as
    the source Partner (the partner channel also has Seminar Partner)", or the other way round."""
    from leadpilot.memory.vocab import channel_of, normalise_source, source_label

    written = {normalise_source(label): label for label in sorted(vocabulary.source_labels)}

    def source_label(value: str, _label=source_label) -> str:
        return written.get(value) or _label(value)

    sources = sorted(set(vocabulary.sources.values()))
    lines = []
    for f in filters:
        for value in f.get("source") or []:
            others = [s for s in sources if s != value and channel_of(s).value == value]
            if others and named_as_source(text, value.replace("_", " "), vocabulary):
                lines.append(f"Read {source_label(value)!r} as the source {source_label(value)} (the {value} channel also has "
                             f"{', '.join(source_label(s) for s in others)}: say '{value} channel' for all of it).")
        for value in f.get("channel") or []:
            members = [s for s in sources if channel_of(s).value == value]
            if value in vocabulary.sources.values() and len(members) > 1:
                lines.append(f"The {value} channel is {', '.join(source_label(s) for s in members[:-1])} and {source_label(members[-1])}.")
    return list(dict.fromkeys(lines))
