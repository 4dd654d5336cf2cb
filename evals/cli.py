"""The `evals` command: one sub-command per evaluation, each with --json and its thresholds.

Exit codes: 0 passed, 1 below a threshold, 2 the input could not be evaluated.
Each evaluation lives in its own module (evals/scoring.py, ...) and returns a plain dict; this
file only parses options, prints and exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from leadpilot.evals.nlq import DEFAULT_MIN_ACCURACY
from leadpilot.interfaces.cli.shared import show_flags_as_flags

show_flags_as_flags()  # `--json`, not `--json <bool>`, in --help

app = typer.Typer(
    help="Leadpilot's evaluation harness: prove routing, query understanding and scoring are right.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_BELOW_THRESHOLD = 1
EXIT_BAD_INPUT = 2


@app.callback()
def _evals() -> None:
    """Evaluate Leadpilot. Every command takes --json for one machine-readable JSON object."""


def emit_json(report: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")


def fail(message: str, *, as_json: bool) -> typer.Exit:
    """Report input that cannot be evaluated, on stderr (and as {"error"} under --json)."""
    if as_json:
        emit_json({"error": message})
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command()
def scoring(
    data: Annotated[
        Path | None, typer.Option("--data", help="A CSV with an outcome column; default: the store's closed leads.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="The outcome column of --data (yes/no, 1/0, won/lost...).")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="A column not to use as a feature (repeatable).")] = None,
    positive: Annotated[str | None, typer.Option("--positive", help="The label value that means converted, if not obvious.")] = None,
    min_auc: Annotated[float | None, typer.Option("--min-auc", help="Exit 1 when the held-out AUC is below this.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random state of the split and the model.")] = 42,
    folds: Annotated[int | None, typer.Option("--folds", help="Also: mean ± sd AUC over K stratified folds, with the baselines.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Conversion model: held-out AUC, Brier score, calibration table and top features."""
    from leadpilot.evals.scoring import evaluate_csv, evaluate_store, render_scoring, with_threshold
    from leadpilot.tools.prediction import NotEnoughHistoryError
    from leadpilot.tools.prediction import TabularError

    if data is None and (label or drop or positive):
        raise fail("--label, --drop and --positive need --data FILE.csv", as_json=as_json)
    if data is not None and not label:
        raise fail(f"--label is required with --data: name the outcome column of {data}", as_json=as_json)
    console = Console(stderr=as_json)
    try:
        if data is not None:
            with console.status(f"training and evaluating on {data}…"):
                report = evaluate_csv(path=data, label=label or "", drop=drop or (), positive=positive, random_state=seed, folds=folds)
        else:
            from leadpilot.clock import clock_from_settings
            from leadpilot.memory.db import open_database
            from leadpilot.settings import get_settings

            settings = get_settings()
            db = open_database(settings.resolved_database_url)
            try:
                with console.status("training and evaluating on the store's closed leads…"):
                    report = evaluate_store(db=db, now=clock_from_settings(settings).now(), random_state=seed, folds=folds)
            finally:
                db.dispose()
    except NotEnoughHistoryError as error:
        raise fail(f"{error} (try `leadpilot seed` for demo history, or --data FILE.csv)", as_json=as_json) from None
    except (TabularError, ValueError) as error:
        raise fail(str(error), as_json=as_json) from None

    report = with_threshold(report, min_auc=min_auc)
    if as_json:
        emit_json(report)
    else:
        render_scoring(report, console)
    if not report["passed"]:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


@app.command()
def compare(
    reports: Annotated[list[Path], typer.Argument(help="`evals nlq --json` outputs, one per backend or server.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML page.")] = Path("nlq-compare.html"),
) -> None:
    """Put nlq reports of several backends side by side (accuracy, errors, model calls, tokens, latency, each case)."""
    from leadpilot.evals.report import render_comparison

    loaded = []
    for path in reports:
        try:
            loaded.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            raise fail(f"{path}: not an `evals nlq --json` report ({error})", as_json=False) from None
    out.write_text(render_comparison(loaded), encoding="utf-8")
    Console().print(f"Wrote {out}")


