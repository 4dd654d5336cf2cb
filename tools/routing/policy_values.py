"""The routing policy's value types: names, rep emails, places, industries, counts, weights, times
and days, each refusing a bad value with a message a RevOps person can act on.

The section models (policy_sections.py) and the whole policy (policy.py) are built from these.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timezone
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator

from leadpilot.memory.geo import REGION_COUNTRIES, country_code
from leadpilot.memory.vocab import INDUSTRIES, Tier, industry_slug, policy_source
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.common import unknown as _unknown

STRATEGIES = ("round_robin", "weighted", "least_loaded", "performance_weighted", "fewest_today", "weighted_today")
MODES = ("required", "preferred", "ignored")
SEGMENT_NAMES = ("enterprise", "mid-market", "smb", "micro")
REGIONS = tuple(REGION_COUNTRIES)
UNAVAILABILITY = ("inactive", "out_of_office", "at_capacity", "daily_cap", "after_hours")
MATCH_KEYS = ("domain", "company")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ---------------------------------------------------------------------------------------------
# Value types with messages a RevOps person can act on


def _text_value(value: object, noun: str) -> str:
    if isinstance(value, bool):  # YAML reads a bare NO (Norway), no, off or yes as true/false
        raise _policy_error(f'YAML read this as {str(value).lower()} — put the {noun} in quotes, e.g. "NO" for Norway')
    if not isinstance(value, str) or not value.strip():
        raise _policy_error(f"must be a {noun} (text)")
    return value.strip()


def _name(value: object) -> str:
    text = _text_value(value, "name")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.&/-]*", text) or len(text) > 80:
        raise _policy_error("must be a short name of letters, digits, spaces, '-' or '_' (up to 80), e.g. emea-overflow")
    return text


def _rep_email(value: object) -> str:
    text = _text_value(value, "rep's email address").lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise _policy_error(f"{text!r} is not an email address — name reps by their email, e.g. maya.chen@yourco.com")
    return text


def _choice(noun: str, known: Sequence[str], aliases: dict[str, str] | None = None):
    def validate(value: object) -> str:
        key = str(value).strip().lower().replace(" ", "_") if isinstance(value, str) else value
        if isinstance(key, str):
            key = (aliases or {}).get(key, key)
            if key in known:
                return key
        raise _policy_error(_unknown(noun, value, known))

    return validate


def _place(value: object) -> str:
    """A region (EMEA), an ISO country (DE, or its name) or a state with its country (US-CA)."""
    text = _text_value(value, "place")
    if text.upper() in REGION_COUNTRIES:
        return text.upper()
    if re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", text):
        country, state = text.upper().split("-", 1)
        if country_code(country) == country:
            return f"{country}-{state}"
    code = country_code(text)
    if code is not None:
        return code
    hint = "use a region (" + ", ".join(REGIONS) + "), an ISO country code (DE) or a state with its country (US-CA)"
    raise _policy_error(f"unknown place {text!r} — {hint}")


def _country(value: object) -> str:
    code = country_code(_text_value(value, "country"))
    if code is None:
        raise _policy_error(f"unknown country {value!r} — use an ISO code such as DE or US, or the country's name")
    return code


def _state(value: object) -> str:
    text = _text_value(value, "state")
    place = _place(text) if "-" in text else None
    if place is None or "-" not in place:
        raise _policy_error(f"write a state with its country, e.g. US-CA or CA-ON (got {text!r})")
    return place


def _industry(value: object) -> str:
    """An industry by its label ("K-12 Education") or as leads store it (k-12-education), normalised as
    the import normalises a lead's industry (memory.vocab.industry_slug), so the two always compare."""
    slug = industry_slug(_text_value(value, "industry"))
    # An unlisted industry is allowed (leads keep unknown industries as their own slug); a near-miss of a
    # known one is a typo, unless it is that industry with more words ("k-12-education" is not "education").
    close = difflib.get_close_matches(slug, list(INDUSTRIES), n=1, cutoff=0.75) if slug not in INDUSTRIES else []
    if close and not _has_words(slug, close[0]):
        raise _policy_error(_unknown("industry", value, list(INDUSTRIES))
                            + f" Write an industry by its label (e.g. {INDUSTRIES[close[0]]!r}) or as leads store it (e.g. {close[0]})")
    return slug


