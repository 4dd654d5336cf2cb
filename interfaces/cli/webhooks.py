"""`leadpilot webhooks add|list|remove|test`: outgoing webhook subscriptions from the command line.

Thin commands over tools/crm's subscriptions (stored in the database, beside config/crm.yaml's
`webhooks:`); heavy modules are imported inside each command.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

webhooks_app = typer.Typer(
    help="Outgoing webhooks: subscribe a URL to lead events (signed with HMAC, retried through the outbox).",
    no_args_is_help=True,
)

_JSON = Annotated[bool, typer.Option("--json", help="One JSON object on standard output.")]


def _out(data: Any, lines: list[str], as_json: bool) -> None:
    from leadpilot.interfaces.cli.shared import _console

    if as_json:
        print(json.dumps(data, default=str))
    else:
        for line in lines:
            _console().print(line, highlight=False, markup=False)


def _run(as_json: bool, work):
    """`work(db, policy)` on the store, a SubscriptionError (or a broken config/crm.yaml) as a clear message."""
    from leadpilot.interfaces.cli.shared import fail, open_store
    from leadpilot.settings import get_settings
    from leadpilot.tools.crm import CrmPolicyError, SubscriptionError, crm_policy

    try:
        policy = crm_policy(get_settings())
    except CrmPolicyError as error:
        raise fail(str(error), as_json=as_json) from None
    db = open_store()
    try:
        return work(db, policy)
    except SubscriptionError as error:
        raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()


@webhooks_app.command()
def add(
    url: Annotated[str, typer.Argument(help="The receiver's URL, e.g. https://hooks.example.com/leadpilot.")],
    events: Annotated[str, typer.Option("--events", help="Comma-separated: lead.created, lead.scored, lead.hot, lead.routed, lead.assigned.")],
    secret: Annotated[str | None, typer.Option("--secret", help="The signing secret the receiver checks (16+ characters); left out, one is made and shown once.")] = None,
    as_json: _JSON = False,
) -> None:
    """Subscribe a URL to lead events; every worker sends them from the next decision on."""
    from leadpilot.interfaces.cli.shared import current_clock
    from leadpilot.tools.crm import add_webhook

    added = _run(as_json, lambda db, policy: add_webhook(db, url=url, events=events, secret=secret, at=current_clock().now()))
    data = {"id": added.id, "url": added.url, "events": added.events, **({"secret": added.secret} if added.generated else {})}
    lines = [f"Subscribed {added.url} (id {added.id}) to {', '.join(added.events)}."]
    if added.generated:
        lines.append(f"Signing secret (shown once; give it to the receiver): {added.secret}")
    lines.append(f"Check it: leadpilot webhooks test {added.id}")
    _out(data, lines, as_json)


@webhooks_app.command("list")
def list_(as_json: _JSON = False) -> None:
    """The subscriptions: those added here (with an id) and config/crm.yaml's."""
    from leadpilot.tools.crm import list_webhooks

    found = _run(as_json, lambda db, policy: list_webhooks(db, policy=policy))
    lines = [f"{h['id'] if h['id'] is not None else '-'}  {h['url']}  {', '.join(h['events'])}  secret {h['secret']}  ({h['source']})"
             for h in found] or ["No webhook subscriptions — add one: leadpilot webhooks add URL --events lead.created,lead.assigned"]
    _out({"webhooks": found}, lines, as_json)


@webhooks_app.command()
def remove(target: Annotated[str, typer.Argument(help="The subscription's id or URL (see `leadpilot webhooks list`).")],
           as_json: _JSON = False) -> None:
    """Remove a subscription; its deliveries still queued are cancelled."""
    from leadpilot.tools.crm import remove_webhook

    gone = _run(as_json, lambda db, policy: remove_webhook(db, target, policy=policy))
    _out({"removed": gone}, [f"Removed {gone['url']} (id {gone['id']})."], as_json)


@webhooks_app.command()
def test(
    target: Annotated[str, typer.Argument(help="A subscription's id or URL, or any URL with --secret.")],
    event: Annotated[str | None, typer.Option("--event", help="Which event to send (default: the subscription's first).")] = None,
    secret: Annotated[str | None, typer.Option("--secret", help="Sign with this secret (a URL that is not subscribed).")] = None,
    as_json: _JSON = False,
) -> None:
    """Send one signed sample event now and print the receiver's answer (exit 1 unless it is a 2xx)."""
    from leadpilot.interfaces.cli.shared import current_clock
    from leadpilot.tools.crm import send_test_event

    url, chosen, answer = _run(as_json, lambda db, policy: send_test_event(db, target, policy=policy, event=event, secret=secret,
                                                                          at=current_clock().now()))
    data = {"url": url, "event": chosen, "ok": answer.ok, "status": answer.status, "body": answer.text,
            "retry_after_s": answer.retry_after}
    shown = f"answered {answer.status}" if answer.status is not None else "did not answer"
    lines = [f"Sent a signed sample {chosen} to {url}: {shown}" + (f" — {answer.text}" if answer.text else "")]
    if answer.retry_after is not None:
        lines.append(f"It asked to wait {answer.retry_after:g}s (Retry-After): real deliveries wait that long.")
    _out(data, lines, as_json)
    if not answer.ok:
        raise typer.Exit(1)
