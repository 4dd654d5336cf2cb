"""What the `leadpilot` commands share that needs no Typer: the consoles, the store and how an
error is reported. A plain `leadpilot ask` runs on these alone (one_question.py), without importing
Typer and Click (#21); shared.py builds the Typer app on top of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadpilot.memory.db import Database


def console():
    from rich.console import Console

    return Console()


def err_console():
    from rich.console import Console

    return Console(stderr=True)


def open_store() -> Database:
    """The configured database, migrated to the newest schema."""
    from leadpilot.memory.db import open_database
    from leadpilot.settings import get_settings

    return open_database(get_settings().resolved_database_url)


def report_error(message: str, *, as_json: bool = False) -> None:
    """An error, reported the way the command reports results: {"error": ...} on standard output
    under --json, red on standard error otherwise."""
    if as_json:
        import json
        import sys

        sys.stdout.write(json.dumps({"error": message}, ensure_ascii=False) + "\n")
    else:
        err_console().print(message, style="red", markup=False, highlight=False)
