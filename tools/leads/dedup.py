"""Duplicate leads and lead-to-account matching: exact (email) and fuzzy (company, domain, phone).

A match says which fields agreed and how sure it is. "Same person" (email, phone, or name at the
same company) is a merge candidate; "same account" (domain or company only) links a lead to a
company we already know, and a CUSTOMER-stage lead there makes it an existing customer. A match
also says when the store flagged the two as likely duplicates (memory.likely_duplicates: records
with the same email and different external ids, kept apart on the way in).
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_change
from leadpilot.memory.company_names import company_key, person_key
from leadpilot.memory.likely_duplicates import likely_duplicates_of
from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import Stage
from leadpilot.tools.enrichment import normalise_domain
from leadpilot.tools.enrichment import check_email
from leadpilot.tools.enrichment import parse_phone

COMPANY_FUZZY_CUTOFF = 88  # rapidfuzz ratio (0-100) for "the same company, spelled differently"
# Weak candidates (domain or company only) re-read and scored per match; beyond this many, only the
# ones that can rank are (see _Catalogue.candidates). Never below the caller's `limit`.
CANDIDATE_CAP = 50
# How much each agreeing field says about "same record"; combined as 1 - prod(1 - w).
_WEIGHTS = {"email": 1.0, "phone": 0.9, "contact_at_company": 0.9, "domain": 0.6, "company": 0.5, "company_fuzzy": 0.4}
_PERSON_FIELDS = frozenset({"email", "phone", "contact_at_company"})
_DIGITS = re.compile(r"\D+")
# Record fields a merge may fill on the lead that is kept.
MERGEABLE_FIELDS = (
    "external_id", "company", "website", "domain", "contact_name", "email", "phone", "job_title", "industry",
    "company_size", "country", "state", "city", "language", "notes", "last_contacted_at", "owner_id",
)


@dataclass(frozen=True)
class Probe:
    """What we match on, normalised."""

    email: str | None = None
    domain: str | None = None
    company: str | None = None  # company_key
    contact: str = ""
    phone: str | None = None  # E.164
    exclude_id: int | None = None


@dataclass
class Match:
    lead_id: int
    company: str | None
    contact_name: str | None
    email: str | None
    stage: str
    confidence: float
    matched: list[str]  # the fields that agreed
    relation: str  # same_person | same_account
    is_customer: bool
    company_similarity: float | None = None
    # The leads this one is flagged as a likely duplicate of; `flagged`: the probe's own lead is among them.
    likely_duplicate_of: list[int] = field(default_factory=list)
    flagged: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _phone_e164(phone: str | None, country: str | None) -> str | None:
    if not phone:
        return None
    parsed = parse_phone(phone=phone, country=country)
    return parsed.e164 if parsed else None


def probe_for(*, email: str | None = None, company: str | None = None, domain: str | None = None,
              phone: str | None = None, contact_name: str | None = None, country: str | None = None,
              website: str | None = None, exclude_id: int | None = None) -> Probe:
    corporate = None
    if email:
        check = check_email(email=email)
        email = check.email if check.valid_syntax else None
        corporate = check.corporate_domain
    registrable = None
    for text in (website, domain, corporate):
        if text and (info := normalise_domain(text=text)):
            registrable = info.domain
            break
    return Probe(email=email, domain=registrable, company=company_key(company), contact=person_key(contact_name),
                 phone=_phone_e164(phone, country), exclude_id=exclude_id)


def probe_for_lead(lead: Lead) -> Probe:
    return probe_for(email=lead.email, company=lead.company, domain=lead.domain, phone=lead.phone,
                     contact_name=lead.contact_name, country=lead.country, website=lead.website, exclude_id=lead.id)


_LIGHT_COLUMNS = (Lead.id, Lead.company, Lead.contact_name, Lead.email, Lead.domain, Lead.website, Lead.phone, Lead.country,
                  Lead.stage, Lead.updated_at)
_CANDIDATE_COLUMNS = (*_LIGHT_COLUMNS, Lead.extra)  # a candidate re-read fresh: with its likely-duplicate flags


def _row_domain(row: Any) -> str | None:
    for text in (row.website, row.domain):
        if text and (info := normalise_domain(text=text)):
            return info.domain
    return None


@dataclass
class _Catalogue:
    """Normalised match keys of every lead, kept per engine and refreshed incrementally (new ids,
    and rows updated since the last look), so a match costs dictionary lookups plus one fuzzy pass
    in C over the company keys instead of normalising every lead each time. Candidates are re-read
    from the database before scoring, so a stale entry can only cost a lookup, never a wrong match."""

    company: dict[int, str] = field(default_factory=dict)  # id -> company_key (fuzzy matching)
    keys: dict[int, tuple[str, ...]] = field(default_factory=dict)  # id -> its exact keys, to unindex on change
    exact: dict[str, set[int]] = field(default_factory=dict)  # "email:..", "domain:..", "phone:<last 6>", "person:.." -> ids
    customers: set[int] = field(default_factory=set)  # CUSTOMER-stage ids: they rank first among equals
    max_id: int = 0
    stamp: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _put(self, row: Any) -> None:
        self._drop(row.id)
        if key := company_key(row.company):
            self.company[row.id] = key
        keys = []
        if row.email:
            keys.append("email:" + row.email.lower())
        if domain := _row_domain(row):
            keys.append("domain:" + domain)
        if row.phone and len(digits := _DIGITS.sub("", row.phone)) >= 6:
            keys.append("phone:" + digits[-6:])
        if person := person_key(row.contact_name):
            keys.append("person:" + person)
        if row.stage == Stage.CUSTOMER.value:
            self.customers.add(row.id)
        self.keys[row.id] = tuple(keys)
        for key in keys:
            self.exact.setdefault(key, set()).add(row.id)

    def _drop(self, lead_id: int) -> None:
        self.company.pop(lead_id, None)
        self.customers.discard(lead_id)
        for key in self.keys.pop(lead_id, ()):
            self.exact.get(key, set()).discard(lead_id)

    def refresh(self, session: Session) -> None:
        query = select(*_LIGHT_COLUMNS)
        if self.max_id:
            query = query.where(or_(Lead.id > self.max_id, Lead.updated_at > self.stamp) if self.stamp else Lead.id > self.max_id)
        for row in session.execute(query):
            self._put(row)
            self.max_id = max(self.max_id, row.id)
            if row.updated_at is not None and (self.stamp is None or row.updated_at > self.stamp):
                self.stamp = row.updated_at
        # Deleted (or merged) leads: rebuild when the table holds fewer rows than we know.
        if len(self.keys) > (session.scalar(select(func.count()).select_from(Lead)) or 0):
            self.company.clear(), self.keys.clear(), self.exact.clear(), self.customers.clear()
            self.max_id, self.stamp = 0, None
            self.refresh(session)

    def candidates(self, probe: Probe, *, limit: int) -> tuple[set[int], dict[int, float]]:
        """The ids that could rank among the best `limit` matches, with their fuzzy company similarity.

        Strong candidates (email, phone, the same person at the company), customers and the exact
        company are always kept. The weak rest (domain and company alone) rank by domain + company,
        domain, company, then lowest id; when a catch-all domain or a family of look-alike names is
        shared by thousands of leads, only the first `cap` of them in that order are kept: a match
        must not cost O(leads)."""
        bucket = self.exact.get
        strong: set[int] = set()
        if probe.email:
            strong |= bucket(f"email:{probe.email}", set())
        if probe.phone:
            strong |= bucket(f"phone:{_DIGITS.sub('', probe.phone)[-6:]}", set())
        domain = bucket(f"domain:{probe.domain}", set()) if probe.domain else set()
        similarity: dict[int, float] = {}
        if probe.company:
            for _key, score, lead_id in process.extract(probe.company, self.company, scorer=fuzz.ratio,
                                                        score_cutoff=COMPANY_FUZZY_CUTOFF, limit=None):
                similarity[lead_id] = score
        weak = domain | similarity.keys()
        cap = max(limit, CANDIDATE_CAP) + 1  # the probe's own lead may be among them
        if len(weak) > cap:
            same_person = bucket(f"person:{probe.contact}", set()) if probe.contact else set()
            strong |= (weak & same_person) | (weak & self.customers) | {i for i, score in similarity.items() if score == 100}
            weak = set()
            for tier in (domain & similarity.keys(), domain, similarity.keys()):
                for lead_id in sorted(tier):
                    if len(weak) >= cap:
                        break
                    weak.add(lead_id)
        ids = strong | weak
        ids.discard(probe.exclude_id)
        return ids, similarity


_CATALOGUES: "weakref.WeakKeyDictionary[Any, _Catalogue]" = weakref.WeakKeyDictionary()
_CATALOGUES_LOCK = threading.Lock()


def _catalogue(session: Session) -> _Catalogue:
    engine = session.get_bind().engine
    with _CATALOGUES_LOCK:
        catalogue = _CATALOGUES.get(engine)
        if catalogue is None:
            catalogue = _CATALOGUES[engine] = _Catalogue()
    return catalogue


def _candidate_rows(session: Session, probe: Probe, *, limit: int) -> tuple[list[Any], dict[int, float]]:
    """The leads that could match the probe, read fresh, with their fuzzy company similarity."""
    catalogue = _catalogue(session)
    with catalogue.lock:
        catalogue.refresh(session)
        ids, similarity = catalogue.candidates(probe, limit=limit)
    rows: list[Any] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 900):
        rows += session.execute(select(*_CANDIDATE_COLUMNS).where(Lead.id.in_(ordered[start:start + 900]))).all()
    rows.sort(key=lambda row: row.id)
    # The company may have changed since the catalogue saw it: recompute from the fresh row.
    fresh = {row.id: fuzz.ratio(probe.company, company_key(row.company) or "") for row in rows if probe.company}
    return rows, {i: score for i, score in fresh.items() if score >= COMPANY_FUZZY_CUTOFF}


def _score(probe: Probe, row: Any, similarity: float | None) -> tuple[list[str], float]:
    matched: list[str] = []
    if probe.email and row.email and row.email.lower() == probe.email:
        matched.append("email")
    row_key = company_key(row.company)
    same_company = bool(probe.company and row_key == probe.company)
    if same_company:
        matched.append("company")
    elif similarity is not None and similarity >= COMPANY_FUZZY_CUTOFF:
        matched.append("company_fuzzy")
    if probe.domain and _row_domain(row) == probe.domain:
        matched.append("domain")
    if probe.phone and row.phone and _DIGITS.sub("", row.phone)[-6:] == probe.phone[-6:]:
        if _phone_e164(row.phone, row.country) == probe.phone:
            matched.append("phone")
    if probe.contact and person_key(row.contact_name) == probe.contact and {"company", "company_fuzzy", "domain"} & set(matched):
        matched.append("contact_at_company")
    remaining = 1.0
    for name in matched:
        remaining *= 1 - _WEIGHTS[name]
    return matched, round(1 - remaining, 3)


def find_matches(session: Session, *, probe: Probe, min_confidence: float = 0.4, limit: int = 20) -> list[Match]:
    """Stored leads that match the probe, most confident first."""
    session.flush()  # leads added in this session count
    rows, similarity = _candidate_rows(session, probe, limit=limit)
    matches: list[Match] = []
    for row in rows:
        matched, confidence = _score(probe, row, similarity.get(row.id))
        if not matched or confidence < min_confidence:
            continue
        flags = likely_duplicates_of(row.extra)
        matches.append(Match(
            likely_duplicate_of=flags, flagged=probe.exclude_id is not None and probe.exclude_id in flags,
            lead_id=row.id, company=row.company, contact_name=row.contact_name, email=row.email, stage=row.stage,
            confidence=confidence, matched=matched,
            relation="same_person" if _PERSON_FIELDS & set(matched) else "same_account",
            is_customer=row.stage == Stage.CUSTOMER.value,
            company_similarity=round(similarity[row.id], 1) if row.id in similarity else None,
        ))
    matches.sort(key=lambda m: (-m.confidence, not m.is_customer, m.lead_id))
    return matches[:limit]


def find_duplicates(
    session: Session, *, lead_id: int | None = None, company: str | None = None, email: str | None = None,
    domain: str | None = None, phone: str | None = None, min_confidence: float = 0.4, limit: int = 20,
) -> list[Match]:
    """Leads that duplicate a stored lead (lead_id) or match a company / email / domain / phone."""
    if lead_id is not None:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LookupError(f"no lead with id {lead_id}")
        probe = probe_for_lead(lead)
    elif company or email or domain or phone:
        probe = probe_for(email=email, company=company, domain=domain, phone=phone)
    else:
        raise TypeError("find_duplicates needs lead_id, company, email, domain or phone")
    return find_matches(session, probe=probe, min_confidence=min_confidence, limit=limit)


@dataclass
class AccountMatch:
    """The company a lead belongs to, as we already know it."""

    account_lead_id: int
    company: str | None
    is_customer: bool
    matched: list[str]
    confidence: float
    customer_lead_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def match_account(session: Session, *, domain: str | None = None, company: str | None = None, email: str | None = None,
                  exclude_id: int | None = None) -> AccountMatch | None:
    """The known account for a domain / company / work email; customers first."""
    probe = probe_for(email=None, company=company, domain=domain or (email and check_email(email=email).corporate_domain), exclude_id=exclude_id)
    if not (probe.domain or probe.company):
        return None
    account_fields = {"domain", "company", "company_fuzzy"}
    matches = [m for m in find_matches(session, probe=probe, min_confidence=0.4, limit=CANDIDATE_CAP) if account_fields & set(m.matched)]
    if not matches:
        return None
    customers = [m for m in matches if m.is_customer]
    best = (customers or matches)[0]
    return AccountMatch(account_lead_id=best.lead_id, company=best.company, is_customer=bool(customers),
                        matched=best.matched, confidence=best.confidence, customer_lead_ids=[m.lead_id for m in customers])


@dataclass
class MergeProposal:
    keep_id: int
    merge_id: int
    fills: dict[str, Any]  # empty fields on the kept lead that the other lead fills
    conflicts: dict[str, tuple[Any, Any]]  # (kept, discarded): kept wins, the other is saved in extra
    moved: dict[str, int]  # rows of dependent tables that move to the kept lead
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["conflicts"] = {k: [_plain(a), _plain(b)] for k, (a, b) in self.conflicts.items()}
        data["fills"] = {k: _plain(v) for k, v in self.fills.items()}
        return data


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _dependent_tables() -> list[Any]:
    """Every table with a foreign key to leads.id (activities, assignments, audit, predictions...)."""
    from leadpilot.memory.schema import metadata

    return [
        (table, fk.parent) for table in metadata.sorted_tables for fk in table.foreign_keys
        if fk.column.table.name == "leads" and fk.column.name == "id"
    ]


def propose_merge(session: Session, *, keep_id: int, merge_id: int) -> MergeProposal:
    """What merging `merge_id` into `keep_id` would change; nothing is written."""
    keep, other = session.get(Lead, keep_id), session.get(Lead, merge_id)
    if keep is None or other is None or keep_id == merge_id:
        raise LookupError(f"cannot merge lead {merge_id} into lead {keep_id}: both must exist and differ")
    fills, conflicts = {}, {}
    for name in MERGEABLE_FIELDS:
        mine, theirs = getattr(keep, name), getattr(other, name)
        if theirs is None or theirs == "":
            continue
        if mine is None or mine == "":
            fills[name] = theirs
        elif mine != theirs:
            conflicts[name] = (mine, theirs)
    from sqlalchemy import func

    moved = {}
    for table, column in _dependent_tables():
        count = session.scalar(select(func.count()).select_from(table).where(column == merge_id)) or 0
        if count:
            moved[table.name] = count
    return MergeProposal(keep_id=keep_id, merge_id=merge_id, fills=fills, conflicts=conflicts, moved=moved)


def merge_leads(session: Session, *, keep_id: int, merge_id: int, now: datetime, dry_run: bool = True,
                actor: str = "system") -> MergeProposal:
    """Merge one lead into another: fill gaps, keep conflicts in extra, move history, delete the other.

    dry_run (the default) only proposes. The kept lead's stage is kept; an audit event records the merge.
    """
    proposal = propose_merge(session, keep_id=keep_id, merge_id=merge_id)
    if dry_run:
        return proposal
    keep, other = session.get(Lead, keep_id), session.get(Lead, merge_id)
    for name, value in proposal.fills.items():
        if name in {"external_id", "email"}:
            setattr(other, name, None)  # free the identifier before the kept lead takes it
    session.flush()
    for name, value in proposal.fills.items():
        setattr(keep, name, value)
    extra = dict(keep.extra or {})
    merged_from = list(extra.get("merged_from", []))
    merged_from.append({"lead_id": merge_id, "at": now.isoformat(), "discarded": {k: _plain(v[1]) for k, v in proposal.conflicts.items()}})
    extra["merged_from"] = merged_from
    keep.extra = extra
    keep.updated_at = now
    for table, column in _dependent_tables():
        session.execute(update(table).where(column == merge_id).values({column.name: keep_id}))
    session.flush()
    session.delete(other)
    record_change(session, lead_id=keep_id, field="merged", old=merge_id, new=keep_id,
                  reason=f"lead {merge_id} merged into {keep_id}", at=now, actor=actor)
    session.flush()
    proposal.applied = True
    return proposal
