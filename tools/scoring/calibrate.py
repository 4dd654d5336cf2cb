"""Calibrating the rule policy on the team's own history (`leadpilot calibrate`).

For the policy in force: each tier's share of the open leads and its conversion on closed history
(counts and a Wilson 95% interval), the rule score's AUC, and grid thresholds proposed to hit the
targets in the policy's `calibration` section (hot ≈ `hot_share` of the open leads, converting at
least `hot_lift` × the overall rate). Learned category weights (an L2-regularised logistic fit of
the categories' points to outcomes) are a proposal only: nothing here changes the policy except
`apply_proposal` (the CLI's `--write`): it writes the thresholds to the policy file and records a
policy-level audit entry (who, when, thresholds and version before and after, the numbers that
justified it); the re-score after it audits every lead it moves.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from leadpilot.memory.audit import record_policy_change
from leadpilot.tools.scoring.history import ScoredHistory, rule_score_auc, score_history
from leadpilot.tools.scoring.grid import ENGAGEMENT_CATEGORIES, ENGAGEMENT_LEVELS, FIT_GRADES, Grid
from leadpilot.tools.scoring.policy import PolicyError, PolicyProblem, ScoringPolicy, parse_policy

if TYPE_CHECKING:
    from leadpilot.tools.semantic import SemanticIndex

TIERS = ("hot", "warm", "cold")
HISTORY_NOTE = "closed leads are scored as of their outcome date, without the semantic category; open leads as a re-score scores them"
_MIN_HOT_CLOSED = 20  # a hot tier judged on fewer closed leads is not a result


def wilson_interval(successes: int, total: int, *, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval (95% by default) of a rate; None for no observations."""
    if total <= 0:
        return None
    rate = successes / total
    denominator = 1 + z * z / total
    centre = (rate + z * z / (2 * total)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class TierRow:
    tier: str
    open_leads: int
    open_share: float
    closed_leads: int
    converted: int
    conversion: float | None
    interval: tuple[float, float] | None  # Wilson 95%
    lift: float | None  # conversion / the overall rate


@dataclass(frozen=True)
class Thresholds:
    """Grid thresholds: fit grades A, B, C and engagement levels 1, 2, 3."""

    fit: tuple[int, int, int]
    engagement: tuple[int, int, int]

    @classmethod
    def of(cls, grid: Grid) -> Thresholds:
        levels = grid.engagement
        return cls((grid.fit.A, grid.fit.B, grid.fit.C), (levels.level_1, levels.level_2, levels.level_3))

    def describe(self) -> str:
        fit = ", ".join(f"{g} {v}" for g, v in zip(FIT_GRADES, self.fit))
        engagement = ", ".join(f"{lv} {v}" for lv, v in zip(ENGAGEMENT_LEVELS, self.engagement))
        return f"fit {fit}; engagement {engagement}"


@dataclass(frozen=True)
class Proposal:
    thresholds: Thresholds
    hot_share: float
    hot_conversion: float | None
    hot_lift: float | None
    hot_closed: int
    meets_targets: bool
    why: str
    shares: dict[str, float] = field(default_factory=dict)  # each tier's share of the open leads under these thresholds


@dataclass(frozen=True)
class WeightProposal:
    """A logistic fit of the categories' points to outcomes: what each point is worth, and the caps it suggests."""

    cv_auc: float  # 5-fold cross-validated AUC of the fit
    categories: list[dict[str, Any]]  # {category, axis, cap, log_odds_per_10_points, suggested_cap}


@dataclass
class Calibration:
    policy_version: str
    grid: bool
    open_leads: int
    closed_leads: int
    converted: int
    base_rate: float | None
    auc: float | None
    tiers: list[TierRow]
    targets: dict[str, float]
    current: Proposal | None = None  # the current thresholds measured like a proposal
    proposal: Proposal | None = None
    weights: WeightProposal | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_aggregate(self) -> dict[str, Any]:
        """The tier table as aggregate rows with a chart (the shape the web chat draws as a table and a chart)."""
        rows = [
            {"tier": row.tier, "share_of_open": round(row.open_share, 4), "conversion_rate": None if row.conversion is None else round(row.conversion, 4),
             "ci_low": None if row.interval is None else round(row.interval[0], 4),
             "ci_high": None if row.interval is None else round(row.interval[1], 4),
             "lift": None if row.lift is None else round(row.lift, 2), "open": row.open_leads, "closed": row.closed_leads,
             "won": row.converted}
            for row in self.tiers
        ]
        definitions = [
            "share_of_open = the tier's share of today's open leads",
            "conversion_rate = won / closed, each closed lead scored by today's policy as of its outcome date; "
            "ci_low–ci_high = Wilson 95% interval; lift = conversion_rate / the overall rate",
            HISTORY_NOTE,
            f"rule score AUC on closed history: {'n/a' if self.auc is None else f'{self.auc:.3f}'}"
            f" (policy {self.policy_version})",
        ]
        if self.proposal is not None:
            definitions.append(f"proposed thresholds: {self.proposal.thresholds.describe()} — {self.proposal.why}")
        chart = {"type": "grouped", "x": "tier", "y": ["share_of_open", "conversion_rate"],
                 "title": "Tiers: share of open leads and conversion on closed history", "unit": "percent"}
        return {"report": "tier_calibration", "rows": rows, "group_by": "tier", "metric": "conversion_rate",
                "chart": chart if self.closed_leads else None, "definitions": definitions,
                "based_on": self.open_leads + self.closed_leads, "filters_applied": [], "problems": list(self.notes)}


def _tier_rows(history: ScoredHistory, base: float | None) -> list[TierRow]:
    open_total = int(history.open.sum())
    rows = []
    for tier in TIERS:
        in_tier = history.tier == tier
        n_open = int((in_tier & history.open).sum())
        closed = in_tier & history.closed
        n_closed, won = int(closed.sum()), int(history.converted[closed].sum())
        rate = won / n_closed if n_closed else None
        rows.append(TierRow(
            tier=tier, open_leads=n_open, open_share=n_open / open_total if open_total else 0.0, closed_leads=n_closed,
            converted=won, conversion=rate, interval=wilson_interval(won, n_closed),
            lift=rate / base if rate is not None and base else None,
        ))
    return rows


def _grade_index(values: np.ndarray, cuts: tuple[int, int, int]) -> np.ndarray:
    """0 for the top grade (A / level 1) .. 3 for the bottom one (D / level 4)."""
    return 3 - (values >= cuts[2]).astype(int) - (values >= cuts[1]).astype(int) - (values >= cuts[0]).astype(int)


def _cells_mask(history: ScoredHistory, cells: tuple[str, ...], thresholds: Thresholds) -> np.ndarray:
    in_cells = np.zeros((4, 4), dtype=bool)
    for cell in cells:
        in_cells[FIT_GRADES.index(cell[0]), ENGAGEMENT_LEVELS.index(cell[1])] = True
    return in_cells[_grade_index(history.fit, thresholds.fit), _grade_index(history.engagement, thresholds.engagement)]


def _measure(history: ScoredHistory, grid: Grid, thresholds: Thresholds, base: float, targets: Any) -> Proposal:
    hot = _cells_mask(history, grid.hot, thresholds)
    open_total = max(1, int(history.open.sum()))
    share = float((hot & history.open).sum()) / open_total
    warm = float((_cells_mask(history, grid.warm, thresholds) & history.open).sum()) / open_total if grid.warm else 0.0
    shares = {"hot": share, "warm": warm, "cold": max(0.0, 1.0 - share - warm) if history.open.any() else 0.0}
    closed = hot & history.closed
    n_closed = int(closed.sum())
    rate = float(history.converted[closed].mean()) if n_closed else None
    lift = rate / base if rate is not None and base else None
    meets = lift is not None and n_closed >= _MIN_HOT_CLOSED and lift >= targets.hot_lift
    return Proposal(thresholds, share, rate, lift, n_closed, meets, why="", shares=shares)


def _shifted(values: tuple[int, int, int], delta: int) -> tuple[int, int, int] | None:
    moved = tuple(min(100, max(0, v + delta)) for v in values)
    return moved if moved[0] > moved[1] > moved[2] else None  # type: ignore[return-value]


def propose_thresholds(history: ScoredHistory, policy: ScoringPolicy, base: float) -> tuple[Proposal, Proposal]:
    """(the current thresholds measured, the proposal): each axis's ladder shifted in steps of 5
    points; among the shifts whose hot tier converts at ≥ hot_lift × base (on ≥ 20 closed leads),
    the one whose share of open hot leads is closest to hot_share (ties: the higher lift). When
    none reaches the lift, the highest lift near the share, and it says so."""
    grid, targets = policy.grid, policy.calibration
    assert grid is not None
    start = Thresholds.of(grid)
    current = _measure(history, grid, start, base, targets)
    candidates = []
    for fit_delta in range(-50, 51, 5):
        for engagement_delta in range(-50, 51, 5):
            fit, engagement = _shifted(start.fit, fit_delta), _shifted(start.engagement, engagement_delta)
            if fit is not None and engagement is not None:
                candidates.append(_measure(history, grid, Thresholds(fit, engagement), base, targets))
    meeting = [c for c in candidates if c.meets_targets]
    if meeting:
        best = min(meeting, key=lambda c: (round(abs(c.hot_share - targets.hot_share), 3), -(c.hot_lift or 0)))
        why = (f"hot {best.hot_share:.0%} of open leads (target {targets.hot_share:.0%}), converting "
               f"{best.hot_lift:.2f}× the overall rate (target ≥ {targets.hot_lift:g}×)")
    else:
        near = [c for c in candidates if abs(c.hot_share - targets.hot_share) <= 0.05 and c.hot_closed >= _MIN_HOT_CLOSED]
        best = max(near or candidates, key=lambda c: c.hot_lift or 0)
        why = (f"no thresholds reach {targets.hot_lift:g}× conversion with enough closed hot leads; the best near "
               f"{targets.hot_share:.0%} hot converts {best.hot_lift or 0:.2f}× — the categories, not the thresholds, "
               "need work (see the learned weights)")
    if current.meets_targets and abs(current.hot_share - targets.hot_share) <= abs(best.hot_share - targets.hot_share) + 0.01:
        why = (f"the current thresholds already meet the targets: hot {current.hot_share:.0%} of open leads, converting "
               f"{current.hot_lift:.2f}× the overall rate")
        best = current
    return current, Proposal(**{**asdict(best), "thresholds": best.thresholds, "why": why})


def learned_weights(history: ScoredHistory, policy: ScoringPolicy) -> WeightProposal | None:
    """An L2-regularised logistic fit of the categories' points to outcomes on closed leads — a
    proposal, never applied: log-odds per 10 points, and caps that split each axis's 100 points in
    proportion to what a full category is worth (negative weights: 0)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    closed = history.closed
    y = history.converted[closed].astype(int)
    names = [name for name, values in history.category_points.items() if values[closed].std() > 0]
    if not names or y.sum() < 5 or (len(y) - y.sum()) < 5:
        return None
    X = np.column_stack([history.category_points[name][closed] for name in names])
    model = LogisticRegression(C=1.0, max_iter=2000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    cv_auc = float(cross_val_score(model, X, y, cv=folds, scoring="roc_auc").mean())
    model.fit(X, y)
    caps = dict(policy.categories.present())
    worth = {name: max(0.0, float(coef)) * float(caps[name].cap) for name, coef in zip(names, model.coef_[0])}
    rows = []
    for name, coef in zip(names, model.coef_[0]):
        axis = "engagement" if name in ENGAGEMENT_CATEGORIES else "fit"
        axis_worth = sum(w for other, w in worth.items() if (other in ENGAGEMENT_CATEGORIES) == (axis == "engagement"))
        suggested = round(100 * worth[name] / axis_worth) if axis_worth else 0
        rows.append({"category": name, "axis": axis, "cap": caps[name].cap, "log_odds_per_10_points": round(float(coef) * 10, 3),
                     "suggested_cap": suggested})
    return WeightProposal(cv_auc=round(cv_auc, 4), categories=rows)


def calibrate_policy(
    session: Session, *, policy: ScoringPolicy, now: datetime, weights: bool = True, semantic: SemanticIndex | None = None
) -> Calibration:
    """Measure `policy` on the store's history and propose thresholds (nothing is written). With the
    `semantic` index, open leads get the semantic category as `rescore_leads` gives it, so the
    proposed tier shares are the ones a re-score produces."""
    from leadpilot.memory.vectors import VectorStoreError

    semantic_note = None
    try:
        history = score_history(session, policy=policy, now=now, semantic=semantic)
    except VectorStoreError as error:  # as a re-score would: scored without it, and said so
        semantic_note = f"the semantic category is left out of open leads: {error}"
        history = score_history(session, policy=policy, now=now)
    n_closed = int(history.closed.sum())
    won = int(history.converted[history.closed].sum())
    base = won / n_closed if n_closed else None
    targets = policy.calibration
    report = Calibration(
        policy_version=policy.version, grid=policy.grid is not None, open_leads=int(history.open.sum()),
        closed_leads=n_closed, converted=won, base_rate=base, auc=rule_score_auc(history),
        tiers=_tier_rows(history, base), targets={"hot_share": targets.hot_share, "hot_lift": targets.hot_lift},
    )
    if semantic_note:
        report.notes.append(semantic_note)
    if n_closed < targets.min_closed_leads or not base:
        report.notes.append(
            f"only {n_closed} closed leads ({won} converted): thresholds are proposed from at least "
            f"{targets.min_closed_leads} (calibration.min_closed_leads) — close or import more history"
        )
        return report
    if policy.grid is None:
        report.notes.append("the policy uses one score (tiers): add a grid (see config/scoring.yaml) to get proposed thresholds")
    else:
        report.current, report.proposal = propose_thresholds(history, policy, base)
    if weights:
        report.weights = learned_weights(history, policy)
    return report


# --- applying a proposal --------------------------------------------------------------------------


def _replace_in_block(lines: list[str], start: int, end: int, key: str, value: int) -> bool:
    pattern = re.compile(rf"^(\s*['\"]?{re.escape(key)}['\"]?\s*:\s*)\d+(\s*(#.*)?)$")
    for index in range(start, end):
        if match := pattern.match(lines[index]):
            lines[index] = f"{match[1]}{value}{match[2]}"
            return True
    return False


def _block(lines: list[str], start: int, end: int, name: str) -> tuple[int, int] | None:
    """The lines [first, last) of the mapping `name:` between start and end (block style)."""
    for index in range(start, end):
        if re.match(rf"^(\s*){re.escape(name)}\s*:\s*(#.*)?$", lines[index]):
            indent = len(lines[index]) - len(lines[index].lstrip())
            stop = index + 1
            while stop < end and (not lines[stop].strip() or lines[stop].lstrip().startswith("#")
                                  or len(lines[stop]) - len(lines[stop].lstrip()) > indent):
                stop += 1
            return index + 1, stop
    return None


def thresholds_text(text: str, thresholds: Thresholds, *, path: Path) -> str:
    """The policy file's text with the grid thresholds replaced (comments and layout kept).
    Raises PolicyError when the grid is not written in block style (edit it by hand then)."""
    lines = text.splitlines()
    grid = _block(lines, 0, len(lines), "grid")
    done = grid is not None
    if grid is not None:
        for axis, keys, values in (("fit", FIT_GRADES[:3], thresholds.fit), ("engagement", ENGAGEMENT_LEVELS[:3], thresholds.engagement)):
            block = _block(lines, *grid, axis)
            done = done and block is not None and all(_replace_in_block(lines, *block, k, v) for k, v in zip(keys, values))
    if not done:
        raise PolicyError(path, [PolicyProblem("grid", "write grid.fit and grid.engagement one key per line (as "
                                               f"config/scoring.yaml does) or set them by hand: {thresholds.describe()}")])
    new_text = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    parse_policy(new_text, path=path)  # never write a file that would be refused
    return new_text


def write_thresholds(path: Path, thresholds: Thresholds) -> tuple[ScoringPolicy, ScoringPolicy]:
    """Apply thresholds to the policy file at `path`: (the policy before, the policy after)."""
    text = path.read_text(encoding="utf-8")
    before = parse_policy(text, path=path)
    new_text = thresholds_text(text, thresholds, path=path)
    _replace_file(path, new_text)
    return before, parse_policy(new_text, path=path)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _lift(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def calibration_reason(report: Calibration, *, path: Path) -> str:
    """Why `calibrate --write` changed the policy, in the numbers the report showed."""
    now, new = report.current, report.proposal
    assert now is not None and new is not None
    return (
        f"calibrate --write ({path}): hot {now.hot_share:.1%} of {report.open_leads:,} open leads → {new.hot_share:.1%} "
        f"(target ≈ {report.targets['hot_share']:.0%}); hot converts {_rate(now.hot_conversion)} → {_rate(new.hot_conversion)} "
        f"on {now.hot_closed:,} → {new.hot_closed:,} closed hot leads, overall {_rate(report.base_rate)} "
        f"({_lift(now.hot_lift)} → {_lift(new.hot_lift)}, target ≥ {report.targets['hot_lift']:g}×); rule score AUC "
        f"{'n/a' if report.auc is None else f'{report.auc:.3f}'} on {report.closed_leads:,} closed leads "
        f"({report.converted:,} converted)"
    )


def apply_proposal(
    session: Session, *, report: Calibration, path: Path, actor: str, at: datetime
) -> tuple[ScoringPolicy, ScoringPolicy]:
    """Write the report's proposed thresholds to the policy file at `path` and record the change as a
    policy-level audit entry in `session` (the caller commits; a failed write leaves the file as it
    was). Returns (the policy before, the policy after); re-score with the new one to move the leads."""
    proposal, current = report.proposal, report.current
    if proposal is None or current is None:
        raise ValueError("nothing to apply: the report has no proposal")
    text = path.read_text(encoding="utf-8")
    before = parse_policy(text, path=path)
    new_text = thresholds_text(text, proposal.thresholds, path=path)
    after = parse_policy(new_text, path=path)
    record_policy_change(session, policy="scoring", old=f"{before.version}: {Thresholds.of(before.grid).describe()}",  # type: ignore[arg-type]
                         new=f"{after.version}: {proposal.thresholds.describe()}", reason=calibration_reason(report, path=path),
                         at=at, actor=actor)
    session.flush()  # the audit entry is accepted before the file changes
    _replace_file(path, new_text)
    return before, after


def _replace_file(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".calibrating")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
