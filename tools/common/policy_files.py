"""What the policy files RevOps edits (scoring, routing) share: reading YAML or TOML with line
numbers, turning validation errors into file / key / line / fix messages, and a holder that reloads
a file when it changes and keeps the last good policy in force when an edit is broken.

Each policy module supplies its model, its error class (which names the policy in messages), its
own wording where it differs, and its default file.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

# ---------------------------------------------------------------------------------------------
# Models and value errors


class PolicyModel(BaseModel):
    """Frozen, and strict about keys: a typo is an error, never a setting that silently does nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key_noun: ClassVar[str] = "key"  # how an unknown key is named in errors ("unknown category ...")


def policy_error(message: str, *, at: str | None = None) -> PydanticCustomError:
    """A validation error; `at` ("hot", "bands.2.at_least") points below the failing model."""
    return PydanticCustomError("policy", message, {"at": at} if at else {})


def unknown(noun: str, value: object, known: Sequence[str]) -> str:
    """ "unknown source 'refferal' — did you mean 'referral'?" (or the list of what is allowed)."""
    text = str(value)
    close = difflib.get_close_matches(text.lower(), list(known), n=1, cutoff=0.6)
    if close:
        return f"unknown {noun} {text!r} — did you mean {close[0]!r}?"
    return f"unknown {noun} {text!r} — use one of: {', '.join(known)}"


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


