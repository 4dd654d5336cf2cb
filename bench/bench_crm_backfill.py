"""Benchmark: a first CRM backfill — N contacts paged from the loopback HubSpot (tests/fake_hubspot.py)
through the official hubspot-api-client and Leadpilot's capture step (validated, de-duplicated by
receipt keys, stored with their pipeline jobs and CRM links) — then the full pipeline on a sample
of the pulled leads, and the outbox push of that sample back to HubSpot.

    python bench/bench_crm_backfill.py                      # 100,000 contacts, SQLite
    python bench/bench_crm_backfill.py --contacts 20000 --pipeline-sample 300
    python bench/bench_crm_backfill.py --postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres

Reports pulled leads/s through capture (goal: >= 500/s), the pipeline's leads/s on the sample, and
the push rate (changes/s). One JSON line on standard output (the backfill's line on standard error
as soon as it is done). The next pages are fetched while a batch is stored, so pull_seconds is the
backfill's wall time and capture_seconds the part of it spent storing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_hubspot import TOKEN, FakeHubSpot, populate  # noqa: E402
from leadpilot.clock import Clock  # noqa: E402
from leadpilot.memory.db import open_database  # noqa: E402
from leadpilot.memory.seed import seed_demo  # noqa: E402
from scratch_postgres import scratch_database  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--pipeline-sample", type=int, default=200, help="Leads run through the full pipeline afterwards.")
    parser.add_argument("--page-size", type=int, default=100, help="HubSpot's maximum is 100.")
    parser.add_argument("--postgres", help="A PostgreSQL server URL (a scratch database is created and dropped).")
    args = parser.parse_args()

    from leadpilot.settings import load_settings
    from leadpilot.tools.crm import load_policy, outbox_sender_from_settings, require_connector
    from leadpilot.tools.pipeline import sync_crm

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(scratch_database(args.postgres)) if args.postgres else f"sqlite:///{folder / 'bench.db'}"
        db = open_database(url)
        seed_demo(db, now=NOW, n_leads=20)
        fake = FakeHubSpot()
        populate(fake, args.contacts, owners=["maya.chen@leadpilot.demo", "diego.ramirez@leadpilot.demo"])
        fake.start()
        stack.callback(fake.stop)
        os.environ["LEADPILOT_CRM_SYNC_INTERVAL_S"] = "0"
        settings = load_settings(hubspot_token=TOKEN, hubspot_base_url=fake.url, data_dir=folder / "data", crm_sync_interval_s=0)
        connector = require_connector(settings, "hubspot")

        began = time.perf_counter()
        report = sync_crm(db, connector, policy=load_policy(), now=NOW, page_size=args.page_size,
                          progress=lambda done, total: print(f"\r{done:,} pulled", end="", file=sys.stderr, flush=True))
        pull_s = time.perf_counter() - began
        print(file=sys.stderr)
        print(f"backfill: {report.pulled:,} pulled and captured in {pull_s:.1f} s = {report.pulled / pull_s:.1f} leads/s "
              f"(capture step {report.store_seconds:.1f} s, {report.store_cpu_seconds:.1f} CPU s; load {os.getloadavg()[0]:.1f})",
              file=sys.stderr, flush=True)

        # The full pipeline on a sample (the rest stays queued: a bench, not a soak).
        from sqlalchemy import func, select, update

        from leadpilot.interfaces.api.runtime import build_worker
        from leadpilot.memory.pipeline import JobStatus, PipelineJob
        from leadpilot.tools.pipeline.steps import STEPS

        with db.transaction() as session:
            first = session.scalar(select(func.min(PipelineJob.id)))
            session.execute(update(PipelineJob).where(PipelineJob.id >= first + args.pipeline_sample).values(status=JobStatus.DEAD.value))
        worker = build_worker(db, settings=settings, clock=Clock(pinned=NOW), alert=lambda row: "bench",
                              steps=tuple(step for step in STEPS if step.name != "index"))
        worker.context = dataclasses.replace(worker.context, semantic_index=None)
        began = time.perf_counter()
        processed = worker.drain(timeout_s=3600)
        pipeline_s = time.perf_counter() - began
        began = time.perf_counter()
        sender = outbox_sender_from_settings(db, settings)
        pushed = sender.drain()
        push_s = time.perf_counter() - began

        # Steady state: a contact created in HubSpot -> pulled, processed, pushed back (one sync round).
        latencies = []
        for i in range(3):
            contact = fake.add_contact(email=f"fresh{i}@steady.example", firstname="Fresh", lastname=f"Lead{i}", company=f"Steady {i}",
                                       industry="fintech", numemployees="250", country="US", jobtitle="VP Sales")
            began = time.perf_counter()
            sync_crm(db, connector, policy=load_policy(), now=NOW)
            worker.drain(timeout_s=600)
            sender.drain()
            latencies.append(time.perf_counter() - began)
            assert fake.contacts[contact]["properties"].get("leadpilot_score"), "the new contact was not scored back"
        db.dispose()

    print(json.dumps({
        "database": "postgresql" if args.postgres else "sqlite", "contacts": args.contacts, "pulled": report.pulled,
        "captured": report.captured, "rejected": len(report.rejected), "pull_seconds": round(pull_s, 2),
        "pull_and_capture_leads_per_s": round(report.pulled / pull_s, 1), "capture_seconds": round(report.store_seconds, 2),
        "capture_leads_per_s": round(report.pulled / report.store_seconds, 1),
        "capture_cpu_seconds": round(report.store_cpu_seconds, 2), "capture_leads_per_cpu_s": round(report.pulled / report.store_cpu_seconds, 1),
        "load_average": os.getloadavg()[0],
        "pipeline_sample": processed, "pipeline_seconds": round(pipeline_s, 2),
        "pipeline_leads_per_s": round(processed / pipeline_s, 1) if pipeline_s else None,
        "pushed_changes": pushed.sent, "push_seconds": round(push_s, 2),
        "push_changes_per_s": round(pushed.sent / push_s, 1) if push_s else None,
        "steady_state_latency_s": [round(x, 2) for x in latencies],
        "note": "pipeline without the vector index step (offline enrichment, template summaries); the fake HubSpot runs in this process",
    }))


if __name__ == "__main__":
    main()
