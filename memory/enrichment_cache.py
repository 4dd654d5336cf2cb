"""Provider answers kept for a while (table from migration 0006), so a repeat lookup costs nothing.

One row per (provider, kind, query): the vendor's answer as fetched, whether it was a match, what
it cost and when it stops being fresh. A "no match" is cached too, so an empty answer is not paid
for twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadpilot.memory.models import Base


class EnrichmentCacheEntry(Base):
    __tablename__ = "enrichment_cache"
    __table_args__ = (Index("ix_enrichment_cache_lookup", "provider", "kind", "query_key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))  # company | person | email_find | email_verify
    query_key: Mapped[str] = mapped_column(String(400))
    found: Mapped[bool] = mapped_column(Boolean)
    payload: Mapped[dict[str, Any] | None] = mapped_column()  # the vendor's answer, normalised fields
    credits: Mapped[float] = mapped_column(Float, default=0.0)
    fetched_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)


def cached_answer(
    session: Session, *, provider: str, kind: str, query_key: str, now: datetime
) -> EnrichmentCacheEntry | None:
    """The fresh cached answer for this lookup, or None."""
    entry = session.scalar(
        select(EnrichmentCacheEntry).where(
            EnrichmentCacheEntry.provider == provider,
            EnrichmentCacheEntry.kind == kind,
            EnrichmentCacheEntry.query_key == query_key,
        )
    )
    if entry is None or entry.expires_at <= now:
        return None
    return entry


def store_answer(
    session: Session,
    *,
    provider: str,
    kind: str,
    query_key: str,
    found: bool,
    payload: dict[str, Any] | None,
    credits: float,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Insert or refresh the cached answer for this lookup."""
    entry = session.scalar(
        select(EnrichmentCacheEntry).where(
            EnrichmentCacheEntry.provider == provider,
            EnrichmentCacheEntry.kind == kind,
            EnrichmentCacheEntry.query_key == query_key,
        )
    )
    if entry is None:
        entry = EnrichmentCacheEntry(provider=provider, kind=kind, query_key=query_key)
        session.add(entry)
    entry.found, entry.payload, entry.credits = found, payload, credits
    entry.fetched_at, entry.expires_at = now, expires_at
    session.flush()
