"""`leadpilot accounts`: declared account ownership for routing — import a CSV, list what is declared.

The policy's own `accounts:` section (config/routing.yaml) wins over imported rows for the same
domain or company; both win over ownership inferred from owned leads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from leadpilot.interfaces.cli.shared import _console, app, current_clock, fail, open_store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def read_store(read: Callable[[Session], T]) -> T:
    """`read(session)` on the configured store, which is closed after."""
    db = open_store()
    try:
        with db.session() as session:
            return read(session)
    finally:
        db.dispose()


def import_into_store(load: Callable[[Session], T], *, refused: type[Exception], as_json: bool, write: bool = True) -> T:
    """`load(session)` in one transaction (committed when `write`); a `refused` file ends the command with its message."""
    db = open_store()
    try:
        with (db.transaction() if write else db.session()) as session:
            return load(session)
    except refused as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()


def show_rows(rows: list[dict], *, as_json: bool, line: Callable[[dict], str], total: str) -> None:
    """A list command's output: the rows as JSON, or a line per row and the total."""
    if as_json:
        print(json.dumps(rows))
        return
    for row in rows:
        _console().print(line(row), markup=False, highlight=False)
    _console().print(total, markup=False)


accounts_app = typer.Typer(help="Declared account owners for routing: import a CSV, list them.", no_args_is_help=True)


@accounts_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="CSV with domain and/or company, owner (rep email), optional team.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load account owners from a CSV; bad rows are reported by line, good rows load."""
    from leadpilot.tools.routing import AccountsImportError, import_accounts

    report = import_into_store(lambda session: import_accounts(session, path=path, now=current_clock().now()),
                               refused=AccountsImportError, as_json=as_json)
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

    rows = read_store(list_accounts)
    show_rows(rows, as_json=as_json, line=lambda r: f"{r['domain'] or '-'}\t{r['company'] or '-'}\t{r['owner']}\t{r['team'] or '-'}",
              total=f"{len(rows)} imported account(s).")


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
    since: Annotated[str | None, typer.Option(help="Cut-over for before/after: a date (2026-10-01) or days ago (45d); "
                                                   "default: the first lead Leadpilot routed.")] = None,
    window_days: Annotated[int, typer.Option(help="Days before and after the cut-over (and of routed vs not) compared.")] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Each rep's first-touch SLA record, and median time to first touch before/after routing and routed vs not."""
    import re
    from datetime import datetime, timedelta, timezone

    from leadpilot.tools.routing import first_touch_by_routing, first_touch_change, sla_performance

    now, cut_over = current_clock().now(), None
    if since is not None:
        ago = re.fullmatch(r"\s*(\d{1,4})\s*d\s*", since)
        try:
            cut_over = now - timedelta(days=int(ago[1])) if ago else datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
        except ValueError:
            raise fail(f"--since {since!r} is not a date — write it like 2026-10-01, or 45d for 45 days ago", as_json=as_json, code=2) from None
        cut_over = cut_over if cut_over.tzinfo else cut_over.replace(tzinfo=timezone.utc)
    if days < 1 or window_days < 1:
        raise fail("--days and --window-days must be at least 1", as_json=as_json, code=2)
    report = read_store(lambda session: {
        "performance": sla_performance(session, now=now, days=days),
        "first_touch": first_touch_change(session, now=now, since=cut_over, window_days=window_days),
        "routed_vs_not": first_touch_by_routing(session, now=now, days=window_days)})
    if as_json:
        print(json.dumps(report, default=str))
        return
    for part in ("performance", "first_touch", "routed_vs_not"):
        _console().print(report[part]["answer"], markup=False, highlight=False)


app.add_typer(sla_app, name="sla")  # `leadpilot sla ...`


routing_app = typer.Typer(help="The routing policy: check it against the roster.", no_args_is_help=True)


@routing_app.command("check")
def routing_check(
    policy_path: Annotated[Path | None, typer.Option("--policy", help="A routing policy file; default: LEADPILOT_ROUTING_POLICY, "
                                                                      "else config/routing.yaml.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check the policy against the roster: reps it names who are not in the roster, `where:` keys and values
    no rep has, rules no lead can reach. Exit 1 on an error, 2 when the policy does not load."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.routing import RoutingPolicyError, load_policy, policy_problems

    try:
        policy = load_policy(policy_path or get_settings().routing_policy)
    except RoutingPolicyError as error:
        raise fail(str(error), as_json=as_json, code=2) from None
    problems = read_store(lambda session: policy_problems(session, policy))
    errors = [p for p in problems if p.level == "error"]
    if as_json:
        print(json.dumps({"policy": str(policy.path), "version": policy.version, "errors": len(errors),
                          "problems": [p.to_dict() for p in problems]}))
    else:
        console = _console()
        console.print(f"Routing policy {policy.path} ({len(policy.rules)} rules, {len(policy.pools)} pools): "
                      + (f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)" if problems else "no problems against the roster"),
                      markup=False, highlight=False)
        for problem in problems:
            console.print(f"  {problem.level}: {problem.at}: {problem.message}", markup=False, highlight=False)
    if errors:
        raise typer.Exit(1)


app.add_typer(routing_app, name="routing")  # `leadpilot routing check`
