"""What every `leadpilot` command shares: the Typer app they register on, the consoles, the store
and the clock."""

from __future__ import annotations

import typer

from leadpilot.interfaces.cli.plain import console, err_console, open_store, report_error  # noqa: F401  (open_store: the commands' store)

def show_flags_as_flags() -> None:
    """Typer's help panels print a type for every option, flags too (`--json <bool>`), as if a flag
    took a value; a flag shows no placeholder, as in Click's own help."""
    from typer.core import TyperOption

    if getattr(TyperOption.display_type_rich, "_leadpilot", False):
        return
    shown = TyperOption.display_type_rich

    def display_type_rich(self, ctx):
        return None if self.is_flag or self.count else shown(self, ctx)

    display_type_rich._leadpilot = True
    TyperOption.display_type_rich = display_type_rich


show_flags_as_flags()

app = typer.Typer(
    name="leadpilot",
    help="Leadpilot: a chat-driven AI sales agent over your own lead database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_console, _err_console = console, err_console  # the names the command modules use


def current_clock():
    from leadpilot.clock import clock_from_settings
    from leadpilot.settings import get_settings

    return clock_from_settings(get_settings())


def cli_actor() -> str:
    """Who a command's audited writes are recorded as: "cli:<login name>" ("cli" where there is none)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in some containers
        return "cli"


def say(text: str) -> None:
    """A step that takes a while, announced before it starts (standard error, so --json output and
    pipes stay clean)."""
    _err_console().print(text, style="cyan", markup=False, highlight=False)


def fail(message: str, *, as_json: bool = False, code: int = 1) -> typer.Exit:
    """Report an error the way the command reports results: {"error": ...} on standard output
    under --json, red on standard error otherwise; raise what this returns (exit `code`)."""
    report_error(message, as_json=as_json)
    return typer.Exit(code)


def ensure_port_free(host: str, port: int) -> None:
    """Exit (code 1) with a clear message when `host:port` cannot be listened on — before a server
    prints that it is available or a demo spends a minute loading data."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror} — pass --host H") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise fail(f"port {port} is in use — pass --port N") from None
            raise fail(f"cannot listen on {host}:{port}: {error.strerror} — pass --host H or --port N") from None

