"""Confirmation dialogs: the person confirmed, so the write happens now (tools/routing/assignment.py via
interfaces/lead_actions.py), audited with their rep as the actor, and the thread is told."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from leadpilot.clock import clock_from_settings
from leadpilot.interfaces.lead_actions import ActionResult, assign_to_me, snooze
from leadpilot.interfaces.slack import blocks
from leadpilot.interfaces.slack.identity import resolve_viewer, unknown_user_text
from leadpilot.interfaces.slack.runtime import SlackRuntime
from leadpilot.settings import get_settings


def _now():
    return clock_from_settings(get_settings()).now()


def register(app: AsyncApp, runtime: SlackRuntime) -> None:
    async def finish(ack: AsyncAck, client: AsyncWebClient, *, user: str, meta: dict[str, Any], title: str, result: ActionResult, done: str) -> None:
        if not result.ok:  # keep the dialog open and say why nothing changed
            await ack(response_action="update", view=blocks.notice_view(title, result.message))
            return
        await ack()
        text = f":white_check_mark: <@{user}> {done}: {blocks.escape(result.message)}"
        if meta.get("channel") and meta.get("thread"):
            await client.chat_postMessage(channel=meta["channel"], thread_ts=meta["thread"], text=text)
        elif meta.get("channel"):
            await runtime.notify(client, channel=meta["channel"], user=user, text=text)

    @app.view("confirm_assign")
    async def on_confirm_assign(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        viewer = await resolve_viewer(runtime.db, user)
        if viewer is None:
            await ack(response_action="update", view=blocks.notice_view("Not assigned", unknown_user_text(user)))
            return
        result = await asyncio.to_thread(assign_to_me, runtime.db, viewer=viewer, lead_id=int(meta["lead"]), now=_now(), via="Slack")
        await finish(ack, client, user=user, meta=meta, title="Not assigned", result=result, done="took a lead")

    @app.view("confirm_snooze")
    async def on_confirm_snooze(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        viewer = await resolve_viewer(runtime.db, user)
        if viewer is None:
            await ack(response_action="update", view=blocks.notice_view("Not snoozed", unknown_user_text(user)))
            return
        selected = (((view.get("state") or {}).get("values") or {}).get("days") or {}).get("value") or {}
        days = int((selected.get("selected_option") or {}).get("value") or blocks.DEFAULT_SNOOZE_DAYS)
        result = await asyncio.to_thread(snooze, runtime.db, viewer=viewer, lead_id=int(meta["lead"]), days=days, now=_now())
        await finish(ack, client, user=user, meta=meta, title="Not snoozed", result=result, done="snoozed a lead")
