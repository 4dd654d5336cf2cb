"""Rule conditions beyond value lists: comparisons, dates, `missing`, and any/all/not.

A rule's `when:` holds the classic conditions (`territory: [dach]`, `score: {at_least: 70}`) and,
written the same way, tests on any lead field — a column such as `company_size`, `created_at`,
`job_title`, `city`, or a custom column kept from an import or a CRM (`partner_tier`, or
`extra.partner_tier` to be explicit):

    company_size: {lt: 1000}                    # lt, lte, gt, gte, eq on numbers
    created_at: {after: 2026-01-01}             # after (on or after), before, within_days on dates
    industry: {not_in: [government]}            # in / not_in on any field; eq on text
    job_title: {contains: student}              # contains: a word or phrase, any case, whole words
    job_title: {contains: [student, intern]}    #   (a list: any of them); text and custom fields
    company_size: {missing: true}               # the lead has no value (false: it has one)
    any: [{country: [DE], company_size: {lt: 1000}}, {country: [AT, CH]}]
    not: {source: [partner]}

This module parses and validates those tests (errors name the key and the fix); the evaluation is
in matching.py. The words used to describe a test ("at least 1,000 employees", "created since
2026-01-01") are the lead filter's.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from leadpilot.tools.common import policy_error as _policy_error

# The lead's own fields a test can name, by kind of value. Anything else is a custom field (lead.extra).
NUMBER_FIELDS = ("company_size", "score", "conversion_probability")
DATE_FIELDS = ("created_at", "last_contacted_at", "converted_at", "scored_at")
TEXT_FIELDS = (
    "company", "domain", "website", "contact_name", "email", "phone", "job_title", "seniority", "department",
    "industry", "country", "state", "city", "language", "source", "channel", "stage", "tier", "external_id",
)
BOOL_FIELDS = ("converted",)
LEAD_FIELDS = NUMBER_FIELDS + DATE_FIELDS + TEXT_FIELDS + BOOL_FIELDS
FIELD_ALIASES = {"employees": "company_size", "size": "company_size", "created": "created_at", "last_contacted": "last_contacted_at"}
# The classic conditions (policy_sections.Conditions), which keep their own value checks.
CLASSIC = ("territory", "region", "country", "state", "industry", "segment", "source", "tier", "score", "language")
COMBINATORS = ("any", "all", "not")
OPERATORS = ("eq", "in", "not_in", "contains", "lt", "lte", "gt", "gte", "after", "before", "within_days", "missing")
LABELS = {"company_size": "company size", "job_title": "job title", "contact_name": "contact name",
          "last_contacted_at": "last contacted", "created_at": "created", "converted_at": "converted",
          "scored_at": "scored", "external_id": "external id", "conversion_probability": "conversion probability"}


@dataclass(frozen=True)
class FieldTest:
    """One test on one field: `ops` are (operator, value) pairs, all of which must hold."""

    key: str  # as written in the file (company_size, employees, extra.partner_tier)
    field: str  # the lead field or, for a custom field, "extra.<name>"
    kind: str  # number | date | text | bool | custom | classic
    ops: tuple[tuple[str, Any], ...]

    @property
    def label(self) -> str:
        name = self.field.removeprefix("extra.")
        return LABELS.get(name, name.replace("_", " "))

    def as_data(self) -> dict[str, Any]:
        return {op: (list(value) if isinstance(value, tuple) else _shown_value(value)) for op, value in self.ops}


def _shown_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def canonical_field(key: str) -> tuple[str, str]:
    """(field, kind) for a key a rule names; raises a policy error for a near-miss of a known name."""
    name = key.strip()
    if name.startswith("extra."):
        custom = name.removeprefix("extra.").strip()
        if not custom:
            raise _policy_error("name the custom field after `extra.`, e.g. extra.partner_tier", at=key)
        return f"extra.{custom}", "custom"
    name = FIELD_ALIASES.get(name, name)
    for kind, fields in (("number", NUMBER_FIELDS), ("date", DATE_FIELDS), ("text", TEXT_FIELDS), ("bool", BOOL_FIELDS)):
        if name in fields:
            return name, kind
    known = list(CLASSIC + COMBINATORS + LEAD_FIELDS + tuple(FIELD_ALIASES))
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.8)
    if close or name.lower() != name or not name.replace("_", "").isalnum():
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise _policy_error(
            f"unknown condition {key!r} — {hint}a condition names a lead field ({', '.join(CLASSIC)}, or any lead column such "
            "as company_size, created_at, job_title, city), any/all/not, or a custom field from an import as extra.<name>",
            at=key,
        )
    return f"extra.{name}", "custom"  # a custom column kept from an import or a CRM


def _number(value: Any, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _policy_error(f"must be a number, e.g. {{lt: 1000}} (got {value!r})", at=at)
    return value


def to_moment(value: Any) -> datetime | None:
    """A date (its midnight, UTC) or a moment as an aware datetime; None when it is neither."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=timezone.utc)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            return to_moment(date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


