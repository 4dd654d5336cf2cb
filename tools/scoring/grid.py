"""The fit × engagement grid of the scoring policy (`grid:`) and the targets `leadpilot calibrate`
aims for (`calibration:`).

Fit (completeness, profile, source, industry, company size, semantic) and engagement (engagement,
behaviour) are each 0–100; fit gives a grade A–D and engagement a level 1–4; the cell (e.g. B2)
picks the tier. The combined score older readers sort and filter on is their weighted mean.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator, model_validator

from leadpilot.tools.common import PolicyModel as _PolicyModel
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.common import unknown as _unknown
from leadpilot.tools.scoring.policy_values import _count, _is_number


FIT_CATEGORIES = ("completeness", "profile", "source", "industry", "company_size", "semantic")
ENGAGEMENT_CATEGORIES = ("engagement", "behaviour")
FIT_GRADES = ("A", "B", "C", "D")  # D: below C
ENGAGEMENT_LEVELS = ("1", "2", "3", "4")  # 4: below 3
GRID_CELLS = tuple(f"{grade}{level}" for grade in FIT_GRADES for level in ENGAGEMENT_LEVELS)
FIT_WORDS = {"A": "strong fit", "B": "good fit", "C": "some fit", "D": "weak fit"}
ENGAGEMENT_WORDS = {"1": "highly engaged", "2": "engaged", "3": "lightly engaged", "4": "not engaged yet"}


def cell_meaning(cell: str) -> str:
    """A grid cell in words: "A1" -> "strong fit, highly engaged"."""
    return f"{FIT_WORDS[cell[0]]}, {ENGAGEMENT_WORDS[cell[1]]}"


def _axis_points(value: object) -> int:
    if not _is_number(value) or not float(value).is_integer() or not 0 <= value <= 100:
        raise _policy_error("must be a whole number from 0 to 100, e.g. 40")
    return int(value)


AxisPoints = Annotated[int, PlainValidator(_axis_points)]


def _cells(value: object) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise _policy_error("must be a list of grid cells, e.g. [A1, A2, B1, B2]")
    cells = []
    for raw in value:
        cell = str(raw).strip().upper()
        if cell not in GRID_CELLS:
            raise _policy_error(
                f"{_unknown('grid cell', raw, list(GRID_CELLS))} (a cell is a fit grade A–D and an engagement level 1–4)"
            )
        cells.append(cell)
    return tuple(dict.fromkeys(cells))


GridCells = Annotated[tuple[str, ...], BeforeValidator(_cells)]


class FitGrades(_PolicyModel):
    """The lowest fit score of each grade; D is everything below C."""

    key_noun: ClassVar[str] = "fit grade"
    A: AxisPoints
    B: AxisPoints
    C: AxisPoints

    @model_validator(mode="after")
    def _descending(self) -> FitGrades:
        if not self.A > self.B > self.C:
            raise _policy_error(f"grades must go down: A ({self.A}) > B ({self.B}) > C ({self.C}) — reorder the numbers", at="B")
        return self


class EngagementLevels(_PolicyModel):
    """The lowest engagement score of each level; 4 is everything below 3."""

    key_noun: ClassVar[str] = "engagement level"
    level_1: AxisPoints = Field(alias="1")
    level_2: AxisPoints = Field(alias="2")
    level_3: AxisPoints = Field(alias="3")

    @model_validator(mode="before")
    @classmethod
    def _text_keys(cls, data: Any) -> Any:
        return {str(key): value for key, value in data.items()} if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _descending(self) -> EngagementLevels:
        if not self.level_1 > self.level_2 > self.level_3:
            raise _policy_error(
                f"levels must go down: 1 ({self.level_1}) > 2 ({self.level_2}) > 3 ({self.level_3}) — reorder the numbers", at="2"
            )
        return self


class CombinedWeights(_PolicyModel):
    """The single score (0–100) older readers sort and filter on: fit × fit% + engagement × engagement%."""

    fit: AxisPoints
    engagement: AxisPoints

    @model_validator(mode="after")
    def _sum_to_100(self) -> CombinedWeights:
        if self.fit + self.engagement != 100:
            raise _policy_error(
                f"fit ({self.fit}) and engagement ({self.engagement}) must add up to 100 (they are percentages)", at="fit"
            )
        return self


class Grid(_PolicyModel):
    """Fit × engagement: a lead's cell (e.g. B2) picks its tier."""

    fit: FitGrades
    engagement: EngagementLevels
    hot: GridCells
    warm: GridCells = ()
    score: CombinedWeights = CombinedWeights(fit=50, engagement=50)

    @model_validator(mode="after")
    def _cells_once(self) -> Grid:
        if not self.hot:
            raise _policy_error("must name at least one cell, e.g. [A1, A2, B1, B2]", at="hot")
        for index, cell in enumerate(self.warm):
            if cell in self.hot:
                raise _policy_error(f"cell {cell} is in hot and in warm — keep it in one of them", at=f"warm.{index}")
        return self

    def cell(self, fit: int, engagement: int) -> str:
        grades, levels = self.fit, self.engagement
        grade = "A" if fit >= grades.A else "B" if fit >= grades.B else "C" if fit >= grades.C else "D"
        level = "1" if engagement >= levels.level_1 else "2" if engagement >= levels.level_2 else "3" if engagement >= levels.level_3 else "4"
        return grade + level

    def tier_of(self, cell: str) -> str:
        return "hot" if cell in self.hot else "warm" if cell in self.warm else "cold"

    def lowest_hot(self) -> tuple[int, int]:
        """The lowest (fit, engagement) scores any hot cell needs."""
        fit_at = {"A": self.fit.A, "B": self.fit.B, "C": self.fit.C, "D": 0}
        level_at = {"1": self.engagement.level_1, "2": self.engagement.level_2, "3": self.engagement.level_3, "4": 0}
        return min(fit_at[c[0]] for c in self.hot), min(level_at[c[1]] for c in self.hot)


def _number(accepts: Any, message: str) -> Any:
    """A validator of numbers that `accepts`; anything else is refused with `message`."""

    def check(value: object) -> float:
        if not _is_number(value) or not accepts(value):
            raise _policy_error(message)
        return float(value)  # type: ignore[arg-type]

    return check


_share = _number(lambda v: 0 < v < 1, "must be a share above 0 and below 1, e.g. 0.15 for 15%")
_lift = _number(lambda v: v >= 1, "must be a number ≥ 1 (times the overall conversion rate), e.g. 2")


class CalibrationTargets(_PolicyModel):
    """What `leadpilot calibrate` aims for when it proposes grid thresholds."""

    hot_share: Annotated[float, PlainValidator(_share)] = 0.15
    hot_lift: Annotated[float, PlainValidator(_lift)] = 2.0
    min_closed_leads: Annotated[int, PlainValidator(_count(10, 1_000_000, 100))] = 100
