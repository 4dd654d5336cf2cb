"""Explaining a breakdown in words: its top reasons, one line per category, why a score changed, and
that a lead is not the tier a question asked about."""

from __future__ import annotations

from typing import Any

from leadpilot.tools.scoring.engine import _label
from leadpilot.tools.scoring.grid import ENGAGEMENT_CATEGORIES
from leadpilot.tools.scoring.semantic import closest_accounts


TIERS = ("hot", "warm", "cold")


def not_the_tier(name: str, *, score: float | None, tier: str | None, asked: str | None) -> str | None:
    """'Northgate Capital is warm (38), not hot.' when asked why a lead is a tier it is not ("why is
    Northgate Capital hot?"); None when it is that tier or the question asked about no tier."""
    if asked not in TIERS or (tier == asked and score is not None):
        return None
    if score is None:
        return f"{name} is not {asked}: it has no score yet."
    return f"{name} is {tier or 'without a tier'} ({score:g}), not {asked}."


def top_reasons(breakdown: dict[str, Any] | None, *, limit: int = 3) -> list[str]:
    """The rules that added the most points, as "label +points" (a rule's points at most its
    category's cap: "meeting ×4 (decayed) +60", not the 98.7 it earned before the cap)."""
    if not breakdown:
        return []
    rules = [(rule["label"], rule["points"] if category.get("cap") is None else min(rule["points"], category["cap"]))
             for category in breakdown.get("categories", {}).values() for rule in category.get("rules", [])]
    rules.sort(key=lambda rule: -rule[1])
    return [f"{label} +{points}" for label, points in rules[:limit] if points]


def breakdown_lines(breakdown: dict[str, Any]) -> list[str]:
    """One line per axis (under a grid policy), then one per category, e.g. "source +25 (cap 25):
    referral source +25"; the semantic
    category also names its closest accounts: "...; closest: Corpcard Co (converted, 0.71), ..."."""
    lines = axis_lines(breakdown)
    for name, category in breakdown.get("categories", {}).items():
        cap = f"capped at {category['cap']}, earned {category['uncapped']}" if "uncapped" in category else f"cap {category['cap']}"
        rules = ", ".join(f"{rule['label']} +{rule['points']}" for rule in category["rules"]) or "nothing"
        if category.get("neighbours"):
            rules += "; closest: " + closest_accounts(category["neighbours"])
        lines.append(f"{_label(name)} +{category['points']} ({cap}): {rules}")
    total_cap = breakdown.get("total_cap")
    if total_cap is not None and breakdown.get("total", 0) > total_cap:
        lines.append(f"total {breakdown['total']} capped at {total_cap}")
    return lines


def axes_sentence(breakdown: dict[str, Any] | None) -> str | None:
    """ "fit 72 (A), engagement 30 (level 3): cell A3" for a grid breakdown, None for a one-score one."""
    axes = (breakdown or {}).get("axes")
    if not axes:
        return None
    fit, engagement = axes["fit"], axes["engagement"]
    return (
        f"fit {fit['score']} ({fit['grade']}), engagement {engagement['score']} (level {engagement['level']}):"
        f" cell {breakdown['cell']}"  # type: ignore[index]
    )


def axis_lines(breakdown: dict[str, Any] | None) -> list[str]:
    """One line per axis with the categories it sums: "fit 72/100, grade A (A from 65): source +30, ..."."""
    if not breakdown or not breakdown.get("axes"):
        return []
    grid, lines = breakdown.get("grid") or {}, []
    for axis, mark, noun in (("fit", "grade", "grade"), ("engagement", "level", "level")):
        entry = breakdown["axes"][axis]
        names = [n for n in breakdown.get("categories", {}) if (n in ENGAGEMENT_CATEGORIES) == (axis == "engagement")]
        parts = ", ".join(f"{_label(n)} +{breakdown['categories'][n]['points']}" for n in names) or "nothing"
        lowest = (grid.get(axis) or {}).get(entry[mark])
        since = f" ({noun} {entry[mark]} from {lowest})" if lowest is not None else ""
        lines.append(f"{axis} {entry['score']}/100, {noun} {entry[mark]}{since}: {parts}")
    return lines


