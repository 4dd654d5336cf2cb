"""What an LLM sees of the toolbox: compact tool schemas, one `report` tool for the reports, and the
tool sets (core for small-context models, full for large ones).

The Python tools stay as they are (the offline planner calls them by name, `ask --json` shows
their names); only the wire changes. LangChain's own conversion of the tools' pydantic types sent
~100 KB of JSON per request (titles, `default: null`, `anyOf`-with-null wrappers, a full copy of the
42-field lead filter in 11 tools, `any_of` repeating the filter inside itself). Here each schema is
compacted (no titles, no null defaults or null wrappers, references inlined, one-line
descriptions, no bounds the tool checks anyway), the seven report tools that repeat the filter are
one `report` tool with a `report` enum (mapped back onto the report's own tool by `resolve_call`),
and the two search-by-meaning tools take a short filter (the common fields; the tool validates
whatever the model sends against the full one).

The OpenAI wire has no definitions shared between tools, so the filter is repeated once per tool
that takes it: three times in the full set (search, aggregate, report), twice in the core set.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, Literal

Toolset = Literal["core", "full"]

CORE_TOOLS = ("search_leads", "aggregate_leads", "get_lead")
REPORT_TOOL = "report"
# The reports behind the `report` tool: each is the toolbox tool of that name.
REPORTS = ("lead_volume", "conversion_by_tier", "time_to_first_contact", "rep_performance", "score_distribution",
           "source_attribution", "follow_ups_due")
# The filter fields the search-by-meaning tools show (they accept every field of the filter).
SHORT_FILTER_FIELDS = ("tier", "industry", "country", "region", "city", "segment", "source", "channel", "stage", "owner", "scope")
SHORT_FILTER_TOOLS = ("semantic_search_leads", "similar_leads")
# The filter fields the core tool set (a small local model's) leaves out: a team CRM's own columns. The
# tools still take them (an LLM on the full set, or the offline reader, uses them).
CORE_OMITTED_FILTER_FIELDS = ("kept", "crm_label", "deal_value_min", "deal_value_max", "deal_value_over",
                              "deal_value_under", "lost_reason", "pipeline", "status")
CORE_OMITTED_ACTIVITY_FIELDS = ("about", "min_count", "min_days")  # 'visited on 10+ days', 'a chat'
DESCRIPTION_CHARS = 160  # a tool's description, one line
FIELD_DESCRIPTION_CHARS = 90  # a field's description

_REPORT_DESCRIPTION = (
    "A report as rows. lead_volume: new leads by `by` (source, channel, month, source_by_month, channel_by_month). "
    "conversion_by_tier: win rate per tier. time_to_first_contact: median/p90 hours to first contact, `by` all, rep, "
    "source or channel. rep_performance: per rep. score_distribution: score histogram (`bucket_size`). "
    "source_attribution: first vs last touch of won leads. follow_ups_due: who to call on `day`. "
    "Reports read all leads (history) unless filter.scope is set; put a period in the filter."
)


def _one_line(text: str | None, limit: int) -> str | None:
    """The first sentence of `text` on one line, cut to `limit` characters."""
    if not text:
        return None
    line = " ".join(text.split()).replace("e.g. ", "e.g.\u00a0").replace("i.e. ", "i.e.\u00a0")
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z(\"'])", line, maxsplit=1)[0].replace("\u00a0", " ")
    return first if len(first) <= limit else first[: limit - 1].rstrip(" ,;:") + "…"


_DROP = {"title", "additionalProperties", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
         "maxLength", "minItems", "maxItems", "$defs", "discriminator"}


def compact(schema: dict[str, Any], defs: dict[str, Any] | None = None, *, limit: int = FIELD_DESCRIPTION_CHARS) -> dict[str, Any]:
    """`schema` (pydantic JSON schema) without what a model does not need to fill it in correctly."""
    defs = schema.get("$defs", {}) if defs is None else defs
    if "$ref" in schema:
        target = compact(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, limit=limit)
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        return {**target, **compact(extra, defs, limit=limit)} if extra else target
    if "anyOf" in schema:
        options = [compact(o, defs, limit=limit) for o in schema["anyOf"] if o.get("type") != "null"]
        if len(options) > 1 and all(o.get("type") == "string" for o in options):  # date | date-time: a string
            options = [{"type": "string", **({"format": "date"} if any(o.get("format") for o in options) else {})}]
        rest = compact({k: v for k, v in schema.items() if k != "anyOf"}, defs, limit=limit)
        return {**options[0], **rest} if len(options) == 1 else {"anyOf": options, **rest}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP or (key == "default" and value is None):
            continue
        if key == "description":
            line = _one_line(value, limit)
            if line:
                out[key] = line
        elif key == "properties":
            out[key] = {name: compact(field, defs, limit=limit) for name, field in value.items()}
        elif key == "items":
            out[key] = compact(value, defs, limit=limit)
        elif key == "format" and value == "date-time":
            continue
        elif key == "required" and not value:
            continue
        else:
            out[key] = value
    if out.get("type") == "object" and "description" in out and "properties" in out and defs is not None:
        out.pop("description")  # the field's own description says what the object is for
    return out


# The filter's fields as a model reads them: a short hint where the name and type do not say it all;
# no hint where they do (min_employees, has_phone, created_after, not_* ...).
FILTER_HINTS = {
    "industry": "e.g. fintech, saas", "country": "ISO code or name", "state": "code or name",
    "region": "EUROPE = European countries; EMEA adds Middle East, Africa",
    "segment": "enterprise 1000+, mid-market 100-999, smb 10-99, micro 1-9 employees",
    "source": "as recorded, e.g. website_form, referral; a group of sources is channel",
    "stage": "CUSTOMER = won", "owner": "rep email or name; 'me' = the asker; 'unassigned'",
    "department": "from job title, e.g. sales", "title": "job title contains any, e.g. fleet",
    "min_probability": "0-1",
    "not_contacted_in_days": "no contact in the last N days, never contacted included",
    "not_contacted_since": "no contact since this date, never contacted included",
    "company": "name contains", "converted": "true won, false lost",
    "activity": "activity facts, all must hold",
    "kept": "a CRM column as the file wrote it: {column: 'Rating', values: ['Active']}",
}


@cache
def filter_schema(short: bool = False, core: bool = False) -> dict[str, Any]:
    """The lead filter for a model: every field (or the short list, or the core set's), `any_of`
    alternatives as objects of the same fields (not repeated: the tool checks them against the full filter)."""
    from leadpilot.tools.leads import LeadFilter

    properties = compact(LeadFilter.model_json_schema())["properties"]
    for name, field in properties.items():
        field.pop("description", None)
        field.get("items", {}).pop("description", None)
        if name in FILTER_HINTS:
            field["description"] = FILTER_HINTS[name]
    for field in properties.get("kept", {}).get("items", {}).get("properties", {}).values():
        field.pop("description", None)
        field.pop("pattern", None)  # the tool checks it
    activity = properties.get("activity", {}).get("items", {}).get("properties", {})
    for name, field in activity.items():
        field.pop("description", None) if name != "absent" else field.update(description="true: did NOT")
    if "any_of" in properties:
        properties["any_of"] = {"type": "array", "items": {"type": "object"},
                                "description": "OR: leads matching any of these (each: filter fields, no scope/any_of)"}
    if "scope" in properties:
        properties["scope"]["description"] = "open (default), closed (won/lost) or all; naming stage or converted lifts the default"
    if short:
        properties = {k: v for k, v in properties.items() if k in SHORT_FILTER_FIELDS}
    elif core:
        properties = {k: v for k, v in properties.items() if k not in CORE_OMITTED_FILTER_FIELDS}
        activity_items = properties.get("activity", {}).get("items", {})
        if "properties" in activity_items:
            properties["activity"] = {**properties["activity"], "items": {**activity_items, "properties": {
                k: v for k, v in activity_items["properties"].items() if k not in CORE_OMITTED_ACTIVITY_FIELDS}}}
    return {"type": "object", "properties": properties}


def field_schema(tool: Any, name: str) -> dict[str, Any]:
    """One argument's compact schema. Field by field: the whole arguments model's schema would
    render the 42-field filter again for every tool (a quarter second each)."""
    from pydantic import TypeAdapter

    field = tool.arguments_model.model_fields[name]
    schema = TypeAdapter(field.annotation).json_schema()
    if field.description:
        schema["description"] = field.description
    if not field.is_required() and field.default is not None:
        schema["default"] = field.default
    return compact(schema)


def _parameters(tool: Any, toolset: Toolset) -> dict[str, Any]:
    properties = {}
    fields = tool.arguments_model.model_fields
    for name in fields:
        if name == "filter":
            short = tool.name in SHORT_FILTER_TOOLS
            properties[name] = {**filter_schema(short=short, core=toolset == "core" and not short), "description": "Which leads"}
        else:
            properties[name] = field_schema(tool, name)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = [name for name, field in fields.items() if field.is_required()]
    if required:
        out["required"] = required
    return out


def _spec(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


def _report_spec() -> dict[str, Any]:
    from leadpilot.agent.toolbox import get_tool

    by: list[str] = []
    for name in REPORTS:
        tool = get_tool(name)
        field = field_schema(tool, "by") if "by" in tool.arguments_model.model_fields else {}
        by += [value for value in field.get("enum", []) if value not in by]
    parameters = {
        "type": "object",
        "properties": {
            "report": {"type": "string", "enum": list(REPORTS)},
            "filter": {**filter_schema(), "description": "Which leads"},
            "by": {"type": "string", "enum": by, "description": "lead_volume / time_to_first_contact grouping"},
            "bucket_size": {"type": "integer", "enum": [5, 10, 20, 25], "description": "score_distribution"},
            "day": {"type": "string", "description": "follow_ups_due: today, tomorrow, a weekday or YYYY-MM-DD"},
            "limit": {"type": "integer", "description": "follow_ups_due: at most this many"},
        },
        "required": ["report"],
    }
    return _spec(REPORT_TOOL, _REPORT_DESCRIPTION, parameters)


def _names(toolset: Toolset) -> list[str]:
    from leadpilot.agent.toolbox import tool_names

    if toolset == "core":
        return list(CORE_TOOLS)
    return [n for n in tool_names() if n not in REPORTS] + [REPORT_TOOL]


@cache
def llm_tools(toolset: Toolset = "full") -> tuple[dict[str, Any], ...]:
    """The tools as an OpenAI-compatible server gets them (`tools` of a chat-completions request)."""
    from leadpilot.agent.toolbox import get_tool

    specs = []
    for name in _names(toolset):
        if name == REPORT_TOOL:
            specs.append(_report_spec())
            continue
        tool = get_tool(name)
        specs.append(_spec(name, _one_line(tool.description, DESCRIPTION_CHARS) or name, _parameters(tool, toolset)))
    return tuple(specs)


def llm_tool_names(toolset: Toolset) -> tuple[str, ...]:
    return tuple(spec["function"]["name"] for spec in llm_tools(toolset))


class UnknownToolError(KeyError):
    """The model called a tool it was not given."""


def resolve_call(name: str, args: dict[str, Any], toolset: Toolset) -> tuple[str, dict[str, Any]]:
    """The toolbox tool and arguments behind a model's call: `report` becomes the report's own tool
    with the arguments that tool takes (a `by` it does not take is left for it to refuse)."""
    from leadpilot.agent.toolbox import get_tool

    if name not in llm_tool_names(toolset):
        raise UnknownToolError(name)
    if name != REPORT_TOOL:
        return name, args
    report = args.get("report")
    if report not in REPORTS:
        from leadpilot.agent.toolbox.registry import ToolArgumentsError

        raise ToolArgumentsError(f"report: {report!r} is not one of {', '.join(REPORTS)}")
    fields = get_tool(report).arguments_model.model_fields
    given = {k: v for k, v in args.items() if k != "report" and v is not None}
    unknown = [k for k in given if k not in fields]
    if unknown:
        from leadpilot.agent.toolbox.registry import ToolArgumentsError

        raise ToolArgumentsError(f"report {report} does not take {', '.join(unknown)}")
    return report, given


def tools_json(toolset: Toolset) -> str:
    """The tools as sent on the wire (what the token count measures)."""
    return json.dumps(list(llm_tools(toolset)), ensure_ascii=False)