class PolicyFileError(ValueError):
    """A policy file that cannot be used; the message names the file, each key and its fix."""

    what: ClassVar[str] = "Policy"  # "Scoring policy", "Routing policy"

    def __init__(self, path: Path | str, problems: Sequence[PolicyProblem]):
        self.path = Path(path)
        self.problems = list(problems)
        count = f"{len(self.problems)} problem" + ("s" if len(self.problems) != 1 else "")
        lines = [f"{self.what} {self.path} is invalid ({count}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def key_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(root: type[PolicyModel], loc: Sequence[str | int]) -> type[PolicyModel] | None:
    """The policy model found by walking `loc` from `root`; list indexes and mapping keys are skipped."""
    model: type[PolicyModel] | None = root
    skip_key = False
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:
            skip_key = False
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        skip_key = _is_mapping(field.annotation)
        model = _model_in(field.annotation)
        if model is None:
            return None
    return model


def _is_mapping(annotation: Any) -> bool:
    return get_origin(annotation) is dict or any(get_origin(a) is dict for a in get_args(annotation))


def _model_in(annotation: Any) -> type[PolicyModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, PolicyModel):
        return annotation
    for argument in get_args(annotation):
        if (found := _model_in(argument)) is not None:
            return found
    return None


def _parse_at(at: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in at.split("."))


TYPE_MESSAGES = {
    "missing": "is missing — add it",
    "model_type": "must be a set of `key: value` lines (a mapping)",
    "model_attributes_type": "must be a set of `key: value` lines (a mapping)",
    "tuple_type": "must be a list, e.g. [a, b] or lines starting with '- '",
    "list_type": "must be a list, e.g. [a, b] or lines starting with '- '",
    "string_type": "must be text",
    "literal_error": "must be one of: inbound, outbound (or leave it out for both)",
}

Describe = Callable[[dict[str, Any]], tuple[tuple[str | int, ...], str]]


def problem_of(error: dict[str, Any], root: type[PolicyModel]) -> tuple[tuple[str | int, ...], str]:
    """The key path and the message for one pydantic error in a policy whose top model is `root`."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        known = [f.alias or name for name, f in model.model_fields.items()] if model else []
        noun = model.key_noun if model else "key"
        return loc, unknown(noun, loc[-1], known) if known else f"unknown key {loc[-1]!r} — remove it"
    message = TYPE_MESSAGES.get(kind, error["msg"])
    if isinstance(error.get("input"), (str, int, float, bool)):
        message += f" (got {error['input']!r})"
    if kind == "policy" and (at := (error.get("ctx") or {}).get("at")):
        loc += _parse_at(at)
    return loc, message


def problems_from(error: ValidationError, lines: LineFinder | None, describe: Describe) -> list[PolicyProblem]:
    problems = []
    for item in error.errors():
        loc, message = describe(item)  # type: ignore[arg-type]
        problems.append(PolicyProblem(key=key_path(loc), message=message, line=lines.line_of(loc) if lines else None))
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


class LineFinder:
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


def read_yaml(path: Path, text: str, error_type: type[PolicyFileError]) -> tuple[Any, LineFinder]:
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
        raise error_type(path, [PolicyProblem("", f"{where}YAML syntax error: {what}{fix}")]) from None
    except yaml.YAMLError as error:
        raise error_type(path, [PolicyProblem("", f"YAML syntax error: {error}")]) from None
    return data, LineFinder(root)


def read_toml(path: Path, text: str, error_type: type[PolicyFileError]) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise error_type(path, [PolicyProblem("", f"TOML syntax error: {error}")]) from None


M = TypeVar("M", bound=PolicyModel)


def parse_policy_file(
    text: str, *, path: Path, model: type[M], error_type: type[PolicyFileError], not_a_mapping: str, describe: Describe
) -> M:
    """Validate policy text as `model`; `path` names the file in errors and picks the format (.toml or YAML).
    Sets the policy's `_path`."""
    lines: LineFinder | None = None
    if path.suffix.lower() == ".toml":
        data = read_toml(path, text, error_type)
    else:
        data, lines = read_yaml(path, text, error_type)
    if not isinstance(data, dict):
        raise error_type(path, [PolicyProblem("", not_a_mapping)])
    try:
        policy = model.model_validate(data)
    except ValidationError as error:
        raise error_type(path, problems_from(error, lines, describe)) from None
    policy._path = path
    return policy


def read_policy_text(path: Path, error_type: type[PolicyFileError], setting: str) -> str:
    """The file's text; `setting` (LEADPILOT_SCORING_POLICY) is named when the file is missing."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_type(path, [PolicyProblem("", f"file not found — create it, or point {setting} at an existing policy file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise error_type(path, [PolicyProblem("", f"cannot read the file ({error}) — check its permissions and that it is UTF-8 text")]) from None


def configured_or_shipped(configured: str | Path | None, shipped: str) -> Path:
    """The configured policy file, else the example `shipped` in config/."""
    if configured is not None:
        return Path(configured)
    return Path(str(files("leadpilot.config").joinpath(shipped)))


# ---------------------------------------------------------------------------------------------
# The policy in force

P = TypeVar("P")


class PolicyFileHolder(Generic[P]):
    """The policy in force, reloaded when its file changes.

    `get()` re-reads the file (a few KB) and re-validates only when its content changed. A broken
    new version does not replace the policy in force: `get()` keeps returning the old policy and
    `error` holds the problem to show. Only a first load that fails raises. Thread-safe.

    The policy module passes its default path, its file reader and its `parse_policy(text, path=)`;
    a subclass may override `_adopt` (e.g. to record what changed since the previous policy).
    """

    def __init__(
        self,
        path: Path | None,
        *,
        default_path: Callable[[], Path],
        read_text: Callable[[Path], str],
        parse: Callable[..., P],
    ):
        self._path = Path(path) if path is not None else None
        self._default_path, self._read_text, self._parse = default_path, read_text, parse
        self._policy: P | None = None
        self._content_hash: str | None = None
        self._error: PolicyFileError | None = None
        self._lock = threading.Lock()

    def _adopt(self, previous: P | None, policy: P) -> P:
        """The policy to put in force when `policy` is a valid new version of the file."""
        return policy

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = self._default_path()
        return self._path

    @property
    def error(self) -> PolicyFileError | None:
        """Why the file on disk is not the policy in force (None when it is)."""
        return self._error

    def get(self) -> P:
        """The policy in force, after picking up a changed file. Raises only when none ever loaded."""
        error = self.refresh()
        if self._policy is None:
            assert error is not None
            raise error
        return self._policy

    def refresh(self) -> PolicyFileError | None:
        """Reload if the file changed; return the problem with the file on disk, if any."""
        with self._lock:
            try:
                text = self._read_text(self.path)
            except PolicyFileError as error:
                self._error, self._content_hash = error, None
                return error
            content_hash = hashlib.sha256(text.encode()).hexdigest()
            if content_hash == self._content_hash:
                return self._error
            self._content_hash = content_hash
            try:
                policy = self._parse(text, path=self.path)
            except PolicyFileError as error:
                self._error = error
                return error
            self._policy, self._error = self._adopt(self._policy, policy), None
            return None


# ---------------------------------------------------------------------------------------------
# A policy file kind: everything a simple policy module would otherwise repeat


@dataclass(frozen=True)
class PolicyKind(Generic[M]):
    """One kind of policy file: its model, error class, shipped example and setting.

    `parse`, `load`, `default_path` and `holder` are what a policy module exposes; modules with
    extra behaviour (scoring, routing) keep their own.
    """

    model: type[M]
    error_type: type[PolicyFileError]
    shipped: str  # file name in config/
    setting: str  # Settings attribute, e.g. "pipeline_policy"
    not_a_mapping: str

    @property
    def variable(self) -> str:
        return "LEADPILOT_" + self.setting.upper()

    def parse(self, text: str, *, path: Path) -> M:
        return parse_policy_file(text, path=path, model=self.model, error_type=self.error_type,
                                 not_a_mapping=self.not_a_mapping, describe=lambda error: problem_of(error, self.model))

    def default_path(self) -> Path:
        from leadpilot.settings import get_settings

        return configured_or_shipped(getattr(get_settings(), self.setting), self.shipped)

    def read_text(self, path: Path) -> str:
        return read_policy_text(path, self.error_type, self.variable)

    def load(self, path: Path | None = None) -> M:
        resolved = Path(path) if path is not None else self.default_path()
        return self.parse(self.read_text(resolved), path=resolved)

    def holder(self, path: Path | None = None) -> PolicyFileHolder[M]:
        """A holder that reloads the file when it changes and keeps the last good version."""
        return PolicyFileHolder(path, default_path=self.default_path, read_text=self.read_text, parse=self.parse)
