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
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from leadpilot.agent.intents import REPORT_TOOLS, TargetMissing, read_intent, read_report, read_semantic
from leadpilot.agent.dates import WINDOW_PATTERN, WINDOW_RE, Window, resolve_window
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
    # Adjectives: "Australian leads", "German companies".
    "american": "US", "british": "GB", "german": "DE", "french": "FR", "dutch": "NL", "spanish": "ES",
    "irish": "IE", "swedish": "SE", "italian": "IT", "swiss": "CH", "polish": "PL", "portuguese": "PT",
    "canadian": "CA", "mexican": "MX", "brazilian": "BR", "argentinian": "AR", "chilean": "CL", "colombian": "CO",
    "australian": "AU", "aussie": "AU", "singaporean": "SG", "japanese": "JP", "indian": "IN",
    "chinese": "CN", "korean": "KR", "emirati": "AE", "israeli": "IL", "south african": "ZA", "nigerian": "NG",
    "kenyan": "KE", "danish": "DK", "norwegian": "NO", "finnish": "FI", "belgian": "BE", "austrian": "AT",
    **{k: v for k, v in COUNTRY_ALIASES.items() if len(k) > 2},
}
# Upper-case codes people type ("US", "UK"); lower-case "us" is a pronoun, so codes need capitals.
COUNTRY_CODES = {"US": "US", "USA": "US", "UK": "GB", "GB": "GB", "DE": "DE", "FR": "FR", "NL": "NL", "ES": "ES",
                 "IE": "IE", "SE": "SE", "AU": "AU", "SG": "SG", "JP": "JP", "BR": "BR", "MX": "MX", "UAE": "AE",
                 "NZ": "NZ", "CH": "CH"}
