"""What routing knows about a lead and the team at a moment: plain facts, no database, no clock.

The store module (store.py) reads them from the database; the engine (engine.py)
decides from them. A `RoutingSnapshot` is the roster with the policy's per-rep settings applied,
the workload (open leads, new leads today), the rotating pools' pointers and, read on first use,
the conversion history.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadpilot.memory.geo import country_code, region_of, regions_of, state_code
from leadpilot.memory.vocab import industry_label, industry_slug, normalise_source, segment_of
from leadpilot.tools.routing.policy import RoutingPolicy
from leadpilot.tools.routing.policy_outcomes import REP_FIELDS
from leadpilot.tools.routing.performance import ClosedLead, Conversion, PerformanceBook  # noqa: F401  (also read from here)

if TYPE_CHECKING:
    from leadpilot.tools.routing.account_facts import DeclaredAccounts
    from leadpilot.tools.routing.decision import RoutingDecision

_UNSET = object()
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RECENT_WINDOW = timedelta(hours=26)  # enough history to count "today" in any time zone



# Lead columns read for conditions besides LeadFacts' own fields.
OTHER_COLUMNS = ("website", "contact_name", "email", "phone", "job_title", "seniority", "department", "city", "channel",
                 "stage", "external_id", "created_at", "last_contacted_at", "converted", "converted_at", "scored_at",
                 "conversion_probability", "extra")


@dataclass(frozen=True)
class LeadFacts:
    """What routing looks at on a lead, normalised (ISO country, state code, industry slug...)."""

    id: int | None = None
    company: str | None = None
    domain: str | None = None
    country: str | None = None
    state: str | None = None
    industry: str | None = None
    company_size: int | None = None
    source: str | None = None
    score: int | None = None
    tier: str | None = None
    language: str | None = None
    # The lead's other columns a rule's conditions can test (created_at, job_title, city...) and its
    # custom columns from an import or a CRM (under "extra").
    other: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def value(self, name: str) -> Any:
        """A field by name ("company_size", "created_at", "extra.partner_tier"); None when absent."""
        if name.startswith("extra."):
            extra = self.other.get("extra")
            if not isinstance(extra, Mapping):
                return None
            key = name[6:]
            if key in extra:
                return extra[key]
            folded = key.casefold()
            return next((v for k, v in extra.items() if str(k).casefold() == folded), None)
        if name in _BASE_FIELDS:
            return getattr(self, name)
        return self.other.get(name)

    @classmethod
    def of(cls, values: Mapping[str, Any] | Any) -> LeadFacts:
        """From a mapping or an object with the same attribute names (a stored Lead)."""
        get = values.get if isinstance(values, Mapping) else (lambda name: getattr(values, name, None))
        country = country_code(get("country")) if get("country") else None
        domain = (get("domain") or "").strip().lower() or None
        return cls(
            id=get("id"),
            company=(get("company") or "").strip() or None,
            domain=domain,
            country=country,
            state=state_code(get("state"), country) if get("state") else None,
            industry=industry_slug(get("industry")) if get("industry") else None,
            company_size=get("company_size"),
            source=normalise_source(get("source")) if get("source") else None,  # as given; channel_of groups it
            score=get("score"),
            tier=(get("tier") or "").lower() or None,
            language=(get("language") or "").strip().lower()[:2] or None,
            other={name: value for name in OTHER_COLUMNS if (value := get(name)) is not None},
        )

    @cached_property
    def segment(self) -> str | None:  # cached: every rule with a segment condition asks (the fields are frozen)
        return segment_of(self.company_size)

    @cached_property
    def region(self) -> str | None:
        return region_of(self.country)

    def places(self) -> tuple[str, ...]:
        """The lead's place from most to least specific: "US-CA", "US", "NA"; "DE", "DACH", "EMEA"."""
        return self._places

    @cached_property
    def _places(self) -> tuple[str, ...]:
        found = []
        if self.country and self.state:
            found.append(f"{self.country}-{self.state.upper()}")
        if self.country:
            found.append(self.country)
        found.extend(self.regions)
        return tuple(found)

    @cached_property
    def regions(self) -> tuple[str, ...]:
        """Every sales region of the lead's country, the most specific first (DACH, EUROPE, EMEA)."""
        return regions_of(self.country)

    def label(self) -> str:
        name = self.company or self.domain or "unnamed company"
        return f"lead {self.id} ({name})" if self.id is not None else name

    def summary(self) -> str:
        parts = [
            "-".join(p for p in (self.country, self.state) if p) or "no country",
            industry_label(self.industry) or "no industry",
            self.segment or "size unknown",
            f"source {self.source or 'unknown'}",
            f"score {self.score}" if self.score is not None else "unscored",
        ]
        if self.language:
            parts.append(f"language {self.language}")
        return ", ".join(parts)


