"""Typos and near-misses: a word the passes could not read, matched by edit distance (rapidfuzz)
against every word the planner knows — its own keywords ("leads", "contacted"), the phrase tables
(industries, sources, stages, segments, regions, countries, states) and the store's names
(cities, reps, companies, sources).

Only a close match counts (one edit in a word of up to 7 letters, two up to 11, three beyond;
a swap of two letters is one edit); a three-letter word only for an obvious slip (two letters
swapped, "hte", or one left out, "shw"), a shorter one never; and a capitalised word (a name) only
becomes another name. Whether a correction is right is decided by the reader:
the corrected question must read in full, and when two corrections would both read, neither is
guessed. What was corrected is said back: "Read 'helthcare' as healthcare".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from leadpilot.agent.dates import MONTHS, WEEKDAYS
from leadpilot.agent.planner.activity import PAGE_WORDS
from leadpilot.agent.planner.categories import (CHANNEL_PHRASES, INDUSTRY_PHRASES, QUALIFIED_PHRASES, SEGMENT_PHRASES, SOURCE_PHRASES,
                                                 STAGE_PHRASES)
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.people import DEPARTMENT_WORDS, SENIORITY_PHRASES
from leadpilot.agent.planner.places import CITY_ALIASES, COUNTRY_PHRASES, REGION_PHRASES, US_STATES
from leadpilot.agent.planner.reading import FILLER

# The planner's own words: what its patterns read, and their usual inflections.
KEYWORDS = frozenset(
    """lead leads prospect prospects contact contacts account accounts company companies deal deals customer
    customers pipeline hot warm cold hottest tier tiers score scores scored scoring points rated probability likelihood
    likely unlikely chance odds convert converts converted converting conversion rate rates average median
    count number total tally many breakdown distribution split spread industry industries vertical verticals
    source sources channel channels owner owners owned owns rep reps salesperson stage stages country countries
    state states city cities region regions segment segments size month months monthly week weeks weekly
    weekend year years yearly quarter quarters today yesterday tomorrow since before after between during within
    last past previous recent recently newest latest oldest biggest largest smallest highest lowest best worst
    sort sorted order ordered rank ranked top first second third fourth fifth contacted touched reached called
    emailed followed engaged spoken talked heard uncontacted untouched never created added captured arrived
    received generated imported entered signed opened clicked visited viewed looked checked browsed landed
    requested booked attended submitted filled meeting meetings demo demos form forms email emails newsletter
    employees people staff headcount workers more less fewer least most above below under over exceeding
    greater bigger larger smaller higher lower exactly minimum maximum unassigned assigned nobody ownerless
    open active closed won lost converted including excluding except without outside other besides mine
    not non never pricing page pages worth value valued amount
    visits views follow ups due call calls report volume inflow intake attribution touch first-touch
    leaderboard performance performing doing response speed time hours stale neglected idle dormant
    phone phones email number numbers title titles seniority department departments executives execs
    directors managers founders vice president presidents ever all-time historical history compare versus""".split()
)


@dataclass(frozen=True)
class Correction:
    """One word read as another: what was typed, the word put in its place, and how to say it."""

    said: str
    word: str
    display: str
    score: float = 0.0  # how alike the two are (0-1): of two corrections that both read, the closer wins


def _words_of(phrases: object) -> set[str]:
    return {w for phrase in phrases for w in re.findall(r"[a-z][a-z&'-]*", str(phrase).lower())}


@lru_cache(maxsize=1)
def _table_index() -> dict[str, str]:
    """Every word of the planner's phrase tables (industries, places, sources, ...), lower case -> itself."""
    words: set[str] = set()
    for table in (INDUSTRY_PHRASES, SOURCE_PHRASES, CHANNEL_PHRASES, STAGE_PHRASES, QUALIFIED_PHRASES, SEGMENT_PHRASES, REGION_PHRASES,
                  COUNTRY_PHRASES, US_STATES, CITY_ALIASES, SENIORITY_PHRASES):
        words |= _words_of(table)
    words |= _words_of(PAGE_WORDS) | _words_of(DEPARTMENT_WORDS) | set(MONTHS) | set(WEEKDAYS)
    return {w: w for w in words if len(w) >= 3}


@lru_cache(maxsize=1)
def _static_index() -> dict[str, str]:
    """The tables' words and the planner's own keywords."""
    return {**{w: w for w in KEYWORDS if len(w) >= 3}, **_table_index()}


_NAME_KINDS = ("cities", "states", "companies", "contacts", "sources", "reps", "industry_names", "status_names")


