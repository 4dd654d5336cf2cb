"""The `evals nlq` case files: each case's shape (id, category, split, question or turns, one
`expect`), reading and checking datasets/nlq.yaml (and nlq_messy.yaml and any other given), and
sampling cases for a quick run.

Each case is in one split: `tuning` (the planner may be changed to read it) or `held_out` (never
looked at while tuning, so its accuracy says how the reading generalises); a case without one is
tuning. A case belongs to the dataset named after its file (nlq, nlq_messy). A dataset asks about
the demo store unless a sibling `<dataset>.store.yaml` names another (evals/nlq_stores.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from leadpilot.evals.dataset_files import read_case_list

EXPECT_KINDS = ("leads", "rows", "lead", "refuse", "call", "parts", "asks", "owner", "unknown")
EXPECT_MODIFIERS = ("order", "limit", "offset", "reads")
SPLITS = ("tuning", "held_out")
Split = Literal["tuning", "held_out"]
# The agent tools an expectation of each kind can need (tests check they are all registered).
REQUIRED_TOOLS: dict[str, frozenset[str]] = {
    "leads": frozenset({"search_leads", "get_lead"}),
    "rows": frozenset({"aggregate_leads"}),
    "lead": frozenset({"get_lead", "search_leads"}),
    "refuse": frozenset(),
    "call": frozenset(),  # checked per case: the named tool must be registered
    "parts": frozenset({"search_leads", "aggregate_leads"}),
    # What the answer says (evals/nlq_said.py): asking which company, naming an owner, an unknown value.
    "asks": frozenset(),
    "owner": frozenset({"get_lead"}),
    "unknown": frozenset(),
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
    split: Split = "tuning"
    dataset: str = "nlq"

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def kind(self) -> str:
        return next(k for k in EXPECT_KINDS if k in self.expect)


def datasets_dir() -> Path:
    return Path(str(files("leadpilot.evals").joinpath("datasets")))


def default_dataset_path() -> Path:
    return datasets_dir() / "nlq.yaml"


def default_dataset_paths() -> list[Path]:
    """The shipped case files: nlq.yaml, then every other datasets/nlq_*.yaml (nlq_messy, nlq_fresh,
    each new batch) by name; a `<dataset>.store.yaml` beside one names its store (evals/nlq_stores.py)."""
    return [default_dataset_path(), *sorted(p for p in datasets_dir().glob("nlq_*.yaml") if not p.name.endswith(".store.yaml"))]


_READ: dict[tuple[str, int, int], list[Case]] = {}  # (path, mtime, size) -> its cases: a process reads a file once


def load_cases(path: Path | None = None) -> list[Case]:
    """Read and check one dataset (shape only; `Truth.check` checks the filter language)."""
    path = Path(path or default_dataset_path())
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size) if stat else None
    if key is None or key not in _READ:
        cases = read_case_list(path, make_case=lambda item, index, where: _case(item, index, where, dataset=path.stem), error=DatasetError)
        if key is None:
            return cases
        _READ[key] = cases
    return list(_READ[key])


def load_datasets(paths: Sequence[Path] | None = None) -> list[Case]:
    """Every case of several datasets (default: `default_dataset_paths`); ids are unique across them."""
    chosen = [Path(p) for p in paths] if paths else default_dataset_paths()
    names = Counter(p.stem for p in chosen)
    if any(n > 1 for n in names.values()):
        raise DatasetError(f"two datasets named {', '.join(n for n, c in names.items() if c > 1)}: give files with different names")
    cases = [case for path in chosen for case in load_cases(path)]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise DatasetError(f"case id {case.id!r} is in both {seen[case.id]} and {case.dataset}: ids must be unique")
        seen[case.id] = case.dataset
    return cases


def sample_cases(cases: Sequence[Case], every: int) -> list[Case]:
    """Every `every`-th case of each category (the first included): a quick run that still covers
    every kind of question. every=1 is the whole dataset."""
    if every < 1:
        raise ValueError("every must be at least 1")
    seen: Counter[tuple[str, str]] = Counter()
    chosen = []
    for case in cases:
        key = (case.dataset, case.category)
        if seen[key] % every == 0:
            chosen.append(case)
        seen[key] += 1
    return chosen


def _case(item: Any, index: int, path: Path, *, dataset: str) -> Case:
    where = f"{path}: case #{index + 1}"
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: a case is a mapping with id, category, question (or turns) and expect")
    where = f"{path}: case {item.get('id', f'#{index + 1}')!r}"
    unknown = set(item) - {"id", "category", "question", "turns", "expect", "as_user", "split"}
    if unknown:
        raise DatasetError(f"{where}: unknown keys {sorted(unknown)}")
    if ("question" in item) == ("turns" in item):
        raise DatasetError(f"{where}: give either `question` or `turns`")
    turns = [item["question"]] if "question" in item else item["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise DatasetError(f"{where}: questions must be non-empty text")
    expect = item.get("expect")
    if not isinstance(expect, dict) or sum(k in expect for k in EXPECT_KINDS) != 1:
        raise DatasetError(f"{where}: `expect` needs exactly one of {', '.join(EXPECT_KINDS)}")
    extra = set(expect) - {*EXPECT_KINDS, *EXPECT_MODIFIERS}
    if extra:
        raise DatasetError(f"{where}: unknown expect keys {sorted(extra)}")
    for key in ("id", "category"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise DatasetError(f"{where}: `{key}` is required text")
    split = item.get("split", "tuning")
    if split not in SPLITS:
        raise DatasetError(f"{where}: `split` is tuning or held_out, not {split!r}")
    return Case(id=item["id"], category=item["category"], turns=tuple(turns), expect=expect, as_user=item.get("as_user"),
                split=split, dataset=dataset)