def _moment_value(value: Any, at: str) -> date | datetime:
    if isinstance(value, (date, datetime)):
        return value
    moment = to_moment(value)
    if moment is None:
        raise _policy_error(f"must be a date such as 2026-01-01 or a moment such as 2026-01-01T09:00:00Z (got {value!r})", at=at)
    return moment if isinstance(value, str) and len(value.strip()) > 10 else moment.date()


def _scalar(value: Any, at: str) -> Any:
    if isinstance(value, (list, tuple, dict)) or value is None:
        raise _policy_error(f"must be one value (got {value!r}); for several use in: [...]", at=at)
    return value


def field_test(key: str, raw: Any, *, classic_values=None) -> FieldTest:
    """Parse `key: {op: value, ...}`. `classic_values(key, values)` validates a classic condition's
    values (e.g. industry names) and returns them normalised."""
    if key in CLASSIC and key != "score":  # score: {gte: 80} compares like any number
        field, kind = key, "classic"
    else:
        field, kind = canonical_field(key)
    if not isinstance(raw, dict):
        if kind == "classic":
            raise _policy_error("must be a list of values, or a test such as {not_in: [...]} or {missing: true}", at=key)
        raw = {"in": raw} if isinstance(raw, (list, tuple)) else {"eq": raw}
    if not raw:
        raise _policy_error("give a test, e.g. {lt: 1000}, {in: [a, b]} or {missing: true}", at=key)
    ops: list[tuple[str, Any]] = []
    for op, value in raw.items():
        at = f"{key}.{op}"
        if op not in OPERATORS:
            close = difflib.get_close_matches(str(op), OPERATORS, n=1, cutoff=0.6)
            raise _policy_error(f"unknown test {op!r} — " + (f"did you mean {close[0]!r}? " if close else "")
                                + "use one of: " + ", ".join(OPERATORS), at=at)
        if op == "missing":
            if not isinstance(value, bool):
                raise _policy_error("must be true (the lead has no value) or false (it has one)", at=at)
            if len(raw) > 1:
                raise _policy_error("`missing` stands alone: a missing value meets no other test — use any: for 'unknown or ...'", at=key)
        elif kind == "classic":
            if op not in ("in", "not_in", "eq"):
                raise _policy_error(f"{key} takes in, not_in or missing; contains is for free text such as job_title"
                                    if op == "contains" else f"{key} takes in, not_in or missing (comparisons are for numbers and dates, e.g. company_size: {{lt: 1000}})", at=at)
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            value = classic_values(key, values, at) if classic_values else tuple(values)
            op = "not_in" if op == "not_in" else "in"
        elif op in ("in", "not_in"):
            if not isinstance(value, (list, tuple)) or not value:
                raise _policy_error(f"must be a list of values, e.g. {op}: [a, b]", at=at)
            value = tuple(_scalar(v, at) for v in value)
        elif op == "contains":
            value = _phrases(key, value, kind, at)
        elif op in ("lt", "lte", "gt", "gte"):
            if kind == "date":
                raise _policy_error(f"{key} is a date: use after/before (or within_days), e.g. {{after: 2026-01-01}}", at=at)
            if kind in ("text", "bool"):
                raise _policy_error(f"{key} is not a number: use eq, in or not_in", at=at)
            value = _number(value, at)
        elif op in ("after", "before"):
            if kind in ("number", "text", "bool"):
                raise _policy_error(f"{key} is not a date: after/before are for dates such as created_at", at=at)
            value = _moment_value(value, at)
        elif op == "within_days":
            if kind in ("number", "text", "bool"):
                raise _policy_error(f"{key} is not a date: within_days is for dates such as created_at", at=at)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _policy_error("must be a whole number of days ≥ 0, e.g. within_days: 30", at=at)
        elif op == "eq":
            value = _scalar(value, at)
            if kind == "number":
                value = _number(value, at)
        ops.append((op, value))
    return FieldTest(key, field, kind, tuple(ops))


