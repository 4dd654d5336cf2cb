"""A rule's ordered backup in words ("Maya Okafor is out of office; Ben Hollis took it as the first
backup"): who in one step of the rule could not take the lead, and why, in a RevOps lead's words.
The engine tries the steps (policy_sections.Rule.backup_steps); this only says what happened.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadpilot.tools.routing.decision import Verdict
from leadpilot.tools.routing.policy_sections import Rule

# A hard block's code (engine.hard_blocks) as "Maya Okafor is ..." says it.
CODE_WORDS = {
    "inactive": "inactive", "out_of_office": "out of office", "at_capacity": "at capacity", "daily_cap": "at the daily cap",
    "after_hours": "off shift", "language": "without the lead's language", "sla_missed": "barred for a missed SLA",
    "where": "outside the pool's where", "weight_zero": "weighted 0 in the pool", "unknown_rep": "not in the roster",
}
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(n: int) -> str:
    return ORDINALS[n - 1] if 0 < n <= len(ORDINALS) else f"{n}th"


def _why(verdict: Verdict) -> str:
    return " and ".join(dict.fromkeys(CODE_WORDS.get(code, code.replace("_", " ")) for code in verdict.codes)) or "unavailable"


def nobody_text(step: Rule, verdicts: Sequence[Verdict]) -> str:
    """Why one step (the rule's own target or a backup) had nobody: "Maya Okafor is out of office",
    "nobody in pool dach-share can take it (Lukas Brandt: out of office; Hannah Vogel: at capacity)"."""
    if step.route_to.rep is not None:
        return "; ".join(f"{v.name} is {_why(v)}" for v in verdicts) or f"{step.route_to.rep} cannot take it"
    said = "; ".join(f"{v.name}: {_why(v)}" for v in verdicts)
    return f"nobody in pool {step.route_to.pool} can take it" + (f" ({said})" if said else " (no members)")
