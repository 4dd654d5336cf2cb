"""The offline planner's vocabulary from the store: cities, reps and companies it recognises by name.

Reading every company name costs tens of milliseconds on a large store, so the vocabulary is kept
in the database's cache and rebuilt only when a cheap fingerprint of the store changes.
"""

from __future__ import annotations

from functools import cache
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
    """Cities, reps and companies in the store, for the offline planner to recognise by name."""
    from leadpilot.agent.planner import Vocabulary

    cities = {c.lower(): c for c in session.scalars(select(Lead.city).distinct().where(Lead.city.is_not(None)))}
    # The names the owner filter understands (emails, full names, unique first names), to emails.
    emails = dict(session.execute(select(Rep.id, Rep.email)).all())
    reps = {name: emails[rep_id] for name, rep_id in owner_lookup(session).items()}
    companies = {c.lower(): c for c in session.scalars(select(Lead.company).distinct().where(Lead.company.is_not(None)))}
    return Vocabulary(cities=cities, reps=reps, companies=companies)


def cached_vocabulary(db: Database, session: Session) -> Vocabulary:
    """The planner's vocabulary, rebuilt only when the store changed since it was built."""
    fingerprint = store_fingerprint(session)
    cached = db.cache.get("vocabulary")
    if cached is None or cached[0] != fingerprint:
        cached = (fingerprint, build_vocabulary(session))
        db.cache["vocabulary"] = cached
    return cached[1]
