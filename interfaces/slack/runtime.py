"""What the Slack listeners share: the store, the answers behind "show more", and the one way a
question becomes a threaded reply (parse -> who is asking -> run the agent -> render -> post).

The agent is synchronous; it runs in a worker thread (`asyncio.to_thread`) so the event loop keeps
acknowledging Slack within its 3 seconds.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from leadpilot.agent.runner import AgentAnswer, AgentError, run_agent
from leadpilot.interfaces.deps_factory import make_deps
from leadpilot.interfaces.slack import blocks
from leadpilot.interfaces.slack.identity import resolve_viewer, unknown_user_text
from leadpilot.memory.db import Database
from leadpilot.tools.leads import Viewer

log = logging.getLogger("leadpilot.slack")

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:mailto:)?([^>|]+)(?:\|([^>]*))?>")


def question_from_text(text: str | None) -> str:
    """The question in a Slack message: mentions removed, links unwrapped, entities decoded."""
    text = _MENTION.sub(" ", text or "")
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(html.unescape(text).split())


def conversation_id(team: str | None, channel: str, thread_ts: str, user: str | None = None) -> str:
    """The thread is the conversation, one per person in it: follow-ups see that person's earlier
    turns, never another's (a manager's earlier tool results must not reach a rep's model)."""
    thread = f"slack:{team or '-'}:{channel}:{thread_ts}"
    return f"{thread}:{user}" if user else thread


class AnswerCache:
    """Lead lists behind "Show more" buttons, newest kept (bounded; lost on restart)."""

    def __init__(self, capacity: int = 500):
        self.capacity = capacity
        self._lists: OrderedDict[str, tuple[list[dict[str, Any]], int | None]] = OrderedDict()

    def put(self, leads: list[dict[str, Any]], total: int | None) -> str:
        token = uuid.uuid4().hex[:12]
        self._lists[token] = (leads, total)
        while len(self._lists) > self.capacity:
            self._lists.popitem(last=False)
        return token

    def get(self, token: str) -> tuple[list[dict[str, Any]], int | None] | None:
        found = self._lists.get(token)
        if found is not None:
            self._lists.move_to_end(token)
        return found


class SeenEvents:
    """Event ids answered lately, so a retry or a replay of one event is answered once.

    Slack retries an event it thinks failed (no 200 in 3 seconds) up to three times within about
    5 minutes, with the same `event_id` and an `X-Slack-Retry-Num` header; each retry is signed
    anew, so request signing does not stop it. An id is remembered for `ttl_s` (default 1 hour),
    at most `capacity` ids, in this process: one `leadpilot slack` process serves a workspace
    (several processes behind a load balancer would each answer once)."""

    def __init__(self, *, ttl_s: float = 3600.0, capacity: int = 50_000, clock=time.monotonic):
        self.ttl_s, self.capacity, self._clock = ttl_s, capacity, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen within the time to live (and remember it)."""
        now = self._clock()
        while self._seen and (next(iter(self._seen.values())) < now - self.ttl_s or len(self._seen) > self.capacity):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True


@dataclass
class SlackRuntime:
    db: Database
    page_size: int = blocks.PAGE_SIZE
    answers: AnswerCache = field(default_factory=AnswerCache)
    seen_events: SeenEvents = field(default_factory=SeenEvents)

    async def ask(self, question: str, *, viewer: Viewer, conversation: str | None) -> AgentAnswer:
        deps = make_deps(self.db, viewer=viewer, conversation_id=conversation, channel="slack")
        return await asyncio.to_thread(run_agent, question, deps=deps)

    def render(self, answer: AgentAnswer, *, asked_by: str | None = None) -> tuple[list[dict[str, Any]], str]:
        """Blocks and fallback text; a long list is remembered for its "Show more" button."""
        token = self.answers.put(answer.leads, answer.total) if len(answer.leads) > self.page_size else None
        return blocks.answer_blocks(answer, more_token=token, page_size=self.page_size, asked_by=asked_by), blocks.answer_text(answer)

    async def answer_in_thread(
        self, client: AsyncWebClient, *, team: str | None, channel: str, thread_ts: str, user: str, text: str | None,
        ephemeral_errors: bool = True,
    ) -> None:
        """Answer a message in its thread, as the rep linked to the Slack user."""
        question = question_from_text(text)
        viewer = await resolve_viewer(self.db, user)
        if viewer is None:
            await self.notify(client, channel=channel, user=user, thread_ts=thread_ts, text=unknown_user_text(user), ephemeral=ephemeral_errors)
            return
        if not question:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=help_text())
            return
        try:
            answer = await self.ask(question, viewer=viewer, conversation=conversation_id(team, channel, thread_ts, user))
        except AgentError as error:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=f":warning: {blocks.escape(error)}")
            return
        except Exception:  # a bug: say so in the thread rather than go silent
            log.exception("answering %r failed", question)
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=":warning: Something went wrong answering that; it has been logged.")
            return
        message_blocks, fallback = self.render(answer)
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=fallback, blocks=message_blocks, unfurl_links=False)

    async def notify(self, client: AsyncWebClient, *, channel: str, user: str, text: str, thread_ts: str | None = None, ephemeral: bool = True) -> None:
        """Tell one person something (only they see it in a channel; a plain reply in a DM)."""
        try:
            if ephemeral and not channel.startswith("D"):
                await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
            else:
                await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        except SlackApiError as error:  # e.g. the bot is not in that channel: nothing else to do
            log.warning("could not notify %s in %s: %s", user, channel, error.response.get("error"))


def help_text() -> str:
    from leadpilot.agent.planner import SUGGESTIONS

    return "Ask me about your leads, for example:\n" + "\n".join(f"• {s}" for s in SUGGESTIONS)


def thread_is_a_conversation(db: Database, conversation: str) -> bool:
    """Whether Leadpilot already answered in this thread (so a reply without a mention is for it)."""
    from sqlalchemy import select

    from leadpilot.memory.conversations import Conversation, load_messages

    with db.session() as session:  # anyone's conversation in the thread (`conversation` is the thread's id)
        if load_messages(session, conversation_id=conversation, limit=1):
            return True
        return session.scalar(select(Conversation.id).where(Conversation.id.like(f"{conversation}:%")).limit(1)) is not None
