"""`leadpilot` commands that start something and keep running: the demo, the web chat, the Slack bot,
the capture API and the pipeline workers."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpilot.interfaces.cli.data import _build_semantic_index, _print_seed_summary
from leadpilot.interfaces.cli.scoring import _apply_rule_scores, _train_quietly
from leadpilot.interfaces.cli.shared import _console, _err_console, app, current_clock, ensure_port_free, fail, open_store, say


def _index_for_demo(db) -> None:
    """Embed the demo leads, so search by meaning and the semantic score work from the first chat;
    if the index cannot be built, say so and go on without it."""
    from leadpilot.memory.embeddings import EmbedderError
    from leadpilot.memory.vectors import VectorStoreError

    say("Building the semantic index: embedding every lead's text (about a minute on a small machine; only the first start)...")
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
    """Load demo data if the store is empty, then start the web chat on embedded defaults.
    The data is seeded around the clock (LEADPILOT_NOW when set), so relative questions fit it."""
    from leadpilot.interfaces.web.launch import WebLoginError, check_login_setup
    from leadpilot.memory.leads import count_leads
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import get_settings

    settings = get_settings()
    host, port = host or settings.ui_host, port or settings.ui_port
    ensure_port_free(host, port)  # before a minute of loading, not after
    db = open_store()
    try:
        try:
            check_login_setup(settings, db, host)  # before a minute of loading, not after
        except WebLoginError as error:
            raise fail(str(error), code=2) from None
        with db.session() as session:
            existing = count_leads(session)
        if existing:
            _console().print(f"Store already holds {existing:,} leads ({settings.resolved_database_url}); not reseeding.",
                             markup=False, highlight=False, soft_wrap=True)
        else:
            now = current_clock().now()
            pinned = " (LEADPILOT_NOW)" if settings.now else ""
            say(f"Loading the demo data around {now:%Y-%m-%d %H:%M} UTC{pinned}: 2,400 leads, 16 reps, 180 days of history...")
            _print_seed_summary(seed_demo(db, now=now))
            _index_for_demo(db)
            _apply_rule_scores(db)
            _train_quietly(db, announce=True)
    finally:
        db.dispose()
    ui(host=host, port=port)


@app.command()
def ui(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default LEADPILOT_UI_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default LEADPILOT_UI_PORT, 8000).")] = None,
) -> None:
    """Start the web chat (Chainlit) in the foreground; Ctrl-C stops it."""
    from leadpilot.interfaces.web.launch import WebLoginError, check_login_setup, run_web_chat
    from leadpilot.settings import get_settings

    settings = get_settings()
    host, port = host or settings.ui_host, port or settings.ui_port
    ensure_port_free(host, port)
    db = open_store()  # create / migrate the store before the first chat
    try:
        mode = check_login_setup(settings, db, host)
    except WebLoginError as error:
        raise fail(str(error), code=2) from None
    finally:
        db.dispose()
    say("Starting the web chat...")
    if not run_web_chat(settings, mode=mode, host=host, port=port):
        _err_console().print(f"The web chat did not start on {host}:{port}.", style="red", markup=False)
        raise typer.Exit(1)


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
    if settings.slack_app_token is None:  # HTTP mode listens; Socket Mode dials out
        ensure_port_free(host or settings.slack_host, port or settings.slack_port)
    db = open_store()
    try:
        asyncio.run(serve(settings, db, host=host, port=port))
    except KeyboardInterrupt:
        pass
    finally:
        db.dispose()


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
    if problems:
        for problem in problems:
            _err_console().print(f"[red]{problem}[/red]")
        raise typer.Exit(2)
    ensure_port_free(host, port)
    db = open_store()
    count = settings.pipeline_workers if workers is None else workers
    processes = WorkerProcesses(count, embedding_threads=settings.embedding_threads or 1)
    api = create_app(settings=settings, db=db, workers=processes)  # generates the API token on the first start
    _err_console().print(f"Capture API on http://{host}:{port} (docs /docs) with {count} pipeline worker process(es); "
                         f"database {db.dialect}.", markup=False)
    _err_console().print(api.state.token_note, markup=False)
    server = uvicorn.Server(uvicorn.Config(api, host=host, port=port, log_level="warning"))
    try:
        server.run()
    finally:
        db.dispose()
    if not server.started:  # e.g. the port was taken between the check and the bind
        _err_console().print(f"The capture API did not start on {host}:{port}.", style="red", markup=False)
        raise typer.Exit(1)


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
