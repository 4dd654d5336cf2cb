"""Conversation memory and the run log.

A conversation (a CLI session, a Slack thread, a web chat) keeps its messages in order, so
follow-ups ("only the ones in SF") are read in the light of what came before. Every agent run is
logged with its question, tool calls, answer, backend and duration: an answer can always be traced
back to the calls behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from leadpilot.memory.models import Base


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. "cli:…", "slack:T1:C1:169…", "web:…"
    channel: Mapped[str] = mapped_column(String(16))
    user_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conversation_messages_conv_pos", "conversation_id", "position", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()
    message: Mapped[dict[str, Any]] = mapped_column()  # a LangChain message as a dict


class AgentRun(Base):
    """One question answered: what was asked, which tools ran with which arguments, what came back."""

    __tablename__ = "agent_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_email: Mapped[str | None] = mapped_column(String(254))
    backend: Mapped[str] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    tool_calls: Mapped[list[Any]] = mapped_column(default=list)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


def ensure_conversation(session: Session, *, conversation_id: str, channel: str, user_email: str | None, at: datetime) -> None:
    """Create the conversation on its first turn (Core statements: no ORM objects to flush)."""
    if session.scalar(select(Conversation.id).where(Conversation.id == conversation_id)) is None:
        session.execute(
            insert(Conversation).values(id=conversation_id, channel=channel, user_email=user_email, created_at=at, updated_at=at)
        )


def load_messages(session: Session, *, conversation_id: str, limit: int = 40) -> list[dict[str, Any]]:
    """The last `limit` messages of a conversation, oldest first."""
    query = (
        select(ConversationMessage.message)
        .where(ConversationMessage.conversation_id == conversation_id)
        .order_by(ConversationMessage.position.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))


def append_messages(session: Session, *, conversation_id: str, messages: Sequence[dict[str, Any]], at: datetime) -> None:
    """Append `messages` after the conversation's last one: one multi-row insert, no ORM objects."""
    last = session.scalar(
        select(func.max(ConversationMessage.position)).where(ConversationMessage.conversation_id == conversation_id)
    )
    position = (last if last is not None else -1) + 1
    if messages:
        session.execute(
            insert(ConversationMessage),
            [
                {"conversation_id": conversation_id, "position": position + offset, "at": at, "message": message}
                for offset, message in enumerate(messages)
            ],
        )
    session.execute(update(Conversation).where(Conversation.id == conversation_id).values(updated_at=at))


def log_run(session: Session, **fields: Any) -> int:
    """Record one agent run (the AgentRun columns as keywords); returns its id.

    A Core insert with the values as parameters: its compiled form is cached, where an ORM
    `insert().values(...)` coerces every value into the statement on each run."""
    return session.connection().execute(AgentRun.__table__.insert(), fields).inserted_primary_key[0]


def recent_runs(session: Session, *, limit: int = 20) -> Sequence[AgentRun]:
    return session.scalars(select(AgentRun).order_by(AgentRun.at.desc(), AgentRun.id.desc()).limit(limit)).all()
