"""Conversation memory and the run log.

A conversation (a CLI session, a Slack thread, a web chat) keeps its messages in order, so
follow-ups ("only the ones in SF") are read in the light of what came before. Every agent run is
logged with its question, tool calls, answer, backend and duration: an answer can always be traced
back to the calls behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, func, insert, select, update

from leadpilot.memory.models import Base, JSONType, UTCDateTime, map_on_first_use

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Core tables (#21): a `leadpilot ask` logs its run with Core statements, and the ORM classes below
# (Conversation, ConversationMessage, AgentRun) are mapped onto these tables only when asked for.
conversations = Table(
    "conversations", Base.metadata,
    Column("id", String(200), primary_key=True),  # e.g. "cli:…", "slack:T1:C1:169…", "web:…"
    Column("channel", String(16), nullable=False),
    Column("user_email", String(254)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

conversation_messages = Table(
    "conversation_messages", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("message", JSONType, nullable=False),  # a LangChain message as a dict
    Index("ix_conversation_messages_conv_pos", "conversation_id", "position", unique=True),
)

agent_runs = Table(
    "agent_runs", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(200), index=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("user_email", String(254)),
    Column("backend", String(16), nullable=False),
    Column("model", String(100)),
    Column("question", Text, nullable=False),
    Column("answer", Text),
    Column("tool_calls", JSONType, nullable=False, default=list),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text),
)

__getattr__ = map_on_first_use(__name__, {
    "Conversation": (conversations, None),
    "ConversationMessage": (conversation_messages, None),
    "AgentRun": (agent_runs, "One question answered: what was asked, which tools ran with which arguments, what came back."),
})


def ensure_conversation(session: Session, *, conversation_id: str, channel: str, user_email: str | None, at: datetime) -> None:
    """Create the conversation on its first turn (Core statements: no ORM objects to flush)."""
    if session.scalar(select(conversations.c.id).where(conversations.c.id == conversation_id)) is None:
        session.execute(
            insert(conversations).values(id=conversation_id, channel=channel, user_email=user_email, created_at=at, updated_at=at)
        )


def load_messages(session: Session, *, conversation_id: str, limit: int = 40) -> list[dict[str, Any]]:
    """The last `limit` messages of a conversation, oldest first."""
    query = (
        select(conversation_messages.c.message)
        .where(conversation_messages.c.conversation_id == conversation_id)
        .order_by(conversation_messages.c.position.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))


def append_messages(session: Session, *, conversation_id: str, messages: Sequence[dict[str, Any]], at: datetime) -> None:
    """Append `messages` after the conversation's last one: one multi-row insert, no ORM objects."""
    last = session.scalar(
        select(func.max(conversation_messages.c.position)).where(conversation_messages.c.conversation_id == conversation_id)
    )
    position = (last if last is not None else -1) + 1
    if messages:
        session.execute(
            insert(conversation_messages),
            [
                {"conversation_id": conversation_id, "position": position + offset, "at": at, "message": message}
                for offset, message in enumerate(messages)
            ],
        )
    session.execute(update(conversations).where(conversations.c.id == conversation_id).values(updated_at=at))


def log_run(session: Session, **fields: Any) -> int:
    """Record one agent run (the AgentRun columns as keywords); returns its id.

    A Core insert with the values as parameters: its compiled form is cached, where an ORM
    `insert().values(...)` coerces every value into the statement on each run."""
    return session.connection().execute(agent_runs.insert(), fields).inserted_primary_key[0]


def recent_runs(session: Session, *, limit: int = 20) -> Sequence[AgentRun]:
    """The newest runs, newest first, as AgentRun objects."""
    run = __getattr__("AgentRun")
    return session.scalars(select(run).order_by(run.at.desc(), run.id.desc()).limit(limit)).all()
