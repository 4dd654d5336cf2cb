"""The rule score: the policy RevOps edits, scoring a lead with its breakdown, bulk re-scores.

Owns: config/scoring.yaml's model and holder (policy), rule scoring of one lead (facts, engine,
rules), a breakdown in words and "X is warm, not hot" (explanation), the agent's reads (reads), bulk re-scores (rescore,
bulk_sql), the second-process batch writer for SQLite (writer), the semantic category from similar
closed accounts (semantic), the policy scored on history (history), calibration against outcomes
with proposed thresholds and learned weights (calibrate), tiers and scores week by week (drift).
May import: memory, leadpilot.settings/clock, tools.common, tools.semantic (the semantic category
reads the index; the index describes neighbours with this package's wording: a known two-way pair),
tools.prediction (when a closed lead's outcome was decided).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "calibrate": ["HISTORY_NOTE", "Calibration", "apply_proposal", "calibrate_policy", "write_thresholds"],
    "drift": ["score_drift"],
    "grid": ["ENGAGEMENT_CATEGORIES", "ENGAGEMENT_WORDS", "FIT_WORDS", "cell_meaning"],
    "explanation": ["axes_sentence", "breakdown_lines", "not_the_tier", "rules_and_model", "top_reasons"],
    "history": ["rule_scores_as_of_outcome"],
    "policy": ["PolicyError", "PolicyHolder", "ScoringPolicy", "SemanticCategory", "load_policy", "parse_policy"],
    "reads": ["explain_score"],
    "rescore": ["rescore_leads"],
    "semantic": ["CATEGORY", "SemanticScorer", "describe_entry", "open_scoring_index"],
})
