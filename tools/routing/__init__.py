"""Who takes a lead and why: the routing policy, the decision engine, and the confirmed writes.

Owns: config/routing.yaml's model (policy), the facts a decision reads (facts, store), the pure
decision engine (engine, decision), suggest/explain/what-if/route (router), and the assignment
and snooze writes a person confirmed (assignment).
May import: memory, leadpilot.settings/clock, tools.common, tools.scoring (tier names).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "assignment": ["AssignmentError", "assign_lead", "snooze_lead"],
    "decision": ["ACCOUNT_RULE", "FALLBACK_RULE"],
    "policy": ["RoutingPolicyError", "load_policy", "policy_in_force"],
    "router": ["PoolMembership", "RoutingInputError", "explain_assignment", "route_lead", "routing_what_if", "suggest_owner"],
    "store": ["AccountIndex", "lead_facts", "load_snapshot"],
})
