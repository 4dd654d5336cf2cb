"""A lead's score as a card a rep reads: tier and score, the points per category against their cap,
and the top reasons in words — built from a stored score breakdown (`explain_score`'s result, or a
lead's `score_breakdown`) for the web chat (web/render.py) and Slack (slack/blocks.py) to draw.

Pure data, no UI: no policy versions or rule internals ("capped at 10, earned 20") on the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TIER_ORDER = ("hot", "warm", "cold")


@dataclass(frozen=True)
class CategoryPoints:
    label: str  # "company size"
    points: float
    cap: float | None

    @property
    def share(self) -> float:
        """Points as a share of the cap (0-1), for a bar."""
        if not self.cap:
            return 0.0
        return max(0.0, min(1.0, self.points / self.cap))


@dataclass(frozen=True)
class ScoreCard:
    lead_id: int
    company: str | None
    score: int | None
    tier: str | None
    thresholds: dict[str, int] = field(default_factory=dict)  # {"hot": 70, "warm": 40}
    categories: tuple[CategoryPoints, ...] = ()
    reasons: tuple[str, ...] = ()  # "1,000+ employees (+25)", biggest first
    outcome: str | None = None  # "Won on 5 Aug 2026 — this is a customer."
    others: str | None = None  # "Acme has 3 leads; this is the open one."

    @property
    def title(self) -> str:
        return f"{self.company or 'Lead ' + str(self.lead_id)} (lead {self.lead_id})"

    @property
    def headline(self) -> str:
        """'hot · 91 of 100' or 'not scored yet'."""
        if self.score is None:
            return "not scored yet"
        return f"{self.tier or 'no tier'} · {self.score} of 100"

    @property
    def threshold_note(self) -> str:
        """'hot from 70, warm from 40' (empty when unknown)."""
        return ", ".join(f"{tier} from {self.thresholds[tier]}" for tier in TIER_ORDER if tier in self.thresholds)


def number(value: float) -> str:
    """Points as a rep reads them: 25, 0.9."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _categories(breakdown: Mapping[str, Any]) -> tuple[CategoryPoints, ...]:
    found = [
        CategoryPoints(label=str(name).replace("_", " "), points=category.get("points", 0) or 0, cap=category.get("cap"))
        for name, category in (breakdown.get("categories") or {}).items()
    ]
    return tuple(sorted(found, key=lambda c: (-c.points, c.label)))


def _reasons(breakdown: Mapping[str, Any], limit: int) -> tuple[str, ...]:
    rules = [rule for category in (breakdown.get("categories") or {}).values() for rule in category.get("rules") or []]
    rules = sorted((r for r in rules if r.get("points")), key=lambda r: -r["points"])
    return tuple(f"{rule['label']} (+{number(rule['points'])})" for rule in rules[:limit])


def from_breakdown(
    *, lead_id: int, company: str | None, score: int | None, tier: str | None, breakdown: Mapping[str, Any] | None,
    outcome: str | None = None, others: str | None = None, reasons: int = 3,
) -> ScoreCard:
    """The card for a lead with this stored breakdown (None: not scored yet)."""
    breakdown = breakdown or {}
    thresholds = {k: v for k, v in (breakdown.get("tiers") or {}).items() if isinstance(v, int | float)}
    return ScoreCard(lead_id=lead_id, company=company, score=score, tier=tier, thresholds=thresholds,
                     categories=_categories(breakdown), reasons=_reasons(breakdown, reasons), outcome=outcome, others=others)


def from_explanation(result: Mapping[str, Any]) -> ScoreCard | None:
    """The card for an `explain_score` tool result (its artifact); None for an error or a
    "which one?" answer."""
    if result.get("kind") not in (None, "score") or "lead_id" not in result:
        return None
    chosen, other_leads, named = result.get("chosen"), result.get("other_leads") or [], result.get("named")
    others = None
    if chosen and other_leads and named:
        from leadpilot.agent.toolbox.common import brief_line

        which = "the open one" if not chosen.get("outcome") else "the latest to close"
        listed = "; ".join(brief_line(lead, named=named) for lead in other_leads[:5])
        more = f"; and {len(other_leads) - 5} more" if len(other_leads) > 5 else ""
        others = f"{named} has {len(other_leads) + 1} leads; this is {which}. The others: {listed}{more}."
    return from_breakdown(lead_id=result["lead_id"], company=result.get("company"), score=result.get("score"),
                          tier=result.get("tier"), breakdown=result.get("breakdown"),
                          outcome=result.get("outcome_sentence"), others=others)


def from_lead(lead: Mapping[str, Any]) -> ScoreCard:
    """The card for a lead profile (`get_lead`'s lead, a Slack row's lead)."""
    return from_breakdown(lead_id=lead["id"], company=lead.get("company") or lead.get("contact_name"), score=lead.get("score"),
                          tier=lead.get("tier"), breakdown=lead.get("score_breakdown"))


def bar(share: float, width: int = 10) -> str:
    """A text bar: '██████░░░░' for 0.6."""
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)