@app.command()
def nlq(
    backend: Annotated[str, typer.Option("--backend", help="offline (the rule-based planner) or openai (the OPENAI_* model).")] = "offline",
    now: Annotated[str | None, typer.Option("--now", help="The clock, ISO 8601; default LEADPILOT_NOW, else 2026-11-20T12:00:00Z.")] = None,
    dataset: Annotated[
        list[Path] | None,
        typer.Option("--dataset", help="A cases YAML (repeatable); default: the shipped nlq.yaml and every nlq_*.yaml."),
    ] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="Run only this case id (repeatable).")] = None,
    every: Annotated[int, typer.Option("--every", min=1, help="Run every N-th case of each category, for a quick look.")] = 1,
    min_accuracy: Annotated[
        float, typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 below this overall exact-set accuracy.")
    ] = DEFAULT_MIN_ACCURACY,
    case_timeout: Annotated[
        float | None, typer.Option("--case-timeout", min=0.1, help="--backend openai: seconds one case may take (default 120); over it is a miss.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Query understanding: the agent answers every dataset question over fresh demo data; its leads
    and rows must equal the truth exactly. Accuracy overall, per dataset, per split (tuning /
    held_out) and per category. With --backend openai, any OpenAI-compatible server: a backend error
    is that case's miss with its reason, Ctrl-C keeps the partial results, and each question's model
    calls, tokens and latency are reported."""
    from leadpilot.agent.runner import AgentError
    from leadpilot.evals.nlq import EvalSetupError, render_nlq, resolve_now, run_nlq_eval
    from leadpilot.evals.nlq_cases import DatasetError

    if backend not in ("offline", "openai"):
        raise fail(f"--backend {backend!r}: use offline or openai", as_json=as_json)
    try:
        clock = resolve_now(now)
    except ValueError:
        raise fail(f"--now {now!r} is not an ISO 8601 time, e.g. 2026-11-20T12:00:00Z", as_json=as_json) from None
    console = Console(stderr=as_json)
    try:
        if backend == "openai":
            from leadpilot.evals.llm_backend_run import check_reachable
            from leadpilot.settings import get_settings

            check_reachable(get_settings())
        with console.status("asking the agent…") as status:
            report = run_nlq_eval(
                backend=backend, now=clock, datasets=dataset, case_ids=case, every=every, min_accuracy=min_accuracy,  # type: ignore[arg-type]
                progress=lambda done, total: status.update(f"asking the agent… {done}/{total}"), case_timeout_s=case_timeout,
            )
    except (DatasetError, EvalSetupError, AgentError) as error:
        raise fail(str(error), as_json=as_json) from None
    if as_json:
        emit_json(report)
    else:
        render_nlq(report, console)
    if not report["passed"]:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


@app.command()
def routing(
    min_accuracy: Annotated[float, typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 below this share of correct cases.")] = 0.98,
    backend: Annotated[str | None, typer.Option("--backend", help="Also ask the agent (offline or openai) who should take each lead.")] = None,
    dataset: Annotated[Path | None, typer.Option("--dataset", help="A cases YAML; default: the shipped evals/datasets/routing.yaml.")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="A routing policy file; default: LEADPILOT_ROUTING_POLICY, else config/routing.yaml.")] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="Run only this case id (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Routing: hand-labelled cases against the demo roster; accuracy, per-rule breakdown, confusion
    table and each miss with the engine's explanation."""
    from leadpilot.agent.runner import AgentError
    from leadpilot.evals.routing import DatasetError, render_routing, run_routing_eval
    from leadpilot.tools.routing import RoutingPolicyError

    if backend not in (None, "offline", "openai"):
        raise fail(f"--backend {backend!r}: use offline or openai", as_json=as_json)
    console = Console(stderr=as_json)
    try:
        with console.status("routing the cases…") as status:
            report = run_routing_eval(
                dataset=dataset, policy_path=policy, case_ids=case, min_accuracy=min_accuracy, backend=backend,  # type: ignore[arg-type]
                progress=lambda done, total: status.update(f"routing the cases… {done}/{total}"),
            )
    except (DatasetError, RoutingPolicyError, AgentError) as error:
        raise fail(str(error), as_json=as_json) from None
    if as_json:
        emit_json(report)
    else:
        render_routing(report, console)
    if not report["passed"]:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


@app.command()
def semantic(
    dataset: Annotated[Path | None, typer.Option("--dataset", help="A graded-relevance YAML; default: evals/datasets/semantic.yaml.")] = None,
    leads: Annotated[int | None, typer.Option("--leads", min=100, help="Demo leads to index (default: the dataset's).")] = None,
    min_recall: Annotated[float, typer.Option("--min-recall", min=0.0, max=1.0, help="Exit 1 below this mean recall@10.")] = 0.7,
    min_ndcg: Annotated[float, typer.Option("--min-ndcg", min=0.0, max=1.0, help="Exit 1 below this mean nDCG@10.")] = 0.7,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Semantic lead search: recall@10 and nDCG@10 on graded-relevance queries over fresh demo data."""
    from leadpilot.evals.semantic import DatasetError, render_semantic, run_semantic_eval

    console = Console(stderr=as_json)
    try:
        with console.status("indexing the demo leads…") as status:
            report = run_semantic_eval(
                dataset=dataset, leads=leads, min_recall=min_recall, min_ndcg=min_ndcg,
                progress=lambda what, done, total: status.update(f"{what}… {done}/{total}"),
            )
    except DatasetError as error:
        raise fail(str(error), as_json=as_json) from None
    if as_json:
        emit_json(report)
    else:
        render_semantic(report, console)
    if not report["passed"]:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


@app.command(name="all")
def all_evals(
    out: Annotated[Path, typer.Option("--out", help="Where to write report.html and summary.json.")] = Path("evals-report"),
    backend: Annotated[str, typer.Option("--backend", help="The agent backend for the nlq eval: offline or openai.")] = "offline",
    min_routing_accuracy: Annotated[float, typer.Option("--min-routing-accuracy", min=0.0, max=1.0)] = 0.98,
    min_nlq_accuracy: Annotated[float, typer.Option("--min-nlq-accuracy", min=0.0, max=1.0)] = DEFAULT_MIN_ACCURACY,
    min_auc: Annotated[float | None, typer.Option("--min-auc", help="Exit 1 when the scoring model's held-out AUC is below this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary.")] = False,
) -> None:
    """Run routing, nlq and scoring; write an HTML report with plots and a JSON summary."""
    from leadpilot.evals.report import run_all, write_report

    if backend not in ("offline", "openai"):
        raise fail(f"--backend {backend!r}: use offline or openai", as_json=as_json)
    console = Console(stderr=as_json)
    with console.status("running the evals…") as status:
        results = run_all(
            backend=backend, min_routing_accuracy=min_routing_accuracy, min_nlq_accuracy=min_nlq_accuracy, min_auc=min_auc,  # type: ignore[arg-type]
            progress=lambda text: status.update(text),
        )
    paths = write_report(results, out)
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    if as_json:
        emit_json(summary)
    else:
        for name, part in summary["evals"].items():
            state = {True: "[green]pass[/green]", False: "[red]FAIL[/red]", None: "[yellow]not run[/yellow]"}[part["passed"]]
            console.print(f"{name}: {state} — {part['headline']}", highlight=False)
        console.print(f"report: {paths['html']}\nsummary: {paths['summary']}", highlight=False)
    if summary["passed"] is False:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
