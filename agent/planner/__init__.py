"""The offline planner: a deterministic reader of sales questions that emits the tool calls an LLM
would (see core for how a question is read). One module per reading pass:

- core: Plan, ToolCall, Context, the reader that runs the passes in order, and `plan`
- names: the Vocabulary of store names (cities, reps, companies) and their aliases
- reading: the reader's state and machinery (take, blank, negation, phrase tables, leftovers)
- aggregates: counts, rates, breakdowns, sort order and top N
- windows: contact and creation time windows
- activity: email opens and clicks, page views, forms, demos, meetings
- comparatives: employee, score and probability bounds
- owners: my leads, unassigned, a rep by name
- categories: tier, industry, source, stage, segment, open / converted, company by name
- places: cities, states, countries and regions
"""

from leadpilot.agent.planner.core import SUGGESTIONS, Context, Plan, ToolCall, plan
from leadpilot.agent.planner.names import Vocabulary

__all__ = ["SUGGESTIONS", "Context", "Plan", "ToolCall", "Vocabulary", "plan"]
