"""The offline planner's vocabulary from the store: cities, reps and companies it recognises by name.

Reading every company name costs tens of milliseconds on a large store, so the vocabulary is kept
in the database's cache and rebuilt only when a cheap fingerprint of the store changes. A run with a
data dir also keeps it in `DATA_DIR/cache/` (a new `leadpilot ask` process reads it back instead
of rebuilding it), under the same fingerprint and the planner's code version.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead, Rep
from leadpilot.tools.leads import owner_lookup

if TYPE_CHECKING:
    from leadpilot.agent.planner import Vocabulary


@cache
def _fingerprint_statement():
    # One statement, one scalar subquery per aggregate: SQLite answers each lone max() from its index.
    aggregates = (func.max(Lead.id), func.max(Lead.updated_at), func.max(Rep.id), func.count(Rep.id))
    return select(*(select(a).scalar_subquery() for a in aggregates))


def store_fingerprint(session: Session) -> tuple:
    """Changes whenever a lead or rep is added or edited (index lookups only: cheap). A deletion may
    leave a stale name in the vocabulary, which can only make a filter match nothing."""
    # Checked on every question: the statement is built once and run through Core (no ORM layer).
    return tuple(session.connection().execute(_fingerprint_statement()).one())


def build_vocabulary(session: Session) -> Vocabulary:
    """Cities, reps, companies, contacts and source values in the store, for the offline planner to
    recognise by name; its industries and departments, to check the values a question names."""
    from leadpilot.agent.planner import Vocabulary
    from leadpilot.agent.planner.deals import deal_columns, has_deal_values

    cities = {c.lower(): c for c in session.scalars(select(Lead.city).distinct().where(Lead.city.is_not(None)))}
    # The names the owner filter understands (emails, full names, unique first names), to emails.
    emails, rep_names = {}, {}
    for rep_id, email, name in session.execute(select(Rep.id, Rep.email, Rep.name)):
        emails[rep_id] = email
        if name:
            rep_names[email] = name
    reps = {name: emails[rep_id] for name, rep_id in owner_lookup(session).items()}
    companies = {c.lower(): c for c in session.scalars(select(Lead.company).distinct().where(Lead.company.is_not(None)))}
    contacts = {c.lower(): c for c in session.scalars(select(Lead.contact_name).distinct().where(Lead.contact_name.is_not(None)))}
    sources = {s: s for s in session.scalars(select(Lead.source).distinct().where(Lead.source.is_not(None)))}
    industries = frozenset(session.scalars(select(Lead.industry).distinct().where(Lead.industry.is_not(None))))
    departments = frozenset(d.lower() for d in session.scalars(select(Lead.department).distinct().where(Lead.department.is_not(None))))
    countries = frozenset(c.upper() for c in session.scalars(select(Lead.country).distinct().where(Lead.country.is_not(None))) if c)
    kept = Lead.extra["stage_raw"].as_string()
    statuses = frozenset(s for s in session.scalars(select(kept).distinct().where(kept.is_not(None))) if s and s.strip())
    industry_labels, source_labels = (
        frozenset(s for s in session.scalars(select(written).distinct().where(written.is_not(None))) if s and s.strip())
        for written in (Lead.extra["industry_raw"].as_string(), Lead.extra["source_raw"].as_string()))
    extras = list(session.scalars(select(Lead.extra).where(Lead.extra.is_not(None)).limit(5000)))
    kept_fields = kept_columns(extras)
    # An owner column's name that is no rep (a CRM queue such as "Web Leads"): the import kept it in extra, under the column's name.
    queues = frozenset(" ".join(value.lower().split()) for extra in session.scalars(select(Lead.extra).where(Lead.owner_id.is_(None)).limit(5000))
                       for key, value in (extra or {}).items() if "owner" in key.lower() and isinstance(value, str) and len(value.strip()) > 2)
    return Vocabulary(cities=cities, reps=reps, rep_names=rep_names, companies=companies, contacts=contacts, sources=sources, industries=industries,
                      departments=departments, statuses=statuses, queues=queues, industry_labels=industry_labels, source_labels=source_labels,
                      kept_fields=kept_fields, deal_values=has_deal_values(extras), deal_columns=deal_columns(extras),
                      countries=countries, states={s.lower(): s for s in session.scalars(select(Lead.state).distinct().where(Lead.state.is_not(None))) if s})


# Columns whose values are no category to ask by: who and when, addresses, free text, links, amounts.
_NOT_A_CATEGORY = re.compile(r"(?:^|[\s_])(?:by|time|date|at|id|email|e-mail|phone|mobile|street|zip|postal|address|description|notes?|"
                             r"url|website|referrer|revenue|amount|score|name|owner|title|count|number|spent|creator|created|modified|visible|currency)(?:$|[\s_])"
                             r"|_raw$|^closed_", re.I)
_NOT_A_VALUE = re.compile(r"^(?:true|false|yes|no|[\d\s.,:/+-]+)$|^/|@|^https?:", re.I)
_TIERS = frozenset({"hot", "warm", "cold"})


def kept_columns(extras) -> dict[str, frozenset[str]]:
    """The columns of the imported file the store keeps as written (Lead.extra) that a question can name with
    a value ("rating Active"): 2 to 25 distinct short values that are words, not numbers, dates, links or
    yes/no, each held by more than one lead on average; not who/when/where columns. A column of hot / warm /
    cold only is the CRM's own label ("Deal - Label"), which "hot deals" then means."""
    values: dict[str, dict[str, int]] = {}
    for extra in extras:
        for column, value in (extra or {}).items():
            if isinstance(value, str) and value.strip() and not _NOT_A_CATEGORY.search(column):
                counts = values.setdefault(column, {})
                if len(counts) <= 25:
                    counts[value.strip()] = counts.get(value.strip(), 0) + 1
    kept = {}
    for column, counts in values.items():
        if 2 <= len(counts) <= 25 and sum(counts.values()) >= 2 * len(counts) and len(column) <= 60 and re.fullmatch(r"[\w .&()/+#-]+", column):
            tiers = {value.lower() for value in counts} & _TIERS
            if tiers and len(tiers) < len(counts):
                continue  # "hot" is the score tier unless a column is the CRM's own hot/warm/cold label (planner kept_fields)
            if not any(_NOT_A_VALUE.search(value) or len(value) > 40 for value in counts):
                kept[column] = frozenset(counts)
    return kept