@dataclass(frozen=True)
class TimeOff:
    starts_at: datetime
    ends_at: datetime
    reason: str | None = None
    origin: str = "roster"  # "roster", "policy reps[<email>].out_of_office[0]", "what-if"

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    days: tuple[int, ...]  # Monday = 0
    origin: str = "roster"

    def on_shift(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def describe(self) -> str:
        days = self.days
        if days and list(days) == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            day_text = f"{WEEKDAY_NAMES[days[0]]}–{WEEKDAY_NAMES[days[-1]]}"
        else:
            day_text = ", ".join(WEEKDAY_NAMES[d] for d in days)
        end = "24:00" if self.end == time.max else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}–{end} {day_text}"


@dataclass(frozen=True)
class RepRow:
    """A rep as the store has them (the roster), before the policy's per-rep settings."""

    id: int
    email: str
    name: str
    role: str = "rep"
    active: bool = True
    timezone: str = "UTC"
    working_hours: Mapping[str, Any] | None = None
    languages: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    capacity: int = 150
    daily_cap: int = 25
    routing_weight: float = 1.0
    time_off: tuple[TimeOff, ...] = ()
    team: str | None = None
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    attributes: Mapping[str, Any] | None = None  # skill, seniority, tag... (roster, migration 0016)


@dataclass(frozen=True)
class RepFacts:
    """A rep as routing sees them: the roster with the policy's per-rep settings applied."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    timezone: str
    languages: frozenset[str]
    industries: frozenset[str]
    max_open_leads: int
    max_new_per_day: int
    weight: float
    working_hours: WorkingHours | None
    time_off: tuple[TimeOff, ...]
    origins: Mapping[str, str] = field(default_factory=dict)  # setting -> where its value comes from
    team: str | None = None
    # What a pool's `where:` can test: languages, territories, industries, segments, team, and the
    # roster's and the policy's attributes (skill, seniority, tag...), each a set of lower-case values.
    traits: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # (what, moment) -> on shift, local time text, local day start: a batch asks them of every
    # candidate for every lead at one moment.
    _at: dict[tuple[str, datetime], Any] = field(default_factory=dict, compare=False, repr=False)

    def trait(self, name: str) -> frozenset[str]:
        """A `where:` attribute's values: a roster field (language -> languages) or an attribute, singular or plural."""
        found = self.traits.get(REP_FIELDS.get(name, name))
        if found is None and name.endswith("s"):
            found = self.traits.get(name[:-1])
        if found is None:
            found = self.traits.get(name + "s")
        return found or frozenset()

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(_zone(self.timezone))

    def _remember(self, what: str, moment: datetime, make: Callable[[], Any]) -> Any:
        key = (what, moment)
        found = self._at.get(key, _UNSET)
        if found is _UNSET:
            if len(self._at) > 64:
                self._at.clear()
            found = self._at[key] = make()
        return found

    def local_text(self, moment: datetime) -> str:
        return self._remember("text", moment, lambda: _local_text(self.timezone, moment))

    def out_of_office(self, moment: datetime) -> TimeOff | None:
        for period in self.time_off:
            if period.covers(moment):
                return period
        return None

    def on_shift(self, moment: datetime) -> bool:
        hours = self.working_hours
        return hours is None or self._remember("shift", moment, lambda: hours.on_shift(self.local(moment)))

    def day_start(self, moment: datetime) -> datetime:
        """The start of the rep's local day containing `moment`, in UTC."""
        return self._remember("day", moment, lambda: _day_start(self.timezone, moment))


@lru_cache(maxsize=4096)
def _day_start(zone: str, moment: datetime) -> datetime:
    local = moment.astimezone(_zone(zone))
    return datetime.combine(local.date(), time.min, tzinfo=local.tzinfo).astimezone(timezone.utc)


