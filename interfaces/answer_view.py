"""What every chat surface reads off an answer besides its text (Slack blocks, the web chat)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def list_offset(tool_calls: Sequence[dict[str, Any]]) -> int:
    """Where the answer's leads start in the whole list: a typed "next page" searched from `offset`."""
    searches = [call for call in tool_calls if call.get("name") == "search_leads"]
    if not searches:
        return 0
    offset = (searches[-1].get("args") or {}).get("offset") or 0
    return offset if isinstance(offset, int) and offset > 0 else 0
