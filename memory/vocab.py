"""The closed vocabularies of the lead store: lifecycle stages, sources, tiers, activity kinds.

They are stored as plain strings (the same on SQLite and PostgreSQL) and validated here.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Lifecycle: DISCOVERY -> LEAD -> PROSPECT -> OPPORTUNITY -> CUSTOMER, or LOST."""

    DISCOVERY = "DISCOVERY"
    LEAD = "LEAD"
    PROSPECT = "PROSPECT"
    OPPORTUNITY = "OPPORTUNITY"
    CUSTOMER = "CUSTOMER"
    LOST = "LOST"


OPEN_STAGES = (Stage.DISCOVERY, Stage.LEAD, Stage.PROSPECT, Stage.OPPORTUNITY)


class Source(StrEnum):
    REFERRAL = "referral"
    ORGANIC = "organic"
    PAID = "paid"
    EVENT = "event"
    PARTNER = "partner"
    OUTBOUND = "outbound"
    WEBINAR = "webinar"
    OTHER = "other"


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class ActivityKind(StrEnum):
    EMAIL_SENT = "email_sent"
    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    PAGE_VIEW = "page_view"
    FORM_SUBMIT = "form_submit"
    MEETING = "meeting"
    CALL = "call"
    NOTE = "note"


# Touches by our team that count as "contacting" a lead (they move last_contacted_at).
CONTACT_KINDS = frozenset({ActivityKind.EMAIL_SENT, ActivityKind.CALL, ActivityKind.MEETING})


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# Aliases seen in CRM exports and web forms, mapped onto the canonical values.
STAGE_ALIASES: dict[str, Stage] = {
    "discovery": Stage.DISCOVERY,
    "new": Stage.LEAD,
    "lead": Stage.LEAD,
    "open": Stage.LEAD,
    "open - not contacted": Stage.LEAD,
    "subscriber": Stage.LEAD,
    "marketingqualifiedlead": Stage.LEAD,
    "marketing qualified lead": Stage.LEAD,
    "mql": Stage.LEAD,
    "working - contacted": Stage.PROSPECT,
    "working": Stage.PROSPECT,
    "contacted": Stage.PROSPECT,
    "prospect": Stage.PROSPECT,
    "salesqualifiedlead": Stage.PROSPECT,
    "sales qualified lead": Stage.PROSPECT,
    "sql": Stage.PROSPECT,
    "qualified": Stage.OPPORTUNITY,
    "opportunity": Stage.OPPORTUNITY,
    "customer": Stage.CUSTOMER,
    "closed - converted": Stage.CUSTOMER,
    "converted": Stage.CUSTOMER,
    "closed won": Stage.CUSTOMER,
    "won": Stage.CUSTOMER,
    "lost": Stage.LOST,
    "closed lost": Stage.LOST,
    "closed - not converted": Stage.LOST,
    "unqualified": Stage.LOST,
    "disqualified": Stage.LOST,
}

SOURCE_ALIASES: dict[str, Source] = {
    "referral": Source.REFERRAL,
    "referrals": Source.REFERRAL,
    "employee referral": Source.REFERRAL,
    "customer referral": Source.REFERRAL,
    "word of mouth": Source.REFERRAL,
    "organic": Source.ORGANIC,
    "organic search": Source.ORGANIC,
    "organic_search": Source.ORGANIC,
    "seo": Source.ORGANIC,
    "web": Source.ORGANIC,
    "website": Source.ORGANIC,
    "direct traffic": Source.ORGANIC,
    "direct_traffic": Source.ORGANIC,
    "social media": Source.ORGANIC,
    "organic social": Source.ORGANIC,
    "social_media": Source.ORGANIC,
    "paid": Source.PAID,
    "paid search": Source.PAID,
    "paid_search": Source.PAID,
    "paid social": Source.PAID,
    "paid_social": Source.PAID,
    "advertisement": Source.PAID,
    "ads": Source.PAID,
    "ppc": Source.PAID,
    "event": Source.EVENT,
    "events": Source.EVENT,
    "trade show": Source.EVENT,
    "conference": Source.EVENT,
    "seminar - partner": Source.PARTNER,
    "partner": Source.PARTNER,
    "partners": Source.PARTNER,
    "outbound": Source.OUTBOUND,
    "cold call": Source.OUTBOUND,
    "cold email": Source.OUTBOUND,
    "purchased list": Source.OUTBOUND,
    "webinar": Source.WEBINAR,
    "seminar - internal": Source.WEBINAR,
    "other": Source.OTHER,
    "offline": Source.OTHER,
    "other_campaigns": Source.OTHER,
    "email_marketing": Source.OTHER,
    "email marketing": Source.OTHER,
}


