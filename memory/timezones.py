"""A lead's time zone, from what we know about where it is.

The fallback chain, first match wins (each answer says which step gave it):

1. city within its country (memory/data/timezones.json: cities of countries that span zones);
2. state or province (US, Canada, Australia, Mexico, Brazil);
3. country: its only zone (tzdata's zone.tab), or the most populous zone of a country with several;
4. the lead owner's time zone (a rep usually covers leads near them);
5. UTC.

Everything is bundled (tzdata is a dependency): nothing is looked up on the network.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadpilot.memory.geo import country_code, state_code

ZoneSource = Literal["city", "state", "country", "owner", "default"]


@dataclass(frozen=True)
class ZoneGuess:
    """An IANA zone name and how it was found ("city San Francisco, US")."""

    zone: str
    source: ZoneSource
    detail: str

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:
    return json.loads(files("leadpilot.memory").joinpath("data/timezones.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _single_zone_countries() -> dict[str, str]:
    """Countries with exactly one zone in tzdata's zone.tab: country code -> zone."""
    zones: dict[str, list[str]] = defaultdict(list)
    text = files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        zones[parts[0]].append(parts[2])
    return {country: names[0] for country, names in zones.items() if len(names) == 1}


def country_zone(country: str | None) -> str | None:
    """The zone of a country (its primary one when it has several); None when unknown."""
    code = country_code(country) if country else None
    if code is None:
        return None
    return _table()["countries"].get(code) or _single_zone_countries().get(code)


def valid_zone(name: str | None) -> str | None:
    """`name` when it is an IANA zone this machine knows, else None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def lead_zone(*, city: str | None, state: str | None, country: str | None, owner_zone: str | None = None) -> ZoneGuess:
    """The best guess of a lead's time zone, and which step of the chain gave it."""
    code = country_code(country) if country else None
    table = _table()
    if city and code:
        zone = table["cities"].get(code, {}).get(city.strip().lower())
        if zone:
            return ZoneGuess(zone, "city", f"city {city.strip()}, {code}")
    if state and code:
        short = state_code(state, code)
        zone = table["states"].get(code, {}).get((short or "").upper())
        if zone:
            return ZoneGuess(zone, "state", f"state {short}, {code}")
    if (zone := country_zone(code)) is not None:
        return ZoneGuess(zone, "country", f"country {code}")
    if (zone := valid_zone(owner_zone)) is not None:
        return ZoneGuess(zone, "owner", "the owner's time zone (the lead's location is unknown)")
    return ZoneGuess("UTC", "default", "UTC (no location and no owner time zone)")
