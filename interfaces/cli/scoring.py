"""`leadpilot` command line: thin commands that parse, open the store, call a tool and render.

Heavy modules are imported inside each command so `leadpilot --help` and `ask` start fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from leadpilot.memory.db import Database

app = typer.Typer(
    name="leadpilot",
    help="Leadpilot: a chat-driven AI sales agent over your own lead database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console():
    from rich.console import Console

    return Console()


def _err_console():
    from rich.console import Console

    return Console(stderr=True)


def open_store() -> Database:
    """The configured database, migrated to the newest schema."""
    from leadpilot.memory.db import open_database
    from leadpilot.settings import get_settings

    return open_database(get_settings().resolved_database_url)


def current_clock():
    from leadpilot.clock import clock_from_settings
    from leadpilot.settings import get_settings

    return clock_from_settings(get_settings())


def _print_seed_summary(summary) -> None:
    from rich.table import Table

    table = Table(title="Demo data loaded", show_header=False)
    for key, value in summary.as_dict().items():
        table.add_row(key, str(value))
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
        summary = seed_demo(db, now=current_clock().now(), seed=random_seed, n_leads=leads, reset=reset)
        _print_seed_summary(summary)
        _apply_rule_scores(db)
    except StoreNotEmptyError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def _scoring_policy():
    """The scoring policy file in force; a broken file stops the command with file, key and fix."""
    from leadpilot.tools.scoring import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _apply_rule_scores(db) -> None:
    """Score every lead with the rule policy (config/scoring.yaml or LEADPILOT_SCORING_POLICY); leads
    in the semantic index also get the semantic category."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.scoring import rescore_leads
    from leadpilot.tools.scoring import open_scoring_index

    policy = _scoring_policy()
    index, problem = open_scoring_index(db, category=policy.categories.semantic_in_force, settings=get_settings())
    report = rescore_leads(db, policy=policy, now=current_clock().now(), semantic=index)
    moves = ", ".join(f"{move} {count:,}" for move, count in sorted(report.tier_moves.items())) or "no changes"
    semantic = f" Semantic category on {report.semantic_scored:,} indexed leads." if report.semantic_scored else ""
    _console().print(
        f"Scored {report.scored:,} leads with policy {report.policy_version} in {report.duration_s:.1f} s: {moves}.{semantic}"
    )
    if problem or report.semantic_problem:
        _err_console().print(problem or report.semantic_problem, style="yellow", markup=False, highlight=False)