REGION_PHRASES: dict[str, str] = {
    "emea": "EMEA", "europe": "EMEA", "european": "EMEA", "middle east": "EMEA",
    "apac": "APAC", "asia pacific": "APAC", "asia-pacific": "APAC", "asia": "APAC",
    "latam": "LATAM", "latin america": "LATAM", "south america": "LATAM", "latin american": "LATAM",
    "south american": "LATAM", "asian": "APAC",
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
# Cities that share a name with their state: "California or New York" means the states.
CITY_STATES = {"new york": "NY", "nyc": "NY", "washington": "WA"}
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
    vertical market firms businesses organizations orgs based located area region gimme lemme pls plz yet
    everything everyone everybody came come comes coming sourced originating currently right now through via
    vs vs. versus compared details detail info information profile overview rundown working handling""".split()
)
NEGATORS = (
    r"(?:not|no|non|excluding|exclude|except|outside(?:\s+of)?|other\s+than|besides|but\s+not|without|apart\s+from|aside\s+from|"
    r"isn't|aren't|never|drop|remove|minus|skip|leave\s+out|take\s+out|filter\s+out|get\s+rid\s+of)"
)

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


def fold(text: str) -> str:
    """Lower case without accents: "Lucía" and "Lucia" are the same name to someone typing."""
    lowered = text.lower()
    if lowered.isascii():  # most names: nothing to strip (the vocabulary folds every company name)
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(?:inc|llc|ltd|ltda|gmbh|sas|sa|s\.a\.?(?:\s+de\s+c\.v)?|s\.l|b\.v|ab|pte\.?\s+ltd|k\.k|pvt\.?\s+ltd|pty\s+ltd|plc|corp|co)\.?$"
)


def _with_aliases(names: dict[str, str], *, companies: bool = False) -> dict[str, str]:
    """`names` plus accent-free keys and, for companies, keys without the legal suffix ("Acme" for
    "Acme Inc."), unless that short name is another company's too."""
    return _alias_table(frozenset(names.items()), companies)


@lru_cache(maxsize=16)  # a vocabulary is rebuilt per question from the same store
def _alias_table(names: frozenset[tuple[str, str]], companies: bool) -> dict[str, str]:
    aliases: dict[str, str] = {}
    taken: set[str] = set()
    for key, value in names:
        plain = fold(key).rstrip(".")
        for alias in {plain, _LEGAL_SUFFIX.sub("", plain).strip() if companies else plain}:
            if alias in aliases and aliases[alias] != value:
                taken.add(alias)
            aliases.setdefault(alias, value)
    return {**{k: v for k, v in aliases.items() if k not in taken and k}, **dict(names)}


@dataclass(frozen=True)
class Vocabulary:
    """Names that come from the store: cities, reps and companies, all lower-case -> canonical.

    Each also answers to its accent-free spelling, and a company to its name without "Inc." or "GmbH".
    """

    cities: dict[str, str] = field(default_factory=dict, repr=False)
    reps: dict[str, str] = field(default_factory=dict, repr=False)  # name / first name / email -> rep email
    companies: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cities", _with_aliases(self.cities))
        object.__setattr__(self, "reps", _with_aliases(self.reps))
        object.__setattr__(self, "companies", _with_aliases(self.companies, companies=True))


@dataclass(frozen=True)
class _Place:
    """A place named in the question: where, which filter key, its value and the words used."""

    start: int
    end: int
    key: str
    value: str
    said: str


@dataclass(frozen=True)
class Context:
    """What the conversation so far tells a follow-up: the last query and the leads it showed."""

    last_call: ToolCall | None = None
    last_lead_ids: tuple[int, ...] = ()


def _alternation(phrases: Iterable[str]) -> str:
    return _escaped_alternation(tuple(phrases))


@lru_cache(maxsize=64)
def _escaped_alternation(phrases: tuple[str, ...]) -> str:
    # The phrase tables are constants: escaped and sorted once, not on every question.
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


_WORD = re.compile(r"[^\W_](?:[\w&.'-]*[^\W_])?")  # a word, letters of any alphabet
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "last": -1, "top": 1}
_FOLLOW_UP = re.compile(
    r"^\s*(?:only|just|and|but|what about|how about|now|same|also|of (?:those|these|them)|among (?:those|these|them)|"
    r"from (?:those|these)|narrow|filter|sort|order|exclude|remove|drop|then|ok|okay|which of (?:those|these|them))\b"
    r"|\b(?:those|these|them|the ones|of them)\b"
    r"|\b(?:break|narrow|filter|sort|split|limit|restrict|group|order|rank|cut)\s+(?:that|this|it)\b"
)
_NOUN = re.compile(r"\b(?:leads?|prospects?|contacts?|accounts?|companies|deals|pipeline|everything|everyone|all)\b")
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
        self.unwindowed_activity: tuple[dict[str, Any], int] | None = None  # (condition, where its phrase ends)
        self.unsupported: str | None = None  # read, but not something the query tool can say
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
        found: list[_Place] | None = None,
    ) -> None:
        """Match any of `phrases`; a negator in front (or inherited through an "or" list) excludes.

        `negated_ends` is shared by passes whose negations carry over to each other (places);
        `found` collects what was included, with where it was said.
        """
        pattern = rf"\b(?:{_alternation(phrases)})\b"
        ends = negated_ends if negated_ends is not None else []

        def handle(match: re.Match[str]) -> None:
            value = phrases[match.group(0)]
            negated, negator_start = self.negated_in_list(match.start(), ends)
            if negated and not_key:
                self.add(not_key, value)
                self.blank(negator_start, match.start())
                ends.append(match.end())
            else:
                self.add(key, value)
                if found is not None:
                    found.append(_Place(match.start(), match.end(), key, value, match.group(0)))

        self.take(pattern, handle)

    # -- passes --
    def read(self) -> None:
        self.read_lead_reference()
        self.read_companies(min_words=2)  # "Credhub Payments" before "payments" is read as an industry
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
        self.take(r"\blead\s+(?:id\s+|#\s*|number\s+|no\.?\s*)?(\d+)\b(?!\s*(?:days?|weeks?|months?|employees))", lambda m: setattr(self, "lead_ref", int(m.group(1))))
        self.take(r"\b(?:number|#|no\.?)\s*(\d+)\b(?!\s*(?:days?|weeks?|months?|employees))", lambda m: setattr(self, "ordinal", int(m.group(1))))

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

        def group(m: re.Match[str], *, breakdown: bool = False) -> None:
            if m.group(1) in ("size", "company size") and metric is None and not breakdown:
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
        spread = r"(?:breakdown|break\s+(?:(?:that|this|it|them|those|these)\s+)?down|split|distribution|mix|spread)"
        self.take(rf"\b{spread}\s+(?:of\s+(?:the\s+)?(?:leads\s+)?)?(?:by|per|across|over)?\s*(?:lead\s+)?({alternatives})\b", lambda m: group(m, breakdown=True))
        self.take(rf"\b(?:lead\s+)?({alternatives})\s+{spread}\b", lambda m: group(m, breakdown=True))
        self.take(rf"\b(?:by|per|for each|each|across|broken down by|grouped by|group by|split by|breakdown by)\s+(?:lead\s+)?({alternatives})\b", group)

        def which(m: re.Match[str]) -> bool | None:
            if m.group("verb") is None and self.aggregate is None:
                return False  # "which industry is Acme in?" is not a breakdown
            group(m)
            return None

        verbs = r"has|have|brings?|brought|converts?|gets?|got|generates?|generated|produces?|produced|performs?|wins?|closes?"
        self.take(rf"\b(?:which|what)\s+({alternatives})(?:\s+(?P<verb>{verbs})\b)?", which)

        def per_owner(m: re.Match[str]) -> None:
            self.aggregate = {"group_by": "owner", **(self.aggregate or {})}

        self.take(r"\bwho\s+(?:owns|has|holds|is\s+working)\s+(?:on\s+)?the\s+most\b", per_owner)

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
        superlative = (
            r"(?:newest|latest|most\s+recent|oldest|biggest|largest|smallest|hottest|best|"
            r"(?:highest|lowest|best|top|worst)[- ](?:scoring|scored|rated)|highest|lowest)"
        )

        def count(m: re.Match[str]) -> bool:
            """"the 5 newest", "latest 10": a top N; the superlative is read below."""
            if not re.search(r"(?:above|over|than|under|below|least|most|between|and|to|of|scores?|scor(?:ed|ing)|[<>=+])\s*$", self.text[: m.start("n")]):
                self.search["limit"] = int(m.group("n"))
                self.blank(m.start("n"), m.end("n"))
            return False

        self.take(rf"\b(?P<n>\d+)\s+{superlative}\b", count)
        self.take(rf"\b{superlative}\s+(?P<n>\d+)\b(?!\s*(?:%|days?|weeks?|months?|years?|employees|people|staff|points?))", count)

        def flag(**values: Any) -> Callable[[re.Match[str]], None]:
            return lambda m: self.search.update(values)

        first = r"(?:\s+(?:ones?\s+)?(?:first|on\s+top))?\b"
        self.take(rf"\b(?:(?:highest|best|top)[- ](?:scoring|scored|rated)|hottest|high(?:est)?\s+scor(?:es?|ing))\b{first}|\bby\s+score\b", flag(sort_by="score", descending=True))
        self.take(rf"\b(?:(?:lowest|worst)[- ](?:scoring|scored|rated)|low(?:est)?\s+scor(?:es?|ing))\b{first}", flag(sort_by="score", descending=False))
        self.take(r"\bmost\s+likely\s+to\s+(?:convert|close|buy)\b|\bby\s+probability\b", flag(sort_by="probability", descending=True))
        self.take(
            r"\b(?:most\s+recently\s+(?:contacted|touched)(?:\s+(?:ones?\s+)?first)?|(?:recently|last)\s+(?:contacted|touched)\s+(?:ones?\s+)?first)\b",
            flag(sort_by="last_contacted_at", descending=True),
        )
        self.take(r"\bleast\s+recently\s+(?:contacted|touched)(?:\s+(?:ones?\s+)?first)?\b", flag(sort_by="last_contacted_at", descending=False))
        self.take(rf"\b(?:newest|latest|most\s+recent(?:ly\s+created)?|recently\s+created|youngest)\b{first}", flag(sort_by="created_at", descending=True))
        self.take(rf"\boldest\b{first}", flag(sort_by="created_at", descending=False))
        self.take(rf"\b(?:biggest|largest)\b{first}", flag(sort_by="company_size", descending=True))
        self.take(rf"\bsmallest\b{first}", flag(sort_by="company_size", descending=False))
        self.take(r"\b(?:longest\s+(?:without|since)\s+(?:a\s+)?(?:contact|touch)|most\s+neglected|stalest)\b", flag(sort_by="last_contacted_at", descending=False))

    def _window_filter(self, match: re.Match[str], *, prefix: str) -> bool:
        """Apply a time window matched inside a bigger phrase (named groups of WINDOW_PATTERN).

        Returns False (the words stay unread) when the filter cannot say it.
        """
        window = resolve_window(match, today=self.now.date())
        if prefix == "not_contacted":
            if window.days is not None:
                self.filter["not_contacted_in_days"] = window.days
            elif window.start is not None:
                self.filter["not_contacted_since"] = window.start.isoformat()
            else:
                return False
        elif prefix == "contacted":
            # A bounded window ("yesterday", "last week") reads as: the last contact falls inside it.
            if window.days is not None:
                self.filter["contacted_within_days"] = window.days
            elif window.start is not None:
                self.filter["contacted_since"] = window.start.isoformat()
            else:
                self.filter["never_contacted"] = False
            if window.end is not None:
                self.filter["not_contacted_since"] = window.end.isoformat()
        elif prefix == "created":
            if window.days is not None:
                self.filter["created_within_days"] = window.days
            else:
                if window.start:
                    self.filter["created_after"] = window.start.isoformat()
                if window.end:
                    self.filter["created_before"] = window.end.isoformat()
        return True

    def read_contact(self) -> None:
        verbs = (
            r"(?:contacted|touched|reached(?:\s+out(?:\s+to)?)?|called|emailed|followed[\s-]up(?:\s+(?:on|with))?|worked|engaged|"
            r"(?:spoken|talked)\s+(?:to|with)|heard\s+from\s+us)"
        )
        window = rf"(?:{WINDOW_PATTERN})"
        not_contacted = (
            rf"\b(?:(?:that\s+|who\s+|which\s+)?(?:have|has|had)?\s*(?:not|n't|never)\s+(?:been\s+|yet\s+been\s+)?|(?:haven't|hasn't|weren't|wasn't|aren't|isn't)\s+(?:been\s+)?|(?:haven't|hasn't|have\s+not|didn't|did\s+not)\s+(?:we|you|they|i)\s+|(?:no\s+one|nobody)(?:\s+has|'s)\s+|we\s+haven't\s+|un)"
            rf"{verbs}(?:\s+(?:with|to|them|yet))?(?:\s+(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s+(?P<u_over>day|week|month)s?|\s+(?P<win>{window}))?"
        )

        def handle_not(m: re.Match[str]) -> bool:
            if m.group("n_over"):
                self.filter["not_contacted_in_days"] = int(m.group("n_over")) * {"day": 1, "week": 7, "month": 30}[m.group("u_over")]
            elif m.group("win"):
                return self._window_filter(WINDOW_RE.search(m.group("win")), prefix="not_contacted")
            else:
                self.filter["never_contacted"] = True
            return True

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

        def handle_contacted(m: re.Match[str]) -> bool:
            return self._window_filter(WINDOW_RE.search(m.group("win")), prefix="contacted")

        done = r"(?:contacted|touched|called|emailed|reached\s+out\s+to|followed\s+up\s+(?:on|with)|talked\s+(?:to|with)|spok(?:e|en)\s+(?:to|with))"
        do = r"(?:contact|touch|call|email|reach\s+out\s+to|follow\s+up\s+(?:on|with)|talk\s+(?:to|with)|speak\s+(?:to|with))"
        self.take(
            rf"\b(?:(?:(?:were|was|been|have\s+been|has\s+been|we've|we\s+have|we)\s+)?{done}|(?:did|do)\s+we\s+{do})\s+(?:them\s+)?(?P<win>{window})",
            handle_contacted,
        )
        self.take(
            r"\b(?:(?:have|has)\s+(?:already\s+)?been\s+|were\s+|was\s+|already\s+|previously\s+)?(?:contacted|touched)"
            r"(?:\s+(?:at\s+least\s+once|once|before|already|previously))?\b",
            lambda m: self.filter.update(never_contacted=False),
        )

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
                    _set_activity_window(condition, resolve_window(WINDOW_RE.search(m.group("win")), today=self.now.date()))
                else:
                    self.unwindowed_activity = (condition, m.end())
                if m.groupdict().get("neg"):
                    condition["absent"] = True
                self.filter.setdefault("activity", []).append(condition)

            return handle

        pages = _alternation(PAGE_WORDS)
        some = r"(?:(?:an?|our|the|any|my|some|one|all)\s+(?:of\s+(?:our|my|the)\s+)?)?"
        self.take(rf"\b{negation}(?:opened|opens|open|read)\s+{some}(?:e-?mails?|mails?|newsletters?|messages?|outreach){window}", activity("email_opened"))
        self.take(rf"\b{negation}(?:clicked|clicks|click)(?:\s+through)?(?:\s+(?:on\s+)?{some}(?:e-?mail|link)s?)?(?:\s+(?:in|on|from)\s+{some}e-?mails?)?{window}", activity("email_clicked"))
        visit = (
            r"(?:visit(?:ed|s)?|view(?:ed|s)?|look(?:ed|s)?\s+at|seen|saw|check(?:ed|s)?\s+out|went\s+to|gone\s+to|go\s+to|"
            r"hit|been\s+(?:to|on)|land(?:ed)?\s+on|brows(?:e|ed)|(?:spent\s+time|were|was)\s+on)"
        )
        self.take(rf"\b{negation}{visit}\s+(?:the\s+|our\s+)?(?P<page>{pages})(?:\s+page)?s?{window}", activity("page_view"))
        self.take(rf"\b(?P<page>{pages})\s+page\s+(?:visits?|visitors?|views?|viewers?){window}", activity("page_view"))
        self.take(rf"\bon\s+(?:the\s+|our\s+)(?P<page>{pages})\s+pages?{window}", activity("page_view"))
        self.take(
            rf"\b(?:(?:who\s+)?(?:request(?:ed|s)?|ask(?:ed|s)?\s+for|book(?:ed|s)?|want(?:s|ed)?|signed\s+up\s+for)\s+(?:a\s+|the\s+)?demos?|demo\s+requests?){window}",
            activity("form_submit", "demo"),
        )
        self.take(rf"\b{negation}(?:filled\s+(?:in|out)|submitted)\s+(?:a\s+|the\s+)?forms?{window}", activity("form_submit"))
        self.take(rf"\b{negation}(?:had|have|has|booked|attended|took)\s+(?:a\s+|any\s+)?meetings?(?:\s+with(?:\s+us)?)?{window}", activity("meeting"))
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
        self.take(rf"\b(?:with\s+|having\s+)?(?:between\s+(\d+)\s+and|(\d+)\s*(?:-|–|to)\s*)\s*(\d+)\s*{people}", lambda m: self.filter.update(min_employees=int(m.group(1) or m.group(2)), max_employees=int(m.group(3))))
        self.take(rf"\b(?:with\s+|having\s+)?(?P<n>\d+)\s+(?:or|and)\s+(?:more|above|over|up)\s*{people}|\b(?P<n2>\d+)\s*{people}\s+or\s+more\b", lambda m: self.filter.update(min_employees=int(m.group("n") or m.group("n2"))))
        self.take(rf"\b(?:with\s+|having\s+)?(?P<n>\d+)\s+or\s+(?:fewer|less|under|below)\s*{people}|\b(?P<n2>\d+)\s*{people}\s+or\s+(?:fewer|less)\b", lambda m: self.filter.update(max_employees=int(m.group("n") or m.group("n2"))))
        self.take(rf"\b{people}\s+(?:count\s+)?{more}\s+(?P<n>\d+)\b", bound("min_employees", 1))
        self.take(rf"\b{people}\s+(?:count\s+)?{less}\s+(?P<n>\d+)\b", bound("max_employees", -1))
        # score
        score = r"(?:(?:lead\s+)?scores?|scoring|scored|rated)"
        self.take(rf"\b{score}\s+(?:of\s+)?{more}\s+(?P<n>\d+)\b|\b{more}\s+(?P<n2>\d+)\s+(?:points?\s+)?(?:in\s+)?score\b", lambda m: self.filter.update(min_score=int(m.group("n") or m.group("n2")) + 1))
        self.take(rf"\b{score}\s+(?:of\s+)?{at_least}\s+(?P<n>\d+)\b|\b{score}\s+(?:of\s+)?(?P<n2>\d+)\s*\+|\b(?P<n3>\d+)\s*\+\s*{score}", lambda m: self.filter.update(min_score=int(m.group("n") or m.group("n2") or m.group("n3"))))
        self.take(rf"\b{score}\s+(?:of\s+)?{less}\s+(?P<n>\d+)\b", lambda m: self.filter.update(max_score=int(m.group("n")) - 1))
        self.take(rf"\b{score}\s+(?:of\s+)?{at_most}\s+(?P<n>\d+)\b", lambda m: self.filter.update(max_score=int(m.group("n"))))
        self.take(rf"\b{score}\s+(?:of\s+)?(?:between\s+(\d+)\s+and|(\d+)\s*(?:-|–|to)\s*)\s*(\d+)\b", lambda m: self.filter.update(min_score=int(m.group(1) or m.group(2)), max_score=int(m.group(3))))
        self.take(rf"\b{score}\s+(?:of\s+)?(\d+)\s+(?:and|or)\s+(?:above|up|higher|more|over)\b", lambda m: self.filter.update(min_score=int(m.group(1))))
        self.take(rf"\b{score}\s+(?:of\s+)?(\d+)\s+(?:and|or)\s+(?:below|under|lower|less|fewer)\b", lambda m: self.filter.update(max_score=int(m.group(1))))
        self.take(rf"\b{score}\s+(?:of\s+|exactly\s+|=\s*)?(\d+)\b(?!\s*(?:\+|or\b|and\b|%))", lambda m: self.filter.update(min_score=int(m.group(1)), max_score=int(m.group(1))))
        # conversion probability
        prob = r"(?:(?:conversion\s+)?probability|likelihood|chance)(?:\s+(?:of|to)\s+(?:convert(?:ing)?|clos(?:e|ing)|win(?:ning)?))?"
        self.take(rf"\b{prob}\s+(?:of\s+)?(?:{more}|{at_least})\s+(?P<n>\d+)\s*%", lambda m: self.filter.update(min_probability=int(m.group("n")) / 100))
        self.take(rf"\b{prob}\s+(?:of\s+)?(?:{less}|{at_most})\s+(?P<n>\d+)\s*%", lambda m: self.filter.update(max_probability=int(m.group("n")) / 100))
        self.take(r"\b(?:likely|expected)\s+to\s+(?:convert|close|buy)\b", lambda m: self.filter.update(min_probability=0.5))
        self.take(r"\bunlikely\s+to\s+(?:convert|close|buy)\b", lambda m: self.filter.update(max_probability=0.2))

    def read_created(self) -> None:
        verbs = r"(?:(?:were|was|got|have\s+been|has\s+been)\s+)?(?:created|added|captured|came\s+in|come\s+in|arrived|received|generated|signed\s+up|entered|imported|brought(?:\s+in)?|bring|brings|new)"

        def created(m: re.Match[str]) -> bool:
            window = WINDOW_RE.search(m.group("win"))
            if m.group("verb") is None and self.unwindowed_activity and self.unwindowed_activity[1] <= m.start():
                # "demo requests from fintech this month": the time is the activity's, not the lead's.
                _set_activity_window(self.unwindowed_activity[0], resolve_window(window, today=self.now.date()))
                self.unwindowed_activity = None
                return True
            return self._window_filter(window, prefix="created")

        self.take(rf"\b(?P<verb>{verbs}\s+)?(?P<win>{WINDOW_PATTERN})", created)
        self.take(r"\b(?:created|added)\s+(?:more\s+than|over)\s+(\d+)\s+(day|week|month)s?\s+ago\b|\bolder\s+than\s+(\d+)\s+(day|week|month)s?\b",
                  lambda m: self.filter.update(created_before=(self.now - timedelta(days=int(m.group(1) or m.group(3)) * {"day": 1, "week": 7, "month": 30}[m.group(2) or m.group(4)])).isoformat()))

    def read_owner(self) -> None:
        self.take(
            r"\b(?:on\s+my\s+plate|assigned\s+to\s+me|owned\s+by\s+me|(?:that\s+|do\s+|did\s+)?i\s+(?:own|have|got)|i've\s+got|"
            r"i'm\s+working(?:\s+on)?|for\s+me|my|mine)\b",
            lambda m: self.add("owner", "me"),
        )
        self.take(
            r"\b(?:unassigned|not\s+(?:yet\s+)?assigned(?:\s+to\s+anyone)?|without\s+an?\s+owner|with\s+no\s+owner|no\s+owner|"
            r"ownerless|(?:nobody|no\s+one)\s+(?:owns|has)(?!\s+(?:been\s+)?(?:contacted|touched|called|emailed|reached|followed|spoken|talked))|unowned|unrouted|not\s+(?:yet\s+)?routed)\b",
            lambda m: self.add("owner", "unassigned"),
        )
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

        self.take(r"\b(hot|warm|cold)(?:est)?\b(?!\s+(?:outreach|e-?mails?|call(?:s|ing)?|outbound))(?:\s+tier)?", tier)
        self.take(r"\b(?:tier\s+(?:is\s+)?)(hot|warm|cold)\b", tier)

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

    def read_places(self) -> None:
        negated_ends: list[int] = []  # "not in London or Paris", "outside the US or Canada"
        found: list[_Place] = []

        def city(key: str, start: int, end: int) -> None:
            negated, negator_start = self.negated_in_list(start, negated_ends)
            self.add("not_city" if negated else "city", cities[key])
            self.blank(negator_start if negated else start, end)
            if negated:
                negated_ends.append(end)
            else:
                found.append(_Place(start, end, "city", cities[key], key))

        # A city-state ("Singapore") is read as its country, which also lets it join a list of countries.
        cities = {k: v for k, v in {**self.vocabulary.cities, **CITY_ALIASES}.items() if k not in COUNTRY_PHRASES}
        self.ngrams(cities, city, max_words=3)
        self.categorical(REGION_PHRASES, "region", "not_region", negated_ends=negated_ends, found=found)
        self.categorical(US_STATES, "state", None, found=found)
        # Upper-case codes in the original text: "US", "UK", "CA", "NY".
        for match in re.finditer(r"\b(?:the\s+)?([A-Z]{2,3})\b", self.original):
            code = match.group(1)
            if not self.text[match.start(1) : match.end(1)].strip():
                continue
            if code in COUNTRY_CODES:
                negated, negator_start = self.negated_in_list(match.start(), negated_ends)
                self.add("not_country" if negated else "country", COUNTRY_CODES[code])
                self.blank(negator_start if negated else match.start(), match.end())
                if negated:
                    negated_ends.append(match.end())
                else:
                    found.append(_Place(match.start(1), match.end(1), "country", COUNTRY_CODES[code], code))
            elif code in STATE_CODES or code in {"CA", "NY", "TX", "WA", "MA", "IL", "FL", "CO", "GA"}:
                self.add("state", code)
                self.blank(match.start(), match.end())
                found.append(_Place(match.start(1), match.end(1), "state", code, code))
        self.categorical(COUNTRY_PHRASES, "country", "not_country", negated_ends=negated_ends, found=found)
        self.check_place_lists(found)
        self.take(r"\b(?:non|outside(?:\s+of)?\s+the|outside|international|foreign)[\s-]*(?:us|u\.s\.|usa|american)\b", lambda m: self.add("not_country", "US"))
        self.take(r"\b(?:in\s+)?the\s+us\b", lambda m: self.add("country", "US"))
        self.take(r"\b(?:outside\s+(?:the\s+)?(?:uk|britain))\b", lambda m: self.add("not_country", "GB"))

    def check_place_lists(self, found: list[_Place]) -> None:
        """Cities, states, countries and regions are separate conditions that all must hold, so "London
        or Germany" cannot be asked in one query: say so rather than answer "London and Germany"."""
        found.sort(key=lambda place: place.start)
        for first, second in zip(found, found[1:]):
            if first.key == second.key or not re.fullmatch(r"[\s,]*(?:or|and|/|&)\s+(?:in\s+|from\s+)?(?:the\s+)?", self.text[first.end : second.start]):
                continue
            pair = {first.key: first, second.key: second}
            if set(pair) == {"city", "state"} and pair["city"].said in CITY_STATES:  # "California or New York"
                self.filter["city"].remove(pair["city"].value)
                if not self.filter["city"]:
                    del self.filter["city"]
                self.add("state", CITY_STATES[pair["city"].said])
                continue
            self.unsupported = (
                f"I don't understand {first.said!r} ({first.key}) or {second.said!r} ({second.key}) as one question: "
                "cities, states, countries and regions are separate conditions that must all hold. Ask for one, "
                f"then e.g. 'what about {second.said}?'"
            )

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

    def leftovers(self) -> list[str]:
        words = re.findall(r"[^\W_][\w'&.-]*", self.text)
        return [w.strip(".'") for w in words if w.strip(".'") and w.strip(".'") not in FILLER and not re.fullmatch(r"[.,?!-]+", w)]