def cached_vocabulary(db: Database, session: Session, *, cache_dir: Path | None = None) -> Vocabulary:
    """The planner's vocabulary, rebuilt only when the store changed since it was built (in this
    process, or — with `cache_dir` — since any process kept it there)."""
    fingerprint = store_fingerprint(session)
    cached = db.cache.get("vocabulary")
    if cached is None or cached[0] != fingerprint:
        path = _cache_file(cache_dir, db.url) if cache_dir is not None else None
        key = (fingerprint, _code_version())
        vocabulary = _read_cache(path, key) if path is not None else None
        if vocabulary is None:
            vocabulary = build_vocabulary(session)
            if path is not None:
                _write_cache(path, key, vocabulary)
        cached = (fingerprint, vocabulary)
        db.cache["vocabulary"] = cached
    return cached[1]


def run_vocabulary(deps) -> Vocabulary:
    """The vocabulary for one agent run (deps: AgentDeps), kept under the data dir between processes.
    A person who does not see every lead gets typo corrections and "did you mean" from the company
    and contact names of their own leads only, so a misspelt name is never read as a lead they may
    not see (a name said in full still reaches the tools, which answer "no lead … that you can see")."""
    with deps.read() as session:
        vocabulary = cached_vocabulary(deps.db, session, cache_dir=Path(deps.settings.data_dir) / "cache")
        viewer = deps.viewer
        if viewer is None or viewer.sees_everything:
            return vocabulary
        key = ("vocabulary-seen", viewer.rep_id, store_fingerprint(session))
        if (seen := deps.db.cache.get(key)) is None:
            seen = _corrections_seen_by(session, viewer, vocabulary)
            deps.db.cache[key] = seen
        return seen


def _corrections_seen_by(session: Session, viewer, vocabulary: Vocabulary) -> Vocabulary:
    from leadpilot.agent.planner.typos import is_known
    from leadpilot.memory.visibility import lead_visibility

    rows = session.execute(select(Lead.company, Lead.contact_name).where(lead_visibility(viewer)).distinct()).all()
    companies = {company for company, _ in rows if company}
    contacts = {contact for _, contact in rows if contact}
    narrow = copy.copy(vocabulary)  # no __post_init__: the aliases stay, the names of unseen leads go
    narrow.__dict__.pop(_TYPO_INDEX, None)
    object.__setattr__(narrow, "companies", {said: name for said, name in vocabulary.companies.items() if name in companies})
    object.__setattr__(narrow, "contacts", {said: name for said, name in vocabulary.contacts.items() if name in contacts})
    is_known("", narrow)  # builds the correction index of the narrow vocabulary
    seen = copy.copy(vocabulary)
    seen.__dict__[_TYPO_INDEX] = narrow.__dict__[_TYPO_INDEX]
    return seen


# Where agent/planner/typos.py keeps a vocabulary's word index for corrections.
_TYPO_INDEX = "_typo_index"


def _cache_file(cache_dir: Path, url: str) -> Path:
    return cache_dir / f"vocabulary-{hashlib.sha256(url.encode()).hexdigest()[:16]}.pickle"


@cache
def _code_version() -> tuple:
    """Changes when the planner's code does (its files' sizes and times), so a kept vocabulary
    built by older code is not reused."""
    from leadpilot.agent import planner

    folder = Path(planner.__file__).parent
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in (*folder.glob("*.py"), Path(__file__))))


def _read_cache(path: Path, key: tuple) -> Vocabulary | None:
    try:
        with path.open("rb") as handle:
            stored_key, vocabulary = pickle.load(handle)  # written by this code, in the user's own data dir
    except (OSError, EOFError, pickle.PickleError, AttributeError, ImportError, ValueError, TypeError):
        return None
    return vocabulary if stored_key == key else None


def _write_cache(path: Path, key: tuple, vocabulary: Vocabulary) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump((key, vocabulary), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:  # a read-only data dir: the vocabulary is simply rebuilt next time
        pass
