"""The `evals nlq` truth: the expected answer of every case, computed by evaluating the dataset's
filter language (described in evals/nlq.py) in plain Python over the facts read from the store,
deliberately apart from tools/leads/filter.py's SQL compilation: a compiler bug shows up as a miss
instead of agreeing with itself."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time as clock_time, timedelta, timezone
from typing import Any, Literal

from leadpilot.evals.nlq_cases import Case, DatasetError
from leadpilot.evals.nlq_facts import LeadFact, read_facts

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_SEGMENT_BANDS = {"enterprise": (1000, None), "mid-market": (100, 999), "smb": (10, 99), "micro": (1, 9)}
_REGIONS: dict[str, frozenset[str]] | None = None
_OPEN_STAGES = frozenset({"DISCOVERY", "LEAD", "PROSPECT", "OPPORTUNITY"})


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
