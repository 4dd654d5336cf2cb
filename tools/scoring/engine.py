"""The scoring policy compiled into lookup tables (one per policy version), shared by
`score_lead` (tools/scoring/rules.py) and `rescore_leads` (tools/scoring/rescore.py).

Re-scoring 100,000 leads must take seconds, so the per-lead work is kept small: the static
categories (completeness .. company_size) depend on a handful of facts, and their result, JSON
included, is computed once per distinct combination; activities are classified once per
distinct (kind, direction, detail).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np

from leadpilot.clock import utc
from leadpilot.memory.vocab import ActivityKind, Direction, Tier, channel_label, channel_of, industry_group, normalise_source
from leadpilot.tools.scoring.facts import LEAD_FACT_FIELDS
from leadpilot.tools.scoring.policy import ScoringPolicy
from leadpilot.tools.scoring.semantic import CATEGORY as SEMANTIC
from leadpilot.tools.scoring.semantic import SemanticPart

_SECONDS_PER_DAY = 86_400.0


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
    cell: str | None = None  # the grid cell ("B2") under a grid policy

    def category_points(self) -> dict[str, int | float]:
        return {name: points for part in self.parts for name, points in part.points().items()}


class _Engine:
    """Lookup tables built once per policy version, shared by `score_lead` and `rescore_leads`."""

    _MEMO_LIMIT = 100_000

    def __init__(self, policy: ScoringPolicy):
        categories = policy.categories
        self.version = policy.version
        tiers = policy.tiers
        self.hot, self.warm = (tiers.hot, tiers.warm) if tiers is not None else (0, 0)
        self.total_cap = policy.total_cap if tiers is not None else None
        self.grid = policy.grid
        if self.grid is None:
            self._head = f'{{"policy_version":{_json(self.version)},"tiers":{{"hot":{self.hot},"warm":{self.warm}}},'
            if self.total_cap is not None:
                self._head += f'"total_cap":{self.total_cap},'
        else:
            self._compile_grid(self.grid)

        self._static: list[tuple[str, int]] = []  # (category, cap in tenths), in policy order
        self._field_rules: list[tuple[str, str, str, int]] = []  # (category, field, label, points)
        for name in ("completeness", "profile"):
            if (spec := getattr(categories, name)) is not None:
                self._static.append((name, _tenths(spec.cap)))
                self._field_rules += [(name, key, f"{_label(key)} on file", points) for key, points in spec.points if points]
        presence = tuple(dict.fromkeys(key for _, key, _, _ in self._field_rules))
        self._presence_fields = presence
        self._presence_index = tuple(_FACT_INDEX[key] for key in presence)
        self._source_points: dict[str, int] = {}  # by source value; a listed 0 is 0 (no channel points)
        self._channel_points: dict[str, int] = {}  # for sources not listed
        if categories.source is not None:
            self._static.append(("source", _tenths(categories.source.cap)))
            self._source_points = dict(categories.source.points)
            self._channel_points = {key: points for key, points in categories.source.channels.items() if points}
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

    def _compile_grid(self, grid: Any) -> None:
        """Fit × engagement: thresholds per axis, the tier of each cell, and the breakdown's head."""
        self._fit_grades = ((grid.fit.A, "A"), (grid.fit.B, "B"), (grid.fit.C, "C"))
        levels = grid.engagement
        self._engagement_levels = ((levels.level_1, "1"), (levels.level_2, "2"), (levels.level_3, "3"))
        self._cell_tier = {f"{g}{lv}": grid.tier_of(f"{g}{lv}") for g in "ABCD" for lv in "1234"}
        self._weights = (grid.score.fit, grid.score.engagement)
        shape = {
            "fit": {"A": grid.fit.A, "B": grid.fit.B, "C": grid.fit.C},
            "engagement": {"1": levels.level_1, "2": levels.level_2, "3": levels.level_3},
            "hot": list(grid.hot), "warm": list(grid.warm), "score": {"fit": grid.score.fit, "engagement": grid.score.engagement},
        }
        self._head = f'{{"policy_version":{_json(self.version)},"grid":{_json(shape)},'


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
        industry = industry_group(facts[_INDUSTRY]) if facts[_INDUSTRY] else None  # the team's value -> its group: edtech -> education
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
        if rule := self._source_rule(source):
            rules["source"].append(rule)
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

    def _source_rule(self, source: str | None) -> dict[str, Any] | None:
        """The source's points: by its value when the policy lists it, else by its channel group."""
        source = normalise_source(source or "other")
        if source in self._source_points:
            points, label = self._source_points[source], f"{source} source"
        else:
            channel = channel_of(source)
            points = self._channel_points.get(channel.value, 0)
            label = f"{source} source" if source == channel.value else f"{source} source ({channel_label(channel)} channel)"
        return {"label": label, "points": points} if points else None

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
        if self.grid is not None:
            return self._on_grid(static, activity, semantic, total)
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

    def _on_grid(self, static: _CategoryPart, activity: _CategoryPart, semantic: SemanticPart | None, total: int) -> _Scored:
        """The two axes (fit: the static and semantic categories; engagement: the activity ones),
        each 0–100; their cell picks the tier; the combined score is their weighted mean."""
        fit_tenths = static.total_tenths + (semantic.tenths if semantic is not None else 0)
        fit = min(100, (fit_tenths + 5) // 10)
        engagement = min(100, (activity.total_tenths + 5) // 10)
        grade = next((name for lowest, name in self._fit_grades if fit >= lowest), "D")
        level = next((name for lowest, name in self._engagement_levels if engagement >= lowest), "4")
        cell = grade + level
        tier = self._cell_tier[cell]
        score = (self._weights[0] * fit + self._weights[1] * engagement + 50) // 100
        if semantic is None:
            categories, parts = f"{static.json}{self._between}{activity.json}", (static, activity)
        else:
            categories = f"{static.json}{self._between}{activity.json}{self._before_semantic}{semantic.json}"
            parts = (static, activity, _CategoryPart(_SEMANTIC_NAMES, (semantic.tenths,), semantic.tenths, semantic.json))
        axes = (
            f'"axes":{{"fit":{{"score":{fit},"grade":"{grade}","points":{_tenths_json(fit_tenths)}}},'
            f'"engagement":{{"score":{engagement},"level":"{level}","points":{_tenths_json(activity.total_tenths)}}}}}'
        )
        text = (
            f'{self._head}"score":{score},"tier":"{tier}","cell":"{cell}",{axes},'
            f'"total":{_tenths_json(total)},"categories":{{{categories}}}}}'
        )
        return _Scored(score, tier, text, parts, cell)


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
