"""The vocabularies of the lead store: lifecycle stages, tiers, activity kinds (closed lists), and
lead sources with their channel groups (open: a source is the user's own value).

They are stored as plain strings (the same on SQLite and PostgreSQL) and validated here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache


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
    """The demo dataset's own source values (memory/seed). Not a list of allowed values: a lead's
    source is whatever the user's data says, normalised (`normalise_source`), and `channel_of`
    groups it."""

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


# The qualification stages sales teams name (HubSpot's lifecycle stages, most CRMs' lead statuses),
# read as the store's stages — the one place this mapping lives, for imports and questions alike:
# an MQL (marketing-qualified lead: marketing says it is worth sales' time, sales has not taken it
# on yet) is a LEAD; an SQL (sales-qualified lead: sales accepted it and is working it) is a
# PROSPECT. A qualified opportunity is an OPPORTUNITY.
QUALIFIED_STAGES: dict[str, Stage] = {"mql": Stage.LEAD, "sql": Stage.PROSPECT}
QUALIFIED_NAMES: dict[str, str] = {"mql": "marketing-qualified", "sql": "sales-qualified"}

# Aliases seen in CRM exports and web forms, mapped onto the canonical values.
STAGE_ALIASES: dict[str, Stage] = {
    "discovery": Stage.DISCOVERY,
    "new": Stage.LEAD,
    "lead": Stage.LEAD,
    "open": Stage.LEAD,
    "open - not contacted": Stage.LEAD,
    "subscriber": Stage.LEAD,
    "marketingqualifiedlead": QUALIFIED_STAGES["mql"],
    "marketing qualified lead": QUALIFIED_STAGES["mql"],
    "mql": QUALIFIED_STAGES["mql"],
    "working - contacted": Stage.PROSPECT,
    "working": Stage.PROSPECT,
    "contacted": Stage.PROSPECT,
    "prospect": Stage.PROSPECT,
    "salesqualifiedlead": QUALIFIED_STAGES["sql"],
    "sales qualified lead": QUALIFIED_STAGES["sql"],
    "sql": QUALIFIED_STAGES["sql"],
    "qualified": Stage.OPPORTUNITY,
    "opportunity": Stage.OPPORTUNITY,
    "customer": Stage.CUSTOMER,
    "evangelist": Stage.CUSTOMER,  # HubSpot: a customer who promotes us (memory/lifecycle.py)
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
    """The demo value a CRM spelling stands for ("Organic Search" -> organic), or None.

    Legacy reading, kept for callers that compare with the demo's values: it collapses the user's
    values ("email_marketing" -> other). What a lead came from is `source_facet` (the value as
    given and its channel group); a policy's source value is `policy_source`.
    """
    key = raw.strip().lower()
    try:
        return Source(key)
    except ValueError:
        return SOURCE_ALIASES.get(key)


# ---------------------------------------------------------------------------------------------
# Sources as the user gives them, and their channel groups

SOURCE_MAX_LENGTH = 64
_SOURCE_SEPARATORS = re.compile(r"[\s_-]+")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)  # every imported row; sources repeat
def normalise_source(raw: str) -> str:
    """A lead source as the store keeps it: the user's own value, lower case, trimmed, each run of
    spaces, hyphens and underscores one "_" ("Website Form" -> website_form, "LinkedIn Ads" ->
    linkedin_ads, "Seminar - Partner" -> seminar_partner); a blank value is "other"."""
    return _SOURCE_SEPARATORS.sub("_", raw.strip().lower()).strip("_") or "other"


class Channel(StrEnum):
    """The channel group of a source (see `channel_of`): "paid leads" is this group, "paid search
    leads" the source value paid_search."""

    PAID = "paid"
    ORGANIC = "organic"
    REFERRAL = "referral"
    EVENT = "event"
    PARTNER = "partner"
    OUTBOUND = "outbound"
    OWNED_MEDIA = "owned_media"
    OTHER = "other"


