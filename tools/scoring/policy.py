"""The lead scoring policy: a YAML (or TOML) file RevOps edits, loaded and validated here.

`load_policy` refuses a broken file with a `PolicyError` whose message names the file, the key
(with its line when the file is YAML) and the fix. `PolicyHolder` reloads the file when it
changes and keeps the policy in force when the new version is broken.

The policy's `version` is a hash of its validated content: editing a comment does not change it,
changing a number does. Every score records the version it was computed with.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, PrivateAttr, create_model, field_validator, model_validator

from leadpilot.memory.vocab import INDUSTRIES, KNOWN_SOURCE_WORDS, ActivityKind, Channel, Direction, industry_slug, normalise_source
from leadpilot.tools.scoring.grid import ENGAGEMENT_CATEGORIES, FIT_CATEGORIES, CalibrationTargets, Grid
from leadpilot.tools.scoring.policy_values import (
    ActivityKindName,
    HalfLifeDays,
    PointsAmount,
    WholePoints,
    _count,
    _policy_error,
    _similarity,
    _switch,
    _unknown,
)
from leadpilot.tools.common import PolicyFileError, PolicyFileHolder, PolicyProblem, configured_or_shipped, parse_policy_file, problem_of, read_policy_text  # noqa: F401 (PolicyProblem is re-exported)
from leadpilot.tools.common import PolicyModel as _PolicyModel

SHIPPED_POLICY = "scoring.yaml"


# ---------------------------------------------------------------------------------------------
# The policy model


class Tiers(_PolicyModel):
    hot: WholePoints
    warm: WholePoints

    @model_validator(mode="after")
    def _hot_above_warm(self) -> Tiers:
        if self.hot <= self.warm:
            raise _policy_error(
                f"tiers.hot ({self.hot}) must be above tiers.warm ({self.warm}) — raise hot or lower warm", at="hot"
            )
        return self


class _FieldPoints(_PolicyModel):
    key_noun: ClassVar[str] = "field"


class CompletenessPoints(_FieldPoints):
    email: WholePoints = 0
    phone: WholePoints = 0
    contact_name: WholePoints = 0
    website: WholePoints = 0


class ProfilePoints(_FieldPoints):
    company: WholePoints = 0
    job_title: WholePoints = 0
    industry: WholePoints = 0
    company_size: WholePoints = 0
    country: WholePoints = 0


class _EngagementPointsBase(_PolicyModel):
    key_noun: ClassVar[str] = "activity kind"


# One field per activity kind (and direction), so a new kind is scoreable without edits here.
ENGAGEMENT_KEYS: tuple[str, ...] = tuple(
    key for kind in ActivityKind for key in (kind.value, *(f"{kind.value}_{d.value}" for d in Direction))
)
EngagementPoints = create_model(  # type: ignore[call-overload]
    "EngagementPoints", __base__=_EngagementPointsBase, **{key: (PointsAmount | None, None) for key in ENGAGEMENT_KEYS}
)


class CompletenessCategory(_PolicyModel):
    cap: WholePoints
    points: CompletenessPoints


class ProfileCategory(_PolicyModel):
    cap: WholePoints
    points: ProfilePoints


_KNOWN_SOURCES = sorted(KNOWN_SOURCE_WORDS)


class SourceCategory(_PolicyModel):
    """Points by where a lead came from. `points` are by source, the value as the user's data has
    it (normalised: "Website Form" is website_form); a source not listed there earns its channel
    group's points under `channels` (memory.vocab.channel_of: paid, organic, referral, event,
    partner, outbound, owned_media, other). Listed nowhere: 0."""

    cap: WholePoints
    points: dict[str, WholePoints] = Field(default_factory=dict)
    channels: dict[str, WholePoints] = Field(default_factory=dict)

    @field_validator("points")
    @classmethod
    def _source_values(cls, values: dict[str, int]) -> dict[str, int]:
        """Normalised keys; a key close to a common source but not one is a typo ("refferal")."""
        normalised: dict[str, int] = {}
        for key, points in values.items():
            source = normalise_source(key)
            if source not in KNOWN_SOURCE_WORDS and difflib.get_close_matches(source, _KNOWN_SOURCES, n=1, cutoff=0.85):
                raise _policy_error(_unknown("source", key, _KNOWN_SOURCES), at=key)
            if source in normalised:
                raise _policy_error(f"{key!r} is the source {source!r} again — keep one of them", at=key)
            normalised[source] = points
        return normalised

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, values: dict[str, int]) -> dict[str, int]:
        names = [channel.value for channel in Channel]
        normalised: dict[str, int] = {}
        for key, points in values.items():
            channel = normalise_source(key)
            if channel not in names:
                raise _policy_error(_unknown("channel", key, names), at=key)
            normalised[channel] = points
        return normalised


class IndustryGroup(_PolicyModel):
    label: str
    points: WholePoints
    industries: tuple[str, ...]

    @field_validator("industries")
    @classmethod
    def _known_industries(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        slugs = []
        for index, raw in enumerate(values):
            slug = industry_slug(raw)
            # An unlisted industry is allowed (leads keep unknown industries), a near-miss is a typo.
            if slug not in INDUSTRIES and difflib.get_close_matches(slug, list(INDUSTRIES), n=1, cutoff=0.75):
                raise _policy_error(_unknown("industry", raw, list(INDUSTRIES)), at=str(index))
            slugs.append(slug)
        return tuple(slugs)


class IndustryCategory(_PolicyModel):
    cap: WholePoints
    groups: tuple[IndustryGroup, ...]

    @model_validator(mode="after")
    def _each_industry_once(self) -> IndustryCategory:
        seen: dict[str, int] = {}
        for group_index, group in enumerate(self.groups):
            for index, slug in enumerate(group.industries):
                if slug in seen and seen[slug] != group_index:
                    raise _policy_error(
                        f"industry {slug!r} is already in groups[{seen[slug]}] — keep it in one group only",
                        at=f"groups.{group_index}.industries.{index}",
                    )
                seen[slug] = group_index
        return self


class SizeBand(_PolicyModel):
    at_least: WholePoints
    points: WholePoints
    label: str | None = None


class CompanySizeCategory(_PolicyModel):
    cap: WholePoints
    bands: tuple[SizeBand, ...]

    @model_validator(mode="after")
    def _distinct_bands(self) -> CompanySizeCategory:
        seen: set[int] = set()
        for index, band in enumerate(self.bands):
            if band.at_least in seen:
                raise _policy_error(
                    f"two bands start at {band.at_least} employees — give each band its own at_least",
                    at=f"bands.{index}.at_least",
                )
            seen.add(band.at_least)
        return self


class EngagementCategory(_PolicyModel):
    cap: PointsAmount
    half_life_days: HalfLifeDays
    points: EngagementPoints  # type: ignore[valid-type]


class BehaviourRule(_PolicyModel):
    label: str
    kind: ActivityKindName
    direction: Literal["inbound", "outbound"] | None = None
    detail_contains: tuple[str, ...] | None = None  # None: any activity of this kind
    points: PointsAmount

    @field_validator("detail_contains")
    @classmethod
    def _texts(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if values is None:
            return None
        for index, value in enumerate(values):
            if not value.strip():
                raise _policy_error("must not be empty text — remove it or write the text to look for", at=str(index))
        return tuple(value.strip().lower() for value in values)


class BehaviourCategory(_PolicyModel):
    cap: PointsAmount
    half_life_days: HalfLifeDays
    rules: tuple[BehaviourRule, ...]


class SemanticCategory(_PolicyModel):
    """Points for resembling closed accounts that converted (needs the semantic index)."""

    enabled: Annotated[bool, PlainValidator(_switch)] = True
    cap: WholePoints = 30
    neighbours: Annotated[int, PlainValidator(_count(1, 100, 15))] = 15
    min_similarity: Annotated[float, PlainValidator(_similarity)] = 0.2
    max_closed_accounts: Annotated[int, PlainValidator(_count(1, 1_000_000, 2000))] = 2000


class Categories(_PolicyModel):
    """The scoring categories, in the order breakdowns list them. Each is optional."""

    key_noun: ClassVar[str] = "category"

    completeness: CompletenessCategory | None = None
    profile: ProfileCategory | None = None
    source: SourceCategory | None = None
    industry: IndustryCategory | None = None
    company_size: CompanySizeCategory | None = None
    engagement: EngagementCategory | None = None
    behaviour: BehaviourCategory | None = None
    semantic: SemanticCategory | None = None

    def present(self) -> list[tuple[str, Any]]:
        """(name, category) for each category the policy defines and does not switch off, in order."""
        return [
            (name, category)
            for name in type(self).model_fields
            if (category := getattr(self, name)) is not None and getattr(category, "enabled", True)
        ]

    @property
    def semantic_in_force(self) -> SemanticCategory | None:
        """The semantic category when the policy has it switched on."""
        return self.semantic if self.semantic is not None and self.semantic.enabled else None


class ScoringPolicy(_PolicyModel):
    """A validated scoring policy. `version` identifies its content; `path` is where it came from.

    Either `grid` (two axes, fit and engagement, each 0–100; the cell picks the tier) or `tiers`
    (one score; its thresholds pick the tier)."""

    tiers: Tiers | None = None
    grid: Grid | None = None
    calibration: CalibrationTargets = CalibrationTargets()
    total_cap: WholePoints | None = None
    categories: Categories

    _version: str = PrivateAttr(default="")
    _path: Path | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        # Calibration targets change no score: they are left out of the version.
        content = self.model_dump(mode="json", exclude_none=True, exclude={"calibration"})
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        self._version = hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @model_validator(mode="after")
    def _hot_is_reachable(self) -> ScoringPolicy:
        if (self.tiers is None) == (self.grid is None):
            raise _policy_error(
                "give either grid (fit × engagement, see config/scoring.yaml) or tiers (one score), not "
                + ("both — remove tiers" if self.tiers is not None else "neither — add grid"),
                at="grid",
            )
        if self.grid is not None:
            return self._grid_is_reachable(self.grid)
        assert self.tiers is not None
        if self.total_cap is not None and self.total_cap < self.tiers.hot:
            raise _policy_error(
                f"total_cap ({self.total_cap}) is below tiers.hot ({self.tiers.hot}), so no lead could be hot"
                " — raise total_cap or lower tiers.hot",
                at="total_cap",
            )
        reachable = sum(category.cap for _, category in self.categories.present())
        if reachable < self.tiers.hot:
            raise _policy_error(
                f"the category caps add up to {reachable:g}, below tiers.hot ({self.tiers.hot}), so no lead could be hot"
                " — raise some caps or lower tiers.hot",
                at="tiers.hot",
            )
        return self

    def _grid_is_reachable(self, grid: Grid) -> ScoringPolicy:
        present = dict(self.categories.present())
        fit_need, engagement_need = grid.lowest_hot()
        for axis, names, need, key in (
            ("fit", FIT_CATEGORIES, fit_need, "grid.fit"), ("engagement", ENGAGEMENT_CATEGORIES, engagement_need, "grid.engagement")
        ):
            reachable = sum(present[name].cap for name in names if name in present)
            if reachable < need:
                raise _policy_error(
                    f"the {axis} categories' caps add up to {reachable:g}, below the {need} a hot cell needs, so no lead"
                    f" could be hot — raise their caps or lower {key}",
                    at=key,
                )
        return self

    def axis_of(self, category: str) -> str:
        """"fit" or "engagement": which axis a category adds to."""
        return "engagement" if category in ENGAGEMENT_CATEGORIES else "fit"

    @property
    def version(self) -> str:
        return self._version

    @property
    def path(self) -> Path | None:
        return self._path


# ---------------------------------------------------------------------------------------------
# Errors


class PolicyError(PolicyFileError):
    """A scoring policy file that cannot be used; the message names the file, each key and its fix."""

    what: ClassVar[str] = "Scoring policy"


# ---------------------------------------------------------------------------------------------
# Reading the file


def parse_policy(text: str, *, path: Path) -> ScoringPolicy:
    """Validate policy text; `path` names the file in errors and picks the format (.toml or YAML)."""
    return parse_policy_file(
        text,
        path=path,
        model=ScoringPolicy,
        error_type=PolicyError,
        not_a_mapping="the file must hold a mapping with tiers and categories — see config/scoring.yaml",
        describe=lambda error: problem_of(error, ScoringPolicy),
    )


def default_policy_path() -> Path:
    """The policy setting (LEADPILOT_SCORING_POLICY) or the example shipped in config/."""
    from leadpilot.settings import get_settings

    return configured_or_shipped(get_settings().scoring_policy, SHIPPED_POLICY)


def _read_text(path: Path) -> str:
    return read_policy_text(path, PolicyError, "LEADPILOT_SCORING_POLICY")


def load_policy(path: Path | None = None) -> ScoringPolicy:
    """Load and validate a scoring policy (default: the configured one, else the shipped example)."""
    resolved = Path(path) if path is not None else default_policy_path()
    return parse_policy(_read_text(resolved), path=resolved)


class PolicyHolder(PolicyFileHolder[ScoringPolicy]):
    """The scoring policy in force, reloaded when its file changes.

    `get()` re-reads the file (a few KB) and re-validates only when its content changed. A broken
    new version does not replace the policy in force: `get()` keeps returning the old policy and
    `error` holds the problem to show. Only a first load that fails raises. Thread-safe.
    """

    def __init__(self, path: Path | None = None):
        super().__init__(path, default_path=default_policy_path, read_text=_read_text, parse=parse_policy)
