"""What one agent run depends on: the store, settings, the clock's now, and who is asking.

Built by each interface per run and passed to the agent; tools read it from the run's context.
Nothing here is global: two runs for two users never share a viewer or a clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import core_schema
from sqlalchemy.orm import Session

from leadpilot.memory.db import Database
from leadpilot.settings import Settings
from leadpilot.tools.leads import Viewer


@dataclass(frozen=True)
class AgentDeps:
    db: Database
    settings: Settings
    now: datetime
    viewer: Viewer
    conversation_id: str | None = None
    channel: str = "cli"

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        """Checked by type only. LangChain builds a pydantic schema for every tool's runtime argument,
        which holds these deps: without this, pydantic would derive one from the store, the engine
        and the settings inside, for each tool, at import (cold start)."""
        return core_schema.is_instance_schema(cls)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session with the configured statement timeout."""
        with self.db.read_only(timeout_ms=self.settings.query_timeout_ms) as session:
            yield session
