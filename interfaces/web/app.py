"""The Leadpilot web chat: a Chainlit app over the one agent (start it with `leadpilot ui`).

Thin: each message goes to the agent (memory per chat session: one conversation id per chat),
each tool call is shown as a step with its arguments and result, and the answer is rendered by
render.py — leads as a table (with "Show more" and a CSV download), aggregates as a table and a
chart, one lead as a card. Who is asking comes from a per-person login (see launch.login_mode).

Chainlit loads this file by path; the store is opened on first use, not at import.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from leadpilot.agent.planner import SUGGESTIONS
from leadpilot.agent.runner import AgentAnswer, AgentError, stream_agent
from leadpilot.interfaces.answer_view import answer_filters, list_offset, with_names
from leadpilot.interfaces.deps_factory import UnknownUserError, make_deps
from leadpilot.interfaces.lead_actions import score_lines
from leadpilot.interfaces.score_card import from_explanation
from leadpilot.interfaces.web import render
from leadpilot.interfaces.web import launch
from leadpilot.settings import get_settings
from leadpilot.tools.leads import Viewer

_store: dict[str, Any] = {}
_store_lock = threading.Lock()


def database():
    with _store_lock:
        if "db" not in _store:
            from leadpilot.memory.db import open_database

            _store["db"] = open_database(get_settings().resolved_database_url)
        return _store["db"]


@cl.on_app_startup
def _warm_up() -> None:
    """Load the agent's libraries in the background, so the first question is answered quickly."""

    def load() -> None:
        import leadpilot.agent.loop  # noqa: F401
        import leadpilot.agent.offline_model  # noqa: F401
        from leadpilot.agent.toolbox import READ_TOOLS  # noqa: F401  (every tool family)

        if get_settings().effective_llm_backend == "openai":
            from langchain.agents import create_agent  # noqa: F401

        database()
        # The first chart builds matplotlib's font cache (seconds on a cold machine): do it now.
        render.chart_png([{"tier": "hot", "count": 1}, {"tier": "warm", "count": 2}])

    threading.Thread(target=load, name="leadpilot-warm-up", daemon=True).start()


@cl.on_app_shutdown
def _close_store() -> None:
    db = _store.pop("db", None)
    if db is not None:
        db.dispose()


def _login_mode() -> str:
    return launch.LOGIN_MODE or launch.login_mode(get_settings(), database())


_client_address: contextvars.ContextVar[str] = contextvars.ContextVar("leadpilot_client_address", default="unknown")


class _ClientAddress:
    """ASGI middleware: the client's address for the login throttle (Chainlit's password callback
    gets only the name and the password). Behind a proxy on loopback, uvicorn puts the
    X-Forwarded-For client here."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http" and scope.get("client"):
            _client_address.set(str(scope["client"][0]))
        await self.app(scope, receive, send)


def _user(who: dict[str, Any]) -> cl.User:
    return cl.User(identifier=who["email"], display_name=who["name"], metadata=who)


if _login_mode() == "users":
    from chainlit.server import app as _server

    _server.add_middleware(_ClientAddress)

    @cl.password_auth_callback
    async def _password_login(username: str, password: str) -> cl.User | None:
        address = _client_address.get()
        who = await asyncio.to_thread(launch.login, get_settings(), database(), username, password, address=address)
        return _user(who) if who is not None else None

elif _login_mode() == "header":

    @cl.header_auth_callback
    async def _header_login(headers) -> cl.User | None:
        who = await asyncio.to_thread(launch.trusted_login, database(), headers.get(get_settings().ui_trusted_header or ""))
        return _user(who) if who is not None else None


if _login_mode() != "open":
    from chainlit.oauth_providers import get_configured_oauth_providers

    if get_configured_oauth_providers():  # Chainlit's OAUTH_<PROVIDER>_CLIENT_ID/SECRET are set

        @cl.oauth_callback
        async def _oauth_login(provider_id: str, token: str, raw_user_data: dict, default_user: cl.User,
                               id_token: str | None = None) -> cl.User | None:
            email = raw_user_data.get("email") or (default_user.metadata or {}).get("email") or default_user.identifier
            who = await asyncio.to_thread(launch.trusted_login, database(), str(email))
            return _user(who) if who is not None else None


@cl.set_starters
async def _starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=label, message=message) for label, message in render.starters(SUGGESTIONS)]


@cl.on_chat_start
async def _start() -> None:
    cl.user_session.set("conversation_id", f"web:{uuid.uuid4().hex}")


def _viewer() -> Viewer:
    """Who asks, from the store at every message (a removed login or a changed role counts at
    once). No login at all: the local admin, as long as nobody has a web login yet."""
    user = cl.user_session.get("user")
    if user is None:
        if _login_mode() != "open" or launch.login_mode(get_settings(), database()) != "open":
            raise UnknownUserError("People have web logins now: restart the web chat (`leadpilot ui`) and log in.")
        return Viewer(role="admin")
    who = launch.trusted_login(database(), user.identifier)
    if who is None:
        raise UnknownUserError(f"{user.identifier} no longer has a web login; ask an admin (`leadpilot user add`).")
    return Viewer(email=who["rep_email"], rep_id=who["rep_id"], role=who["role"], name=who["name"])


async def _agent_events(question: str, deps) -> Any:
    """`stream_agent` runs in a worker thread; its events reach the event loop as they happen."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def produce() -> None:
        try:
            for event in stream_agent(question, deps=deps):
                loop.call_soon_threadsafe(queue.put_nowait, event)
        except Exception as error:  # handed to the chat, not lost in the thread
            loop.call_soon_threadsafe(queue.put_nowait, ("error", error))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=produce, name="leadpilot-agent", daemon=True).start()
    while (event := await queue.get()) is not None:
        yield event


