"""The `evals nlq` truth: the expected answer of every case, computed by evaluating the dataset's
filter language (described in evals/nlq.py) in plain Python over the facts read from the store,
deliberately apart from tools/leads/filter.py's SQL compilation: a compiler bug shows up as a miss
instead of agreeing with itself."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from leadpilot.evals.nlq_cases import EXPECT_KINDS, Case, DatasetError
from leadpilot.evals.nlq_facts import LeadFact, read_facts, read_rep_names
from leadpilot.evals.nlq_windows import in_window, resolve_instant, resolve_window
from leadpilot.memory.vocab import industry_group

__all__ = ["Expected", "Truth", "resolve_window"]

Scope = Literal["open", "closed", "all"]
SCOPES: tuple[Scope, ...] = ("open", "closed", "all")
_SEGMENT_BANDS = {"enterprise": (1000, None), "mid-market": (100, 999), "smb": (10, 99), "micro": (1, 9)}
_OPEN_STAGES = frozenset({"DISCOVERY", "LEAD", "PROSPECT", "OPPORTUNITY"})
# A filter naming one of these says which lifecycle it wants, so the open default does not apply
# (as in tools/leads/filter.py; `not_stage` only narrows the default: "not lost" with `scope: all`
# is open or won).
_LIFECYCLE_KEYS = frozenset({"stage", "converted", "open", "won_in"})
# Metrics over the lead list as it is now (open by default); every other metric reads history (all).
_OPEN_METRICS = frozenset({"count", "avg_score"})
_GROUPS = frozenset({"tier", "industry", "source", "channel", "owner", "stage", "country", "state", "city", "month",
                     "segment", "score_bucket", "seniority", "department"})
_REGIONS: dict[str, frozenset[str]] | None = None


def _regions() -> dict[str, frozenset[str]]:
    global _REGIONS
    if _REGIONS is None:
        from leadpilot.memory.geo import REGION_COUNTRIES  # data (which country is where), not query logic

        _REGIONS = {name.upper(): countries for name, countries in REGION_COUNTRIES.items()}
    return _REGIONS


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


def _is_open(lead: LeadFact) -> bool:
    return lead.stage in _OPEN_STAGES


def _in_scope(lead: LeadFact, scope: Scope) -> bool:
    return scope == "all" or _is_open(lead) == (scope == "open")


def scope_of(where: dict[str, Any], default: Scope) -> Scope:
    """The lifecycle a filter reads: its `scope`, else all when it names `stage`, `converted` or
    `open`, else `default`."""
    if "scope" in where:
        if where["scope"] not in SCOPES:
            raise DatasetError(f"bad scope {where['scope']!r}: use open, closed or all")
        return where["scope"]
    return "all" if _LIFECYCLE_KEYS & set(where) else default


@dataclass(frozen=True)
class _Context:
    """What a condition needs besides the lead: the clock and who "me" is."""

    now: datetime
    me: str | None


def _activity_holds(lead: LeadFact, spec: dict[str, Any], context: _Context) -> bool:
    unknown = set(spec) - {"kind", "page", "window", "absent"}
    if unknown or "kind" not in spec:
        raise DatasetError(f"bad activity {spec!r}: use kind, page, window, absent")
    window = resolve_window(spec["window"], context.now) if "window" in spec else (None, None)
    found = any(
        a.kind == spec["kind"]
        and ("page" not in spec or _page_matches(a.detail, spec["page"]))
        and in_window(a.occurred_at, window)
        for a in lead.activities
    )
    return not found if spec.get("absent") else found


def _owner_key(value: str, context: _Context) -> str | None:
    if value == "me":
        return context.me
    return None if value == "unassigned" else value.lower()


_CATEGORICAL: dict[str, Callable[[LeadFact], Any]] = {
    "tier": lambda lead: lead.tier,
    "industry": lambda lead: lead.industry,
    "country": lambda lead: lead.country,
    "state": lambda lead: lead.state,
    "city": lambda lead: lead.city,
    "source": lambda lead: lead.source,
    "channel": lambda lead: lead.channel,
    "stage": lambda lead: lead.stage,
    "segment": lambda lead: _segment_of(lead.company_size),
    "seniority": lambda lead: lead.seniority,
    "department": lambda lead: lead.department,
}


def _member(key: str, spec: Any, lead: LeadFact, context: _Context) -> bool:
    """Is the lead's value for a categorical key one of `spec`?"""
    values = _listed(spec)
    if key == "region":
        regions = _regions()
        unknown = [v for v in values if v.upper() not in regions]
        if unknown:
            raise DatasetError(f"unknown region {unknown[0]!r}; use one of {', '.join(sorted(regions))}")
        return any((lead.country or "") in regions[region.upper()] for region in values)
    if key == "owner":
        # "me" from someone who is not a rep matches nothing.
        return lead.owner in {_owner_key(v, context) for v in values if v != "me" or context.me is not None}
    value = _CATEGORICAL[key](lead)
    if value is None:
        return False
    wanted = {v.lower() for v in values}
    if key == "industry":  # "education" is the group (edtech, e-learning…); "edtech" is the team's own value
        return value.lower() in wanted or industry_group(value) in wanted
    return value.lower() in wanted


