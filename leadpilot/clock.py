"""The one clock every relative time is computed from.

`LEADPILOT_NOW` pins it (reproducible evals and tests); otherwise it is the real UTC time.
The clock travels in the deps of each run; nothing reads the time from a global.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone


def utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class Clock:
    """A clock that is either pinned to one instant or follows real time."""

    pinned: datetime | None = None

    def now(self) -> datetime:
        if self.pinned is not None:
            return utc(self.pinned)
        return datetime.now(timezone.utc)

    @property
    def is_pinned(self) -> bool:
        return self.pinned is not None


def clock_from_settings(settings) -> Clock:  # settings: leadpilot.settings.Settings
    return Clock(pinned=settings.now)
