"""Build the deps of one agent run from what an interface knows: the store and who is asking."""

from __future__ import annotations

from leadpilot.agent.deps import AgentDeps
from leadpilot.clock import clock_from_settings
from leadpilot.memory.db import Database
from leadpilot.memory.reps import get_rep
from leadpilot.settings import get_settings
from leadpilot.tools.leads import Viewer


class UnknownUserError(LookupError):
    pass


def viewer_for(db: Database, *, email: str | None = None, slack_user_id: str | None = None) -> Viewer:
    """The viewer for a rep (by email or Slack id); no identity at all = the local administrator."""
    if email is None and slack_user_id is None:
        return Viewer(role="admin")
    with db.session() as session:
        rep = get_rep(session, email=email) if email is not None else get_rep(session, slack_user_id=slack_user_id)
        if rep is None:
            who = email or f"Slack user {slack_user_id}"
            raise UnknownUserError(f"{who} is not a rep in Leadpilot; ask an admin to add them (leadpilot reps).")
        role = rep.role if rep.role in ("admin", "manager", "rep") else "rep"
        return Viewer(email=rep.email, rep_id=rep.id, role=role, name=rep.name)


def make_deps(db: Database, *, viewer: Viewer, conversation_id: str | None = None, channel: str = "cli") -> AgentDeps:
    settings = get_settings()
    return AgentDeps(
        db=db,
        settings=settings,
        now=clock_from_settings(settings).now(),
        viewer=viewer,
        conversation_id=conversation_id,
        channel=channel,
    )
