"""The demo sales team: the rep roster, working hours and time off, and who worked each
historical lead (`_OwnerPicker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadpilot.memory.geo import region_of
from leadpilot.memory.seed.helpers import _ascii_slug, _at

REP_DOMAIN = "leadpilot.demo"


@dataclass(frozen=True)
class _RepSpec:
    name: str
    team: str
    territories: tuple[str, ...]
    industries: tuple[str, ...]
    segments: tuple[str, ...]
    languages: tuple[str, ...]
    timezone: str
    capacity: int
    daily_cap: int
    routing_weight: float
    tenure_days: int
    skill: float = 0.0  # effect on a lead's conversion log-odds
    role: str = "rep"
    active: bool = True
    # For a rep who has left: they only took leads created at least this many days ago.
    only_leads_older_than_days: float | None = None


_WEST = ("US-CA", "US-WA", "US-OR", "US-CO")
_EAST = ("US-NY", "US-MA", "US-GA", "US-FL", "US-NJ", "CA")
_ALL_SEGMENTS = ("enterprise", "mid-market", "smb")
_ROSTER: tuple[_RepSpec, ...] = (
    _RepSpec("Rachel Adams", "Sales Leadership", ("NA", "EMEA", "APAC", "LATAM"), (), _ALL_SEGMENTS, ("en",),
             "America/New_York", 40, 5, 0.0, 1400, role="manager"),
    _RepSpec("Maya Chen", "NA West", _WEST, ("fintech", "saas", "banking", "cybersecurity"),
             ("enterprise", "mid-market"), ("en", "zh"), "America/Los_Angeles", 150, 20, 1.2, 900, skill=0.35),
    _RepSpec("Diego Ramírez", "NA West", _WEST,
             ("healthcare", "biotech", "ecommerce", "retail", "media", "education", "manufacturing", "logistics"),
             ("enterprise", "mid-market"), ("en", "es"), "America/Los_Angeles", 180, 25, 1.0, 520, skill=-0.05),
    _RepSpec("Marcus Johnson", "NA Central", ("US-TX", "US-IL", "US-MN", "US-MO"),
             ("energy", "manufacturing", "logistics", "telecom"), ("enterprise", "mid-market"), ("en",),
             "America/Chicago", 180, 25, 1.0, 700, skill=0.0),
    _RepSpec("Jordan Brooks", "NA East", _EAST, ("healthcare", "banking", "insurance", "biotech", "fintech"),
             ("enterprise",), ("en",), "America/New_York", 120, 15, 1.3, 1100, skill=0.3),
    _RepSpec("Priya Natarajan", "NA East", _EAST, ("saas", "ecommerce", "media", "professional-services"),
             ("mid-market",), ("en", "hi"), "America/New_York", 180, 25, 1.0, 430, skill=0.1),
    _RepSpec("Tyler Nguyen", "SMB", ("NA",), ("saas", "ecommerce", "retail", "professional-services"), ("smb",),
             ("en", "vi"), "America/Chicago", 250, 40, 1.0, 300, skill=-0.25),
    _RepSpec("Hannah Kim", "SMB", ("NA",), ("saas", "hospitality", "real-estate", "education"), ("smb",),
             ("en", "ko"), "America/New_York", 250, 40, 1.0, 610, skill=-0.05),
    _RepSpec("Lukas Becker", "EMEA DACH", ("DE", "AT", "CH"), ("manufacturing", "fintech", "saas", "energy"),
             _ALL_SEGMENTS, ("de", "en"), "Europe/Berlin", 160, 20, 1.0, 800, skill=0.25),
    _RepSpec("Camille Laurent", "EMEA France", ("FR", "BE", "LU"), ("fintech", "retail", "media", "hospitality"),
             _ALL_SEGMENTS, ("fr", "en"), "Europe/Paris", 160, 20, 1.0, 650, skill=0.1),
    _RepSpec("Oliver Bennett", "EMEA UK&I", ("GB", "IE"), ("fintech", "insurance", "saas", "professional-services"),
             _ALL_SEGMENTS, ("en",), "Europe/London", 200, 25, 1.1, 750, skill=0.0),
    _RepSpec("Sofia Lindqvist", "EMEA North", ("NL", "SE", "DK", "NO", "FI", "AE"),
             ("logistics", "energy", "saas", "telecom"), _ALL_SEGMENTS, ("en", "sv", "nl"), "Europe/Stockholm",
             160, 20, 1.0, 560, skill=0.05),
    _RepSpec("Kenji Watanabe", "APAC", ("JP", "KR"), ("manufacturing", "telecom", "saas"), _ALL_SEGMENTS,
             ("ja", "en"), "Asia/Tokyo", 140, 15, 1.0, 980, skill=0.15),
    _RepSpec("Aisha Rahman", "APAC", ("SG", "AU", "NZ", "IN"), ("fintech", "saas", "ecommerce", "healthcare"),
             _ALL_SEGMENTS, ("en", "ms", "hi"), "Asia/Singapore", 180, 25, 1.0, 480, skill=0.0),
    _RepSpec("Lucía Fernández", "LATAM & Iberia", ("LATAM", "ES", "PT"), ("fintech", "ecommerce", "retail"),
             _ALL_SEGMENTS, ("es", "pt", "en"), "America/Mexico_City", 170, 20, 1.0, 690, skill=0.1),
    _RepSpec("Ben Carter", "NA West", _WEST, ("fintech", "saas", "ecommerce"), ("enterprise", "mid-market"),
             ("en",), "America/Los_Angeles", 150, 20, 1.0, 1200, skill=-0.35, active=False,
             only_leads_older_than_days=150),
)
_WORKING_HOURS = {"start": "09:00", "end": "17:00", "days": [0, 1, 2, 3, 4]}
# (rep name, starts days from now, ends days from now, reason)
_TIME_OFF = (
    ("Oliver Bennett", -2.0, 5.0, "Annual leave"),
    ("Priya Natarajan", 2.0, 9.0, "Vacation"),
    ("Lukas Becker", -41.0, -34.0, "Vacation"),
)


def _rep_email(name: str) -> str:
    first, last = name.split(" ", 1)
    return f"{_ascii_slug(first)}.{_ascii_slug(last)}@{REP_DOMAIN}"


def _rep_rows(*, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "email": _rep_email(spec.name),
            "name": spec.name,
            "slack_user_id": f"U0DEMO{number:02d}",
            "team": spec.team,
            "role": spec.role,
            "territories": list(spec.territories),
            "industries": list(spec.industries),
            "segments": list(spec.segments),
            "languages": list(spec.languages),
            "timezone": spec.timezone,
            "working_hours": {**_WORKING_HOURS, "days": list(_WORKING_HOURS["days"])},
            "capacity": spec.capacity,
            "daily_cap": spec.daily_cap,
            "routing_weight": spec.routing_weight,
            "active": spec.active,
            "created_at": _at(now, spec.tenure_days),
        }
        for number, spec in enumerate(_ROSTER, start=1)
    ]


def _time_off_rows(*, now: datetime) -> list[dict[str, Any]]:
    return [
        {"rep_email": _rep_email(name), "starts_at": _at(now, -start), "ends_at": _at(now, -end), "reason": reason}
        for name, start, end, reason in _TIME_OFF
    ]


class _OwnerPicker:
    """Who worked each historical lead: the most specific territory match (state, country,
    region) for the lead's segment, preferring industry experts, round-robin among equals."""

    def __init__(self) -> None:
        self._turns: dict[tuple[str, ...], int] = {}

    def pick(self, *, country: str, state: str | None, segment: str, industry: str, age_days: float) -> _RepSpec | None:
        rep_segment = "smb" if segment == "micro" else segment
        eligible = [
            spec for spec in _ROSTER
            if spec.role == "rep" and spec.routing_weight > 0 and rep_segment in spec.segments
            and (spec.only_leads_older_than_days is None or age_days >= spec.only_leads_older_than_days)
        ]
        places = [f"{country}-{state}" if state else None, country, region_of(country)]
        for place in places:
            candidates = [spec for spec in eligible if place and place in spec.territories]
            if candidates:
                experts = [spec for spec in candidates if industry in spec.industries]
                return self._next(experts or candidates)
        return None

    def _next(self, candidates: list[_RepSpec]) -> _RepSpec:
        key = tuple(spec.name for spec in candidates)
        turn = self._turns.get(key, 0)
        self._turns[key] = turn + 1
        return candidates[turn % len(candidates)]
