"""Company size bands (the LinkedIn/Apollo employee ranges) and the sales segment."""

from __future__ import annotations

from leadpilot.memory.vocab import segment_of

SIZE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-10", 1, 10), ("11-50", 11, 50), ("51-200", 51, 200), ("201-500", 201, 500), ("501-1000", 501, 1000),
    ("1001-5000", 1001, 5000), ("5001-10000", 5001, 10000), ("10001+", 10001, None),
)


def size_band(*, employees: int) -> str | None:
    for name, low, high in SIZE_BANDS:
        if employees >= low and (high is None or employees <= high):
            return name
    return None


def segment(*, employees: int) -> str | None:
    return segment_of(employees)