# Whole values whose group the words below would get wrong (or not find).
SOURCE_CHANNELS: dict[str, Channel] = {
    "other": Channel.OTHER,
    "offline": Channel.OTHER,
    "other_campaigns": Channel.OTHER,
    "unknown": Channel.OTHER,
    "seminar_partner": Channel.PARTNER,
    "seminar_internal": Channel.OWNED_MEDIA,
    "ai_referrals": Channel.ORGANIC,  # HubSpot: visits from AI assistants' answers, not people
}
# Checked in this order; the first group with a word (or phrase) of the value wins, so
# "cold_email" is outbound (not owned media), "paid_social" paid (not organic), "partner_referral"
# a referral. Words are compared whole: "leads" is not "ads".
CHANNEL_WORDS: tuple[tuple[Channel, tuple[str, ...]], ...] = (
    (Channel.OUTBOUND, ("outbound", "cold", "cold_call", "cold_email", "outreach", "prospecting", "purchased",
                        "purchased_list", "sdr", "bdr", "telemarketing")),
    (Channel.PAID, ("paid", "ppc", "cpc", "cpm", "ads", "ad", "adwords", "googleads", "bingads", "facebookads",
                    "linkedinads", "sem", "sponsored", "display", "retargeting", "remarketing", "advertising",
                    "advertisement", "programmatic", "paid_search", "paid_social", "google_ads", "linkedin_ads")),
    (Channel.REFERRAL, ("referral", "referrals", "referred", "referrer", "word_of_mouth", "wom")),
    (Channel.PARTNER, ("partner", "partners", "partnership", "partnerships", "reseller", "resellers", "affiliate",
                       "affiliates", "alliance", "alliances")),
    (Channel.EVENT, ("event", "events", "trade_show", "trade_shows", "tradeshow", "tradeshows", "conference",
                     "conferences", "expo", "summit", "meetup", "booth", "roadshow", "seminar", "seminars")),
    (Channel.OWNED_MEDIA, ("email", "emails", "email_campaign", "email_marketing", "newsletter", "newsletters",
                           "webinar", "webinars", "content", "blog", "ebook", "whitepaper", "podcast", "nurture")),
    (Channel.ORGANIC, ("organic", "organic_search", "seo", "web", "website", "website_form", "site", "form", "forms",
                       "direct", "direct_traffic", "search", "social", "social_media", "inbound", "chat", "livechat",
                       "linkedin", "twitter", "facebook", "instagram", "youtube", "google", "bing")),
)
# Every value or word the rules above name: a scoring policy key close to one of these but not one
# of them is a typo ("refferal"), not a source of the user's own.
KNOWN_SOURCE_WORDS: frozenset[str] = frozenset(SOURCE_CHANNELS) | {word for _, words in CHANNEL_WORDS for word in words}


@lru_cache(maxsize=4096)  # an import groups every row; sources repeat
def channel_of(source: str | None) -> Channel:
    """The channel group of a source value (any spelling; it is normalised first).

    1. A whole value listed in SOURCE_CHANNELS (other, offline, seminar_partner, ...).
    2. Else the first group, in this order, that one of the value's words or phrases belongs to:
       outbound (outbound, cold_call, cold_email, purchased_list, sdr, ...), paid (paid, ppc, ads,
       adwords, google_ads, linkedin_ads, paid_social, paid_search, sponsored, ...), referral
       (referral(s), word_of_mouth, ...), partner (partner, reseller, affiliate, ...), event (event,
       trade_show, conference, expo, summit, ...), owned_media (email_campaign, email_marketing,
       newsletter, webinar, content, blog, ...), organic (organic, website_form, web, seo,
       organic_search, direct, social, ...). See CHANNEL_WORDS.
    3. Else other.
    So "LinkedIn Ads" -> paid, "website_form" -> organic, "Email Campaign" -> owned_media.
    """
    if not source:
        return Channel.OTHER
    value = normalise_source(source)
    if (listed := SOURCE_CHANNELS.get(value)) is not None:
        return listed
    joined = "_" + "_".join(word for word in _NOT_WORD.split(value) if word) + "_"
    for channel, words in CHANNEL_WORDS:
        if any(f"_{word}_" in joined for word in words):
            return channel
    return Channel.OTHER


def channel_label(channel: str) -> str:
    """How people say a channel: owned_media -> "owned media"."""
    return channel.replace("_", " ")


def source_facet(raw: str | None) -> tuple[str, Channel] | None:
    """A lead's source as every reader should see it: the value as given (normalised) and its
    channel group — ("website_form", organic), ("email_marketing", owned_media). None for no source.
    Routing facts, reports and scoring read this, never the demo's collapsed values (parse_source)."""
    if raw is None or not str(raw).strip():
        return None
    value = normalise_source(str(raw))
    return value, channel_of(value)


