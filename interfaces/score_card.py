"""A lead's score as a card a rep reads: tier and score; under a fit × engagement policy the two
axes (score, grade or level in words, each axis's top reasons) and the grid cell with its meaning
("A1: strong fit, highly engaged"); the points per category against their cap; the top reasons in
words; and, where a trained model exists, its probability and the sentence saying when the rules
and the model disagree. Built from a stored score breakdown (`explain_score`'s result, or a lead's
`score_breakdown`) for the web chat (web/render.py) and Slack (slack/blocks.py) to draw.

Pure data, no UI: no policy versions or rule internals ("capped at 10, earned 20") on the card; a
rule's points are shown at most at its category's cap.
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
class AxisCard:
    """One axis of a fit × engagement score."""

    name: str  # fit | engagement
    score: float  # 0-100
    mark: str  # the fit grade (A-D) or the engagement level (1-4)
    meaning: str  # "strong fit", "highly engaged"
    reasons: tuple[str, ...] = ()  # this axis's top reasons, biggest first

    @property
    def share(self) -> float:
        return max(0.0, min(1.0, self.score / 100))

    @property
    def heading(self) -> str:
        """'Fit 70 of 100, grade A (strong fit)'."""
        noun = "grade" if self.name == "fit" else "level"
        return f"{self.name.capitalize()} {number(self.score)} of 100, {noun} {self.mark} ({self.meaning})"


@dataclass(frozen=True)
class ModelView:
    """The trained model's view of an open lead."""

    probability: float
    priority: str | None = None  # top | high | medium | low
    story: str | None = None  # "hot on rules, 6% by the model (low priority): no engagement yet"

    @property
    def sentence(self) -> str:
        """'The model: 62% likely to convert (high priority).'"""
        shown = f"{self.probability:.0%}" if self.probability >= 0.005 else "under 1%"
        return f"The model: {shown} likely to convert" + (f" ({self.priority} priority)." if self.priority else ".")

    @property
    def disagreement(self) -> str | None:
        """'Hot on rules, 6% by the model (low priority): no engagement yet.' (None when they agree)."""
        return f"{self.story[0].upper()}{self.story[1:]}." if self.story else None


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
    cell: str | None = None  # "A1" under a fit × engagement policy
    axes: tuple[AxisCard, ...] = ()  # fit, then engagement
    hot_cells: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)  # the combined score's weight per axis: {"fit": 40, "engagement": 60}
    model: ModelView | None = None
    asked: str | None = None  # the tier the question asked about ("why is X hot?"): the card says when it is not that

    @property
    def not_asked(self) -> str | None:
        """'Northgate Capital is warm (37), not hot.' when asked why a lead is a tier it is not (None otherwise)."""
        from leadpilot.tools.scoring import not_the_tier

        return not_the_tier(self.company or f"Lead {self.lead_id}", score=self.score, tier=self.tier, asked=self.asked)

    @property
    def combined_note(self) -> str:
        """'combined: 40% fit, 60% engagement' (empty for a one-score policy)."""
        total = sum(self.weights.values())
        if not self.axes or not total:
            return ""
        return "combined: " + ", ".join(f"{100 * self.weights[a.name] / total:.0f}% {a.name}" for a in self.axes if a.name in self.weights)

    @property
    def cell_line(self) -> str | None:
        """'Cell A1: strong fit, highly engaged (hot: A1, A2, B1, B2)'; None for a one-score policy."""
        if not self.cell:
            return None
        from leadpilot.tools.scoring import cell_meaning

        hot = f" (hot: {', '.join(self.hot_cells)})" if self.hot_cells else ""
        return f"Cell {self.cell}: {cell_meaning(self.cell)}{hot}"

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


