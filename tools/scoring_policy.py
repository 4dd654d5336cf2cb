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
import threading
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, PlainValidator, PrivateAttr, ValidationError, create_model, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadpilot.memory.vocab import INDUSTRIES, ActivityKind, Direction, Source, industry_slug

SHIPPED_POLICY = "scoring.yaml"


# ---------------------------------------------------------------------------------------------
# Value types with messages a RevOps person can act on


def _policy_error(message: str, *, at: str | None = None) -> PydanticCustomError:
    """A validation error; `at` ("hot", "bands.2.at_least") points below the failing model."""
    return PydanticCustomError("policy", message, {"at": at} if at else {})


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


WholePoints = Annotated[int, PlainValidator(_whole_points)]
PointsAmount = Annotated[float, PlainValidator(_points_amount)]
HalfLifeDays = Annotated[float, PlainValidator(_half_life)]
ActivityKindName = Annotated[str, PlainValidator(_activity_kind)]


def _unknown(noun: str, value: object, known: Sequence[str]) -> str:
    """ "unknown source 'refferal' — did you mean 'referral'?" (or the list of what is allowed)."""
    text = str(value)
    close = difflib.get_close_matches(text.lower(), list(known), n=1, cutoff=0.6)
    if close:
        return f"unknown {noun} {text!r} — did you mean {close[0]!r}?"
    return f"unknown {noun} {text!r} — use one of: {', '.join(known)}"


# ---------------------------------------------------------------------------------------------
# The policy model


class _PolicyModel(BaseModel):
    """Frozen, and strict about keys: a typo is an error, never a setting that silently does nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key_noun: ClassVar[str] = "key"  # how an unknown key is named in errors ("unknown category ...")


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


class _SourcePointsBase(_PolicyModel):
    key_noun: ClassVar[str] = "source"


class _EngagementPointsBase(_PolicyModel):
    key_noun: ClassVar[str] = "activity kind"


# One field per vocabulary value, so a new source or activity kind is scoreable without edits here.
SourcePoints = create_model(  # type: ignore[call-overload]
    "SourcePoints", __base__=_SourcePointsBase, **{source.value: (WholePoints, 0) for source in Source}
)
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


class SourceCategory(_PolicyModel):
    cap: WholePoints
    points: SourcePoints  # type: ignore[valid-type]


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

    def present(self) -> list[tuple[str, Any]]:
        """(name, category) for each category the policy defines, in order."""
        return [(name, getattr(self, name)) for name in type(self).model_fields if getattr(self, name) is not None]


class ScoringPolicy(_PolicyModel):
    """A validated scoring policy. `version` identifies its content; `path` is where it came from."""

    tiers: Tiers
    total_cap: WholePoints | None = None
    categories: Categories

    _version: str = PrivateAttr(default="")
    _path: Path | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        canonical = json.dumps(self.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":"))
        self._version = hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @model_validator(mode="after")
    def _hot_is_reachable(self) -> ScoringPolicy:
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

    @property
    def version(self) -> str:
        return self._version

    @property
    def path(self) -> Path | None:
        return self._path


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class PolicyProblem:
    key: str  # "categories.source.points.referral"; "" for the whole file
    message: str  # what is wrong and how to fix it
    line: int | None = None  # 1-based, when known

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.key}: {self.message}" if self.key else f"{where}{self.message}"


class PolicyError(ValueError):
    """A scoring policy file that cannot be used; the message names the file, each key and its fix."""

    def __init__(self, path: Path | str, problems: Sequence[PolicyProblem]):
        self.path = Path(path)
        self.problems = list(problems)
        count = f"{len(self.problems)} problem" + ("s" if len(self.problems) != 1 else "")
        lines = [f"Scoring policy {self.path} is invalid ({count}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def _key_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(loc: Sequence[str | int]) -> type[_PolicyModel] | None:
    """The policy model class found by walking `loc` from the top (list indexes are skipped)."""
    model: type[_PolicyModel] | None = ScoringPolicy
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        model = _model_in(field.annotation) if field else None
        if model is None:
            return None
    return model


def _model_in(annotation: Any) -> type[_PolicyModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, _PolicyModel):
        return annotation
    for argument in get_args(annotation):
        if (found := _model_in(argument)) is not None:
            return found
    return None


def _parse_at(at: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in at.split("."))


_TYPE_MESSAGES = {
    "missing": "is missing — add it",
    "model_type": "must be a set of `key: value` lines (a mapping)",
    "model_attributes_type": "must be a set of `key: value` lines (a mapping)",
    "tuple_type": "must be a list, e.g. [a, b] or lines starting with '- '",
    "list_type": "must be a list, e.g. [a, b] or lines starting with '- '",
    "string_type": "must be text",
    "literal_error": "must be one of: inbound, outbound (or leave it out for both)",
}


def _problem_of(error: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        noun = model.key_noun if model else "key"
        known = list(model.model_fields) if model else []
        return loc, _unknown(noun, loc[-1], known) if known else f"unknown key {loc[-1]!r} — remove it"
    message = _TYPE_MESSAGES.get(kind, error["msg"])
    if isinstance(error.get("input"), (str, int, float, bool)):
        message += f" (got {error['input']!r})"
    if kind == "policy" and (at := (error.get("ctx") or {}).get("at")):
        loc += _parse_at(at)
    return loc, message


def _problems_from(error: ValidationError, lines: _LineFinder | None) -> list[PolicyProblem]:
    problems = []
    for item in error.errors():
        loc, message = _problem_of(item)  # type: ignore[arg-type]
        problems.append(PolicyProblem(key=_key_path(loc), message=message, line=lines.line_of(loc) if lines else None))
    return problems


# ---------------------------------------------------------------------------------------------
# Reading the file


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys (PyYAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]}) — keep one of them", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _LineFinder:
    """Finds the line of a key path in a composed YAML document, for error messages."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        node, line = self.root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
                if match is None:
                    break
                line, node = match[0].start_mark.line + 1, match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def _read_yaml(path: Path, text: str) -> tuple[Any, _LineFinder]:
    try:
        loader = _StrictLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(part for part in (error.context, error.problem) if part)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        fix = "" if "duplicate key" in what else " — check the indentation and quote values that contain ':' or '#'"
        raise PolicyError(path, [PolicyProblem("", f"{where}YAML syntax error: {what}{fix}")]) from None
    except yaml.YAMLError as error:
        raise PolicyError(path, [PolicyProblem("", f"YAML syntax error: {error}")]) from None
    return data, _LineFinder(root)