def _has_words(slug: str, known: str) -> bool:
    """Whether `known`'s words appear whole, in order, among `slug`'s (k-12-education has education)."""
    words, wanted = slug.split("-"), known.split("-")
    return any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def _source(value: object) -> str:
    try:  # the team's own value (website_form, linkedin_ads) or a channel group (paid); a near-miss is a typo
        return policy_source(_text_value(value, "source"))
    except ValueError as error:
        raise _policy_error(str(error)) from None


def _language(value: object) -> str:
    import pycountry

    text = _text_value(value, "language")
    found = pycountry.languages.get(alpha_2=text.lower()) if len(text) == 2 else None
    if found is None:
        try:
            found = pycountry.languages.lookup(text)
        except LookupError:
            found = None
    code = getattr(found, "alpha_2", None)
    if code is None:
        raise _policy_error(f"unknown language {text!r} — use a two-letter ISO 639-1 code such as en, de or es")
    return code


def _whole(minimum: int):
    def validate(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum or not float(value).is_integer():
            raise _policy_error(f"must be a whole number ≥ {minimum}, e.g. {max(minimum, 1) * 20}")
        return int(value)

    return validate


def _weight(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value > 1000:
        raise _policy_error("must be a number from 0 to 1000 (a rep's share: 2 takes twice the leads of 1; 0 takes none)")
    return float(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _policy_error("must be true or false")
    return value


def _clock_time(value: object) -> time:
    text = value if isinstance(value, str) else ""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and int(match[2]) != 0):
        raise _policy_error('must be a time of day as "HH:MM" in quotes, e.g. "09:00"')
    hour, minute = int(match[1]), int(match[2])
    return time.max if hour == 24 else time(hour, minute)


def _weekday(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip()[:3].lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip()[:3].lower())
    raise _policy_error(f"unknown day {value!r} — use mon, tue, wed, thu, fri, sat, sun (or 0 = Monday … 6 = Sunday)")


def _day_or_moment(value: object) -> date | datetime:
    """A calendar day (taken in the rep's time zone) or an exact ISO 8601 moment."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            return date.fromisoformat(text) if len(text) == 10 else _aware(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise _policy_error("must be a date such as 2026-12-24, or a moment such as 2026-12-24T13:00:00Z")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


Name = Annotated[str, PlainValidator(_name)]
RepEmail = Annotated[str, PlainValidator(_rep_email)]
Place = Annotated[str, PlainValidator(_place)]
Country = Annotated[str, PlainValidator(_country)]
State = Annotated[str, PlainValidator(_state)]
Region = Annotated[str, PlainValidator(_choice("region", REGIONS, {r.lower(): r for r in REGIONS}))]
Industry = Annotated[str, PlainValidator(_industry)]
Segment = Annotated[
    str, PlainValidator(_choice("segment", SEGMENT_NAMES, {"mid_market": "mid-market", "midmarket": "mid-market"}))
]
SourceName = Annotated[str, PlainValidator(_source)]
TierName = Annotated[str, PlainValidator(_choice("tier", [t.value for t in Tier]))]
Language = Annotated[str, PlainValidator(_language)]
Strategy = Annotated[
    str,
    PlainValidator(_choice("strategy", STRATEGIES, {"round-robin": "round_robin", "least-loaded": "least_loaded",
                                                    "performance-weighted": "performance_weighted",
                                                    "fewest-today": "fewest_today", "weighted-today": "weighted_today"})),
]
Mode = Annotated[str, PlainValidator(_choice("mode", MODES))]
Unavailability = Annotated[str, PlainValidator(_choice("reason", UNAVAILABILITY))]
MatchKey = Annotated[str, PlainValidator(_choice("match key", MATCH_KEYS))]
WholeCount = Annotated[int, PlainValidator(_whole(0))]
PositiveCount = Annotated[int, PlainValidator(_whole(1))]
Weight = Annotated[float, PlainValidator(_weight)]
Flag = Annotated[bool, PlainValidator(_flag)]
ClockTime = Annotated[
    time, PlainValidator(_clock_time), PlainSerializer(lambda t: "24:00" if t == time.max else t.strftime("%H:%M"), return_type=str)
]
Weekday = Annotated[int, PlainValidator(_weekday)]
DayOrMoment = Annotated[date | datetime, PlainValidator(_day_or_moment), PlainSerializer(lambda d: d.isoformat(), return_type=str)]
