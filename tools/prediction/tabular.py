"""Any tabular CSV with an outcome column, turned into a numeric feature matrix and a 0/1 label.

Column types are inferred from the values: numbers stay numbers, ISO dates become days since
1970, everything else is categorical and ordinal-encoded (gradient boosting takes the codes
natively). Empty cells and placeholders ("unknown", "NA", "?", ...) are missing values (NaN), not
categories; so are a form's unanswered first option ("Select…", "Choose one", "-- select --",
"Please select"): a web form stores that prompt when nobody picked, so it behaves like a missing
answer, whatever its wording. Nothing is dropped silently: skipped columns and rows come back with their reason.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import numpy as np

ColumnKind = Literal["numeric", "date", "categorical"]

PLACEHOLDERS = frozenset({"", "unknown", "na", "n/a", "n.a.", "#n/a", "nan", "null", "?", "-", "--"})
# A form's prompt left as the answer: "Select…", "Choose one...", "-- select --", "Please select an option".
FORM_PROMPT = re.compile(
    r"^[\s\-–—_*<\[(]*(?:please\s+)?(?:select|choose|pick)(?:\s+(?:one|an?\s+\w+|your\s+\w+|from\s+(?:the\s+)?list))?"
    r"\s*(?:\.\.\.|…|:)?[\s\-–—_*>\])]*$",
    re.IGNORECASE,
)
POSITIVE_LABELS = frozenset({"yes", "y", "true", "t", "1", "won", "win", "converted", "success", "positive"})
NEGATIVE_LABELS = frozenset({"no", "n", "false", "f", "0", "lost", "loss", "not converted", "failure", "negative"})

MAX_CATEGORIES = 250  # gradient boosting's native categories must fit in its 255 bins
NUMERIC_SHARE = 0.98  # a column is numeric when this share of its values parse (the rest -> missing)
_DELIMITERS = ",;\t|"
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class TabularError(ValueError):
    """The file or the label cannot be used; the message says which column or line and why."""


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    kind: ColumnKind
    missing: int  # empty or placeholder cells (plus unparseable cells of numeric columns)
    distinct: int
    categories: tuple[str, ...] = ()  # categorical code i means categories[i]
    # Which placeholders were read as missing, most frequent first: a column where "NA" means
    # North America shows it here.
    placeholders: tuple[tuple[str, int], ...] = ()
    unparsed: int = 0  # cells of a numeric column that were not numbers (read as missing)


@dataclass(frozen=True)
class TabularDataset:
    """Features (float matrix, NaN = missing; categoricals as codes) and the 0/1 label."""

    X: np.ndarray
    y: np.ndarray
    columns: tuple[ColumnInfo, ...]
    label: str
    positive: str  # the raw label value that means 1
    negative: str
    source: str = ""
    delimiter: str = ","
    rows_read: int = 0
    rows_without_label: int = 0
    skipped_rows: tuple[int, ...] = ()  # line numbers of rows with the wrong number of fields
    skipped_columns: dict[str, str] = field(default_factory=dict)  # name -> reason

    @property
    def feature_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array([column.kind == "categorical" for column in self.columns], dtype=bool)

    @property
    def positive_rate(self) -> float:
        return float(self.y.mean()) if len(self.y) else 0.0

    def describe(self) -> dict[str, object]:
        return {
            "source": self.source,
            "delimiter": self.delimiter,
            "rows_read": self.rows_read,
            "rows_used": int(len(self.y)),
            "rows_without_label": self.rows_without_label,
            "rows_malformed": list(self.skipped_rows[:20]),
            "label": self.label,
            "positive": self.positive,
            "negative": self.negative,
            "positive_rate": round(self.positive_rate, 4),
            "columns": {
                c.name: {"kind": c.kind, "missing": c.missing, "distinct": c.distinct, "placeholders": dict(c.placeholders)}
                | ({"unparsed": c.unparsed} if c.unparsed else {})
                for c in self.columns
            },
            "skipped_columns": dict(self.skipped_columns),
        }


def is_missing(value: str) -> bool:
    """An empty cell, a placeholder ("NA", "?") or a form's unanswered prompt ("Select…")."""
    text = value.strip()
    return text.lower() in PLACEHOLDERS or bool(FORM_PROMPT.match(text))


