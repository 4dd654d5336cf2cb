"""Announce a new hot lead in the alert channel, with Assign / Snooze buttons.

The capture pipeline calls `post_hot_lead_alert` after scoring a new lead hot. It works with
either Slack client: with a `WebClient` it posts and returns the response; with an
`AsyncWebClient` it returns the awaitable (``await post_hot_lead_alert(...)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadpilot.interfaces.slack.blocks import hot_lead_alert_blocks, hot_lead_alert_text


def post_hot_lead_alert(client: Any, *, channel: str, lead_row: Mapping[str, Any]) -> Any:
    """Post the alert for one lead (a row as the lead tools return it: id, company, score, ...)."""
    return client.chat_postMessage(
        channel=channel, text=hot_lead_alert_text(lead_row), blocks=hot_lead_alert_blocks(lead_row), unfurl_links=False
    )
