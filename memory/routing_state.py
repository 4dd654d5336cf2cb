"""Routing state kept in the store: accounts imported with `leadpilot accounts import` (domain or
company -> owner, optional team) and the first-touch SLA watches the workers keep (migration 0015).

An SLA watch is one assignment of one lead under a tier's SLA: when the first touch is due, when the
second breach comes, and how far it got (watching -> nudged -> reassigned, or touched / closed).
Its status only moves forward, by a conditional UPDATE, so two workers (or a worker restarted
after kill -9) never nudge or reassign the same watch twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadpilot.memory.models import Base


class RoutingAccount(Base):
    """An imported account: its domain and/or company, its owner (rep email) and optional team."""

    __tablename__ = "routing_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str | None] = mapped_column(String(255), unique=True)
    company: Mapped[str | None] = mapped_column(String(300))
    company_key: Mapped[str | None] = mapped_column(String(300), index=True)
    owner_email: Mapped[str] = mapped_column(String(254))
    team: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))  # the file it came from
    updated_at: Mapped[datetime] = mapped_column()


class SlaWatch(Base):
    """One assignment watched for its first touch."""

    __tablename__ = "sla_watches"
    __table_args__ = (Index("ix_sla_watches_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), index=True)
    tier: Mapped[str] = mapped_column(String(8))
    assigned_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()  # the first breach: nudge
    second_due_at: Mapped[datetime] = mapped_column()  # the second breach: reassign
    status: Mapped[str] = mapped_column(String(12))  # watching | nudged | reassigned | touched | closed
    touched_at: Mapped[datetime | None] = mapped_column()
    nudged_at: Mapped[datetime | None] = mapped_column()
    reassigned_at: Mapped[datetime | None] = mapped_column()
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column()
