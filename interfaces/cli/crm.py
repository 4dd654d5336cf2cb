"""`leadpilot crm ...`: connect to HubSpot/Salesforce, see the sync and the outbox, pull changes,
send what is pending, and record unsubscribes and bounces.

Thin commands over tools/crm and tools/pipeline/crm_sync.py; heavy modules are imported inside each command.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

crm_app = typer.Typer(
    help="Beside your CRM: sync leads with HubSpot or Salesforce, send the outbox (CRM changes, emails, webhooks).",
    no_args_is_help=True,
)

_CRM = Annotated[str | None, typer.Option("--crm", help="hubspot or salesforce (default: every configured CRM).")]
_JSON = Annotated[bool, typer.Option("--json", help="One JSON object on standard output.")]


def _out(data: dict[str, Any], lines: list[str], as_json: bool) -> None:
    from leadpilot.interfaces.cli.shared import _console

    if as_json:
        print(json.dumps(data, default=str))
    else:
        for line in lines:
            _console().print(line, highlight=False, markup=False)


def _connectors(crm: str | None, as_json: bool) -> dict[str, Any]:
    from leadpilot.interfaces.cli.shared import fail
    from leadpilot.settings import get_settings
    from leadpilot.tools.crm import CrmError, CrmPolicyError, connectors_from_settings, require_connector

    settings = get_settings()
    try:
        found = {crm: require_connector(settings, crm)} if crm else connectors_from_settings(settings)
    except (CrmError, CrmPolicyError) as error:
        raise fail(str(error), as_json=as_json) from None
    if not found:
        raise fail("no CRM is configured — set LEADPILOT_HUBSPOT_TOKEN (HubSpot private app) or the Salesforce settings "
                   "(README 'CRM and email')", as_json=as_json)
    return found


@crm_app.command()
def connect(crm: _CRM = None, as_json: _JSON = False) -> None:
    """Check the credentials of each configured CRM (who Leadpilot is connected as)."""
    from leadpilot.interfaces.cli.shared import fail
    from leadpilot.tools.crm import CrmError

    results, failed = {}, []
    for name, connector in _connectors(crm, as_json).items():
        try:
            results[name] = {"ok": True, "detail": connector.check()}
        except CrmError as error:
            results[name] = {"ok": False, "detail": str(error)}
            failed.append(name)
    if failed and not as_json:
        for name in failed:
            fail(f"{name}: {results[name]['detail']}")
    _out({"crms": results}, [f"{name}: {r['detail']}" for name, r in results.items() if r["ok"]], as_json)
    if failed:
        raise typer.Exit(1)


@crm_app.command()
def status(as_json: _JSON = False) -> None:
    """The configured CRMs, their sync cursors, and the outbox: pending, sent, dead by channel."""
    from sqlalchemy import select

    from leadpilot.interfaces.cli.shared import open_store
    from leadpilot.memory.outbox import CrmCursor, OutboxItem, outbox_depth
    from leadpilot.settings import get_settings
    from leadpilot.tools.crm import crm_channels

    settings = get_settings()
    db = open_store()
    try:
        with db.session() as session:
            cursors = {row.crm: {"cursor": row.cursor, "synced_at": row.synced_at, "backfilled_at": row.backfilled_at,
                                 "last_run": row.stats} for row in session.scalars(select(CrmCursor))}
            depth = outbox_depth(session)
            dead = [{"key": i.key, "channel": i.channel, "kind": i.kind, "lead_id": i.lead_id, "error": i.last_error}
                    for i in session.scalars(select(OutboxItem).where(OutboxItem.status == "dead").order_by(OutboxItem.id).limit(5))]
    finally:
        db.dispose()
    outbox = {f"{channel}:{state}": count for (channel, state), (count, _) in sorted(depth.items())}
    data = {"crms": crm_channels(settings), "smtp": settings.smtp_host, "cursors": cursors, "outbox": outbox, "dead_examples": dead}
    lines = [f"CRMs configured: {', '.join(data['crms']) or 'none (set LEADPILOT_HUBSPOT_TOKEN or the Salesforce settings)'}",
             f"Email (SMTP): {settings.smtp_host or 'off (set LEADPILOT_SMTP_HOST)'}"]
    lines += [f"{name}: cursor {c['cursor']}, last sync {c['synced_at']}" for name, c in cursors.items()]
    lines.append("Outbox: " + (", ".join(f"{k} {v}" for k, v in outbox.items()) or "empty"))
    lines += [f"dead: {d['channel']} {d['kind']} lead {d['lead_id']}: {d['error']}" for d in dead]
    _out(data, lines, as_json)


@crm_app.command()
def sync(
    crm: _CRM = None,
    backfill: Annotated[bool, typer.Option("--backfill", help="Pull every record again, not only what changed since the last sync.")] = False,
    process: Annotated[bool, typer.Option("--process/--no-process", help="Also run the pipeline on the pulled leads and push the results now (default), instead of leaving it to the workers.")] = True,
    as_json: _JSON = False,
) -> None:
    """Pull what changed in the CRM into Leadpilot (new leads go through the pipeline), then push back."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from leadpilot.interfaces.cli.shared import current_clock, fail, open_store
    from leadpilot.settings import get_settings
    from leadpilot.tools.crm import CrmError, crm_policy, outbox_sender_from_settings
    from leadpilot.tools.pipeline import sync_crm

    settings = get_settings()
    connectors = _connectors(crm, as_json)
    db = open_store()
    reports = {}
    try:
        for name, connector in connectors.items():
            with Progress(TextColumn(f"{name}: pulling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          transient=True, disable=as_json) as bar:
                task = bar.add_task(name, total=None)
                try:
                    report = sync_crm(db, connector, policy=crm_policy(settings), now=current_clock().now(), backfill=backfill,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
                except CrmError as error:
                    raise fail(f"{name}: {error}", as_json=as_json) from None
            reports[name] = report.as_dict()
        if process:
            from leadpilot.interfaces.api.runtime import build_worker

            processed = build_worker(db, settings=settings, clock=current_clock()).drain(timeout_s=3600)
            pushed = outbox_sender_from_settings(db, settings).drain()
            reports["processed"] = processed
            reports["pushed"] = {"sent": pushed.sent, "retried": pushed.retried, "dead": pushed.dead, "waiting": pushed.waiting}
    finally:
        db.dispose()
    lines = [f"{name}: pulled {r['pulled']} ({'backfill' if r['backfill'] else 'changes since ' + str(r['cursor'])}), "
             f"{r['captured']} new lead(s), {r['updated']} updated, {r['owner_changes']} owner change(s) from the CRM, "
             f"{r['rejected']} rejected"
             + (f"; {r['opted_out']} newly opted out of email in the CRM (on the suppression list)" if r.get("opted_out") else "")
             + (f"; {r['activities']} call(s), email(s) and meeting(s) from the CRM's activity log" if r.get("activities") else "")
             + (f"; re-scored {r['rescored']} changed lead(s) ("
                + (", ".join(f"{move} {n}" for move, n in sorted(r["tier_moves"].items())) or "no tier changed") + ")"
                if r.get("rescored") else "")
             for name, r in reports.items() if isinstance(r, dict) and "pulled" in r]
    lines += [f"{name}: {note}" for name, r in reports.items() if isinstance(r, dict) for note in r.get("notes") or ()]
    if process:
        p = reports["pushed"]
        lines.append(f"processed {reports['processed']} lead(s); pushed {p['sent']} change(s), {p['retried']} to retry, {p['dead']} dead")
    _out(reports, lines, as_json)


@crm_app.command("push-pending")
def push_pending(
    retry_dead: Annotated[bool, typer.Option("--retry-dead", help="Queue dead-lettered changes again first.")] = False,
    as_json: _JSON = False,
) -> None:
    """Send every change that is due now (CRM updates, emails, webhooks)."""
    from leadpilot.interfaces.cli.shared import open_store
    from leadpilot.memory.outbox import requeue_dead
    from leadpilot.memory.pipeline import wall_clock
    from leadpilot.settings import get_settings
    from leadpilot.tools.crm import outbox_sender_from_settings

    settings = get_settings()
    db = open_store()
    try:
        requeued = 0
        if retry_dead:
            with db.transaction() as session:
                requeued = requeue_dead(session, at=wall_clock())
        report = outbox_sender_from_settings(db, settings).drain()
    finally:
        db.dispose()
    data = {"requeued": requeued, "sent": report.sent, "retried": report.retried, "dead": report.dead, "waiting": report.waiting,
            "errors": report.errors[:10]}
    _out(data, [f"sent {report.sent}, to retry {report.retried}, rate-limited {report.waiting}, dead {report.dead}"
                + (f" (requeued {requeued} dead first)" if retry_dead else "")] + report.errors[:10], as_json)


@crm_app.command()
def unsubscribe(token: Annotated[str, typer.Argument(help="The token of the email's unsubscribe link.")], as_json: _JSON = False) -> None:
    """Honour an unsubscribe link: no more emails to that address, its nurture sequence stopped."""
    from leadpilot.interfaces.cli.shared import current_clock, fail, open_store
    from leadpilot.settings import get_settings
    from leadpilot.tools.crm import CrmError, unsubscribe as unsubscribe_lead

    db = open_store()
    try:
        message = unsubscribe_lead(db, get_settings(), token=token, now=current_clock().now())
    except (ValueError, CrmError) as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    _out({"ok": True, "message": message}, [message], as_json)


@crm_app.command()
def bounce(
    email: Annotated[str, typer.Argument(help="The address that bounced.")],
    detail: Annotated[str | None, typer.Option(help="The bounce message, e.g. '550 5.1.1 user unknown'.")] = None,
    as_json: _JSON = False,
) -> None:
    """Record a bounced address: no more emails to it, its nurture sequences stopped."""
    from leadpilot.interfaces.cli.shared import fail, open_store
    from leadpilot.tools.crm import record_bounce

    db = open_store()
    try:
        message = record_bounce(db, email=email, detail=detail)
    except ValueError as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    _out({"ok": True, "message": message}, [message], as_json)