_MEMBERSHIP_KEYS = frozenset({*_CATEGORICAL, "region", "owner"})


def _filled(value: str | None) -> bool:
    return bool((value or "").strip())


def _any_of(spec: Any, lead: LeadFact, context: _Context) -> bool:
    """At least one sub-filter holds (a sub-filter has no any_of or scope of its own)."""
    if not isinstance(spec, list) or not spec or not all(isinstance(sub, dict) and sub for sub in spec):
        raise DatasetError(f"any_of takes a non-empty list of filters, got {spec!r}")
    if any({"any_of", "scope"} & set(sub) for sub in spec):
        raise DatasetError("a filter inside any_of cannot have any_of or scope of its own")
    return any(all(_condition(k, v, lead, context) for k, v in sub.items()) for sub in spec)


def _condition(key: str, spec: Any, lead: LeadFact, context: _Context) -> bool:
    if key in _MEMBERSHIP_KEYS:
        return _member(key, spec, lead, context)
    if key.startswith("not_") and key[4:] in _MEMBERSHIP_KEYS:
        return not _member(key[4:], spec, lead, context)
    checks: dict[str, Callable[[], bool]] = {
        "employees": lambda: _in_range(lead.company_size, spec),
        "score": lambda: _in_range(lead.score, spec),
        "probability": lambda: _in_range(lead.probability, spec),
        "open": lambda: _is_open(lead) == bool(spec),
        "converted": lambda: lead.converted is bool(spec),
        # Closed won within a window: a customer (or converted lead) whose conversion date falls in it.
        "won_in": lambda: (lead.converted is True or lead.stage == "CUSTOMER")
        and in_window(lead.converted_at, resolve_window(spec, context.now)),
        "created": lambda: in_window(lead.created_at, resolve_window(spec, context.now)),
        "contacted": lambda: in_window(lead.last_contacted_at, resolve_window(spec, context.now)),
        "not_contacted_days": lambda: lead.last_contacted_at is None
        or lead.last_contacted_at < context.now - timedelta(days=int(spec)),
        "not_contacted_since": lambda: lead.last_contacted_at is None
        or lead.last_contacted_at < resolve_instant(spec, context.now),
        "never_contacted": lambda: (lead.last_contacted_at is None) == bool(spec),
        "activity": lambda: all(_activity_holds(lead, item, context) for item in (spec if isinstance(spec, list) else [spec])),
        "company": lambda: (lead.company or "").lower() == str(spec).lower(),
        "id": lambda: lead.id in {int(v) for v in _listed(spec)},
        "has_phone": lambda: _filled(lead.phone) == bool(spec),
        "has_email": lambda: _filled(lead.email) == bool(spec),
        "any_of": lambda: _any_of(spec, lead, context),
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
    if metric == "conversion_rate":  # won of closed (CUSTOMER or LOST): an open lead is undecided, whatever its flag says
        closed = [lead for lead in leads if not _is_open(lead)]
        return sum(1 for lead in closed if lead.converted or lead.stage == "CUSTOMER") / len(closed) if closed else None
    if metric in ("median_hours", "p90_hours"):
        hours = [h for h in map(_hours_to_first_contact, leads) if h is not None]
        return _interpolated(hours, 0.5 if metric == "median_hours" else 0.9)
    raise DatasetError(f"unknown metric {metric!r}: use count, avg_score, conversion_rate, median_hours or p90_hours "
                       "(first_touch and last_touch go with group_by channel)")


@dataclass(frozen=True)
class Expected:
    """What a case should get: lead ids (ordered or as a set), aggregate rows, a refusal, a tool
    call, or several of these in order (`parts`); and what the answer must say it read."""

    kind: Literal["set", "ordered", "rows", "total", "refuse", "call", "parts", "asks", "owner", "unknown"]
    ids: tuple[int, ...] = ()
    call: tuple[str, dict[str, Any]] | None = None  # for "call": the tool and its arguments
    rows: tuple[tuple[str, float | None], ...] = ()
    group_by: str | None = None
    metric: str | None = None
    refusal: Literal["unknown", "write"] | None = None  # for "refuse": which message
    parts: tuple[Expected, ...] = ()  # for "parts": one expectation per tool result, in order
    reads: tuple[str, ...] = ()  # words the answer must say it read ("Read 'helthcare' as healthcare")
    scope: Scope | None = None  # the lifecycle the leads or rows were read over
    # asks: the candidate companies; owner: what may name the owner; unknown: the value (evals/nlq_said.py)
    names: tuple[str, ...] = ()
    others: tuple[str, ...] = ()  # owner: the other reps, whom the answer must not name
    field: str | None = None  # unknown: the field the value is not a value of

    @property
    def size(self) -> int:
        if self.kind == "parts":
            return sum(part.size for part in self.parts)
        return len(self.rows) if self.kind in ("rows", "total") else len(self.ids)


class Truth:
    """The expected answer of every case, computed from the facts."""

    def __init__(self, leads: Sequence[LeadFact], *, now: datetime, roles: dict[str, str] | None = None,
                 rep_names: dict[str, str] | None = None):
        self.leads = list(leads)
        self.now = now
        self.roles = {k.lower(): v for k, v in (roles or {}).items()}
        self.rep_names = {k.lower(): v for k, v in (rep_names or {}).items()}  # email -> name

    @classmethod
    def from_store(cls, db: Any, *, now: datetime) -> Truth:
        leads, roles = read_facts(db)
        return cls(leads, now=now, roles=roles, rep_names=read_rep_names(db))

    def visible(self, as_user: str | None) -> list[LeadFact]:
        """A rep sees their own and unassigned leads; managers, admins and no identity see all."""
        if as_user is None or self.roles.get(as_user.lower(), "rep") in ("admin", "manager"):
            return self.leads
        me = as_user.lower()
        return [lead for lead in self.leads if lead.owner in (me, None)]

    def select(self, where: dict[str, Any], *, as_user: str | None = None, default_scope: Scope = "open") -> list[LeadFact]:
        """The visible leads the filter holds for, within its lifecycle scope (see `scope_of`)."""
        if not isinstance(where, dict):
            raise DatasetError(f"a filter is a mapping of conditions, got {where!r}")
        scope = scope_of(where, default_scope)
        context = _Context(now=self.now, me=as_user.lower() if as_user else None)
        conditions = [(k, v) for k, v in where.items() if k != "scope"]
        return [
            lead for lead in self.visible(as_user)
            if _in_scope(lead, scope) and all(_condition(k, v, lead, context) for k, v in conditions)
        ]

    def expected(self, case: Case) -> Expected:
        expect = case.expect
        reads = expect.get("reads") or []
        if not isinstance(reads, list) or not all(isinstance(word, str) and word.strip() for word in reads):
            raise DatasetError(f"case {case.id!r}: `reads` is a list of words")
        if "parts" in expect:
            parts = expect["parts"]
            if not isinstance(parts, list) or len(parts) < 2:
                raise DatasetError(f"case {case.id!r}: `parts` is a list of two or more expectations")
            found = tuple(self._single(part, case, where=f"part {n}") for n, part in enumerate(parts, start=1))
            if any(part.kind == "refuse" for part in found):
                raise DatasetError(f"case {case.id!r}: a part cannot be a refusal")
            return Expected(kind="parts", parts=found, reads=tuple(reads))
        single = self._single(expect, case, where="expect")
        return replace(single, reads=tuple(reads))

    def _single(self, expect: Any, case: Case, *, where: str) -> Expected:
        """One expectation: exactly one of leads, rows, lead, refuse, call (with order/limit/offset)."""
        kinds = [k for k in EXPECT_KINDS if k != "parts" and isinstance(expect, dict) and k in expect]
        if len(kinds) != 1:
            raise DatasetError(f"case {case.id!r}: {where} needs exactly one of {', '.join(k for k in EXPECT_KINDS if k != 'parts')}")
        if kinds[0] in ("asks", "owner", "unknown"):
            if set(expect) - {kinds[0], "reads"}:
                raise DatasetError(f"case {case.id!r}: {where}: `{kinds[0]}` takes no order, limit or offset")
            return self._said(kinds[0], expect[kinds[0]], case)
        extra = set(expect) - {kinds[0], "order", "limit", "offset", "reads"}
        if extra:
            raise DatasetError(f"case {case.id!r}: {where} has unknown keys {sorted(extra)}")
        if "refuse" in expect:
            refusal = {True: "unknown", "write": "write"}.get(expect["refuse"])
            if refusal is None:
                raise DatasetError(f"case {case.id!r}: `refuse` is true (out of scope) or write (a write request)")
            return Expected(kind="refuse", refusal=refusal)  # type: ignore[arg-type]
        if "call" in expect:
            call = expect["call"]
            if not isinstance(call, dict) or set(call) - {"name", "args"} or not isinstance(call.get("name"), str):
                raise DatasetError(f"case {case.id!r}: `call` takes name and args")
            return Expected(kind="call", call=(call["name"], call.get("args") or {}))
        if "rows" in expect:
            return self._rows(expect["rows"], as_user=case.as_user)
        if "lead" in expect:
            leads, scope = self._the_lead(expect["lead"], case)
        else:
            where_ = expect["leads"] or {}
            leads, scope = self.select(where_, as_user=case.as_user), scope_of(where_ if isinstance(where_, dict) else {}, "open")
        if "order" not in expect and "limit" not in expect and "offset" not in expect:
            return Expected(kind="set", ids=tuple(lead.id for lead in leads), scope=scope)
        ordered = self.ordered(leads, str(expect.get("order", "score desc")))
        offset = int(expect.get("offset", 0))
        limit = expect.get("limit")
        ids = tuple(lead.id for lead in ordered[offset : offset + limit if limit else None])
        return Expected(kind="ordered", ids=ids, scope=scope)

    def _the_lead(self, spec: Any, case: Case) -> tuple[list[LeadFact], Scope]:
        """`lead: {id}` is that lead; `lead: {company}` is the company's open lead(s), or, when it
        has none open, its closed ones (a name resolves to the lead a rep would work)."""
        if not isinstance(spec, dict) or not spec or not set(spec) <= {"id", "company"}:
            raise DatasetError(f"case {case.id!r}: `lead` takes id or company")
        every = self.select({**spec, "scope": "all"}, as_user=case.as_user)
        if "id" in spec:
            return every, "all"
        open_ones = [lead for lead in every if _is_open(lead)]
        return (open_ones, "open") if open_ones else (every, "closed")

    def _said(self, kind: str, spec: Any, case: Case) -> Expected:
        """What the answer must say (evals/nlq_said.py), checked against the visible leads."""
        from leadpilot.evals import nlq_said

        visible = self.visible(case.as_user)
        if kind == "asks":
            companies = {lead.company for lead in visible if lead.company}
            return Expected(kind="asks", names=nlq_said.asks_truth(spec, companies, case.id))
        if kind == "owner":
            leads, scope = self._the_lead(spec, case)
            names, others = nlq_said.owner_truth({lead.owner for lead in leads}, self.rep_names, case.id)
            return Expected(kind="owner", ids=tuple(lead.id for lead in leads), names=names, others=others, scope=scope)
        field = next(iter(spec)) if isinstance(spec, dict) and len(spec) == 1 else None
        values = [getattr(lead, field) for lead in visible] if field in nlq_said.UNKNOWN_FIELDS else []
        field, value = nlq_said.unknown_truth(spec, values, case.id)
        return Expected(kind="unknown", names=(value,), field=field)

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

    def _rows(self, spec: Any, *, as_user: str | None) -> Expected:
        """Aggregate rows; counts and average scores read open leads by default, every other metric
        (conversion rate, speed to lead, attribution) reads history: all leads."""
        if not isinstance(spec, dict) or set(spec) - {"group_by", "metric", "where"}:
            raise DatasetError(f"bad rows {spec!r}: use group_by, metric, where")
        metric = spec.get("metric", "count")
        group_by = spec.get("group_by")
        if group_by is not None and group_by not in _GROUPS:
            raise DatasetError(f"unknown group_by {group_by!r}; use one of {', '.join(sorted(_GROUPS))}")
        where = spec.get("where") or {}
        default: Scope = "open" if metric in _OPEN_METRICS else "all"
        leads = self.select(where, as_user=as_user, default_scope=default)
        scope = scope_of(where, default)
        if metric in ("first_touch", "last_touch"):
            if group_by != "channel":
                raise DatasetError("metrics first_touch and last_touch go with group_by channel")
            won = [lead for lead in leads if lead.converted]
            counts = Counter(lead.source if metric == "first_touch" else _last_touch(lead) for lead in won)
            return Expected(kind="rows", rows=tuple(sorted(counts.items())), group_by=group_by, metric=metric, scope=scope)
        if group_by is None:
            return Expected(kind="total", rows=(("total", _metric(leads, metric)),), metric=metric, scope=scope)
        groups: dict[str, list[LeadFact]] = defaultdict(list)
        for lead in leads:
            groups[_group_value(lead, group_by)].append(lead)
        rows = tuple(sorted((name, _metric(members, metric)) for name, members in groups.items()))
        return Expected(kind="rows", rows=rows, group_by=group_by, metric=metric, scope=scope)

    def check(self, cases: Iterable[Case]) -> list[Expected]:
        """Evaluate every expectation once, so a typo in the dataset fails before any question runs;
        returns them in the cases' order."""
        found = []
        for case in cases:
            try:
                found.append(self.expected(case))
            except DatasetError as error:
                message = str(error)
                raise DatasetError(message if message.startswith(f"case {case.id!r}") else f"case {case.id!r}: {message}") from None
        return found
