"""`/leads QUESTION`: the answer is posted in the channel (the command's own thread is then the
conversation); where the bot cannot post, it answers privately through the response URL."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from leadpilot.agent.runner import AgentError
from leadpilot.interfaces.slack.blocks import escape
from leadpilot.interfaces.slack.identity import resolve_viewer, unknown_user_text
from leadpilot.interfaces.slack.runtime import SlackRuntime, conversation_id, help_text, question_from_text

_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def register(app: AsyncApp, runtime: SlackRuntime) -> None:
    @app.command("/leads")
    async def on_leads(ack: AsyncAck, command: dict, client: AsyncWebClient, respond: AsyncRespond, context: AsyncBoltContext) -> None:
        await ack()
        user, channel = command["user_id"], command["channel_id"]
        question = question_from_text(command.get("text"))
        viewer = await resolve_viewer(runtime.db, user)
        if viewer is None:
            await respond(text=unknown_user_text(user), response_type="ephemeral")
            return
        if not question:
            await respond(text=help_text(), response_type="ephemeral")
            return
        asked = f"<@{user}> asked: _{escape(question)}_"
        try:
            posted = await client.chat_postMessage(channel=channel, text=f"{asked} :hourglass_flowing_sand:")
        except SlackApiError as error:
            if error.response.get("error") not in _CANNOT_POST:
                raise
            answer = await runtime.ask(question, viewer=viewer, conversation=None)
            blocks, text = runtime.render(answer, asked_by=user)
            await respond(text=text, blocks=blocks, response_type="ephemeral")
            return
        channel, ts = posted["channel"], posted["ts"]
        try:
            answer = await runtime.ask(question, viewer=viewer, conversation=conversation_id(context.team_id, channel, ts, user))
        except AgentError as error:
            await client.chat_update(channel=channel, ts=ts, text=f"{asked}\n:warning: {escape(error)}")
            return
        blocks, text = runtime.render(answer, asked_by=user)
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