def _store_index(vocabulary: Vocabulary) -> dict[str, str]:
    """The store's names word by word, lower case -> how to say it back: the whole name when only
    one name has that word ("fransisco" -> San Francisco), else the word as the store spells it.
    Kept on the vocabulary, so a store's 100,000 company names are split once."""
    cached = vocabulary.__dict__.get("_typo_index")
    if cached is None:
        owners: dict[str, set[str]] = {}
        spelled: dict[str, str] = {}
        for kind in _NAME_KINDS:
            for key, value in getattr(vocabulary, kind, {}).items():
                name = key.title() if kind == "reps" else str(value)
                cased = {w.lower(): w for w in re.findall(r"[^\W\d_][\w&'-]*", name)}
                for word in re.findall(r"[^\W\d_][\w&'-]*", key):
                    if len(word) >= 3:
                        owners.setdefault(word, set()).add(name.replace("_", " "))
                        spelled.setdefault(word, cased.get(word, word))
        cached = {word: next(iter(names)) if len(names) == 1 else spelled[word] for word, names in owners.items()}
        vocabulary.__dict__["_typo_index"] = cached
    return cached


@lru_cache(maxsize=1)
def _filler_index() -> dict[str, str]:
    return {w: w for w in FILLER}


def is_planner_word(word: str) -> bool:
    """Is `word` (lower case) one of the planner's own words (filler, keywords, its tables)?"""
    return word in FILLER or word in _static_index()


def is_known(word: str, vocabulary: Vocabulary) -> bool:
    """Is `word` (lower case) one the planner or the store knows?"""
    return is_planner_word(word) or word in _store_index(vocabulary)


def _max_edits(word: str) -> int:
    return 1 if len(word) <= 7 else 2 if len(word) <= 11 else 3


def _is_insertion(short: str, long: str) -> bool:
    """`long` is `short` with one letter added."""
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _is_swap(a: str, b: str) -> bool:
    return len(a) == len(b) and sorted(a) == sorted(b) and sum(x != y for x, y in zip(a, b)) == 2


def candidates(word: str, vocabulary: Vocabulary, *, capitalised: bool = False) -> list[Correction]:
    """The closest known words to `word` (all at the same, smallest distance), best first."""
    from rapidfuzz import process  # here, not at import: most questions have no typo
    from rapidfuzz.distance import OSA, Indel

    word = word.lower()
    if len(word) < 3 or not word.isalpha() and not re.fullmatch(r"[a-z][a-z&'-]+", word) or is_planner_word(word):
        return []
    short = len(word) == 3  # only an obvious slip: two letters swapped ("hte") or one left out ("shw", "mya")
    found: dict[str, tuple[int, float, str]] = {}
    names = _store_index(vocabulary)
    pools = [(names, True), (_table_index(), False)] if capitalised else [(_static_index(), False), (names, True), (_filler_index(), False)]
    for pool, is_name in pools:
        for choice, distance, _ in process.extract(word, list(pool), scorer=OSA.distance, score_cutoff=_max_edits(word), limit=8):
            if distance == 0:
                continue  # a store name left unread ("hot leeds" where Leeds is a city): look for what else it is
            if short and not (_is_swap(word, choice) or (len(choice) == 4 and _is_insertion(word, choice))):
                continue
            if pool is not names and choice in FILLER and choice not in _static_index() and not short:
                if len(choice) < 4 or (len(word) < 5 and not _is_swap(word, choice)):
                    continue  # a filler word only for an obvious slip: "plese", "whcih", "shwo"
            similarity = Indel.normalized_similarity(word, choice)
            if choice not in found or found[choice][:2] > (distance, -similarity):
                found[choice] = (int(distance), -similarity, pool[choice] if is_name else choice)
    if not found:
        return _sounds_like(word, vocabulary, capitalised=capitalised)
    best = min(d for d, _, _ in found.values())
    ranked = sorted((v[1], k) for k, v in found.items() if v[0] == best)
    return [Correction(word, choice, found[choice][2], -negative) for negative, choice in ranked]


_SOUNDS = ((re.compile(r"ch|ck|c(?=[aoukrlt]|$)|q"), "k"), (re.compile(r"ph"), "f"), (re.compile(r"c(?=[eiy])|z"), "s"),
           (re.compile(r"(.)\1+"), r"\1"))


