"""Explaining a breakdown in words: its top reasons, one line per category, and why a score changed."""

from __future__ import annotations

from typing import Any

from leadpilot.tools.scoring.engine import _label
from leadpilot.tools.scoring.semantic import closest_accounts


def top_reasons(breakdown: dict[str, Any] | None, *, limit: int = 3) -> list[str]:
    """The rules that added the most points, as "label +points"."""
    if not breakdown:
        return []
    rules = [rule for category in breakdown.get("categories", {}).values() for rule in category.get("rules", [])]
    rules.sort(key=lambda rule: -rule["points"])
    return [f"{rule['label']} +{rule['points']}" for rule in rules[:limit] if rule["points"]]


def breakdown_lines(breakdown: dict[str, Any]) -> list[str]:
    """One line per category, e.g. "source +25 (cap 25): referral source +25"; the semantic
    category also names its closest accounts: "...; closest: Corpcard Co (converted, 0.71), ..."."""
    lines = []
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


def _summary(breakdown: dict[str, Any]) -> str:
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
