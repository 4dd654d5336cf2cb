"""Benchmark: `leadpilot import` of N generated leads vs a raw executemany INSERT of the same rows.

The raw baseline reads the same CSV with the csv module and inserts the rows as they are (no
validation, no de-duplication) with the driver's executemany, into the same migrated schema.

    python bench/bench_import.py                       # SQLite, 100,000 rows
    python bench/bench_import.py --postgres URL        # also PostgreSQL (a server URL; a database per run is created)
    python bench/bench_import.py --rows 20000 --json
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadpilot.memory.db import open_database
from leadpilot.memory.lead_record import CANONICAL_FIELDS
from leadpilot.tools.lead_import import import_leads_csv

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


def raw_insert(url: str, path: Path) -> float:
    """Seconds for csv.reader + driver executemany of the same rows into the `leads` table."""
    columns = [c for c in CANONICAL_FIELDS if c != "owner_email"] + ["updated_at"]
    engine = create_engine(url)
    placeholders = ", ".join(["?" if engine.dialect.name == "sqlite" else "%s"] * len(columns))
    statement = f"INSERT INTO leads ({', '.join(columns)}) VALUES ({placeholders})"
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [
            tuple((row[c] or None) if c != "updated_at" else row["created_at"] for c in columns)
            for row in reader
        ]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for start in range(0, len(rows), 5000):
            cursor.executemany(statement, rows[start : start + 5000])
        raw.commit()
    finally:
        raw.close()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def leadpilot_import(url: str, path: Path) -> float:
    db = open_database(url)
    started = time.perf_counter()
    report = import_leads_csv(db, path=path, now=NOW)
    elapsed = time.perf_counter() - started
    assert report.inserted == report.rows_read and not report.rejected, report.summary()
    db.dispose()
    return elapsed


class Postgres:
    """A fresh database per run on the given server, dropped afterwards."""

    def __init__(self, server_url: str):
        self.server_url = server_url

    def __enter__(self) -> str:
        self.name = f"lp_bench_{uuid.uuid4().hex[:10]}"
        self._admin("CREATE DATABASE \"{}\"")
        return make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        self._admin("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)")

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(sql.format(self.name)))
        engine.dispose()


def measure(backend: str, fresh_url, path: Path, rows: int, repeats: int) -> dict:
    raw_times, import_times = [], []
    for _ in range(repeats):
        with fresh_url() as url:
            open_database(url).dispose()  # migrated, empty schema
            raw_times.append(raw_insert(url, path))
        with fresh_url() as url:
            import_times.append(leadpilot_import(url, path))
    raw_s, import_s = statistics.median(raw_times), statistics.median(import_times)
    return {
        "backend": backend,
        "rows": rows,
        "import_s": round(import_s, 3),
        "import_rows_per_s": round(rows / import_s),
        "raw_executemany_s": round(raw_s, 3),
        "raw_rows_per_s": round(rows / raw_s),
        "ratio_of_raw": round(raw_s / import_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server URL to benchmark too")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        path = tmpdir / "leads.csv"
        write_leads_csv(path, args.rows)
        counter = iter(range(10_000))

        class FreshSqlite:
            def __enter__(self) -> str:
                return f"sqlite:///{tmpdir / f'bench-{next(counter)}.db'}"

            def __exit__(self, *exc) -> None:
                pass

        results = [measure("sqlite", FreshSqlite, path, args.rows, args.repeats)]
        if args.postgres:
            results.append(measure("postgresql", lambda: Postgres(args.postgres), path, args.rows, args.repeats))

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'backend':<11} {'rows':>8} {'import s':>9} {'rows/s':>8} {'raw s':>7} {'raw rows/s':>11} {'ratio':>6}")
    for r in results:
        print(
            f"{r['backend']:<11} {r['rows']:>8} {r['import_s']:>9} {r['import_rows_per_s']:>8} "
            f"{r['raw_executemany_s']:>7} {r['raw_rows_per_s']:>11} {r['ratio_of_raw']:>6}"
        )


if __name__ == "__main__":
    main()
