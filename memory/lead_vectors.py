"""Which lead text is in the vector store: the SQL side of "store and index never disagree for long".

One row per indexed lead: the embedding model, a hash of the indexed text and payload, and the
lead's `updated_at` at indexing time. A lead is pending when it has no row, a different model, or
a newer `updated_at`; pending leads are indexed by the next sync (a lead saved while the vector
store was down included).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpilot.memory.models import Base


class LeadVector(Base):
    __tablename__ = "lead_vectors"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))  # text + payload: unchanged = nothing to write
    lead_updated_at: Mapped[datetime] = mapped_column()
    indexed_at: Mapped[datetime] = mapped_column()