def _reasons(breakdown: Mapping[str, Any], limit: int, *, only: Any = None) -> tuple[str, ...]:
    """The rules that added the most points (of the categories `only` accepts), each at most its category's cap."""
    rules = [(rule, category.get("cap")) for name, category in (breakdown.get("categories") or {}).items()
             if only is None or only(name) for rule in category.get("rules") or []]
    shown = [(rule["label"], min(rule["points"], cap) if cap is not None else rule["points"]) for rule, cap in rules if rule.get("points")]
    shown.sort(key=lambda item: -item[1])
    return tuple(f"{label} (+{number(round(points, 1))})" for label, points in shown[:limit])


def _axes(breakdown: Mapping[str, Any], limit: int) -> tuple[AxisCard, ...]:
    axes = breakdown.get("axes")
    if not axes:
        return ()
    from leadpilot.tools.scoring import ENGAGEMENT_CATEGORIES, ENGAGEMENT_WORDS, FIT_WORDS

    fit, engagement = axes.get("fit") or {}, axes.get("engagement") or {}
    return (
        AxisCard("fit", fit.get("score", 0), str(fit.get("grade")), FIT_WORDS.get(str(fit.get("grade")), "?"),
                 _reasons(breakdown, limit, only=lambda name: name not in ENGAGEMENT_CATEGORIES)),
        AxisCard("engagement", engagement.get("score", 0), str(engagement.get("level")), ENGAGEMENT_WORDS.get(str(engagement.get("level")), "?"),
                 _reasons(breakdown, limit, only=lambda name: name in ENGAGEMENT_CATEGORIES)),
    )


def _model(model: Mapping[str, Any] | None) -> ModelView | None:
    if not model or model.get("probability") is None:
        return None
    return ModelView(probability=float(model["probability"]), priority=model.get("priority"), story=model.get("story"))


def from_breakdown(
    *, lead_id: int, company: str | None, score: int | None, tier: str | None, breakdown: Mapping[str, Any] | None,
    outcome: str | None = None, others: str | None = None, reasons: int = 3, model: Mapping[str, Any] | None = None,
    asked: str | None = None,
) -> ScoreCard:
    """The card for a lead with this stored breakdown (None: not scored yet); `model` is the trained
    model's view of it ({"probability", "priority", "story"}), when there is one."""
    breakdown = breakdown or {}
    thresholds = {k: v for k, v in (breakdown.get("tiers") or {}).items() if isinstance(v, int | float)}
    axes = _axes(breakdown, reasons)
    return ScoreCard(lead_id=lead_id, company=company, score=score, tier=tier, thresholds=thresholds,
                     categories=_categories(breakdown), reasons=_reasons(breakdown, reasons), outcome=outcome, others=others,
                     cell=breakdown.get("cell") if axes else None, axes=axes,
                     hot_cells=tuple((breakdown.get("grid") or {}).get("hot") or ()),
                     weights={k: v for k, v in ((breakdown.get("grid") or {}).get("score") or {}).items() if isinstance(v, int | float)},
                     model=_model(model), asked=asked if asked in TIER_ORDER else None)


def from_explanation(result: Mapping[str, Any]) -> ScoreCard | None:
    """The card for an `explain_score` tool result (its artifact, with `asked_tier` when the question
    asked about a tier: agent/runner.py); None for an error or a "which one?" answer."""
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
                          outcome=result.get("outcome_sentence"), others=others, model=result.get("model"),
                          asked=result.get("asked_tier"))


def from_lead(lead: Mapping[str, Any]) -> ScoreCard:
    """The card for a lead profile (`get_lead`'s lead, a Slack row's lead)."""
    model = lead.get("model") or ({"probability": lead["conversion_probability"]} if lead.get("conversion_probability") is not None
                                  and lead.get("stage") not in ("CUSTOMER", "LOST") else None)
    return from_breakdown(lead_id=lead["id"], company=lead.get("company") or lead.get("contact_name"), score=lead.get("score"),
                          tier=lead.get("tier"), breakdown=lead.get("score_breakdown"), model=model)


def bar(share: float, width: int = 10) -> str:
    """A text bar: '██████░░░░' for 0.6."""
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)
