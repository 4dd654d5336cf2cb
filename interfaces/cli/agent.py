"""`leadpilot ask` and `leadpilot chat`: questions to the agent, answered in the terminal."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from leadpilot.interfaces.cli.shared import _console, app, fail, open_store


def _leads_table(console, leads: list[dict]) -> None:
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("id", "company", "contact", "industry", "city", "tier", "score", "owner", "last contact"):
        table.add_column(column, overflow="fold")
    for lead in leads[:25]:
        table.add_row(
            str(lead["id"]), lead.get("company") or "", lead.get("contact_name") or "", lead.get("industry") or "",
            lead.get("city") or "", lead.get("tier") or "", "" if lead.get("score") is None else str(lead["score"]),
            lead.get("owner") or "unassigned", (lead.get("last_contacted_at") or "never")[:10],
        )
    console.print(table)
    if len(leads) > 25:
        console.print(f"... and {len(leads) - 25} more (use --json for all).")


def _rows_table(console, rows: list[dict]) -> None:
    from rich.table import Table

    table = Table()
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(f"{v:.1%}" if isinstance(v, float) and "rate" in k else str(v) for k, v in row.items()))
    console.print(table)


def _render_answer(console, answer) -> None:
    """Answer text, then the leads as a table (first 25) or the aggregate rows; an answer of several
    parts (a comparison, several questions) shows each part's table under its label."""
    from leadpilot.agent.answer_parts import part_labels

    console.print(answer.answer)
    parts = answer.parts if len(answer.parts) > 1 else []
    for number, (part, label) in enumerate(zip(parts, part_labels([p["call"] for p in parts])), start=1):
        if part["leads"] or part["rows"]:
            console.print(f"[bold]Part {number}[/bold] ({label}):")
        if part["leads"]:
            _leads_table(console, part["leads"])
        elif part["rows"]:
            _rows_table(console, part["rows"])
    if not parts and answer.leads:
        _leads_table(console, answer.leads)
    elif not parts and answer.rows:
        _rows_table(console, answer.rows)
    if answer.tool_calls:
        calls = "; ".join(f"{c['name']}({json.dumps(c['args'], default=str)})" for c in answer.tool_calls)
        console.print(f"[dim]tool calls: {calls}[/dim]")


def answer_json(answer) -> dict:
    """`ask --json`: the contract (question, answer, tool_calls, leads, rows). An answer of several
    parts also has `parts` (each part's label, tool call, leads, rows and total, in order); its `rows`
    are every part's rows, each with its part's label under "part", and its `leads` every part's
    leads (each once)."""
    from leadpilot.agent.answer_parts import part_labels

    output = answer.contract()
    if len(answer.parts) < 2:
        return output
    labels = part_labels([p["call"] for p in answer.parts])
    output["parts"] = [
        {"part": number, "label": label, "tool": part["call"]["name"], "args": part["call"]["args"], "total": part["total"],
         "leads": part["leads"], "rows": part["rows"]}
        for number, (part, label) in enumerate(zip(answer.parts, labels), start=1)
    ]
    output["rows"] = [{"part": label, **row} for part, label in zip(answer.parts, labels) for row in part["rows"]]
    leads: dict[int, dict] = {}
    for part in answer.parts:
        for lead in part["leads"]:
            leads.setdefault(lead["id"], lead)
    output["leads"] = list(leads.values())
    return output


def _ask_deps(db, user: str | None, conversation: str | None, channel: str, *, as_json: bool = False):
    from leadpilot.interfaces.deps_factory import UnknownUserError, make_deps, viewer_for

    try:
        viewer = viewer_for(db, email=user)
    except UnknownUserError as error:
        raise fail(str(error), as_json=as_json, code=2) from None
    return make_deps(db, viewer=viewer, conversation_id=conversation, channel=channel)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='e.g. "show hot leads in fintech not contacted in 3 days"')],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (question, answer, tool_calls, leads, rows).")] = False,
    user: Annotated[str | None, typer.Option("--as", help="Ask as this rep (email): 'my leads' are theirs, and they see only what they may.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Conversation id, so follow-up questions see earlier ones.")] = None,
) -> None:
    """Ask the agent one question about your leads."""
    from leadpilot.agent.runner import AgentError, run_agent

    db = open_store()
    try:
        deps = _ask_deps(db, user, conversation, "cli", as_json=as_json)
        try:
            answer = run_agent(question, deps=deps)
        except AgentError as error:
            raise fail(str(error), as_json=as_json) from None
    finally:
        db.dispose()
    if as_json:
        sys.stdout.write(json.dumps(answer_json(answer), default=str, ensure_ascii=False) + "\n")
    else:
        _render_answer(_console(), answer)


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
