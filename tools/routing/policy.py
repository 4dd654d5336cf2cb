"""The lead routing policy: a YAML (or TOML) file RevOps edits, loaded and validated here.

The file says which rep or pool gets which leads (ordered rules), how each pool picks a rep, which
constraints apply, per-rep capacity, hours and out-of-office settings, account matching and the
fallback. `load_policy` refuses a broken file with a `RoutingPolicyError` naming the file, the key
(with its line for YAML) and the fix; the YAML reading and error wording are shared with the
scoring policy. `RoutingPolicyHolder` picks up edits and keeps the policy in force when an edit is
broken; each policy it loads remembers what changed since the one before (`changes`), so a routing
decision can name the edit that affected it.

Rep references are emails; whether they exist is checked against the roster when routing (the
file alone cannot know), and an unknown rep is reported in the decision, never silently ignored.

The value types are in policy_values.py and the file's sections (rules, pools, reps, constraints,
fallback) in policy_sections.py; this module holds the whole policy, what changed between two
versions, and reading the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr, model_validator

from leadpilot.tools.common import TYPE_MESSAGES, PolicyFileHolder, PolicyProblem, configured_or_shipped, parse_policy_file, problem_of, read_policy_text  # noqa: F401 (PolicyProblem is re-exported)
from leadpilot.tools.common import PolicyModel as _PolicyModel
from leadpilot.tools.common import policy_error as _policy_error
from leadpilot.tools.common import unknown as _unknown
from leadpilot.tools.routing.policy_outcomes import AccountEntry, Queue, personal_domains
from leadpilot.tools.routing.policy_sections import AccountMatching, Constraints, Fallback, Pool, RepSettings, Rule, Sla
from leadpilot.tools.routing.policy_values import Name, Place, RepEmail
from leadpilot.tools.scoring import PolicyError

SHIPPED_POLICY = "routing.yaml"


class RoutingPolicy(_PolicyModel):
    """A validated routing policy. `version` identifies its content; `changes` are the edits since
    the version a holder had in force before it."""

    territories: dict[Name, tuple[Place, ...]] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=Constraints)
    account_matching: AccountMatching = Field(default_factory=AccountMatching)
    reps: dict[RepEmail, RepSettings] = Field(default_factory=dict)
    pools: dict[Name, Pool] = Field(default_factory=dict)
    rules: tuple[Rule, ...]
    fallback: Fallback
    queues: dict[Name, Queue] = Field(default_factory=dict)
    accounts: tuple[AccountEntry, ...] = ()
    sla: Sla | None = None

    _version: str = PrivateAttr(default="")
    _path: Path | None = PrivateAttr(default=None)
    _previous_version: str | None = PrivateAttr(default=None)
    _changes: tuple[PolicyChange, ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        canonical = json.dumps(self.as_data(), sort_keys=True, separators=(",", ":"), default=str)
        self._version = hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @model_validator(mode="after")
    def _references(self) -> RoutingPolicy:
        if not self.rules:
            raise _policy_error("add at least one rule (leads matching none go to the fallback)", at="rules")
        seen: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.name in seen:
                raise _policy_error(f"rule name {rule.name!r} is already used by rules[{seen[rule.name]}] — give each rule its own name", at=f"rules.{index}.name")
            seen[rule.name] = index
            if rule.before_accounts and index and not self.rules[index - 1].before_accounts:
                raise _policy_error(f"rules tried before account matching are listed first — move {rule.name!r} above "
                                    f"{self.rules[index - 1].name!r} (or drop its before_accounts)", at=f"rules.{index}.before_accounts")
            if rule.route_to.pool is not None and rule.route_to.pool not in self.pools:
                raise _policy_error(_unknown("pool", rule.route_to.pool, list(self.pools)) + " (or add it under pools)", at=f"rules.{index}.route_to.pool")
            for queue, at in ((rule.route_to.queue, "route_to.queue"), (self.unavailable_queue(rule), "when_unavailable")):
                self._queue_known(queue, at=f"rules.{index}.{at}")
            for step, backup in enumerate(rule.backups):
                if backup.pool is not None and backup.pool not in self.pools:
                    raise _policy_error(_unknown("pool", backup.pool, list(self.pools)) + " (or add it under pools)", at=f"rules.{index}.backups.{step}.pool")
                self._queue_known(backup.queue, at=f"rules.{index}.backups.{step}.queue")
            for position, territory in enumerate(rule.when.territory or ()):
                if territory not in self.territories:
                    raise _policy_error(_unknown("territory", territory, list(self.territories)) + " (or add it under territories)", at=f"rules.{index}.when.territory.{position}")
            for territory in sorted(rule.when.territories() - set(self.territories)):
                raise _policy_error(_unknown("territory", territory, list(self.territories)) + " (or add it under territories)", at=f"rules.{index}.when")
        personal = personal_domains(self.account_matching.personal_domains)
        self._queue_known(self.owner_unavailable_queue(self.account_matching.when_owner_unavailable), at="account_matching.when_owner_unavailable")
        self._queue_known(self.owner_unavailable_queue(self.account_matching.when_team_unavailable), at="account_matching.when_team_unavailable")
        for index, account in enumerate(self.accounts):
            self._queue_known(self.owner_unavailable_queue(account.when_owner_unavailable), at=f"accounts.{index}.when_owner_unavailable")
            self._queue_known(self.owner_unavailable_queue(account.when_team_unavailable), at=f"accounts.{index}.when_team_unavailable")
            if account.domain in personal:
                raise _policy_error(f"{account.domain} is a personal mail domain (account_matching.personal_domains): it names no company — "
                                    "give the company's own domain or its company name", at=f"accounts.{index}.domain")
        return self

    def _queue_known(self, queue: str | None, *, at: str) -> None:
        if queue is not None and queue not in self.queues:
            known = (_unknown("queue", queue, list(self.queues)) + " (or add it under queues)") if self.queues else (
                f"unknown queue {queue!r} — add it under queues, e.g. queues: {{{queue}: {{owner: <email>}}}}")
            raise _policy_error(known, at=at)

    @staticmethod
    def owner_unavailable_queue(choice: str | None) -> str | None:
        """The queue of a `when_owner_unavailable: queue:<name>` (account_matching or an account's own) or a
        `when_team_unavailable: queue:<name>`."""
        return choice.split(":", 1)[1] if choice and choice.startswith("queue:") else None

    @staticmethod
    def unavailable_queue(rule: Rule) -> str | None:
        """The queue a rule sends leads to when nobody can take them (`when_unavailable: queue:<name>`)."""
        return rule.when_unavailable.split(":", 1)[1] if rule.when_unavailable.startswith("queue:") else None

    @property
    def version(self) -> str:
        return self.__pydantic_private__["_version"]  # read per decision: skip pydantic's __getattr__

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def previous_version(self) -> str | None:
        return self._previous_version

    @property
    def changes(self) -> tuple[PolicyChange, ...]:
        """What changed since the policy in force before this one (empty for a first load)."""
        return self.__pydantic_private__["_changes"]

    def as_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def rule(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def rule_constraints(self, rule: Rule | None) -> Constraints:
        if rule is None or rule.constraints is None:
            return self.constraints
        overrides = {k: v for k, v in rule.constraints.model_dump().items() if v is not None}
        return self.constraints.model_copy(update=overrides)

    def with_changes(self, data_edit: Callable[[dict[str, Any]], None]) -> RoutingPolicy:
        """A new validated policy from this one's data after `data_edit(data)` edits it in place."""
        data = self.as_data()
        data_edit(data)
        policy = RoutingPolicy.model_validate(data)
        policy._path = self._path
        policy._previous_version = self.version
        policy._changes = tuple(policy_diff(self, policy))
        return policy


# ---------------------------------------------------------------------------------------------
# What changed between two versions


@dataclass(frozen=True)
class PolicyChange:
    key: str  # "territories.dach", "rules[na-west].when.industry", "reps[maya@x.com].max_open_leads"
    text: str  # "added PL", "150 → 120"

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            label = f"{prefix}[{key}]" if prefix in ("reps", "pools", "territories") else (f"{prefix}.{key}" if prefix else key)
            _flatten(item, label, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        out[f"{prefix} order"] = [v["name"] for v in value]
        for item in value:
            _flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]", out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "rep" in v for v in value):
        for item in value:
            out[f"{prefix}[{item['rep']}]"] = f"weight {item['weight']:g}" if item.get("weight") is not None else "member"
    elif isinstance(value, list):
        out[prefix] = [json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in value]
    else:
        out[prefix] = value


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def policy_diff(old: RoutingPolicy, new: RoutingPolicy) -> list[PolicyChange]:
    """Each setting that differs, as key and a short text ("added PL", "150 → 120", "removed")."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old.as_data(), "", before)
    _flatten(new.as_data(), "", after)
    changes: list[PolicyChange] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if key.endswith(" order") and was is not None and now is not None and set(was) == set(now):
            changes.append(PolicyChange(key, f"{_shown(was)} → {_shown(now)}"))
        elif key.endswith(" order"):
            continue  # rules added or removed are reported per rule
        elif isinstance(was, list) and isinstance(now, list):
            added = [v for v in now if v not in was]
            removed = [v for v in was if v not in now]
            parts = ([f"added {', '.join(map(str, added))}"] if added else []) + (
                [f"removed {', '.join(map(str, removed))}"] if removed else []
            )
            changes.append(PolicyChange(key, "; ".join(parts) or f"reordered to {_shown(now)}"))
        elif key not in before:
            changes.append(PolicyChange(key, f"added ({_shown(now)})"))
        elif key not in after:
            changes.append(PolicyChange(key, f"removed (was {_shown(was)})"))
        else:
            changes.append(PolicyChange(key, f"{_shown(was)} → {_shown(now)}"))
    return _merge_whole_entries(changes, before, after)


def _merge_whole_entries(changes: list[PolicyChange], before: dict[str, Any], after: dict[str, Any]) -> list[PolicyChange]:
    """A rule, pool or rep added or removed as a whole is one change, not one per setting."""
    merged: list[PolicyChange] = []
    wholes: set[str] = set()
    for change in changes:
        match = re.match(r"^((?:rules|reps|pools|territories)\[[^\]]+\])", change.key)
        if match:
            head = match[1]
            in_before = any(k.startswith(head) for k in before)
            in_after = any(k.startswith(head) for k in after)
            if in_before != in_after:
                if head not in wholes:
                    wholes.add(head)
                    merged.append(PolicyChange(head, "added" if in_after else "removed"))
                continue
        merged.append(change)
    return merged


# ---------------------------------------------------------------------------------------------
# Errors


class RoutingPolicyError(PolicyError):
    """A routing policy file that cannot be used; the message names the file, each key and its fix."""

    what: ClassVar[str] = "Routing policy"


_MORE_TYPE_MESSAGES = {
    "dict_type": "must be a set of `name: value` lines (a mapping)",
    "bool_type": "must be true or false",
}


def _problem(error: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return problem_of(error, RoutingPolicy)
    if kind == "missing" and loc and loc[-1] == "fallback":
        return loc, "is missing — add `fallback: {rep: <email>}` or `fallback: {queue: <name>}` for leads no rule can place"
    if kind in _MORE_TYPE_MESSAGES and kind not in TYPE_MESSAGES:
        message = _MORE_TYPE_MESSAGES[kind]
    else:
        loc, message = problem_of(error, RoutingPolicy)
        got = f" (got {error.get('input')!r})"
        if message.endswith(got) and repr(error.get("input")) in message[: -len(got)]:
            message = message[: -len(got)]  # the message already quotes the value
    if loc and loc[-1] == "[key]":  # a bad mapping key: point at the key itself
        loc = loc[:-1]
    return loc, message


# ---------------------------------------------------------------------------------------------
# Reading the file


def parse_policy(text: str, *, path: Path) -> RoutingPolicy:
    """Validate policy text; `path` names the file in errors and picks the format (.toml or YAML)."""
    return parse_policy_file(
        text,
        path=path,
        model=RoutingPolicy,
        error_type=RoutingPolicyError,
        not_a_mapping="the file must hold a mapping with pools, rules and fallback — see config/routing.yaml",
        describe=_problem,
    )


def default_policy_path() -> Path:
    """The policy setting (LEADPILOT_ROUTING_POLICY) or the example shipped in config/."""
    from leadpilot.settings import get_settings

    return configured_or_shipped(get_settings().routing_policy, SHIPPED_POLICY)


def _read_text(path: Path) -> str:
    return read_policy_text(path, RoutingPolicyError, "LEADPILOT_ROUTING_POLICY")


def load_policy(path: Path | None = None) -> RoutingPolicy:
    """Load and validate a routing policy (default: the configured one, else the shipped example)."""
    resolved = Path(path) if path is not None else default_policy_path()
    return parse_policy(_read_text(resolved), path=resolved)


class RoutingPolicyHolder(PolicyFileHolder[RoutingPolicy]):
    """The routing policy in force, reloaded when its file changes.

    `get()` re-reads the file and re-validates only when its content changed. A broken new version
    does not replace the policy in force: `get()` keeps returning the old one and `error` says what
    is wrong with the file. A new valid version records its `changes` against the old one. Only a
    first load that fails raises. Thread-safe.
    """

    def __init__(self, path: Path | None = None):
        super().__init__(path, default_path=default_policy_path, read_text=_read_text, parse=parse_policy)

    def _adopt(self, previous: RoutingPolicy | None, policy: RoutingPolicy) -> RoutingPolicy:
        if previous is not None and previous.version != policy.version:
            policy._previous_version = previous.version
            policy._changes = tuple(policy_diff(previous, policy))
        elif previous is not None:  # a comment-only edit: same policy, same history
            policy = previous
        return policy


_holders: dict[Path, RoutingPolicyHolder] = {}
_holders_lock = threading.Lock()


def policy_in_force(path: Path | None = None) -> RoutingPolicy:
    """The routing policy in force for `path` (default: the configured file), from a process-wide
    holder created on first use: edits are picked up, a broken edit keeps the last good policy."""
    resolved = (Path(path) if path is not None else default_policy_path()).resolve()
    with _holders_lock:
        holder = _holders.setdefault(resolved, RoutingPolicyHolder(resolved))
    return holder.get()


def policy_problem(path: Path | None = None) -> RoutingPolicyError | None:
    """Why the file on disk is not in force (for interfaces to show next to answers), if it is not."""
    resolved = (Path(path) if path is not None else default_policy_path()).resolve()
    holder = _holders.get(resolved)
    return holder.refresh() if holder is not None else None
