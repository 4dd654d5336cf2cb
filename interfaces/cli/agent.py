"""`leadpilot ask` and `leadpilot chat`: questions to the agent, answered in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpilot.interfaces.cli.one_question import Refused, answer_json, answer_one, ask_deps  # noqa: F401  (answer_json: the --json contract)
from leadpilot.interfaces.cli.one_question import render_answer as _render_answer
from leadpilot.interfaces.cli.shared import _console, app, fail, open_store


def _ask_deps(db, user: str | None, conversation: str | None, channel: str, *, as_json: bool = False):
    try:
        return ask_deps(db, user, conversation, channel)
    except Refused as refused:
        raise fail(str(refused), as_json=as_json, code=refused.code) from None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='e.g. "show hot leads in fintech not contacted in 3 days"')],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (question, answer, tool_calls, leads, rows).")] = False,
    user: Annotated[str | None, typer.Option("--as", help="Ask as this rep (email): 'my leads' are theirs, and they see only what they may.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Conversation id, so follow-up questions see earlier ones.")] = None,
) -> None:
    """Ask the agent one question about your leads."""
    if code := answer_one(question, as_json=as_json, user=user, conversation=conversation):  # also without Typer: one_question.py
        raise typer.Exit(code)


@app.command()
def chat(
    user: Annotated[str | None, typer.Option("--as", help="Chat as this rep (email).")] = None,
) -> None:
    """A terminal chat with the agent; follow-up questions build on earlier ones. Ctrl-D to leave."""
    import uuid

    from leadpilot.agent.runner import AgentError, run_agent

    console = _console()
    db = open_store()
    conversation = f"cli:{uuid.uuid4().hex[:12]}"
    console.print("[bold]Leadpilot[/bold] — ask about your leads (e.g. show hot leads in fintech not contacted in 3 days). Ctrl-D to quit.")
    try:
        while True:
            try:
                question = console.input("[bold cyan]you>[/bold cyan] ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                break
            if not question:
                continue
            if question.lower() in {"quit", "exit", ":q"}:
                break
            deps = _ask_deps(db, user, conversation, "cli")
            try:
                _render_answer(console, run_agent(question, deps=deps))
            except AgentError as error:
                console.print(f"[red]{error}[/red]")
    finally:
        db.dispose()
