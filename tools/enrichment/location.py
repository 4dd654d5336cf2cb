"""Country and time zone, inferred from phone, city and domain when the lead does not say."""

from __future__ import annotations

from dataclasses import dataclass

# Business cities people write without a country: city -> (country, IANA zone).
CITIES: dict[str, tuple[str, str]] = {
    "new york": ("US", "America/New_York"), "nyc": ("US", "America/New_York"), "boston": ("US", "America/New_York"),
    "san francisco": ("US", "America/Los_Angeles"), "los angeles": ("US", "America/Los_Angeles"),
    "seattle": ("US", "America/Los_Angeles"), "chicago": ("US", "America/Chicago"), "austin": ("US", "America/Chicago"),
    "dallas": ("US", "America/Chicago"), "denver": ("US", "America/Denver"), "atlanta": ("US", "America/New_York"),
    "miami": ("US", "America/New_York"), "toronto": ("CA", "America/Toronto"), "vancouver": ("CA", "America/Vancouver"),
    "montreal": ("CA", "America/Toronto"), "mexico city": ("MX", "America/Mexico_City"), "sao paulo": ("BR", "America/Sao_Paulo"),
    "são paulo": ("BR", "America/Sao_Paulo"), "buenos aires": ("AR", "America/Argentina/Buenos_Aires"),
    "london": ("GB", "Europe/London"), "manchester": ("GB", "Europe/London"), "edinburgh": ("GB", "Europe/London"),
    "dublin": ("IE", "Europe/Dublin"), "paris": ("FR", "Europe/Paris"), "berlin": ("DE", "Europe/Berlin"),
    "munich": ("DE", "Europe/Berlin"), "münchen": ("DE", "Europe/Berlin"), "hamburg": ("DE", "Europe/Berlin"),
    "amsterdam": ("NL", "Europe/Amsterdam"), "madrid": ("ES", "Europe/Madrid"), "barcelona": ("ES", "Europe/Madrid"),
    "lisbon": ("PT", "Europe/Lisbon"), "milan": ("IT", "Europe/Rome"), "rome": ("IT", "Europe/Rome"),
    "zurich": ("CH", "Europe/Zurich"), "zürich": ("CH", "Europe/Zurich"), "stockholm": ("SE", "Europe/Stockholm"),
    "copenhagen": ("DK", "Europe/Copenhagen"), "oslo": ("NO", "Europe/Oslo"), "helsinki": ("FI", "Europe/Helsinki"),
    "warsaw": ("PL", "Europe/Warsaw"), "vienna": ("AT", "Europe/Vienna"), "brussels": ("BE", "Europe/Brussels"),
    "tel aviv": ("IL", "Asia/Jerusalem"), "dubai": ("AE", "Asia/Dubai"), "singapore": ("SG", "Asia/Singapore"),
    "tokyo": ("JP", "Asia/Tokyo"), "seoul": ("KR", "Asia/Seoul"), "hong kong": ("HK", "Asia/Hong_Kong"),
    "shanghai": ("CN", "Asia/Shanghai"), "beijing": ("CN", "Asia/Shanghai"), "bangalore": ("IN", "Asia/Kolkata"),
    "bengaluru": ("IN", "Asia/Kolkata"), "mumbai": ("IN", "Asia/Kolkata"), "sydney": ("AU", "Australia/Sydney"),
    "melbourne": ("AU", "Australia/Melbourne"), "auckland": ("NZ", "Pacific/Auckland"),
    "johannesburg": ("ZA", "Africa/Johannesburg"), "cape town": ("ZA", "Africa/Johannesburg"), "lagos": ("NG", "Africa/Lagos"),
    "nairobi": ("KE", "Africa/Nairobi"),
}
# Countries in one time zone (the ones a sales team meets most); multi-zone countries need a city or phone.
SINGLE_ZONE: dict[str, str] = {
    "GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris", "DE": "Europe/Berlin", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "CH": "Europe/Zurich", "AT": "Europe/Vienna", "IT": "Europe/Rome", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki", "PL": "Europe/Warsaw", "CZ": "Europe/Prague",
    "IL": "Asia/Jerusalem", "AE": "Asia/Dubai", "SG": "Asia/Singapore", "JP": "Asia/Tokyo", "KR": "Asia/Seoul",
    "HK": "Asia/Hong_Kong", "IN": "Asia/Kolkata", "CN": "Asia/Shanghai", "NZ": "Pacific/Auckland", "ZA": "Africa/Johannesburg",
    "NG": "Africa/Lagos", "KE": "Africa/Nairobi", "AR": "America/Argentina/Buenos_Aires", "CO": "America/Bogota",
}


@dataclass(frozen=True)
class Place:
    country: str | None
    country_source: str | None  # "phone" | "city" | "domain"
    time_zone: str | None
    time_zone_source: str | None


def infer_place(
    *, city: str | None = None, phone_country: str | None = None, phone_zones: tuple[str, ...] = (),
    domain_country: str | None = None, known_country: str | None = None,
) -> Place:
    """Phone beats city beats domain for the country (a ccTLD is the weakest hint); the time zone
    comes from a single-zone phone prefix, then the city, then a single-zone country."""
    city_hit = CITIES.get(" ".join(city.lower().split())) if city else None
    if city_hit and known_country and city_hit[0] != known_country:
        city_hit = None  # "London, CA" is not London, GB
    country, country_source = known_country, "input" if known_country else None
    for candidate, source in ((phone_country, "phone"), (city_hit[0] if city_hit else None, "city"), (domain_country, "domain")):
        if country is None and candidate:
            country, country_source = candidate, source
    zone, zone_source = None, None
    if len(phone_zones) == 1:
        zone, zone_source = phone_zones[0], "phone"
    elif city_hit:
        zone, zone_source = city_hit[1], "city"
    elif country in SINGLE_ZONE:
        zone, zone_source = SINGLE_ZONE[country], "country"
    return Place(country, country_source, zone, zone_source)
