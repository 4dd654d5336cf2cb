"""Company names as people type them, reduced to one matching key.

"ACME, Inc.", "Acme Incorporated" and "The Acme Company" are one company. The key folds case,
accents and punctuation and drops legal-form suffixes; it lives in memory because the import's
lead matching (memory.leads) and the dedup/enrichment tools must agree on it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Legal forms, as whole trailing words (after punctuation is folded). Longest first where they nest.
LEGAL_SUFFIXES: tuple[str, ...] = (
    "incorporated", "inc", "corporation", "corp", "company", "co", "limited", "ltd", "llc", "l l c",
    "llp", "lp", "plc", "gmbh", "co kg", "and co kg", "and co", "kg", "ag", "se", "sa", "s a", "sas", "sarl",
    "srl", "spa", "s p a", "bv", "b v", "nv", "n v", "oy", "oyj", "ab", "as", "a s", "aps", "asa",
    "pty", "pty ltd", "pte", "pte ltd", "kk", "k k", "sl", "s l", "sro", "s r o", "sp z o o", "zoo",
    "holdings", "holding", "group",
)
_SUFFIX_RE = re.compile(r"(?:\s+(?:" + "|".join(re.escape(s) for s in sorted(LEGAL_SUFFIXES, key=len, reverse=True)) + r"))+$")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=1 << 16)  # dedup and routing key the same names over and over
def company_key(name: str | None) -> str | None:
    """The matching key of a company name: 'ACME, Inc.' -> 'acme'; None when nothing is left."""
    if not name:
        return None
    text = _fold(name).replace("&", " and ")
    text = _NON_WORD.sub(" ", text)  # "a.c.m.e" keeps its letters; "s.a." becomes "s a"
    text = _SPACES.sub(" ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    stripped = _SUFFIX_RE.sub("", text).strip()
    key = stripped or text  # a name that is only a legal form ("Holding AG") keeps its words
    return key or None


def person_key(name: str | None) -> str:
    """A contact name folded for matching ('José  Díaz' -> 'jose diaz')."""
    if not name:
        return ""
    return _SPACES.sub(" ", _NON_WORD.sub(" ", _fold(name))).strip()
