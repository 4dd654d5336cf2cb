"""Benchmark: one discovery campaign over a file of companies against the demo store.

The demo seed (default 2,400 leads at ~1,200 companies, SQLite; --leads for more) and a generated CSV of N companies
(default 1,000): a quarter are companies the store already knows (respelled: legal suffixes,
"www." and https:// added), the rest made-up names. Each round copies the seeded database, queues
a campaign and times `run_next_campaign` (read the file, validate, match, insert at DISCOVERY,
audit, score, close), wall and CPU. Two variants, median of 3 rounds each:

- indexed: the campaign as shipped (domains and name keys of the store computed once per run, so
  only possible duplicates go through dedup.match_account's full scan);
- match_account for every company: the prefilter switched off (what the run costs without it).

    python bench/bench_campaigns.py
    python bench/bench_campaigns.py --companies 3000 --leads 20000 --json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from leadpilot.memory.db import open_database
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import get_settings
from leadpilot.tools.discovery import ingest as campaign_ingest
from leadpilot.tools.discovery.campaigns import create_campaign, get_campaign, run_next_campaign

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
ROUNDS = 3
SYLLABLES = ["zor", "vex", "quil", "bran", "tor", "mel", "ix", "dra", "pon", "sul", "kai", "fen", "gro", "lum", "tav", "wex"]
KINDS = ["Labs", "Systems", "Analytics", "Works", "Health", "Pay", "Logistics", "Energy"]
INDUSTRIES = ["SaaS", "Fintech", "Healthcare", "Manufacturing", "Retail", "Logistics", "Energy", "Media"]
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "CA", "AU", "SG"]


def _companies_file(path: Path, *, known: list[dict[str, Any]], count: int, rng: random.Random) -> None:
    rows = []
    for lead in rng.sample(known, k=min(len(known), count // 4)):
        rows.append([f"{lead['company']} Ltd", "https://www." + (lead["domain"] or ""), lead["industry"] or "",
                     lead["company_size"] or "", lead["country"] or "", "", lead["city"] or "", "known"])
    while len(rows) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(3)).title() + " " + rng.choice(KINDS) + f" {len(rows)}"
        rows.append([name, name.lower().replace(" ", "") + ".com", rng.choice(INDUSTRIES), rng.randint(5, 5000),
                     rng.choice(COUNTRIES), "", "", "made up"])
    rng.shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "website", "industry", "size", "country", "state", "city", "description"])
        writer.writerows(rows)


def _round(seeded: Path, work: Path, companies: Path) -> dict[str, Any]:
    copy = work / "round.db"
    shutil.copyfile(seeded, copy)
    db = open_database(f"sqlite:///{copy}")
    try:
        with db.transaction() as session:
            campaign_id = create_campaign(session, name="bench", provider="file", criteria={"limit": 10_000},
                                          source_path=companies, now=NOW, actor="bench").id
        wall, cpu = time.perf_counter(), time.process_time()
        run_next_campaign(db, now=NOW, settings=get_settings())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with db.session() as session:
            counts = get_campaign(session, campaign_id=campaign_id)["counts"]
    finally:
        db.dispose()
        copy.unlink()
    return {"wall_s": wall, "cpu_s": cpu, "counts": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=2400, help="demo leads in the store")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seeded = work / "seeded.db"
        db = open_database(f"sqlite:///{seeded}")
        summary = seed_demo(db, now=NOW, n_leads=args.leads)
        db.dispose()
        from leadpilot.memory.seed import build_demo_dataset

        known = build_demo_dataset(now=NOW, n_leads=args.leads).leads
        companies = work / "companies.csv"
        _companies_file(companies, known=known, count=args.companies, rng=rng)
        results: dict[str, Any] = {"companies": args.companies, "store_leads": summary.leads}
        original = campaign_ingest._AccountIndex.may_match
        for variant in ("indexed", "match_account for every company"):
            if variant != "indexed":
                campaign_ingest._AccountIndex.may_match = lambda self, **_: True
            rounds = [_round(seeded, work, companies) for _ in range(ROUNDS)]
            campaign_ingest._AccountIndex.may_match = original
            wall = statistics.median(r["wall_s"] for r in rounds)
            results[variant] = {
                "wall_s": round(wall, 2), "cpu_s": round(statistics.median(r["cpu_s"] for r in rounds), 2),
                "companies_per_s": round(args.companies / wall, 1), "counts": rounds[0]["counts"],
                "rounds_wall_s": [round(r["wall_s"], 2) for r in rounds],
            }
        results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(results))
        return
    print(f"{args.companies} companies against {results['store_leads']} stored leads (SQLite), median of {ROUNDS}; load {results['load_average']}")
    for variant in ("indexed", "match_account for every company"):
        r = results[variant]
        print(f"  {variant:<34} {r['wall_s']:>6.2f} s wall {r['cpu_s']:>6.2f} s CPU  {r['companies_per_s']:>7.1f} companies/s  {r['counts']}")


if __name__ == "__main__":
    main()
