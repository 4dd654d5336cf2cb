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
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Conversion model: held-out AUC, Brier score, calibration table and top features."""
    from leadpilot.evals.scoring import evaluate_csv, evaluate_store, render_scoring, with_threshold
    from leadpilot.tools.conversion_model import NotEnoughHistoryError
    from leadpilot.tools.tabular import TabularError

    if data is None and (label or drop or positive):
        raise fail("--label, --drop and --positive need --data FILE.csv", as_json=as_json)
    if data is not None and not label:
        raise fail(f"--label is required with --data: name the outcome column of {data}", as_json=as_json)
    console = Console(stderr=as_json)
    try:
        if data is not None:
            with console.status(f"training and evaluating on {data}…"):
                report = evaluate_csv(path=data, label=label or "", drop=drop or (), positive=positive, random_state=seed)
        else:
            from leadpilot.clock import clock_from_settings
            from leadpilot.memory.db import open_database
            from leadpilot.settings import get_settings

            settings = get_settings()
            db = open_database(settings.resolved_database_url)
            try:
                with console.status("training and evaluating on the store's closed leads…"):
                    report = evaluate_store(db=db, now=clock_from_settings(settings).now(), random_state=seed)
            finally:
                db.dispose()
    except NotEnoughHistoryError as error:
        raise fail(f"{error} (try `leadpilot seed` for demo history, or --data FILE.csv)", as_json=as_json) from None
    except TabularError as error:
        raise fail(str(error), as_json=as_json) from None

    report = with_threshold(report, min_auc=min_auc)
    if as_json:
        emit_json(report)
    else:
        render_scoring(report, console)
    if not report["passed"]:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
