"""The deal facets of the lead filter compiled to SQL: the team's CRM label, the deal's value, its lost reason and pipeline,
read from the CRM's own columns the import kept (memory.crm_facets: Pipedrive's Deal - Value, Deal - Lost
reason, Deal - Pipeline; an Amount, a Closed Lost Reason). Bound values only: nothing a model writes
reaches SQL as text. A store that kept no such column (the demo) has no deal matching them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from leadpilot.memory.crm_facets import crm_rating_condition, deal_value, lost_reason_condition, pipeline_condition
from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import Stage
from leadpilot.tools.leads.filter import LeadConditions


def deal_conditions(f: LeadConditions) -> list[ColumnElement[bool]]:
    """One expression per deal field set in `f` (all must hold)."""
    c: list[ColumnElement[bool]] = []
    value = deal_value()
    for bound, compare in ((f.deal_value_min, value.__ge__), (f.deal_value_max, value.__le__),
                           (f.deal_value_over, value.__gt__), (f.deal_value_under, value.__lt__)):
        if bound is not None:
            c.append(compare(bound))
    if f.lost_reason:  # "lost on price": a lost deal whose reason says so
        c.extend((Lead.stage == Stage.LOST.value, lost_reason_condition(f.lost_reason)))
    if f.pipeline:
        c.append(pipeline_condition(f.pipeline))
    if f.crm_label:  # the team's own Label / Rating, any of a deal's labels ("Hot, Big deal")
        c.append(crm_rating_condition(f.crm_label))
    return c


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def deal_lines(f: LeadConditions) -> list[str]:
    """The deal fields in words, for the filters line: "deal value > 20,000", "lost reason: price"."""
    lines = [f"CRM label: {' or '.join(f.crm_label)}"] if f.crm_label else []
    lines += [f"deal value {sign} {_amount(bound)}" for bound, sign in
             ((f.deal_value_min, "≥"), (f.deal_value_max, "≤"), (f.deal_value_over, ">"), (f.deal_value_under, "<")) if bound is not None]
    if f.lost_reason:
        lines.append("lost reason: " + " or ".join(repr(word) for word in f.lost_reason))
    if f.pipeline:
        lines.append("pipeline: " + " or ".join(f.pipeline))
    return lines
