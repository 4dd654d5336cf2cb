"""What routing reads from and writes to the store: the roster snapshot, account owners, pointers.

Reads only, except `save_pointer`. The decision logic lives in engine.py and never sees a
session; this module turns rows into its plain facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from leadpilot.memory.company_names import company_key
from leadpilot.memory.models import Assignment, Lead, Rep, RepTimeOff, RoutingPointer
from leadpilot.memory.reps import open_lead_counts
from leadpilot.memory.vocab import OPEN_STAGES, segment_of
from leadpilot.tools.routing.decision import PointerMove
from leadpilot.memory.routing_state import RoutingAccount
from leadpilot.tools.routing.account_facts import DeclaredAccount, declared_accounts
from leadpilot.tools.routing.facts import (
    OTHER_COLUMNS,
    RECENT_WINDOW,
    AccountOwner,
    ClosedLead,
    LeadFacts,
    PerformanceBook,
    Pointer,
    RepRow,
    RoutingSnapshot,
    TimeOff,
    Workload,
    build_roster,
)
from leadpilot.tools.routing.policy import RoutingPolicy

from leadpilot.tools.routing.sticky import ACCOUNT_STAGES  # leads that make their account "owned" by default: open, or won


_REPS = select(*(getattr(Rep, name) for name in (
    "id", "email", "name", "role", "active", "timezone", "working_hours", "languages", "industries", "capacity", "daily_cap",
    "routing_weight", "team", "territories", "segments", "attributes"))).order_by(Rep.id)
_PERIODS = select(RepTimeOff.rep_id, RepTimeOff.starts_at, RepTimeOff.ends_at, RepTimeOff.reason).order_by(RepTimeOff.rep_id, RepTimeOff.id)


def rep_rows(session: Session) -> list[RepRow]:
    """The roster as plain rows: two column queries, no ORM objects (read on every single-lead call)."""
    time_off: dict[int, list[TimeOff]] = {}
    for rep_id, starts_at, ends_at, reason in session.execute(_PERIODS):
        time_off.setdefault(rep_id, []).append(TimeOff(starts_at, ends_at, reason, "roster"))
    reps = session.execute(_REPS)
    return [
        RepRow(
            id=rep.id, email=rep.email, name=rep.name, role=rep.role, active=rep.active, timezone=rep.timezone,
            working_hours=rep.working_hours or None, languages=tuple(rep.languages or ()),
            industries=tuple(rep.industries or ()), capacity=rep.capacity, daily_cap=rep.daily_cap,
            routing_weight=rep.routing_weight, time_off=tuple(time_off.get(rep.id, ())),
            team=rep.team, territories=tuple(rep.territories or ()), segments=tuple(rep.segments or ()),
            attributes=rep.attributes or None,
        )
        for rep in reps
    ]


def recent_assignments(session: Session, *, now: datetime) -> dict[int, list[datetime]]:
    query = select(Assignment.rep_id, Assignment.assigned_at).where(
        Assignment.rep_id.is_not(None), Assignment.assigned_at >= now - RECENT_WINDOW, Assignment.assigned_at <= now
    )
    recent: dict[int, list[datetime]] = {}
    for rep_id, at in session.execute(query):
        recent.setdefault(rep_id, []).append(at)
    return recent


def last_lead_times(session: Session, *, now: datetime) -> dict[int, datetime]:
    """Each rep's latest assignment up to `now` (any day): how long they have waited (today.py's strategies)."""
    query = select(Assignment.rep_id, func.max(Assignment.assigned_at)).where(
        Assignment.rep_id.is_not(None), Assignment.assigned_at <= now).group_by(Assignment.rep_id)
    return {rep_id: at for rep_id, at in session.execute(query)}


def load_pointers(session: Session, *, lock: bool = False) -> dict[str, Pointer]:
    query = select(RoutingPointer)
    if lock:
        query = query.with_for_update()
    return {row.pool: Pointer(row.position, row.last_rep_id) for row in session.scalars(query)}


def closed_leads(session: Session) -> list[ClosedLead]:
    query = select(Lead.owner_id, Lead.company_size, Lead.industry, Lead.converted, Lead.created_at).where(
        Lead.owner_id.is_not(None), Lead.converted.is_not(None)
    )
    closed = []
    for owner_id, size, industry, converted, created_at in session.execute(query):
        segment = segment_of(size)
        closed.append(ClosedLead(owner_id, "smb" if segment == "micro" else segment, industry, bool(converted), created_at))
    return closed


def load_snapshot(session: Session, *, policy: RoutingPolicy, now: datetime, lock_pointers: bool = False) -> RoutingSnapshot:
    """The roster (with the policy's per-rep settings), workload and pointers as of `now`.
    Conversion history is read only when a performance-weighted pool needs it."""
    return RoutingSnapshot(
        reps=build_roster(rep_rows(session), policy),
        workload=Workload(open_lead_counts(session), recent_assignments(session, now=now)),
        pointers=load_pointers(session, lock=lock_pointers),
        performance_loader=lambda: PerformanceBook(closed_leads(session)),
        accounts=declared_accounts(policy, imported_accounts(session)) if policy.account_matching.enabled else None,
        last_leads_loader=lambda: last_lead_times(session, now=now),
    )


def roster_problems(session: Session, policy: RoutingPolicy) -> list[str]:
    """What in the policy cannot fit the roster in the store: a `where:` key no rep has (policy_roster)."""
    from leadpilot.tools.routing.policy_roster import where_problems

    return where_problems(policy, build_roster(rep_rows(session), policy))


def policy_problems(session: Session, policy: RoutingPolicy) -> list[Any]:
    """The whole policy checked against the roster in the store (policy_check: `leadpilot routing check`)."""
    from leadpilot.tools.routing.policy_check import check_policy

    return check_policy(policy, build_roster(rep_rows(session), policy))


def imported_accounts(session: Session) -> list[DeclaredAccount]:
    """The accounts imported with `leadpilot accounts import`."""
    rows = session.scalars(select(RoutingAccount).order_by(RoutingAccount.id))
    return [DeclaredAccount(row.domain, row.company, row.owner_email.lower(), row.team, f"imported from {row.source}") for row in rows]


def save_pointer(session: Session, *, move: PointerMove, now: datetime) -> None:
    row = session.get(RoutingPointer, move.pool)
    if row is None:
        session.add(RoutingPointer(pool=move.pool, position=move.position, last_rep_id=move.last_rep_id, updated_at=now))
    else:
        row.position, row.last_rep_id, row.updated_at = move.position, move.last_rep_id, now


def _account_query(lead: LeadFacts, stages: Sequence[str]):
    query = select(Lead.id, Lead.owner_id, Lead.company, Lead.stage, Lead.domain).where(
        Lead.owner_id.is_not(None), Lead.stage.in_(stages)
    )
    if lead.id is not None:
        query = query.where(Lead.id != lead.id)
    return query.order_by(Lead.created_at.desc(), Lead.id.desc())


def find_account_owner(session: Session, *, lead: LeadFacts, match_on: Sequence[str],
                       stages: Sequence[str] = ACCOUNT_STAGES) -> AccountOwner | None:
    """The owner of the lead's account: its most recent lead in `stages` (open or won; sticky.account_stages)
    with the same domain, else (when matching on company) the same company name as
    memory.company_names compares them (case, accents, punctuation and legal suffixes aside)."""
    for key in match_on:
        if key == "domain" and lead.domain:
            row = session.execute(_account_query(lead, stages).where(Lead.domain == lead.domain).limit(1)).first()
            if row is not None:
                return AccountOwner(row.owner_id, "domain", lead.domain, row.id, row.company, row.stage)
        if key == "company" and (wanted := company_key(lead.company)):
            rows = session.execute(_account_query(lead, stages).where(func.lower(Lead.company).contains(key_word(wanted), autoescape=True)))
            for row in rows:
                if company_key(row.company) == wanted:
                    return AccountOwner(row.owner_id, "company", lead.company or wanted, row.id, row.company, row.stage)
    return None


def key_word(key: str) -> str:
    """The most telling word of a company key, to narrow a search before comparing keys exactly.
    (A name whose longest word carries accents the other spelling lacks can be missed.)"""
    return max(key.split(), key=len)


class AccountIndex:
    """Account owners for a batch, read once; leads routed in the batch join their accounts."""

    def __init__(self, rows: Iterable[tuple[int, int, str | None, str | None, str]]):
        self._by_domain: dict[str, list[tuple[int, int, str | None, str]]] = {}
        self._by_company: dict[str, list[tuple[int, int, str | None, str]]] = {}
        for lead_id, owner_id, company, domain, stage in rows:
            self.add(lead_id=lead_id, owner_id=owner_id, company=company, domain=domain, stage=stage)

    @classmethod
    def for_leads(cls, session: Session, leads: Sequence[LeadFacts], *, match_on: Sequence[str],
                  stages: Sequence[str] = ACCOUNT_STAGES) -> AccountIndex:
        """The account owners any of `leads` can match, read once for them all: what
        find_account_owner reads lead by lead. Per domain its two latest owners (the latest one
        that is not the lead itself wins); per company name one scan of the names containing the
        keys' telling words, kept when the key is the same."""
        columns = (Lead.id, Lead.owner_id, Lead.company, Lead.domain, Lead.stage, Lead.created_at)
        owned = select(*columns).where(Lead.owner_id.is_not(None), Lead.stage.in_(stages))
        rows: dict[int, Any] = {}
        for domain in sorted({lead.domain for lead in leads if lead.domain} if "domain" in match_on else ()):
            latest = owned.where(Lead.domain == domain).order_by(Lead.created_at.desc(), Lead.id.desc()).limit(2)
            rows.update((row.id, row) for row in session.execute(latest))
        keys = {key for lead in leads if (key := company_key(lead.company))} if "company" in match_on else set()
        if keys:
            words = sorted({key_word(key) for key in keys})
            named = select(Lead.id, Lead.company).where(Lead.owner_id.is_not(None), Lead.stage.in_(stages), or_(
                *(func.lower(Lead.company).contains(word, autoescape=True) for word in words)))
            same = [lead_id for lead_id, company in session.execute(named) if company_key(company) in keys]
            for start in range(0, len(same), 900):
                rows.update((row.id, row) for row in session.execute(owned.where(Lead.id.in_(same[start:start + 900]))))
        ordered = sorted(rows.values(), key=lambda row: (row.created_at, row.id))
        return cls((row.id, row.owner_id, row.company, row.domain, row.stage) for row in ordered)

    @classmethod
    def load(cls, session: Session, stages: Sequence[str] = ACCOUNT_STAGES) -> AccountIndex:
        query = select(Lead.id, Lead.owner_id, Lead.company, Lead.domain, Lead.stage).where(
            Lead.owner_id.is_not(None), Lead.stage.in_(stages)
        ).order_by(Lead.created_at, Lead.id)
        return cls(session.execute(query))

    def add(self, *, lead_id: int | None, owner_id: int, company: str | None, domain: str | None, stage: str = "LEAD") -> None:
        entry = (lead_id or 0, owner_id, company, stage)
        if domain:
            self._by_domain.setdefault(domain.lower(), []).append(entry)
        if (key := company_key(company)) is not None:
            self._by_company.setdefault(key, []).append(entry)

    def copy(self) -> AccountIndex:
        clone = AccountIndex(())
        clone._by_domain = {key: list(entries) for key, entries in self._by_domain.items()}
        clone._by_company = {key: list(entries) for key, entries in self._by_company.items()}
        return clone

    def owner_of(self, lead: LeadFacts, *, match_on: Sequence[str], stages: Sequence[str] = ACCOUNT_STAGES) -> AccountOwner | None:
        """The latest owner by domain, then by company, of a lead in `stages` other than this one (an
        index read with more stages than asked, as a pipeline batch's, still answers for `stages`)."""
        for key in match_on:
            table, value = (self._by_domain, lead.domain) if key == "domain" else (self._by_company, company_key(lead.company))
            for lead_id, owner_id, company, stage in reversed(table.get(value or "", [])):
                if lead_id != lead.id and stage in stages:
                    shown = lead.domain if key == "domain" else (lead.company or value)
                    return AccountOwner(owner_id, key, shown or "", lead_id, company, stage)
        return None


def lead_facts(session: Session, *, lead_ids: Sequence[int], other: Iterable[str] | None = None) -> list[LeadFacts]:
    """Facts for these leads, in the order given (unknown ids are left out). `other`: the columns
    besides LeadFacts' own to read (those the policy's conditions test; default all of OTHER_COLUMNS)."""
    wanted = OTHER_COLUMNS if other is None else tuple(name for name in OTHER_COLUMNS if name in set(other))
    names, query = _facts_query(wanted)
    rows: dict[int, LeadFacts] = {}
    for start in range(0, len(lead_ids), 5000):
        chunk = list(lead_ids[start : start + 5000])
        # a plain dict per row: LeadFacts.of reads ~30 names, and a Row's mapping answers .get through the ABC
        rows.update((row[0], LeadFacts.of(dict(zip(names, row)))) for row in session.execute(query, {"ids": chunk}))
    return [rows[i] for i in lead_ids if i in rows]


@lru_cache(maxsize=64)
def _facts_query(other: tuple[str, ...]) -> tuple[list[str], Select]:
    """The column names and the statement reading them for a list of lead ids, built once (a
    select of ~30 columns costs about a millisecond to build, per single-lead call)."""
    names = [name for name in (*LeadFacts.__dataclass_fields__, *other) if name != "other"]
    return names, select(*(getattr(Lead, name) for name in names)).where(Lead.id.in_(bindparam("ids", expanding=True)))


def unassigned_open_lead_ids(session: Session) -> list[int]:
    query = select(Lead.id).where(Lead.owner_id.is_(None), Lead.stage.in_([s.value for s in OPEN_STAGES])).order_by(Lead.created_at, Lead.id)
    return list(session.scalars(query))
