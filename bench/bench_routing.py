"""Benchmark: route 10,000 new leads against 50 reps.

A generated team of 50 reps (five regions, ten reps each, with time zones, languages, industries and
working hours), a policy that uses every strategy (round robin, weighted, least loaded,
performance weighted), single-rep territory rules, the richer conditions (any/not, comparisons,
missing, dates), a pool filtered on rep attributes, a queue, constraints and sticky accounts, and a store
with 5,000 closed historical leads (for performance weighting and account matching) plus 10,000
new unassigned leads. Three measurements, each a median of 3 rounds:

- batch dry run: `route_leads(dry_run=True)` over all 10,000 (one snapshot, decisions in memory);
- batch with writes: `route_leads(dry_run=False)` (an Assignment, an owner audit event and pointer
  moves per lead, one transaction), rolled back after timing;
- one at a time: `route_lead` per lead for 1,000 leads (a fresh snapshot and account lookup each
  time, as a webhook would), dry run.

    python bench/bench_routing.py                 # SQLite in a temporary directory
    python bench/bench_routing.py --leads 20000 --json
    python bench/bench_routing.py --postgres URL   # a PostgreSQL server (a database per run is created)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from leadpilot.memory.db import Database, open_database
from leadpilot.memory.models import Lead, Rep
from leadpilot.tools.routing.router import route_lead, route_leads
from leadpilot.tools.routing.policy import RoutingPolicy, parse_policy
from scratch_postgres import scratch_database

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)  # NA East, Central and Europe on shift
ROUNDS = 3
REGIONS = {
    "na": {"countries": ["US", "CA"], "tz": ["America/New_York", "America/Chicago", "America/Los_Angeles"], "lang": ["en", "es"]},
    "emea": {"countries": ["GB", "DE", "FR", "NL", "SE", "IT", "ES"], "tz": ["Europe/London", "Europe/Berlin", "Europe/Paris"], "lang": ["en", "de", "fr"]},
    "apac": {"countries": ["JP", "SG", "AU", "IN", "KR"], "tz": ["Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"], "lang": ["en", "ja"]},
    "latam": {"countries": ["MX", "BR", "AR", "CO", "CL"], "tz": ["America/Mexico_City", "America/Sao_Paulo"], "lang": ["es", "pt", "en"]},
    "global": {"countries": ["US", "GB", "DE", "JP", "BR"], "tz": ["UTC"], "lang": ["en"]},
}
INDUSTRIES = ["fintech", "saas", "healthcare", "manufacturing", "retail", "logistics", "energy", "media", None]
SOURCES = ["organic", "paid", "referral", "partner", "event", "outbound", "webinar", "other"]
US_STATES = ["CA", "NY", "TX", "WA", "IL", "FL", "MA", "OH", None]


def _rep_rows(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for region, spec in REGIONS.items():
        for i in range(10):
            rows.append({
                "email": f"{region}{i}@bench.test", "name": f"{region.upper()} Rep {i}", "team": region, "role": "rep",
                "territories": spec["countries"], "industries": rng.sample([i for i in INDUSTRIES if i], 3),
                "segments": ["enterprise", "mid-market", "smb"], "languages": ["en", *rng.sample(spec["lang"], 1)],
                "timezone": rng.choice(spec["tz"]), "working_hours": {"start": "09:00", "end": "17:00", "days": [0, 1, 2, 3, 4]},
                "capacity": 2000, "daily_cap": 1000, "routing_weight": rng.choice([1.0, 1.0, 1.5, 2.0]), "active": i != 9,
                "created_at": NOW - timedelta(days=400),
            })
    return rows


def _policy() -> RoutingPolicy:
    def members(region: str, count: int = 10) -> str:
        return "[" + ", ".join(f"{region}{i}@bench.test" for i in range(count)) + "]"

    text_ = f"""
territories:
  us-west: [US-CA, US-WA]
  us-east: [US-NY, US-MA, US-FL]
pools:
  na-hot: {{strategy: performance_weighted, members: {members("na", 5)}}}
  na: {{strategy: least_loaded, prefer_expertise: true, members: {members("na")}}}
  emea: {{strategy: weighted, members: {{{", ".join(f"emea{i}@bench.test: {1 + i % 3}" for i in range(10))}}}}}
  apac: {{strategy: round_robin, members: {members("apac")}}}
  latam: {{strategy: round_robin, members: {members("latam")}}}
  global: {{strategy: least_loaded, members: {members("global")}}}
  german: {{strategy: least_loaded, where: {{language: [de]}}}}
queues:
  research: {{description: Leads we know too little about.}}
rules:
  - name: dach-small
    when:
      any: [{{country: [DE], company_size: {{lt: 1000}}}}, {{country: [CH]}}]
      not: {{source: [paid]}}
    route_to: {{pool: german}}
  - name: recent-unknown-size
    when: {{company_size: {{missing: true}}, created_at: {{within_days: 1}}, industry: {{not_in: [energy]}}, score: {{gte: 95}}}}
    route_to: {{queue: research}}
  - name: na-hot
    when: {{region: [NA], source: [referral, partner], score: {{at_least: 70}}}}
    route_to: {{pool: na-hot}}
    constraints: {{working_hours: required}}
  - name: us-west-named
    when: {{territory: [us-west], segment: [enterprise]}}
    route_to: {{rep: na5@bench.test}}
  - name: na
    when: {{region: [NA]}}
    route_to: {{pool: na}}
  - name: emea
    when: {{region: [EMEA]}}
    route_to: {{pool: emea}}
  - name: apac
    when: {{region: [APAC]}}
    route_to: {{pool: apac}}
  - name: latam
    when: {{region: [LATAM]}}
    route_to: {{pool: latam}}
  - name: anywhere
    when: {{}}
    route_to: {{pool: global}}