def sound_key(word: str) -> str:
    """How a word sounds, roughly, for spellings that are far by letters but not by ear: "biotek" and
    "biotech", "fintek" and "fintech", "ecomerce" and "ecommerce" share a key."""
    for pattern, replacement in _SOUNDS:
        word = pattern.sub(replacement, word)
    return word


def _sound_index(pool: dict[str, str], owner: object) -> dict[str, set[str]]:
    """`pool`'s words by sound key, kept on `owner` (a vocabulary) for that very pool: a copy of a
    vocabulary narrowed to the names one person may see (agent/vocabulary.py) gets its own."""
    kept = getattr(owner, "__dict__", {}).get("_sound_index") if owner is not None else None
    if kept is not None and kept[0] is pool:
        return kept[1]
    index: dict[str, set[str]] = {}
    for choice in pool:
        if len(choice) >= 5:
            index.setdefault(sound_key(choice), set()).add(choice)
    if owner is not None:
        owner.__dict__["_sound_index"] = (pool, index)
    return index


@lru_cache(maxsize=1)
def _static_sounds() -> dict[str, set[str]]:
    return _sound_index(_static_index(), None)


def _sounds_like(word: str, vocabulary: Vocabulary, *, capitalised: bool) -> list[Correction]:
    """The one known word (of five letters or more) that sounds like `word`, when no spelling is close."""
    if len(word) < 5:
        return []
    from rapidfuzz.distance import Indel

    names = _store_index(vocabulary)
    key = sound_key(word)
    found = {(choice, names[choice]) for choice in _sound_index(names, vocabulary).get(key, ())}
    if not capitalised:
        found |= {(choice, choice) for choice in _static_sounds().get(key, ())}
    if len({display for _, display in found}) != 1:
        return []  # none, or several that sound alike: not guessed
    choice, display = next(iter(found))
    return [Correction(word, choice, display, Indel.normalized_similarity(word, choice))]


STORE_NAME_SIMILARITY = 0.85  # "northgte" ~ northgate 0.94; "weather" ~ water 0.83


def suggestions(word: str, vocabulary: Vocabulary, limit: int = 3) -> list[str]:
    """Known words that look like `word`, for "did you mean ...?" (looser than a correction)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    word = word.lower()
    if len(word) < 5:
        return []
    static, store = _static_index(), _store_index(vocabulary)
    pool = {**static, **store}
    found = process.extract(word, list(pool), scorer=Indel.normalized_similarity, score_cutoff=0.75, limit=limit)
    # A store name (a company, a person) only for a close slip ("northgte"): a word of another kind that
    # merely looks like one word of a name ("weather" ~ Foxhollow *Water* Authority) is not a company the
    # person meant, and an out-of-scope question must not be answered with one.
    return [pool[choice] for choice, score, _ in found
            if choice[0] == word[0] and (choice in static or score >= STORE_NAME_SIMILARITY)]  # a slip rarely changes the first letter


def options(unknown: list[str], text: str, vocabulary: Vocabulary, limit: int = 12) -> list[list[Correction]]:
    """Every combination of corrections for the unknown words (each word its closest candidates),
    smallest first; empty when some word has no candidate at all."""
    per_word: list[list[Correction]] = []
    seen: set[str] = set()
    for said in unknown:
        key = said.lower()
        if key in seen:
            continue
        seen.add(key)
        occurrence = re.search(rf"(?<![\w'-]){re.escape(said)}(?![\w'-])", text, re.I)
        shown = occurrence.group(0) if occurrence else said
        capitalised = shown[:1].isupper() and not shown.isupper() and occurrence is not None and occurrence.start() > 0
        found = candidates(key, vocabulary, capitalised=capitalised)
        if found:  # a word with no close match stays as it is (the reader will say it cannot read it)
            per_word.append([Correction(shown, c.word, c.display, c.score) for c in found[:3]])
    return [list(combo) for combo in product(*per_word)][:limit] if per_word else []


def apply(text: str, corrections: list[Correction]) -> str:
    """`text` with each corrected word replaced (whole words, any case)."""
    for correction in corrections:
        text = re.sub(rf"(?<![\w'-]){re.escape(correction.said)}(?![\w'-])", correction.word, text, flags=re.I)
    return text


def reading_line(corrections: list[Correction]) -> str | None:
    """"Read 'helthcare' as healthcare and 'fintch' as fintech." (slips of filler words go unsaid)."""
    said = [c for c in corrections if c.word not in FILLER or c.word in KEYWORDS]
    if not said:
        return None
    parts = [f"'{c.said}' as {c.display}" for c in said]
    return "Read " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."