@lru_cache(maxsize=4096)
def _local_text(zone: str, moment: datetime) -> str:
    local = moment.astimezone(_zone(zone))
    return f"{local.strftime('%H:%M')} {WEEKDAY_NAMES[local.weekday()]} in {zone}"


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _roster_hours(raw: Mapping[str, Any] | None) -> WorkingHours | None:
    """The roster's {"start": "09:00", "end": "17:00", "days": [0..4]}; None = no hours set (always on)."""
    if not raw:
        return None
    try:
        start = time.fromisoformat(str(raw["start"]))
        end = time.max if str(raw["end"]) == "24:00" else time.fromisoformat(str(raw["end"]))
        days = tuple(sorted(int(d) for d in raw.get("days", range(5))))
    except (KeyError, TypeError, ValueError):
        return None
    return WorkingHours(start, end, days)


def _policy_period(period, *, zone: ZoneInfo, origin: str) -> TimeOff:
    """A policy out-of-office entry: dates are whole local days (both included); moments are exact."""
    starts, ends = period.starts, period.ends
    if not isinstance(starts, datetime):
        starts = datetime.combine(starts, time.min, tzinfo=zone)
    if not isinstance(ends, datetime):
        ends = datetime.combine(ends + timedelta(days=1), time.min, tzinfo=zone)
    return TimeOff(starts.astimezone(timezone.utc), ends.astimezone(timezone.utc), period.reason, origin)


def build_roster(rows: Iterable[RepRow], policy: RoutingPolicy) -> dict[str, RepFacts]:
    """Reps by email, with the policy's per-rep settings (capacity, hours, weight, time off) applied."""
    roster: dict[str, RepFacts] = {}
    for row in rows:
        email = row.email.lower()
        settings = policy.reps.get(email)
        key = f"policy reps[{email}]"
        origins = {"max_open_leads": "roster capacity", "max_new_per_day": "roster daily cap", "weight": "roster routing weight"}
        max_open, max_new, weight = row.capacity, row.daily_cap, row.routing_weight
        hours = _roster_hours(row.working_hours)
        time_off = list(row.time_off)
        if settings is not None:
            if settings.max_open_leads is not None:
                max_open, origins["max_open_leads"] = settings.max_open_leads, f"{key}.max_open_leads"
            if settings.max_new_per_day is not None:
                max_new, origins["max_new_per_day"] = settings.max_new_per_day, f"{key}.max_new_per_day"
            if settings.weight is not None:
                weight, origins["weight"] = settings.weight, f"{key}.weight"
            if settings.working_hours is not None:
                spec = settings.working_hours
                hours = WorkingHours(spec.start, spec.end, tuple(sorted(spec.days)), f"{key}.working_hours")
            zone = _zone(row.timezone)
            time_off += [
                _policy_period(period, zone=zone, origin=f"{key}.out_of_office[{index}]")
                for index, period in enumerate(settings.out_of_office)
            ]
        team = (settings.team if settings is not None and settings.team else row.team) or None
        languages = frozenset(lang.lower() for lang in row.languages)
        industries = frozenset(industry_slug(i) for i in row.industries)
        traits = {name: _lowered(values) for name, values in (row.attributes or {}).items()}
        for name, values in ((settings.attributes or {}) if settings is not None else {}).items():
            traits[name] = traits.get(name, frozenset()) | frozenset(values)
        traits.update(languages=languages, industries=industries, territories=_lowered(row.territories),
                      segments=_lowered(row.segments), team=frozenset([team.lower()]) if team else frozenset(),
                      role=frozenset([row.role.lower()]) if row.role else frozenset())
        roster[email] = RepFacts(
            id=row.id, email=email, name=row.name, role=row.role, active=row.active, timezone=row.timezone,
            languages=languages, industries=industries,
            max_open_leads=max_open, max_new_per_day=max_new, weight=weight, working_hours=hours,
            time_off=tuple(time_off), origins=origins, team=team, traits=traits,
        )
    return roster


def _lowered(values: Any) -> frozenset[str]:
    if values is None:
        return frozenset()
    items = values if isinstance(values, (list, tuple, set, frozenset)) else [values]
    return frozenset(str(v).strip().lower() for v in items if str(v).strip())