def _read_toml(path: Path, text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(path, [PolicyProblem("", f"TOML syntax error: {error}")]) from None


def parse_policy(text: str, *, path: Path) -> ScoringPolicy:
    """Validate policy text; `path` names the file in errors and picks the format (.toml or YAML)."""
    lines: _LineFinder | None = None
    if path.suffix.lower() == ".toml":
        data = _read_toml(path, text)
    else:
        data, lines = _read_yaml(path, text)
    if not isinstance(data, dict):
        raise PolicyError(path, [PolicyProblem("", "the file must hold a mapping with tiers and categories — see config/scoring.yaml")])
    try:
        policy = ScoringPolicy.model_validate(data)
    except ValidationError as error:
        raise PolicyError(path, _problems_from(error, lines)) from None
    policy._path = path
    return policy


def default_policy_path() -> Path:
    """The policy setting (LEADPILOT_SCORING_POLICY) or the example shipped in config/."""
    from leadpilot.settings import get_settings

    configured = get_settings().scoring_policy
    if configured is not None:
        return Path(configured)
    return Path(str(files("leadpilot.config").joinpath(SHIPPED_POLICY)))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(path, [PolicyProblem("", "file not found — create it, or point LEADPILOT_SCORING_POLICY at an existing policy file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(path, [PolicyProblem("", f"cannot read the file ({error}) — check its permissions and that it is UTF-8 text")]) from None


def load_policy(path: Path | None = None) -> ScoringPolicy:
    """Load and validate a scoring policy (default: the configured one, else the shipped example)."""
    resolved = Path(path) if path is not None else default_policy_path()
    return parse_policy(_read_text(resolved), path=resolved)


class PolicyHolder:
    """The policy in force, reloaded when its file changes.

    `get()` re-reads the file (a few KB) and re-validates only when its content changed. A broken
    new version does not replace the policy in force: `get()` keeps returning the old policy and
    `error` holds the problem to show. Only a first load that fails raises. Thread-safe.
    """

    def __init__(self, path: Path | None = None):
        self._path = Path(path) if path is not None else None
        self._policy: ScoringPolicy | None = None
        self._content_hash: str | None = None
        self._error: PolicyError | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = default_policy_path()
        return self._path

    @property
    def error(self) -> PolicyError | None:
        """Why the file on disk is not the policy in force (None when it is)."""
        return self._error

    def get(self) -> ScoringPolicy:
        """The policy in force, after picking up a changed file. Raises PolicyError only when none ever loaded."""
        error = self.refresh()
        if self._policy is None:
            assert error is not None
            raise error
        return self._policy

    def refresh(self) -> PolicyError | None:
        """Reload if the file changed; return the problem with the file on disk, if any."""
        with self._lock:
            try:
                text = _read_text(self.path)
            except PolicyError as error:
                self._error, self._content_hash = error, None
                return error
            content_hash = hashlib.sha256(text.encode()).hexdigest()
            if content_hash == self._content_hash:
                return self._error
            self._content_hash = content_hash
            try:
                self._policy = parse_policy(text, path=self.path)
                self._error = None
            except PolicyError as error:
                self._error = error
            return self._error
