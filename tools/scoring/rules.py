"""Rule-based lead scoring: a score, its tier and the breakdown that explains it.

`score_lead` is the pure core: facts about a lead and its activities in, a `ScoreResult` out.
`rescore_leads` applies the same rules to many leads at once (streamed in id order, bulk writes,
one audit event per changed score or tier). The agent calls `score_lead_by_id`, `explain_score`
and `rank_leads` (reads) and `rescore_leads` (the write).

The breakdown, stored in `leads.score_breakdown` and returned by `score_lead`::

    {"policy_version": "1b1212f1cd47", "tiers": {"hot": 70, "warm": 40}, "total_cap": 100,
     "score": 83, "tier": "hot", "total": 83.4,
     "categories": {
        "source": {"points": 25, "cap": 25, "rules": [{"label": "referral source", "points": 25}]},
        "behaviour": {"points": 25, "cap": 25, "uncapped": 31.2, "rules": [
            {"label": "pricing page visit ×3 (decayed)", "points": 8.4, "count": 3}, ...]},
        "semantic": {"points": 18, "cap": 30, "rules": [...], "neighbours": [...]},
        ...}}

Every rule category of the policy is listed, with 0 points when nothing fired; "uncapped" appears
when the cap cut a category down, and "total" is the sum before `total_cap`. Points carry at most
one decimal. Activity points halve every `half_life_days`; activities after `now` do not count
yet, and an activity rule worth less than 0.05 after decay is left out. The semantic category
(tools/scoring/semantic.py) is there only for leads in the semantic index, when the re-score is
given the index; it is absent otherwise, never a made-up 0.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from sqlalchemy import Text, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, AuditEvent, Lead
from leadpilot.memory.vectors import VectorStoreError
from leadpilot.tools.common import gc_paused
from leadpilot.tools.common import pipeline_available, start_method
from leadpilot.memory.vocab import OPEN_STAGES, ActivityKind, Direction, Tier
from leadpilot.tools.scoring.writer import ScoreWriterProcess, WriteStatements
from leadpilot.tools.scoring.policy import ScoringPolicy
from leadpilot.tools.scoring.semantic import CATEGORY as SEMANTIC
from leadpilot.tools.scoring.semantic import SemanticPart, SemanticScorer, closest_accounts

if TYPE_CHECKING:
    from leadpilot.tools.semantic import SemanticIndex

_SECONDS_PER_DAY = 86_400.0
_IN_CHUNK = 900  # ids per IN (...) list, inside every backend's parameter limit
_AUDIT_TEXT = 200  # audit_events.old_value / new_value length


# ---------------------------------------------------------------------------------------------
# Facts in, result out


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the rules look at on a lead (the store's column values)."""

    email: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    website: str | None = None
    company: str | None = None
    job_title: str | None = None
    industry: str | None = None  # a slug, as stored: "fintech"
    company_size: int | None = None
    country: str | None = None
    source: str = "other"

    @classmethod
    def of(cls, lead: Any) -> LeadFacts:
        """The facts of a `Lead` row (or anything with the same attributes)."""
        return cls(*(getattr(lead, name) for name in LEAD_FACT_FIELDS))


LEAD_FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LeadFacts))


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    """What the rules look at on an activity."""

    kind: str  # an ActivityKind value
    occurred_at: datetime  # naive values are taken as UTC
    direction: str = Direction.INBOUND.value
    detail: str | None = None  # page path, form name, subject

    @classmethod
    def of(cls, activity: Any) -> ActivityFacts:
        return cls(kind=activity.kind, occurred_at=activity.occurred_at, direction=activity.direction, detail=activity.detail)


@dataclass(frozen=True)
class ScoreResult:
    """A score (0..total_cap), its tier, and the breakdown that explains it (see the module doc)."""

    score: int
    tier: str
    breakdown: dict[str, Any]

    def reasons(self, limit: int = 3) -> list[str]:
        """The biggest contributions, e.g. ["referral source +25", "high-value industry: fintech +20"]."""
        return top_reasons(self.breakdown, limit=limit)


def score_lead(
    *,
    lead: LeadFacts,
    activities: Sequence[ActivityFacts],
    policy: ScoringPolicy,
    now: datetime,
    semantic: SemanticPart | None = None,
) -> ScoreResult:
    """Score one lead under `policy` as of `now`. Pure: no database, no clock.

    `semantic` is the lead's semantic entry (from `SemanticScorer`); without it, or when the
    policy has the semantic category switched off, the breakdown has no semantic category.
    """
    engine = _engine_for(policy)
    now = utc(now)
    rows = [(0, a.kind, a.direction, a.detail, utc(a.occurred_at).replace(tzinfo=None)) for a in activities]
    facts = tuple(getattr(lead, name) for name in LEAD_FACT_FIELDS)
    if policy.categories.semantic_in_force is None:
        semantic = None
    scored = engine.assemble(facts, engine.tally(rows, now=now).get(0), semantic)
    # The stored JSON is the one representation: the pure result is exactly what a re-score stores.
    return ScoreResult(score=scored.score, tier=scored.tier, breakdown=json.loads(scored.breakdown_json))


def tier_for(score: int, *, policy: ScoringPolicy) -> str:
    """hot at or above tiers.hot, warm at or above tiers.warm, cold below."""
    return _tier(score, hot=policy.tiers.hot, warm=policy.tiers.warm)


def _tier(score: int, *, hot: int, warm: int) -> str:
    if score >= hot:
        return Tier.HOT.value
    if score >= warm:
        return Tier.WARM.value
    return Tier.COLD.value


# ---------------------------------------------------------------------------------------------
# The policy compiled into lookup tables (one per policy version)
#
# Re-scoring 100,000 leads must take seconds, so the per-lead work is kept small: the static
# categories (completeness .. company_size) depend on a handful of facts, and their result, JSON
# included, is computed once per distinct combination; activities are classified once per
# distinct (kind, direction, detail).


# Points are kept in whole tenths internally: sums and caps are exact, and a score is the total
# rounded half up. Stored and shown, they read as numbers with at most one decimal.