def _set_activity_window(condition: dict[str, Any], window: Window) -> None:
    if window.days is not None:
        condition["within_days"] = window.days
    if window.start is not None:
        condition["since"] = window.start.isoformat()
    if window.end is not None:
        condition["before"] = window.end.isoformat()


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

    try:
        intent = read_intent(question, companies=vocabulary.companies, last_lead_ids=context.last_lead_ids, reps=vocabulary.reps)
    except TargetMissing:
        return Plan(
            message="I don't understand which lead you mean. Name it by id (\"lead 42\"), by company (\"Acme\"), or say "
            "\"the first one\" after a list."
        )
    if intent is not None:
        return Plan(calls=[ToolCall(intent.tool, intent.args)])

    report = read_report(question)  # follow-up lists and analytics: the rest of the question is their filter
    if report is not None:
        question = report.rest or "leads"
    semantic = read_semantic(question, companies=vocabulary.companies)
    if semantic is not None:
        question = semantic.rest or "leads"
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

    if reader.unsupported:
        return Plan(message=reader.unsupported)
    if report is not None:
        return Plan(calls=[ToolCall(report.tool, {**report.args, **({"filter": dict(reader.filter)} if reader.filter else {})})])
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
    if not reader.filter and not _NOUN.search(question.lower()) and context.last_call is not None:
        # Nothing to filter on and no "leads": "newest first", "how many is that?" are about the last answer.
        is_follow_up = is_follow_up or bool(reader.search) or (aggregate is not None and "group_by" not in aggregate)
    if is_follow_up and context.last_call is not None:
        previous = context.last_call.args
        lead_filter = _merge(previous.get("filter", {}), lead_filter, union=bool(_UNION.search(reader.text + question.lower())))
        if context.last_call.name in REPORT_TOOLS and not search and aggregate is None and semantic is None:
            # "what about fintech?" after a report: the same report, narrowed.
            kept = {k: v for k, v in previous.items() if k != "filter"}
            return Plan(calls=[ToolCall(context.last_call.name, {**kept, **({"filter": lead_filter} if lead_filter else {})})])
        if context.last_call.name == "aggregate_leads" and not search:
            # "what about by source?" keeps the metric; "only enterprise" keeps metric and grouping.
            aggregate = {**{k: v for k, v in previous.items() if k != "filter"}, **(aggregate or {})}
        elif context.last_call.name == "search_leads" and aggregate is None:
            search = {**{k: v for k, v in previous.items() if k != "filter"}, **search}

    if semantic is not None:
        args = {**semantic.args, "filter": lead_filter}
        if search.get("limit"):
            args["limit"] = search["limit"]
        return Plan(calls=[ToolCall(semantic.tool, args)])
    if not lead_filter and not search and aggregate is None and not is_follow_up:
        if not _NOUN.search(question.lower()):
            return Plan(message="I don't understand what to look up. Try, for example:\n- " + "\n- ".join(SUGGESTIONS))

    if aggregate is not None:
        aggregate.setdefault("metric", "count")
        if "group_by" not in aggregate:
            single = [k for k in ("source", "industry", "tier", "stage", "country", "city", "state", "owner") if k in lead_filter]
            if len(single) == 1:
                aggregate["group_by"] = single[0]
        args = {"filter": lead_filter, **aggregate}
        return Plan(calls=[ToolCall("aggregate_leads", args)])
    return Plan(calls=[ToolCall("search_leads", {"filter": lead_filter, **search})])
