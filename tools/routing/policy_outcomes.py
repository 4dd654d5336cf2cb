"""The routing policy's newer sections: what a rule does when nobody is available
(`when_unavailable`), named queues, pool filters on rep attributes (`where:`), declared accounts and
first-touch SLAs per tier. Validated like the rest of the file; whole-policy references (a queue a
rule names exists) are checked in policy.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, ClassVar

from pydantic import PlainSerializer, PlainValidator, model_validator

from leadpilot.memory.lead_record import FREE_EMAIL_DOMAINS  # also import's and enrichment's free-mail list
from leadpilot.tools.common import PolicyModel as _PolicyModel
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.routing.policy_values import Name, RepEmail, _language, _name, _text_value

NEXT_RULE, FALLBACK = "next_rule", "fallback"


def _when_unavailable(value: object) -> str:
    text = _text_value(value, "choice").lower().replace("-", "_")
    if text in (NEXT_RULE, FALLBACK):
        return text
    if text.startswith("queue:"):
        return "queue:" + _name(str(value).split(":", 1)[1].strip())
    raise _policy_error(f"unknown choice {value!r} — use next_rule (try the next matching rule), fallback, or queue:<name> (a queue under queues)")


WhenUnavailable = Annotated[str, PlainValidator(_when_unavailable)]


def _account_choice(choices: dict[str, str], example: str):
    """A declared account's `when_owner_unavailable` / `when_team_unavailable`: one of `choices`
    (name -> what it does) or queue:<name>."""
    def validate(value: object) -> str:
        text = _text_value(value, "choice").lower().replace("-", "_")
        if text in choices:
            return text
        if text.startswith("queue:"):
            return "queue:" + _name(str(value).split(":", 1)[1].strip())
        said = ", ".join(f"{name} ({does})" for name, does in choices.items())
        raise _policy_error(f"unknown choice {value!r} — use {said} or queue:<name> (a queue under queues), e.g. {example}")

    return validate


# A declared account whose owner cannot take the lead; and whose whole team cannot either.
WhenOwnerUnavailable = Annotated[str, PlainValidator(_account_choice(
    {"team": "the account's team, then the owner of the company's open lead, then the rules: the default",
     "rules": "straight to the rules"}, "when_owner_unavailable: queue:strategic"))]
WhenTeamUnavailable = Annotated[str, PlainValidator(_account_choice(
    {"rules": "the owner of the company's open lead, then the rules: the default"}, "when_team_unavailable: queue:revops"))]


def _duration(value: object) -> timedelta:
    """15m, 2h, 1d, 1h30m, "90 min", or a whole number of minutes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return timedelta(minutes=value)
    text = str(value).strip().lower().replace(" ", "") if isinstance(value, str) else ""
    units = {"d": 1440, "day": 1440, "days": 1440, "h": 60, "hr": 60, "hour": 60, "hours": 60, "m": 1, "min": 1, "mins": 1, "minutes": 1}
    parts = re.findall(r"(\d+)([a-z]+)", text)
    if text and parts and "".join(n + u for n, u in parts) == text and all(u in units for _, u in parts):
        minutes = sum(int(n) * units[u] for n, u in parts)
        if minutes > 0:
            return timedelta(minutes=minutes)
    raise _policy_error(f"must be a duration such as 15m, 2h, 1d or 1h30m (got {value!r})")


