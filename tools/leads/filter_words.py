"""The lead filter in words: the "filters applied" lines people see next to an answer.

Every condition that narrowed the answer is said, including the lifecycle: "open leads" when the
open-leads default (or scope "open") applied, "including closed" for scope "all", "closed leads"
for scope "closed". Nothing is said about the lifecycle when the filter names a stage or outcome
(that line says it) or when a history report reads all leads by its own default.
"""

from __future__ import annotations

from leadpilot.memory.vocab import industry_label, source_label
from leadpilot.tools.leads.filter import LeadConditions, LeadFilter, ScopeName, names_lifecycle, open_by_default
from leadpilot.tools.leads.filter_deals import deal_lines

OPEN_LEADS = "open leads"
INCLUDING_CLOSED = "including closed"
CLOSED_LEADS = "closed leads"
SCOPE_LINES = (OPEN_LEADS, INCLUDING_CLOSED, CLOSED_LEADS)


def scope_line(lead_filter: LeadFilter, default_scope: ScopeName = "open") -> str | None:
    """The lifecycle line for this filter, or None when there is nothing to say."""
    if lead_filter.scope == "all":
        return INCLUDING_CLOSED
    if lead_filter.scope == "closed":
        return CLOSED_LEADS
    if lead_filter.scope == "open":
        return OPEN_LEADS
    if open_by_default(lead_filter, default_scope):
        if any(names_lifecycle(a) for a in lead_filter.any_of or []):
            return f"{OPEN_LEADS} (except where a stage or outcome is named)"
        return OPEN_LEADS
    return None


def describe_filter(lead_filter: LeadFilter, *, default_scope: ScopeName = "open") -> list[str]:
    """Plain-language lines for each condition applied, e.g. "open leads", "tier: hot",
    "not contacted in 3 days", "any of: (industry: Fintech) or (city: London)"."""
    line = scope_line(lead_filter, default_scope)
    lines = ([line] if line else []) + describe_conditions(lead_filter)
    if lead_filter.any_of:
        alternatives = [describe_conditions(a) for a in lead_filter.any_of]
        lines.append("any of: " + " or ".join(f"({', '.join(words)})" for words in alternatives))
    return lines


def _names(values) -> str:
    return " or ".join(str(getattr(v, "value", v)) for v in values)


def describe_conditions(conditions: LeadConditions) -> list[str]:
    """A line per condition set in `conditions` (no lifecycle, no alternatives)."""
    f = conditions
    lines: list[str] = []
    pairs = (
        ("tier", f.tier), ("country", f.country), ("region", f.region), ("state", f.state), ("city", f.city),
        ("company size", f.segment), ("source", f.source), ("channel", f.channel), ("stage", f.stage),
        ("qualification", [q.upper() if q in ("mql", "sql") else q for q in f.qualification or ()]), ("status", f.status), ("owner", f.owner), ("seniority", f.seniority), ("department", f.department),
    )
    exclusions = {"country": f.not_country, "region": f.not_region, "city": f.not_city, "source": f.not_source,
                  "channel": f.not_channel, "stage": f.not_stage}
    for name, values in pairs:
        if name == "country":  # industry after tier, as people say it: "hot fintech leads"
            if f.industry:
                lines.append("industry: " + " or ".join(industry_label(i) for i in f.industry))
            if f.not_industry:
                lines.append("industry not " + " or ".join(industry_label(i) for i in f.not_industry))
        if name == "source":  # a lead with no source is "(no source)", as stored values are not shown
            values, excluded = [source_label(v) for v in values or ()], [source_label(v) for v in exclusions["source"] or ()]
        else:
            excluded = exclusions.get(name)
        if values:
            lines.append(f"{name}: {_names(values)}")
        if excluded:
            lines.append(f"{name} not {_names(excluded)}")
    for wanted, what in ((f.has_phone, "a phone number"), (f.has_email, "an email address")):
        if wanted is not None:
            lines.append(("with " if wanted else "without ") + what)
    lines.extend(f"{kept.column}: {_names(kept.values)}" for kept in f.kept or ())
    lines.extend(_number_lines(f))
    lines.extend(deal_lines(f))
    lines.extend(_time_lines(f))
    lines.extend(_activity_lines(f))
    if f.title:
        lines.append("job title contains " + " or ".join(repr(text) for text in f.title))
    if f.company:
        lines.append(f"company contains {f.company!r}")
    if f.contact:
        lines.append(f"contact named {f.contact!r}")
    if f.converted is not None:
        lines.append("converted (won)" if f.converted else "not converted (lost)")
    if f.lead_ids is not None:
        lines.append(f"leads {', '.join(map(str, f.lead_ids[:10]))}{'...' if len(f.lead_ids) > 10 else ''}")
    return lines


def _number_lines(f: LeadConditions) -> list[str]:
    lines: list[str] = []
    if f.min_employees is not None:
        lines.append(f"at least {f.min_employees:,} employees")
    if f.max_employees is not None:
        lines.append(f"at most {f.max_employees:,} employees")
    if f.min_score is not None:
        lines.append(f"score ≥ {f.min_score}")
    if f.max_score is not None:
        lines.append(f"score ≤ {f.max_score}")
    if f.min_probability is not None:
        lines.append(f"conversion probability ≥ {f.min_probability:.0%}")
    if f.max_probability is not None:
        lines.append(f"conversion probability ≤ {f.max_probability:.0%}")
    return lines


def _time_lines(f: LeadConditions) -> list[str]:
    lines: list[str] = []
    if f.created_within_days is not None:
        lines.append(f"created in the last {f.created_within_days} days")
    if f.created_after is not None:
        lines.append(f"created since {f.created_after.isoformat()[:10]}")
    if f.created_before is not None:
        lines.append(f"created before {f.created_before.isoformat()[:10]}")
    if f.not_contacted_in_days is not None:
        lines.append(f"not contacted in {f.not_contacted_in_days} days (including never)")
    if f.never_contacted is True:
        lines.append("never contacted")
    elif f.never_contacted is False:
        lines.append("contacted at least once")
    if f.contacted_within_days is not None:
        lines.append(f"contacted in the last {f.contacted_within_days} days")
    if f.not_contacted_since is not None:
        lines.append(f"not contacted since {f.not_contacted_since.isoformat()[:10]} (including never)")
    if f.contacted_since is not None:
        lines.append(f"contacted since {f.contacted_since.isoformat()[:10]}")
    if f.closed_after is not None:
        lines.append(f"closed since {f.closed_after.isoformat()[:10]}")
    if f.closed_before is not None:
        lines.append(f"closed before {f.closed_before.isoformat()[:10]}")
    return lines


def _activity_lines(f: LeadConditions) -> list[str]:
    lines: list[str] = []
    for condition in f.activity or []:
        what = condition.kind.value.replace("_", " ")
        if condition.page:
            what += f" of {condition.page}"
        if condition.about:
            what += f" ({condition.about})"
        if condition.min_days:
            what += f" on {condition.min_days}+ days"
        elif condition.min_count:
            what += f" {condition.min_count}+ times"
        when = f" in the last {condition.within_days} days" if condition.within_days else ""
        if condition.since:
            when += f" since {condition.since.isoformat()}"
        if condition.before:
            when += f" before {condition.before.isoformat()}"
        lines.append(("no " if condition.absent else "") + what + when)
    return lines
