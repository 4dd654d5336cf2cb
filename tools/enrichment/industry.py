"""Industry from a company description, when the lead has none: keyword weights over the
industries of memory.vocab, IDF-style (a word shared by several industries counts less), with the
words that decided returned as the explanation."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from leadpilot.memory.vocab import INDUSTRIES, INDUSTRY_ALIASES

# Description words per industry, beside the labels and aliases memory.vocab already knows.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "fintech": ("payments", "payment", "fintech", "lending", "wallet", "card issuing", "checkout", "invoicing", "payroll", "crypto", "neobank"),
    "banking": ("bank", "banking", "deposits", "mortgage", "credit union", "retail banking"),
    "insurance": ("insurance", "insurer", "underwriting", "claims", "policyholders", "reinsurance", "insurtech"),
    "healthcare": ("healthcare", "hospital", "clinic", "patients", "patient", "medical", "telehealth", "care providers", "ehr"),
    "biotech": ("biotech", "pharmaceutical", "drug", "clinical trials", "therapeutics", "genomics", "life sciences", "molecules"),
    "saas": ("saas", "software", "platform", "cloud", "api", "subscription", "developers", "workflow", "b2b software"),
    "cybersecurity": ("security", "cybersecurity", "threat", "vulnerability", "endpoint", "identity", "zero trust", "malware", "soc"),
    "ecommerce": ("ecommerce", "e-commerce", "online store", "marketplace", "shoppers", "d2c", "dtc", "storefront"),
    "retail": ("retail", "retailer", "stores", "consumer goods", "apparel", "grocery", "brick-and-mortar"),
    "manufacturing": ("manufacturing", "manufacturer", "factory", "factories", "industrial", "machinery", "automotive", "components", "assembly"),
    "logistics": ("logistics", "shipping", "freight", "supply chain", "warehouse", "delivery", "fleet", "trucking", "3pl"),
    "education": ("education", "school", "schools", "students", "learning", "university", "edtech", "courses", "teachers"),
    "real-estate": ("real estate", "property", "properties", "tenants", "landlords", "proptech", "leasing", "homes"),
    "media": ("media", "entertainment", "publishing", "streaming", "news", "content studio", "film", "music", "games"),
    "energy": ("energy", "utility", "utilities", "solar", "wind", "renewable", "oil", "gas", "grid", "power"),
    "telecom": ("telecom", "telecommunications", "mobile network", "carrier", "broadband", "5g", "fiber", "isp"),
    "hospitality": ("hospitality", "hotel", "hotels", "travel", "restaurants", "booking", "tourism", "airline"),
    "government": ("government", "public sector", "agency", "municipal", "federal", "ministry", "council"),
    "nonprofit": ("nonprofit", "non-profit", "charity", "foundation", "donors", "ngo", "volunteers"),
    "professional-services": ("consulting", "consultancy", "advisory", "law firm", "legal", "accounting", "audit", "agency services"),
}
_MIN_SCORE = 1.0  # below this the description says too little to name an industry


@dataclass(frozen=True)
class IndustryGuess:
    industry: str
    score: float
    words: tuple[str, ...]  # the words that decided
    runner_up: str | None


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, dict[str, float]]:
    """term -> {industry: weight}; weight = idf = log(1 + n_industries / industries sharing the term)."""
    terms: dict[str, set[str]] = {}
    for slug, label in INDUSTRIES.items():
        for term in (*_KEYWORDS.get(slug, ()), label.lower(), slug.replace("-", " ")):
            terms.setdefault(term, set()).add(slug)
    for alias, slug in INDUSTRY_ALIASES.items():
        terms.setdefault(alias.replace("_", " "), set()).add(slug)
    total = len(INDUSTRIES)
    return {term: {slug: math.log(1 + total / len(slugs)) for slug in slugs} for term, slugs in terms.items()}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    terms = sorted(_lexicon(), key=len, reverse=True)  # longest phrase first: "supply chain" before "chain"
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\b")


def classify_industry(*, text: str) -> IndustryGuess | None:
    """The best industry for a description, or None when no industry word scores enough."""
    lexicon = _lexicon()
    scores: dict[str, float] = {}
    words: dict[str, list[str]] = {}
    for match in _pattern().finditer(text.lower()):
        term = match.group(0)
        for slug, weight in lexicon[term].items():
            if term not in words.setdefault(slug, []):  # a repeated word counts once (sub-linear tf)
                scores[slug] = scores.get(slug, 0.0) + weight
                words[slug].append(term)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, score = ranked[0]
    if score < _MIN_SCORE:
        return None
    return IndustryGuess(best, round(score, 3), tuple(words[best]), ranked[1][0] if len(ranked) > 1 else None)
