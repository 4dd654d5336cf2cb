"""The score card's builders, pure (no store, no server): a fit × engagement breakdown scored by the
shipped policy becomes a card with both axes, the grid cell in words, each axis's top reasons and,
with a trained model, its probability and the disagreement sentence — drawn as Slack Block Kit
(checked by the Slack SDK's own models) and as the web chat's Markdown, without internal ids."""

from __future__ import annotations

import json
from datetime import timedelta

from slack_sdk.models.blocks import Block

from leadpilot.interfaces.score_card import from_breakdown, from_explanation, from_lead
from leadpilot.interfaces.slack import blocks as slack_blocks
from leadpilot.interfaces.web import render
from leadpilot.tools.scoring import ENGAGEMENT_CATEGORIES, cell_meaning, rules_and_model
from leadpilot.tools.scoring.facts import ActivityFacts, LeadFacts
from leadpilot.tools.scoring.policy import load_policy
from leadpilot.tools.scoring.rules import score_lead

from conftest import NOW

PERFECT = LeadFacts(email="ana@ledgerly.io", company="Ledgerly", job_title="CFO", industry="fintech", company_size=5000, source="referral")
BUSY = [ActivityFacts(kind="meeting", occurred_at=NOW - timedelta(days=1), direction="outbound"),
        ActivityFacts(kind="meeting", occurred_at=NOW - timedelta(days=3), direction="outbound"),
        ActivityFacts(kind="page_view", occurred_at=NOW - timedelta(days=1), detail="/pricing"),
        ActivityFacts(kind="form_submit", occurred_at=NOW - timedelta(days=2), detail="/demo-request")]


def _scored(activities):
    result = score_lead(lead=PERFECT, activities=activities, policy=load_policy(), now=NOW)
    return result.breakdown


def _rule_labels(breakdown, *, engagement: bool) -> set[str]:
    return {rule["label"] for name, category in breakdown["categories"].items() if (name in ENGAGEMENT_CATEGORIES) == engagement
            for rule in category["rules"] if rule["points"]}


def test_the_card_has_both_axes_the_cell_in_words_and_each_axis_reasons():
    breakdown = _scored(BUSY)
    card = from_breakdown(lead_id=7, company="Ledgerly", score=breakdown["score"], tier=breakdown["tier"], breakdown=breakdown)
    fit, engagement = card.axes
    axes = breakdown["axes"]
    assert (fit.name, fit.score, fit.mark) == ("fit", axes["fit"]["score"], axes["fit"]["grade"])
    assert (engagement.name, engagement.score, engagement.mark) == ("engagement", axes["engagement"]["score"], axes["engagement"]["level"])
    assert card.cell == breakdown["cell"] and card.cell_line.startswith(f"Cell {card.cell}: {cell_meaning(card.cell)}")
    assert cell_meaning("A1") == "strong fit, highly engaged" and cell_meaning("D4") == "weak fit, not engaged yet"
    # Each axis's reasons come from its own categories, biggest first, never above the category's cap.
    for axis, wanted in ((fit, False), (engagement, True)):
        assert axis.reasons and {r.rsplit(" (+", 1)[0] for r in axis.reasons} <= _rule_labels(breakdown, engagement=wanted)
        points = [float(r.rsplit("(+", 1)[1].rstrip(")")) for r in axis.reasons]
        assert points == sorted(points, reverse=True)
    assert max(float(r.rsplit("(+", 1)[1].rstrip(")")) for r in card.reasons) <= max(c["cap"] for c in breakdown["categories"].values())
    weights = breakdown["grid"]["score"]
    assert card.combined_note == f"combined: {weights['fit']}% fit, {weights['engagement']}% engagement"


def test_block_kit_and_markdown_cards_show_the_axes_and_the_model_without_ids():
    busy = _scored(BUSY)  # hot on rules; the model gives it 6%: the card says they disagree
    assert busy["tier"] == "hot"
    story = rules_and_model(tier="hot", breakdown=busy, probability=0.06, priority="low")
    assert story and story.startswith("hot on rules, 6% by the model (low priority)")
    result = {"kind": "score", "lead_id": 7, "company": "Ledgerly", "score": busy["score"], "tier": busy["tier"], "breakdown": busy,
              "model": {"probability": 0.06, "priority": "low", "story": story}}
    card = from_explanation(result)
    assert card.model is not None and card.model.sentence == "The model: 6% likely to convert (low priority)."
    fit, engagement = busy["axes"]["fit"], busy["axes"]["engagement"]
    cell = f"Cell {busy['cell']}: {cell_meaning(busy['cell'])}"
    fit_line = f"Fit {fit['score']} of 100, grade {fit['grade']} ({cell_meaning(busy['cell']).split(', ')[0]})"
    engagement_line = f"Engagement {engagement['score']:g} of 100, level {engagement['level']} ({cell_meaning(busy['cell']).split(', ')[1]})"

    slack = slack_blocks.score_card_blocks(card)
    head = slack[0]["text"]["text"]
    assert f"*{cell} (hot: {', '.join(busy['grid']['hot'])})*" in head
    assert f"*{fit_line}*" in head and f"*{engagement_line}*" in head
    assert card.model.sentence in head and f"_H{story[1:]}._" in head
    for axis in card.axes:
        assert all(slack_blocks.escape(reason) in head for reason in axis.reasons)
    for block in slack:
        Block.parse(block).to_dict()  # within Slack's limits

    web = render.score_card(card)
    assert f"**{render.md(cell)}" in web and f"- **{render.md(fit_line)}**" in web and f"- **{render.md(engagement_line)}**" in web
    assert render.md(card.model.sentence) in web and f"_{render.md('H' + story[1:])}._" in web
    assert web.index("**Cell ") < web.index("| category | points | of its cap |")  # the axes come first
    for text in (json.dumps(slack), web):
        assert busy["policy_version"] not in text and "capped at" not in text and "earned" not in text


def test_a_card_without_a_model_or_a_grid_stays_as_it_was():
    breakdown = {"policy_version": "abc123def456", "tiers": {"hot": 70, "warm": 40},
                 "categories": {"source": {"points": 25, "cap": 25, "rules": [{"label": "referral source", "points": 25}]}}}
    card = from_lead({"id": 3, "company": "Acme", "score": 80, "tier": "hot", "score_breakdown": breakdown})
    assert card.axes == () and card.cell_line is None and card.model is None
    assert "Cell " not in render.score_card(card) and "Cell " not in json.dumps(slack_blocks.score_card_blocks(card))
    # A lead row with a stored probability (a closed lead's is not shown: its outcome is what counts).
    assert from_lead({"id": 3, "score": 80, "tier": "hot", "score_breakdown": breakdown, "conversion_probability": 0.3}).model.probability == 0.3
    assert from_lead({"id": 3, "stage": "LOST", "score_breakdown": breakdown, "conversion_probability": 0.3}).model is None
