"""`leadpilot` command line: thin commands that parse, open the store, call a tool and render.

Heavy modules are imported inside each command so `leadpilot --help` and `ask` start fast.

One module per command group, each registering its commands on the shared Typer app (shared.py):
data.py (seed, import, export, migrate, status, reindex), agent.py (ask, chat), servers.py (demo,
ui, slack, serve, worker), scoring.py (rescore, train, predict, feedback, enrich), campaign.py (the `campaign` group).
"""

from __future__ import annotations

import sys

# `leadpilot ask "..."` answers one question and exits: it loads only the agent's commands (#21: the
# other command modules, compiled and run for nothing, were a twentieth of its cold start).
_ONE_QUESTION = sys.argv[1:2] == ["ask"]
# A plain `leadpilot ask "..." [--json] [--as E] [--conversation C]` is answered without Typer at all
# (one_question.py; Typer and Click were ~5% of its cold start); --help and usage errors go to Typer.
_PLAIN_ASK = None
if _ONE_QUESTION:
    import gc
    import os

    # One question, then exit: its imports alone would set off dozens of garbage collections; collect
    # rarely instead, from before the first heavy import (settings, pydantic, SQLAlchemy).
    gc.set_threshold(200_000, 50, 1000)
    # Pydantic looks for plugins when it builds its first model, reading the entry points of every
    # installed distribution (~4% of a one-question start with this project's ~280). Leadpilot uses
    # none; a PYDANTIC_DISABLE_PLUGINS the user sets (empty = load them all) is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from leadpilot.interfaces.cli.one_question import plain_ask_args

    _PLAIN_ASK = plain_ask_args(sys.argv[2:])

if _PLAIN_ASK is not None:
    pass
elif _ONE_QUESTION:
    from leadpilot.interfaces.cli import agent  # noqa: F401  (importing registers its commands)
else:
    from leadpilot.interfaces.cli import accounts, agent, data, scoring, servers, users  # noqa: F401  (importing registers their commands)
    from leadpilot.interfaces.cli import reps  # noqa: F401  (#20: `leadpilot reps import|list`, the roster)
from leadpilot.interfaces.cli.plain import report_error

# `leadpilot --help` lists the commands in this order.
COMMAND_ORDER = (
    "seed", "rescore", "calibrate", "score-drift", "reindex", "demo", "ui", "slack", "serve", "worker", "import", "export",
    "ask", "chat", "train", "predict", "feedback", "migrate", "status", "enrich",
)
if _PLAIN_ASK is None:
    from leadpilot.interfaces.cli.shared import app, fail  # noqa: F401  (fail: for the command modules' callers)

    app.registered_commands.sort(key=lambda command: COMMAND_ORDER.index(command.name or command.callback.__name__))


def _add_campaign_commands() -> None:
    from leadpilot.interfaces.cli.campaign import campaign_app  # its commands import what they need lazily

    app.add_typer(campaign_app, name="campaign")
    app.add_typer(__import__("leadpilot.interfaces.cli.crm", fromlist=["crm_app"]).crm_app, name="crm")  # #19: CRM sync, outbox, email
    app.add_typer(__import__("leadpilot.interfaces.cli.webhooks", fromlist=["webhooks_app"]).webhooks_app, name="webhooks")  # #19


if not _ONE_QUESTION:
    _add_campaign_commands()


def main() -> None:
    """Console entry point: turns configuration errors into a clear message and exit code 2. Under
    --json every error is one {"error": ...} object on standard output, usage errors too."""
    from leadpilot.settings import SettingsError

    as_json = "--json" in sys.argv[1:]
    if sys.argv[1:2] == ["ask"] and _PLAIN_ASK is None:  # (the garbage collector is tuned for one question above)
        _only_the_agent_commands()
    try:
        if _PLAIN_ASK is not None:
            from leadpilot.interfaces.cli.one_question import answer_one

            sys.exit(answer_one(**_PLAIN_ASK))
        if not as_json:
            app()
            return
        code = app(standalone_mode=False)  # usage errors come back here instead of being printed
        sys.exit(code if isinstance(code, int) else 0)
    except SettingsError as error:
        report_error(str(error), as_json=as_json)
        raise SystemExit(2) from None
    except Exception as error:
        if as_json and hasattr(error, "format_message") and isinstance(getattr(error, "exit_code", None), int):  # Click's errors
            report_error(error.format_message(), as_json=True)
            raise SystemExit(error.exit_code) from None
        raise
    finally:
        _quick_exit()


def _only_the_agent_commands() -> None:
    """`leadpilot ask ...` runs one command: Typer builds a Click command from the signature of every
    command it knows before it runs any (tens of milliseconds of a one-question start), so it is
    shown only the agent's own (ask, and chat so that it stays a group: `leadpilot ask --help` and
    its usage errors read the same)."""
    app.registered_commands = [c for c in app.registered_commands if (c.name or c.callback.__name__) in ("ask", "chat")]
    app.registered_groups = []


def _quick_exit() -> None:
    """The command is done: spare the interpreter's last garbage collection over every object the
    command's libraries made (a tenth of a second of `leadpilot ask`); reference counting still
    closes what is left, as at any exit."""
    import gc

    gc.freeze()
