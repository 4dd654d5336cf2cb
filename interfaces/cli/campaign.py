"""`leadpilot campaign ...`: start, list, inspect and run discovery campaigns.

Thin commands over tools/discovery/campaigns.py; heavy modules are imported inside each command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

campaign_app = typer.Typer(
    help="Discovery campaigns: find companies (a CSV/JSON file, or an LLM), skip known customers and leads, add the rest at DISCOVERY.",
    no_args_is_help=True,
)


def _counts_line(campaign: dict[str, Any]) -> str:
    counts = campaign["counts"]
    return (f"found {counts['found']}, new {counts['new']}, already customers {counts['duplicate_customers']}, "
            f"already leads {counts['duplicate_leads']}, rejected {counts['rejected']}")


def _print_campaign(campaign: dict[str, Any], *, details: bool) -> None:
    from rich.table import Table

    from leadpilot.interfaces.cli.shared import _console

    console = _console()
    colour = {"done": "green", "failed": "red", "running": "yellow"}.get(campaign["status"], "white")
    console.print(f"Campaign #{campaign['id']} {campaign['name']!r} ({campaign['provider']}): "
                  f"[{colour}]{campaign['status']}[/{colour}] - {_counts_line(campaign)}", highlight=False)
    if campaign["error"]:
        console.print(f"[red]{campaign['error']}[/red]", highlight=False)
    if not details:
        return
    if campaign["duplicates"]:
        table = Table(title="Already known (not added)")
        for column in ("item", "company", "known as", "lead id", "customer", "matched on"):
            table.add_column(column)
        for item in campaign["duplicates"]:
            table.add_row(item["item"], str(item["company"]), str(item["known_as"]), str(item["lead_id"]),
                          "yes" if item["customer"] else "no", ", ".join(item["matched"]))
        console.print(table)
    outside = [item for item in campaign["rejections"] if item["kind"] == "criteria"]
    if outside:
        console.print(f"{len(outside)} companies were outside the criteria (`--json` shows each one's reason).")
    shown = [item for item in campaign["rejections"] if item["kind"] != "criteria"]
    if shown:
        table = Table(title="Rejected")
        for column in ("item", "company", "reason"):
            table.add_column(column)
        for item in shown:
            table.add_row(item["item"], str(item["company"] or ""), item["reason"])
        console.print(table)
    if campaign["lead_ids"]:
        console.print(f"New leads (stage DISCOVERY): ids {', '.join(map(str, campaign['lead_ids']))}", highlight=False)


def _show(campaign: dict[str, Any], *, as_json: bool, details: bool) -> None:
    if as_json:
        print(json.dumps(campaign, default=str))
    else:
        _print_campaign(campaign, details=details)


def _run(db, *, campaign_id: int | None) -> int | None:
    from leadpilot.interfaces.cli.shared import current_clock
    from leadpilot.settings import get_settings
    from leadpilot.tools.discovery import run_next_campaign

    clock = current_clock()
    return run_next_campaign(db, now=clock.now(), settings=get_settings(), campaign_id=campaign_id, clock=clock.now)


def _fetch(db, campaign_id: int) -> dict[str, Any]:
    from leadpilot.tools.discovery import get_campaign

    with db.session() as session:
        return get_campaign(session, campaign_id=campaign_id)


@campaign_app.command("start")
def start(
    name: Annotated[str, typer.Argument(help="A name for the campaign, e.g. 'Fintech EMEA Q1'.")],
    file: Annotated[Path | None, typer.Option("--file", "-f", help="CSV or JSON file of companies (provider file).")] = None,
    industry: Annotated[list[str] | None, typer.Option("--industry", help="Keep these industries (repeatable).")] = None,
    country: Annotated[list[str] | None, typer.Option("--country", help="Keep these countries, states (US-CA) or regions (EMEA) (repeatable).")] = None,
    min_size: Annotated[int | None, typer.Option("--min-size", help="At least this many employees.")] = None,
    max_size: Annotated[int | None, typer.Option("--max-size", help="At most this many employees.")] = None,
    keyword: Annotated[list[str] | None, typer.Option("--keyword", help="Keep companies whose name or description mentions one of these (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Add at most this many new leads (default 100).")] = None,
    provider: Annotated[Literal["file", "llm"], typer.Option("--provider", help="file (offline) or llm (OpenAI-compatible model, web search when it has it).")] = "file",
    run: Annotated[bool, typer.Option("--run/--no-run", help="Run it now, or leave it queued for `leadpilot campaign run` / a worker.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the campaign as one JSON object.")] = False,
) -> None:
    """Queue a discovery campaign and (by default) run it now."""
    from leadpilot.interfaces.cli.shared import _err_console, cli_actor, current_clock, fail, open_store
    from leadpilot.tools.discovery import CampaignError, create_campaign

    criteria = {"industries": industry or [], "countries": country or [], "min_size": min_size, "max_size": max_size,
                "keywords": keyword or [], "limit": limit}
    db = open_store()
    try:
        try:
            with db.transaction() as session:
                campaign_id = create_campaign(session, name=name, provider=provider, criteria=criteria, source_path=file,
                                              now=current_clock().now(), actor=cli_actor()).id
        except CampaignError as error:
            if as_json:
                raise fail("The campaign was not created: " + "; ".join(error.problems), as_json=True, code=2) from None
            _err_console().print("[red]The campaign was not created:[/red]")
            for problem in error.problems:
                _err_console().print(f"  - {problem}", highlight=False, markup=False)
            raise typer.Exit(2) from None
        if run:
            _run(db, campaign_id=campaign_id)
        campaign = _fetch(db, campaign_id)
    finally:
        db.dispose()
    _show(campaign, as_json=as_json, details=run)
    if not run and not as_json:
        _err_console().print("Queued; `leadpilot campaign run` (or a worker) runs it.")
    if campaign["status"] == "failed":
        raise typer.Exit(1)


@campaign_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """The newest campaigns with their status and counts."""
    from rich.table import Table

    from leadpilot.interfaces.cli.shared import _console, open_store
    from leadpilot.tools.discovery import list_campaigns

    db = open_store()
    try:
        with db.session() as session:
            campaigns = list_campaigns(session)
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(campaigns, default=str))
        return
    if not campaigns:
        _console().print("No campaigns yet: `leadpilot campaign start NAME --file companies.csv` starts one.")
        return
    table = Table(title="Discovery campaigns")
    for column in ("id", "name", "provider", "status", "found", "new", "customers", "leads", "rejected", "created"):
        table.add_column(column)
    for c in campaigns:
        n = c["counts"]
        table.add_row(str(c["id"]), c["name"], c["provider"], c["status"], str(n["found"]), str(n["new"]),
                      str(n["duplicate_customers"]), str(n["duplicate_leads"]), str(n["rejected"]), c["created_at"][:16])
    _console().print(table)


@campaign_app.command("status")
def status(
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id (see `leadpilot campaign list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """One campaign: status, counts, what was already known and what was rejected, with reasons."""
    from leadpilot.interfaces.cli.shared import fail, open_store

    db = open_store()
    try:
        campaign = _fetch(db, campaign_id)
    except LookupError as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    _show(campaign, as_json=as_json, details=True)


@campaign_app.command("run")
def run_queued(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the campaigns run.")] = False,
) -> None:
    """Run every queued campaign (and re-queued stale ones), oldest first, then exit."""
    from leadpilot.interfaces.cli.shared import _console, open_store

    db = open_store()
    results = []
    try:
        while (campaign_id := _run(db, campaign_id=None)) is not None:
            results.append(_fetch(db, campaign_id))
            if not as_json:
                _print_campaign(results[-1], details=False)
    finally:
        db.dispose()
    if as_json:
        print(json.dumps(results, default=str))
    elif not results:
        _console().print("No queued campaigns.")
    if any(c["status"] == "failed" for c in results):
        raise typer.Exit(1)
