"""Small helpers of the demo generator: weighted draws, ASCII slugs, phone digits, time offsets.

Every timestamp in the demo data is a whole-second offset from `now` (`_at`).
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TypeVar

T = TypeVar("T")
DAY = 86_400.0  # seconds
HISTORY_DAYS = 180


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    return rng.choices([item for item, _ in weighted], weights=[w for _, w in weighted])[0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _poisson(rng: random.Random, mean: float, cap: int) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit and k < cap:
        k += 1
        p *= rng.random()
    return k


_ASCII_EXTRA = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "ł": "l", "đ": "d", "ı": "i"})


def _ascii_slug(text: str) -> str:
    """'Müller' -> 'muller', "O'Brien" -> 'obrien', 'de Jong' -> 'dejong', 'Min-jun' -> 'min-jun'."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_EXTRA))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9-]", "", plain)


def _fill_digits(rng: random.Random, pattern: str) -> str:
    digits = {"#": (0, 9), "N": (2, 9)}
    return "".join(str(rng.randint(*digits[c])) if c in digits else c for c in pattern)


def _at(now: datetime, days_ago: float) -> datetime:
    """A whole-second offset from `now`."""
    return now - timedelta(seconds=round(days_ago * DAY))


def _check_now(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC), e.g. datetime(2026, 11, 20, tzinfo=timezone.utc)")
    return now.astimezone(timezone.utc)
