"""Benchmark: the analytics reports and the follow-up list on the seeded demo store (2,400 leads,
~29,000 activities, rule-scored), as an admin sees them (every lead).

    python bench/bench_reports.py              # a fresh demo store in a temporary SQLite file
    python bench/bench_reports.py --runs 9 --url postgresql+psycopg://postgres@127.0.0.1:55432/bench

Each report runs `--runs` times after a warm-up, in its own read session; wall and CPU times are
medians. The load average is printed before and after: on a busy machine wall time grows, CPU does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="an empty database to seed (default: a temporary SQLite file)")
    args = parser.parse_args()

    from leadpilot.evals.nlq import apply_rule_scores
    from leadpilot.memory.db import open_database
    from leadpilot.memory.seed import seed_demo
    from leadpilot.tools.analytics import reports as analytics
    from leadpilot.tools.analytics.attribution import source_attribution
    from leadpilot.tools.followups.policy import load_policy
    from leadpilot.tools.followups.daily import FollowUpQuery, follow_ups_due
    from leadpilot.tools.leads.filter import Viewer

    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(args.url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        seed_demo(db, now=NOW, reset=True)
        apply_rule_scores(db, now=NOW)
        viewer, policy = Viewer(role="admin"), load_policy()
        reports = {
            "lead_volume (month x source)": lambda s: analytics.lead_volume(s, lead_filter=None, by="source_by_month", viewer=viewer, now=NOW, row_cap=1000),
            "conversion_by_tier": lambda s: analytics.conversion_by_tier(s, lead_filter=None, viewer=viewer, now=NOW),
            "time_to_first_contact": lambda s: analytics.time_to_first_contact(s, lead_filter=None, by="rep", viewer=viewer, now=NOW),
            "rep_performance": lambda s: analytics.rep_performance(s, lead_filter=None, viewer=viewer, now=NOW),
            "score_distribution": lambda s: analytics.score_distribution(s, lead_filter=None, bucket_size=10, viewer=viewer, now=NOW),
            "source_attribution": lambda s: source_attribution(s, lead_filter=None, viewer=viewer, now=NOW),
            "follow_ups_due (everyone)": lambda s: follow_ups_due(s, query=FollowUpQuery(), viewer=viewer, now=NOW, policy=policy, row_cap=1000),
        }
        print(f"{db.url.split(':')[0]}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for name, run in reports.items():
            walls, cpus = [], []
            for attempt in range(args.runs + 1):
                with db.read_only(timeout_ms=60_000) as session:
                    wall, cpu = time.perf_counter(), time.process_time()
                    run(session)
                    if attempt:  # the first run warms caches
                        walls.append(time.perf_counter() - wall)
                        cpus.append(time.process_time() - cpu)
            print(f"{name:30s} wall {statistics.median(walls) * 1000:7.1f} ms   cpu {statistics.median(cpus) * 1000:7.1f} ms")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.dispose()


if __name__ == "__main__":
    main()