def _train_quietly(db) -> None:
    """Train the conversion model on the demo history so predictions exist from the first chat."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.prediction import NotEnoughHistoryError, load_latest_model, train_conversion_model
    from leadpilot.tools.prediction import store_probabilities

    now = current_clock().now()
    try:
        version = train_conversion_model(db, now=now, data_dir=get_settings().data_dir)
    except NotEnoughHistoryError:
        return
    with db.transaction() as session:
        store_probabilities(session, model=load_latest_model(db, get_settings().data_dir), now=now)
    _console().print(f"Trained conversion model {version.version} (held-out AUC {version.metrics['auc']:.3f}).")


@app.command()
def rescore() -> None:
    """Re-score every lead with the scoring policy file; changes go to the audit with the reason."""
    db = open_store()
    try:
        _apply_rule_scores(db)
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
    with Progress(
        TextColumn("[bold]embedding leads[/bold]"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=_err_console(), disable=quiet, transient=True,
    ) as progress:
        task = progress.add_task("leads", total=None)
        return reindex_leads(db, index, rebuild=rebuild,
                             on_progress=lambda done, total: progress.update(task, completed=done, total=total))


def _index_for_demo(db) -> None:
    """Embed the demo leads, so search by meaning and the semantic score work from the first chat;
    if the index cannot be built, say so and go on without it."""
    from leadpilot.memory.embeddings import EmbedderError
    from leadpilot.memory.vectors import VectorStoreError

    try:
        report = _build_semantic_index(db)
    except (VectorStoreError, EmbedderError) as error:
        _err_console().print(f"Semantic index not built ({error}); run `leadpilot reindex` later.", style="yellow", markup=False)
        return
    _console().print(f"Semantic index: {report.summary()}", markup=False, highlight=False)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Interface for the web chat (default LEADPILOT_UI_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port for the web chat (default LEADPILOT_UI_PORT, 8000).")] = None,
) -> None:
    """Load demo data if the store is empty, then start the web chat on embedded defaults."""
    from leadpilot.memory.leads import count_leads
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import get_settings

    settings = get_settings()
    db = open_store()
    try:
        with db.session() as session:
            existing = count_leads(session)
        if existing:
            _console().print(f"Store already holds {existing} leads ({settings.resolved_database_url}); not reseeding.")
        else:
            _print_seed_summary(seed_demo(db, now=current_clock().now()))
            _index_for_demo(db)
            _apply_rule_scores(db)
            _train_quietly(db)
    finally:
        db.dispose()
    ui(host=host, port=port)


@app.command()
def ui(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default LEADPILOT_UI_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default LEADPILOT_UI_PORT, 8000).")] = None,
) -> None:
    """Start the web chat (Chainlit) in the foreground; Ctrl-C stops it."""
    from leadpilot.interfaces.web.launch import run_web_chat
    from leadpilot.settings import get_settings

    open_store().dispose()  # create / migrate the store before the first chat
    run_web_chat(get_settings(), host=host, port=port)


@app.command()
def slack(
    host: Annotated[str | None, typer.Option(help="HTTP mode: interface (default LEADPILOT_SLACK_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP mode: port (default LEADPILOT_SLACK_PORT, 3000).")] = None,
) -> None:
    """Start the Slack bot: HTTP mode (signing secret) or Socket Mode (LEADPILOT_SLACK_APP_TOKEN)."""
    import asyncio

    from leadpilot.interfaces.slack.app import SlackConfigError, check_settings, serve
    from leadpilot.settings import get_settings

    settings = get_settings()
    try:
        check_settings(settings)
    except SlackConfigError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    db = open_store()
    try:
        asyncio.run(serve(settings, db, host=host, port=port))
    except KeyboardInterrupt:
        pass
    finally:
        db.dispose()


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default LEADPILOT_API_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default LEADPILOT_API_PORT, 8080).")] = None,
    workers: Annotated[int | None, typer.Option(help="Pipeline workers, each its own process (default LEADPILOT_PIPELINE_WORKERS, 1).")] = None,
) -> None:
    """Start the capture API: POST /webhooks/lead (signed), GET /leads/{id}, /health, /metrics, /docs;
    pipeline workers process what it captures."""
    import uvicorn

    from leadpilot.interfaces.api.app import create_app
    from leadpilot.interfaces.api.runtime import WorkerProcesses
    from leadpilot.settings import get_settings

    settings = get_settings()
    host, port = host or settings.api_host, port or settings.api_port
    problems = []
    if settings.webhook_secret is None:
        problems.append("LEADPILOT_WEBHOOK_SECRET is not set: every webhook must be signed. Generate one with "
                        "`python -c \"import secrets; print(secrets.token_hex(32))\"` and share it with the senders.")
    if not _loopback(host) and settings.api_token is None:
        problems.append(f"--host {host} exposes lead data: set LEADPILOT_API_TOKEN (clients send Authorization: Bearer <token>).")
    if problems:
        for problem in problems:
            _err_console().print(f"[red]{problem}[/red]")
        raise typer.Exit(2)
    db = open_store()
    count = settings.pipeline_workers if workers is None else workers
    processes = WorkerProcesses(count, embedding_threads=settings.embedding_threads or 1)
    _err_console().print(f"Capture API on http://{host}:{port} (docs /docs) with {count} pipeline worker process(es); "
                         f"database {db.dialect}.")
    try:
        uvicorn.run(create_app(settings=settings, db=db, workers=processes), host=host, port=port, log_level="warning")
    finally:
        db.dispose()


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Process what is due, then exit.")] = False,
    threads: Annotated[int, typer.Option(help="Worker threads.")] = 1,
) -> None:
    """Process captured leads from the queue (run beside `serve --workers 0`, or more of them)."""
    import signal
    import threading

    from leadpilot.interfaces.api.runtime import WorkerThreads, build_worker
    from leadpilot.settings import get_settings

    settings = get_settings()
    db = open_store()
    try:
        if once:
            done = build_worker(db, settings=settings, clock=current_clock()).drain(timeout_s=3600)
            _console().print(f"processed {done} lead(s)")
            return
        pool = WorkerThreads([build_worker(db, settings=settings, clock=current_clock()) for _ in range(threads)])
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        pool.start()
        _err_console().print(f"{threads} pipeline worker(s) running; Ctrl-C stops them after the current lead.")
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
        pool.stop()
    finally:
        db.dispose()


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
) -> None:
    """Export every lead with the canonical columns plus id, score, tier, owner and stage."""
    from leadpilot.tools.leads import export_leads

    db = open_store()
    try:
        if output is None:
            count = export_leads(db, output=sys.stdout, format=format)
        else:
            count = export_leads(db, output=output, format=format)
    finally:
        db.dispose()
    if output is not None:
        _err_console().print(f"Exported {count} leads to {output}")


def _render_answer(console, answer) -> None:
    """Answer text, then the leads as a table (first 25) or the aggregate rows."""
    from rich.table import Table

    console.print(answer.answer)
    if answer.leads:
        table = Table(show_lines=False)
        for column in ("id", "company", "contact", "industry", "city", "tier", "score", "owner", "last contact"):
            table.add_column(column, overflow="fold")
        for lead in answer.leads[:25]:
            table.add_row(
                str(lead["id"]), lead.get("company") or "", lead.get("contact_name") or "", lead.get("industry") or "",
                lead.get("city") or "", lead.get("tier") or "", "" if lead.get("score") is None else str(lead["score"]),
                lead.get("owner") or "unassigned", (lead.get("last_contacted_at") or "never")[:10],
            )
        console.print(table)
        if len(answer.leads) > 25:
            console.print(f"... and {len(answer.leads) - 25} more (use --json for all).")
    elif answer.rows:
        table = Table()
        for column in answer.rows[0]:
            table.add_column(column)
        for row in answer.rows:
            table.add_row(*(f"{v:.1%}" if isinstance(v, float) and "rate" in k else str(v) for k, v in row.items()))
        console.print(table)
    if answer.tool_calls:
        calls = "; ".join(f"{c['name']}({json.dumps(c['args'], default=str)})" for c in answer.tool_calls)
        console.print(f"[dim]tool calls: {calls}[/dim]")


def _ask_deps(db, user: str | None, conversation: str | None, channel: str):
    from leadpilot.interfaces.deps_factory import UnknownUserError, make_deps, viewer_for

    try:
        viewer = viewer_for(db, email=user)
    except UnknownUserError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    return make_deps(db, viewer=viewer, conversation_id=conversation, channel=channel)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='e.g. "show hot leads in fintech not contacted in 3 days"')],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (question, answer, tool_calls, leads, rows).")] = False,
    user: Annotated[str | None, typer.Option("--as", help="Ask as this rep (email): 'my leads' are theirs, and they see only what they may.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Conversation id, so follow-up questions see earlier ones.")] = None,
) -> None:
    """Ask the agent one question about your leads."""
    from leadpilot.agent.runner import AgentError, run_agent

    db = open_store()
    try:
        deps = _ask_deps(db, user, conversation, "cli")
        try:
            answer = run_agent(question, deps=deps)
        except AgentError as error:
            _err_console().print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps(answer.contract(), default=str, ensure_ascii=False) + "\n")
    else:
        _render_answer(_console(), answer)


@app.command()
def chat(
    user: Annotated[str | None, typer.Option("--as", help="Chat as this rep (email).")] = None,
) -> None:
    """A terminal chat with the agent; follow-up questions build on earlier ones. Ctrl-D to leave."""
    import uuid

    from leadpilot.agent.runner import AgentError, run_agent

    console = _console()
    db = open_store()
    conversation = f"cli:{uuid.uuid4().hex[:12]}"
    console.print("[bold]Leadpilot[/bold] — ask about your leads (e.g. show hot leads in fintech not contacted in 3 days). Ctrl-D to quit.")
    try:
        while True:
            try:
                question = console.input("[bold cyan]you>[/bold cyan] ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                break
            if not question:
                continue
            if question.lower() in {"quit", "exit", ":q"}:
                break
            deps = _ask_deps(db, user, conversation, "cli")
            try:
                _render_answer(console, run_agent(question, deps=deps))
            except AgentError as error:
                console.print(f"[red]{error}[/red]")
    finally:
        db.dispose()


@app.command()
def train() -> None:
    """Learn conversion probability from the store's own history; score open leads with it."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.prediction import NotEnoughHistoryError, load_latest_model, train_conversion_model
    from leadpilot.tools.prediction import store_probabilities

    settings = get_settings()
    now = current_clock().now()
    db = open_store()
    try:
        try:
            version = train_conversion_model(db, now=now, data_dir=settings.data_dir)
        except NotEnoughHistoryError as error:
            _err_console().print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        model = load_latest_model(db, settings.data_dir)
        with db.transaction() as session:
            scored = store_probabilities(session, model=model, now=now)
    finally:
        db.dispose()
    metrics = version.metrics
    rule_auc = metrics.get("rule_score_auc")
    _console().print(
        f"Trained {version.version} on {version.n_train} closed leads: held-out AUC {metrics['auc']:.3f}, "
        f"Brier {metrics['brier']:.3f}"
        + (f" (rule score AUC on the same leads: {rule_auc:.3f})" if rule_auc is not None else "")
        + f". Probabilities written for {scored} open leads."
    )


