"""Benchmark: the warm offline `ask` for the card's question vs the equivalent hand-written SQL, and
the cold start of the `leadpilot ask` command.

    python bench/bench_ask.py                 # 100,000 leads in a temporary SQLite store
    python bench/bench_ask.py --leads 20000 --runs 30 --json
    python bench/bench_ask.py --stages        # also: CPU per stage of one ask
    python bench/bench_ask.py --cold-only --leads 2400   # only `leadpilot ask`'s cold start

"Warm" = the same process has answered a question before (imports done, agent graph compiled,
vocabulary cached); each timed run is a whole agent turn, as `leadpilot ask` runs it: plan, tool
call, query, rows, answer, run log (`--conversation` adds the conversation memory writes). The SQL
baseline fetches the same rows (open leads, as the question means: every contract column of up to
the row cap, with the owner's email, in the same order: checked) with one hand-written statement
through the same driver; the ask then counts its matches and the closed leads its open default left
out (one COUNT the baseline does not run, needed when the page is full: every bench lead is open, so
it finds none but still runs); "SQL + total" also counts every match (count(*) OVER ()), as the
answer's "Found N leads" needs. "Ask's SQL" is the statements the search tool compiled for the
question (its page, then that COUNT), run alone through the same driver: the ask minus it is the
agent around the query. The runs alternate, after a warm-up each, so a busy machine
slows them alike; wall and CPU times are medians.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
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
  AND l.stage IN ('DISCOVERY', 'LEAD', 'PROSPECT', 'OPPORTUNITY')
ORDER BY l.score IS NULL, l.score DESC, l.id
LIMIT :cap
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


SQL_WITH_TOTAL = SQL.replace("r.email AS owner,", "r.email AS owner, count(*) OVER () AS total,")


def timed(fn) -> tuple[float, float, object]:
    """(wall s, CPU s, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def sql_runner(db, statement: str, row_cap: int):
    cutoff = (NOW - timedelta(days=3)).replace(tzinfo=None)

    def run() -> list:
        with db.engine.connect() as connection:
            return connection.execute(text(statement), {"cutoff": cutoff, "cap": row_cap}).all()

    return run


def ask_runner(db, *, conversation: bool):
    from leadpilot.agent.runner import run_agent
    from leadpilot.interfaces.deps_factory import make_deps, viewer_for

    viewer = viewer_for(db)
    turns = iter(range(1_000_000))

    def run():
        # A new conversation per turn, so every timed turn does the same work.
        conversation_id = f"bench:{next(turns)}" if conversation else None
        return run_agent(QUESTION, deps=make_deps(db, viewer=viewer, conversation_id=conversation_id))

    return run


def ask_sql_runner(db, answer, row_cap: int):
    """The statement the ask's search tool compiles for `answer`'s tool call, alone (no agent, no dicts)."""
    from leadpilot.tools.leads.filter import Viewer
    from leadpilot.tools.leads.filter_sql import compile_filter, owner_lookup
    from leadpilot.tools.leads.search import SearchLeads, count_statement, search_statement

    (call,) = answer.tool_calls
    query = SearchLeads(**call["args"])
    with db.session() as session:
        compiled = compile_filter(query.filter, now=NOW, viewer=Viewer(), owner_ids=owner_lookup(session))
    # As the search runs it on SQLite: the page without its final ORDER BY (the tool checks the order), then the COUNT.
    statement, counted = search_statement(query, compiled, row_cap=row_cap, ordered=False), count_statement(compiled)

    def run() -> list:
        with db.engine.connect() as connection:
            rows = connection.execute(statement).all()
            connection.execute(counted).all()  # the page is full: the search counts its matches
            return rows

    return run


def compare(db, runs: int, *, conversation: bool, row_cap: int) -> dict[str, list[tuple[float, float]]]:
    """Alternate SQL, SQL + total, ask and the ask's SQL (after one warm-up each); check they return
    the same leads."""
    runners = {
        "sql": sql_runner(db, SQL, row_cap),
        "sql_with_total": sql_runner(db, SQL_WITH_TOTAL, row_cap),
        "ask": ask_runner(db, conversation=conversation),
    }
    sql_ids = [row.id for row in runners["sql"]()]
    answer = runners["ask"]()
    runners["ask_sql"] = ask_sql_runner(db, answer, row_cap)
    runners["sql_with_total"]()
    ask_ids = [lead["id"] for lead in answer.leads]
    assert ask_ids == sql_ids, f"ask and SQL disagree: {len(ask_ids)} vs {len(sql_ids)} leads"
    assert [row.id for row in runners["ask_sql"]()] == sql_ids, "the ask's statement and the SQL disagree"
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _ in range(runs):
        for name, run in runners.items():
            wall, cpu, _result = timed(run)
            times[name].append((wall, cpu))
    return times


# Stages of one ask, as (module, attribute, label): CPU time spent inside each is summed per run.
STAGES = (
    ("leadpilot.agent.runner", "_history", "conversation history load"),
    ("leadpilot.agent.vocabulary", "cached_vocabulary", "planner vocabulary (store fingerprint)"),
    ("leadpilot.agent.offline_model", "offline_reply", "offline model: plan + answer"),
    ("leadpilot.agent.toolbox.registry", "AgentTool.run", "tool call (argument validation + tool)"),
    ("leadpilot.agent.toolbox.leads", "search_leads", "  search_leads (SQL + rows)"),
    ("leadpilot.tools.leads.search", "_lead_dicts", "    rows -> contract dicts"),
    ("leadpilot.agent.runner", "_save_turn", "run log (+ conversation) write"),
)


def stage_times(db, runs: int, *, conversation: bool) -> dict[str, float]:
    """CPU ms per ask inside each of STAGES; the rest of the turn is the agent loop itself."""
    import importlib

    spent: dict[str, float] = defaultdict(float)
    for module_name, attribute, label in STAGES:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        @functools.wraps(original)
        def measured(*args, _original=original, _label=label, **kwargs):
            started = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.process_time() - started

        setattr(owner, name, measured)
    run = ask_runner(db, conversation=conversation)
    run()
    spent.clear()
    total = sum(timed(run)[1] for _ in range(runs))
    result = {label: round(spent[label] / runs * 1000, 2) for _module, _attribute, label in STAGES}
    top_level = ("conversation history load", "planner vocabulary (store fingerprint)", "offline model: plan + answer",
                 "tool call (argument validation + tool)", "run log (+ conversation) write")
    result["agent loop, messages (rest)"] = round((total - sum(spent[k] for k in top_level)) / runs * 1000, 2)
    result["whole ask"] = round(total / runs * 1000, 2)
    return result


def time_cold_start(data_dir: Path, runs: int = 5, *, cached_bytecode: bool = False) -> tuple[float, float]:
    """Median wall and CPU seconds of `leadpilot ask ... --json` in a new process, after one untimed
    run (which keeps the planner's vocabulary in the data dir, as any first ask does).

    `cached_bytecode`: Python's compiled bytecode is kept between runs (in a folder of the data dir),
    as on a usual install; otherwise the environment decides (PYTHONDONTWRITEBYTECODE=1, as on this
    project's machines, recompiles Leadpilot's own modules in every process)."""
    env = {**os.environ, "LEADPILOT_DATA_DIR": str(data_dir), "LEADPILOT_NOW": NOW.isoformat()}
    if cached_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(data_dir / "pycache")
    command = [str(Path(sys.executable).with_name("leadpilot")), "ask", QUESTION, "--json"]
    subprocess.run(command, env=env, check=True, capture_output=True)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _median_ms(samples: list[tuple[float, float]], index: int) -> float:
    return round(statistics.median(sample[index] for sample in samples) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--conversation", action="store_true", help="each ask also stores its turn in a conversation")
    parser.add_argument("--stages", action="store_true", help="also report CPU per stage of one ask")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cold-only", action="store_true", help="only the cold start of `leadpilot ask` (no warm comparison)")
    args = parser.parse_args()
    os.environ["LEADPILOT_NOW"] = NOW.isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        os.environ["LEADPILOT_DATA_DIR"] = str(data_dir)
        from leadpilot.settings import get_settings

        row_cap = get_settings().query_row_cap
        db = open_database(f"sqlite:///{(data_dir / 'leadpilot.db').resolve()}")
        populate(db, args.leads)
        if args.cold_only:
            db.dispose()
            runs = max(5, min(args.runs, 15))
            cold_wall, cold_cpu = time_cold_start(data_dir, runs=runs)
            cached_wall, cached_cpu = time_cold_start(data_dir, runs=runs, cached_bytecode=True)
            print(json.dumps({"leads": args.leads, "ask_cold_start_s": round(cold_wall, 2),
                              "ask_cold_start_cpu_s": round(cold_cpu, 2),
                              "ask_cold_start_cached_bytecode_s": round(cached_wall, 2),
                              "ask_cold_start_cached_bytecode_cpu_s": round(cached_cpu, 2),
                              "load_average": [round(x, 2) for x in os.getloadavg()]}))
            return
        times = compare(db, args.runs, conversation=args.conversation, row_cap=row_cap)
        stages = stage_times(db, args.runs, conversation=args.conversation) if args.stages else None
        rows = len(sql_runner(db, SQL, row_cap)())
        db.dispose()
        cold_wall, cold_cpu = time_cold_start(data_dir)
        cached_wall, cached_cpu = time_cold_start(data_dir, cached_bytecode=True)
    result = {
        "leads": args.leads, "rows_returned": rows, "runs": args.runs, "conversation": args.conversation,
        "sql_median_ms": _median_ms(times["sql"], 0), "sql_cpu_median_ms": _median_ms(times["sql"], 1),
        "sql_with_total_median_ms": _median_ms(times["sql_with_total"], 0),
        "sql_with_total_cpu_median_ms": _median_ms(times["sql_with_total"], 1),
        "ask_warm_median_ms": _median_ms(times["ask"], 0), "ask_warm_cpu_median_ms": _median_ms(times["ask"], 1),
        "ask_sql_median_ms": _median_ms(times["ask_sql"], 0), "ask_sql_cpu_median_ms": _median_ms(times["ask_sql"], 1),
        "ratio": round(_median_ms(times["ask"], 0) / _median_ms(times["sql"], 0), 2),
        "ratio_cpu": round(_median_ms(times["ask"], 1) / _median_ms(times["sql"], 1), 2),
        "ratio_vs_sql_with_total": round(_median_ms(times["ask"], 0) / _median_ms(times["sql_with_total"], 0), 2),
        "ratio_vs_ask_sql": round(_median_ms(times["ask"], 0) / _median_ms(times["ask_sql"], 0), 2),
        "ask_cold_start_s": round(cold_wall, 2), "ask_cold_start_cpu_s": round(cold_cpu, 2),
        # What a user's install has: pip compiles the package's bytecode when it installs it.
        "ask_cold_start_cached_bytecode_s": round(cached_wall, 2), "ask_cold_start_cached_bytecode_cpu_s": round(cached_cpu, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if stages is not None:
        result["ask_cpu_ms_per_stage"] = stages
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            print(key)
            for stage, ms in value.items():
                print(f"  {stage:<46} {ms}")
        else:
            print(f"{key:<30} {value}")


if __name__ == "__main__":
    main()
