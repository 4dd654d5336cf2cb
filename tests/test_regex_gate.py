"""The reader's literal pre-check (agent/regex_gate.py): it may only skip a pattern that cannot
match, it keeps what patterns need between processes, and a skipped pattern is never compiled."""

from __future__ import annotations

import random
import re

import pytest

from leadpilot.agent import intents, regex_gate
from leadpilot.agent.dates import WINDOW_PATTERN
from leadpilot.agent.regex_gate import Gated, analyse, could_match

TEXTS = [
    "show hot leads in fintech not contacted in 3 days",
    "how many leads came in this week and how many are hot?",
    "why is northgate capital hot?",
    "leads w/ a phone # in the uk pls",
    "Show me VPs in SaaS created since September",
    "ſun Kelvin café ÉCOLE straße",
    "not in the us or canada, excluding closed ones",
    "",
    "q4 2026 vs q3",
    "lead #42 and lead id 7",
]
PATTERNS = [
    r"\b(?:including|incl\.?|include|inc\.|plus|even|as\s+well\s+as)\b",
    r"(?i)SUN", r"(?i:straSSe)", r"café", r"(?i)k", r"(?i:ÉCOLE)", r"ecole(?-i:X)?",
    r"a|", r"(?:x|y)+z*", r"abc(?=x)", r"(?<=lead )#\d+", r"\bq[1-4]\b", r"(?:vs\.?|versus)\s+q\d",
    r"(?P<a>lead)\s+(?P=a)", r"(hot|warm)(?:est)?\b(?!\s+calls)", r"lead{0}s", r"(?:not\s+)?in\s+the\s+(us|uk)",
    r"\bw/(?:o)?\b", r"#\s*(?:of\s+)?(?=[a-z])", r"[^\W_]+", r"(?>atomic|group)", r"x*+y",
    WINDOW_PATTERN,
]


def _sound(pattern: str, text: str, flags: int = 0) -> None:
    if not could_match(pattern, text, flags):
        assert re.search(pattern, text, flags) is None, (pattern, text)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_is_skipped_only_where_it_cannot_match(pattern):
    for text in TEXTS:
        _sound(pattern, text)
        _sound(pattern, text.upper())


def test_the_intent_patterns_are_skipped_only_where_they_cannot_match():
    gated = [value for value in vars(intents).values() if isinstance(value, Gated)]
    gated += [pattern for group in (intents._FOLLOW_UPS,) for pattern in group]
    gated += [pattern for _tool, pattern in (*intents._REPORTS, *intents._POLICY_REPORTS)]
    assert len(gated) > 30
    for pattern in gated:
        for text in TEXTS:
            found = pattern.search(text)
            assert (found is None) == (re.search(pattern.pattern, text, pattern.flags) is None), (pattern, text)


def test_random_patterns_are_skipped_only_where_they_cannot_match():
    rng = random.Random(21)
    atoms = ["a", "b", "ab", "ba", "c", r"\s", r"\d", ".", "[ab]", r"\b", "^", "$", "A", "é", "ſ"]

    def pattern(depth: int) -> str:
        parts = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            if depth and kind < 0.25:
                inner = "|".join(pattern(depth - 1) for _ in range(rng.randint(1, 3)))
                parts.append(f"(?:{inner})" + rng.choice(["", "", "?", "*", "+", "{2}", "{0,1}"]))
            elif depth and kind < 0.3:
                parts.append(f"(?{rng.choice(['=', '!', '<=', '<!'])}{rng.choice(['a', 'b', 'ab'])})")
            elif depth and kind < 0.35:
                parts.append(f"(?i:{pattern(depth - 1)})")
            else:
                parts.append(rng.choice(atoms) + rng.choice(["", "", "", "?", "+", "*"]))
        return "".join(parts)

    texts = ["".join(rng.choice("abcAB é1ſ") for _ in range(rng.randint(0, 8))) for _ in range(60)]
    skipped = 0
    for _ in range(400):
        candidate = pattern(2)
        flags = rng.choice([0, 0, re.IGNORECASE])
        try:
            re.compile(candidate, flags)
        except re.error:
            continue
        for text in texts:
            _sound(candidate, text, flags)
            skipped += not could_match(candidate, text, flags)
    assert skipped > 1000  # the check does skip: it is not sound by saying "maybe" to everything


def test_what_every_match_needs():
    assert analyse(r"\b(?:with\s+)?(?:more\s+than|over)\s+\d+\s*(?:employees|staff)\b") == (
        False, (("more", "over"), ("employees", "staff")))
    assert analyse(r"(?i)Hello\s+World") == (True, (("hello",), ("world",)))
    assert analyse(r"a|") is None  # an empty alternative: it matches anywhere
    assert analyse(r"\d+") is None


def test_a_pattern_the_text_cannot_match_is_not_compiled():
    pattern = Gated(r"\bzyxwv(?:utsr)?\s+\d+ never seen\b")
    assert pattern.search("show hot leads") is None
    assert pattern.sub("-", "show hot leads") == "show hot leads"
    assert list(pattern.finditer("show hot leads")) == []
    assert pattern._compiled is None
    assert pattern.search("a zyxwv 12 never seen") is not None


def test_needs_are_kept_between_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(regex_gate, "_known", {})
    monkeypatch.setattr(regex_gate, "_stored", {})
    monkeypatch.setattr(regex_gate, "_state", {"path": None, "loaded": False, "dirty": False})
    regex_gate.keep_in(tmp_path)
    assert not could_match(r"\bsomething\s+rare\b", "show hot leads")
    regex_gate.save()
    assert (tmp_path / "regex-needs.json").is_file()
    # A new process: nothing known in memory; the file answers without parsing the pattern again.
    monkeypatch.setattr(regex_gate, "_known", {})
    monkeypatch.setattr(regex_gate, "_stored", {})
    monkeypatch.setattr(regex_gate, "_state", {"path": None, "loaded": False, "dirty": False})
    regex_gate.keep_in(tmp_path)
    monkeypatch.setattr(regex_gate, "analyse", lambda *args: pytest.fail("parsed again"))
    assert not could_match(r"\bsomething\s+rare\b", "show hot leads")
    assert could_match(r"\bsomething\s+rare\b", "something rare here")
