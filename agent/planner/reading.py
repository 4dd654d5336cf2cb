"""The reader's state and the machinery every pass uses: take a phrase and blank it, tell whether
it is negated, add a value to the filter, match a phrase table or the store's names, and list
the words left unread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from leadpilot.agent.dates import MONTH_NAMES, WINDOW_RE, Window, joined, resolve_window
from leadpilot.agent.numbers import words_to_digits
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.regex_gate import could_match

FILLER = frozenset(
    """a about above across after all also am an and any anyone anything are as ask at be been being both but by can
    could did do does done each either even ever every find for from get give got had has have having here how i
    if in into is it its just know let lets list look me more most my need now of on one ones only or our out
    over please pull right see show should so some still such tell than that the their them then there these
    they this those to too up us want was we were what whats where which who whom whose why will with would you
    your leads lead prospects contacts accounts companies company people deals records entries ones rows
    display fetch bring brought currently any all-time overall today's give me got them's who've ok okay thanks
    please kindly hey hi again instead just only same those these them now also and then rather actually
    sorted ordered order sort listed new there's that's it's we've i'd i'm what's space sector industry
    vertical market firms businesses organizations orgs based located area region gimme lemme pls plz yet
    everything everyone everybody came come comes coming sourced originating currently right now through via
    vs vs. versus compared details detail info information profile overview rundown working handling
    stuff things wondering curious possible able mind quick quickly real super really kinda sorta basically
    literally hello yo greetings cheers team guys folks everybody somebody someone wanna gotta
    who's who're what're where's which're there're here's showing listing pulling fetching finding giving telling
    status statuses situation progress went gone became become turned deal sitting among amongst his her hers theirs""".split()
)
NEGATORS = (
    r"(?:not|no|non|excluding|exclude|except|outside(?:\s+of)?|other\s+than|besides|but\s+not|without|apart\s+from|aside\s+from|"
    r"isn't|aren't|never|drop|remove|minus|skip|leave\s+out|take\s+out|filter\s+out|get\s+rid\s+of)"
)


@dataclass(frozen=True)
class Place:
    """A place named in the question: where, which filter key, its value and the words used."""

    start: int
    end: int
    key: str
    value: str
    said: str


def alternation(phrases: Iterable[str]) -> str:
    return _escaped_alternation(tuple(phrases))


@lru_cache(maxsize=64)
def _escaped_alternation(phrases: tuple[str, ...]) -> str:
    # The phrase tables are constants: escaped and sorted once, not on every question.
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


_WINDOW_JOINT = re.compile(r"\s*(?:,\s*(?:or|and)?|or|and|/|&)\s*")  # "yesterday or today", "last week, this week"
_MONTH_ALONE = re.compile(rf"(?:{MONTH_NAMES})\b")
_WORD = re.compile(r"[^\W_](?:[\w&.'-]*[^\W_])?")  # a word, letters of any alphabet


class Reading:
    """A question being read: what the passes have filled in so far, and the text left unread."""

    said_as_one: tuple[str, ...] = ()  # fields one word filled with several values ("ISV": two industries)

    def __init__(self, question: str, *, now: datetime, vocabulary: Vocabulary):
        original = words_to_digits(" ".join(question.replace("’", "'").split()))
        self.original = original
        self.text = original.lower()
        self.now = now
        self.vocabulary = vocabulary
        self.filter: dict[str, Any] = {}
        self.search: dict[str, Any] = {}
        self.aggregate: dict[str, Any] | None = None
        self.lead_ref: int | None = None
        self.unwindowed_activity: tuple[dict[str, Any], int] | None = None  # (condition, where its phrase ends)
        self.unsupported: str | None = None  # read, but not something the query tool can say
        self.ordinal: int | None = None
        self.semantic_text: str | None = None
        self.metrics_said: list[tuple[int, str]] = []  # every metric and grouping said, and where: two of a kind are two answers
        self.groups_said: list[tuple[int, str]] = []

    # -- machinery --
    def take(self, pattern: str, handler: Callable[[re.Match[str]], bool | None], flags: int = 0, *, gated: bool = True) -> None:
        """Apply `handler` to every match; blank the match unless the handler returns False.
        `gated=False` for a pattern made from words the text says (nothing to pre-check)."""
        if gated and not could_match(pattern, self.text, flags):
            return  # none of the words every match needs is in the text: not compiled, not run
        for match in list(re.finditer(pattern, self.text, flags)):
            if not self.text[match.start() : match.end()].strip():
                continue  # already read
            if handler(match) is not False:
                self.blank(match.start(), match.end())

    def take_windowed(
        self,
        pattern: str,
        handler: Callable[[re.Match[str], Window | None], bool | None],
        *,
        required: bool,
        unless: str | None = None,
    ) -> None:
        """Like `take`, for a phrase followed by a time window ("opened an email this week"): the
        phrase is matched by `pattern`, the window right after it (past spaces) by dates.WINDOW_RE;
        `handler` gets the phrase's match and the window (None when there is none and it is not
        `required`), and the match is blanked through the window. When the group `unless` matched,
        the phrase said its own time ("not contacted for 3 weeks") and no window is looked for. The
        window's grammar is compiled once, not into every phrase that can carry one (a dozen copies
        cost ~0.1 s on a process's first question)."""
        if not could_match(pattern, self.text):
            return
        consumed = 0
        for match in list(re.finditer(pattern, self.text)):
            if match.start() < consumed or not self.text[match.start() : match.end()].strip():
                continue
            said = None if unless and match.group(unless) else self.window_after(match.end())
            if said is None and required and not (unless and match.group(unless)):
                continue
            window, end = said if said is not None else (None, match.end())
            if said is not None and window is None:  # periods with a gap: read, and said why not answered (window_after)
                self.blank(match.start(), end)
                consumed = end
                continue
            if handler(match, window) is not False:
                self.blank(match.start(), end)
                consumed = end

    def window_after(self, position: int, *, spaced: bool = True) -> tuple[Window | None, int] | None:
        """The time window that starts at `position` (past the spaces there: at least one when
        `spaced`, unless the text before already ends with one), and where it ends. Several said
        together ("yesterday or today") are one window when they touch; when they do not ("in
        October or December") the window is None and the reader says it can read only one."""
        start = len(self.text) - len(self.text[position:].lstrip())
        if spaced and start == position and not (position and self.text[position - 1].isspace()):
            return None
        first = WINDOW_RE.match(self.text, start)
        if first is None:
            return None
        found, end = [first], first.end()
        while joint := _WINDOW_JOINT.match(self.text, end):
            more = WINDOW_RE.match(self.text, joint.end())
            if more is None and first.group("in_month") and (month := _MONTH_ALONE.match(self.text, joint.end())):
                more = WINDOW_RE.match(f"in {month.group(0)}")  # "in October or December": the month alone
                end = month.end()
            elif more is not None:
                end = more.end()
            else:
                break
            found.append(more)
        today = self.now.date()
        window = joined([resolve_window(w, today=today) for w in found], today=today)
        if window is None:
            self.unsupported = self.unsupported or (
                f"I can read one time period per condition, and {self.text[start:end].strip()!r} has a gap between its periods: "
                "ask about each one separately (e.g. 'contacted in October', then 'what about December?')."
            )
        return window, end

    def windows(self) -> list[tuple[int, Window | None, int]]:
        """Every time window said on its own (starting a word), left to right: (start, window, end)."""
        found, position = [], 0
        while (window := WINDOW_RE.search(self.text, position)) is not None:
            start = window.start()
            if start and (self.text[start - 1].isalnum() or self.text[start - 1] == "_"):
                position = start + 1  # "faq4": not a window mid-word
                continue
            said = self.window_after(start, spaced=False)
            assert said is not None  # a window starts here
            found.append((start, *said))
            position = said[1]
        return found

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def said(self, phrases: Iterable[str]) -> list[str]:
        """The phrases of a table that occur in the text: a pattern of the others could never match,
        so a table's pattern is built from these only (a process's first question then compiles a
        few words, not hundreds)."""
        return [phrase for phrase in phrases if phrase in self.text]

    def negated_before(self, start: int) -> tuple[bool, int]:
        """Is the phrase at `start` negated ("not in", "outside the", "non-")? Returns (negated, negator start)."""
        before = self.text[max(0, start - 40) : start]
        ones = r"(?:(?:the\s+)?(?:ones?|those|leads?|anything|anyone|companies|accounts)\s+(?:that\s+are\s+|which\s+are\s+)?)?"
        match = re.search(rf"\b{NEGATORS}(?:\s*-\s*|\s+{ones}(?:in|from|at|based in|located in|for)?\s*(?:the\s+)?)$", before)
        if match:
            return True, start - (len(before) - match.start())
        return False, start

    def add(self, key: str, value: Any) -> None:
        values = self.filter.setdefault(key, [])
        if value not in values:
            values.append(value)

    def negated_in_list(self, start: int, negated_ends: list[int]) -> tuple[bool, int]:
        """Like `negated_before`, but a negation also carries through a list: "not in the US or Canada"."""
        negated, negator_start = self.negated_before(start)
        if not negated:
            negated = any(
                re.fullmatch(r"\s*(?:,|or|nor|and|,\s*or|/)\s*", self.text[end:start]) for end in negated_ends if end <= start
            )
        return negated, negator_start

    def categorical(
        self,
        phrases: dict[str, str],
        key: str,
        not_key: str | None,
        *,
        negated_ends: list[int] | None = None,
        found: list[Place] | None = None,
    ) -> None:
        """Match any of `phrases`; a negator in front (or inherited through an "or" list) excludes.

        `negated_ends` is shared by passes whose negations carry over to each other (places);
        `found` collects what was included, with where it was said.
        """
        present = self.said(phrases)
        if not present:
            return
        pattern = rf"\b(?:{alternation(present)})\b"
        ends = negated_ends if negated_ends is not None else []

        def handle(match: re.Match[str]) -> None:
            value = phrases[match.group(0)]
            negated, negator_start = self.negated_in_list(match.start(), ends)
            if negated and not_key:
                for one in value.split("|"):  # a word of several values (store_values.SEVERAL) is each of them
                    self.add(not_key, one)
                self.blank(negator_start, match.start())
                ends.append(match.end())
            else:
                for one in value.split("|"):
                    self.add(key, one)
                if "|" in value:
                    self.said_as_one = (*self.said_as_one, key)  # "how many ISV leads": one count, not one per value
                if found is not None:
                    found.append(Place(match.start(), match.end(), key, value, match.group(0)))

        self.take(pattern, handle, gated=False)  # made of phrases the text says: the pre-check could only agree

    def ngrams(
        self, names: dict[str, str], handle: Callable[[str, int, int], None], *, max_words: int = 6, min_words: int = 1
    ) -> None:
        """Look up every run of min_words..max_words unread words in `names` (longest first).

        A dictionary lookup per n-gram instead of one huge regex, so 100,000 company names cost
        nothing to match against.
        """
        if not names:
            return
        words = [(m.group(0), m.start(), m.end()) for m in re.finditer(_WORD, self.text)]
        i = 0
        while i < len(words):
            for size in range(min(max_words, len(words) - i), min_words - 1, -1):
                start, end = words[i][1], words[i + size - 1][2]
                phrase = " ".join(self.text[start:end].split())
                key = phrase.removesuffix("'s")
                if key in names and key not in FILLER and phrase.count(" ") == size - 1:
                    handle(key, start, end)
                    i += size
                    break
            else:
                i += 1

    def leftovers(self) -> list[str]:
        words = re.findall(r"[^\W_][\w'&.-]*", self.text)
        return [w.strip(".'") for w in words if w.strip(".'") and w.strip(".'") not in FILLER and not re.fullmatch(r"[.,?!-]+", w)]