@cl.on_message
async def _on_message(message: cl.Message) -> None:
    try:
        viewer = await asyncio.to_thread(_viewer)
    except UnknownUserError as error:
        await cl.Message(content=str(error)).send()
        return
    deps = make_deps(database(), viewer=viewer, conversation_id=cl.user_session.get("conversation_id"), channel="web")
    reply: cl.Message | None = None  # created at the first token, so the tool steps come first
    pending: list[cl.Step] = []
    answer: AgentAnswer | None = None
    chart: dict | None = None  # an analytics tool's chart suggestion
    run = cl.context.current_step  # the on_message run: tool steps and the answer go under it, in order
    async for kind, payload in _agent_events(message.content, deps):
        if kind == "tool_call":
            step = cl.Step(name=payload["name"], type="tool", show_input="json", language="json", parent_id=run.id if run else None)
            step.start = utc_now()
            step.input = render.call_input(payload["args"])
            await step.send()
            pending.append(step)
        elif kind == "tool_result":
            step = next((s for s in pending if s.name == payload["name"]), None)
            if step is not None:
                pending.remove(step)
                step.output = render.tool_output(payload["artifact"])
                if isinstance(payload["artifact"], dict) and payload["artifact"].get("kind") == "aggregate":
                    chart = payload["artifact"].get("chart")
                step.end = utc_now()
                await step.update()
        elif kind == "token":
            reply = reply or cl.Message(content="")
            await reply.stream_token(payload)
        elif kind == "answer":
            answer = payload
        elif kind == "error":
            text = str(payload) if isinstance(payload, AgentError) else f"Something went wrong: {payload}"
            reply = reply or cl.Message(content="")
            reply.content = f"⚠️ {text}"
            await reply.send()
            return
    if answer is not None:
        await _show(reply or cl.Message(content=""), answer, chart=chart)


async def _show(reply: cl.Message, answer: AgentAnswer, *, chart: dict | None = None) -> None:
    names = answer.rep_names  # reps by name, not by email
    parts = [with_names(answer.answer or "Done.", names)]
    elements: list = []
    actions: list[cl.Action] = []
    looked_up = bool(answer.tool_calls) and answer.tool_calls[-1].get("name") == "get_lead"
    card = from_explanation(answer.score_explanation) if answer.score_explanation else None
    if card is not None:  # "why is X hot?": the card says it all, unless the answer had other parts
        parts = [render.score_card(card)] if len(answer.tool_calls) == 1 else [*parts, render.score_card(card)]
    elif len(answer.parts) > 1:  # several parts: each part's own table (a comparison's figures are its text's table)
        parts += render.part_sections(answer)
    elif answer.leads and looked_up and len(answer.leads) == 1:
        lead = answer.leads[0]
        parts.append(render.lead_card(lead, score_lines=score_lines(lead.get("score_breakdown")), names=names))
    elif answer.leads:
        cl.user_session.set("last_leads", (answer.leads, answer.total, names))
        shown = min(render.PAGE_SIZE, len(answer.leads))
        parts.append(render.leads_table(answer.leads, names=names))
        parts.append("_" + render.page_note(start=0, shown=shown, returned=len(answer.leads), total=answer.total,
                                            offset=list_offset(answer.tool_calls)) + "_")
        elements.append(cl.File(name="leads.csv", content=render.leads_csv(answer.leads), mime="text/csv", display="inline"))
        if len(answer.leads) > shown:
            actions.append(_more_action(shown, len(answer.leads)))
    elif answer.rows:
        parts.append(render.aggregate_table(answer.rows, filters_applied=answer.filters_applied, names=names))
        png = await asyncio.to_thread(render.chart_png, answer.rows, chart=chart)
        if png is not None:
            elements.append(cl.Image(name="chart", content=png, mime="image/png", display="inline", size="large"))
    context = render.context_line(answer_filters(answer), answer.tool_calls, names)  # several parts: the filters they share
    if context:
        parts.append(f"_{context}_")
    reply.content = "\n\n".join(parts)
    reply.elements = elements
    reply.actions = actions
    await reply.send()  # also ends a stream of tokens


def _more_action(offset: int, returned: int) -> cl.Action:
    following = min(render.PAGE_SIZE, returned - offset)
    return cl.Action(name="show_more", payload={"offset": offset}, label=f"Show {following} more", icon="chevrons-down")


@cl.action_callback("show_more")
async def _show_more(action: cl.Action) -> None:
    remembered = cl.user_session.get("last_leads")
    await action.remove()
    if not remembered:
        await cl.Message(content="That list is gone; ask again.").send()
        return
    leads, total, names = remembered
    offset = int(action.payload.get("offset", 0))
    shown = min(render.PAGE_SIZE, len(leads) - offset)
    if shown <= 0:
        return
    content = render.leads_table(leads, start=offset, names=names) + "\n\n_" + render.page_note(start=offset, shown=shown, returned=len(leads), total=total) + "_"
    actions = [_more_action(offset + shown, len(leads))] if offset + shown < len(leads) else []
    await cl.Message(content=content, actions=actions).send()

