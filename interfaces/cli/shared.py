"""What every `leadpilot` command shares: the Typer app they register on, the consoles, the store
and the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
