"""`leadpilot accounts`: declared account ownership for routing — import a CSV, list what is declared.

The policy's own `accounts:` section (config/routing.yaml) wins over imported rows for the same
domain or company; both win over ownership inferred from owned leads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from leadpilot.interfaces.cli.shared import _console, app, current_clock, fail, open_store

accounts_app = typer.Typer(help="Declared account owners for routing: import a CSV, list them.", no_args_is_help=True)


@accounts_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="CSV with domain and/or company, owner (rep email), optional team.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load account owners from a CSV; bad rows are reported by line, good rows load."""
    from leadpilot.tools.routing import AccountsImportError, import_accounts

    db = open_store()
    try:
        with db.transaction() as session:
            report = import_accounts(session, path=path, now=current_clock().now())
    except AccountsImportError as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(report.to_dict()))
    else:
        _console().print(f"Accounts: {report.added} added, {report.updated} updated, {len(report.problems)} rejected.", markup=False)
        for problem in report.problems:
            _console().print(f"  {problem}", markup=False, highlight=False)
    if report.problems and not (report.added or report.updated):
        raise typer.Exit(1)


@accounts_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The imported account owners."""
    from leadpilot.tools.routing import list_accounts

    db = open_store()
    try:
        with db.session() as session:
            rows = list_accounts(session)
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(rows))
        return
    for row in rows:
        _console().print(f"{row['domain'] or '-'}\t{row['company'] or '-'}\t{row['owner']}\t{row['team'] or '-'}", markup=False, highlight=False)
    _console().print(f"{len(rows)} imported account(s).", markup=False)


app.add_typer(accounts_app, name="accounts")  # `leadpilot accounts ...` (registered when the CLI imports this module)


sla_app = typer.Typer(help="First-touch SLAs: run the watch once, report how reps keep them.", no_args_is_help=True)


@sla_app.command("run")
def sla_run(as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """One pass of the SLA watch (the pipeline workers run it every few seconds): nudge, reassign."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.routing import RoutingPolicyError, load_policy, watch_sla

    try:
        policy = load_policy(get_settings().routing_policy)
    except RoutingPolicyError as error:
        raise fail(str(error), as_json=as_json, code=2) from None
    db = open_store()
    try:
        run = watch_sla(db, policy=policy, now=current_clock().now())
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(run.to_dict()))
        return
    _console().print(f"SLA watch: {run.started} started, {run.touched} touched, {len(run.nudged)} nudged, "
                     f"{len(run.reassigned)} reassigned.", markup=False)
    for item in run.reassigned:
        _console().print(f"  lead {item['lead_id']}: {item['reason']}", markup=False, highlight=False)


@sla_app.command("report")
def sla_report(
    days: Annotated[int, typer.Option(help="Look back this many days.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Each rep's first-touch SLA record, and median time to first touch before/after SLAs started."""
    from leadpilot.tools.routing import first_touch_change, sla_performance

    db = open_store()
    try:
        with db.session() as session:
            now = current_clock().now()
            report = {"performance": sla_performance(session, now=now, days=days), "first_touch": first_touch_change(session, now=now)}
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(report, default=str))
        return
    _console().print(report["performance"]["answer"], markup=False, highlight=False)
    _console().print(report["first_touch"]["answer"], markup=False, highlight=False)


app.add_typer(sla_app, name="sla")  # `leadpilot sla ...`
