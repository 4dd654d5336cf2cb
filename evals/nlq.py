"""`evals nlq`: does the agent read sales questions right? Exact-set accuracy over the demo data.

Each case in datasets/nlq.yaml is a question (or a conversation, judged on its last turn) and the
answer it should get, written as a filter over the data in a small declarative language:

    expect: {leads: {tier: [hot], industry: [fintech], not_contacted_days: 3}}
    expect: {leads: {industry: [saas]}, order: score desc, limit: 10}
    expect: {rows: {group_by: source, metric: count, where: {created: this_month}}}
    expect: {lead: {id: 42}}            expect: {lead: {company: Pioneer Systems}}
    expect: {refuse: true}
    expect: {call: {name: follow_ups_due, args: {day: today}}}   (the tool call; its data is tested in tests/)

This module evaluates that language itself, in plain Python over the leads and activities read
from the store, deliberately apart from tools/leads/filter.py's SQL compilation: a compiler bug
shows up as a miss instead of agreeing with itself. The language (every key ANDed):

- categorical, a list means "any of": tier, industry, country, state, city, region, source, stage,
  owner (rep email, "unassigned", or "me" = the case's `as_user`); each also as `not_<key>`
  (a missing value counts as "not").
- ranges `{gt, gte, lt, lte}`: employees, score, probability; `segment` = size bands
  (enterprise 1000+, mid-market 100-999, smb 10-99, micro 1-9). `open`, `converted`: booleans.
- time windows, resolved against the pinned clock (weeks start Monday, days are UTC days): a name
  (today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter,
  this_year, last_year, weekend = the latest Saturday and Sunday) or `{days: N}` (the last N x 24
  hours), `{since: X}`, `{before: X}` where X is a weekday, "october 5" or "october" (the latest
  one) or an ISO date/time, `{month: october | YYYY-MM}`, `{older_than_days: N}`.
  Keys: `created`, `contacted` (the last contact falls inside the window), `not_contacted_days: N`
  (no contact in the last N days, never contacted included), `not_contacted_since: DATE|WEEKDAY`
  (likewise), `never_contacted: bool`.
- `activity: [{kind, page?, window?, absent?}]`: the lead has (or, absent, has not) such an
  activity; `page` matches a path segment that starts with it ("pricing" is /pricing, not
  /blog/usage-based-pricing-guide).
- `company` (exact name, any case), `id` (list of lead ids).

Rows also take the analytics reports' numbers: metrics `median_hours` / `p90_hours` (hours from
creation to the first outbound email, call or meeting, else the last contact; linear
interpolation), group `score_bucket` ("70-79", the top score in "90-100", "unscored"), and
`group_by: channel` with metric `first_touch` (a converted lead's source) or `last_touch` (the
channel of its last inbound touch at or before conversion, see tools/analytics/attribution.py; none = its
source). A count of 0 is the same as no row.

A search is compared as the set of lead ids; with `order` ("score desc", ties by id like the
tool) and `limit`/`offset` as the ordered list; aggregate rows as a multiset of (group, number),
rates to 4 decimals and average scores to 1; a total (no group_by) as its single number.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock_time, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.text import Text

from leadpilot.evals.dataset_files import read_case_list
from leadpilot.evals.tables import accuracy_table

DEFAULT_NOW = "2026-11-20T12:00:00Z"
DEFAULT_MIN_ACCURACY = 0.95
Backend = Literal["offline", "openai"]
EXPECT_KINDS = ("leads", "rows", "lead", "refuse", "call")
# The agent tools an expectation of each kind can need (tests check they are all registered).
REQUIRED_TOOLS: dict[str, frozenset[str]] = {
    "leads": frozenset({"search_leads", "get_lead"}),
    "rows": frozenset({"aggregate_leads"}),
    "lead": frozenset({"get_lead", "search_leads"}),
    "refuse": frozenset(),
    "call": frozenset(),  # checked per case: the named tool must be registered
}
REFUSAL_PHRASE = "i don't understand"


class DatasetError(ValueError):
    """The dataset file is malformed; the message names the case and the key."""


class EvalSetupError(RuntimeError):
    """The eval's store could not be prepared (e.g. the scoring policy does not load)."""


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    turns: tuple[str, ...]
    expect: dict[str, Any]
    as_user: str | None = None

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def kind(self) -> str:
        return next(k for k in EXPECT_KINDS if k in self.expect)


def default_dataset_path() -> Path:
    return Path(str(files("leadpilot.evals").joinpath("datasets/nlq.yaml")))


def load_cases(path: Path | None = None) -> list[Case]:
    """Read and check the dataset (shape only; `Truth.check` checks the filter language)."""
    return read_case_list(Path(path or default_dataset_path()), make_case=_case, error=DatasetError)


