"""Lean tools for a model: compact schemas, one `report` tool for the reports, a core set that fits
a small local model, and `leadpilot status` printing the budget. The Python tools are unchanged:
the offline planner calls them by name, and every call it makes has a tool a model can call."""

from __future__ import annotations

import json

import jsonschema
import pytest
from typer.testing import CliRunner

from leadpilot.agent.llm_loop import static_prompt, token_budget
from leadpilot.agent.llm_wire import count_tokens
from leadpilot.agent.toolbox import tool_names
from leadpilot.agent.toolbox.registry import ToolArgumentsError
from leadpilot.agent.toolbox.schemas import REPORTS, llm_tools, resolve_call, tools_json
from leadpilot.settings import load_settings

CARD_ARGS = {"filter": {"tier": ["hot"], "industry": ["fintech"], "not_contacted_in_days": 3}}


def test_budget_goals_core_4000_and_all_tools_10000():
    settings = load_settings(model="gpt-4o-mini")
    budget = token_budget(settings, ask_server=False)
    assert budget["prompt"] + budget["core_tools"] <= 4000
    assert budget["prompt"] + budget["full_tools"] <= 10_000
    # the estimate is characters / 3 for JSON: the schemas themselves stay small
    assert len(tools_json("core")) <= 3 * 4000 and len(tools_json("full")) <= 3 * 10_000


@pytest.mark.parametrize("toolset", ["core", "full"])
def test_schemas_are_compact(toolset):
    text = tools_json(toolset)

    def schema_keys(node, inside_properties=False):  # keys of schema objects, not property names
        if isinstance(node, dict):
            for key, value in node.items():
                if not inside_properties:
                    yield key
                yield from schema_keys(value, inside_properties=(key == "properties" and not inside_properties))
        elif isinstance(node, list):
            for item in node:
                yield from schema_keys(item)

    assert "title" not in set(schema_keys([spec["function"]["parameters"] for spec in llm_tools(toolset)]))
    assert '"default": null' not in text and '{"type": "null"}' not in text and "$ref" not in text
    for spec in llm_tools(toolset):
        assert "\n" not in spec["function"]["description"] and len(spec["function"]["description"]) <= 520
        jsonschema.Draft202012Validator.check_schema(spec["function"]["parameters"])


def test_core_set_is_search_aggregate_and_one_lead():
    assert [t["function"]["name"] for t in llm_tools("core")] == ["search_leads", "aggregate_leads", "get_lead"]


def test_the_compact_filter_takes_what_the_full_filter_takes():
    from leadpilot.tools.leads import LeadFilter

    search = next(t for t in llm_tools("full") if t["function"]["name"] == "search_leads")["function"]["parameters"]
    assert set(search["properties"]["filter"]["properties"]) == set(LeadFilter.model_fields)
    jsonschema.validate(CARD_ARGS, search)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"filter": {"tier": ["lukewarm"]}}, search)


def test_every_tool_the_planner_calls_is_reachable_by_a_model():
    names = {t["function"]["name"] for t in llm_tools("full")}
    for name in tool_names():
        assert name in names or (name in REPORTS and "report" in names), name


def test_report_maps_onto_the_reports_own_tool():
    assert resolve_call("report", {"report": "time_to_first_contact", "by": "rep", "filter": None}, "full") == (
        "time_to_first_contact", {"by": "rep"})
    with pytest.raises(ToolArgumentsError, match="report conversion_by_tier does not take by"):
        resolve_call("report", {"report": "conversion_by_tier", "by": "rep"}, "full")
    with pytest.raises(ToolArgumentsError, match="not one of"):
        resolve_call("report", {"report": "pipeline_forecast"}, "full")
    with pytest.raises(KeyError):
        resolve_call("report", {"report": "lead_volume"}, "core")  # not offered to a small model


def test_counting_needs_no_download(monkeypatch, tmp_path):
    """tiktoken downloads its encodings on first use: without them cached the count is an estimate."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    from leadpilot.agent import llm_wire

    llm_wire._encoder.cache_clear()
    count, method = count_tokens(static_prompt(), "gpt-4o-mini")
    assert method == "estimate" and count == -(-len(static_prompt()) // 4)
    llm_wire._encoder.cache_clear()


def test_status_prints_the_token_budget(tmp_path, monkeypatch):
    from leadpilot.interfaces.cli import app
    from leadpilot.settings import get_settings

    monkeypatch.setenv("LEADPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEADPILOT_LLM_TOOLSET", "core")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    budget = token_budget(load_settings(llm_toolset="core"), ask_server=False)
    assert f"core tools {budget['core_tools']:,} = {budget['prompt'] + budget['core_tools']:,}" in result.stdout
    assert "llm tool set:" in result.stdout and "core" in result.stdout
    assert json.dumps(budget)  # plain data


def test_readme_numbers_are_what_status_measures():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use a local model"):readme.index("## Configuration")]
    budget = token_budget(load_settings(model="gpt-4o-mini", llm_toolset="full"), ask_server=False)
    core = token_budget(load_settings(model="gpt-4o-mini", llm_toolset="core"), ask_server=False)
    assert f"prompt {budget['prompt']:,} + core tools {budget['core_tools']:,} = **{budget['prompt'] + budget['core_tools']:,} tokens**" in section
    assert f"**{budget['prompt'] + budget['full_tools']:,} tokens** with every tool" in section
    assert f"about\n**{round(budget['one_tool_question'], -2):,} input tokens**" in section
    assert f"about {round(core['one_tool_question'], -2):,} with" in section
