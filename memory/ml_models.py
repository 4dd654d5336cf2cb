"""Stored machine-learning models and the predictions they made (tables from migration 0002).

A model version is a row (metrics, features, where its artifact lives) plus a joblib file under
the data directory. Every prediction names the version that made it, and once the lead's outcome
is known it can be validated: was the prediction right?
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpilot.memory.models import Base


class ModelVersion(Base):
    """One trained model: what it learned from, how well it did on held-out data, where it is."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)  # conv-YYYYMMDDTHHMMSS-<hash8>
    kind: Mapped[str] = mapped_column(String(32), index=True)  # "conversion"
    trained_at: Mapped[datetime] = mapped_column(index=True)
    n_train: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)  # auc, brier, calibration, importance...
    features: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "family", "kind", "label"}]
    artifact_path: Mapped[str] = mapped_column(String(500))  # relative to the data directory
    artifact_sha256: Mapped[str] = mapped_column(String(64))  # checked before the file is unpickled


class Prediction(Base):
    """A conversion probability a model gave a lead, and, once known, whether it came true."""

    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(ForeignKey("model_versions.version", ondelete="CASCADE"), index=True)
    made_at: Mapped[datetime] = mapped_column()
    probability: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(8))  # top | high | medium | low
    detail: Mapped[dict[str, Any] | None] = mapped_column()  # confidence and the top factors, as shown
    outcome_validated: Mapped[bool | None] = mapped_column(Boolean)  # the real outcome: converted or not
    correct: Mapped[bool | None] = mapped_column(Boolean)  # (probability >= 0.5) == outcome
    validated_at: Mapped[datetime | None] = mapped_column()
