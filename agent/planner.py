"""The offline planner: a deterministic reader of sales questions that emits the tool calls an LLM
would, so the offline backend shares the agent loop, the tools and the rendering with the LLM one.

It reads the question left to right in passes. Each pass recognises one kind of phrase ("not
contacted in 3 days", "more than 5000 employees", "in fintech", "outside the US"), fills in the
typed filter and blanks the words it used. Whatever is left must be filler words; anything else
is reported back as "I don't understand ..." — the planner never silently drops a condition and
never answers a question it did not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadpilot.agent.dates import WINDOW_PATTERN, WINDOW_RE, resolve_window
from leadpilot.agent.numbers import words_to_digits
from leadpilot.memory.geo import COUNTRY_ALIASES
from leadpilot.memory.vocab import INDUSTRIES, INDUSTRY_ALIASES

# --- vocabulary ------------------------------------------------------------------------------

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

COUNTRY_PHRASES: dict[str, str] = {
    "united states": "US", "the states": "US", "america": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US",
    "united kingdom": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "u.k.": "GB",
    "germany": "DE", "france": "FR", "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "spain": "ES",
    "ireland": "IE", "sweden": "SE", "italy": "IT", "switzerland": "CH", "poland": "PL", "portugal": "PT",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL", "colombia": "CO",
    "australia": "AU", "new zealand": "NZ", "singapore": "SG", "japan": "JP", "india": "IN", "china": "CN",
    "south korea": "KR", "korea": "KR", "hong kong": "HK", "uae": "AE", "united arab emirates": "AE",
    "israel": "IL", "south africa": "ZA", "nigeria": "NG", "kenya": "KE", "denmark": "DK", "norway": "NO",
    "finland": "FI", "belgium": "BE", "austria": "AT", "germany's": "DE",
    **{k: v for k, v in COUNTRY_ALIASES.items() if len(k) > 2},
}
# Upper-case codes people type ("US", "UK"); lower-case "us" is a pronoun, so codes need capitals.
COUNTRY_CODES = {"US": "US", "USA": "US", "UK": "GB", "GB": "GB", "DE": "DE", "FR": "FR", "NL": "NL", "ES": "ES",
                 "IE": "IE", "SE": "SE", "AU": "AU", "SG": "SG", "JP": "JP", "BR": "BR", "MX": "MX", "UAE": "AE",
                 "NZ": "NZ", "CH": "CH"}
REGION_PHRASES: dict[str, str] = {
    "emea": "EMEA", "europe": "EMEA", "european": "EMEA", "middle east": "EMEA",
    "apac": "APAC", "asia pacific": "APAC", "asia-pacific": "APAC", "asia": "APAC",
    "latam": "LATAM", "latin america": "LATAM", "south america": "LATAM",
    "north america": "NA", "north american": "NA",
}
US_STATES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york state": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington state": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "ontario": "ON", "quebec": "QC", "british columbia": "BC",
}
# Two-letter state codes only when typed in capitals and not a common word.
STATE_CODES = frozenset(US_STATES.values()) - {"IN", "OR", "ME", "OK", "HI", "ON", "DE", "LA", "CO", "GA", "PA", "MA", "ID"}
CITY_ALIASES: dict[str, str] = {
    "sf": "San Francisco", "san fran": "San Francisco", "bay area": "San Francisco", "nyc": "New York",
    "new york city": "New York", "la": "Los Angeles", "sao paulo": "São Paulo", "bengaluru": "Bangalore",
    "cdmx": "Mexico City", "munchen": "Munich", "münchen": "Munich",
}
SOURCE_PHRASES: dict[str, str] = {
    "referrals": "referral", "referral": "referral", "referred": "referral", "word of mouth": "referral",
    "organic search": "organic", "organic": "organic", "seo": "organic", "inbound organic": "organic",
    "paid ads": "paid", "paid search": "paid", "paid social": "paid", "paid": "paid", "ads": "paid", "advertising": "paid",
    "events": "event", "event": "event", "trade shows": "event", "trade show": "event", "conferences": "event", "conference": "event",
    "partners": "partner", "partner": "partner", "partnerships": "partner", "channel partners": "partner",
    "outbound": "outbound", "cold outreach": "outbound", "cold email": "outbound", "cold calling": "outbound",
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
PAGE_WORDS = ("pricing", "demo", "docs", "documentation", "api", "careers", "blog", "security", "integrations", "case studies", "contact")

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
    vertical market firms businesses organizations orgs based located area region""".split()
)
NEGATORS = r"(?:not|no|non|excluding|exclude|except|outside(?:\s+of)?|other\s+than|besides|but\s+not|without|apart\s+from|aside\s+from|isn't|aren't|never)"

