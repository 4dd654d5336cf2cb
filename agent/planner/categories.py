"""The categories pass: tier, industry, source, stage and segment phrases, open / converted,
and companies named by their name in the store.
"""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import Reading
from leadpilot.memory.vocab import INDUSTRIES, INDUSTRY_ALIASES

INDUSTRY_PHRASES: dict[str, str] = {
    **{slug.replace("-", " "): slug for slug in INDUSTRIES},
    **{label.lower(): slug for slug, label in INDUSTRIES.items()},
    **{alias: slug for alias, slug in INDUSTRY_ALIASES.items() if alias not in {"technology", "internet", "web"}},
    "fin-tech": "fintech", "fintechs": "fintech", "payments companies": "fintech", "payment companies": "fintech",
    "banks": "banking", "insurers": "insurance", "insurance companies": "insurance",
    "health-care": "healthcare", "hospitals": "healthcare", "health tech": "healthcare", "healthtech": "healthcare",
    "saas": "saas", "software companies": "saas", "b2b software": "saas", "software": "saas",
    "e-commerce": "ecommerce", "ecommerce": "ecommerce", "ecom": "ecommerce", "online stores": "ecommerce",
    "retailers": "retail", "manufacturers": "manufacturing", "factories": "manufacturing",
    "logistics": "logistics", "shipping": "logistics", "trucking": "logistics", "freight": "logistics",
    "edtech": "education", "schools": "education", "universities": "education",
    "proptech": "real-estate", "realestate": "real-estate",
    "media": "media", "publishers": "media", "energy": "energy", "utilities": "energy",
    "telecoms": "telecom", "telcos": "telecom", "telco": "telecom",
    "travel": "hospitality", "hotels": "hospitality",
    "security": "cybersecurity", "cyber security": "cybersecurity", "cyber": "cybersecurity",
    "pharma": "biotech", "life sciences": "biotech", "biotechs": "biotech",
    "public sector": "government", "nonprofits": "nonprofit", "non-profits": "nonprofit", "charities": "nonprofit",
    "consulting": "professional-services", "consultancies": "professional-services", "agencies": "professional-services",
}


SOURCE_PHRASES: dict[str, str] = {
    "referrals": "referral", "referral": "referral", "referred": "referral", "word of mouth": "referral",
    "organic search": "organic", "organic": "organic", "seo": "organic", "inbound organic": "organic",
    "paid ads": "paid", "paid search": "paid", "paid social": "paid", "paid": "paid", "ads": "paid", "advertising": "paid",
    "events": "event", "event": "event", "trade shows": "event", "trade show": "event", "conferences": "event", "conference": "event",
    "partners": "partner", "partner": "partner", "partnerships": "partner", "channel partners": "partner",
    "outbound": "outbound", "cold outreach": "outbound", "cold email": "outbound", "cold emails": "outbound",
    "cold calling": "outbound", "cold calls": "outbound", "outbound prospecting": "outbound",
    "webinars": "webinar", "webinar": "webinar", "other sources": "other",
}
STAGE_PHRASES: dict[str, str] = {
    "discovery": "DISCOVERY", "discovery stage": "DISCOVERY",
    "prospect stage": "PROSPECT", "stage prospect": "PROSPECT", "prospecting stage": "PROSPECT",
    "opportunities": "OPPORTUNITY", "opportunity": "OPPORTUNITY", "opps": "OPPORTUNITY", "opportunity stage": "OPPORTUNITY",
    "customers": "CUSTOMER", "customer": "CUSTOMER", "closed won": "CUSTOMER", "won": "CUSTOMER",
    "lost": "LOST", "closed lost": "LOST", "lead stage": "LEAD", "new stage": "LEAD",
}
SEGMENT_PHRASES: dict[str, str] = {
    "enterprise": "enterprise", "enterprises": "enterprise", "large companies": "enterprise", "big companies": "enterprise",
    "large accounts": "enterprise", "mid-market": "mid-market", "mid market": "mid-market", "midmarket": "mid-market",
    "mid-sized": "mid-market", "mid sized": "mid-market", "medium-sized": "mid-market", "medium sized": "mid-market",
    "smb": "smb", "smbs": "smb", "small business": "smb", "small businesses": "smb", "small companies": "smb",
    "small and medium businesses": "smb", "micro": "micro", "micro businesses": "micro", "tiny companies": "micro",
    "very small companies": "micro", "startups": "micro",
}


class Categories(Reading):
    """Reads what kind of lead: its tier, whether it is open or converted, and its company."""

    def read_tiers(self) -> None:
        def tier(m: re.Match[str]) -> None:
            negated, negator_start = self.negated_before(m.start())
            if negated:
                for other in ("hot", "warm", "cold"):
                    if other != m.group(1):
                        self.add("tier", other)
                self.blank(negator_start, m.start())
            else:
                self.add("tier", m.group(1))

        self.take(r"\b(hot|warm|cold)(?:est)?\b(?!\s+(?:outreach|e-?mails?|call(?:s|ing)?|outbound))(?:\s+tier)?", tier)
        self.take(r"\b(?:tier\s+(?:is\s+)?)(hot|warm|cold)\b", tier)

    def read_misc(self) -> None:
        # Ways of asking that carry no condition: "I'd like to see", "who owns Acme?" (the answer shows owners).
        self.take(r"\b(?:i'?d|i\s+would|we'?d|we\s+would)\s+(?:like|love)\s+to\s+(?:see|get|have|know|look\s+at|pull(?:\s+up)?)\b", lambda m: None)
        self.take(r"\bwho(?:'s|\s+is)?\s+(?:the\s+)?(?:owner|rep|ae|account\s+exec(?:utive)?)\s+(?:of|for|on)\b|\bwho\s+owns\b", lambda m: None)
        # "narrow that down to", "filter them to": how a follow-up says "only".
        self.take(r"\b(?:narrow|filter|limit|restrict|cut)\s+(?:(?:it|that|this|them|those|these|the\s+list)\s+)?(?:down\s+)?(?:to|by)?\b", lambda m: None)
        self.take(r"\b(?:open|active|still\s+open|in\s+progress|in\s+the\s+pipeline|in\s+pipeline)\b(?!\s+(?:an?\s+)?e-?mail)", lambda m: self.filter.update(open_only=True))
        self.take(r"\b(?:that\s+|which\s+|who\s+)?(?:converted|closed\s+won|became\s+customers?)\b", lambda m: self.filter.update(converted=True))
        self.take(r"\b(?:that\s+|which\s+|who\s+)?(?:did\s+not|didn't|never)\s+convert(?:ed)?\b|\bnot\s+converted\b", lambda m: self.filter.update(converted=False))

    def read_companies(self, *, min_words: int = 1) -> None:
        def company(key: str, start: int, end: int) -> None:
            self.filter["company"] = self.vocabulary.companies[key]
            self.blank(start, end)

        self.ngrams(self.vocabulary.companies, company, min_words=min_words)
