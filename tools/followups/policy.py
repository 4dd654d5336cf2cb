"""The follow-up policy (config/followups.yaml): follow-up cadence per tier, how engagement history
is read into a best time to call, and industry defaults for leads without enough history.

Validated on load like the scoring and routing policies: a broken file is refused with the file,
the key (and its line) and the fix; `policy_in_force` keeps the last good version when an edit breaks.
"""

from __future__ import annotations

import difflib
import re
import threading
from datetime import time
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, PlainValidator, field_validator, model_validator

from leadpilot.memory.vocab import INDUSTRIES, industry_slug
from leadpilot.tools.common import PolicyFileError, PolicyFileHolder, PolicyKind, PolicyModel, policy_error, unknown

SHIPPED_POLICY = "followups.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Monday = 0, as datetime.weekday()
SIGNALS = ("email_opened", "email_clicked", "page_view", "form_submit", "call_inbound", "call_connected")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _weekday(value: object) -> int:
    if isinstance(value, str):
        key = value.strip().lower()[:3]
        if key in WEEKDAYS and value.strip().lower() in (key, _full_name(key)):
            return WEEKDAYS.index(key)
    raise policy_error(unknown("weekday", value, list(WEEKDAYS)))


def _full_name(short: str) -> str:
    return {"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday",
            "sat": "saturday", "sun": "sunday"}[short]


def _clock_time(value: object) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted 09:00 as the number 540 (base 60).
        raise policy_error(f"write the time in quotes, e.g. \"09:00\" (got the number {value})")
    if isinstance(value, str) and (match := _TIME.match(value.strip())):
        return time(int(match.group(1)), int(match.group(2)))
    raise policy_error(f"must be a time of day as \"HH:MM\", e.g. \"09:30\" (got {value!r})")


def _tier(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in ("hot", "warm", "cold"):
        return value.strip().lower()
    raise policy_error(unknown("tier", value, ["hot", "warm", "cold"]))


def _signal(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in SIGNALS:
        return value.strip().lower()
    raise policy_error(unknown("engagement kind", value, list(SIGNALS)))


def _non_negative(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise policy_error(f"must be a number of 0 or more (got {value!r})")
    return float(value)


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise policy_error(f"must be a share between 0 and 1, e.g. 0.5 (got {value!r})")
    return float(value)


def _whole(low: int, high: int):
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise policy_error(f"must be a whole number from {low} to {high} (got {value!r})")
        return value

    return check


Weekday = Annotated[int, PlainValidator(_weekday)]
ClockTime = Annotated[time, PlainValidator(_clock_time)]
TierName = Annotated[str, PlainValidator(_tier)]
SignalName = Annotated[str, PlainValidator(_signal)]
Weight = Annotated[float, PlainValidator(_non_negative)]
Share = Annotated[float, PlainValidator(_share)]


class Window(PolicyModel):
    """Weekdays (Monday = 0) and a local time range [start, end)."""

    days: tuple[Weekday, ...] = Field(min_length=1)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise policy_error(f"end ({self.end:%H:%M}) must be after start ({self.start:%H:%M}) — windows stay within one day", at="end")
        return self


class History(PolicyModel):
    lookback_days: Annotated[int, PlainValidator(_whole(1, 3650))] = 180
    min_events: Annotated[int, PlainValidator(_whole(1, 1000))] = 3
    window_hours: Annotated[int, PlainValidator(_whole(1, 6))] = 2
    weights: dict[SignalName, Weight] = Field(default_factory=lambda: dict.fromkeys(SIGNALS, 1.0))
    high_events: Annotated[int, PlainValidator(_whole(1, 1000))] = 8
    high_share: Share = 0.5
    medium_share: Share = 0.3

    @model_validator(mode="after")
    def _consistent(self) -> History:
        if self.high_events < self.min_events:
            raise policy_error(f"high_events ({self.high_events}) is below min_events ({self.min_events}) — raise it", at="high_events")
        if self.medium_share > self.high_share:
            raise policy_error(f"medium_share ({self.medium_share}) is above high_share ({self.high_share}) — lower it", at="medium_share")
        if not any(self.weights.values()):
            raise policy_error("at least one engagement kind needs a weight above 0", at="weights")
        return self


class FollowUpPolicy(PolicyModel):
    cadence_days: dict[TierName, Annotated[int, PlainValidator(_whole(0, 365))]]
    history: History = Field(default_factory=History)
    default: Window
    industries: dict[str, Window] = Field(default_factory=dict)

    @field_validator("industries")
    @classmethod
    def _known_industries(cls, values: dict[str, Window]) -> dict[str, Window]:
        slugs: dict[str, Window] = {}
        for raw, window in values.items():
            slug = industry_slug(raw)
            # An unlisted industry is allowed (leads keep unknown industries), a near-miss is a typo.
            if slug not in INDUSTRIES and difflib.get_close_matches(slug, list(INDUSTRIES), n=1, cutoff=0.75):
                raise policy_error(unknown("industry", raw, list(INDUSTRIES)), at=str(raw))
            slugs[slug] = window
        return slugs

    @field_validator("cadence_days")
    @classmethod
    def _some_tier(cls, values: dict[str, int]) -> dict[str, int]:
        if not values:
            raise policy_error("list at least one tier, e.g. hot: 2")
        return values

    def window_for(self, industry: str | None) -> tuple[Window, str]:
        """The default window for an industry, and what it is called in explanations."""
        if industry and industry in self.industries:
            return self.industries[industry], f"industry default for {industry}"
        return self.default, "general default" + (f" (no default for {industry})" if industry else "")


class FollowUpPolicyError(PolicyFileError):
    what: ClassVar[str] = "Follow-up policy"


KIND = PolicyKind(model=FollowUpPolicy, error_type=FollowUpPolicyError, shipped=SHIPPED_POLICY, setting="followup_policy",
                  not_a_mapping="the file must hold a mapping with cadence_days, default and industries — see config/followups.yaml")
parse_policy, load_policy, default_policy_path, _read_text = KIND.parse, KIND.load, KIND.default_path, KIND.read_text


_holders: dict[Path, PolicyFileHolder[FollowUpPolicy]] = {}
_holders_lock = threading.Lock()


def policy_in_force(path: Path | None = None) -> FollowUpPolicy:
    """The policy for `path` (default: the configured file); edits are picked up, a broken edit
    keeps the last good policy."""
    resolved = (Path(path) if path is not None else default_policy_path()).resolve()
    with _holders_lock:
        holder = _holders.setdefault(resolved, KIND.holder(resolved))
    return holder.get()
