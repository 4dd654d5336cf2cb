"""Benchmark: `leadpilot import` of N generated leads vs a raw executemany INSERT of the same rows.

The raw baseline reads the same CSV with the csv module and inserts the rows as they are (no
validation, no de-duplication) with the driver's executemany, in 5,000-row batches and one
transaction, into the same migrated schema. The import is measured as `leadpilot import
--no-score` does it (add --score for the rule scoring `leadpilot import` does by default).
Wall time is the median of the repeats; CPU time is this process's plus its children's (the
import's reader process), so a loaded machine shows up as wall >> CPU.

    python bench/bench_import.py                       # SQLite, 100,000 rows
    python bench/bench_import.py --postgres URL        # also PostgreSQL (a server URL; a database per run is created)
    python bench/bench_import.py --postgres URL --skip-sqlite --rows 20000 --json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine

from leadpilot.memory.db import Database, open_database
from leadpilot.memory.lead_record import CANONICAL_FIELDS
from leadpilot.tools.leads.import_loading import SQLITE_IMPORT_PRAGMAS
from leadpilot.tools.leads.importer import import_leads_csv
from leadpilot.tools.scoring.policy import ScoringPolicy, load_policy
from scratch_postgres import scratch_database

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
INDUSTRIES = ["fintech", "healthcare", "saas", "ecommerce", "manufacturing", "logistics", "education", "retail"]
PLACES = [("San Francisco", "CA", "US"), ("New York", "NY", "US"), ("London", "England", "GB"), ("Berlin", "BE", "DE"), ("Sydney", "NSW", "AU")]
SOURCES = ["referral", "organic", "paid", "event", "partner", "outbound", "webinar", "other"]
STAGES = ["LEAD", "PROSPECT", "OPPORTUNITY", "CUSTOMER", "LOST"]


def write_leads_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CANONICAL_FIELDS)
        for i in range(rows):
            city, state, country = rng.choice(PLACES)
            created = NOW - timedelta(days=rng.randint(0, 180), minutes=rng.randint(0, 1440))
            contacted = created + timedelta(days=rng.randint(0, 30)) if rng.random() < 0.8 else None
            company = f"Company {i // 3:06d}"
            writer.writerow([
                f"BENCH-{i:07d}", company, f"https://company{i // 3:06d}.example", f"Contact {i}",
                f"contact{i}@company{i // 3:06d}.example", f"+1 415 555 {i % 10000:04d}", "VP of Engineering",
                rng.choice(INDUSTRIES), rng.randint(1, 50_000), country, state, city, rng.choice(SOURCES),
                rng.choice(STAGES), "", created.isoformat(), contacted.isoformat() if contacted else "",
                "Evaluating vendors this quarter", "", "",
            ])


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (user + system)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of run()."""
    wall, cpu = time.perf_counter(), _cpu_s()
    run()
    return time.perf_counter() - wall, _cpu_s() - cpu


