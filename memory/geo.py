"""Places: ISO countries, US/Canadian states and the sales regions they fall in.

Sales regions are the four main ones (NA, LATAM, EMEA, APAC: every country is in at most one,
`region_of`) and the sub-regions salespeople name inside them (EUROPE, DACH, NORDICS, BENELUX, UKI
in EMEA; ANZ in APAC). EUROPE is what a salesperson means by "Europe": the European countries, not
EMEA, which also holds the Middle East and Africa (Dubai is EMEA, not Europe). `REGION_COUNTRIES`
holds both kinds; `regions_of` lists every region a country is in.

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

# Every European ISO country (the UN's Europe, with Cyprus; Turkey and the Caucasus are West Asia).
EUROPE: frozenset[str] = frozenset(
    {
        "GB", "IE", "DE", "FR", "NL", "BE", "LU", "ES", "PT", "IT", "CH", "AT", "LI", "MC", "AD", "SM", "VA",
        "MT", "SE", "NO", "DK", "FI", "IS", "FO", "AX", "SJ", "GG", "JE", "IM", "GI", "PL", "CZ", "SK", "HU",
        "RO", "BG", "GR", "CY", "HR", "SI", "BA", "RS", "ME", "MK", "AL", "EE", "LV", "LT", "UA", "BY", "MD",
        "RU",
    }
)

# Sales regions, by ISO country code.
REGION_COUNTRIES: dict[str, frozenset[str]] = {
    "NA": frozenset({"US", "CA"}),
    "LATAM": frozenset(
        {"MX", "BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "CR", "PA", "GT", "DO", "PR"}
    ),
    "EMEA": EUROPE | frozenset(
        {"TR", "IL", "AE", "SA", "QA", "KW", "BH", "OM", "EG", "MA", "NG", "KE", "ZA", "GH"}
    ),
    "APAC": frozenset(
        {"AU", "NZ", "SG", "JP", "KR", "CN", "HK", "TW", "IN", "ID", "MY", "TH", "PH", "VN", "PK", "BD", "LK"}
    ),
    # Sub-regions, each inside one main region; the smaller ones first (regions_of: most specific first).
    "DACH": frozenset({"DE", "AT", "CH"}),
    "NORDICS": frozenset({"SE", "NO", "DK", "FI", "IS"}),
    "BENELUX": frozenset({"BE", "NL", "LU"}),
    "UKI": frozenset({"GB", "IE"}),
    "ANZ": frozenset({"AU", "NZ"}),
    "EUROPE": EUROPE,
}
# One city, several spellings: the English exonym first, then the local name and the spellings people
# type without its letters ("Muenchen"). A city filter matches every spelling of its city
# (tools/leads/filter_sql), and the planner reads any of them as the one the store holds, and says so.
# A small hand-kept table of cities salespeople name, not a gazetteer; accents are compared folded
# (`fold_name`), so "Krakow" and "Kraków" need no row of their own.
CITY_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("Kraków", "Cracow"), ("Munich", "München", "Muenchen"), ("Lisbon", "Lisboa"), ("Cologne", "Köln", "Koeln"),
    ("Mumbai", "Bombay"), ("Kyiv", "Kiev"), ("Warsaw", "Warszawa"), ("Prague", "Praha"), ("Vienna", "Wien"),
    ("Rome", "Roma"), ("Milan", "Milano"), ("Naples", "Napoli"), ("Turin", "Torino"), ("Venice", "Venezia"),
    ("Florence", "Firenze"), ("Copenhagen", "København", "Kobenhavn", "Koebenhavn"), ("Gothenburg", "Göteborg", "Goeteborg"),
    ("Antwerp", "Antwerpen", "Anvers"), ("Brussels", "Bruxelles", "Brussel"), ("The Hague", "Den Haag"),
    ("Geneva", "Genève", "Genf"), ("Zurich", "Zürich", "Zuerich"), ("Nuremberg", "Nürnberg", "Nuernberg"),
    ("Düsseldorf", "Duesseldorf"), ("Hanover", "Hannover"), ("Seville", "Sevilla"), ("Athens", "Athina"),
    ("Moscow", "Moskva"), ("Saint Petersburg", "St. Petersburg", "St Petersburg"), ("Bucharest", "București", "Bucuresti"),
    ("Belgrade", "Beograd"), ("Porto", "Oporto"), ("Gdańsk", "Danzig"), ("Beijing", "Peking"), ("Chennai", "Madras"),
    ("Kolkata", "Calcutta"), ("Bangalore", "Bengaluru"), ("Ho Chi Minh City", "Saigon"), ("Yangon", "Rangoon"),
    ("Mexico City", "Ciudad de México", "CDMX"), ("Québec City", "Quebec City", "Ville de Québec"),
)


def fold_name(name: str) -> str:
    """A name in lower case without accents ("Kraków" -> "krakow"): how spellings are compared."""
    import unicodedata

    lowered = " ".join(name.lower().split())
    if lowered.isascii():
        return lowered
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)).replace("ł", "l")


@lru_cache(maxsize=1)
def _city_groups() -> dict[str, tuple[str, ...]]:
    return {fold_name(spelling): group for group in CITY_SPELLINGS for spelling in group}


def city_spellings(name: str) -> tuple[str, ...]:
    """Every spelling of the city `name` is one of (CITY_SPELLINGS), `name` first; just `name` when
    the table has no other."""
    group = _city_groups().get(fold_name(name))
    return (name, *(spelling for spelling in group if spelling.lower() != name.lower())) if group else (name,)


def city_match_values(name: str) -> list[str]:
    """What a stored city may read, lower case, to be the city `name`: each of its spellings, with and
    without accents ("Munich" matches "münchen" and "munchen")."""
    spellings = city_spellings(name.strip())
    return sorted({spelling.lower() for spelling in spellings} | {fold_name(spelling) for spelling in spellings})


MAIN_REGIONS: tuple[str, ...] = ("NA", "LATAM", "EMEA", "APAC")
SUB_REGIONS: tuple[str, ...] = tuple(name for name in REGION_COUNTRIES if name not in MAIN_REGIONS)


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
    """The main sales region (NA, LATAM, EMEA, APAC) of an ISO country; None when in none."""
    if not country:
        return None
    for region in MAIN_REGIONS:
        if country.upper() in REGION_COUNTRIES[region]:
            return region
    return None


def regions_of(country: str | None) -> tuple[str, ...]:
    """Every sales region an ISO country is in, the most specific first: DE -> ("DACH", "EUROPE", "EMEA")."""
    if not country:
        return ()
    code = country.upper()
    subs = tuple(region for region in SUB_REGIONS if code in REGION_COUNTRIES[region])
    main = region_of(code)
    return subs + ((main,) if main else ())