SUGGESTIONS = (
    "show hot leads in fintech not contacted in 3 days",
    "how many leads did referrals bring this month?",
    "top 10 enterprise leads in the US by score",
    "conversion rate by source",
    "my leads that opened an email this week",
)


@dataclass
class ToolCall:
    name: str
    args: dict[str, Any]


@dataclass
class Plan:
    """What to call, or (when `calls` is empty) what was not understood and what could be asked."""

    calls: list[ToolCall] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    message: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """Names that come from the store: cities, reps and companies, all lower-case -> canonical."""

    cities: dict[str, str] = field(default_factory=dict)
    reps: dict[str, str] = field(default_factory=dict)  # name / first name / email -> rep email
    companies: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What the conversation so far tells a follow-up: the last query and the leads it showed."""

    last_call: ToolCall | None = None
    last_lead_ids: tuple[int, ...] = ()


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "last": -1, "top": 1}
_FOLLOW_UP = re.compile(
    r"^\s*(?:only|just|and|but|what about|how about|now|same|also|of (?:those|these|them)|among (?:those|these|them)|"
    r"from (?:those|these)|narrow|filter|sort|order|exclude|remove|drop|then|ok|okay|which of (?:those|these|them))\b"
    r"|\b(?:those|these|them|the ones|of them)\b"
)
_UNION = re.compile(r"\b(?:also|too|as well|plus)\b")


class _Reader:
    """One pass over a question: fills `filter`, and blanks what it has read."""

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
        self.ordinal: int | None = None
        self.semantic_text: str | None = None

    # -- machinery --
    def take(self, pattern: str, handler: Callable[[re.Match[str]], bool | None], flags: int = 0) -> None:
        """Apply `handler` to every match; blank the match unless the handler returns False."""
        for match in list(re.finditer(pattern, self.text, flags)):
            if not self.text[match.start() : match.end()].strip():
                continue  # already read
            if handler(match) is not False:
                self.blank(match.start(), match.end())

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def negated_before(self, start: int) -> tuple[bool, int]:
        """Is the phrase at `start` negated ("not in", "outside the", "non-")? Returns (negated, negator start)."""
        before = self.text[max(0, start - 30) : start]
        match = re.search(rf"\b{NEGATORS}(?:\s*-\s*|\s+(?:in|from|at|based in|located in|for)?\s*(?:the\s+)?)$", before)
        if match:
            return True, start - (len(before) - match.start())
        return False, start

    def add(self, key: str, value: Any) -> None:
        values = self.filter.setdefault(key, [])
        if value not in values:
            values.append(value)

    def categorical(self, phrases: dict[str, str], key: str, not_key: str | None, *, boundary: str = r"\b") -> None:
        """Match any of `phrases`; a negator in front (or inherited through an "or" list) excludes."""
        pattern = rf"{boundary}(?:{_alternation(phrases)}){boundary}"
        last_negated_end: int | None = None

        def handle(match: re.Match[str]) -> None:
            nonlocal last_negated_end
            value = phrases[match.group(0)]
            negated, negator_start = self.negated_before(match.start())
            if not negated and last_negated_end is not None:
                between = self.text[last_negated_end : match.start()]
                negated = bool(re.fullmatch(r"\s*(?:,|or|nor|and|,\s*or|/)\s*", between))  # "not in healthcare or education"
            if negated and not_key:
                self.add(not_key, value)
                self.blank(negator_start, match.start())
                last_negated_end = match.end()
            else:
                self.add(key, value)

        self.take(pattern, handle)

    # -- passes --
    def read(self) -> None:
        self.read_lead_reference()
        self.read_aggregate()
        self.read_sorting()
        self.read_contact()
        self.read_activity()
        self.read_comparatives()
        self.read_created()
        self.read_owner()
        self.read_tiers()
        self.categorical(INDUSTRY_PHRASES, "industry", "not_industry")
        self.read_places()
        self.categorical(SOURCE_PHRASES, "source", "not_source")
        self.categorical(STAGE_PHRASES, "stage", "not_stage")
        self.categorical(SEGMENT_PHRASES, "segment", None)
        self.read_misc()
        self.read_companies()

    def read_lead_reference(self) -> None:
        def ordinal(m: re.Match[str]) -> None:
            word = m.group(1)
            self.ordinal = _ORDINALS.get(word) or int(re.sub(r"\D", "", word))

        self.take(
            r"\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|top|\d+(?:st|nd|rd|th))\s+(?:one|lead|result|row|company|entry)\b",
            ordinal,
        )
        self.take(r"\b(?:number|#|no\.?)\s*(\d+)\b(?!\s*(?:days?|weeks?|months?|employees))", lambda m: setattr(self, "ordinal", int(m.group(1))))
        self.take(r"\blead\s+(?:id\s+|#\s*|number\s+)?(\d+)\b(?!\s*(?:days?|weeks?|months?|employees))", lambda m: setattr(self, "lead_ref", int(m.group(1))))

    def read_aggregate(self) -> None:
        groups = {
            "tier": "tier", "tiers": "tier", "industry": "industry", "industries": "industry", "vertical": "industry",
            "verticals": "industry", "source": "source", "sources": "source", "channel": "source", "channels": "source",
            "owner": "owner", "owners": "owner", "rep": "owner", "reps": "owner", "salesperson": "owner",
            "stage": "stage", "stages": "stage", "country": "country", "countries": "country", "state": "state",
            "states": "state", "city": "city", "cities": "city", "month": "month", "months": "month",
            "segment": "segment", "segments": "segment", "company size": "segment", "size": "segment",
        }
        metric = None

        def group(m: re.Match[str]) -> None:
            if m.group(1) in ("size", "company size") and metric is None:
                self.search.update(sort_by="company_size", descending=True)  # "top 5 leads by size" sorts
                return
            self.aggregate = self.aggregate or {}
            self.aggregate["group_by"] = groups[m.group(1)]

        def set_metric(name: str) -> Callable[[re.Match[str]], None]:
            def handle(m: re.Match[str]) -> None:
                nonlocal metric
                metric = name
                self.aggregate = self.aggregate or {}
                self.aggregate["metric"] = name

            return handle

        self.take(r"\b(?:conversion|win|close)\s+rates?\b|\bconvert(?:s|ed)?\s+(?:best|most)\b|\bhow\s+(?:well|often)\s+.*?\bconvert\b", set_metric("conversion_rate"))
        self.take(r"\b(?:average|avg|mean)\s+(?:lead\s+)?scores?\b", set_metric("avg_score"))
        self.take(r"\b(?:how many|number of|count(?:\s+of)?|total(?:\s+number\s+of)?|tally)\b", set_metric("count"))
        alternatives = _alternation(groups)
        self.take(rf"\b(?:by|per|for each|each|across|broken down by|grouped by|group by|split by|breakdown by)\s+(?:lead\s+)?({alternatives})\b", group)
        self.take(rf"\b(?:breakdown|split|distribution|mix)\s+(?:of\s+(?:leads\s+)?)?(?:by|per|across)?\s*({alternatives})\b", group)
        self.take(rf"\bwhich\s+({alternatives})\s+(?:has|have|brings?|brought|converts?|gets?|got)\b", group)
        if self.aggregate is not None and "metric" not in self.aggregate:
            self.aggregate["metric"] = "count"

    def read_sorting(self) -> None:
        keys = {
            "score": "score", "scores": "score", "lead score": "score", "probability": "probability",
            "conversion probability": "probability", "likelihood": "probability", "created": "created_at",
            "creation date": "created_at", "date created": "created_at", "created date": "created_at", "date": "created_at",
            "age": "created_at", "last contact": "last_contacted_at", "last contacted": "last_contacted_at",
            "last touch": "last_contacted_at", "company": "company", "company name": "company", "name": "company",
            "size": "company_size", "company size": "company_size", "employees": "company_size", "headcount": "company_size",
        }

        def sort(m: re.Match[str]) -> None:
            key = keys[m.group(1)]
            self.search["sort_by"] = key
            direction = m.group(2) or ""
            if "asc" in direction or "low" in direction or "small" in direction or "old" in direction:
                self.search["descending"] = False
            elif key == "company" and not direction:
                self.search["descending"] = False

        self.take(
            rf"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|arrange(?:d)?)\s+(?:them\s+|it\s+)?by\s+(?:their\s+|the\s+)?({_alternation(keys)})"
            r"(\s+(?:desc(?:ending)?|asc(?:ending)?|high(?:est)?\s+(?:to|first)\s*(?:low(?:est)?)?|low(?:est)?\s+(?:to|first)\s*(?:high(?:est)?)?|smallest first|largest first|biggest first|oldest first|newest first))?",
            sort,
        )
        self.take(r"\b(?:top|best|first)\s+(\d+)\b", lambda m: self.search.update(limit=int(m.group(1))))

        def flag(**values: Any) -> Callable[[re.Match[str]], None]:
            return lambda m: self.search.update(values)

        self.take(r"\b(?:highest|best|top)[- ](?:scoring|scored|rated)\b|\bhottest\b|\bby\s+score\b|\bhighest\s+scores?\b", flag(sort_by="score", descending=True))
        self.take(r"\b(?:lowest|worst)[- ](?:scoring|scored|rated)\b|\blowest\s+scores?\b", flag(sort_by="score", descending=False))
        self.take(r"\bmost\s+likely\s+to\s+(?:convert|close|buy)\b|\bby\s+probability\b", flag(sort_by="probability", descending=True))
        self.take(r"\b(?:newest|latest|most\s+recent(?:ly\s+created)?|recently\s+created|youngest)\b", flag(sort_by="created_at", descending=True))
        self.take(r"\boldest\b", flag(sort_by="created_at", descending=False))
        self.take(r"\b(?:biggest|largest)\b", flag(sort_by="company_size", descending=True))
        self.take(r"\bsmallest\b", flag(sort_by="company_size", descending=False))
        self.take(r"\b(?:longest\s+(?:without|since)\s+(?:a\s+)?(?:contact|touch)|most\s+neglected|stalest)\b", flag(sort_by="last_contacted_at", descending=False))

    def _window_filter(self, match: re.Match[str], *, prefix: str) -> None:
        """Apply a time window matched inside a bigger phrase (named groups of WINDOW_PATTERN)."""
        window = resolve_window(match, today=self.now.date())
        if prefix == "not_contacted":
            if window.days is not None:
                self.filter["not_contacted_in_days"] = window.days
            else:
                self.filter["not_contacted_since"] = window.start.isoformat()
        elif prefix == "contacted":
            if window.days is not None:
                self.filter["contacted_within_days"] = window.days
            else:
                self.filter["contacted_since"] = window.start.isoformat()
        elif prefix == "created":
            if window.days is not None:
                self.filter["created_within_days"] = window.days
            else:
                if window.start:
                    self.filter["created_after"] = window.start.isoformat()
                if window.end:
                    self.filter["created_before"] = window.end.isoformat()

    def read_contact(self) -> None:
        verbs = r"(?:contacted|touched|reached(?:\s+out(?:\s+to)?)?|called|emailed|followed[\s-]up(?:\s+(?:on|with))?|worked|engaged|spoken\s+to|talked\s+to)"
        window = rf"(?:{WINDOW_PATTERN})"
        not_contacted = (
            rf"\b(?:(?:that\s+|who\s+|which\s+)?(?:have|has|had)?\s*(?:not|n't|never)\s+(?:been\s+|yet\s+been\s+)?|(?:haven't|hasn't|weren't|wasn't|aren't|isn't)\s+(?:been\s+)?|no\s+one\s+has\s+|nobody\s+has\s+|we\s+haven't\s+|un)"
            rf"{verbs}(?:\s+(?:with|to|them|yet))?(?:\s+(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s+(?P<u_over>day|week|month)s?|\s+(?P<win>{window}))?"
        )

        def handle_not(m: re.Match[str]) -> None:
            if m.group("n_over"):
                self.filter["not_contacted_in_days"] = int(m.group("n_over")) * {"day": 1, "week": 7, "month": 30}[m.group("u_over")]
            elif m.group("win"):
                inner = WINDOW_RE.search(m.group("win"))
                self._window_filter(inner, prefix="not_contacted")
            elif re.search(r"never|un", m.group(0)[:12]):
                self.filter["never_contacted"] = True
            else:
                self.filter["never_contacted"] = True

        self.take(r"\b(?:never\s+(?:been\s+)?(?:contacted|touched|called|emailed|reached(?:\s+out\s+to)?)|uncontacted|untouched|not\s+yet\s+contacted|no\s+contact\s+yet|with\s+no\s+(?:contact|outreach|touches)(?:\s+(?:at\s+all|ever|yet))?|zero\s+(?:contact|touches))\b(?!\s+(?:in|for|over|since|within))", lambda m: self.filter.update(never_contacted=True))
        self.take(not_contacted, handle_not)
        self.take(
            rf"\b(?:no|without\s+(?:any\s+)?|zero)\s*(?:contact|touch(?:es)?|outreach|follow[\s-]?ups?|activity\s+from\s+us)\s+(?:(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s+(?P<u_over>day|week|month)s?|(?P<win>{window}))",
            handle_not,
        )
        self.take(
            r"\blast\s+(?:contacted|touched|contact(?:ed)?|touch)\s+(?:more\s+than|over|at\s+least)\s+(\d+)\s+(day|week|month)s?\s+ago\b|\b(?:stale|neglected|idle|dormant|cold)\s+for\s+(?:over\s+|more\s+than\s+)?(\d+)\s+(day|week|month)s?\b",
            lambda m: self.filter.update(not_contacted_in_days=int(m.group(1) or m.group(3)) * {"day": 1, "week": 7, "month": 30}[m.group(2) or m.group(4)]),
        )

        def handle_contacted(m: re.Match[str]) -> None:
            inner = WINDOW_RE.search(m.group("win"))
            self._window_filter(inner, prefix="contacted")

        self.take(rf"\b(?:(?:were|was|been|have\s+been|has\s+been|we've|we\s+have|we)\s+)?(?:contacted|touched|called|emailed|reached\s+out\s+to|followed\s+up\s+(?:on|with))\s+(?:them\s+)?(?P<win>{window})", handle_contacted)
        self.take(r"\b(?:contacted|touched)\s+(?:at\s+least\s+once|before|already|previously)\b|\b(?:already|previously)\s+contacted\b|\bhave\s+been\s+contacted\b", lambda m: self.filter.update(never_contacted=False))

    def read_activity(self) -> None:
        window = rf"(?:\s+(?P<win>{WINDOW_PATTERN}))?"
        negation = r"(?P<neg>didn't|did\s+not|haven't|have\s+not|hasn't|has\s+not|never|not)?\s*"

        def activity(kind: str, page: str | None = None) -> Callable[[re.Match[str]], None]:
            def handle(m: re.Match[str]) -> None:
                condition: dict[str, Any] = {"kind": kind}
                found_page = page or (m.groupdict().get("page"))
                if found_page:
                    condition["page"] = {"documentation": "docs", "case studies": "case-studies"}.get(found_page, found_page)
                if m.groupdict().get("win"):
                    window_ = resolve_window(WINDOW_RE.search(m.group("win")), today=self.now.date())
                    if window_.days is not None:
                        condition["within_days"] = window_.days
                    else:
                        condition["since"] = window_.start.isoformat()
                        if window_.end:
                            condition["before"] = window_.end.isoformat()
                if m.groupdict().get("neg"):
                    condition["absent"] = True
                self.filter.setdefault("activity", []).append(condition)

            return handle

        pages = _alternation(PAGE_WORDS)
        self.take(rf"\b{negation}(?:opened|open|read)\s+(?:an?\s+|our\s+|the\s+|any\s+|my\s+)?(?:e-?mails?|mails?|newsletters?|messages?){window}", activity("email_opened"))
        self.take(rf"\b{negation}(?:clicked|click)(?:\s+(?:on\s+)?(?:an?\s+|our\s+|the\s+|any\s+)?(?:e-?mail|link)s?)?(?:\s+(?:in|on)\s+(?:an?\s+|our\s+)?e-?mails?)?{window}", activity("email_clicked"))
        self.take(rf"\b{negation}(?:visited|viewed|looked\s+at|seen|saw|checked\s+out|went\s+to|hit|been\s+(?:to|on))\s+(?:the\s+|our\s+)?(?P<page>{pages})(?:\s+page)?s?{window}", activity("page_view"))
        self.take(rf"\b(?:(?:who\s+)?(?:requested|asked\s+for|booked|wants?)\s+(?:a\s+)?demos?|demo\s+requests?){window}", activity("form_submit", "demo"))
        self.take(rf"\b{negation}(?:filled\s+(?:in|out)|submitted)\s+(?:a\s+|the\s+)?forms?{window}", activity("form_submit"))
        self.take(rf"\b{negation}(?:had|have|has|booked|attended|took)\s+(?:a\s+)?meetings?(?:\s+with\s+us)?{window}", activity("meeting"))
        self.take(rf"\bmet\s+with(?:\s+us)?{window}", activity("meeting"))

    def read_comparatives(self) -> None:
        more = r"(?:more\s+than|over|above|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|>|exceeding|north\s+of)"
        at_least = r"(?:at\s+least|>=|≥|minimum(?:\s+of)?|no\s+(?:less|fewer)\s+than)"
        less = r"(?:less\s+than|fewer\s+than|under|below|smaller\s+than|lower\s+than|<)"
        at_most = r"(?:at\s+most|<=|≤|maximum(?:\s+of)?|no\s+more\s+than|up\s+to)"
        people = r"(?:employees|people|staff|headcount|workers|person|ftes?)"

        def bound(key: str, delta: int = 0, scale: float = 1) -> Callable[[re.Match[str]], None]:
            def handle(m: re.Match[str]) -> None:
                number = float(m.group("n")) * scale
                value = number + delta if scale == 1 else number + delta * 0.01
                self.filter[key] = int(value) if scale == 1 else round(value, 4)

            return handle

        # company size
        self.take(rf"\b(?:with\s+|having\s+)?{more}\s+(?P<n>\d+)\s*{people}", bound("min_employees", 1))
        self.take(rf"\b(?:with\s+|having\s+)?{at_least}\s+(?P<n>\d+)\s*{people}|\b(?P<n2>\d+)\s*\+\s*{people}", lambda m: self.filter.update(min_employees=int(m.group("n") or m.group("n2"))))
        self.take(rf"\b(?:with\s+|having\s+)?{less}\s+(?P<n>\d+)\s*{people}", bound("max_employees", -1))
        self.take(rf"\b(?:with\s+|having\s+)?{at_most}\s+(?P<n>\d+)\s*{people}", bound("max_employees"))
        self.take(rf"\b(?:with\s+|having\s+)?between\s+(\d+)\s+and\s+(\d+)\s*{people}", lambda m: self.filter.update(min_employees=int(m.group(1)), max_employees=int(m.group(2))))
        self.take(rf"\b{people}\s+(?:count\s+)?{more}\s+(?P<n>\d+)\b", bound("min_employees", 1))
        self.take(rf"\b{people}\s+(?:count\s+)?{less}\s+(?P<n>\d+)\b", bound("max_employees", -1))
        # score
        score = r"(?:(?:lead\s+)?scores?|scoring|scored|rated)"
        self.take(rf"\b{score}\s+(?:of\s+)?{more}\s+(?P<n>\d+)\b|\b{more}\s+(?P<n2>\d+)\s+(?:points?\s+)?(?:in\s+)?score\b", lambda m: self.filter.update(min_score=int(m.group("n") or m.group("n2")) + 1))
        self.take(rf"\b{score}\s+(?:of\s+)?{at_least}\s+(?P<n>\d+)\b|\b{score}\s+(?P<n2>\d+)\s*\+|\b(?P<n3>\d+)\s*\+\s*{score}", lambda m: self.filter.update(min_score=int(m.group("n") or m.group("n2") or m.group("n3"))))
        self.take(rf"\b{score}\s+(?:of\s+)?{less}\s+(?P<n>\d+)\b", lambda m: self.filter.update(max_score=int(m.group("n")) - 1))
        self.take(rf"\b{score}\s+(?:of\s+)?{at_most}\s+(?P<n>\d+)\b", lambda m: self.filter.update(max_score=int(m.group("n"))))
        self.take(rf"\b{score}\s+(?:of\s+)?between\s+(\d+)\s+and\s+(\d+)\b", lambda m: self.filter.update(min_score=int(m.group(1)), max_score=int(m.group(2))))
        # conversion probability
        prob = r"(?:(?:conversion\s+)?probability|likelihood|chance)(?:\s+(?:of|to)\s+(?:convert(?:ing)?|clos(?:e|ing)|win(?:ning)?))?"
        self.take(rf"\b{prob}\s+(?:of\s+)?(?:{more}|{at_least})\s+(?P<n>\d+)\s*%", lambda m: self.filter.update(min_probability=int(m.group("n")) / 100))
        self.take(rf"\b{prob}\s+(?:of\s+)?(?:{less}|{at_most})\s+(?P<n>\d+)\s*%", lambda m: self.filter.update(max_probability=int(m.group("n")) / 100))
        self.take(r"\b(?:likely|expected)\s+to\s+(?:convert|close|buy)\b", lambda m: self.filter.update(min_probability=0.5))
        self.take(r"\bunlikely\s+to\s+(?:convert|close|buy)\b", lambda m: self.filter.update(max_probability=0.2))

    def read_created(self) -> None:
        verbs = r"(?:(?:were|was|got|have\s+been|has\s+been)\s+)?(?:created|added|captured|came\s+in|come\s+in|arrived|received|generated|signed\s+up|entered|imported|brought(?:\s+in)?|bring|brings|new)"
        self.take(
            rf"\b(?:{verbs}\s+)?(?P<win>{WINDOW_PATTERN})",
            lambda m: self._window_filter(WINDOW_RE.search(m.group("win")), prefix="created"),
        )
        self.take(r"\b(?:created|added)\s+(?:more\s+than|over)\s+(\d+)\s+(day|week|month)s?\s+ago\b|\bolder\s+than\s+(\d+)\s+(day|week|month)s?\b",
                  lambda m: self.filter.update(created_before=(self.now - timedelta(days=int(m.group(1) or m.group(3)) * {"day": 1, "week": 7, "month": 30}[m.group(2) or m.group(4)])).date().isoformat()))

    def read_owner(self) -> None:
        self.take(r"\b(?:my|mine|assigned\s+to\s+me|owned\s+by\s+me|that\s+i\s+own|i\s+own|i'm\s+working|for\s+me)\b", lambda m: self.add("owner", "me"))
        self.take(r"\b(?:unassigned|not\s+assigned(?:\s+to\s+anyone)?|without\s+an?\s+owner|with\s+no\s+owner|no\s+owner|ownerless|nobody\s+owns)\b", lambda m: self.add("owner", "unassigned"))
        def rep(key: str, start: int, end: int) -> None:
            self.add("owner", self.vocabulary.reps[key])
            self.blank(start, end)

        self.take(r"\b(?:owned\s+by|assigned\s+to|belonging\s+to|that\s+belong\s+to|handled\s+by|worked\s+by)\b(?=\s+\w)", lambda m: None)
        self.ngrams(self.vocabulary.reps, rep, max_words=3)

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

        self.take(r"\b(hot|warm|cold)(?:est)?\b(?:\s+tier)?", tier)
        self.take(r"\b(?:tier\s+(?:is\s+)?)(hot|warm|cold)\b", tier)

    def ngrams(self, names: dict[str, str], handle: Callable[[str, int, int], None], *, max_words: int = 6) -> None:
        """Look up every run of 1..max_words unread words in `names` (longest first).

        A dictionary lookup per n-gram instead of one huge regex, so 100,000 company names cost
        nothing to match against.
        """
        if not names:
            return
        words = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[a-z0-9][a-z0-9&.'-]*[a-z0-9]|[a-z0-9]", self.text)]
        i = 0
        while i < len(words):
            for size in range(min(max_words, len(words) - i), 0, -1):
                start, end = words[i][1], words[i + size - 1][2]
                phrase = " ".join(self.text[start:end].split())
                key = phrase.removesuffix("'s")
                if key in names and key not in FILLER and phrase.count(" ") == size - 1:
                    handle(key, start, end)
                    i += size
                    break
            else:
                i += 1

    def read_places(self) -> None:
        def city(key: str, start: int, end: int) -> None:
            negated, negator_start = self.negated_before(start)
            self.add("not_city" if negated else "city", cities[key])
            self.blank(negator_start if negated else start, end)

        cities = {**self.vocabulary.cities, **{k.lower(): v for k, v in CITY_ALIASES.items()}}
        self.ngrams(cities, city, max_words=3)
        self.categorical(REGION_PHRASES, "region", "not_region")
        self.categorical(US_STATES, "state", None)
        self.categorical(COUNTRY_PHRASES, "country", "not_country")
        # Upper-case codes in the original text: "US", "UK", "CA", "NY".
        for match in re.finditer(r"\b(?:the\s+)?([A-Z]{2,3})\b", self.original):
            code = match.group(1)
            if not self.text[match.start(1) : match.end(1)].strip():
                continue
            if code in COUNTRY_CODES:
                negated, negator_start = self.negated_before(match.start())
                self.add("not_country" if negated else "country", COUNTRY_CODES[code])
                self.blank(negator_start if negated else match.start(), match.end())
            elif code in STATE_CODES or code in {"CA", "NY", "TX", "WA", "MA", "IL", "FL", "CO", "GA"}:
                self.add("state", code)
                self.blank(match.start(), match.end())
        self.take(r"\b(?:non|outside(?:\s+of)?\s+the|outside|international|foreign)[\s-]*(?:us|u\.s\.|usa|american)\b", lambda m: self.add("not_country", "US"))
        self.take(r"\b(?:in\s+)?the\s+us\b", lambda m: self.add("country", "US"))
        self.take(r"\b(?:outside\s+(?:the\s+)?(?:uk|britain))\b", lambda m: self.add("not_country", "GB"))

    def read_misc(self) -> None:
        self.take(r"\b(?:open|active|still\s+open|in\s+progress|in\s+the\s+pipeline|in\s+pipeline)\b(?!\s+(?:an?\s+)?e-?mail)", lambda m: self.filter.update(open_only=True))
        self.take(r"\b(?:that\s+|which\s+|who\s+)?(?:converted|closed\s+won|became\s+customers?)\b", lambda m: self.filter.update(converted=True))
        self.take(r"\b(?:that\s+|which\s+|who\s+)?(?:did\s+not|didn't|never)\s+convert(?:ed)?\b|\bnot\s+converted\b", lambda m: self.filter.update(converted=False))

    def read_companies(self) -> None:
        def company(key: str, start: int, end: int) -> None:
            self.filter["company"] = self.vocabulary.companies[key]
            self.blank(start, end)

        self.ngrams(self.vocabulary.companies, company)

    def leftovers(self) -> list[str]:
        words = re.findall(r"[a-z0-9][a-z0-9'&.-]*", self.text)
        return [w.strip(".'") for w in words if w.strip(".'") and w.strip(".'") not in FILLER and not re.fullmatch(r"[.,?!-]+", w)]


def _merge(previous: dict[str, Any], new: dict[str, Any], *, union: bool) -> dict[str, Any]:
    merged = {k: (list(v) if isinstance(v, list) else v) for k, v in previous.items()}
    opposite = {"industry": "not_industry", "country": "not_country", "city": "not_city", "source": "not_source", "stage": "not_stage", "region": "not_region"}
    for key, value in new.items():
        if union and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [v for v in value if v not in merged[key]]
        else:
            merged[key] = value
        for positive, negative in opposite.items():
            if key == positive:
                merged.pop(negative, None)
            elif key == negative:
                merged.pop(positive, None)
    return merged


def plan(question: str, *, now: datetime, vocabulary: Vocabulary | None = None, context: Context | None = None) -> Plan:
    """Read one question (in the light of the conversation so far) and decide the tool calls."""
    vocabulary = vocabulary or Vocabulary()
    context = context or Context()
    if not question.strip():
        return Plan(message="Ask me about your leads, for example: " + SUGGESTIONS[0])

    reader = _Reader(question, now=now, vocabulary=vocabulary)
    is_follow_up = bool(_FOLLOW_UP.search(reader.text)) and context.last_call is not None
    reader.read()

    unknown = reader.leftovers()
    if unknown:
        return Plan(
            not_understood=unknown,
            message=(
                f"I don't understand {' '.join(repr(w) for w in unknown)} in that question, so I have not run it "
                "(I would rather ask than guess). Try, for example:\n- " + "\n- ".join(SUGGESTIONS)
            ),
        )

    if reader.lead_ref is not None:
        return Plan(calls=[ToolCall("get_lead", {"lead_id": reader.lead_ref})])
    if reader.ordinal is not None and not reader.filter and reader.aggregate is None:
        if not context.last_lead_ids:
            return Plan(message="Which list do you mean? Ask for some leads first, then say e.g. 'show the first one'.")
        index = reader.ordinal - 1 if reader.ordinal > 0 else len(context.last_lead_ids) - 1
        if index >= len(context.last_lead_ids):
            return Plan(message=f"The last list had only {len(context.last_lead_ids)} leads.")
        return Plan(calls=[ToolCall("get_lead", {"lead_id": context.last_lead_ids[index]})])

    lead_filter = dict(reader.filter)
    search = dict(reader.search)
    aggregate = reader.aggregate
    if is_follow_up and context.last_call is not None:
        previous = context.last_call.args
        lead_filter = _merge(previous.get("filter", {}), lead_filter, union=bool(_UNION.search(reader.text + question.lower())))
        if context.last_call.name == "aggregate_leads" and aggregate is None and not search:
            aggregate = {k: v for k, v in previous.items() if k != "filter"}
        elif context.last_call.name == "search_leads" and aggregate is None:
            search = {**{k: v for k, v in previous.items() if k != "filter"}, **search}

    if not lead_filter and not search and aggregate is None and not is_follow_up:
        if not re.search(r"\b(?:leads?|prospects?|contacts?|accounts?|pipeline|everything|all)\b", question.lower()):
            return Plan(message="I'm not sure what to look up. Try, for example:\n- " + "\n- ".join(SUGGESTIONS))

    if aggregate is not None:
        if "group_by" not in aggregate:
            single = [k for k in ("source", "industry", "tier", "stage", "country", "city", "state", "owner") if k in lead_filter]
            if len(single) == 1:
                aggregate["group_by"] = single[0]
        args = {"filter": lead_filter, **aggregate}
        return Plan(calls=[ToolCall("aggregate_leads", args)])
    return Plan(calls=[ToolCall("search_leads", {"filter": lead_filter, **search})])
