"""The sections of the routing policy file: rule conditions and targets, constraints and a rule's
overrides, pools and their members, performance settings, per-rep settings (capacity, hours, out
of office), account matching and the fallback. The whole policy that ties them together and checks
their references is in policy.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainSerializer, PlainValidator, PrivateAttr, ValidationError, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from leadpilot.tools.common import PolicyModel as _PolicyModel
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.routing.policy_conditions import CLASSIC, COMBINATORS, field_test
from leadpilot.tools.routing.policy_outcomes import (
    NEXT_RULE,
    PersonalDomains,
    RepAttributes,
    RepFilter,
    TierSla,
    WhenOwnerUnavailable,
    WhenTeamUnavailable,
    WhenUnavailable,
)
from leadpilot.tools.routing.policy_values import (
    ClockTime,
    Country,
    DayOrMoment,
    Flag,
    Industry,
    Language,
    MatchKey,
    Mode,
    Name,
    PositiveCount,
    Region,
    RepEmail,
    Segment,
    SourceName,
    State,
    Strategy,
    TierName,
    Unavailability,
    Weekday,
    Weight,
    WholeCount,
    _choice,
    _rep_email,
    _weight,
)


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
    means "any of". A lead missing the field does not meet a condition on it (except `missing: true`).
    Tests on other fields, comparisons and any/all/not are in policy_conditions.py."""

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
    tests: Annotated[tuple[Any, ...], Field(exclude=True)] = ()  # FieldTest, in the order written
    any_: tuple[Conditions, ...] | None = Field(default=None, alias="any")
    all_: tuple[Conditions, ...] | None = Field(default=None, alias="all")
    not_: Conditions | None = Field(default=None, alias="not")

    @model_validator(mode="before")
    @classmethod
    def _field_tests(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "tests" in data:
            return data
        plain: dict[str, Any] = {}
        tests = []
        for key, value in data.items():
            key = str(key)
            if key in COMBINATORS:
                if key == "not" and not isinstance(value, dict):
                    raise _policy_error("`not` takes conditions, e.g. not: {source: [partner]}", at=key)
                if key != "not" and (not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, dict) for v in value)):
                    raise _policy_error(f"`{key}` takes a list of conditions, e.g. {key}: [{{country: [DE]}}, {{country: [AT]}}]", at=key)
                plain[key] = value
            elif key in CLASSIC and not isinstance(value, dict):
                plain[key] = value
            elif key == "score" and isinstance(value, dict) and set(value) & {"at_least", "below"}:
                plain[key] = value
            else:
                tests.append(field_test(key, value, classic_values=_classic_values))
        return {**plain, "tests": tuple(tests)}

    @model_serializer(mode="wrap")
    def _with_tests(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for test in self.tests:
                data[test.key] = test.as_data()
        return data

    _present: tuple[tuple[str, Any], ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        fields = ("territory", "region", "country", "state", "industry", "segment", "source", "tier", "score", "language")
        found: list[tuple[str, Any]] = [(name, getattr(self, name)) for name in fields if getattr(self, name) is not None]
        found += [(test.key, test) for test in self.tests]
        found += [(name, value) for name, value in (("any", self.any_), ("all", self.all_), ("not", self.not_)) if value is not None]
        self._present = tuple(found)

    def present(self) -> tuple[tuple[str, Any], ...]:
        """The conditions given, in a fixed order: the classic ones, the field tests, then any/all/not."""
        return self.__pydantic_private__["_present"]  # read directly: pydantic's __getattr__ costs ~1 µs a call, per rule per lead

    def territories(self) -> set[str]:
        """Every territory named, also inside any/all/not."""
        named = set(self.territory or ())
        named |= {t for test in self.tests if test.field == "territory" for _, values in test.ops if isinstance(values, tuple) for t in values}
        for nested in (*(self.any_ or ()), *(self.all_ or ()), *((self.not_,) if self.not_ else ())):
            named |= nested.territories()
        return named


def _classic_values(key: str, values: list[Any], at: str) -> tuple[Any, ...]:
    """A classic condition's values checked as in its list form (industry names, ISO countries...)."""
    try:
        return getattr(Conditions.model_validate({key: values}), key)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:])
        raise _policy_error(first["msg"].removeprefix("Value error, "), at=f"{at}.{where}" if where else at) from None


