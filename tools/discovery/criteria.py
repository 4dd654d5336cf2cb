"""What a discovery campaign looks for: industries, countries or regions, a size range, keywords, a limit.

`parse_criteria` validates what a person (CLI, API) or a stored campaign gives and names every
problem with its fix; `CampaignCriteria.mismatch` says why a found company is outside them, so a
rejection always carries its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leadpilot.memory.geo import REGION_COUNTRIES, country_code, state_code
from leadpilot.memory.vocab import INDUSTRIES, INDUSTRY_ALIASES, industry_label, industry_slug

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
_KNOWN_KEYS = frozenset({"industries", "countries", "min_size", "max_size", "keywords", "limit"})


class CampaignError(ValueError):
    """A campaign cannot be created as asked; the message lists every problem and its fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class CampaignCriteria:
    """Validated criteria. Empty lists mean "any"; keywords match when any one appears."""

    industries: tuple[str, ...] = ()  # industry slugs
    countries: tuple[str, ...] = ()  # ISO codes, "US-CA" style states, or sales regions (EMEA...)
    min_size: int | None = None
    max_size: int | None = None
    keywords: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT  # new leads at most

    def as_dict(self) -> dict[str, Any]:
        return {
            "industries": list(self.industries), "countries": list(self.countries), "min_size": self.min_size,
            "max_size": self.max_size, "keywords": list(self.keywords), "limit": self.limit,
        }

    def describe(self) -> str:
        """The criteria in one line, for audit reasons and prompts."""
        parts = []
        if self.industries:
            parts.append("industry " + " or ".join(industry_label(slug) for slug in self.industries))
        if self.countries:
            parts.append("in " + ", ".join(self.countries))
        if self.min_size is not None or self.max_size is not None:
            low = self.min_size if self.min_size is not None else 1
            parts.append(f"{low}-{self.max_size} employees" if self.max_size is not None else f"{low}+ employees")
        if self.keywords:
            parts.append("about " + " or ".join(repr(k) for k in self.keywords))
        return "; ".join(parts) or "any company"

    def mismatch(self, values: Mapping[str, Any], *, text: str = "") -> str | None:
        """Why a validated company (lead record values) is outside the criteria; None when it fits.

        `text` is what keywords are looked for in besides the name and industry (the description).
        """
        industry = values.get("industry")
        if self.industries and industry not in self.industries and (not industry or industry_slug(industry) not in self.industries):
            # the company's own industry ("payments") or its group (fintech) may be what was asked for
            return f"industry {values.get('industry') or 'unknown'!s} is not {' or '.join(self.industries)}"
        if self.countries and not self._in_area(values.get("country"), values.get("state")):
            where = "-".join(v for v in (values.get("country"), values.get("state")) if v) or "unknown"
            return f"location {where} is not in {', '.join(self.countries)}"
        size = values.get("company_size")
        if (self.min_size is not None or self.max_size is not None) and size is None:
            return "company size unknown, and the campaign asks for a size range"
        if self.min_size is not None and size < self.min_size:
            return f"{size} employees is below the minimum of {self.min_size}"
        if self.max_size is not None and size > self.max_size:
            return f"{size} employees is above the maximum of {self.max_size}"
        if self.keywords:
            haystack = " ".join(str(v) for v in (values.get("company"), values.get("industry"), text) if v).lower()
            if not any(_keyword_pattern(k).search(haystack) for k in self.keywords):
                return f"none of the keywords {', '.join(self.keywords)} appears in its name or description"
        return None

    def _in_area(self, country: str | None, state: str | None) -> bool:
        if not country:
            return False
        for area in self.countries:
            if area in REGION_COUNTRIES:
                if country in REGION_COUNTRIES[area]:
                    return True
            elif "-" in area:
                if area == f"{country}-{state}":
                    return True
            elif area == country:
                return True
        return False


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(keyword.lower()) + r"(?!\w)")


def _strings(raw: Any, key: str, problems: list[str]) -> list[str]:
    """A list of non-blank strings from a list or a comma-separated string."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, Iterable) or isinstance(raw, Mapping):
        problems.append(f"{key}: expected a list of text values, got {type(raw).__name__}")
        return []
    values = []
    for item in raw:
        if not isinstance(item, str):
            problems.append(f"{key}: {item!r} is not text")
            continue
        values.extend(part.strip() for part in item.split(",") if part.strip())
    return list(dict.fromkeys(values))


def _whole_number(raw: Any, key: str, problems: list[str], *, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or (isinstance(raw, str) and not raw.strip().isdigit()):
        problems.append(f"{key}: {raw!r} is not a whole number; use e.g. {key}={max(low, 50)}")
        return None
    value = int(raw)
    if not low <= value <= high:
        problems.append(f"{key}: {value} is out of range; use a number from {low} to {high}")
        return None
    return value


def _industry(name: str, problems: list[str]) -> str | None:
    slug = industry_slug(name)
    if slug in INDUSTRIES or name.strip().lower() in INDUSTRY_ALIASES:
        return slug
    problems.append(f"industries: unknown industry {name!r}; use one of {', '.join(sorted(INDUSTRIES))}")
    return None


def _area(name: str, problems: list[str]) -> str | None:
    upper = name.strip().upper()
    if upper in REGION_COUNTRIES:
        return upper
    if "-" in upper and len(upper.split("-", 1)[0]) == 2:  # a state: US-CA
        country, state = upper.split("-", 1)
        if country_code(country) == country:
            return f"{country}-{state_code(state, country)}"
    if code := country_code(name):
        return code
    problems.append(
        f"countries: unknown country or region {name!r}; use an ISO code (DE), a country name (Germany), "
        f"a state (US-CA) or a region ({', '.join(REGION_COUNTRIES)})"
    )
    return None


def parse_criteria(raw: Mapping[str, Any] | None) -> CampaignCriteria:
    """Validate campaign criteria; raise CampaignError naming every problem and its fix."""
    raw = dict(raw or {})
    problems: list[str] = []
    for key in sorted(set(raw) - _KNOWN_KEYS):
        problems.append(f"{key}: not a campaign criterion; use {', '.join(sorted(_KNOWN_KEYS))}")
    industries = [slug for name in _strings(raw.get("industries"), "industries", problems) if (slug := _industry(name, problems))]
    countries = [area for name in _strings(raw.get("countries"), "countries", problems) if (area := _area(name, problems))]
    keywords = [k.lower() for k in _strings(raw.get("keywords"), "keywords", problems)]
    if any(len(k) > 100 for k in keywords):
        problems.append("keywords: keep each keyword under 100 characters")
    min_size = _whole_number(raw.get("min_size"), "min_size", problems, low=1, high=10_000_000)
    max_size = _whole_number(raw.get("max_size"), "max_size", problems, low=1, high=10_000_000)
    if min_size is not None and max_size is not None and min_size > max_size:
        problems.append(f"min_size {min_size} is above max_size {max_size}; swap them")
    limit = _whole_number(raw.get("limit"), "limit", problems, low=1, high=MAX_LIMIT)
    if problems:
        raise CampaignError(problems)
    return CampaignCriteria(
        industries=tuple(dict.fromkeys(industries)), countries=tuple(dict.fromkeys(countries)),
        min_size=min_size, max_size=max_size, keywords=tuple(dict.fromkeys(keywords)),
        limit=limit if limit is not None else DEFAULT_LIMIT,
    )