def _summary(breakdown: dict[str, Any]) -> str:
    if (axes := axes_sentence(breakdown)) is not None:
        hot = ", ".join(breakdown.get("grid", {}).get("hot", []))
        return f"{breakdown['score']}, {breakdown['tier']} ({axes}; hot cells {hot}), policy {breakdown['policy_version']}"
    tiers = breakdown.get("tiers", {})
    thresholds = f" (hot from {tiers['hot']}, warm from {tiers['warm']})" if tiers else ""
    return f"{breakdown['score']}, {breakdown['tier']}{thresholds}, policy {breakdown['policy_version']}"


def _category_points(breakdown: dict[str, Any] | None) -> dict[str, float]:
    if not breakdown:
        return {}
    return {name: category.get("points", 0) for name, category in breakdown.get("categories", {}).items()}


def change_reason(
    *, actor: str, version: str, new_points: dict[str, int | float], old: dict[str, Any] | None, limit: int = 3
) -> str:
    """Why a score changed: the policy version and the categories that moved most.

    `new_points` are the new points per category; `old` is the previous breakdown (None: first score).
    E.g. "rescore: policy 4d5e6f7a8b9c (was ce2f9070d9e8); source 25→10, engagement 4.2→0"; a
    category only one side has reads "none" on the other: "semantic none→18" (newly indexed).
    """
    if not old:
        return f"{actor}: first score, policy {version}"  # the breakdown itself lists every category
    old_version = old.get("policy_version")
    head = f"{actor}: policy {version}" + (f" (was {old_version})" if old_version and old_version != version else "")
    old_points = _category_points(old)
    moved = []
    for name in dict.fromkeys([*new_points, *old_points]):
        before, after = old_points.get(name), new_points.get(name)
        if before != after:
            shown = "none" if before is None else before, "none" if after is None else after
            moved.append((abs((after or 0) - (before or 0)), f"{_label(name)} {shown[0]}→{shown[1]}"))
    moved.sort(key=lambda item: -item[0])
    parts = [text for _, text in moved[:limit]]
    return head + (f"; {', '.join(parts)}" if parts else "")


def rules_and_model(
    *, tier: str | None, breakdown: dict[str, Any] | None, probability: float | None, priority: str | None
) -> str | None:
    """One story for a lead with a rule tier and a model probability: a sentence when they disagree
    (hot on rules while the model ranks it medium or low; cold on rules while it ranks it top or
    high), e.g. "hot on rules, 6% by the model: no engagement yet"; None when they agree or either
    is missing. `priority` is the model's tier (top, high, medium, low)."""
    if tier is None or probability is None or priority is None:
        return None
    if tier == "hot" and priority in ("medium", "low"):
        head = f"hot on rules, {_percent(probability)} by the model ({priority} priority)"
    elif tier == "cold" and priority in ("top", "high"):
        head = f"cold on rules, but {_percent(probability)} by the model ({priority} priority)"
    else:
        return None
    return f"{head}: {_why_apart(tier, breakdown)}"


def _percent(probability: float) -> str:
    return f"{probability:.0%}" if probability >= 0.005 else "under 1%"


def _why_apart(tier: str, breakdown: dict[str, Any] | None) -> str:
    axes = (breakdown or {}).get("axes")
    if not axes:
        return "the rules weigh the profile; the model learned from your won and lost leads what converts"
    grade, level = axes["fit"]["grade"], axes["engagement"]["level"]
    if tier == "hot":
        if level in ("3", "4"):
            return "no engagement yet" if level == "4" else "little engagement yet"
        return (f"fit {grade} and engagement level {level} on the rules, but leads like it rarely converted in your "
                "history (see its factors: leadpilot predict)")
    if level == "4":
        return f"no engagement yet, but the model rates its profile (fit {grade} on the rules) — worth a first touch"
    return f"fit {grade}, engagement level {level} on the rules; the model sees more in it (see its factors: leadpilot predict)"
