"""Which store each `evals nlq` dataset asks about, and building it.

A dataset's questions are about the demo data (`leadpilot seed` at the run's clock) unless a sibling
file `<dataset>.store.yaml` names another store: a lead CSV imported the way `leadpilot import` does,
the rep roster its owner columns name, the clock its dates assume, and whether rule scores apply:

    # evals/datasets/nlq_fresh2.store.yaml
    import: nlq_fresh2.leads.csv        # beside this file
    now: "2027-01-13T14:00:00Z"         # the clock the questions assume (wins over --now)
    scores: rules                       # rules (default) or none
    reps:                               # inserted before the import, so "Contact owner" names resolve
      - {name: Dana Whitfield, email: dana.whitfield@tallyhq.com, role: manager, team: Sales}

Datasets naming the same store share one build; every store is a throwaway SQLite file. A process
builds and scores each (store, clock, scoring policy) once and copies it for every later run
(`open_store`): the CLI's runs and the test suite's do not seed and score the same demo again and again.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from leadpilot.evals.nlq_cases import DatasetError

DEMO = "demo"
_KEYS = frozenset({"import", "now", "scores", "reps"})
_REP_KEYS = frozenset({"name", "email", "role", "team"})
_ROLES = ("rep", "manager", "admin")


@dataclass(frozen=True)
class StoreSpec:
    """A store to ask questions about: the demo, or an imported CSV with its roster and clock."""

    csv: Path | None = None
    now: datetime | None = None
    scores: bool = True
    reps: tuple[tuple[tuple[str, str], ...], ...] = ()  # each rep's fields, hashable

    @property
    def name(self) -> str:
        return DEMO if self.csv is None else self.csv.name

    def clock(self, run_now: datetime) -> datetime:
        """The store's pinned clock, else the run's."""
        return self.now or run_now


def store_file(dataset: Path) -> Path:
    return dataset.with_name(dataset.stem + ".store.yaml")


def is_store_file(path: Path) -> bool:
    return path.name.endswith(".store.yaml")


def _clock(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise DatasetError(f"{where}: `now` must be an ISO date-time such as 2027-01-13T14:00:00Z, not {value!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _reps(value: Any, where: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DatasetError(f"{where}: `reps` is a list of {{name, email, role, team}}")
    reps = []
    for rep in value:
        if not isinstance(rep, dict) or set(rep) - _REP_KEYS or not {"name", "email"} <= set(rep):
            raise DatasetError(f"{where}: each rep needs name and email (role, team optional), got {rep!r}")
        if rep.get("role", "rep") not in _ROLES:
            raise DatasetError(f"{where}: rep {rep['email']!r}: role is one of {', '.join(_ROLES)}")
        reps.append(tuple(sorted((k, str(v)) for k, v in rep.items())))
    return tuple(reps)


def store_for(dataset: Path) -> StoreSpec:
    """The store a dataset's questions are about: its `<stem>.store.yaml`, else the demo."""
    import yaml

    path = store_file(Path(dataset))
    if not path.exists():
        return StoreSpec()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as problem:
        raise DatasetError(f"{path}: cannot read the store file: {problem}") from None
    if not isinstance(raw, dict) or not raw.get("import") or set(raw) - _KEYS:
        raise DatasetError(f"{path}: a store file is a mapping with `import` (a CSV beside it) and optional now, scores, reps")
    csv = path.parent / str(raw["import"])
    if not csv.is_file():
        raise DatasetError(f"{path}: `import` names {csv.name}, which is not a file beside it")
    scores = raw.get("scores", "rules")
    if scores not in ("rules", "none"):
        raise DatasetError(f"{path}: `scores` is rules or none, not {scores!r}")
    now = _clock(raw["now"], str(path)) if raw.get("now") is not None else None
    return StoreSpec(csv=csv, now=now, scores=scores == "rules", reps=_reps(raw.get("reps"), str(path)))


def _insert_reps(db: Any, spec: StoreSpec, now: datetime) -> None:
    from leadpilot.memory.models import Rep

    with db.transaction() as session:
        session.add_all(
            Rep(email=fields["email"].lower(), name=fields["name"], role=fields.get("role", "rep"), team=fields.get("team"),
                created_at=now)
            for fields in map(dict, spec.reps)
        )


def build_store(db: Any, spec: StoreSpec, *, now: datetime, workdir: Path) -> None:
    """Fill an empty store: the demo seeded at `now`, or the spec's reps and CSV imported at `now`
    (every row must load: a rejected row is a broken data file, not a miss)."""
    from leadpilot.evals.nlq import EvalSetupError

    if spec.csv is None:
        from leadpilot.memory.seed import seed_demo

        seed_demo(db, now=now)
        return
    from leadpilot.tools.leads import ImportFileError, import_leads_csv

    _insert_reps(db, spec, now)
    try:
        report = import_leads_csv(db, path=spec.csv, now=now, rejects_path=workdir / "rejects.csv", pipeline_min_bytes=None)
    except ImportFileError as error:
        raise EvalSetupError(f"cannot import {spec.csv.name}: {error}") from None
    if report.rejected:
        raise EvalSetupError(f"{spec.csv.name}: {len(report.rejected)} rows rejected on import (see {workdir / 'rejects.csv'}); "
                             "fix the data file or its generator")


_BUILT: dict[tuple[Any, ...], Path] = {}  # (spec, clock, the CSV's size and mtime) -> a built store file
_FOLDER: list[Path] = []  # where this process keeps them (removed at exit)


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite store with the backup API (a WAL store's file alone may miss recent pages)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _kept_path() -> Path:
    if not _FOLDER:
        _FOLDER.append(Path(tempfile.mkdtemp(prefix="leadpilot-nlq-stores-")))
        atexit.register(shutil.rmtree, _FOLDER[0], ignore_errors=True)
    return _FOLDER[0] / f"store-{len(_BUILT)}.db"


def store_key(spec: StoreSpec, *, now: datetime, prepared: Hashable = None) -> tuple[Any, ...]:
    """What a built store depends on: the spec, the clock, the CSV's size and mtime, and what
    `prepare` did to it (e.g. the scoring policy's version)."""
    stat = spec.csv.stat() if spec.csv is not None else None
    return (spec, now, stat and (stat.st_size, stat.st_mtime_ns), prepared)


def open_store(spec: StoreSpec, *, now: datetime, workdir: Path, prepare: Callable[[Any], None] | None = None,
               prepared: Hashable = None) -> Any:
    """An open throwaway store in `workdir` holding the spec's data at `now`, then `prepare(db)`
    (scoring, say; `prepared` names what it does, e.g. the policy version): built and prepared the
    first time in this process, a copy of that build after."""
    from leadpilot.memory.db import open_database

    target = workdir / "nlq.db"
    key = store_key(spec, now=now, prepared=prepared)
    if key in _BUILT:
        _copy_sqlite(_BUILT[key], target)
        return open_database(f"sqlite:///{target}")
    db = open_database(f"sqlite:///{target}")
    try:
        build_store(db, spec, now=now, workdir=workdir)
        if prepare is not None:
            prepare(db)
    except BaseException:
        db.dispose()
        raise
    kept = _kept_path()
    _copy_sqlite(target, kept)
    _BUILT[key] = kept
    return db
