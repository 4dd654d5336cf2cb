"""The `evals nlq` case file: each case's shape (id, category, question or turns, one `expect`),
reading and checking datasets/nlq.yaml, and sampling cases for a quick run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from leadpilot.evals.dataset_files import read_case_list

EXPECT_KINDS = ("leads", "rows", "lead", "refuse", "call")
# The agent tools an expectation of each kind can need (tests check they are all registered).
REQUIRED_TOOLS: dict[str, frozenset[str]] = {
    "leads": frozenset({"search_leads", "get_lead"}),
    "rows": frozenset({"aggregate_leads"}),
    "lead": frozenset({"get_lead", "search_leads"}),
    "refuse": frozenset(),
    "call": frozenset(),  # checked per case: the named tool must be registered
}


class DatasetError(ValueError):
    """The dataset file is malformed; the message names the case and the key."""


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    turns: tuple[str, ...]
    expect: dict[str, Any]
    as_user: str | None = None

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def kind(self) -> str:
        return next(k for k in EXPECT_KINDS if k in self.expect)


def default_dataset_path() -> Path:
    return Path(str(files("leadpilot.evals").joinpath("datasets/nlq.yaml")))


def load_cases(path: Path | None = None) -> list[Case]:
    """Read and check the dataset (shape only; `Truth.check` checks the filter language)."""
    return read_case_list(Path(path or default_dataset_path()), make_case=_case, error=DatasetError)


def sample_cases(cases: Sequence[Case], every: int) -> list[Case]:
    """Every `every`-th case of each category (the first included): a quick run that still covers
    every kind of question. every=1 is the whole dataset."""
    if every < 1:
        raise ValueError("every must be at least 1")
    seen: Counter[str] = Counter()
    chosen = []
    for case in cases:
        if seen[case.category] % every == 0:
            chosen.append(case)
        seen[case.category] += 1
    return chosen


def _case(item: Any, index: int, path: Path) -> Case:
    where = f"{path}: case #{index + 1}"
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: a case is a mapping with id, category, question (or turns) and expect")
    where = f"{path}: case {item.get('id', f'#{index + 1}')!r}"
    unknown = set(item) - {"id", "category", "question", "turns", "expect", "as_user"}
    if unknown:
        raise DatasetError(f"{where}: unknown keys {sorted(unknown)}")
    if ("question" in item) == ("turns" in item):
        raise DatasetError(f"{where}: give either `question` or `turns`")
    turns = [item["question"]] if "question" in item else item["turns"]
    if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise DatasetError(f"{where}: questions must be non-empty text")
    expect = item.get("expect")
    if not isinstance(expect, dict) or sum(k in expect for k in EXPECT_KINDS) != 1:
        raise DatasetError(f"{where}: `expect` needs exactly one of {', '.join(EXPECT_KINDS)}")
    extra = set(expect) - {*EXPECT_KINDS, "order", "limit", "offset"}
    if extra:
        raise DatasetError(f"{where}: unknown expect keys {sorted(extra)}")
    for key in ("id", "category"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise DatasetError(f"{where}: `{key}` is required text")
    return Case(id=item["id"], category=item["category"], turns=tuple(turns), expect=expect, as_user=item.get("as_user"))