def parse_stage(raw: str) -> Stage | None:
    key = raw.strip()
    if key.upper() in Stage.__members__:
        return Stage[key.upper()]
    return STAGE_ALIASES.get(key.lower())


def parse_source(raw: str) -> Source | None:
    key = raw.strip().lower()
    try:
        return Source(key)
    except ValueError:
        return SOURCE_ALIASES.get(key)


# Industries are stored as slugs; labels are for people. Unknown industries are kept, slugified.
INDUSTRIES: dict[str, str] = {
    "fintech": "Fintech",
    "banking": "Banking",
    "insurance": "Insurance",
    "healthcare": "Healthcare",
    "biotech": "Biotech & Pharma",
    "saas": "SaaS",
    "cybersecurity": "Cybersecurity",
    "ecommerce": "E-commerce",
    "retail": "Retail",
    "manufacturing": "Manufacturing",
    "logistics": "Logistics & Transportation",
    "education": "Education",
    "real-estate": "Real Estate",
    "media": "Media & Entertainment",
    "energy": "Energy & Utilities",
    "telecom": "Telecommunications",
    "hospitality": "Hospitality & Travel",
    "government": "Government",
    "nonprofit": "Non-profit",
    "professional-services": "Professional Services",
}

INDUSTRY_ALIASES: dict[str, str] = {
    "financial technology": "fintech",
    "fin tech": "fintech",
    "payments": "fintech",
    "financial services": "fintech",
    "financial_services": "fintech",
    "finance": "fintech",
    "bank": "banking",
    "banks": "banking",
    "health care": "healthcare",
    "hospital & health care": "healthcare",
    "hospital_health_care": "healthcare",
    "medical": "healthcare",
    "health": "healthcare",
    "pharmaceuticals": "biotech",
    "pharma": "biotech",
    "biotechnology": "biotech",
    "life sciences": "biotech",
    "software": "saas",
    "computer software": "saas",
    "computer_software": "saas",
    "software as a service": "saas",
    "technology": "saas",
    "information technology and services": "saas",
    "information_technology_and_services": "saas",
    "internet": "saas",
    "computer & network security": "cybersecurity",
    "computer_network_security": "cybersecurity",
    "security": "cybersecurity",
    "infosec": "cybersecurity",
    "e-commerce": "ecommerce",
    "e commerce": "ecommerce",
    "online retail": "ecommerce",
    "consumer goods": "retail",
    "industrial": "manufacturing",
    "machinery": "manufacturing",
    "automotive": "manufacturing",
    "logistics and supply chain": "logistics",
    "logistics_and_supply_chain": "logistics",
    "transportation": "logistics",
    "transportation/trucking/railroad": "logistics",
    "shipping": "logistics",
    "supply chain": "logistics",
    "education management": "education",
    "e-learning": "education",
    "edtech": "education",
    "higher education": "education",
    "real estate": "real-estate",
    "real_estate": "real-estate",
    "proptech": "real-estate",
    "entertainment": "media",
    "media production": "media",
    "publishing": "media",
    "utilities": "energy",
    "oil & energy": "energy",
    "renewables": "energy",
    "telecommunications": "telecom",
    "hospitality": "hospitality",
    "travel": "hospitality",
    "leisure, travel & tourism": "hospitality",
    "government administration": "government",
    "public sector": "government",
    "non-profit": "nonprofit",
    "non-profit organization management": "nonprofit",
    "consulting": "professional-services",
    "management consulting": "professional-services",
    "legal services": "professional-services",
    "accounting": "professional-services",
}


def industry_slug(raw: str) -> str:
    """The canonical slug for an industry name; unknown names are kept as their own slug."""
    key = " ".join(raw.strip().lower().split())
    if key in INDUSTRIES:
        return key
    if key in INDUSTRY_ALIASES:
        return INDUSTRY_ALIASES[key]
    slug = "-".join(key.replace("_", " ").replace("&", "and").replace("/", " ").split())
    return INDUSTRY_ALIASES.get(slug, slug)[:100]


def industry_label(slug: str | None) -> str:
    if not slug:
        return ""
    return INDUSTRIES.get(slug, slug.replace("-", " ").title())


# Company size segments (employees).
SEGMENTS: tuple[tuple[str, int, int | None], ...] = (
    ("enterprise", 1000, None),
    ("mid-market", 100, 999),
    ("smb", 10, 99),
    ("micro", 1, 9),
)


def segment_of(company_size: int | None) -> str | None:
    if company_size is None:
        return None
    for name, low, high in SEGMENTS:
        if company_size >= low and (high is None or company_size <= high):
            return name
    return None