def sample_cases(cases: Sequence[Case], every: int) -> list[Case]:
    """Every `every`-th case of each category (the first included): a quick run that still covers
    every kind of question. every=1 is the whole dataset."""
    if every < 1:
        raise ValueError("every must be at least 1")
    seen: Counter[str] = Counter()
    chosen = []
    for case in cases:
        if seen[case.category] % every == 0:
            chosen.append(case)
        seen[case.category] += 1
    return chosen


def _case(item: Any, index: int, path: Path) -> Case:
    where = f"{path}: case #{index + 1}"
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: a case is a mapping with id, category, question (or turns) and expect")
    where = f"{path}: case {item.get('id', f'#{index + 1}')!r}"
    unknown = set(item) - {"id", "category", "question", "turns", "expect", "as_user"}
    if unknown:
        raise DatasetError(f"{where}: unknown keys {sorted(unknown)}")
    if ("question" in item) == ("turns" in item):
        raise DatasetError(f"{where}: give either `question` or `turns`")
    turns = [item["question"]] if "question" in item else item["turns"]
    if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise DatasetError(f"{where}: questions must be non-empty text")
    expect = item.get("expect")
    if not isinstance(expect, dict) or sum(k in expect for k in EXPECT_KINDS) != 1:
        raise DatasetError(f"{where}: `expect` needs exactly one of {', '.join(EXPECT_KINDS)}")
    extra = set(expect) - {*EXPECT_KINDS, "order", "limit", "offset"}
    if extra:
        raise DatasetError(f"{where}: unknown expect keys {sorted(extra)}")
    for key in ("id", "category"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise DatasetError(f"{where}: `{key}` is required text")
    return Case(id=item["id"], category=item["category"], turns=tuple(turns), expect=expect, as_user=item.get("as_user"))


# ---------------------------------------------------------------------------------------------
# The data, as plain Python facts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFact:
    kind: str
    occurred_at: datetime
    detail: str | None
    direction: str = "inbound"
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class LeadFact:
    id: int
    company: str | None
    industry: str | None
    country: str | None
    state: str | None
    city: str | None
    company_size: int | None
    source: str
    stage: str
    owner: str | None  # rep email
    score: int | None
    tier: str | None
    probability: float | None
    created_at: datetime
    last_contacted_at: datetime | None
    converted: bool | None
    activities: tuple[ActivityFact, ...] = ()
    converted_at: datetime | None = None


def read_facts(db: Any) -> tuple[list[LeadFact], dict[str, str]]:
    """Every lead with its activities, and every rep's role by email, straight from the tables."""
    from sqlalchemy import select

    from leadpilot.memory.models import Activity, Lead, Rep

    with db.session() as session:
        roles = {email.lower(): role for email, role in session.execute(select(Rep.email, Rep.role))}
        emails = {rep_id: email.lower() for rep_id, email in session.execute(select(Rep.id, Rep.email))}
        activities: dict[int, list[ActivityFact]] = defaultdict(list)
        for lead_id, kind, occurred_at, detail, direction, meta in session.execute(
            select(Activity.lead_id, Activity.kind, Activity.occurred_at, Activity.detail, Activity.direction, Activity.meta)
            .order_by(Activity.lead_id, Activity.occurred_at, Activity.id)
        ):
            activities[lead_id].append(ActivityFact(kind, occurred_at, detail, direction, meta))
        columns = (
            Lead.id, Lead.company, Lead.industry, Lead.country, Lead.state, Lead.city, Lead.company_size, Lead.source,
            Lead.stage, Lead.owner_id, Lead.score, Lead.tier, Lead.conversion_probability, Lead.created_at,
            Lead.last_contacted_at, Lead.converted, Lead.converted_at,
        )
        leads = [
            LeadFact(
                id=row.id, company=row.company, industry=row.industry, country=row.country, state=row.state,
                city=row.city, company_size=row.company_size, source=row.source, stage=row.stage,
                owner=emails.get(row.owner_id) if row.owner_id is not None else None, score=row.score, tier=row.tier,
                probability=row.conversion_probability, created_at=row.created_at,
                last_contacted_at=row.last_contacted_at, converted=row.converted,
                activities=tuple(activities.get(row.id, ())), converted_at=row.converted_at,
            )
            for row in session.execute(select(*columns).order_by(Lead.id))
        ]
    return leads, roles


# ---------------------------------------------------------------------------------------------
# The truth: the filter language, evaluated in Python
# ---------------------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_SEGMENT_BANDS = {"enterprise": (1000, None), "mid-market": (100, 999), "smb": (10, 99), "micro": (1, 9)}
_REGIONS: dict[str, frozenset[str]] | None = None
_OPEN_STAGES = frozenset({"DISCOVERY", "LEAD", "PROSPECT", "OPPORTUNITY"})
_ROUNDING = {"count": 0, "conversion_rate": 4, "avg_score": 1, "median_hours": 1, "p90_hours": 1, "first_touch": 0, "last_touch": 0}


def _regions() -> dict[str, frozenset[str]]:
    global _REGIONS
    if _REGIONS is None:
        from leadpilot.memory.geo import REGION_COUNTRIES  # data (which country is where), not query logic

        _REGIONS = dict(REGION_COUNTRIES)
    return _REGIONS


def _midnight(day: date) -> datetime:
    return datetime.combine(day, clock_time.min, tzinfo=timezone.utc)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _latest(month: int, day: int, today: date) -> date:
    """The latest month/day on or before today."""
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return date(year, month, day)


def _instant(value: Any, now: datetime) -> datetime:
    """A `since` / `before` bound: a weekday or "october 5" / "october" (the latest one, today
    included), a date or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return _midnight(value)
    text = str(value).strip().lower()
    today = now.date()
    if text in _WEEKDAYS:
        return _midnight(today - timedelta(days=(today.weekday() - _WEEKDAYS.index(text)) % 7))
    words = text.split()
    if words and words[0] in _MONTHS and len(words) <= 2:
        return _midnight(_latest(_MONTHS.index(words[0]) + 1, int(words[1]) if len(words) == 2 else 1, today))
    try:
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise DatasetError(f"bad date {value!r}: use a weekday, 'october 5', 'october' or an ISO date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def resolve_window(spec: Any, now: datetime) -> tuple[datetime | None, datetime | None]:
    """[start, end) of a window spec; None = unbounded."""
    today = now.date()
    week = today - timedelta(days=today.weekday())
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    named = {
        "weekend": (saturday, saturday + timedelta(days=2)),
        "today": (today, None),
        "yesterday": (today - timedelta(days=1), today),
        "this_week": (week, None),
        "last_week": (week - timedelta(days=7), week),
        "this_month": (_month_start(today), None),
        "last_month": (_month_start(today, 1), _month_start(today)),
        "this_quarter": (_quarter_start(today), None),
        "last_quarter": (_month_start(_quarter_start(today), 3), _quarter_start(today)),
        "this_year": (date(today.year, 1, 1), None),
        "last_year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
    }
    if isinstance(spec, str):
        if spec not in named:
            raise DatasetError(f"unknown window {spec!r}; use one of {', '.join(named)} or a mapping")
        start, end = named[spec]
        return _midnight(start), _midnight(end) if end else None
    if not isinstance(spec, dict) or not spec or set(spec) - {"days", "since", "before", "month", "older_than_days"}:
        raise DatasetError(f"bad window {spec!r}: use days, since, before, month or older_than_days")
    start: datetime | None = None
    end: datetime | None = None
    if "days" in spec:
        start = now - timedelta(days=int(spec["days"]))
    if "since" in spec:
        start = _instant(spec["since"], now)
    if "before" in spec:
        end = _instant(spec["before"], now)
    if "older_than_days" in spec:
        end = now - timedelta(days=int(spec["older_than_days"]))
    if "month" in spec:
        month = str(spec["month"]).lower()
        first = _latest(_MONTHS.index(month) + 1, 1, today) if month in _MONTHS else datetime.strptime(month, "%Y-%m").date()
        start, end = _midnight(first), _midnight((first + timedelta(days=31)).replace(day=1))
    return start, end


def _in_window(moment: datetime | None, window: tuple[datetime | None, datetime | None]) -> bool:
    start, end = window
    return moment is not None and (start is None or moment >= start) and (end is None or moment < end)


def _in_range(value: float | None, spec: Any) -> bool:
    if not isinstance(spec, dict) or not spec or set(spec) - {"gt", "gte", "lt", "lte"}:
        raise DatasetError(f"bad range {spec!r}: use gt, gte, lt, lte")
    if value is None:
        return False
    checks = {"gt": value > spec.get("gt", 0), "gte": value >= spec.get("gte", 0),
              "lt": value < spec.get("lt", 0), "lte": value <= spec.get("lte", 0)}
    return all(checks[op] for op in spec)


def _listed(spec: Any) -> list[str]:
    if isinstance(spec, (str, int)):
        return [str(spec)]
    if not isinstance(spec, list) or not spec:
        raise DatasetError(f"expected a non-empty list, got {spec!r}")
    return [str(v) for v in spec]


def _page_matches(detail: str | None, page: str) -> bool:
    """Does a path segment of `detail` start with `page`? ("/lp/demo", "/demo-request" for "demo")."""
    path = "/" + (detail or "").lower().strip("/")
    return ("/" + page.lower().strip("/")) in path


def _segment_of(size: int | None) -> str | None:
    for name, (low, high) in _SEGMENT_BANDS.items():
        if size is not None and size >= low and (high is None or size <= high):
            return name
    return None


@dataclass(frozen=True)
class _Scope:
    """What a condition needs besides the lead: the clock and who "me" is."""

    now: datetime
    me: str | None


def _activity_holds(lead: LeadFact, spec: dict[str, Any], scope: _Scope) -> bool:
    unknown = set(spec) - {"kind", "page", "window", "absent"}
    if unknown or "kind" not in spec:
        raise DatasetError(f"bad activity {spec!r}: use kind, page, window, absent")
    window = resolve_window(spec["window"], scope.now) if "window" in spec else (None, None)
    found = any(
        a.kind == spec["kind"]
        and ("page" not in spec or _page_matches(a.detail, spec["page"]))
        and _in_window(a.occurred_at, window)
        for a in lead.activities
    )
    return not found if spec.get("absent") else found


def _owner_key(value: str, scope: _Scope) -> str | None:
    if value == "me":
        return scope.me
    return None if value == "unassigned" else value.lower()


_CATEGORICAL: dict[str, Callable[[LeadFact], Any]] = {
    "tier": lambda lead: lead.tier,
    "industry": lambda lead: lead.industry,
    "country": lambda lead: lead.country,
    "state": lambda lead: lead.state,
    "city": lambda lead: lead.city,
    "source": lambda lead: lead.source,
    "stage": lambda lead: lead.stage,
    "segment": lambda lead: _segment_of(lead.company_size),
}


def _member(key: str, spec: Any, lead: LeadFact, scope: _Scope) -> bool:
    """Is the lead's value for a categorical key one of `spec`?"""
    values = _listed(spec)
    if key == "region":
        return any((lead.country or "") in _regions()[region] for region in values)
    if key == "owner":
        # "me" from someone who is not a rep matches nothing.
        return lead.owner in {_owner_key(v, scope) for v in values if v != "me" or scope.me is not None}
    value = _CATEGORICAL[key](lead)
    return value is not None and value.lower() in {v.lower() for v in values}


_MEMBERSHIP_KEYS = frozenset({*_CATEGORICAL, "region", "owner"})


def _condition(key: str, spec: Any, lead: LeadFact, scope: _Scope) -> bool:
    if key in _MEMBERSHIP_KEYS:
        return _member(key, spec, lead, scope)
    if key.startswith("not_") and key[4:] in _MEMBERSHIP_KEYS:
        return not _member(key[4:], spec, lead, scope)
    checks: dict[str, Callable[[], bool]] = {
        "employees": lambda: _in_range(lead.company_size, spec),
        "score": lambda: _in_range(lead.score, spec),
        "probability": lambda: _in_range(lead.probability, spec),
        "open": lambda: (lead.stage in _OPEN_STAGES) == bool(spec),
        "converted": lambda: lead.converted is bool(spec),
        "created": lambda: _in_window(lead.created_at, resolve_window(spec, scope.now)),
        "contacted": lambda: _in_window(lead.last_contacted_at, resolve_window(spec, scope.now)),
        "not_contacted_days": lambda: lead.last_contacted_at is None
        or lead.last_contacted_at < scope.now - timedelta(days=int(spec)),
        "not_contacted_since": lambda: lead.last_contacted_at is None or lead.last_contacted_at < _instant(spec, scope.now),
        "never_contacted": lambda: (lead.last_contacted_at is None) == bool(spec),
        "activity": lambda: all(_activity_holds(lead, item, scope) for item in (spec if isinstance(spec, list) else [spec])),
        "company": lambda: (lead.company or "").lower() == str(spec).lower(),
        "id": lambda: lead.id in {int(v) for v in _listed(spec)},
    }
    if key not in checks:
        raise DatasetError(f"unknown condition `{key}`")
    return checks[key]()


def _sort_value(lead: LeadFact, key: str) -> Any:
    return {"created_at": lead.created_at, "last_contacted_at": lead.last_contacted_at, "company": lead.company,
            "company_size": lead.company_size, "score": lead.score, "probability": lead.probability}[key]


def _score_bucket(score: int | None) -> str:
    """10-point buckets; a 0-100 scale's top score joins 90-99 as "90-100"."""
    if score is None:
        return "unscored"
    if score >= 90 and score <= 100:
        return "90-100"
    low = score - score % 10
    return f"{low}-{low + 9}"


_CONTACT_KINDS = frozenset({"email_sent", "call", "meeting"})
_SOURCES = frozenset({"referral", "organic", "paid", "event", "partner", "outbound", "webinar", "other"})


def _hours_to_first_contact(lead: LeadFact) -> float | None:
    first = next((a.occurred_at for a in lead.activities if a.direction == "outbound" and a.kind in _CONTACT_KINDS), None)
    contact = first or lead.last_contacted_at
    return None if contact is None else max(0.0, (contact - lead.created_at).total_seconds() / 3600)


def _interpolated(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    return ordered[low] + (ordered[min(low + 1, len(ordered) - 1)] - ordered[low]) * (position - low)


def _last_touch(lead: LeadFact) -> str:
    """The channel of the last inbound touch at or before conversion (none: the lead's source)."""
    channel = lead.source
    for a in lead.activities:
        if a.direction != "inbound" or (lead.converted_at is not None and a.occurred_at > lead.converted_at):
            continue
        recorded = str((a.meta or {}).get("channel") or "").lower()
        path = (a.detail or "").lower()
        if recorded in _SOURCES:
            channel = recorded
        elif a.kind in ("email_opened", "email_clicked"):
            channel = "outbound"
        elif a.kind == "call":
            channel = "other"
        else:
            channel = "webinar" if path.startswith("/webinar") else "paid" if path.startswith("/lp/") else "organic"
    return channel


def _group_value(lead: LeadFact, group_by: str) -> str:
    if group_by == "score_bucket":
        return _score_bucket(lead.score)
    if group_by == "owner":
        return lead.owner or "unassigned"
    if group_by == "month":
        return lead.created_at.strftime("%Y-%m")
    value = _segment_of(lead.company_size) if group_by == "segment" else getattr(lead, group_by)
    return "unknown" if value is None else str(value)


def _metric(leads: Sequence[LeadFact], metric: str) -> float | None:
    if metric == "count":
        return len(leads)
    if metric == "avg_score":
        scores = [lead.score for lead in leads if lead.score is not None]
        return sum(scores) / len(scores) if scores else None
    if metric == "conversion_rate":
        closed = [lead for lead in leads if lead.converted is not None]
        return sum(1 for lead in closed if lead.converted) / len(closed) if closed else None
    if metric in ("median_hours", "p90_hours"):
        hours = [h for h in map(_hours_to_first_contact, leads) if h is not None]
        return _interpolated(hours, 0.5 if metric == "median_hours" else 0.9)
    raise DatasetError(f"unknown metric {metric!r}: use count, conversion_rate or avg_score")


@dataclass(frozen=True)
class Expected:
    """What a case should get: lead ids (ordered or as a set), aggregate rows, or a refusal."""

    kind: Literal["set", "ordered", "rows", "total", "refuse", "call"]
    ids: tuple[int, ...] = ()
    call: tuple[str, dict[str, Any]] | None = None  # for "call": the tool and its arguments
    rows: tuple[tuple[str, float | None], ...] = ()
    group_by: str | None = None
    metric: str | None = None

    @property
    def size(self) -> int:
        return len(self.rows) if self.kind in ("rows", "total") else len(self.ids)


class Truth:
    """The expected answer of every case, computed from the facts."""

    def __init__(self, leads: Sequence[LeadFact], *, now: datetime, roles: dict[str, str] | None = None):
        self.leads = list(leads)
        self.now = now
        self.roles = {k.lower(): v for k, v in (roles or {}).items()}

    @classmethod
    def from_store(cls, db: Any, *, now: datetime) -> Truth:
        leads, roles = read_facts(db)
        return cls(leads, now=now, roles=roles)

    def visible(self, as_user: str | None) -> list[LeadFact]:
        """A rep sees their own and unassigned leads; managers, admins and no identity see all."""
        if as_user is None or self.roles.get(as_user.lower(), "rep") in ("admin", "manager"):
            return self.leads
        me = as_user.lower()
        return [lead for lead in self.leads if lead.owner in (me, None)]

    def select(self, where: dict[str, Any], *, as_user: str | None = None) -> list[LeadFact]:
        if not isinstance(where, dict):
            raise DatasetError(f"a filter is a mapping of conditions, got {where!r}")
        scope = _Scope(now=self.now, me=as_user.lower() if as_user else None)
        return [lead for lead in self.visible(as_user) if all(_condition(k, v, lead, scope) for k, v in where.items())]

    def expected(self, case: Case) -> Expected:
        expect = case.expect
        if expect.get("refuse"):
            return Expected(kind="refuse")
        if "call" in expect:
            call = expect["call"]
            if not isinstance(call, dict) or set(call) - {"name", "args"} or not isinstance(call.get("name"), str):
                raise DatasetError(f"case {case.id!r}: `call` takes name and args")
            return Expected(kind="call", call=(call["name"], call.get("args") or {}))
        if "rows" in expect:
            return self._rows(expect["rows"], as_user=case.as_user)
        where = expect.get("leads")
        if "lead" in expect:
            where = expect["lead"]
            if not isinstance(where, dict) or not (set(where) <= {"id", "company"}) or not where:
                raise DatasetError(f"case {case.id!r}: `lead` takes id or company")
        leads = self.select(where or {}, as_user=case.as_user)
        if "order" not in expect and "limit" not in expect and "offset" not in expect:
            return Expected(kind="set", ids=tuple(lead.id for lead in leads))
        ordered = self.ordered(leads, str(expect.get("order", "score desc")))
        offset = int(expect.get("offset", 0))
        limit = expect.get("limit")
        return Expected(kind="ordered", ids=tuple(lead.id for lead in ordered[offset : offset + limit if limit else None]))

    @staticmethod
    def ordered(leads: Iterable[LeadFact], order: str) -> list[LeadFact]:
        """Sorted like the search tool promises: by the key, NULLs last, ties by id."""
        parts = order.split()
        if len(parts) not in (1, 2) or parts[0] not in ("score", "probability", "created_at", "last_contacted_at", "company", "company_size"):
            raise DatasetError(f"bad order {order!r}: '<score|probability|created_at|last_contacted_at|company|company_size> [asc|desc]'")
        key, descending = parts[0], parts[-1] == "desc"
        by_id = sorted(leads, key=lambda lead: lead.id)
        present = [lead for lead in by_id if _sort_value(lead, key) is not None]
        missing = [lead for lead in by_id if _sort_value(lead, key) is None]
        return sorted(present, key=lambda lead: _sort_value(lead, key), reverse=descending) + missing  # stable

    def _rows(self, spec: dict[str, Any], *, as_user: str | None) -> Expected:
        if not isinstance(spec, dict) or set(spec) - {"group_by", "metric", "where"}:
            raise DatasetError(f"bad rows {spec!r}: use group_by, metric, where")
        metric = spec.get("metric", "count")
        leads = self.select(spec.get("where") or {}, as_user=as_user)
        group_by = spec.get("group_by")
        if group_by is None:
            return Expected(kind="total", rows=(("total", _metric(leads, metric)),), metric=metric)
        if group_by == "channel":
            if metric not in ("first_touch", "last_touch"):
                raise DatasetError("group_by channel takes metric first_touch or last_touch")
            won = [lead for lead in leads if lead.converted]
            counts = Counter(lead.source if metric == "first_touch" else _last_touch(lead) for lead in won)
            return Expected(kind="rows", rows=tuple(sorted(counts.items())), group_by=group_by, metric=metric)
        groups: dict[str, list[LeadFact]] = defaultdict(list)
        for lead in leads:
            groups[_group_value(lead, group_by)].append(lead)
        rows = tuple(sorted((name, _metric(members, metric)) for name, members in groups.items()))
        return Expected(kind="rows", rows=rows, group_by=group_by, metric=metric)

    def check(self, cases: Iterable[Case]) -> None:
        """Evaluate every expectation once, so a typo in the dataset fails before any question runs."""
        for case in cases:
            try:
                self.expected(case)
            except DatasetError as error:
                raise DatasetError(f"case {case.id!r}: {error}") from None


# ---------------------------------------------------------------------------------------------
# Judging an answer
# ---------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    correct: bool
    got_size: int
    why: str = ""
    missing: list[Any] = field(default_factory=list)  # expected, not got (a few)
    extra: list[Any] = field(default_factory=list)  # got, not expected (a few)


def _close(a: float | None, b: float | None, digits: int) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 0.5 * 10**-digits + 1e-9


def _refused(answer: Any) -> bool:
    return not answer.tool_calls and REFUSAL_PHRASE in answer.answer.lower().replace("’", "'")


def judge(expected: Expected, answer: Any, *, sample: int = 5) -> Verdict:
    """Compare what the agent answered (an AgentAnswer) with what it should have."""
    if expected.kind == "refuse":
        ok = _refused(answer)
        return Verdict(ok, len(answer.leads) + len(answer.rows), "" if ok else "answered instead of refusing")
    if not answer.tool_calls:
        return Verdict(False, 0, "no tool call (refused or asked back)")
    if expected.kind == "call":
        want = {"name": expected.call[0], "args": expected.call[1]}
        ok = answer.tool_calls == [want]
        return Verdict(ok, len(answer.tool_calls), "" if ok else "different tool call", [want], answer.tool_calls[:sample])
    if expected.kind in ("rows", "total"):
        return _judge_rows(expected, answer.rows, sample=sample)
    got = [lead["id"] for lead in answer.leads]
    if expected.kind == "ordered":
        ok = got == list(expected.ids)
        first_diff = next((i for i, (a, b) in enumerate(zip(got, expected.ids)) if a != b), min(len(got), len(expected.ids)))
        return Verdict(ok, len(got), "" if ok else f"order differs from position {first_diff + 1}",
                       missing=list(expected.ids[first_diff : first_diff + sample]), extra=got[first_diff : first_diff + sample])
    missing = sorted(set(expected.ids) - set(got))
    extra = sorted(set(got) - set(expected.ids))
    ok = not missing and not extra and len(got) == len(set(got))
    return Verdict(ok, len(set(got)), "" if ok else "different leads", missing=missing[:sample], extra=extra[:sample])


def _judge_rows(expected: Expected, rows: list[dict[str, Any]], *, sample: int) -> Verdict:
    digits = _ROUNDING.get(expected.metric or "count", 4)
    if expected.kind == "total":
        want = expected.rows[0][1]
        numbers = [row.get(expected.metric) for row in rows]
        if not rows and want in (0, None):
            return Verdict(True, 0)
        if len(rows) != 1 or expected.metric not in rows[0]:
            return Verdict(False, len(rows), f"expected one {expected.metric} total, got {len(rows)} rows", [want], rows[:sample])
        ok = _close(numbers[0], want, digits)
        return Verdict(ok, 1, "" if ok else "different total", [want], numbers)
    got: list[tuple[str, float | None]] = []
    for row in rows:
        if expected.group_by not in row or expected.metric not in row:
            return Verdict(False, len(rows), f"rows are not {expected.metric} by {expected.group_by}: {rows[:2]}")
        got.append((str(row[expected.group_by]), row[expected.metric]))
    want = dict(expected.rows)
    if expected.metric in ("count", "first_touch", "last_touch"):
        got = [(k, v) for k, v in got if v != 0 or k in want]  # a count of 0 is no row
    have = dict(got)
    missing = [(k, v) for k, v in expected.rows if k not in have or not _close(have[k], v, digits)]
    extra = [(k, v) for k, v in sorted(got, key=lambda kv: kv[0]) if k not in want or not _close(want[k], v, digits)]
    ok = not missing and not extra and len(have) == len(got)
    return Verdict(ok, len(got), "" if ok else "different rows", missing[:sample], extra[:sample])


# ---------------------------------------------------------------------------------------------
# Running the eval
# ---------------------------------------------------------------------------------------------


def resolve_now(value: str | None = None) -> datetime:
    """The eval's clock: `value`, else LEADPILOT_NOW, else DEFAULT_NOW (what the dataset's dates assume)."""
    if value is None:
        from leadpilot.settings import get_settings

        pinned = get_settings().now
        if pinned is not None:
            return pinned
    text = (value or DEFAULT_NOW).strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def apply_rule_scores(db: Any, *, now: datetime) -> bool:
    """Score every lead with the rule policy, when the scoring module is installed (tier and score
    cases need scores). Returns whether scores were applied."""
    try:
        from leadpilot.tools.scoring import rescore_leads
        from leadpilot.tools.scoring import load_policy
    except ImportError:  # HOOK: the scoring module is optional here; without it every tier is empty
        return False
    try:
        policy = load_policy()
    except ValueError as error:  # PolicyError names the file, the key and the fix
        raise EvalSetupError(f"cannot score the demo leads: {error}") from None
    rescore_leads(db, policy=policy, now=now)
    return True


@dataclass
class CaseResult:
    case: Case
    expected: Expected
    verdict: Verdict
    tool_calls: list[dict[str, Any]]
    answer: str
    seconds: float

    def miss(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "category": self.case.category,
            "turns": list(self.case.turns),
            "as_user": self.case.as_user,
            "tool_calls": self.tool_calls,
            "why": self.verdict.why,
            "expected_count": self.expected.size,
            "got_count": self.verdict.got_size,
            "expected_not_got": self.verdict.missing,
            "got_not_expected": self.verdict.extra,
            "answer": self.answer.splitlines()[0][:200] if self.answer else "",
        }


def _run_case(case: Case, expected: Expected, *, db: Any, settings: Any, now: datetime) -> CaseResult:
    """Ask the case's turns in one conversation, as its user; judge the last answer."""
    from leadpilot.agent.deps import AgentDeps
    from leadpilot.agent.runner import run_agent
    from leadpilot.interfaces.deps_factory import viewer_for

    viewer = viewer_for(db, email=case.as_user)
    deps = AgentDeps(db=db, settings=settings, now=now, viewer=viewer, conversation_id=f"nlq:{case.id}", channel="evals")
    started = time.perf_counter()
    answers = [run_agent(turn, deps=deps) for turn in case.turns]
    last = answers[-1]
    return CaseResult(case, expected, judge(expected, last), last.tool_calls, last.answer, time.perf_counter() - started)


def _select(cases: list[Case], case_ids: Sequence[str] | None, every: int) -> list[Case]:
    if case_ids:
        unknown = set(case_ids) - {c.id for c in cases}
        if unknown:
            raise DatasetError(f"no such case ids: {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.id in set(case_ids)]
    return sample_cases(cases, every)


def _ask_all(
    cases: Sequence[Case], *, backend: Backend, now: datetime, progress: Callable[[int, int], None] | None
) -> tuple[list[CaseResult], bool, str]:
    """Seed a throwaway store, score it, and run every case. Returns results, whether scores were
    applied, and the model name."""
    from leadpilot.memory.db import open_database
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="leadpilot-nlq-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'nlq.db'}")
        try:
            seed_demo(db, now=now)
            scored = apply_rule_scores(db, now=now)
            truth = Truth.from_store(db, now=now)
            truth.check(cases)
            # No row cap: result sets compare in full.
            settings = load_settings(now=now, llm_backend=backend, query_row_cap=100_000, data_dir=Path(tmp))
            results = []
            for index, case in enumerate(cases, start=1):
                results.append(_run_case(case, truth.expected(case), db=db, settings=settings, now=now))
                if progress:
                    progress(index, len(cases))
        finally:
            db.dispose()
    return results, scored, settings.model if backend == "openai" else "offline planner"


def _summary(results: Sequence[CaseResult]) -> dict[str, Any]:
    by_category: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_category[result.case.category].append(result.verdict.correct)
    return {
        name: {"cases": len(marks), "correct": sum(marks), "accuracy": round(sum(marks) / len(marks), 4)}
        for name, marks in sorted(by_category.items())
    }


def run_nlq_eval(
    *,
    backend: Backend = "offline",
    now: datetime | None = None,
    dataset: Path | None = None,
    case_ids: Sequence[str] | None = None,
    every: int = 1,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Seed a throwaway store at `now`, ask every case (or `case_ids`, or every `every`-th case of
    each category), and report exact-set accuracy, per category, and every miss.

    Raises DatasetError for a malformed dataset, EvalSetupError when the store cannot be prepared
    and AgentError when the model backend fails.
    """
    started = time.perf_counter()
    now = now or resolve_now()
    path = dataset or default_dataset_path()
    cases = _select(load_cases(path), case_ids, every)
    results, scored, model = _ask_all(cases, backend=backend, now=now, progress=progress)
    correct = sum(r.verdict.correct for r in results)
    accuracy = round(correct / len(results), 4) if results else 0.0
    turns = sum(len(r.case.turns) for r in results)
    return {
        "eval": "nlq",
        "backend": backend,
        "model": model,
        "now": now.isoformat(),
        "dataset": str(path),
        "scores_applied": scored,
        "cases": len(results),
        "correct": correct,
        "accuracy": accuracy,
        "min_accuracy": min_accuracy,
        "passed": accuracy >= min_accuracy,
        "by_category": _summary(results),
        "empty_expectations": [r.case.id for r in results if r.expected.kind in ("set", "ordered") and not r.expected.ids],
        "misses": [r.miss() for r in results if not r.verdict.correct],
        "seconds_per_question": round(sum(r.seconds for r in results) / max(1, turns), 4),
        "seconds_total": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------------------------------------
# For people
# ---------------------------------------------------------------------------------------------


def render_nlq(report: dict[str, Any], console: Console) -> None:
    verdict = "[green]pass[/green]" if report["passed"] else "[red]FAIL[/red]"
    console.print(
        f"[bold]NLQ eval[/bold] — {report['cases']} cases, backend {report['backend']} ({report['model']}), "
        f"clock {report['now']}: exact-set accuracy [bold]{report['accuracy']:.1%}[/bold] "
        f"({report['correct']}/{report['cases']}), threshold {report['min_accuracy']:.0%}: {verdict}"
    )
    console.print(accuracy_table("By category", group="category", rows=report["by_category"]))
    for miss in report["misses"]:
        turns = " → ".join(repr(t) for t in miss["turns"])
        who = f" (as {miss['as_user']})" if miss["as_user"] else ""
        lines = [f"{miss['id']} [{miss['category']}]{who}: {turns}",
                 f"  {miss['why']}; expected {miss['expected_count']}, got {miss['got_count']}"]
        lines += [f"  call {call['name']} {call['args']}" for call in miss["tool_calls"]]
        if miss["expected_not_got"] or miss["got_not_expected"]:
            lines.append(f"  expected, not got: {miss['expected_not_got']}; got, not expected: {miss['got_not_expected']}")
        if not miss["tool_calls"]:
            lines.append(f"  answer: {miss['answer']}")
        console.print(Text("miss ", style="red") + Text("\n".join(lines)), highlight=False)
    if not report["scores_applied"]:
        console.print("[yellow]warning:[/yellow] no scoring module: leads are unscored, tier and score cases cannot pass")
    if report["empty_expectations"]:
        console.print(f"[yellow]note:[/yellow] cases expecting no leads (weak checks): {', '.join(report['empty_expectations'])}")
    console.print(f"{report['seconds_per_question'] * 1000:.0f} ms per question, {report['seconds_total']:.1f} s in all")