def read_csv(path: Path | str) -> tuple[list[str], list[list[str]], str, tuple[int, ...]]:
    """Header, rows, the sniffed delimiter, and the line numbers of rows with a wrong field count."""
    path = Path(path)
    if not path.is_file():
        raise TabularError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
        except csv.Error:
            dialect = csv.excel  # one column, or too irregular to sniff: plain commas
        reader = csv.reader(handle, dialect)
        header = next(reader, None)
        if not header:
            raise TabularError(f"{path}: the file is empty")
        header = [name.strip() for name in header]
        rows: list[list[str]] = []
        malformed: list[int] = []
        for row in reader:
            if len(row) == len(header):
                rows.append(row)
            elif any(cell.strip() for cell in row):
                malformed.append(reader.line_num)
    return header, rows, dialect.delimiter, tuple(malformed)


def load_tabular(
    path: Path | str, *, label: str, drop: Sequence[str] = (), positive: str | None = None
) -> TabularDataset:
    """Read a CSV (delimiter sniffed) into a dataset with `label` as the 0/1 outcome."""
    header, rows, delimiter, malformed = read_csv(path)
    dataset = dataset_from_rows(header, rows, label=label, drop=drop, positive=positive, source=str(path))
    return replace(dataset, delimiter=delimiter, skipped_rows=malformed, rows_read=len(rows) + len(malformed))


def dataset_from_rows(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    label: str,
    drop: Sequence[str] = (),
    positive: str | None = None,
    source: str = "",
) -> TabularDataset:
    """The dataset for rows of strings under `header` (every row as long as the header)."""
    names = list(header)
    _check_columns(names, label=label, drop=drop)
    label_index = names.index(label)
    y, positive_value, negative_value, has_label = encode_label([row[label_index] for row in rows], column=label, positive=positive)
    kept_rows = [row for row, keep in zip(rows, has_label) if keep]

    skipped = {name: "dropped on request" for name in drop}
    columns: list[ColumnInfo] = []
    matrix: list[np.ndarray] = []
    for index, name in enumerate(names):
        if name == label or name in skipped:
            continue
        if not name:
            skipped[f"(column {index + 1})"] = "no header name"
            continue
        info, values, reason = encode_column(name, [row[index] for row in kept_rows])
        if reason:
            skipped[name] = reason
            continue
        columns.append(info)
        matrix.append(values)
    if not columns:
        raise TabularError(f"no usable feature columns besides the label {label!r} (skipped: {skipped})")
    X = np.column_stack(matrix) if matrix else np.empty((len(kept_rows), 0))
    return TabularDataset(
        X=X,
        y=y,
        columns=tuple(columns),
        label=label,
        positive=positive_value,
        negative=negative_value,
        source=source,
        rows_read=len(rows),
        rows_without_label=int(len(rows) - len(kept_rows)),
        skipped_columns=skipped,
    )


def _check_columns(names: list[str], *, label: str, drop: Sequence[str]) -> None:
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1 and name)
    if duplicates:
        raise TabularError(f"duplicate column names: {', '.join(duplicates)}")
    shown = ", ".join(names[:40]) + (" ..." if len(names) > 40 else "")
    if label not in names:
        raise TabularError(f"label column {label!r} is not in the file; columns are: {shown}")
    unknown = [name for name in drop if name not in names]
    if unknown:
        raise TabularError(f"--drop: no column named {', '.join(map(repr, unknown))}; columns are: {shown}")
    if label in drop:
        raise TabularError(f"the label column {label!r} cannot also be dropped")


