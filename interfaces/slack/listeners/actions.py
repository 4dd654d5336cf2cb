"""Buttons and menus on lead rows, lead cards and hot-lead alerts.

"Assign to me" and "Snooze" write, so they only open a confirmation dialog here; the write happens
when the person confirms it (listeners/views.py). "Explain score" asks the agent for the lead and
shows its score breakdown. "Show more" posts the next page of a long list in the thread.

Every action is checked for the person who CLICKED, not whoever asked first: an unlinked Slack user
gets the "not linked" message, and a rep paging a manager's list sees only the leads they may see.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from leadpilot.agent.runner import AgentError
from leadpilot.interfaces.lead_actions import not_visible, score_lines, visible_lead, visible_rows
from leadpilot.interfaces.slack import blocks
from leadpilot.interfaces.slack.identity import resolve_viewer, unknown_user_text
from leadpilot.interfaces.slack.runtime import SlackRuntime


def where(body: dict[str, Any]) -> dict[str, Any]:
    """Channel, thread and user of an interaction on a message (ephemeral messages have no thread)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    ephemeral = bool(container.get("is_ephemeral"))
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    thread = None if ephemeral else (message.get("thread_ts") or message.get("ts") or container.get("thread_ts") or container.get("message_ts"))
    return {
        "channel": channel,
        "thread": thread,
        "message_ts": None if ephemeral else (message.get("ts") or container.get("message_ts")),
        "ephemeral": ephemeral,
        "user": body["user"]["id"],
        "team": (body.get("team") or {}).get("id") or body["user"].get("team_id"),
    }


def register(app: AsyncApp, runtime: SlackRuntime) -> None:
    async def tell(client: AsyncWebClient, respond: AsyncRespond, place: dict[str, Any], text: str) -> None:
        if place["ephemeral"]:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        else:
            await runtime.notify(client, channel=place["channel"], user=place["user"], thread_ts=place["thread"], text=text)

    async def act(kind: str, lead_id: int, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        place = where(body)
        viewer = await resolve_viewer(runtime.db, place["user"])
        if viewer is None:
            await tell(client, respond, place, unknown_user_text(place["user"]))
            return
        if kind == "explain":
            await explain(lead_id, viewer, place, client, respond)
            return
        lead = await asyncio.to_thread(visible_lead, runtime.db, viewer=viewer, lead_id=lead_id)
        if lead is None:
            await tell(client, respond, place, not_visible(lead_id))
            return
        metadata = json.dumps({"lead": lead_id, "channel": place["channel"], "thread": place["thread"]})
        if kind == "assign":
            if viewer.email and lead.get("owner") == viewer.email:
                await tell(client, respond, place, f"{lead.get('company') or 'Lead ' + str(lead_id)} (lead {lead_id}) is already yours.")
                return
            view = blocks.confirm_assign_view(lead, to_name=viewer.name or viewer.email or "you", metadata=metadata)
        elif kind == "snooze":
            view = blocks.confirm_snooze_view(lead, metadata=metadata)
        else:
            return
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def explain(lead_id: int, viewer, place: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        try:  # a side question: not part of the thread's conversation, so follow-ups stay on the list
            answer = await runtime.ask(f"show lead {lead_id}", viewer=viewer, conversation=None)
        except AgentError as error:
            await tell(client, respond, place, f":warning: {error}")
            return
        if not answer.leads:
            await tell(client, respond, place, answer.answer or not_visible(lead_id))
            return
        lead = answer.leads[0]
        explanation = blocks.explain_blocks(lead, score_lines(lead.get("score_breakdown")))
        text = f"Why lead {lead_id} scores {lead.get('score')}"
        if place["ephemeral"]:
            await respond(text=text, blocks=explanation, response_type="ephemeral", replace_original=False)
        else:
            await client.chat_postMessage(channel=place["channel"], thread_ts=place["thread"], text=text, blocks=explanation)

    @app.action("lead_row")
    async def on_lead_row(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        kind, _, lead_id = action["selected_option"]["value"].partition(":")
        await act(kind, int(lead_id), body, client, respond)

    for kind in ("assign", "snooze", "explain"):
        def handler(kind: str = kind):
            async def on_button(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
                await ack()
                await act(kind, int(action["value"]), body, client, respond)

            on_button.__name__ = f"on_lead_{kind}"
            return on_button

        app.action(f"lead_{kind}")(handler())

    @app.action("show_more")
    async def on_show_more(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        place = where(body)
        viewer = await resolve_viewer(runtime.db, place["user"])
        if viewer is None:
            await tell(client, respond, place, unknown_user_text(place["user"]))
            return
        token, _, offset = str(action.get("value") or "").rpartition(":")
        remembered = runtime.answers.get(token) if offset.isdigit() else None
        if remembered is None:
            await tell(client, respond, place, "That list is no longer in memory (Leadpilot restarted); ask the question again.")
            return
        leads, total = remembered
        start = int(offset)
        shown = await asyncio.to_thread(visible_rows, runtime.db, viewer=viewer, leads=leads)
        if len(shown) != len(leads):
            # Someone else's list: the clicker pages through the rows they may see, from where the
            # button was, as a list of their own (its own token, so their next click pages it).
            kept = {id(lead) for lead in shown}
            start = sum(1 for lead in leads[:start] if id(lead) in kept)
            leads, total = shown, len(shown)
            token = runtime.answers.put(leads, total)
            if start >= len(leads):
                await tell(client, respond, place, "There are no more leads in that list that you can see.")
                return
        from leadpilot.agent.answers import rep_names

        names = await asyncio.to_thread(rep_names, runtime.db)  # each row's owner by name
        page = blocks.page_blocks(leads, start=start, total=total, more_token=token, page_size=runtime.page_size, names=names)
        text = f"Leads {start + 1}–{min(start + runtime.page_size, len(leads))} of {total if total is not None else len(leads)}"
        if place["ephemeral"]:
            await respond(text=text, blocks=page, response_type="ephemeral", replace_original=False)
            return
        await client.chat_postMessage(channel=place["channel"], thread_ts=place["thread"], text=text, blocks=page)
        message = body.get("message") or {}
        if message.get("blocks"):  # the button did its job: take it off the earlier message
            await client.chat_update(
                channel=place["channel"], ts=place["message_ts"], text=message.get("text") or text,
                blocks=blocks.without_more_button(message["blocks"]),
            )

