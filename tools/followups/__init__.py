"""Who to follow up with and when: cadence per tier, best time from engagement, the daily list.

Owns: config/followups.yaml (policy), the best time to reach a lead (best_time), the ranked daily
list with reasons (daily).
May import: memory, tools.common, tools.leads.

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "best_time": ["best_time_for_lead"],
    "daily": ["FollowUpError", "FollowUpQuery", "follow_ups_due"],
    "policy": ["FollowUpPolicyError", "policy_in_force"],
})
