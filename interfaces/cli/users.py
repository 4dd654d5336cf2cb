"""`leadpilot user`: the people who log in to the web chat — add, passwd, list, remove.

A password is typed at a hidden prompt (twice), or read from standard input with
--password-stdin (one line, for scripts); never from the command line, where it would sit in the
shell history and the process list. Role and rep come from the store: a rep must be one of the
reps (their email, or --rep), which is whose leads they see.
"""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer

from leadpilot.interfaces.cli.shared import _console, app, current_clock, fail, open_store

user_app = typer.Typer(help="People who log in to the web chat: add, passwd, list, remove.", no_args_is_help=True)

_STDIN = typer.Option("--password-stdin", help="Read the password from standard input (one line) instead of a prompt.")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The person's email; they log in with it.")],
    role: Annotated[Literal["rep", "manager", "admin"], typer.Option(help="rep (their own leads), manager or admin (every lead).")],
    rep: Annotated[str | None, typer.Option(help="The rep (email) this login sees the leads of, when not EMAIL itself.")] = None,
    password_stdin: Annotated[bool, _STDIN] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="Single sign-on only (trusted proxy header or OAuth).")] = False,
) -> None:
    """Give a person a web login (with a password, or --no-password for single sign-on)."""
    from leadpilot.memory.users import UserError, add_user

    password = None if no_password else _password(password_stdin)
    db = open_store()
    try:
        with db.transaction() as session:
            user = add_user(session, email=email, role=role, password=password, rep_email=rep, now=current_clock().now())
            linked = f", sees the leads of rep {user.rep_id}" if user.role == "rep" else ""
            _console().print(f"Added {user.email} ({user.role}{linked}).", markup=False, highlight=False)
    except UserError as error:
        raise fail(str(error)) from None
    finally:
        db.dispose()
    _console().print("A running web chat asks everyone to log in from its next start (`leadpilot ui`).",
                     markup=False, highlight=False)


@user_app.command("passwd")
def passwd(
    email: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_stdin: Annotated[bool, _STDIN] = False,
) -> None:
    """Set a person's password (and lift a lockout of their login)."""
    from leadpilot.memory.users import UserError, set_password

    password = _password(password_stdin)
    db = open_store()
    try:
        with db.transaction() as session:
            set_password(session, email=email, password=password, now=current_clock().now())
    except UserError as error:
        raise fail(str(error)) from None
    finally:
        db.dispose()
    _console().print(f"Password set for {email.strip().lower()}.", markup=False, highlight=False)


@user_app.command("list")
def list_(
    reps: Annotated[bool, typer.Option("--reps", help="List the reps a login can be linked to instead.")] = False,
) -> None:
    """Who has a web login: email, role, rep, password or SSO only, last login."""
    from rich.table import Table

    from leadpilot.memory.reps import list_reps
    from leadpilot.memory.users import list_users

    db = open_store()
    try:
        with db.session() as session:
            table = Table(show_header=True)
            if reps:
                for column in ("email", "name", "role"):
                    table.add_column(column)
                for rep in list_reps(session):
                    table.add_row(rep.email, rep.name, rep.role)
            else:
                for column in ("email", "role", "rep", "login", "last login"):
                    table.add_column(column)
                rep_emails = {rep.id: rep.email for rep in list_reps(session)}
                for user in list_users(session):
                    table.add_row(user.email, user.role, rep_emails.get(user.rep_id, "") if user.rep_id else "",
                                  "password" if user.password_hash else "SSO only",
                                  f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never")
    finally:
        db.dispose()
    if not reps and not table.row_count:
        _console().print("Nobody has a web login yet: the web chat is the local admin's, on 127.0.0.1 only. "
                         "Add one with `leadpilot user add EMAIL --role admin`.", markup=False, highlight=False)
        return
    _console().print(table)


@user_app.command("remove")
def remove(email: Annotated[str, typer.Argument(help="Whose login to remove.")]) -> None:
    """Remove a person's web login (their chats stop at their next message)."""
    from leadpilot.memory.users import remove_user

    db = open_store()
    try:
        with db.transaction() as session:
            removed = remove_user(session, email=email)
    finally:
        db.dispose()
    if not removed:
        raise fail(f"{email} has no web login; `leadpilot user list` shows who has one")
    _console().print(f"Removed the web login of {email.strip().lower()}.", markup=False, highlight=False)


app.add_typer(user_app, name="user")  # `leadpilot user ...` (registered when the CLI imports this module)
