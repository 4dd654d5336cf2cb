"""Benchmark: filtered semantic lead queries at 100,000 leads, embedded store vs NumPy brute force.

Vectors: the demo leads' real texts embedded with the offline model (`--texts`, default 2,400),
then spread to `--leads` vectors by small random perturbations (each lead near a real one, so the
clusters look like real data). Filters are the hybrid path's: the structured filter picks lead
ids (here from arrays of tier / industry / last contact, as SQL would), and both sides rank the
same ids: the store through an id allow-list, NumPy by a dot product over those rows.

Reports median query times for a narrow filter (hot fintech not contacted in 3 days) and a broad
one (not contacted in 3 days), the ratio (goal: store <= 1.5x NumPy), that both return the same
top 10, the embedding rate (lead texts/s) and the store's upsert rate.

    python bench/bench_semantic.py                  # 100,000 leads, the embedded default (numpy)
    python bench/bench_semantic.py --store edge     # Qdrant Edge (qdrant-edge-py) instead
    python bench/bench_semantic.py --store qdrant-local --leads 10000   # qdrant-client local mode (slow)
    python bench/bench_semantic.py --leads 20000 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

QUERIES = (
    "which leads are looking at card issuing?", "leads that need fleet tracking", "who is interested in our API product?",
    "companies preparing a SOC 2 audit", "hotels that want more direct bookings", "fraud and chargebacks",
    "banks replacing their legacy core", "patient scheduling across clinics", "usage-based billing", "EV charging payments",
    "KYC automation", "inventory forecasting for stores", "remote exam proctoring", "grant reporting", "checkout conversion",
    "predictive maintenance", "tenant portal and rent collection", "churn prediction", "zero trust access", "data residency",
)


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def run(*, leads: int, texts: int, store_kind: str, seed: int = 7) -> dict[str, Any]:
    from leadpilot.memory.edge_vectors import EdgeVectorStore
    from leadpilot.memory.embeddings import OnnxMiniLMEmbedder
    from leadpilot.memory.numpy_vectors import NumpyVectorStore
    from leadpilot.memory.qdrant_vectors import QdrantServerStore
    from leadpilot.memory.seed import build_demo_dataset

    rng = np.random.default_rng(seed)
    now = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    demo = build_demo_dataset(seed=seed, now=now, n_leads=texts)
    lead_texts = [". ".join(p for p in (d["company"], d["job_title"], d["industry"], d["notes"]) if p) for d in demo.leads]
    embedder = OnnxMiniLMEmbedder()
    embedder.embed(lead_texts[:8])  # load the model outside the timing
    started = time.perf_counter()
    base = embedder.embed(lead_texts)
    embed_rate = len(lead_texts) / (time.perf_counter() - started)

    pick = rng.integers(0, len(base), leads)
    vectors = base[pick] + rng.normal(0, 0.02, (leads, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    tier = np.array([demo.leads[i].get("tier") or ("hot", "warm", "cold")[i % 3] for i in pick])
    industry = np.array([demo.leads[i]["industry"] for i in pick])
    days_since_contact = rng.choice([1, 2, 5, 10, 40, 9999], leads)  # 9999 = never contacted
    ids = np.arange(1, leads + 1)
    payloads = [{"tier": str(t), "industry": str(s)} for t, s in zip(tier, industry)]
    filters = {
        "narrow (hot fintech, not contacted in 3 days)": (tier == "hot") & (industry == "fintech") & (days_since_contact > 3),
        "broad (not contacted in 3 days)": days_since_contact > 3,
    }
    query_vectors = embedder.embed(list(QUERIES))

    with tempfile.TemporaryDirectory(prefix="leadpilot-bench-semantic-") as workdir:
        if store_kind == "qdrant-local":
            from qdrant_client import QdrantClient

            store = QdrantServerStore(QdrantClient(path=str(Path(workdir) / "q")), collection="leads", dimension=384)
        elif store_kind == "edge":
            store = EdgeVectorStore(Path(workdir) / "edge", dimension=384)
        else:
            store = NumpyVectorStore(Path(workdir) / "numpy", dimension=384)
        started = time.perf_counter()
        store.upsert(ids.tolist(), vectors, payloads)
        upsert_rate = leads / (time.perf_counter() - started)

        results = []
        for label, mask in filters.items():
            allowed = ids[mask]
            allowed_list = allowed.tolist()  # ids as the SQL filter returns them
            rows = allowed - 1
            store_times, numpy_times, same = [], [], 0
            for _ in range(3):
                for q in query_vectors:
                    t = time.perf_counter()
                    hits = store.search(q, limit=10, ids=allowed_list)
                    store_times.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    scores = vectors[rows] @ q
                    top = np.argpartition(-scores, 10)[:10]
                    top = rows[top[np.argsort(-scores[top])]] + 1
                    numpy_times.append(time.perf_counter() - t)
                    same += [h.id for h in hits] == top.tolist()
            store_ms, numpy_ms = _median_ms(store_times), _median_ms(numpy_times)
            results.append({
                "filter": label, "matching_leads": int(mask.sum()), "store_median_ms": store_ms,
                "numpy_median_ms": numpy_ms, "ratio": round(store_ms / numpy_ms, 3),
                "same_top10": f"{same}/{len(store_times)}",
            })
        store.close()
    return {
        "bench": "semantic", "store": store_kind,
        "leads": leads, "dimension": 384, "embed_texts_per_s": round(embed_rate, 1),
        "store_upserts_per_s": round(upsert_rate), "queries": results,
        "goal_met": all(r["ratio"] <= 1.5 for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--texts", type=int, default=2400, help="Real demo lead texts to embed (and time).")
    parser.add_argument("--store", choices=("numpy", "edge", "qdrant-local"), default="numpy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(leads=args.leads, texts=args.texts, store_kind=args.store)
    if args.json:
        print(json.dumps(report))
        return
    print(f"{report['leads']:,} leads, {report['store']}: embedding {report['embed_texts_per_s']} lead texts/s, "
          f"store upsert {report['store_upserts_per_s']:,} vectors/s")
    for r in report["queries"]:
        print(f"  {r['filter']}: {r['matching_leads']:,} leads; store {r['store_median_ms']} ms vs NumPy "
              f"{r['numpy_median_ms']} ms (x{r['ratio']}); same top 10 in {r['same_top10']}")
    print("goal (store <= 1.5x NumPy):", "met" if report["goal_met"] else "NOT met")


if __name__ == "__main__":
    main()
