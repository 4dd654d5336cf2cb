"""How evenly leads are spread over reps: the Gini coefficient and a summary of loads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def gini(values: Sequence[float]) -> float:
    """0 = everyone carries the same load, 1 = one rep carries all of it."""
    values = [v for v in values if v >= 0]
    if not values or sum(values) == 0:
        return 0.0
    ordered = sorted(values)
    n = len(ordered)
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    return (2 * weighted) / (n * sum(ordered)) - (n + 1) / n


def fairness(loads: Mapping[str, float]) -> dict[str, Any]:
    values = list(loads.values())
    if not values:
        return {"reps": 0, "gini": 0.0, "max": 0, "min": 0, "max_minus_min": 0}
    return {
        "reps": len(values),
        "gini": round(gini(values), 4),
        "max": max(values),
        "min": min(values),
        "max_minus_min": max(values) - min(values),
    }