def raw_insert(url: str, path: Path, pragmas: dict[str, int] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of csv.reader + driver executemany of the same rows into the `leads`
    table (SQLite: with these connection settings, else SQLite's defaults)."""
    columns = [c for c in CANONICAL_FIELDS if c != "owner_email"] + ["updated_at"]
    engine = create_engine(url)
    placeholders = ", ".join(["?" if engine.dialect.name == "sqlite" else "%s"] * len(columns))
    statement = f"INSERT INTO leads ({', '.join(columns)}) VALUES ({placeholders})"

    def run() -> None:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = [
                tuple((row[c] or None) if c != "updated_at" else row["created_at"] for c in columns)
                for row in reader
            ]
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for name, value in (pragmas or {}).items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")
            for start in range(0, len(rows), 5000):
                cursor.executemany(statement, rows[start : start + 5000])
            raw.commit()
        finally:
            raw.close()

    try:
        return timed(run)
    finally:
        engine.dispose()


def leadpilot_import(db: Database, path: Path, policy: ScoringPolicy | None) -> None:
    report = import_leads_csv(db, path=path, now=NOW, policy=policy)
    assert report.inserted == report.rows_read and not report.rejected, report.summary()


def measure(backend: str, fresh_url, path: Path, rows: int, repeats: int, policy: ScoringPolicy | None) -> dict:
    """Median wall and CPU seconds of raw inserts and imports, run alternately. On SQLite also a raw
    insert with the SQLite settings the import gives its own connection, for comparison."""
    raw_runs, tuned_runs, import_runs = [], [], []
    for _ in range(repeats):
        with fresh_url() as url:
            open_database(url).dispose()  # migrated, empty schema
            raw_runs.append(raw_insert(url, path))
        if backend == "sqlite":
            with fresh_url() as url:
                open_database(url).dispose()
                tuned_runs.append(raw_insert(url, path, SQLITE_IMPORT_PRAGMAS))
        with fresh_url() as url:
            db = open_database(url)
            import_runs.append(timed(lambda: leadpilot_import(db, path, policy)))
            db.dispose()
    raw_s, import_s = (statistics.median(wall for wall, _ in runs) for runs in (raw_runs, import_runs))
    raw_cpu, import_cpu = (statistics.median(cpu for _, cpu in runs) for runs in (raw_runs, import_runs))
    return {
        "backend": backend,
        "rows": rows,
        "scored": policy is not None,
        "import_s": round(import_s, 3),
        "import_cpu_s": round(import_cpu, 3),
        "import_rows_per_s": round(rows / import_s),
        "raw_executemany_s": round(raw_s, 3),
        "raw_cpu_s": round(raw_cpu, 3),
        "raw_rows_per_s": round(rows / raw_s),
        "ratio_of_raw": round(raw_s / import_s, 2),
        # the same raw insert with a 64 MB page cache and rarer checkpoints, like the import's connection
        "ratio_of_tuned_raw": round(statistics.median(wall for wall, _ in tuned_runs) / import_s, 2) if tuned_runs else None,
        "import_runs_s": [round(wall, 2) for wall, _ in import_runs],
        "raw_runs_s": [round(wall, 2) for wall, _ in raw_runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server URL to benchmark too")
    parser.add_argument("--skip-sqlite", action="store_true", help="only PostgreSQL (with --postgres)")
    parser.add_argument("--score", action="store_true", help="score the imported leads with the shipped rule policy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.skip_sqlite and not args.postgres:
        parser.error("--skip-sqlite needs --postgres URL")
    policy = load_policy() if args.score else None
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        path = tmpdir / "leads.csv"
        write_leads_csv(path, args.rows)
        counter = iter(range(10_000))

        def fresh_sqlite() -> nullcontext[str]:
            return nullcontext(f"sqlite:///{tmpdir / f'bench-{next(counter)}.db'}")

        results = [] if args.skip_sqlite else [measure("sqlite", fresh_sqlite, path, args.rows, args.repeats, policy)]
        if args.postgres:
            results.append(measure("postgresql", lambda: scratch_database(args.postgres), path, args.rows, args.repeats, policy))
    load = f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)"

    if args.json:
        print(json.dumps({"results": results, "load": load}, indent=2))
        return
    print(f"{'backend':<11} {'rows':>8} {'import s':>9} {'cpu s':>6} {'rows/s':>8} {'raw s':>7} {'cpu s':>6} {'raw rows/s':>11} {'ratio':>6} {'vs tuned raw':>13}")
    for r in results:
        print(
            f"{r['backend']:<11} {r['rows']:>8} {r['import_s']:>9} {r['import_cpu_s']:>6} {r['import_rows_per_s']:>8} "
            f"{r['raw_executemany_s']:>7} {r['raw_cpu_s']:>6} {r['raw_rows_per_s']:>11} {r['ratio_of_raw']:>6} "
            f"{r['ratio_of_tuned_raw'] if r['ratio_of_tuned_raw'] is not None else '-':>13}"
        )
    print(f"wall: median of {args.repeats} (import runs {[r['import_runs_s'] for r in results]}); {load}"
          + ("; imports scored" if args.score else ""))


if __name__ == "__main__":
    main()
