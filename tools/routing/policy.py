"""The lead routing policy: a YAML (or TOML) file RevOps edits, loaded and validated here.

The file says which rep or pool gets which leads (ordered rules), how each pool picks a rep, which
constraints apply, per-rep capacity, hours and out-of-office settings, account matching and the
fallback. `load_policy` refuses a broken file with a `RoutingPolicyError` naming the file, the key
(with its line for YAML) and the fix; the YAML reading and error wording are shared with the
scoring policy. `RoutingPolicyHolder` picks up edits and keeps the policy in force when an edit is
broken; each policy it loads remembers what changed since the one before (`changes`), so a routing
decision can name the edit that affected it.

Rep references are emails; whether they exist is checked against the roster when routing (the
file alone cannot know), and an unknown rep is reported in the decision, never silently ignored.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, PlainSerializer, PlainValidator, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

from leadpilot.memory.geo import REGION_COUNTRIES, country_code
from leadpilot.memory.vocab import INDUSTRIES, Source, Tier, industry_slug, parse_source
from leadpilot.tools.common import TYPE_MESSAGES, PolicyFileHolder, PolicyProblem, configured_or_shipped, parse_policy_file, problem_of, read_policy_text  # noqa: F401 (PolicyProblem is re-exported)
from leadpilot.tools.common import PolicyModel as _PolicyModel
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.common import unknown as _unknown
from leadpilot.tools.scoring import PolicyError

SHIPPED_POLICY = "routing.yaml"
STRATEGIES = ("round_robin", "weighted", "least_loaded", "performance_weighted")
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
    slug = industry_slug(_text_value(value, "industry"))
    # An unlisted industry is allowed (leads keep unknown industries); a near-miss is a typo.
    if slug not in INDUSTRIES and difflib.get_close_matches(slug, list(INDUSTRIES), n=1, cutoff=0.75):
        raise _policy_error(_unknown("industry", value, list(INDUSTRIES)))
    return slug


def _source(value: object) -> str:
    parsed = parse_source(value) if isinstance(value, str) else None
    if parsed is None:
        raise _policy_error(_unknown("source", value, [s.value for s in Source]))
    return parsed.value


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
                                                    "performance-weighted": "performance_weighted"})),
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


# ---------------------------------------------------------------------------------------------
# The policy model


class ScoreRange(_PolicyModel):
    at_least: WholeCount | None = None
    below: WholeCount | None = None

    @model_validator(mode="after")
    def _bounded(self) -> ScoreRange:
        if self.at_least is None and self.below is None:
            raise _policy_error("give at_least, below or both, e.g. {at_least: 70}")
        if self.at_least is not None and self.below is not None and self.below <= self.at_least:
            raise _policy_error(f"below ({self.below}) must be above at_least ({self.at_least})", at="below")
        return self

    def describe(self) -> str:
        parts = ([f"≥ {self.at_least}"] if self.at_least is not None else []) + (
            [f"< {self.below}"] if self.below is not None else []
        )
        return " and ".join(parts)


class Conditions(_PolicyModel):
    """What a lead must look like for the rule to apply. Every condition given must hold; a list
    means "any of". A lead missing the field does not meet a condition on it."""

    key_noun: ClassVar[str] = "condition"

    territory: tuple[Name, ...] | None = None
    region: tuple[Region, ...] | None = None
    country: tuple[Country, ...] | None = None
    state: tuple[State, ...] | None = None
    industry: tuple[Industry, ...] | None = None
    segment: tuple[Segment, ...] | None = None
    source: tuple[SourceName, ...] | None = None
    tier: tuple[TierName, ...] | None = None
    score: ScoreRange | None = None
    language: tuple[Language, ...] | None = None

    def present(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields if getattr(self, name) is not None]


class Target(_PolicyModel):
    rep: RepEmail | None = None
    pool: Name | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Target:
        if (self.rep is None) == (self.pool is None):
            raise _policy_error("give either rep: <email> or pool: <pool name>, not both and not neither")
        return self


class Constraints(_PolicyModel):
    """The checks every candidate passes before a pool chooses (defaults for every rule)."""

    key_noun: ClassVar[str] = "constraint"

    capacity: Flag = True  # open leads below the rep's maximum
    daily_cap: Flag = True  # new leads today below the rep's daily maximum
    working_hours: Mode = "preferred"
    language: Mode = "preferred"


class ConstraintOverrides(_PolicyModel):
    """A rule's own constraint settings; what it leaves out comes from the top-level constraints."""

    key_noun: ClassVar[str] = "constraint"

    capacity: Flag | None = None
    daily_cap: Flag | None = None
    working_hours: Mode | None = None
    language: Mode | None = None