@app.command()
def predict(
    lead_id: Annotated[int, typer.Argument(help="Lead id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Conversion prediction for one lead: probability, factors, risks, next actions, time to close."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.prediction import ModelNotFoundError, load_latest_model
    from leadpilot.tools.prediction import predict_lead

    db = open_store()
    try:
        try:
            model = load_latest_model(db, get_settings().data_dir)
        except ModelNotFoundError as error:
            _err_console().print(f"[red]{error}[/red] Run `leadpilot train` first.")
            raise typer.Exit(1) from None
        with db.transaction() as session:
            try:
                prediction = predict_lead(session, lead_id=lead_id, model=model, now=current_clock().now())
            except LookupError as error:
                _err_console().print(f"[red]{error}[/red]")
                raise typer.Exit(1) from None
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps(prediction.to_dict(), default=str) + "\n")
        return
    console = _console()
    p = prediction
    console.print(
        f"Lead {p.lead_id}: [bold]{p.probability:.0%}[/bold] likely to convert ({p.tier} priority; "
        f"confidence {p.confidence_label}, {p.confidence:.2f}) — model {p.model_version}"
    )
    for title, factors in (("Raising it", p.raising), ("Lowering it", p.lowering)):
        if factors:
            console.print(f"[bold]{title}[/bold]")
            for factor in factors:
                console.print(f"  {factor.effect:+.1%}  {factor.group}: {factor.detail}")
    if p.risks:
        console.print("[bold]Risks[/bold]")
        for risk in p.risks:
            console.print(f"  - {risk.message}")
    if p.recommendations:
        console.print("[bold]Next actions[/bold]")
        for action in p.recommendations:
            console.print(f"  [{action.urgency}] {action.action} — {action.reason}")
    if p.time_to_close:
        t = p.time_to_close
        console.print(f"Time to close if it converts: ~{t.expected_days:.0f} days ({t.optimistic_days:.0f}–{t.pessimistic_days:.0f}; {t.basis})")


@app.command()
def feedback(
    lead_id: Annotated[int | None, typer.Option("--lead", help="Mark the latest prediction for this lead...")] = None,
    converted: Annotated[bool | None, typer.Option("--converted/--lost", help="...as converted or lost.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How right the conversion model has been: predictions validated against outcomes, accuracy,
    conversion by priority tier and what the model weighs. Closed leads are validated automatically."""
    from sqlalchemy import select

    from leadpilot.memory.ml_models import Prediction
    from leadpilot.tools.prediction import prediction_accuracy, validate_closed_predictions, validate_prediction

    now = current_clock().now()
    db = open_store()
    try:
        with db.transaction() as session:
            if lead_id is not None:
                if converted is None:
                    _err_console().print("[red]--lead needs --converted or --lost.[/red]")
                    raise typer.Exit(2)
                prediction_id = session.scalar(
                    select(Prediction.id).where(Prediction.lead_id == lead_id).order_by(Prediction.made_at.desc(), Prediction.id.desc())
                )
                if prediction_id is None:
                    _err_console().print(f"[red]No prediction recorded for lead {lead_id}; run `leadpilot predict {lead_id}` first.[/red]")
                    raise typer.Exit(1)
                validate_prediction(session, prediction_id=prediction_id, converted=converted, now=now)
            validated_now = validate_closed_predictions(session, now=now)
            report = prediction_accuracy(session)
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"validated_now": validated_now, **report}, default=str) + "\n")
        return
    console = _console()
    accuracy = "n/a" if report["accuracy"] is None else f"{report['accuracy']:.1%}"
    console.print(
        f"Model {report['model_version'] or '(none trained)'}: {report['validated']} of {report['predictions']} predictions "
        f"validated ({validated_now} just now); accuracy {accuracy} at p ≥ {report['decision_threshold']}"
        + (f", Brier {report['brier']:.3f}" if report["brier"] is not None else "")
    )
    for tier, entry in sorted(report["by_tier"].items()):
        console.print(f"  {tier:<7} {entry['count']:>5} predictions, {entry['conversion_rate']:.0%} converted")
    if report["feature_importance"]:
        console.print("What the model weighs most:")
        for item in report["feature_importance"][:8]:
            name = item.get("group") or item.get("name") or item.get("feature")
            console.print(f"  {name}: {item.get('importance', item.get('auc_drop', ''))}")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (the other commands do this too)."""
    from leadpilot.memory.db import schema_revision

    db = open_store()
    try:
        _console().print(f"Schema at revision {schema_revision(db.engine)} ({db.dialect})")
    finally:
        db.dispose()


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
    console = _console()
    console.print(f"database: {settings.resolved_database_url}")
    console.print(f"clock:    {current_clock().now().isoformat()}{' (pinned by LEADPILOT_NOW)' if settings.now else ''}")
    console.print(f"llm:      {settings.effective_llm_backend}")
    for name, count in counts.items():
        console.print(f"{name + ':':<10}{count}")


@app.command()
def enrich(
    target: Annotated[str, typer.Argument(help="An email, a domain/website, or a lead id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    save: Annotated[bool, typer.Option("--save", help="Store the result in the lead's enrichment (lead ids only).")] = False,
) -> None:
    """Enrich an email, a domain or a lead: every field with its source; paid providers only when configured."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.enrichment import enrich_lead, enrich_target
    from leadpilot.tools.enrichment.providers.waterfall import waterfall_from_settings

    settings = get_settings()
    waterfall = waterfall_from_settings(settings)
    db = open_store()
    try:
        now = current_clock().now()
        if save and target.strip().isdigit():
            result = enrich_lead(db, lead_id=int(target), now=now, waterfall=waterfall, credit_cap=settings.enrichment_credit_cap, save=True)
        else:
            result = enrich_target(db, target=target, now=now, waterfall=waterfall, credit_cap=settings.enrichment_credit_cap)
    except LookupError as error:
        _err_console().print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(result, default=str))
        return
    from rich.table import Table

    table = Table(title=f"Enrichment of {result['target']}")
    for column in ("field", "value", "source", "why"):
        table.add_column(column)
    for name, item in result["fields"].items():
        table.add_row(name, str(item["value"]), item["source"], item["why"])
    console = _console()
    console.print(table)
    credits = result["credits"]
    if credits["estimate"]:
        console.print(f"Credits: estimated up to {credits['worst_case']:g} (cap {credits['cap']:g}), spent {credits['spent']:g}")
        for attempt in result["attempts"]:
            console.print(f"  {attempt['kind']}: {attempt['provider']} -> {attempt['outcome']} {attempt.get('detail', '')}")
    else:
        console.print("No enrichment provider configured: offline enrichment only (set LEADPILOT_*_API_KEY to add providers).")


def _add_campaign_commands() -> None:
    from leadpilot.interfaces.campaign_cli import campaign_app  # its commands import what they need lazily

    app.add_typer(campaign_app, name="campaign")


_add_campaign_commands()


def main() -> None:
    """Console entry point: turns configuration errors into a clear message and exit code 2."""
    from leadpilot.settings import SettingsError

    try:
        app()
    except SettingsError as error:
        _err_console().print(f"[red]{error}[/red]")
        sys.exit(2)


if __name__ == "__main__":
    main()
