"""`evals semantic`: graded-relevance retrieval over fresh demo data; recall@10 and nDCG@10.

The demo leads are loaded into a throwaway SQLite file and a throwaway embedded vector store,
indexed with the configured embedder, and every dataset query goes through the same hybrid
search the agent uses. Relevance comes from the demo generator's need labels, not from the model.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

K = 10
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


class DatasetError(ValueError):
    """The dataset file is malformed; the message names the file and the entry."""


def load_dataset(path: Path | None) -> dict[str, Any]:
    source = path or Path(str(files("leadpilot.evals").joinpath("datasets", "semantic.yaml")))
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("queries"), list) or not data["queries"]:
        raise DatasetError(f"{source}: expected a mapping with a non-empty `queries` list")
    for number, item in enumerate(data["queries"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("query"), str) or not isinstance(item.get("relevant"), dict):
            raise DatasetError(f"{source}: query {number} needs `query` (text) and `relevant` (need: grade)")
        if not all(grade in (1, 2) for grade in item["relevant"].values()):
            raise DatasetError(f"{source}: query {number} ({item['query']!r}): grades are 1 or 2")
    return data


def recall_at_k(ranked_grades: list[int], relevant_total: int, k: int = K) -> float:
    """Share of the fully relevant (grade 2) leads found in the top k, out of at most k."""
    if relevant_total == 0:
        return 1.0
    return sum(1 for g in ranked_grades[:k] if g == 2) / min(k, relevant_total)


def ndcg_at_k(ranked_grades: list[int], all_grades: list[int], k: int = K) -> float:
    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades[:k]))

    ideal = dcg(sorted(all_grades, reverse=True))
    return dcg(ranked_grades) / ideal if ideal > 0 else 1.0


def run_semantic_eval(
    *, dataset: Path | None = None, leads: int | None = None, min_recall: float = 0.0, min_ndcg: float = 0.0,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    from sqlalchemy import select

    from leadpilot.memory.db import open_database
    from leadpilot.memory.embeddings import get_embedder
    from leadpilot.memory.models import Lead
    from leadpilot.memory.seed import build_demo_dataset, load_demo_dataset
    from leadpilot.memory.numpy_vectors import NumpyVectorStore
    from leadpilot.settings import get_settings
    from leadpilot.tools.leads import LeadFilter, Viewer
    from leadpilot.tools.semantic import SemanticIndex, reindex, semantic_search_leads

    spec = load_dataset(dataset)
    demo = build_demo_dataset(seed=int(spec.get("seed", 7)), now=DEFAULT_NOW, n_leads=leads or int(spec.get("leads", 2400)))
    with tempfile.TemporaryDirectory(prefix="leadpilot-eval-semantic-") as workdir:
        db = open_database(f"sqlite:///{Path(workdir) / 'store.db'}")
        embedder = get_embedder(get_settings())
        store = NumpyVectorStore(Path(workdir) / "vectors", dimension=embedder.dimension)
        try:
            load_demo_dataset(db, dataset=demo)
            index = SemanticIndex(store=store, embedder=embedder)
            reindex(db, index, on_progress=(lambda d, t: progress("indexing", d, t)) if progress else None)
            with db.session() as session:
                topic_of = {
                    lead_id: demo.need_topics.get(external)
                    for lead_id, external in session.execute(select(Lead.id, Lead.external_id))
                }
                cases = []
                for number, item in enumerate(spec["queries"], start=1):
                    grades_by_topic: dict[str, int] = item["relevant"]
                    # Ranking quality over every lead (the judgments grade closed ones too): scope "all".
                    found = semantic_search_leads(session, index=index, text=item["query"], viewer=Viewer(),
                                                  filter=LeadFilter(scope="all"), now=DEFAULT_NOW, limit=K, min_similarity=-1.0)
                    ranked = [grades_by_topic.get(topic_of.get(row["id"]) or "", 0) for row in found.leads]
                    all_grades = [grades_by_topic.get(t or "", 0) for t in topic_of.values()]
                    all_grades = [g for g in all_grades if g]
                    cases.append({
                        "query": item["query"],
                        "recall@10": round(recall_at_k(ranked, all_grades.count(2)), 4),
                        "ndcg@10": round(ndcg_at_k(ranked, all_grades), 4),
                        "relevant": all_grades.count(2),
                        "top": [f"{row['company']} ({topic_of.get(row['id']) or '-'})" for row in found.leads[:3]],
                    })
                    if progress:
                        progress("querying", number, len(spec["queries"]))
        finally:
            store.close()
            db.dispose()
    recall = sum(c["recall@10"] for c in cases) / len(cases)
    ndcg = sum(c["ndcg@10"] for c in cases) / len(cases)
    return {
        "eval": "semantic", "embedder": embedder.model_id, "leads": len(demo.leads), "queries": len(cases),
        "recall@10": round(recall, 4), "ndcg@10": round(ndcg, 4),
        "thresholds": {"recall@10": min_recall, "ndcg@10": min_ndcg},
        "passed": recall >= min_recall and ndcg >= min_ndcg, "cases": cases,
    }


def render_semantic(report: dict[str, Any], console) -> None:
    from rich.table import Table

    table = Table(title=f"Semantic search: {report['queries']} queries over {report['leads']:,} demo leads ({report['embedder']})")
    for column in ("query", "recall@10", "nDCG@10", "top results"):
        table.add_column(column)
    for case in report["cases"]:
        table.add_row(case["query"], f"{case['recall@10']:.2f}", f"{case['ndcg@10']:.2f}", "; ".join(case["top"]))
    console.print(table)
    verdict = "[green]passed[/green]" if report["passed"] else "[red]below threshold[/red]"
    console.print(f"recall@10 {report['recall@10']:.3f}   nDCG@10 {report['ndcg@10']:.3f}   {verdict}")