class Rule(_PolicyModel):
    name: Name
    description: str | None = None
    when: Conditions = Field(default_factory=Conditions)
    route_to: Target
    constraints: ConstraintOverrides | None = None


class Member(_PolicyModel):
    rep: RepEmail
    weight: Weight | None = None  # None: the rep's routing weight


def _members(value: object) -> tuple[Member, ...]:
    """A list of emails, or a mapping email -> weight (for weighted pools)."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        # Plain emails, or {rep, weight} items (how a policy's data reads back in).
        items = [(item["rep"], item.get("weight")) if isinstance(item, dict) and "rep" in item else (item, None) for item in value]
    else:
        raise _policy_error("must be a list of rep emails, or email: weight lines")
    if not items:
        raise _policy_error("a pool needs at least one member")
    members: list[Member] = []
    seen: set[str] = set()
    for index, (raw, weight) in enumerate(items):
        at = str(raw) if isinstance(value, dict) else str(index)
        try:
            email = _rep_email(raw)
            parsed_weight = None if weight is None else _weight(weight)
        except PydanticCustomError as error:  # the same problem, pointing at its place in the list
            raise _policy_error(error.message(), at=at) from None
        if email in seen:
            raise _policy_error(f"{email} is listed twice — keep one", at=at)
        seen.add(email)
        members.append(Member(rep=email, weight=parsed_weight))
    return tuple(members)


class Performance(_PolicyModel):
    """How performance_weighted judges reps: conversion on similar closed leads, smoothed."""

    similar_on: tuple[Annotated[str, PlainValidator(_choice("lead field", ("segment", "industry")))], ...] = ("segment",)
    lookback_days: PositiveCount = 365
    prior_strength: WholeCount = 10  # how many team-average leads a rep's own record is blended with


class Pool(_PolicyModel):
    description: str | None = None
    strategy: Strategy
    members: Annotated[
        tuple[Member, ...],
        PlainValidator(_members),
        PlainSerializer(lambda members: [m.model_dump(exclude_none=True) for m in members], return_type=list),
    ]
    prefer_expertise: Flag = False  # prefer members whose roster industries include the lead's
    performance: Performance | None = None

    @model_validator(mode="after")
    def _performance_only_when_used(self) -> Pool:
        if self.performance is not None and self.strategy != "performance_weighted":
            raise _policy_error("performance settings only apply to strategy performance_weighted — remove them", at="performance")
        return self

    def member_emails(self) -> tuple[str, ...]:
        return tuple(member.rep for member in self.members)


class OutOfOffice(_PolicyModel):
    starts: DayOrMoment = Field(alias="from")
    ends: DayOrMoment = Field(alias="to")
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OutOfOffice:
        if _sort_key(self.ends, end=True) <= _sort_key(self.starts, end=False):
            raise _policy_error("`to` must be after `from` (dates are whole days, both included)", at="to")
        return self


def _sort_key(value: date | datetime, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)


class WorkingHoursSpec(_PolicyModel):
    start: ClockTime
    end: ClockTime
    days: tuple[Weekday, ...] = (0, 1, 2, 3, 4)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHoursSpec:
        if self.end <= self.start:
            raise _policy_error("`end` must be later than `start` on the same day", at="end")
        if not self.days:
            raise _policy_error("list at least one working day", at="days")
        return self


class RepSettings(_PolicyModel):
    """Per-rep settings that override the roster for routing."""

    key_noun: ClassVar[str] = "rep setting"

    max_open_leads: WholeCount | None = None
    max_new_per_day: WholeCount | None = None
    weight: Weight | None = None
    working_hours: WorkingHoursSpec | None = None
    out_of_office: tuple[OutOfOffice, ...] = ()


class AccountMatching(_PolicyModel):
    enabled: Flag = True
    match_on: tuple[MatchKey, ...] = ("domain", "company")
    owner_unavailable_when: tuple[Unavailability, ...] = ("inactive", "out_of_office")


class Fallback(_PolicyModel):
    rep: RepEmail | None = None
    queue: Name | None = None

    @model_validator(mode="after")
    def _something(self) -> Fallback:
        if self.rep is None and self.queue is None:
            raise _policy_error("give rep: <email> (a fallback owner), queue: <name>, or both (the queue when the rep cannot take it)")
        return self


class RoutingPolicy(_PolicyModel):
    """A validated routing policy. `version` identifies its content; `changes` are the edits since
    the version a holder had in force before it."""

    territories: dict[Name, tuple[Place, ...]] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=Constraints)
    account_matching: AccountMatching = Field(default_factory=AccountMatching)
    reps: dict[RepEmail, RepSettings] = Field(default_factory=dict)
    pools: dict[Name, Pool] = Field(default_factory=dict)
    rules: tuple[Rule, ...]
    fallback: Fallback

    _version: str = PrivateAttr(default="")
    _path: Path | None = PrivateAttr(default=None)
    _previous_version: str | None = PrivateAttr(default=None)
    _changes: tuple[PolicyChange, ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        canonical = json.dumps(self.as_data(), sort_keys=True, separators=(",", ":"), default=str)
        self._version = hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @model_validator(mode="after")
    def _references(self) -> RoutingPolicy:
        if not self.rules:
            raise _policy_error("add at least one rule (leads matching none go to the fallback)", at="rules")
        seen: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.name in seen:
                raise _policy_error(f"rule name {rule.name!r} is already used by rules[{seen[rule.name]}] — give each rule its own name", at=f"rules.{index}.name")
            seen[rule.name] = index
            if rule.route_to.pool is not None and rule.route_to.pool not in self.pools:
                raise _policy_error(_unknown("pool", rule.route_to.pool, list(self.pools)) + " (or add it under pools)", at=f"rules.{index}.route_to.pool")
            for position, territory in enumerate(rule.when.territory or ()):
                if territory not in self.territories:
                    raise _policy_error(_unknown("territory", territory, list(self.territories)) + " (or add it under territories)", at=f"rules.{index}.when.territory.{position}")
        return self

    @property
    def version(self) -> str:
        return self._version

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def previous_version(self) -> str | None:
        return self._previous_version

    @property
    def changes(self) -> tuple[PolicyChange, ...]:
        """What changed since the policy in force before this one (empty for a first load)."""
        return self._changes

    def as_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def rule(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def rule_constraints(self, rule: Rule | None) -> Constraints:
        if rule is None or rule.constraints is None:
            return self.constraints
        overrides = {k: v for k, v in rule.constraints.model_dump().items() if v is not None}
        return self.constraints.model_copy(update=overrides)

    def with_changes(self, data_edit: Callable[[dict[str, Any]], None]) -> RoutingPolicy:
        """A new validated policy from this one's data after `data_edit(data)` edits it in place."""
        data = self.as_data()
        data_edit(data)
        policy = RoutingPolicy.model_validate(data)
        policy._path = self._path
        policy._previous_version = self.version
        policy._changes = tuple(policy_diff(self, policy))
        return policy