def encode_label(
    values: Sequence[str], *, column: str, positive: str | None = None
) -> tuple[np.ndarray, str, str, np.ndarray]:
    """(y over labelled rows, positive value, negative value, mask of rows that have a label).

    yes/no, true/false, 1/0, won/lost and friends map by meaning; two other numbers map the larger
    to 1; two other words need `positive`, else the rarer value is taken as positive.
    """
    cleaned = [value.strip() for value in values]
    present = np.array([not is_missing(value) for value in cleaned], dtype=bool)
    counts = Counter(value for value, keep in zip(cleaned, present) if keep)
    if not counts:
        raise TabularError(f"label column {column!r} has no values (all {len(values)} cells are empty or placeholders)")
    if len(counts) != 2:
        found = ", ".join(f"{value!r} ({count})" for value, count in counts.most_common(10))
        more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
        raise TabularError(
            f"label column {column!r} must have exactly 2 classes, found {len(counts)}: {found}{more}"
        )
    first, second = sorted(counts)
    if positive is not None:
        if positive not in counts:
            raise TabularError(f"--positive {positive!r} is not a value of label column {column!r}; values are {first!r}, {second!r}")
        pos = positive
    else:
        pos = _positive_of(first, second, counts)
    neg = second if pos == first else first
    y = np.array([value == pos for value, keep in zip(cleaned, present) if keep], dtype=np.int8)
    return y, pos, neg, present


def _positive_of(first: str, second: str, counts: Counter[str]) -> str:
    a, b = first.lower(), second.lower()
    if a in POSITIVE_LABELS and b in NEGATIVE_LABELS:
        return first
    if b in POSITIVE_LABELS and a in NEGATIVE_LABELS:
        return second
    number_a, number_b = _to_float(first), _to_float(second)
    if number_a is not None and number_b is not None:
        return first if number_a > number_b else second
    return min((first, second), key=lambda value: (counts[value], value))  # the rarer class


def encode_column(name: str, values: Sequence[str]) -> tuple[ColumnInfo, np.ndarray, str | None]:
    """Infer the column's kind and encode it; the third item is a reason to skip it, if any."""
    cleaned = [None if is_missing(value) else value.strip() for value in values]
    present = [value for value in cleaned if value is not None]
    missing = len(cleaned) - len(present)
    distinct = len(set(present))
    seen = Counter(value.strip() or "(empty)" for value, kept in zip(values, cleaned) if kept is None)
    placeholders = tuple(seen.most_common())
    skipped = ColumnInfo(name=name, kind="categorical", missing=missing, distinct=distinct, placeholders=placeholders)
    if not present:
        return skipped, np.empty(0), "no values (every cell empty or a placeholder)"
    if distinct == 1 and missing == 0:
        return skipped, np.empty(0), f"constant (always {present[0]!r})"

    numbers = [None if value is None else _to_float(value) for value in cleaned]
    parsed = sum(number is not None for number in numbers)
    if parsed >= NUMERIC_SHARE * len(present):  # the few cells that do not parse become missing
        out = np.array(numbers, dtype=float)
        info = ColumnInfo(
            name=name, kind="numeric", missing=len(cleaned) - parsed, distinct=distinct,
            placeholders=placeholders, unparsed=len(present) - parsed,
        )
        return info, out, None
    if all(_ISO_DATE.match(value) for value in present):
        days = np.array([None if value is None else _days_since_epoch(value) for value in cleaned], dtype=float)
        info = ColumnInfo(name=name, kind="date", missing=int(np.isnan(days).sum()), distinct=distinct, placeholders=placeholders)
        return info, days, None

    if distinct > 50 and distinct > 0.5 * len(present):
        return skipped, np.empty(0), f"identifier-like ({distinct} distinct values in {len(present)} rows)"
    counts = Counter(present)
    categories = sorted(value for value, _ in counts.most_common(MAX_CATEGORIES - 1))
    other_code = math.nan
    if distinct > len(categories):  # rare values share one code
        other_code = float(len(categories))
        categories.append("(other)")
    code_of = {value: float(code) for code, value in enumerate(categories)}
    codes = np.array([math.nan if v is None else code_of.get(v, other_code) for v in cleaned], dtype=float)
    info = ColumnInfo(
        name=name, kind="categorical", missing=missing, distinct=distinct, categories=tuple(categories),
        placeholders=placeholders,
    )
    return info, codes, None


def _to_float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        if not _THOUSANDS.match(value):
            return None
        number = float(value.replace(",", ""))
    return number if math.isfinite(number) else None


def _days_since_epoch(value: str) -> float | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH).total_seconds() / 86400.0
