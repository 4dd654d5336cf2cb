"""Analytics tools: reports as rows with a name column and number columns (volume, conversion by
tier, time to first contact, rep performance, score distribution, source attribution).

The reports are history and read ALL leads, won and lost too, unless filter.scope is set; the score
distribution is the pipeline as it stands: open leads by default."""

from __future__ import annotations

from typing import Any, Literal

from leadpilot.agent.toolbox.registry import ToolRuntime, tool

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.toolbox.common import MODEL_ROWS, to_json
from leadpilot.tools.leads import LeadFilter


_ANALYTICS_SHOWN = ("report", "group_by", "metric", "definitions", "based_on", "filters_applied", "problems")


def _analytics(deps: AgentDeps, run) -> tuple[str, dict[str, Any]]:
    """Run a report from tools/analytics/reports.py in a read-only session; rows go to the interfaces as an aggregate."""
    with deps.read() as session:
        data = run(session).model_dump(mode="json")
    shown = {**{k: data[k] for k in _ANALYTICS_SHOWN}, "rows": data["rows"][:MODEL_ROWS + 10]}
    return to_json(shown), {"kind": "aggregate", **data}


@tool("lead_volume", response_format="content_and_artifact")
def lead_volume_tool(
    runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None,
    by: Literal["source", "channel", "month", "source_by_month", "channel_by_month"] = "source",
) -> tuple[str, dict[str, Any]]:
    """New lead volume by source or by channel group (count and share), by month, or by month and
    source or channel. Put the period in
    `filter` (created_after / created_before / created_within_days, e.g. this quarter). History: all
    leads created, won and lost too, unless filter.scope is set."""
    from leadpilot.tools.analytics import lead_volume

    deps = runtime.context
    return _analytics(deps, lambda s: lead_volume(s, lead_filter=filter, by=by, viewer=deps.viewer, now=deps.now, row_cap=deps.settings.query_row_cap))


@tool("conversion_by_tier", response_format="content_and_artifact")
def conversion_by_tier_tool(runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None) -> tuple[str, dict[str, Any]]:
    """Conversion rate (won / closed) per score tier, with won, lost, open and total leads. History:
    all leads unless filter.scope is set."""
    from leadpilot.tools.analytics import conversion_by_tier

    deps = runtime.context
    return _analytics(deps, lambda s: conversion_by_tier(s, lead_filter=filter, viewer=deps.viewer, now=deps.now))


@tool("time_to_first_contact", response_format="content_and_artifact")
def time_to_first_contact_tool(
    runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None, by: Literal["all", "rep", "source", "channel"] = "all"
) -> tuple[str, dict[str, Any]]:
    """Median and p90 hours from a lead's creation to its first outbound contact ("speed to lead"):
    one total (by "all", the default) or by rep, source or channel when the question asks for it.
    History: all leads unless filter.scope is set."""
    from leadpilot.tools.analytics import time_to_first_contact

    deps = runtime.context
    return _analytics(deps, lambda s: time_to_first_contact(s, lead_filter=filter, by=by, viewer=deps.viewer, now=deps.now))


@tool("rep_performance", response_format="content_and_artifact")
def rep_performance_tool(runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None) -> tuple[str, dict[str, Any]]:
    """Per rep: conversion rate, leads owned, contacted, won, lost, open pipeline and median hours to
    first contact. One rep: filter.owner. History: all leads unless filter.scope is set."""
    from leadpilot.tools.analytics import rep_performance

    deps = runtime.context
    return _analytics(deps, lambda s: rep_performance(s, lead_filter=filter, viewer=deps.viewer, now=deps.now))


@tool("score_distribution", response_format="content_and_artifact")
def score_distribution_tool(
    runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None, bucket_size: Literal[5, 10, 20, 25] = 10
) -> tuple[str, dict[str, Any]]:
    """A histogram of lead scores in buckets of `bucket_size` points, split by tier: open leads unless
    filter.scope (or a stage / converted) says otherwise."""
    from leadpilot.tools.analytics import score_distribution

    deps = runtime.context
    return _analytics(deps, lambda s: score_distribution(s, lead_filter=filter, bucket_size=bucket_size, viewer=deps.viewer, now=deps.now))


@tool("source_attribution", response_format="content_and_artifact")
def source_attribution_tool(runtime: ToolRuntime[AgentDeps], filter: LeadFilter | None = None) -> tuple[str, dict[str, Any]]:
    """First-touch (original source) vs last-touch (channel of the last inbound touch before
    conversion) attribution over converted leads: counts and shares per channel. History: all
    converted leads."""
    from leadpilot.tools.analytics import source_attribution

    deps = runtime.context
    return _analytics(deps, lambda s: source_attribution(s, lead_filter=filter, viewer=deps.viewer, now=deps.now))