def source_label(value: str | None) -> str:
    """A stored source as a person reads it: a lead with no source (memory.lead_record.NO_SOURCE) is
    "(no source)"; any other value as stored."""
    from leadpilot.memory.lead_record import NO_SOURCE

    return "(no source)" if value is None or value == NO_SOURCE else str(value)


def describe_source(raw: str | None) -> str:
    """A source said with its group, for explanations: "website_form (organic)", "referral"."""
    facet = source_facet(raw)
    if facet is None:
        return "(no source)"
    value, channel = facet
    return value if value == channel.value else f"{value} ({channel_label(channel.value)})"


_KNOWN_SOURCE_LIST = sorted(KNOWN_SOURCE_WORDS)


def policy_source(raw: str) -> str:
    """A source value a policy file names (a routing rule, scoring points): the value as the store
    keeps it (normalise_source), so a rule for "Website Form" matches leads from website_form. A
    near-miss of a common source word that is not one ("refferal") is a typo: ValueError naming the
    closest words. A channel group's name (paid, organic, ...) stays the group's."""
    import difflib

    value = normalise_source(raw)
    if value not in KNOWN_SOURCE_WORDS and value not in set(Channel) and (
        close := difflib.get_close_matches(value, _KNOWN_SOURCE_LIST, n=3, cutoff=0.85)
    ):
        raise ValueError(f"unknown source {raw!r}: did you mean {' or '.join(close)}?")
    return value


# Industries. A lead's `industry` is the team's own value, normalised for case and spacing
# (`industry_value`: "EdTech" -> edtech, "Legal Services" -> legal-services), so export writes back
# what import read and "automotive leads" can mean automotive. Its canonical group (`industry_group`:
# edtech -> education, automotive -> manufacturing, pharmaceuticals -> biotech, legal-services ->
# professional-services; a value no alias names is its own group) is the facet scoring weights,
# routing policies and "manufacturing leads" use; `industry_values` lists the stored values of a
# group for a filter. INDUSTRIES are the canonical groups (and the demo's values) with their labels.
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


INDUSTRY_MAX_LENGTH = 100


@lru_cache(maxsize=4096)  # every imported row; industries repeat
def industry_value(raw: str) -> str:
    """An industry as the store keeps it: the team's own value, lower case, its words joined by "-"
    ("EdTech" -> edtech, "Legal Services" -> legal-services, "Hospital & Health Care" ->
    hospital-and-health-care); a label the app shows reads back as its slug ("Biotech & Pharma" -> biotech)."""
    key = " ".join(raw.strip().lower().split())
    if key in INDUSTRIES:
        return key
    if key in _LABEL_SLUGS:
        return _LABEL_SLUGS[key]
    return "-".join(key.replace("_", " ").replace("&", "and").replace("/", " ").split())[:INDUSTRY_MAX_LENGTH]


@lru_cache(maxsize=4096)  # scoring and routing group every lead
def industry_slug(raw: str) -> str:
    """The canonical group of an industry, in any spelling or as stored (see `industry_value`):
    "Automotive"/automotive -> manufacturing, edtech -> education; a value no alias names is its
    own group (agtech -> agtech)."""
    key = " ".join(raw.strip().lower().split())
    if key in INDUSTRIES:
        return key
    if key in _LABEL_SLUGS:  # the labels the app shows: "Biotech & Pharma" reads back as biotech
        return _LABEL_SLUGS[key]
    if key in INDUSTRY_ALIASES:
        return INDUSTRY_ALIASES[key]
    slug = industry_value(raw)
    return _GROUP_OF_VALUE.get(slug, INDUSTRY_ALIASES.get(slug, slug))[:INDUSTRY_MAX_LENGTH]


industry_group = industry_slug  # the facet's name where a reader means the group


_LABEL_SLUGS: dict[str, str] = {label.lower(): slug for slug, label in INDUSTRIES.items()}
# Stored value -> group, for the aliases (their stored spelling: "legal services" is kept as legal-services).
_GROUP_OF_VALUE: dict[str, str] = {
    **{industry_value(alias): group for alias, group in INDUSTRY_ALIASES.items()},
    **{slug: slug for slug in INDUSTRIES},
}


def industry_values(groups: list[str] | tuple[str, ...]) -> list[str]:
    """Every stored value (`industry_value`) whose group is one of `groups`, for a filter:
    ["manufacturing"] -> automotive, industrial, machinery, manufacturing. A group no alias names
    stands for itself."""
    wanted = set(groups)
    return sorted(wanted | {value for value, group in _GROUP_OF_VALUE.items() if group in wanted})


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
