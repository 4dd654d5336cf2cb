"""Benchmark: the capture pipeline end to end, against the raw insert rate.

Starts `leadpilot serve` (a real process, offline enrichment, template summaries, embedded vector
store), posts N signed leads from 8 concurrent clients with 30% repeats, and waits until every
unique lead is processed (dedup → enrich → index → score → route → summarize → follow-up →
alert). Reports captures/s (HTTP 202s), end-to-end leads/s (unique leads fully processed per
second from the first post), the per-step latency means, and the raw executemany INSERT rate of
the same unique leads into the same schema.

    python bench/bench_pipeline.py                    # SQLite, 10,000 posts, 2 worker processes
    python bench/bench_pipeline.py --posts 2000 --workers 4 --postgres postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from capture_client import SECRET, ServerProcess, load_posts, send_all  # noqa: E402
from leadpilot.memory.db import open_database  # noqa: E402
from leadpilot.memory.models import Lead  # noqa: E402
from leadpilot.memory.pipeline import JobStatus, PipelineEvent, PipelineJob  # noqa: E402
from leadpilot.memory.seed import seed_demo  # noqa: E402
from scratch_postgres import scratch_database  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _raw_insert_rate(url: str, posts) -> float:
    """executemany of the unique leads' columns into the leads table of a second, empty schema."""
    db = open_database(url)
    rows = []
    for post in {p.unique_index: p for p in posts}.values():
        data = json.loads(post.body)
        rows.append({k: data.get(k) for k in ("company", "contact_name", "email", "job_title", "industry", "company_size",
                                              "country", "state", "city", "source", "notes", "external_id")}
                    | {"stage": "LEAD", "created_at": NOW.replace(tzinfo=None), "updated_at": NOW.replace(tzinfo=None)})
    started = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(Lead.__table__.insert(), rows)
    elapsed = time.perf_counter() - started
    db.dispose()
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database per run is created); default SQLite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lp-bench-pipeline-"))
    with ExitStack() as scratch:
        def fresh_url(name: str) -> str:
            return scratch.enter_context(scratch_database(args.postgres)) if args.postgres else f"sqlite:///{workdir / name}"

        result = _run(args, workdir, fresh_url)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>24}: {value}")


def _run(args: argparse.Namespace, workdir: Path, fresh_url: Callable[[str], str]) -> dict:
    url = fresh_url("bench.db")
    db = open_database(url)
    seed_demo(db, now=NOW, n_leads=2400)
    posts = load_posts(total=args.posts)
    unique = len({p.unique_index for p in posts})
    env = {"LEADPILOT_DATABASE_URL": url, "LEADPILOT_DATA_DIR": str(workdir / "data"), "LEADPILOT_NOW": NOW.isoformat(),
           "LEADPILOT_WEBHOOK_SECRET": SECRET}
    server = ServerProcess(env=env, cwd=workdir, workers=args.workers)
    server.start()
    cpu0 = os.times()
    started = time.perf_counter()
    try:
        report = send_all(server.url, posts, clients=8)
        captured_s = time.perf_counter() - started
        while True:
            with db.session() as session:
                done = session.scalar(select(func.count()).select_from(PipelineJob).where(PipelineJob.status == JobStatus.DONE.value))
            if done >= unique:
                break
            time.sleep(0.25)
        total_s = time.perf_counter() - started
    finally:
        server.stop()
    cpu1 = os.times()
    with db.session() as session:
        steps = {step: round(ms, 1) for step, ms in session.execute(
            select(PipelineEvent.step, func.avg(PipelineEvent.duration_ms)).where(PipelineEvent.duration_ms.is_not(None))
            .group_by(PipelineEvent.step)).all()}
    db.dispose()
    raw = _raw_insert_rate(fresh_url("raw.db"), posts)
    result = {
        "database": "postgresql" if args.postgres else "sqlite", "posts": args.posts, "unique_leads": unique,
        "workers": args.workers, "statuses": report.statuses, "captures_per_s": round(args.posts / captured_s, 1),
        "end_to_end_leads_per_s": round(unique / total_s, 1), "total_s": round(total_s, 1),
        "raw_insert_rows_per_s": round(raw, 1), "step_ms_mean": steps,
        "cpu_s_children": round((cpu1.children_user + cpu1.children_system) - (cpu0.children_user + cpu0.children_system), 1),
        "load_average": os.getloadavg(),
    }
    return result


if __name__ == "__main__":
    main()
