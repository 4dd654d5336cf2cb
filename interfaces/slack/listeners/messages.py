"""Mentions, direct messages, and replies in a thread Leadpilot is answering: all go to the agent,
and the answer goes in the thread (the thread is the conversation)."""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from leadpilot.interfaces.slack.runtime import SlackRuntime, conversation_id, thread_is_a_conversation


def register(app: AsyncApp, runtime: SlackRuntime) -> None:
    @app.event("app_mention")
    async def on_mention(event: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await runtime.answer_in_thread(
            client, team=context.team_id, channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"],
            user=event.get("user", ""), text=event.get("text"),
        )

    @app.event("message")
    async def on_message(event: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, bot posts (ours included)
        channel = event["channel"]
        if event.get("channel_type") == "im":
            await runtime.answer_in_thread(
                client, team=context.team_id, channel=channel, thread_ts=event.get("thread_ts") or event["ts"],
                user=event["user"], text=event.get("text"), ephemeral_errors=False,
            )
            return
        thread_ts = event.get("thread_ts")
        mentioned = context.bot_user_id and f"<@{context.bot_user_id}" in (event.get("text") or "")
        if not thread_ts or mentioned:
            return  # top-level chatter is not for us; mentions arrive as app_mention
        conversation = conversation_id(context.team_id, channel, thread_ts)
        if await asyncio.to_thread(thread_is_a_conversation, runtime.db, conversation):
            await runtime.answer_in_thread(
                client, team=context.team_id, channel=channel, thread_ts=thread_ts, user=event["user"], text=event.get("text")
            )