def _tenths(points: float) -> int:
    """Non-negative points in tenths, rounded half up: 8.44 -> 84."""
    return int(points * 10 + 0.5)


def _shown(tenths: int) -> int | float:
    """Tenths as a number to show: 84 -> 8.4, 250 -> 25."""
    return tenths // 10 if tenths % 10 == 0 else tenths / 10


def _tenths_json(tenths: int) -> str:
    """Tenths as JSON number text, the same as json.dumps(_shown(tenths)): 84 -> "8.4"."""
    if tenths < len(_TENTHS_TEXT):
        return _TENTHS_TEXT[tenths]
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


# Points up to 300 as text, looked up rather than formatted: a re-score writes ~10 numbers per lead.
_TENTHS_TEXT = [str(t // 10) if t % 10 == 0 else f"{t // 10}.{t % 10}" for t in range(3001)]


def _label(key: str) -> str:
    return key.replace("_", " ")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_FACT_INDEX = {name: index for index, name in enumerate(LEAD_FACT_FIELDS)}


@dataclass(frozen=True, slots=True)
class _ActivitySlot:
    """One activity rule: an engagement key or a behaviour rule."""

    category: str
    label: str
    points: float  # per activity, before decay
    decay_per_day: float  # ln 2 / half-life


# Tuples, not dataclasses: a re-score makes two of these per lead, and tuples are made in a tenth of the time.
class _CategoryPart(NamedTuple):
    """Some categories' entries for one lead (or one combination of facts), with their JSON."""

    names: tuple[str, ...]  # the categories, in breakdown order
    tenths: tuple[int, ...]  # their points in tenths, in the same order
    total_tenths: int
    json: str  # '"completeness":{...},"profile":{...}'

    def points(self) -> dict[str, int | float]:
        """Points per category, as shown."""
        return {name: _shown(tenths) for name, tenths in zip(self.names, self.tenths)}


class _Scored(NamedTuple):
    score: int
    tier: str
    breakdown_json: str
    parts: tuple[_CategoryPart, ...]

    def category_points(self) -> dict[str, int | float]:
        return {name: points for part in self.parts for name, points in part.points().items()}


class _Engine:
    """Lookup tables built once per policy version, shared by `score_lead` and `rescore_leads`."""

    _MEMO_LIMIT = 100_000

    def __init__(self, policy: ScoringPolicy):
        categories = policy.categories
        self.version = policy.version
        self.hot, self.warm, self.total_cap = policy.tiers.hot, policy.tiers.warm, policy.total_cap
        self._head = f'{{"policy_version":{_json(self.version)},"tiers":{{"hot":{self.hot},"warm":{self.warm}}},'
        if self.total_cap is not None:
            self._head += f'"total_cap":{self.total_cap},'

        self._static: list[tuple[str, int]] = []  # (category, cap in tenths), in policy order
        self._field_rules: list[tuple[str, str, str, int]] = []  # (category, field, label, points)
        for name in ("completeness", "profile"):
            if (spec := getattr(categories, name)) is not None:
                self._static.append((name, _tenths(spec.cap)))
                self._field_rules += [(name, key, f"{_label(key)} on file", points) for key, points in spec.points if points]
        presence = tuple(dict.fromkeys(key for _, key, _, _ in self._field_rules))
        self._presence_fields = presence
        self._presence_index = tuple(_FACT_INDEX[key] for key in presence)
        self._source_points: dict[str, int] = {}
        if categories.source is not None:
            self._static.append(("source", _tenths(categories.source.cap)))
            self._source_points = {key: points for key, points in categories.source.points if points}
        self._industry_groups: dict[str, tuple[str, int]] = {}
        if categories.industry is not None:
            self._static.append(("industry", _tenths(categories.industry.cap)))
            self._industry_groups = {
                slug: (f"{group.label}: {slug}", group.points)
                for group in categories.industry.groups
                if group.points
                for slug in group.industries
            }
        self._size_bands: tuple[tuple[int, int, str], ...] = ()  # highest first
        if categories.company_size is not None:
            self._static.append(("company_size", _tenths(categories.company_size.cap)))
            bands = categories.company_size.bands
            self._size_bands = tuple(
                sorted(((b.at_least, b.points, b.label or f"{b.at_least:,}+ employees") for b in bands if b.points), reverse=True)
            )

        self.slots: list[_ActivitySlot] = []
        self._activity: list[tuple[str, int, list[int]]] = []  # (category, cap in tenths, slots)
        self._engagement_slot: dict[tuple[str, str], int] = {}
        self._behaviour_rules: dict[tuple[str, str], list[tuple[tuple[str, ...] | None, int]]] = {}
        if categories.engagement is not None:
            self._compile_engagement(categories.engagement)
        if categories.behaviour is not None:
            self._compile_behaviour(categories.behaviour)
        self._label_json = [_json(slot.label)[:-1] for slot in self.slots]  # '"page view' (open quote kept)
        self._rule_texts: list[dict[tuple[int, int], str]] = [{} for _ in self.slots]  # memo: (count, tenths) -> JSON
        self._activity_texts = [  # (category, cap, slots, '"engagement":{"points":', ',"cap":20,"rules":[')
            (category, cap, slots, f'"{category}":{{"points":', f',"cap":{_tenths_json(cap)},"rules":[')
            for category, cap, slots in self._activity
        ]
        self._activity_names = tuple(category for category, _, _ in self._activity)
        self._static_names = tuple(category for category, _ in self._static)
        self._presence_of = itemgetter(*self._presence_index) if len(self._presence_index) > 1 else None

        self._slot_points = np.array([slot.points for slot in self.slots], dtype=np.float64)
        self._slot_decay = np.array([slot.decay_per_day for slot in self.slots], dtype=np.float64)
        self._code_of: dict[tuple[str, str, str | None], int] = {}  # memo: activity key -> pattern code
        self._pattern_code: dict[tuple[int, int], int] = {(-1, -1): 0}  # code 0 adds to no slot
        self._pattern_columns = (np.array([-1]), np.array([-1]))
        self._lock = threading.Lock()

        self._static_parts: dict[tuple[Any, ...], _CategoryPart] = {}
        self._no_activity = self._activity_part(None)
        self._between = "," if self._static and self._activity else ""  # between the two JSON parts
        self._before_semantic = "," if self._static or self._activity else ""

    # -- compiling ------------------------------------------------------------------------------

    def _compile_engagement(self, engagement: Any) -> None:
        decay = math.log(2) / engagement.half_life_days
        slot_of_key: dict[str, int] = {}
        for kind in ActivityKind:
            for direction in Direction:
                specific = f"{kind.value}_{direction.value}"
                key = specific if getattr(engagement.points, specific) is not None else kind.value
                points = getattr(engagement.points, key)
                if not points:
                    continue
                if key not in slot_of_key:
                    slot_of_key[key] = len(self.slots)
                    self.slots.append(_ActivitySlot("engagement", _label(key), points, decay))
                self._engagement_slot[(kind.value, direction.value)] = slot_of_key[key]
        self._activity.append(("engagement", _tenths(engagement.cap), list(slot_of_key.values())))

    def _compile_behaviour(self, behaviour: Any) -> None:
        decay = math.log(2) / behaviour.half_life_days
        slots = []
        for rule in behaviour.rules:
            if not rule.points:
                continue
            slot = len(self.slots)
            slots.append(slot)
            self.slots.append(_ActivitySlot("behaviour", rule.label, rule.points, decay))
            for direction in [rule.direction] if rule.direction else [d.value for d in Direction]:
                self._behaviour_rules.setdefault((rule.kind, direction), []).append((rule.detail_contains, slot))
        self._activity.append(("behaviour", _tenths(behaviour.cap), slots))

    # -- activities -----------------------------------------------------------------------------

    def _pattern(self, kind: str, direction: str, detail: str | None) -> tuple[int, int]:
        """The slots an activity adds to: (its engagement slot, its first matching behaviour rule), -1 for none."""
        behaviour = -1
        text = (detail or "").lower()
        for needles, slot in self._behaviour_rules.get((kind, direction), ()):
            if needles is None or any(needle in text for needle in needles):
                behaviour = slot
                break
        return self._engagement_slot.get((kind, direction), -1), behaviour

    def _codes(self, keys: list[tuple[str, str, str | None]]) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Each activity's pattern code, and per code its (engagement slot, behaviour slot) columns.

        Activities repeat a few (kind, direction, detail) keys, so each key is matched once and
        remembered. Locked: engines are shared between threads.
        """
        with self._lock:
            memo = self._code_of
            codes = list(map(memo.get, keys))
            if None in codes:
                if len(memo) > self._MEMO_LIMIT:  # details such as email subjects can be endless
                    memo.clear()
                for index, code in enumerate(codes):
                    if code is None:
                        key = keys[index]
                        if (code := memo.get(key)) is None:
                            pattern = self._pattern(*key)
                            code = memo[key] = self._pattern_code.setdefault(pattern, len(self._pattern_code))
                        codes[index] = code
            if len(self._pattern_columns[0]) != len(self._pattern_code):
                patterns = sorted(self._pattern_code, key=self._pattern_code.__getitem__)
                self._pattern_columns = (
                    np.array([engagement for engagement, _ in patterns], dtype=np.int64),
                    np.array([behaviour for _, behaviour in patterns], dtype=np.int64),
                )
            return np.array(codes, dtype=np.int64), self._pattern_columns

    def tally(self, rows: Sequence[Sequence[Any]], *, now: datetime) -> dict[Any, tuple[list[int], list[int]]]:
        """Per lead with activity points: (count, decayed points in tenths) per activity slot.

        `rows` are (lead, kind, direction, detail, occurred_at), occurred_at as naive UTC (or
        SQLite's ISO text of it); activities after `now` do not count. Vectorised: a re-score
        tallies ~750,000 activities per 100,000 leads.
        """
        width = len(self.slots)
        if not rows or not width:
            return {}
        codes, columns = self._codes(list(map(itemgetter(1, 2, 3), rows)))
        occurred = np.array(list(map(itemgetter(4), rows)), dtype="datetime64[us]")
        age_us = (np.datetime64(utc(now).replace(tzinfo=None), "us") - occurred).astype(np.int64)
        keep = (codes > 0) & (age_us >= 0)  # code 0: adds to no slot; age < 0: not happened yet
        if not keep.any():
            return {}
        leads, position = np.unique(np.array(list(map(itemgetter(0), rows)))[keep], return_inverse=True)
        codes = codes[keep]
        age_days = age_us[keep].astype(np.float64) / 1e6 / _SECONDS_PER_DAY  # as timedelta.total_seconds() / 86400
        size = len(leads) * width
        counts = np.zeros(size, dtype=np.int64)
        points = np.zeros(size, dtype=np.float64)
        for slot_of_code in columns:  # an activity adds to at most one slot per category
            slot = slot_of_code[codes]
            hit = slot >= 0
            slot = slot[hit]
            cell = position[hit] * width + slot
            counts += np.bincount(cell, minlength=size)
            decayed = self._slot_points[slot] * np.exp(-self._slot_decay[slot] * age_days[hit])
            points += np.bincount(cell, weights=decayed, minlength=size)
        tenths = np.floor(points * 10 + 0.5).astype(np.int64).reshape(len(leads), width)
        counts = counts.reshape(len(leads), width)
        active = tenths.any(axis=1)  # leads whose activity is worth at least 0.1 somewhere
        return dict(zip(leads[active].tolist(), zip(counts[active].tolist(), tenths[active].tolist())))

    def _rule_text(self, slot: int, count: int, points: int) -> str:
        """One activity rule's JSON entry, remembered: the same (count, points) recur across leads."""
        memo = self._rule_texts[slot]
        if len(memo) > 50_000:  # bounded: one memo per slot, shared by every re-score
            memo.clear()
        text = memo[(count, points)] = (
            f'{{"label":{self._label_json[slot]} ×{count} (decayed)","points":{_tenths_json(points)},"count":{count}}}'
        )
        return text

    def _activity_part(self, tally: tuple[list[int], list[int]] | None) -> _CategoryPart:
        # Written as JSON text directly: this runs once per lead, and json.dumps would triple its cost.
        texts, category_tenths, total = [], [], 0
        for _, cap, slot_indexes, head, middle in self._activity_texts:
            rules, raw = [], 0
            if tally is not None:
                counts, tenths = tally
                for slot in slot_indexes:
                    if points := tenths[slot]:  # rules worth less than 0.05 after decay are left out
                        raw += points
                        count = counts[slot]
                        rules.append(self._rule_texts[slot].get((count, points)) or self._rule_text(slot, count, points))
            points = raw if raw <= cap else cap
            uncapped = f',"uncapped":{_tenths_json(raw)}}}' if raw > cap else "}"
            texts.append(f'{head}{_tenths_json(points)}{middle}{",".join(rules)}]{uncapped}')
            category_tenths.append(points)
            total += points
        return _CategoryPart(self._activity_names, tuple(category_tenths), total, ",".join(texts))

    # -- static categories ----------------------------------------------------------------------

    def _static_key(self, facts: tuple[Any, ...]) -> tuple[Any, ...]:
        """What the static categories depend on: which fields are present, source, industry, size band."""
        if self._presence_of is not None:
            present = tuple(map(bool, self._presence_of(facts)))
        else:
            present = tuple([bool(facts[index]) for index in self._presence_index])
        industry = facts[_INDUSTRY]
        if industry not in self._industry_groups:
            industry = None
        band = None
        if (size := facts[_COMPANY_SIZE]) is not None:
            for candidate in self._size_bands:
                if size >= candidate[0]:
                    band = candidate
                    break
        return (present, facts[_SOURCE], industry, band)

    def _static_part(self, key: tuple[Any, ...]) -> _CategoryPart:
        present, source, industry, band = key
        has = dict(zip(self._presence_fields, present))
        rules: dict[str, list[dict[str, Any]]] = {category: [] for category, _ in self._static}
        for category, name, label, points in self._field_rules:
            if has[name]:
                rules[category].append({"label": label, "points": points})
        if points := self._source_points.get(source):
            rules["source"].append({"label": f"{source} source", "points": points})
        if industry is not None:
            label, points = self._industry_groups[industry]
            rules["industry"].append({"label": label, "points": points})
        if band is not None:
            rules["company_size"].append({"label": band[2], "points": band[1]})
        entries, category_tenths, total = {}, [], 0
        for category, cap in self._static:
            raw = sum(rule["points"] for rule in rules[category]) * 10
            entry = {"points": _shown(min(raw, cap)), "cap": _shown(cap), "rules": rules[category]}
            if raw > cap:
                entry["uncapped"] = _shown(raw)
            entries[category] = entry
            category_tenths.append(min(raw, cap))
            total += min(raw, cap)
        return _CategoryPart(self._static_names, tuple(category_tenths), total, _json(entries)[1:-1])

    # -- the result -----------------------------------------------------------------------------

    def assemble(
        self, facts: Sequence[Any], tally: tuple[list[int], list[int]] | None, semantic: SemanticPart | None = None
    ) -> _Scored:
        """The score of a lead from its facts (values in LEAD_FACT_FIELDS order), its activity tally
        and its semantic entry (None: the category is absent)."""
        key = self._static_key(facts)
        static = self._static_parts.get(key)
        if static is None:
            static = self._static_parts[key] = self._static_part(key)
        activity = self._no_activity if tally is None else self._activity_part(tally)
        total = static.total_tenths + activity.total_tenths
        if semantic is not None:
            total += semantic.tenths
        score = (total + 5) // 10  # half up
        if self.total_cap is not None and score > self.total_cap:
            score = self.total_cap
        tier = _HOT if score >= self.hot else _WARM if score >= self.warm else _COLD
        if semantic is None:
            categories, parts = f"{static.json}{self._between}{activity.json}", (static, activity)
        else:
            categories = f"{static.json}{self._between}{activity.json}{self._before_semantic}{semantic.json}"
            parts = (static, activity, _CategoryPart(_SEMANTIC_NAMES, (semantic.tenths,), semantic.tenths, semantic.json))
        text = f'{self._head}"score":{score},"tier":"{tier}","total":{_tenths_json(total)},"categories":{{{categories}}}}}'
        return _Scored(score, tier, text, parts)


_INDUSTRY, _COMPANY_SIZE, _SOURCE = _FACT_INDEX["industry"], _FACT_INDEX["company_size"], _FACT_INDEX["source"]
_HOT, _WARM, _COLD = Tier.HOT.value, Tier.WARM.value, Tier.COLD.value
_SEMANTIC_NAMES = (SEMANTIC,)


_ENGINES: dict[str, _Engine] = {}


def _engine_for(policy: ScoringPolicy) -> _Engine:
    engine = _ENGINES.get(policy.version)
    if engine is None:
        if len(_ENGINES) >= 16:
            _ENGINES.pop(next(iter(_ENGINES)))
        engine = _ENGINES[policy.version] = _Engine(policy)
    return engine


# ---------------------------------------------------------------------------------------------
# Explaining a breakdown


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


# ---------------------------------------------------------------------------------------------
# Bulk re-scoring


@dataclass
class RescoreReport:
    """What a re-score did. `tier_moves` counts tier changes such as {"warm->hot": 12}."""

    policy_version: str
    scored: int = 0
    changed: int = 0  # leads whose score or tier changed
    tier_moves: dict[str, int] = field(default_factory=dict)
    audit_events: int = 0
    duration_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase: read, semantic, score, write, commit
    semantic_scored: int = 0  # leads whose breakdown has the semantic category
    semantic_problem: str | None = None  # why the semantic category was left out, when the index failed
    background_writer: bool = False  # batches were written by a second process (tools/scoring/writer.py)

    @property
    def unchanged(self) -> int:
        return self.scored - self.changed


def rescore_leads(
    db: Database | Session,
    *,
    policy: ScoringPolicy,
    now: datetime,
    lead_ids: Sequence[int] | None = None,
    actor: str = "rescore",
    batch_size: int = 10_000,
    semantic: SemanticIndex | None = None,
) -> RescoreReport:
    """Re-score all leads (or `lead_ids`) and store score, tier, breakdown and scored_at.

    Writes one audit event per changed score and per changed tier, with a reason naming the
    policy version and the categories that moved. Given a `Database`, each batch of leads is
    written in its own transaction (re-scoring is idempotent, so an interrupted run is finished by
    running it again) — on an SQLite file, from a second process while the next batch is scored
    (tools/scoring/writer.py); given a `Session`, everything happens in it and the caller commits.

    With the `semantic` index (and the category in the policy), leads in the index get the
    semantic category; without it, or while the index fails (`semantic_problem` says why), no lead
    has it — a lead that had it loses it, audited like any change.
    """
    started = time.perf_counter()
    engine = _engine_for(policy)
    now = utc(now)
    report = RescoreReport(
        policy_version=policy.version, timings={"read": 0.0, "semantic": 0.0, "score": 0.0, "write": 0.0, "commit": 0.0}
    )
    tier_moves: Counter[str] = Counter()
    with gc_paused():
        _rescore(db, engine=engine, policy=policy, now=now, lead_ids=lead_ids, actor=actor, batch_size=batch_size,
                 semantic=semantic, report=report, tier_moves=tier_moves)
    report.tier_moves = dict(sorted(tier_moves.items()))
    report.duration_s = time.perf_counter() - started
    return report


def _rescore(
    db: Database | Session, *, engine: _Engine, policy: ScoringPolicy, now: datetime, lead_ids: Sequence[int] | None,
    actor: str, batch_size: int, semantic: SemanticIndex | None, report: RescoreReport, tier_moves: Counter[str],
) -> None:
    """The batches of `rescore_leads`, each read, scored and written in one transaction (or the caller's session)."""
    bind = db.get_bind() if isinstance(db, Session) else db.engine
    scoring = _BatchScoring(engine, now=now, at=_driver_datetime(bind.dialect, now), actor=actor, report=report)
    if isinstance(db, Session):
        db.flush()  # the reads below go straight to the connection
        scoring.load_semantic(db, index=semantic, policy=policy)
        open_batch: Callable[[], AbstractContextManager[Session]] = partial(nullcontext, db)
    else:
        with db.session() as session:
            scoring.load_semantic(session, index=semantic, policy=policy)
        open_batch = db.transaction
    with ExitStack() as stack:
        child: _ChildWriter | None = None
        for session, leads in _lead_batches(open_batch, lead_ids=lead_ids, batch_size=batch_size, report=report):
            batch = scoring.score(session, leads, tier_moves=tier_moves)
            if child is None and len(leads) == batch_size and lead_ids is None and (path := _child_writes_to(db)):
                child = stack.enter_context(_ChildWriter(path, dialect=session.get_bind().dialect, report=report))
                report.background_writer = True
            if child is None:
                _write_batch(session, batch, report=report)  # in the transaction that read it
            else:
                child.submit(batch)
        if child is not None:
            child.finish()
    if isinstance(db, Session):
        _expire_scores(db, lead_ids)


def _child_writes_to(db: Database | Session) -> str | None:
    """The SQLite file a writer process can take a re-score's writes to (see tools/scoring/writer.py), if any.

    Only a `Database` (each batch its own transaction) on an SQLite file, with a second core, in a
    single-threaded process (the CLI): the child is forked. A process with threads (a web server)
    writes in-process rather than spawn a child (~1 s, and it would re-import the main module).
    A batch's reads and its write are then two transactions: a lead edited in between keeps the
    score computed before the edit until the next re-score (the edit's own scoring aside).
    """
    if isinstance(db, Session) or db.dialect != "sqlite" or not pipeline_available() or start_method() != "fork":
        return None
    url = db.engine.url
    if not url.database or url.database == ":memory:" or url.database.startswith("file:") or url.query:
        return None
    return url.database


class _ChildWriter:
    """A ScoreWriterProcess fed with this module's batches (rows put in the compiled statements' order)."""

    def __init__(self, path: str, *, dialect: Any, report: RescoreReport):
        self._stamp_range = _driver_statement(dialect, _STAMP_RANGE, ("b_first", "b_last", "b_at"))
        self._stamp_one = _driver_statement(dialect, _STAMP_ONE, ("b_id", "b_at"))
        self._scores = _driver_statement(dialect, _SCORE_UPDATE, _SCORE_PARAMS)
        self._audit = _driver_statement(dialect, _AUDIT_INSERT, _AUDIT_PARAMS)
        statements = WriteStatements(self._stamp_range[0], self._stamp_one[0], self._scores[0], self._audit[0])
        self._process = ScoreWriterProcess(path=path, statements=statements)
        self._report = report

    def __enter__(self) -> _ChildWriter:
        self._process.__enter__()
        return self

    def submit(self, batch: _BatchWrites) -> None:
        stamp = self._stamp_range[1]([(*batch.stamp_range, batch.at)])[0] if batch.stamp_range is not None else None
        self._count(self._process.submit((
            stamp,
            self._stamp_one[1]([(lead_id, batch.at) for lead_id in batch.stamp_ids]),
            self._scores[1](batch.scores),
            self._audit[1](batch.audit),
        )))

    def finish(self) -> None:
        self._count(self._process.finish())

    def _count(self, timings: dict[str, float]) -> None:
        for phase, seconds in timings.items():
            self._report.timings[phase] += seconds

    def __exit__(self, *exc_info: Any) -> None:
        self._process.__exit__(*exc_info)


def _expire_scores(session: Session, lead_ids: Sequence[int] | None) -> None:
    """Make loaded Lead objects re-read the scores written behind the ORM's back."""
    wanted = None if lead_ids is None else set(lead_ids)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Lead) and (wanted is None or instance.id in wanted):
            session.expire(instance, ["score", "tier", "score_breakdown", "scored_at"])


_ID, _SCORE, _TIER, _BREAKDOWN, _FACTS = 0, 1, 2, 3, slice(4, None)  # positions in a row of _LEAD_COLUMNS


def _lead_batches(
    open_session: Callable[[], AbstractContextManager[Session]], *, lead_ids: Sequence[int] | None, batch_size: int,
    report: RescoreReport,
) -> Iterator[tuple[Session, list[tuple[Any, ...]]]]:
    """(session, lead rows) per batch, in id order; each batch is read in its own `open_session()`
    (a transaction, or the caller's session), which stays open while the caller scores and writes it."""
    if lead_ids is not None:
        wanted = sorted(set(lead_ids))
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            yield from _read_batch(open_session, select(*_LEAD_COLUMNS).where(Lead.id.in_(chunk)).order_by(Lead.id), report)
        return
    last_id = 0  # keyset pagination: each batch starts after the last id of the one before
    query = select(*_LEAD_COLUMNS).order_by(Lead.id).limit(batch_size)
    while rows := (yield from _read_batch(open_session, query.where(Lead.id > last_id), report)):
        last_id = rows[-1][_ID]


def _read_batch(
    open_session: Callable[[], AbstractContextManager[Session]], query: Any, report: RescoreReport
) -> Generator[tuple[Session, list[tuple[Any, ...]]], None, list[tuple[Any, ...]]]:
    """Yield (session, rows) for one batch while its session is open; return the rows."""
    with open_session() as session:
        clock = time.perf_counter()
        rows = _fetch_tuples(session, query)
        report.timings["read"] += time.perf_counter() - clock
        if rows:
            yield session, rows
        clock = time.perf_counter()
    report.timings["commit"] += time.perf_counter() - clock
    return rows


def _activity_rows(session: Session, leads: list[tuple[Any, ...]], *, engine: _Engine) -> list[tuple[Any, ...]]:
    """The activities of these leads. Neither kind nor time is filtered here: a kind filter leads
    SQLite to the kind index and a scan of the whole table, and the tally drops both cheaply."""
    if not engine.slots:
        return []
    query = select(*_ACTIVITY_COLUMNS)
    first, last = leads[0][_ID], leads[-1][_ID]
    if len(leads) > _IN_CHUNK or last - first < 2 * len(leads):  # dense ids: one indexed range scan
        query = query.where(Activity.lead_id.between(first, last))
    else:
        query = query.where(Activity.lead_id.in_([lead[_ID] for lead in leads]))
    return _fetch_tuples(session, query)


@dataclass
class _BatchWrites:
    """What one batch writes: new scores, audit events, and scored_at for the leads left as they were."""

    scores: list[tuple[Any, ...]]  # _SCORE_PARAMS order
    audit: list[tuple[Any, ...]]  # _AUDIT_COLUMNS order
    stamp_range: tuple[int, int] | None  # every id in [first, last] is in the batch: one statement
    stamp_ids: list[int]  # otherwise, the unchanged ids one by one
    at: Any


class _BatchScoring:
    """Scores batches of lead rows (reading what else they need through the batch's session); writes nothing."""

    def __init__(self, engine: _Engine, *, now: datetime, at: Any, actor: str, report: RescoreReport):
        self.engine, self.now, self.at, self.actor, self.report = engine, now, at, actor, report
        self.semantic: SemanticScorer | None = None

    def load_semantic(self, session: Session, *, index: SemanticIndex | None, policy: ScoringPolicy) -> None:
        """Read the closed accounts to compare with, when the policy and an index call for it."""
        category = policy.categories.semantic_in_force
        if index is None or category is None:
            return
        clock = time.perf_counter()
        try:
            self.semantic = SemanticScorer.load(session, index=index, category=category)
        except VectorStoreError as error:
            self.report.semantic_problem = f"the semantic category is left out: {error}"
        self.report.timings["semantic"] += time.perf_counter() - clock

    def _semantic_parts(self, session: Session, leads: list[tuple[Any, ...]]) -> dict[int, SemanticPart]:
        if self.semantic is None:
            return {}
        clock = time.perf_counter()
        try:
            parts = self.semantic.parts(session, [lead[_ID] for lead in leads])
        except VectorStoreError as error:  # absent from here on, not made up
            self.semantic = None
            self.report.semantic_problem = f"the semantic category is left out: {error}"
            parts = {}
        self.report.timings["semantic"] += time.perf_counter() - clock
        self.report.semantic_scored += len(parts)
        return parts

    def score(self, session: Session, leads: list[tuple[Any, ...]], *, tier_moves: Counter[str]) -> _BatchWrites:
        engine, report, at = self.engine, self.report, self.at
        clock = time.perf_counter()
        activity_rows = _activity_rows(session, leads, engine=engine)
        report.timings["read"] += time.perf_counter() - clock
        semantic_of = self._semantic_parts(session, leads).get

        clock = time.perf_counter()
        tally_of = engine.tally(activity_rows, now=self.now).get
        writes: list[tuple[Any, ...]] = []
        changed: list[tuple[tuple[Any, ...], _Scored]] = []
        assemble = engine.assemble
        for lead in leads:
            lead_id = lead[_ID]
            scored = assemble(lead[_FACTS], tally_of(lead_id), semantic_of(lead_id))
            # SQLite hands back the JSON text stored last time: an identical breakdown needs no rewrite.
            if scored.breakdown_json != lead[_BREAKDOWN]:
                writes.append((scored.score, scored.tier, scored.breakdown_json, at, lead_id))
                if scored.score != lead[_SCORE] or scored.tier != lead[_TIER]:
                    changed.append((lead, scored))
        audit = _audit_rows(changed, version=engine.version, at=at, actor=self.actor, tier_moves=tier_moves)
        stamp_range, stamp_ids = None, []
        if len(writes) != len(leads):
            first, last = leads[0][_ID], leads[-1][_ID]
            if last - first + 1 == len(leads):
                stamp_range = (first, last)
            else:
                written = {row[-1] for row in writes}
                stamp_ids = [lead[_ID] for lead in leads if lead[_ID] not in written]
        report.timings["score"] += time.perf_counter() - clock
        report.scored += len(leads)
        report.changed += len(changed)
        report.audit_events += len(audit)
        return _BatchWrites(writes, audit, stamp_range, stamp_ids, at)


def _write_batch(session: Session, batch: _BatchWrites, *, report: RescoreReport) -> None:
    clock = time.perf_counter()
    if batch.stamp_range is not None:
        _execute_many(session, _STAMP_RANGE, ("b_first", "b_last", "b_at"), [(*batch.stamp_range, batch.at)])
    _execute_many(session, _STAMP_ONE, ("b_id", "b_at"), [(lead_id, batch.at) for lead_id in batch.stamp_ids])
    _write_scores(session, batch.scores)
    _write_audit(session, batch.audit)
    report.timings["write"] += time.perf_counter() - clock


def _audit_rows(
    changed: list[tuple[tuple[Any, ...], _Scored]], *, version: str, at: Any, actor: str, tier_moves: Counter[str]
) -> list[tuple[Any, ...]]:
    """Audit events (in _AUDIT_PARAMS order) for leads whose score or tier changed."""
    first_reason = change_reason(actor=actor, version=version, new_points={}, old=None)
    rows: list[tuple[Any, ...]] = []
    for lead, scored in changed:
        lead_id, old_score, old_tier, old = lead[_ID], lead[_SCORE], lead[_TIER], lead[_BREAKDOWN]
        reason = first_reason
        if old is not None:
            reason = change_reason(actor=actor, version=version, new_points=scored.category_points(), old=json.loads(old))
        if scored.score != old_score:
            rows.append((lead_id, at, "score", _audit_text(old_score), str(scored.score), reason, actor))
        if scored.tier != old_tier:
            rows.append((lead_id, at, "tier", old_tier, scored.tier, reason, actor))
            tier_moves[f"{old_tier or 'unscored'}->{scored.tier}"] += 1
    return rows


def _audit_text(value: object) -> str | None:
    return None if value is None else str(value)[:_AUDIT_TEXT]


# ---------------------------------------------------------------------------------------------
# Bulk reads and writes at the driver level
#
# A re-score moves ~100,000 leads and ~750,000 activities through Python. SQLAlchemy builds and
# compiles every statement below; the rows themselves go to and from the driver directly, which
# halves the time of both reading and writing.

# The stored breakdown comes as text: SQLite returns exactly what was written, so an unchanged
# breakdown is found by comparing strings; PostgreSQL normalises JSONB, so there every row is rewritten.
_LEAD_COLUMNS = (
    Lead.id, Lead.score, Lead.tier, cast(Lead.score_breakdown, Text), *(getattr(Lead, name) for name in LEAD_FACT_FIELDS)
)
_ACTIVITY_COLUMNS = (Activity.lead_id, Activity.kind, Activity.direction, Activity.detail, Activity.occurred_at)
_LEADS = Lead.__table__
_AUDIT = AuditEvent.__table__


_SCORE_UPDATE = (
    update(_LEADS)
    .where(_LEADS.c.id == bindparam("b_id"))
    .values(
        score=bindparam("b_score"),
        tier=bindparam("b_tier"),
        score_breakdown=bindparam("b_breakdown", type_=Text),  # ready-made JSON text: no second encoding
        scored_at=bindparam("b_at"),
    )
)
_SCORE_PARAMS = ("b_score", "b_tier", "b_breakdown", "b_at", "b_id")  # the UPDATE's order: no reordering
_AUDIT_COLUMNS = ("lead_id", "at", "field", "old_value", "new_value", "reason", "actor")
_AUDIT_INSERT = insert(_AUDIT).values({name: bindparam(f"b_{name}") for name in _AUDIT_COLUMNS})
_AUDIT_PARAMS = tuple(f"b_{name}" for name in _AUDIT_COLUMNS)
_STAMP_RANGE = update(_LEADS).where(_LEADS.c.id.between(bindparam("b_first"), bindparam("b_last"))).values(scored_at=bindparam("b_at"))
_STAMP_ONE = update(_LEADS).where(_LEADS.c.id == bindparam("b_id")).values(scored_at=bindparam("b_at"))


def _fetch_tuples(session: Session, query: Any) -> list[tuple[Any, ...]]:
    """Rows of `query` as the driver's plain tuples, in the session's transaction.

    Skips SQLAlchemy's Row objects and result processing, which double the time to read
    ~750,000 activities. Only for queries whose parameters and columns need no type processing
    (ids, text, numbers; datetimes arrive raw: SQLite's ISO text or PostgreSQL's naive datetime).
    """
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, tuple(params[name] for name in compiled.positiontup) if compiled.positional else params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _write_scores(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Store (score, tier, breakdown JSON, scored_at, id) rows."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _pg_update_scores(session, rows)
    else:
        _execute_many(session, _SCORE_UPDATE, _SCORE_PARAMS, rows)


def _write_audit(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert audit events, values in _AUDIT_COLUMNS order."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        with _driver_cursor(session) as cursor, cursor.copy(f"COPY audit_events ({', '.join(_AUDIT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        _execute_many(session, _AUDIT_INSERT, _AUDIT_PARAMS, rows)


# PostgreSQL: executemany costs a round trip per row and array parameters of JSON text are slow
# to parse, so scores go in with COPY into a temporary table and one UPDATE ... FROM.
_PG_STAGE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS leadpilot_scores "
    "(score integer, tier text, breakdown jsonb, scored_at timestamp, id integer) ON COMMIT DROP"
)
_PG_UPDATE_FROM_STAGE = (
    "UPDATE leads SET score = s.score, tier = s.tier, score_breakdown = s.breakdown, scored_at = s.scored_at "
    "FROM leadpilot_scores AS s WHERE leads.id = s.id"
)


def _pg_update_scores(session: Session, rows: list[tuple[Any, ...]]) -> None:
    with _driver_cursor(session) as cursor:
        cursor.execute(_PG_STAGE)
        with cursor.copy("COPY leadpilot_scores (score, tier, breakdown, scored_at, id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_PG_UPDATE_FROM_STAGE)
        cursor.execute("TRUNCATE leadpilot_scores")  # the next batch may share the transaction


def _driver_cursor(session: Session) -> Any:
    """A DBAPI cursor on the session's connection, inside its transaction."""
    return session.connection().connection.cursor()


def _execute_many(session: Session, statement: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Run `statement` once per row (values in `names` order) through the driver's executemany.

    The statement is compiled once and values go to the driver as they are, skipping SQLAlchemy's
    per-row parameter processing (a third of a bulk re-score's time). Values must already be in
    the driver's form: see `_driver_datetime`.
    """
    if not rows:
        return
    connection = session.connection()
    sql, in_order = _driver_statement(connection.dialect, statement, names)
    connection.exec_driver_sql(sql, in_order(rows))


def _driver_statement(
    dialect: Any, statement: Any, names: tuple[str, ...]
) -> tuple[str, Callable[[list[tuple[Any, ...]]], list[Any]]]:
    """`statement` compiled for the driver, and what puts rows (values in `names` order) in its parameter order."""
    compiled = statement.compile(dialect=dialect)
    if not compiled.positional:
        return compiled.string, lambda rows: [dict(zip(names, row)) for row in rows]
    if tuple(compiled.positiontup) == names:
        return compiled.string, lambda rows: rows
    in_order = itemgetter(*(names.index(name) for name in compiled.positiontup))  # statements here have 2+ parameters
    return compiled.string, lambda rows: list(map(in_order, rows))


def _driver_datetime(dialect: Any, value: datetime) -> Any:
    """`value` as the store's datetime type hands it to the driver (SQLite: its ISO text)."""
    processor = Lead.__table__.c.scored_at.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


# ---------------------------------------------------------------------------------------------
# Agent-facing reads


@dataclass(frozen=True)
class ScoreChange:
    at: datetime
    field: str  # score | tier
    old_value: str | None
    new_value: str | None
    reason: str
    actor: str


@dataclass(frozen=True)
class ScoreExplanation:
    """A lead's stored score, why it is what it is, and how it got there."""

    lead_id: int
    company: str | None
    score: int | None  # None: not scored yet
    tier: str | None
    scored_at: datetime | None
    policy_version: str | None
    summary: str  # "55, warm (hot from 70, warm from 40), policy ce2f9070d9e8"
    lines: list[str]  # one per category: "source +25 (cap 25): referral source +25"
    history: list[ScoreChange]  # score and tier changes, oldest first
    breakdown: dict[str, Any] | None = None


@dataclass(frozen=True)
class RankedLead:
    lead_id: int
    company: str | None
    contact_name: str | None
    industry: str | None
    source: str
    stage: str
    score: int
    tier: str | None
    reasons: list[str]  # the biggest contributions


def score_lead_by_id(
    session: Session, *, lead_id: int, policy: ScoringPolicy, now: datetime, semantic: SemanticIndex | None = None
) -> ScoreResult:
    """Compute a lead's score under `policy` as of `now`, without storing it (a what-if read).

    With the `semantic` index, an indexed lead gets the semantic category, as in `rescore_leads`.
    Raises VectorStoreError when that index cannot be read.
    """
    facts = session.execute(select(*(getattr(Lead, name) for name in LEAD_FACT_FIELDS)).where(Lead.id == lead_id)).first()
    if facts is None:
        raise LookupError(f"no lead with id {lead_id}")
    activities = session.execute(
        select(Activity.kind, Activity.occurred_at, Activity.direction, Activity.detail).where(Activity.lead_id == lead_id)
    ).all()
    part = None
    if semantic is not None and (category := policy.categories.semantic_in_force) is not None:
        part = SemanticScorer.load(session, index=semantic, category=category).parts(session, [lead_id]).get(lead_id)
    return score_lead(
        lead=LeadFacts(*facts),
        activities=[ActivityFacts(*row) for row in activities],
        policy=policy,
        now=now,
        semantic=part,
    )


def explain_score(session: Session, *, lead_id: int) -> ScoreExplanation:
    """A lead's stored score in readable lines, plus the audit history of its score and tier."""
    lead = session.execute(
        select(Lead.id, Lead.company, Lead.score, Lead.tier, Lead.scored_at, Lead.score_breakdown).where(Lead.id == lead_id)
    ).first()
    if lead is None:
        raise LookupError(f"no lead with id {lead_id}")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.lead_id == lead_id, AuditEvent.field.in_(("score", "tier")))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    breakdown = lead.score_breakdown
    return ScoreExplanation(
        lead_id=lead.id,
        company=lead.company,
        score=lead.score,
        tier=lead.tier,
        scored_at=lead.scored_at,
        policy_version=breakdown.get("policy_version") if breakdown else None,
        summary=_summary(breakdown) if breakdown else "not scored yet",
        lines=breakdown_lines(breakdown) if breakdown else [],
        history=[ScoreChange(e.at, e.field, e.old_value, e.new_value, e.reason, e.actor) for e in events],
        breakdown=breakdown,
    )


def rank_leads(
    session: Session, *, tier: str | None = None, limit: int = 10, open_only: bool = True
) -> list[RankedLead]:
    """The highest-scoring leads (ties: lowest id first), optionally of one tier; open leads only by default."""
    if tier is not None and tier not in {t.value for t in Tier}:
        raise ValueError(f"unknown tier {tier!r}: use hot, warm or cold")
    if not 1 <= limit <= 1000:
        raise ValueError(f"limit must be between 1 and 1000 (got {limit})")
    query = select(
        Lead.id, Lead.company, Lead.contact_name, Lead.industry, Lead.source, Lead.stage, Lead.score, Lead.tier, Lead.score_breakdown
    ).where(Lead.score.is_not(None))
    if tier is not None:
        query = query.where(Lead.tier == tier)
    if open_only:
        query = query.where(Lead.stage.in_([stage.value for stage in OPEN_STAGES]))
    rows = session.execute(query.order_by(Lead.score.desc(), Lead.id).limit(limit)).all()
    return [
        RankedLead(
            lead_id=row.id,
            company=row.company,
            contact_name=row.contact_name,
            industry=row.industry,
            source=row.source,
            stage=row.stage,
            score=row.score,
            tier=row.tier,
            reasons=top_reasons(row.score_breakdown),
        )
        for row in rows
    ]
