"""`leadpilot` data commands: seed the demo data, import and export leads, bring the semantic index
up to date, migrate the schema and show what the store holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from leadpilot.interfaces.cli.scoring import _apply_rule_scores, _scoring_policy
from leadpilot.interfaces.cli.shared import _console, _err_console, app, current_clock, open_store, say


def _print_seed_summary(summary) -> None:
    from rich.table import Table

    table = Table(title="Demo data loaded", show_header=False)
    for key, value in summary.as_dict().items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    _console().print(table)


@app.command()
def seed(
    reset: Annotated[bool, typer.Option("--reset", help="Delete everything in the store first.")] = False,
    leads: Annotated[int, typer.Option(help="How many demo leads to generate.", min=100, max=200_000)] = 2400,
    random_seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed + same clock = same data).")] = 7,
) -> None:
    """Load the deterministic demo dataset: leads, reps, 180 days of activity and outcomes."""
    from leadpilot.memory.seed import StoreNotEmptyError, seed_demo

    db = open_store()
    try:
        now = current_clock().now()
        say(f"Loading the demo data around {now:%Y-%m-%d %H:%M} UTC{' (LEADPILOT_NOW)' if current_clock().is_pinned else ''}: "
            f"{leads:,} leads with 180 days of history...")
        summary = seed_demo(db, now=now, seed=random_seed, n_leads=leads, reset=reset)
        _print_seed_summary(summary)
        _apply_rule_scores(db)
    except StoreNotEmptyError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@app.command()
def reindex(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Empty the vector store and embed every lead again.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Bring the semantic index (Qdrant) up to date with the lead store; only changed leads are embedded.
    When anything changed, every lead is re-scored, so newly indexed leads get the semantic category."""
    from leadpilot.memory.vectors import VectorStoreError

    db = open_store()
    try:
        report = _build_semantic_index(db, rebuild=rebuild, quiet=quiet)
        _console().print(report.summary(), markup=False, highlight=False)
        if report.embedded or report.removed:
            _apply_rule_scores(db)
    except VectorStoreError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if report.errors:
        raise typer.Exit(1)


def _build_semantic_index(db, *, rebuild: bool = False, quiet: bool = False):
    """Embed new and changed leads into the semantic index with a progress bar; the IndexReport."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from leadpilot.settings import get_settings
    from leadpilot.tools.semantic import reindex as reindex_leads, semantic_index

    index = semantic_index(db, get_settings())
    console = _err_console()
    logged = [0]  # without a terminal (a log, a pipe) there is no bar: a line at each quarter instead

    def log_line(done: int, total: int) -> None:
        if not quiet and not console.is_terminal and total and done * 4 // total > logged[0]:
            logged[0] = done * 4 // total
            console.print(f"embedding leads: {done:,} of {total:,}", markup=False, highlight=False)

    with Progress(
        TextColumn("[bold]embedding leads[/bold]"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, disable=quiet, transient=True,
    ) as progress:
        task = progress.add_task("leads", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)
            log_line(done, total)

        return reindex_leads(db, index, rebuild=rebuild, on_progress=on_progress)


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file to import.")],
    rejects: Annotated[Path | None, typer.Option(help="Where to write rejected rows (default FILE.rejects.csv).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    no_score: Annotated[bool, typer.Option("--no-score", help="Do not score the imported leads (run `leadpilot rescore` later).")] = False,
) -> None:
    """Import leads from a CSV (canonical columns, HubSpot or Salesforce exports); new and updated leads are scored."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from leadpilot.settings import get_settings
    from leadpilot.tools.leads import ImportFileError, import_leads_csv

    console = _console()
    db = open_store()
    try:
        with Progress(
            TextColumn("[bold]importing[/bold] {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=_err_console(),
            disable=quiet,
            transient=True,
        ) as progress:
            task = progress.add_task(file.name, total=file.stat().st_size)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = import_leads_csv(
                db,
                path=file,
                now=current_clock().now(),
                rejects_path=rejects,
                chunk_size=get_settings().import_chunk_size,
                max_field_chars=get_settings().import_max_field_chars,
                on_progress=on_progress,
                policy=None if no_score else _scoring_policy(),
            )
    except ImportFileError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    console.print(report.summary(), markup=False, highlight=False)
    if report.rejected:
        raise typer.Exit(3)  # some rows need fixing; the good ones are stored


@app.command()
def export(
    format: Annotated[Literal["csv", "json"], typer.Option("--format", "-f", help="csv or json.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")] = None,
    with_scores: Annotated[bool, typer.Option("--with-scores", help="CSV: add id, score, tier and owner (JSON always has them).")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="CSV: write cells starting with = + - @ as stored (no ' in front; unsafe to open in a spreadsheet).")] = False,
) -> None:
    """Export every lead with the columns `import` reads (export -> import -> export is identical);
    --with-scores adds id, score, tier and owner. A cell a spreadsheet would run as a formula gets a
    leading ' (which import removes) unless --raw."""
    from leadpilot.tools.leads import export_leads

    db = open_store()
    computed = True if with_scores else None
    try:
        if output is None:
            count = export_leads(db, output=sys.stdout, format=format, computed=computed, raw=raw)
        else:
            count = export_leads(db, output=output, format=format, computed=computed, raw=raw)
    finally:
        db.dispose()
    if output is not None:
        _err_console().print(f"Exported {count} leads to {output}")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (the other commands do this too)."""
    from leadpilot.memory.db import schema_revision

    db = open_store()
    try:
        _console().print(f"Schema at revision {schema_revision(db.engine)} ({db.dialect})")
    finally:
        db.dispose()


def _llm_budget(settings) -> dict[str, str]:
    """The model's token budget (prompt + tools, the tool set chosen, a question's cost); the server
    is asked for its context only when the OpenAI-compatible backend is on."""
    from leadpilot.agent.llm_loop import budget_lines

    try:
        return budget_lines(settings, ask_server=settings.effective_llm_backend == "openai")
    except Exception as error:  # noqa: BLE001 - status reports, it does not fail
        return {"llm tokens": f"not counted ({error})"}


@app.command()
def status() -> None:
    """Where the data lives and what is in it."""
    from sqlalchemy import func, select

    from leadpilot.memory.models import Activity, Lead, Rep
    from leadpilot.settings import get_settings

    settings = get_settings()
    db = open_store()
    try:
        with db.session() as session:
            counts = {
                name: session.scalar(select(func.count()).select_from(model))
                for name, model in (("leads", Lead), ("reps", Rep), ("activities", Activity))
            }
    finally:
        db.dispose()
    lines = {
        "database": settings.resolved_database_url,
        "clock": current_clock().now().isoformat() + (" (pinned by LEADPILOT_NOW)" if settings.now else ""),
        "llm": settings.effective_llm_backend,
        **_llm_budget(settings),
        **{name: f"{count:,}" for name, count in counts.items()},
    }
    width = max(len(name) for name in lines) + 2  # "activities: 29,152", every value in one column
    for name, value in lines.items():
        _console().print(f"{name + ':':<{width}}{value}", markup=False, highlight=False, soft_wrap=True)
