"""Slack user -> Leadpilot rep. A Slack account linked to a rep (reps.slack_user_id) asks as that
rep: "my leads" are theirs and they see only what they may. Anyone else gets a clear message."""

from __future__ import annotations

import asyncio

from leadpilot.interfaces.deps_factory import UnknownUserError, viewer_for
from leadpilot.memory.db import Database
from leadpilot.tools.leads import Viewer


def unknown_user_text(user_id: str) -> str:
    return (
        f"Sorry <@{user_id}>, your Slack account is not linked to a rep in Leadpilot, so I can't show you leads. "
        f"Ask an admin to add your Slack member ID (`{user_id}`) to your rep record (the reps' `slack_user_id`)."
    )


def viewer_for_slack_user(db: Database, user_id: str) -> Viewer | None:
    """The rep linked to this Slack user, or None when there is none. Never the admin view."""
    if not user_id:
        return None
    try:
        return viewer_for(db, slack_user_id=user_id)
    except UnknownUserError:
        return None


async def resolve_viewer(db: Database, user_id: str) -> Viewer | None:
    return await asyncio.to_thread(viewer_for_slack_user, db, user_id)