# ---------------------------------------------------------------------------------------------
# What changed between two versions


@dataclass(frozen=True)
class PolicyChange:
    key: str  # "territories.dach", "rules[na-west].when.industry", "reps[maya@x.com].max_open_leads"
    text: str  # "added PL", "150 → 120"

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            label = f"{prefix}[{key}]" if prefix in ("reps", "pools", "territories") else (f"{prefix}.{key}" if prefix else key)
            _flatten(item, label, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        out[f"{prefix} order"] = [v["name"] for v in value]
        for item in value:
            _flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]", out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "rep" in v for v in value):
        for item in value:
            out[f"{prefix}[{item['rep']}]"] = f"weight {item['weight']:g}" if item.get("weight") is not None else "member"
    elif isinstance(value, list):
        out[prefix] = [json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in value]
    else:
        out[prefix] = value


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def policy_diff(old: RoutingPolicy, new: RoutingPolicy) -> list[PolicyChange]:
    """Each setting that differs, as key and a short text ("added PL", "150 → 120", "removed")."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old.as_data(), "", before)
    _flatten(new.as_data(), "", after)
    changes: list[PolicyChange] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if key.endswith(" order") and was is not None and now is not None and set(was) == set(now):
            changes.append(PolicyChange(key, f"{_shown(was)} → {_shown(now)}"))
        elif key.endswith(" order"):
            continue  # rules added or removed are reported per rule
        elif isinstance(was, list) and isinstance(now, list):
            added = [v for v in now if v not in was]
            removed = [v for v in was if v not in now]
            parts = ([f"added {', '.join(map(str, added))}"] if added else []) + (
                [f"removed {', '.join(map(str, removed))}"] if removed else []
            )
            changes.append(PolicyChange(key, "; ".join(parts) or f"reordered to {_shown(now)}"))
        elif key not in before:
            changes.append(PolicyChange(key, f"added ({_shown(now)})"))
        elif key not in after:
            changes.append(PolicyChange(key, f"removed (was {_shown(was)})"))
        else:
            changes.append(PolicyChange(key, f"{_shown(was)} → {_shown(now)}"))
    return _merge_whole_entries(changes, before, after)


def _merge_whole_entries(changes: list[PolicyChange], before: dict[str, Any], after: dict[str, Any]) -> list[PolicyChange]:
    """A rule, pool or rep added or removed as a whole is one change, not one per setting."""
    merged: list[PolicyChange] = []
    wholes: set[str] = set()
    for change in changes:
        match = re.match(r"^((?:rules|reps|pools|territories)\[[^\]]+\])", change.key)
        if match:
            head = match[1]
            in_before = any(k.startswith(head) for k in before)
            in_after = any(k.startswith(head) for k in after)
            if in_before != in_after:
                if head not in wholes:
                    wholes.add(head)
                    merged.append(PolicyChange(head, "added" if in_after else "removed"))
                continue
        merged.append(change)
    return merged


# ---------------------------------------------------------------------------------------------
# Errors


class RoutingPolicyError(PolicyError):
    """A routing policy file that cannot be used; the message names the file, each key and its fix."""

    what: ClassVar[str] = "Routing policy"


_MORE_TYPE_MESSAGES = {
    "dict_type": "must be a set of `name: value` lines (a mapping)",
    "bool_type": "must be true or false",
}


def _problem(error: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return problem_of(error, RoutingPolicy)
    if kind == "missing" and loc and loc[-1] == "fallback":
        return loc, "is missing — add `fallback: {rep: <email>}` or `fallback: {queue: <name>}` for leads no rule can place"
    if kind in _MORE_TYPE_MESSAGES and kind not in TYPE_MESSAGES:
        message = _MORE_TYPE_MESSAGES[kind]
    else:
        loc, message = problem_of(error, RoutingPolicy)
        got = f" (got {error.get('input')!r})"
        if message.endswith(got) and repr(error.get("input")) in message[: -len(got)]:
            message = message[: -len(got)]  # the message already quotes the value
    if loc and loc[-1] == "[key]":  # a bad mapping key: point at the key itself
        loc = loc[:-1]
    return loc, message


# ---------------------------------------------------------------------------------------------
# Reading the file


def parse_policy(text: str, *, path: Path) -> RoutingPolicy:
    """Validate policy text; `path` names the file in errors and picks the format (.toml or YAML)."""
    return parse_policy_file(
        text,
        path=path,
        model=RoutingPolicy,
        error_type=RoutingPolicyError,
        not_a_mapping="the file must hold a mapping with pools, rules and fallback — see config/routing.yaml",
        describe=_problem,
    )


def default_policy_path() -> Path:
    """The policy setting (LEADPILOT_ROUTING_POLICY) or the example shipped in config/."""
    from leadpilot.settings import get_settings

    return configured_or_shipped(get_settings().routing_policy, SHIPPED_POLICY)


def _read_text(path: Path) -> str:
    return read_policy_text(path, RoutingPolicyError, "LEADPILOT_ROUTING_POLICY")


def load_policy(path: Path | None = None) -> RoutingPolicy:
    """Load and validate a routing policy (default: the configured one, else the shipped example)."""
    resolved = Path(path) if path is not None else default_policy_path()
    return parse_policy(_read_text(resolved), path=resolved)


class RoutingPolicyHolder(PolicyFileHolder[RoutingPolicy]):
    """The routing policy in force, reloaded when its file changes.

    `get()` re-reads the file and re-validates only when its content changed. A broken new version
    does not replace the policy in force: `get()` keeps returning the old one and `error` says what
    is wrong with the file. A new valid version records its `changes` against the old one. Only a
    first load that fails raises. Thread-safe.
    """

    def __init__(self, path: Path | None = None):
        super().__init__(path, default_path=default_policy_path, read_text=_read_text, parse=parse_policy)

    def _adopt(self, previous: RoutingPolicy | None, policy: RoutingPolicy) -> RoutingPolicy:
        if previous is not None and previous.version != policy.version:
            policy._previous_version = previous.version
            policy._changes = tuple(policy_diff(previous, policy))
        elif previous is not None:  # a comment-only edit: same policy, same history
            policy = previous
        return policy


_holders: dict[Path, RoutingPolicyHolder] = {}
_holders_lock = threading.Lock()


def policy_in_force(path: Path | None = None) -> RoutingPolicy:
    """The routing policy in force for `path` (default: the configured file), from a process-wide
    holder created on first use: edits are picked up, a broken edit keeps the last good policy."""
    resolved = (Path(path) if path is not None else default_policy_path()).resolve()
    with _holders_lock:
        holder = _holders.setdefault(resolved, RoutingPolicyHolder(resolved))
    return holder.get()


def policy_problem(path: Path | None = None) -> RoutingPolicyError | None:
    """Why the file on disk is not in force (for interfaces to show next to answers), if it is not."""
    resolved = (Path(path) if path is not None else default_policy_path()).resolve()
    holder = _holders.get(resolved)
    return holder.refresh() if holder is not None else None