fallback: {{queue: triage}}
"""
    return parse_policy(text_, path=Path("bench-routing.yaml"))


def _lead_rows(count: int, rng: random.Random, *, closed: bool, start: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + count):
        company = i - 1 if i > start and rng.random() < 0.15 else i  # some leads come from the same company as the last one
        country = rng.choice([c for spec in REGIONS.values() for c in spec["countries"]] + [None])
        created = NOW - timedelta(days=rng.uniform(30, 300)) if closed else NOW - timedelta(minutes=rng.uniform(0, 60))
        rows.append({
            "external_id": f"BENCH-{i:07d}", "company": f"Company {company:08d}", "domain": f"company{company:08d}.test",
            "industry": rng.choice(INDUSTRIES), "company_size": rng.choice([None, rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 20000)]),
            "country": country, "state": rng.choice(US_STATES) if country == "US" else None,
            "language": rng.choice(["en", "en", "en", "de", "es", "fr", "ja", "pt", None]), "source": rng.choice(SOURCES),
            "score": rng.randint(0, 100), "stage": rng.choice(["CUSTOMER", "LOST", "LOST"]) if closed else "LEAD",
            "created_at": created, "updated_at": created, "owner_id": None, "converted": None,
        })
    return rows


def _prepare(db: Database, *, leads: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    with db.transaction() as session:
        rep_ids = list(session.scalars(insert(Rep.__table__).returning(Rep.__table__.c.id, sort_by_parameter_order=True), _rep_rows(rng)))
        history = _lead_rows(5000, rng, closed=True, start=10_000_000)
        for row in history:
            row["owner_id"] = rng.choice(rep_ids)
            row["converted"] = row["stage"] == "CUSTOMER"
        session.execute(insert(Lead.__table__), history)
        new_ids = list(session.scalars(insert(Lead.__table__).returning(Lead.__table__.c.id, sort_by_parameter_order=True), _lead_rows(leads, rng, closed=False, start=0)))
    return new_ids


def _median_time(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds (this process) of ROUNDS runs: on a shared machine the CPU
    time is the steadier number."""
    times, cpu, result = [], [], None
    for _ in range(ROUNDS):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), statistics.median(cpu), result


def bench(db: Database, *, leads: int, single: int, seed: int = 11) -> dict[str, Any]:
    lead_ids = _prepare(db, leads=leads, seed=seed)
    policy = _policy()

    def dry_batch():
        with db.session() as session:
            return route_leads(session, lead_ids=lead_ids, policy=policy, now=NOW)

    def write_batch():
        session = db.session()
        try:
            return len(route_leads(session, lead_ids=lead_ids, policy=policy, now=NOW, dry_run=False))
        finally:
            session.rollback()
            session.close()

    def one_at_a_time():
        with db.session() as session:
            return [route_lead(session, lead=lead_id, policy=policy, now=NOW).owner for lead_id in lead_ids[:single]]

    dry_seconds, dry_cpu, decisions = _median_time(dry_batch)
    write_seconds, write_cpu, _ = _median_time(write_batch)
    single_seconds, single_cpu, _ = _median_time(one_at_a_time)
    rules = Counter(d.rule for d in decisions)
    owners = Counter(d.owner or f"queue {d.queue}" for d in decisions)
    return {
        "backend": db.dialect,
        "reps": 50,
        "leads": len(lead_ids),
        "history_leads": 5000,
        "rounds": ROUNDS,
        "batch_dry_run": {"seconds": round(dry_seconds, 3), "leads_per_second": round(len(lead_ids) / dry_seconds),
                          "cpu_seconds": round(dry_cpu, 3), "leads_per_cpu_second": round(len(lead_ids) / dry_cpu)},
        "batch_with_writes": {"seconds": round(write_seconds, 3), "leads_per_second": round(len(lead_ids) / write_seconds),
                              "cpu_seconds": round(write_cpu, 3), "leads_per_cpu_second": round(len(lead_ids) / write_cpu)},
        "one_at_a_time_dry_run": {"leads": single, "seconds": round(single_seconds, 3), "leads_per_second": round(single / single_seconds),
                                  "ms_per_lead": round(1000 * single_seconds / single, 2),
                                  "cpu_seconds": round(single_cpu, 3), "leads_per_cpu_second": round(single / single_cpu)},
        "decisions_by_rule": dict(rules.most_common()),
        "reps_used": sum(1 for owner in owners if not owner.startswith("queue")),
        "max_share_per_rep": max(owners.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=1_000, help="leads routed one call at a time")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite in a temporary directory)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with (tempfile.TemporaryDirectory(prefix="leadpilot-bench-routing-") as tmp,
          scratch_database(args.postgres) if args.postgres else nullcontext(f"sqlite:///{Path(tmp) / 'bench.db'}") as url):
        db = open_database(url)
        try:
            report = bench(db, leads=args.leads, single=min(args.single, args.leads))
        finally:
            db.dispose()
    if args.json:
        print(json.dumps(report))
        return
    print(f"Routing {report['leads']:,} new leads against {report['reps']} reps on {report['backend']} (median of {report['rounds']}):")
    for key, label in (("batch_dry_run", "batch, dry run"), ("batch_with_writes", "batch, with writes"), ("one_at_a_time_dry_run", "one call per lead")):
        part = report[key]
        print(f"  {label:<20} {part['leads_per_second']:>8,} leads/s  ({part['seconds']:.2f} s; "
              f"{part['leads_per_cpu_second']:,} leads per CPU-second of this process)")
    print(f"  decisions by rule: {report['decisions_by_rule']}; {report['reps_used']} reps used, at most {report['max_share_per_rep']} leads each")


if __name__ == "__main__":
    main()
