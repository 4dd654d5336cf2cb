"""A plain `leadpilot ask "..."` answered without Typer, and how an answer is shown: the JSON
contract of `ask --json` and the terminal tables (agent.py's `ask` and `chat` use the same).

`leadpilot ask` answers one question and exits, so its start is most of its time (#21): Typer and
Click, which only parse its four arguments, were ~5% of it. interfaces/cli/__init__.py answers a
plain ask (a question, --json, --as, --conversation) here; anything else (--help, an unknown
option, a missing value) goes to the Typer command, which reads and answers the same.
"""

from __future__ import annotations

import json
import sys

from leadpilot.interfaces.cli.plain import console, open_store, report_error

_VALUED = {"--as": "user", "--conversation": "conversation"}


def plain_ask_args(args: list[str]) -> dict | None:
    """The arguments after `ask`, when they are exactly a question and the options `ask` declares
    (each at most once); None for anything Typer should read (help, usage errors, "--")."""
    found: dict = {"question": None, "as_json": False, "user": None, "conversation": None}
    seen: set[str] = set()
    position = 0
    while position < len(args):
        arg = args[position]
        name, eq, value = arg.partition("=")
        if arg == "--json" and arg not in seen:
            found["as_json"] = True
        elif name in _VALUED and name not in seen:
            if not eq:
                position += 1
                if position == len(args) or args[position].startswith("-"):
                    return None
                value = args[position]
            found[_VALUED[name]] = value
        elif not arg.startswith("-") and found["question"] is None:
            found["question"] = arg
            name = "question"
        else:
            return None
        seen.add(name)
        position += 1
    return found if found["question"] is not None else None


class Refused(Exception):
    """The question cannot be asked as given (an unknown --as user): the message and exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def ask_deps(db, user: str | None, conversation: str | None, channel: str):
    from leadpilot.interfaces.deps_factory import UnknownUserError, make_deps, viewer_for

    try:
        viewer = viewer_for(db, email=user)
    except UnknownUserError as error:
        raise Refused(str(error), code=2) from None
    return make_deps(db, viewer=viewer, conversation_id=conversation, channel=channel)


def answer_one(question: str, *, as_json: bool = False, user: str | None = None, conversation: str | None = None) -> int:
    """`leadpilot ask`: answer, print (JSON or tables) and return the exit code; an error is
    reported as the command reports results."""
    from leadpilot.agent.runner import AgentError, run_agent

    db = open_store()
    try:
        try:
            answer = run_agent(question, deps=ask_deps(db, user, conversation, "cli"))
        except Refused as refused:
            report_error(str(refused), as_json=as_json)
            return refused.code
        except AgentError as error:
            report_error(str(error), as_json=as_json)
            return 1
    finally:
        db.dispose()
    if as_json:
        from leadpilot.interfaces.answer_view import named_json  # reps by name in the text, as the plain answer says them

        sys.stdout.write(json.dumps(named_json(answer_json(answer), answer.rep_names), default=str, ensure_ascii=False) + "\n")
    else:
        render_answer(console(), answer)
    return 0


_ALL_COLUMNS = ("id", "company", "contact", "industry", "city", "tier", "score", "owner", "last contact")
_NARROW_COLUMNS = ("id", "company", "tier", "score", "owner", "last contact")
_FULL_TABLE_WIDTH = 110


def _leads_table(console, leads: list[dict], names: dict | None = None) -> None:
    from rich.table import Table

    from leadpilot.interfaces.answer_view import cell_text, day_text, rep_name

    # Nine columns fold every word in an 80-column terminal: a narrow one shows the six a rep acts on.
    narrow = console.width < _FULL_TABLE_WIDTH
    columns = _NARROW_COLUMNS if narrow else _ALL_COLUMNS
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "tier", "score"))
    for lead in leads[:25]:
        cells = {
            "id": str(lead["id"]), "company": lead.get("company") or "", "contact": lead.get("contact_name") or "",
            "industry": cell_text("industry", lead.get("industry")), "city": lead.get("city") or "",
            "tier": lead.get("tier") or "", "score": "" if lead.get("score") is None else str(lead["score"]),
            "owner": rep_name(lead.get("owner"), names), "last contact": day_text(lead.get("last_contacted_at")),
        }
        table.add_row(*(cells[column] for column in columns))
    console.print(table)
    if narrow:
        console.print(f"(contact, industry and city in a terminal of {_FULL_TABLE_WIDTH}+ columns, or with --json)")
    if len(leads) > 25:
        console.print(f"... and {len(leads) - 25} more (use --json for all).")


def _rows_table(console, rows: list[dict], filters_applied: list[str], names: dict) -> None:
    from rich.table import Table

    from leadpilot.interfaces.answer_view import rows_table

    headers, cells = rows_table(rows, filters_applied=filters_applied, names=names)  # as Slack and the web chat say them
    table = Table()
    for column in headers:
        table.add_column(column)
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _print_text(console, text: str) -> bool:
    """The answer's text; a Markdown table in it (a comparison) as a terminal table, not pipes.
    True when it had one."""
    from rich.table import Table

    had_table = False
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|") and line.rstrip().endswith("|"):
            block.append(line)
            continue
        if block:
            cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in block]
            body = [row for row in cells[1:] if not all(set(cell) <= set("-: ") for cell in row)]
            table = Table()
            for heading in cells[0]:
                table.add_column(heading)
            for row in body:
                table.add_row(*row)
            console.print(table)
            block, had_table = [], True
        if line:
            console.print(line)
    return had_table


def render_answer(console, answer) -> None:
    """Answer text, then the leads as a table (first 25) or the aggregate rows; an answer of several
    parts (a comparison, several questions) shows each part's table under its label."""
    from leadpilot.agent.answer_parts import part_labels
    from leadpilot.interfaces.answer_view import with_names

    names = answer.rep_names
    compared = _print_text(console, with_names(answer.answer, names))  # a comparison's table already holds each part's figures
    parts = answer.parts if len(answer.parts) > 1 else []
    for number, (part, label) in enumerate(zip(parts, part_labels([p["call"] for p in parts])), start=1):
        if compared and not part["leads"]:
            continue
        if part["leads"] or part["rows"]:
            console.print(f"[bold]Part {number}[/bold] ({with_names(label, names)}):", markup=True, highlight=False)
        if part["leads"]:
            _leads_table(console, part["leads"], names)
        elif part["rows"]:
            _rows_table(console, part["rows"], part.get("filters_applied") or [], names)
    if not parts and answer.leads:
        _leads_table(console, answer.leads, names)
    elif not parts and answer.rows:
        _rows_table(console, answer.rows, answer.filters_applied, names)
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