def duration_text(delta: timedelta) -> str:
    """2h 10m, 15m, 1d 3h."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days}d"] if days else []) + ([f"{hours}h"] if hours else []) + ([f"{mins}m"] if mins or not (days or hours) else [])
    return " ".join(parts)


Duration = Annotated[timedelta, PlainValidator(_duration), PlainSerializer(lambda d: duration_text(d).replace(" ", ""), return_type=str)]

# Roster fields a pool's `where:` can name; anything else is a rep attribute (skill, seniority, tag...).
REP_FIELDS = {"language": "languages", "languages": "languages", "territory": "territories", "territories": "territories",
              "industry": "industries", "industries": "industries", "segment": "segments", "segments": "segments", "team": "team",
              "role": "role", "roles": "role"}  # role: rep | manager | admin, the roster's own column


def _rep_filter(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or not value:
        raise _policy_error("must be rep attributes and the values wanted, e.g. where: {language: [de], seniority: [senior]}")
    wanted: dict[str, tuple[str, ...]] = {}
    for key, values in value.items():
        name = str(key).strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise _policy_error("an attribute is a name of letters, digits and _, e.g. skill or seniority", at=str(key))
        items = list(values) if isinstance(values, (list, tuple)) else [values]
        if not items or not all(isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip() for v in items):
            raise _policy_error("must be a value or a list of values, e.g. [de] or [senior, principal]", at=str(key))
        if REP_FIELDS.get(name) == "languages":
            items = [_language(v) for v in items]
        wanted[name] = tuple(str(v).strip().lower() for v in items)
    return wanted


_as_lists = PlainSerializer(lambda found: {name: list(values) for name, values in found.items()}, return_type=dict)
RepFilter = Annotated[dict[str, tuple[str, ...]], PlainValidator(_rep_filter), _as_lists]


def _attributes(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _policy_error("must be attribute: value(s) lines, e.g. attributes: {skill: [payments], seniority: senior}")
    return _rep_filter(value) if value else {}


RepAttributes = Annotated[dict[str, tuple[str, ...]], PlainValidator(_attributes), _as_lists]


class Queue(_PolicyModel):
    """A named queue: leads wait there; its owner (if any) holds them, always available, no capacity."""

    description: str | None = None
    owner: RepEmail | None = None


class AccountEntry(_PolicyModel):
    """A declared account: its web domain or company name, its owner and optionally their team."""

    domain: str | None = None
    company: str | None = None
    owner: RepEmail
    team: str | None = None
    when_owner_unavailable: WhenOwnerUnavailable | None = None  # None: account_matching's
    when_team_unavailable: WhenTeamUnavailable | None = None  # None: account_matching's

    @model_validator(mode="after")
    def _keyed(self) -> AccountEntry:
        if not (self.domain or self.company):
            raise _policy_error("give the account's domain (acme.com) or company (Acme Inc), or both")
        if self.domain is not None:
            domain = self.domain.strip().lower().removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
                raise _policy_error(f"{self.domain!r} is not a web domain — write it like acme.com", at="domain")
            object.__setattr__(self, "domain", domain)
        return self


def _personal_domains(value: object) -> tuple[str, ...]:
    """account_matching.personal_domains: web-mail domains, and/or `builtin` (the documented list)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise _policy_error("must be a list of mail domains, e.g. [builtin, mail.example] (builtin: the documented list; [] for none)")
    domains: list[str] = []
    for index, item in enumerate(items):
        text = str(item).strip().lower().removeprefix("@")
        if text != "builtin" and not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", text):
            raise _policy_error(f"{item!r} is not a mail domain — write it like gmail.com, or builtin for the documented list", at=str(index))
        if text not in domains:
            domains.append(text)
    return tuple(domains)


@lru_cache(maxsize=16)
def personal_domains(listed: tuple[str, ...] | None) -> frozenset[str]:
    """The policy's personal_domains with `builtin` expanded (unset: the builtin list)."""
    listed = ("builtin",) if listed is None else listed
    found = set(FREE_EMAIL_DOMAINS) if "builtin" in listed else set()
    return frozenset(found | {domain for domain in listed if domain != "builtin"})


PersonalDomains = Annotated[tuple[str, ...], PlainValidator(_personal_domains), PlainSerializer(list, return_type=list)]


class TierSla(_PolicyModel):
    """First touch due within `first_touch` of the assignment, counted in the owner's working
    hours (`clock: working_hours`) or around the clock (`clock: calendar`)."""

    key_noun: ClassVar[str] = "SLA setting"

    first_touch: Duration
    clock: Annotated[str, PlainValidator(lambda v: _clock(v))] = "working_hours"


def _clock(value: object) -> str:
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if text in ("working_hours", "calendar"):
        return text
    raise _policy_error(f"unknown clock {value!r} — use working_hours (the owner's shift) or calendar (around the clock)")


Queues = dict[Name, Queue]