class Target(_PolicyModel):
    rep: RepEmail | None = None
    pool: Name | None = None
    queue: Name | None = None  # a queue under queues

    @model_validator(mode="after")
    def _one_target(self) -> Target:
        if sum(value is not None for value in (self.rep, self.pool, self.queue)) != 1:
            raise _policy_error("give one of rep: <email>, pool: <pool name> or queue: <queue name>")
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


def _backup(value: object) -> object:
    """A backup as written: {rep|pool|queue: ...}, or the short forms `<email>`, `pool:<name>`, `queue:<name>`."""
    if isinstance(value, str):
        kind, _, rest = value.partition(":")
        if kind.strip().lower() in ("pool", "queue") and rest.strip():
            return {kind.strip().lower(): rest.strip()}
        return {"rep": value}
    return value


class Backup(Target):
    """One step of a rule's ordered backup ("Maya, else Ben, else the RevOps queue"): a rep, a pool or
    a queue, with constraints of its own on top of the rule's (a queue is always the last step)."""

    constraints: ConstraintOverrides | None = None


Backups = tuple[Annotated[Backup, BeforeValidator(_backup)], ...]


class Rule(_PolicyModel):
    name: Name
    description: str | None = None
    when: Conditions = Field(default_factory=Conditions)
    route_to: Target
    constraints: ConstraintOverrides | None = None
    # Nobody in the rule's rep or pool can take the lead: try the next matching rule (default),
    # go straight to the fallback, or wait in a named queue.
    when_unavailable: WhenUnavailable = NEXT_RULE
    # Tried before account matching ("existing customers go to Account Management, even at a named
    # account"); such rules are listed first. Unset (None) is the default: after account matching.
    before_accounts: Flag | None = None
    # Tried in order when route_to has nobody available, each step with its reasons said, before
    # when_unavailable: route_to: {rep: maya}, backups: [ben@..., queue:revops].
    backups: Backups = ()
    _steps: tuple[Rule, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _backups_end_in_a_queue(self) -> Rule:
        if self.backups and self.route_to.queue is not None:
            raise _policy_error("a queue always takes the lead, so backups after it never run — remove them or route to a rep "
                                "or pool first", at="backups")
        for index, backup in enumerate(self.backups[:-1]):
            if backup.queue is not None:
                raise _policy_error(f"the {backup.queue} queue always takes the lead, so the backups after it never run — make "
                                    "the queue the last backup", at=f"backups.{index}")
        if self.backups and self.backups[-1].queue is not None and self.when_unavailable != NEXT_RULE:
            raise _policy_error(f"the backups end in the {self.backups[-1].queue} queue, so when_unavailable is never used — "
                                "remove one of them", at="when_unavailable")
        if self.backups and self.backups[-1].constraints is not None and self.backups[-1].queue is not None:
            raise _policy_error("a queue has no constraints (always available, no capacity) — remove them", at=f"backups.{len(self.backups) - 1}.constraints")
        return self

    def backup_steps(self) -> tuple[Rule, ...]:
        """Each backup as a rule of the same name (its target, the rule's constraints with the
        backup's on top), made once: the engine tries them as it tries the rule."""
        steps = self.__pydantic_private__["_steps"]
        if steps is None:
            mine = self.constraints.model_dump(exclude_none=True) if self.constraints else {}
            steps = tuple(Rule(name=self.name, description=self.description, when=self.when,
                               route_to=Target(rep=b.rep, pool=b.pool, queue=b.queue),
                               constraints={**mine, **(b.constraints.model_dump(exclude_none=True) if b.constraints else {})} or None)
                          for b in self.backups)
            self.__pydantic_private__["_steps"] = steps
        return steps


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
        return ()  # the pool then needs a `where:` (checked by Pool)
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


Ties = Annotated[str, PlainValidator(_choice("ties", ("longest_wait", "roster_order"), {"longest_waiting": "longest_wait", "roster": "roster_order", "listed_order": "roster_order"}))]


class Pool(_PolicyModel):
    description: str | None = None
    strategy: Strategy
    members: Annotated[
        tuple[Member, ...],
        PlainValidator(_members),
        PlainSerializer(lambda members: [m.model_dump(exclude_none=True) for m in members], return_type=list),
    ] = ()
    # Only members whose roster attributes match, checked at decision time; with no members, every
    # rep (role rep) in the roster whose attributes match.
    where: RepFilter | None = None
    prefer_expertise: Flag = False  # prefer members whose roster industries include the lead's
    performance: Performance | None = None
    # weights: capacity — each member's weight is their capacity (max open leads), for the
    # weighted strategies ("shared in proportion to capacity"); None: the listed or roster weights.
    weights: Annotated[str, PlainValidator(_choice("weights", ("capacity",)))] | None = None
    # least_loaded's tie on open leads: longest_wait (None, the default: the oldest last lead, never
    # assigned first) | roster_order (fewer new leads today, then the order listed). See ties.py.
    ties: Ties | None = None

    @model_validator(mode="after")
    def _performance_only_when_used(self) -> Pool:
        if not self.members and not self.where:
            raise _policy_error("a pool needs at least one member — list them, or give where: {attribute: [values]} to take every "
                                "matching rep", at="members")
        if self.performance is not None and self.strategy != "performance_weighted":
            raise _policy_error("performance settings only apply to strategy performance_weighted — remove them", at="performance")
        if self.weights is not None and self.strategy not in ("weighted", "weighted_today"):
            raise _policy_error(f"weights: {self.weights} only applies to strategy weighted or weighted_today — remove it, or change "
                                "the strategy", at="weights")
        if self.ties is not None and self.strategy != "least_loaded":
            raise _policy_error(f"ties: {self.ties} only applies to strategy least_loaded — remove it (fewest_today and weighted_today "
                                "already break ties by the longest wait)", at="ties")
        if self.weights is not None and any(member.weight is not None for member in self.members):
            raise _policy_error(f"weights: {self.weights} takes each member's weight from the roster — list the members without "
                                "weights (a plain list of emails), or remove weights", at="weights")
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
    attributes: RepAttributes | None = None  # skill, seniority, tag... (added to the roster's)
    team: str | None = None


class AccountMatching(_PolicyModel):
    enabled: Flag = True
    match_on: tuple[MatchKey, ...] = ("domain", "company")
    # At capacity is a reason by default: a full book does not take its account's new leads.
    owner_unavailable_when: tuple[Unavailability, ...] = ("inactive", "out_of_office", "at_capacity")
    # Web-mail domains never make two leads one account (sticky.py); `builtin` is the documented list.
    # Unset (None) is the default, [builtin], and true: left out of the policy's data and version.
    personal_domains: PersonalDomains | None = None
    subdomains: Flag | None = None  # a lead at eu.acme.com matches a declared acme.com
    # A declared account's owner cannot take the lead: team (default) | rules | queue:<name>; an
    # account's own `when_owner_unavailable` wins. Unset (None) is the default, team.
    when_owner_unavailable: WhenOwnerUnavailable | None = None
    # ...and nobody on the declared account's team can take it either: rules (None, the default: the
    # owner of the company's open lead, then the rules) | queue:<name>.
    when_team_unavailable: WhenTeamUnavailable | None = None
    # Which leads make their company an owned account: open_or_won (default, None) | open.
    # The team's least-loaded tie: longest_wait (None, the default) | roster_order, as a pool's `ties`.
    ties: Ties | None = None
    count: Annotated[str, PlainValidator(_choice("count", ("open", "open_or_won"), {"any": "open_or_won", "open_and_won": "open_or_won"}))] | None = None


class Fallback(_PolicyModel):
    rep: RepEmail | None = None
    queue: Name | None = None

    @model_validator(mode="after")
    def _something(self) -> Fallback:
        if self.rep is None and self.queue is None:
            raise _policy_error("give rep: <email> (a fallback owner), queue: <name>, or both (the queue when the rep cannot take it)")
        return self


class Sla(_PolicyModel):
    """First-touch SLAs per tier. At the first breach the owner is nudged; at the second (another
    full SLA later) the lead is routed again without them. Reps with no working hours in the
    roster or the policy work `default_working_hours` (09:00–17:00 Mon–Fri) in their time zone."""

    key_noun: ClassVar[str] = "tier"

    hot: TierSla | None = None
    warm: TierSla | None = None
    cold: TierSla | None = None
    default_working_hours: WorkingHoursSpec = Field(default_factory=lambda: WorkingHoursSpec(start="09:00", end="17:00"))

    def for_tier(self, tier: str | None) -> TierSla | None:
        return getattr(self, tier) if tier in ("hot", "warm", "cold") else None

    def tiers(self) -> tuple[str, ...]:
        return tuple(t for t in ("hot", "warm", "cold") if getattr(self, t) is not None)
