"""`leadpilot reps`: the rep roster RevOps keeps in a spreadsheet — import it (with a dry run), list it.

Routing reads the roster at each decision: a pool's `where:` (language, territory, team, skills,
seniority, tags...) sees imported values at the next lead routed. The routing policy's `reps:`
section still overrides the roster for routing (capacity, weight, hours, out of office).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from leadpilot.interfaces.cli.accounts import import_into_store, read_store, show_rows
from leadpilot.interfaces.cli.shared import _console, app, current_clock

reps_app = typer.Typer(help="The rep roster: import RevOps' spreadsheet (CSV), list the reps.", no_args_is_help=True)


def _policy_reps() -> dict:
    """The routing policy's per-rep settings, only to say where they override the roster (a broken
    policy does not stop an import)."""
    from leadpilot.settings import get_settings
    from leadpilot.tools.routing import RoutingPolicyError, load_policy

    try:
        return dict(load_policy(get_settings().routing_policy).reps)
    except RoutingPolicyError:
        return {}


@reps_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="Roster CSV: email (required), name, team, role, languages, territory, industries, "
                                              "segments, skills, seniority, tags, capacity, daily_cap, weight, working_hours, "
                                              "timezone, active. Other columns become rep attributes.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create or update reps from the roster; bad lines are reported (line, column, fix), good lines load."""
    from leadpilot.tools.routing import RosterImportError, import_roster

    policy_reps = _policy_reps()
    report = import_into_store(lambda session: import_roster(session, path=path, now=current_clock().now(), dry_run=dry_run,
                                                             policy_reps=policy_reps),
                               refused=RosterImportError, as_json=as_json, write=not dry_run)
    if as_json:
        print(json.dumps(report.to_dict()))
    else:
        say = _console().print
        say(report.summary(), markup=False)
        for email in (*report.added, *report.updated):
            say(f"  {'+' if email in report.added else '~'} {email}: " + ("; ".join(report.changes[email]) or "no field given"),
                markup=False, highlight=False)
        for problem in report.problems:
            say(f"  rejected {problem}", markup=False, highlight=False)
        for note in report.notes:
            say(f"  note: {note}", markup=False, highlight=False)
    if report.problems and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@reps_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every rep with the attributes routing can test."""
    from leadpilot.tools.routing import roster_rows

    rows = read_store(roster_rows)
    show_rows(rows, as_json=as_json, line=_rep_line, total=f"{len(rows)} rep(s).")


def _rep_line(row: dict) -> str:
    attributes = "; ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in sorted(row["attributes"].items()))
    return (f"{row['email']}\t{row['name']}\t{row['team'] or '-'}\t{row['role']}{'' if row['active'] else ' (inactive)'}\t"
            f"{','.join(row['languages']) or '-'}\t{','.join(row['territories']) or '-'}\tcap {row['capacity']}\t"
            f"{row['timezone']} {row['working_hours'] or ''}\t{attributes or '-'}")


app.add_typer(reps_app, name="reps")  # `leadpilot reps ...` (registered when the CLI imports this module)
