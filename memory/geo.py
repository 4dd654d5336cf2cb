"""Places: ISO countries, US/Canadian states and the sales regions they fall in.

Imports, the query tools and routing all normalise places through here, so "USA", "United States"
and "us" are the same country and "California" is the state "CA".
"""

from __future__ import annotations

from functools import lru_cache

# Country names and abbreviations people type that ISO does not list as such.
COUNTRY_ALIASES: dict[str, str] = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "great britain": "GB",
    "britain": "GB",
    "uae": "AE",
    "emirates": "AE",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "holland": "NL",
    "the netherlands": "NL",
    "czech republic": "CZ",
    "vietnam": "VN",
    "taiwan": "TW",
    "iran": "IR",
    "turkey": "TR",
}

# Sales regions, by ISO country code.
REGION_COUNTRIES: dict[str, frozenset[str]] = {
    "NA": frozenset({"US", "CA"}),
    "LATAM": frozenset(
        {"MX", "BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "CR", "PA", "GT", "DO", "PR"}
    ),
    "EMEA": frozenset(
        {
            "GB", "IE", "DE", "FR", "NL", "BE", "LU", "ES", "PT", "IT", "CH", "AT", "SE", "NO", "DK",
            "FI", "IS", "PL", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI", "EE", "LV", "LT", "UA",
            "TR", "IL", "AE", "SA", "QA", "KW", "BH", "OM", "EG", "MA", "NG", "KE", "ZA", "GH", "RS",
        }
    ),
    "APAC": frozenset(
        {"AU", "NZ", "SG", "JP", "KR", "CN", "HK", "TW", "IN", "ID", "MY", "TH", "PH", "VN", "PK", "BD", "LK"}
    ),
}


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    import pycountry

    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for name in (
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "common_name", None),
            getattr(country, "official_name", None),
        ):
            if name:
                index.setdefault(name.lower(), code)
    index.update(COUNTRY_ALIASES)
    return index


@lru_cache(maxsize=1)
def _subdivision_index() -> dict[str, dict[str, str]]:
    """Per country (US, CA, AU): lower-case state name or code -> state code ("california" -> "CA")."""
    import pycountry

    index: dict[str, dict[str, str]] = {}
    for country in ("US", "CA", "AU", "IN", "BR", "MX", "DE"):
        names: dict[str, str] = {}
        for sub in pycountry.subdivisions.get(country_code=country) or []:
            short = sub.code.split("-", 1)[1]
            names[short.lower()] = short
            names[sub.name.lower()] = short
        index[country] = names
    return index


def country_code(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country name, alias or code; None when unknown."""
    if raw is None:
        return None
    key = raw.strip().lower()
    if not key:
        return None
    return _country_index().get(key)


def country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or country.name if country else code


def state_code(raw: str | None, country: str | None) -> str | None:
    """The short state code for a state name within a country that has them; else the input, tidied."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    states = _subdivision_index().get((country or "").upper())
    if states:
        return states.get(value.lower(), value)
    return value


def region_of(country: str | None) -> str | None:
    if not country:
        return None
    for region, members in REGION_COUNTRIES.items():
        if country.upper() in members:
            return region
    return None