@dataclass
class Workload:
    """Open leads per rep and their recent assignment times (to count "new leads today")."""

    open_leads: dict[int, int] = field(default_factory=dict)
    recent: dict[int, list[datetime]] = field(default_factory=dict)
    # rep id -> (moment, time zone, new leads that local day up to it): a batch asks for every candidate of every lead.
    _counted: dict[int, tuple[datetime, str, int]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for times in self.recent.values():
            times.sort()

    def open(self, rep_id: int) -> int:
        return self.open_leads.get(rep_id, 0)

    def today(self, rep: RepFacts, now: datetime) -> int:
        counted = self._counted.get(rep.id)
        if counted is not None and counted[0] == now and counted[1] == rep.timezone:
            return counted[2]
        times = self.recent.get(rep.id)
        count = bisect_right(times, now) - bisect_left(times, rep.day_start(now)) if times else 0
        self._counted[rep.id] = (now, rep.timezone, count)
        return count

    def add(self, rep_id: int, at: datetime) -> None:
        self.open_leads[rep_id] = self.open(rep_id) + 1
        insort(self.recent.setdefault(rep_id, []), at)
        self._counted.pop(rep_id, None)

    def copy(self) -> Workload:
        return Workload(dict(self.open_leads), {k: list(v) for k, v in self.recent.items()})


@dataclass
class Pointer:
    """Where a rotating pool stands: the next position and who got the last lead."""

    position: int = 0
    last_rep_id: int | None = None


@dataclass
class RoutingSnapshot:
    """Everything a decision reads besides the lead: roster, workload, pointers, performance."""

    reps: dict[str, RepFacts]
    workload: Workload
    pointers: dict[str, Pointer] = field(default_factory=dict)
    performance_loader: Callable[[], PerformanceBook] | None = None
    _performance: PerformanceBook | None = None
    accounts: DeclaredAccounts | None = None  # accounts declared in the policy or imported
    # Each rep's last lead (any day), read on first use: only fewest_today / weighted_today pools ask (today.py).
    last_leads_loader: Callable[[], dict[int, datetime]] | None = None
    barred: dict[int, str] = field(default_factory=dict)  # rep id -> why they may not take this lead (a missed SLA)
    # What the engine works out once per snapshot: each rule's members, weights and `where:` checks
    # (from the roster and the policy, never from a lead).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {rep.id: rep for rep in self.reps.values()}

    @property
    def performance(self) -> PerformanceBook:
        if self._performance is None:
            self._performance = self.performance_loader() if self.performance_loader else PerformanceBook(())
        return self._performance

    @cached_property
    def last_leads(self) -> dict[int, datetime]:
        return self.last_leads_loader() if self.last_leads_loader else {}

    def pointer(self, pool: str) -> Pointer:
        return self.pointers.get(pool) or Pointer()

    def record(self, decision: RoutingDecision) -> None:
        """Apply a decision to the snapshot (batch routing): load, today's count, pointer."""
        if decision.owner_id is not None:
            self.workload.add(decision.owner_id, decision.decided_at)
        if decision.pointer is not None:
            self.pointers[decision.pointer.pool] = Pointer(decision.pointer.position, decision.pointer.last_rep_id)

    def replace_rep(self, rep: RepFacts) -> None:
        self.reps[rep.email] = rep
        self.by_id[rep.id] = rep
        self.memo.clear()  # members and weights came from the roster


@dataclass(frozen=True)
class AccountOwner:
    """The rep who owns the lead's account: the owner of its most recent open or won lead."""

    rep_id: int
    matched_on: str  # domain | company
    value: str
    lead_id: int | None  # None for a declared account
    company: str | None = None
    stage: str | None = None
    origin: str = "store"  # store (inferred from owned leads) | "policy accounts[2]" | "imported accounts"
    team: str | None = None
    when_unavailable: str | None = None  # a declared account's own when_owner_unavailable
    when_team_unavailable: str | None = None  # ...and its own when_team_unavailable

    def where(self) -> str:
        if self.lead_id is None:
            return f"{self.matched_on} {self.value} ({self.origin})"
        return f"{self.matched_on} {self.value} (lead {self.lead_id}, {(self.stage or '').lower() or 'open'})"


def whole_day(day: date, rep: RepFacts) -> tuple[datetime, datetime]:
    """A rep's local calendar day as a UTC interval."""
    zone = _zone(rep.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


_BASE_FIELDS = frozenset(name for name in LeadFacts.__dataclass_fields__ if name != "other")
