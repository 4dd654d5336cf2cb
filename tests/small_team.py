"""The three people of the small handmade stores (analytics, follow-ups): two reps and a manager."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadpilot.memory.models import Rep

from conftest import NOW

ANA, BEN, MO = "ana@team.io", "ben@team.io", "mo@team.io"


def add_team(session: Session) -> dict[str, Rep]:
    """Ana (rep, Los Angeles), Ben (rep, Berlin) and Mo (manager, New York), flushed: ids are set."""
    reps = {
        "ana": Rep(email=ANA, name="Ana Lima", role="rep", timezone="America/Los_Angeles", created_at=NOW),
        "ben": Rep(email=BEN, name="Ben Okafor", role="rep", timezone="Europe/Berlin", created_at=NOW),
        "mo": Rep(email=MO, name="Mo Reyes", role="manager", timezone="America/New_York", created_at=NOW),
    }
    session.add_all(reps.values())
    session.flush()
    return reps