def words_of(text: str) -> tuple[str, ...]:
    """Text as lowercase words (letters and digits), how `contains` compares: "Grad-Student" -> (grad, student)."""
    return tuple(re.findall(r"[^\W_]+", text.casefold()))


def singular(word: str) -> str:
    """A word's simple singular, so `contains` matches either form: students, student -> student;
    companies -> company; boxes, branches -> box, branch. English plurals only; words of 3 letters or
    fewer and words ending in ss (business) are kept as they are."""
    if len(word) <= 3 or word.endswith("ss") or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    return word[:-1]


def contains_words(text: str) -> tuple[str, ...]:
    """`contains`'s words of a text: lowercase words, each in its simple singular."""
    return tuple(singular(word) for word in words_of(text))


def _phrases(key: str, value: Any, kind: str, at: str) -> tuple[str, ...]:
    """`contains:`'s value: a word or phrase, or a list of them (any of them), each with a word in it."""
    if kind in ("number", "date", "bool"):
        raise _policy_error(f"{key} is not text: contains is for text fields such as job_title or a custom field", at=at)
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values or any(isinstance(v, (bool, dict, list)) or v is None or not words_of(str(v)) for v in values):
        raise _policy_error(f"must be a word or phrase, or a list of them, e.g. contains: student or contains: [student, intern] (got {value!r})", at=at)
    return tuple(str(v).strip() for v in values)


def describe_op(op: str, value: Any, test: FieldTest) -> str:
    """A test in the lead filter's words: "at least 1,000 employees", "created since 2026-01-01"."""
    employees = test.field == "company_size"

    def num(v: Any) -> str:
        return f"{v:,}" + (" employees" if employees else "") if isinstance(v, (int, float)) else str(v)

    day = (lambda v: _shown_value(v)[:10] if isinstance(v, (date, datetime)) else str(v))
    words = {
        "lt": lambda v: f"below {num(v)}", "lte": lambda v: f"at most {num(v)}", "gt": lambda v: f"above {num(v)}",
        "gte": lambda v: f"at least {num(v)}", "eq": lambda v: f"{test.label} {v}",
        "in": lambda v: f"{test.label} " + " or ".join(map(str, v)),
        "contains": lambda v: f"{test.label} contains " + " or ".join(f'"{p}"' for p in v), "not_in": lambda v: f"{test.label} not " + " or ".join(map(str, v)),
        "after": lambda v: f"{test.label} since {day(v)}", "before": lambda v: f"{test.label} before {day(v)}",
        "within_days": lambda v: f"{test.label} in the last {v} days",
        "missing": lambda v: f"{test.label} unknown" if v else f"{test.label} known",
    }
    text = words[op](value)
    if op in ("lt", "lte", "gt", "gte") and not employees:
        text = f"{test.label} {text}"
    return text


def describe_test(test: FieldTest) -> str:
    return " and ".join(describe_op(op, value, test) for op, value in test.ops)
