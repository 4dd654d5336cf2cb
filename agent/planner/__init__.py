"""The offline planner: a deterministic reader of sales questions that emits the tool calls an LLM
would (see core for how a question is read). One module per reading pass:

- question: `plan`, a message as people type it: shorthand, write requests, several questions,
  comparisons, "or" across fields, typos
- shorthand: chat shorthand and mentions spelled out ("r u", "w/", "@Leadpilot", "havent")
- courtesy: greetings, thanks, apologies and polite framing, which carry no condition
- writes: requests to change data, answered with where to do it
- earlier: "and the month before?" after a window question: the same query over the period before
- paging: "next page", "2nd page", "show more": the last list again, further down (an offset)
- splits: several questions in one message, "X vs Y" comparisons, "or" across two fields
- typos: near-misses of known words corrected by edit distance, and said back
- core: Plan, ToolCall, Context, the reader that runs the passes in order, and one query's plan
- names: the Vocabulary of store names (cities, reps, companies) and their aliases
- reading: the reader's state and machinery (take, blank, negation, phrase tables, leftovers)
- aggregates: counts, rates, breakdowns, sort order and top N
- inflow: the reader's last pass — an inflow phrase on a count of leads created in a window reads as scope all
- windows: contact, creation and close time windows ("won last month": when the deal closed)
- activity: email opens and clicks, page views, forms, demos, meetings
- comparatives: employee, score and probability bounds
- owners: my leads, unassigned, a rep by name
- categories: tier, industry (the store's own values first), source and channel, stage (and a CRM's
  lead statuses, "Open - Not Contacted"; the store's own ones no other words say, "junk leads", as the status field), MQL / SQL as the qualification field, segment, scope (open /
  closed / all), converted, company or person by name ("who owns Acme?" is worded as its owner)
- fields: values named with their field ("source is webinar", "stage = negotiation"), and every
  categorical value checked against what the store holds (a value no lead has is said, with the
  closest ones, never passed through)
- people: seniority and department from the job title, what the title says ("fleet managers"), has a
  phone / an email
- store_values: the store's values as its file wrote them where a word could mean several ("ISV": two
  industries, listed both and said back) and a source named like a channel group ("leads from Partner")
- kept_fields: a column of the imported file the store keeps as written ("rating Active")
- deals: a CRM's deals where the store keeps them: value ("over 20k", "biggest deals"), lost reason ("lost on
  price"), pipeline ("expansion deals") and its stage words ("in negotiation")
- places: cities (any spelling of one the store holds: "Cracow" is its "Kraków"), states, countries
  and regions
"""

from leadpilot.agent.planner.core import SUGGESTIONS, Context, Plan, ToolCall
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.question import plan

__all__ = ["SUGGESTIONS", "Context", "Plan", "ToolCall", "Vocabulary", "plan"]
