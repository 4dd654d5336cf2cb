"""Who takes a lead and why: the routing policy, the decision engine, and the confirmed writes.

Owns: config/routing.yaml's model (policy, policy_sections, policy_values), the facts a decision
reads (facts, store), the pure decision engine (engine, decision; what it works out once per snapshot: pool_members;
a rule's ordered backup said in words: backups; least-loaded tie-breaks: ties), suggest/route (router),
"why does this rep have this lead?" (explain), what-if runs (what_if), the assignment and
snooze writes a person confirmed (assignment), declared accounts and their import (accounts),
which account owners a lead tries (sticky), a policy's `where:` keys read against the roster (policy_roster) and the whole policy checked against it (policy_check), the pool strategies that deal by today's counts
(today), the rep roster's import from RevOps' spreadsheet (roster, roster_cells), and first-touch SLAs: the
watch the workers run, nudges, reassignment and SLA reports (sla), and time to first touch before
and after routing (first_touch).
May import: memory, leadpilot.settings/clock, tools.common, tools.scoring (tier names), tools.crm (an SLA
reassignment's push to the CRM, queued in its transaction).

Other packages import only the names exported below (see leadpilot/lazy.py).
"""

from leadpilot.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "accounts": ["AccountsImportError", "import_accounts", "list_accounts"],
    "assignment": ["AssignmentError", "assign_lead", "snooze_lead"],
    "decision": ["ACCOUNT_RULE", "FALLBACK_RULE"],
    "explain": ["explain_assignment"],
    "policy": ["RoutingPolicyError", "load_policy", "policy_in_force"],
    "policy_check": ["PolicyProblem", "check_policy"],
    "roster": ["RosterImportError", "import_roster", "roster_rows"],
    "router": ["RoutingInputError", "route_lead", "suggest_owner"],
    "sla": ["SlaRun", "watch_sla"],
    "first_touch": ["first_touch_by_routing", "first_touch_change"],
    "sla_report": ["sla_performance"],
    "sticky": ["account_stages"],
    "store": ["AccountIndex", "lead_facts", "load_snapshot", "policy_problems", "roster_problems"],
    "what_if": ["PoolMembership", "routing_what_if"],
})
