"""Value types of the scoring policy, each with a message a RevOps person can act on."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

from leadpilot.memory.vocab import ActivityKind
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.common import unknown as _unknown


# ---------------------------------------------------------------------------------------------
# Value types with messages a RevOps person can act on


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole_points(value: object) -> int:
    if not _is_number(value) or value < 0 or not float(value).is_integer():
        raise _policy_error("must be a whole number ≥ 0, e.g. 10")
    return int(value)


def _points_amount(value: object) -> float:
    if not _is_number(value) or value < 0:
        raise _policy_error("must be a number ≥ 0 (decimals allowed), e.g. 2.5")
    return float(value)


def _half_life(value: object) -> float:
    if not _is_number(value) or value <= 0:
        raise _policy_error("must be a number of days above 0, e.g. 14")
    return float(value)


def _activity_kind(value: object) -> str:
    kinds = [kind.value for kind in ActivityKind]
    if isinstance(value, str) and value.strip().lower() in kinds:
        return value.strip().lower()
    raise _policy_error(_unknown("activity kind", value, kinds))


def _switch(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _policy_error("must be true or false")


def _count(low: int, high: int, example: int):
    def check(value: object) -> int:
        if not _is_number(value) or not float(value).is_integer() or not low <= value <= high:
            raise _policy_error(f"must be a whole number from {low:,} to {high:,}, e.g. {example:,}")
        return int(value)

    return check


def _similarity(value: object) -> float:
    if not _is_number(value) or not 0 <= value < 1:
        raise _policy_error("must be a number from 0 up to (not including) 1, e.g. 0.2")
    return float(value)


WholePoints = Annotated[int, PlainValidator(_whole_points)]
PointsAmount = Annotated[float, PlainValidator(_points_amount)]
HalfLifeDays = Annotated[float, PlainValidator(_half_life)]
ActivityKindName = Annotated[str, PlainValidator(_activity_kind)]
