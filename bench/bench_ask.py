"""Benchmark: the warm offline `ask` for the card's question vs the equivalent hand-written SQL, and
the cold start of the `leadpilot ask` command.

    python bench/bench_ask.py                 # 100,000 leads in a temporary SQLite store
    python bench/bench_ask.py --leads 20000 --runs 30 --json

"Warm" = the same process has answered a question before (imports done, vocabulary cached); each
timed run is a whole agent turn: plan, tool call, query, answer, conversation log. The SQL baseline
fetches the same rows (every contract column of up to 1,000 leads, with the owner's email) with
one hand-written statement through the same driver.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from leadpilot.memory.db import open_database
from leadpilot.memory.models import Lead, Rep

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
QUESTION = "show hot leads in fintech not contacted in 3 days"
INDUSTRIES = ["fintech", "healthcare", "saas", "ecommerce", "manufacturing", "logistics", "education", "retail", "insurance", "media"]
CITIES = [("San Francisco", "CA", "US"), ("New York", "NY", "US"), ("London", "England", "GB"), ("Berlin", "BE", "DE"), ("Sydney", "NSW", "AU")]
SQL = """
SELECT l.id, l.external_id, l.company, l.contact_name, l.email, l.job_title, l.industry, l.country, l.state,
       l.city, l.company_size, l.source, l.stage, l.score, l.tier, l.conversion_probability, r.email AS owner,
       l.created_at, l.last_contacted_at
FROM leads l LEFT JOIN reps r ON r.id = l.owner_id
WHERE l.tier = 'hot' AND l.industry = 'fintech'
  AND (l.last_contacted_at IS NULL OR l.last_contacted_at < :cutoff)
ORDER BY l.score IS NULL, l.score DESC, l.id
LIMIT 1000
"""


def populate(db, leads: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    with db.transaction() as session:
        session.execute(insert(Rep), [
            {"email": f"rep{i}@bench.io", "name": f"Rep {i}", "created_at": NOW, "territories": [], "industries": [],
             "segments": [], "languages": [], "working_hours": {}, "timezone": "UTC", "capacity": 500, "daily_cap": 50,
             "routing_weight": 1.0, "active": True, "role": "rep"} for i in range(20)
        ])
        rows = []
        for i in range(leads):
            city, state, country = rng.choice(CITIES)
            score = rng.randint(0, 100)
            contacted = NOW - timedelta(days=rng.randint(0, 40)) if rng.random() < 0.85 else None
            rows.append({
                "external_id": f"B-{i:07d}", "company": f"Company {i // 3:06d}", "contact_name": f"Contact {i}",
                "email": f"c{i}@company{i // 3:06d}.example", "industry": rng.choice(INDUSTRIES), "country": country,
                "state": state, "city": city, "company_size": rng.randint(1, 50_000), "source": "organic", "stage": "LEAD",
                "owner_id": rng.randint(1, 20), "created_at": NOW - timedelta(days=rng.randint(0, 180)), "updated_at": NOW,
                "last_contacted_at": contacted, "score": score, "tier": "hot" if score >= 70 else "warm" if score >= 40 else "cold",
            })
            if len(rows) == 10_000:
                session.execute(insert(Lead), rows)
                rows = []
        if rows:
            session.execute(insert(Lead), rows)


def time_sql(db, runs: int) -> tuple[float, int]:
    times, count = [], 0
    cutoff = (NOW - timedelta(days=3)).replace(tzinfo=None)
    for _ in range(runs):
        started = time.perf_counter()
        with db.engine.connect() as connection:
            rows = connection.execute(text(SQL), {"cutoff": cutoff}).all()
        times.append(time.perf_counter() - started)
        count = len(rows)
    return statistics.median(times), count


def time_ask(db, runs: int) -> tuple[float, int]:
    from leadpilot.agent.runner import run_agent
    from leadpilot.interfaces.deps_factory import make_deps, viewer_for

    deps = make_deps(db, viewer=viewer_for(db))
    run_agent(QUESTION, deps=deps)  # warm-up: imports, vocabulary
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = run_agent(QUESTION, deps=deps)
        times.append(time.perf_counter() - started)
        count = len(answer.leads)
    return statistics.median(times), count


def time_cold_start(data_dir: Path, runs: int = 5) -> float:
    env = {**os.environ, "LEADPILOT_DATA_DIR": str(data_dir), "LEADPILOT_NOW": NOW.isoformat()}
    command = [str(Path(sys.executable).with_name("leadpilot")), "ask", QUESTION, "--json"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["LEADPILOT_NOW"] = NOW.isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        os.environ["LEADPILOT_DATA_DIR"] = str(data_dir)
        db = open_database(f"sqlite:///{(data_dir / 'leadpilot.db').resolve()}")
        populate(db, args.leads)
        sql_s, sql_rows = time_sql(db, args.runs)
        ask_s, ask_rows = time_ask(db, args.runs)
        db.dispose()
        cold_s = time_cold_start(data_dir)
    assert sql_rows == ask_rows, (sql_rows, ask_rows)
    result = {
        "leads": args.leads, "rows_returned": ask_rows, "runs": args.runs,
        "sql_median_ms": round(sql_s * 1000, 1), "ask_warm_median_ms": round(ask_s * 1000, 1),
        "ratio": round(ask_s / sql_s, 2), "ask_cold_start_s": round(cold_s, 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:<22} {value}")


if __name__ == "__main__":
    main()
