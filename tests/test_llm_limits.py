"""The model budget (#16.7): tool calls per question, one deadline per question, answer size, and
tool errors or malformed arguments sent back to the model once, then a message naming the tool.
Every limit is one sentence naming its setting; the run log keeps every tool call that ran."""

from __future__ import annotations


import pytest

from leadpilot.agent.llm_loop import ModelLimitError, ToolFailedError
from leadpilot.agent.runner import run_agent
from leadpilot.memory.conversations import recent_runs

from conftest import NOW
from llm_stubs import fresh_llm_settings, llm_store  # noqa: F401 - fixtures
from llm_stubs import deps_for, CARD, server, use

SEARCH = {"name": "search_leads", "arguments": {"filter": {"tier": ["hot"]}}}


def last_run(llm_store):
    with llm_store.session() as session:
        (run,) = recent_runs(session, limit=1)
    return run


def test_a_model_that_never_stops_calling_tools_is_stopped_and_logged(llm_store, monkeypatch):
    with server("openai", lambda body: {"tool_calls": [SEARCH]}) as stub:
        use(monkeypatch, stub, llm_max_tool_calls=3)
        with pytest.raises(ModelLimitError, match=r"^The model asked for more than 3 tool calls for one question \(LEADPILOT_LLM_MAX_TOOL_CALLS\)"):
            run_agent(CARD, deps=deps_for(llm_store))
    assert len(stub.requests) == 4
    run = last_run(llm_store)
    assert [c["name"] for c in run.tool_calls] == ["search_leads"] * 4 and "LEADPILOT_LLM_MAX_TOOL_CALLS" in run.error


def test_one_deadline_for_the_whole_question(llm_store, monkeypatch):
    """A model that keeps calling (each reply slow) is stopped by the question's deadline, not by each request's timeout."""
    with server("openai", lambda body: {"tool_calls": [SEARCH], "delay": 0.3}) as stub:
        use(monkeypatch, stub, llm_deadline_s=1.0, llm_timeout_s=60, llm_max_tool_calls=50)
        with pytest.raises(ModelLimitError, match=r"^The question ran out of its 1 s \(LEADPILOT_LLM_DEADLINE_S\) after \d+ model calls and \d+ tool calls"):
            run_agent(CARD, deps=deps_for(llm_store))
    assert 1 <= len(stub.received) <= 4


def test_malformed_arguments_go_back_to_the_model_once(llm_store, monkeypatch):
    def model(body):
        tools = [m for m in body["messages"] if m["role"] == "tool"]
        if not tools:
            return {"tool_calls": [{"name": "search_leads", "arguments": {"filter": {"tier": ["lukewarm"]}}}]}
        if tools[-1]["content"].startswith("Error:"):
            return {"tool_calls": [{"name": "search_leads", "arguments": {"filter": {"tier": ["hot"], "industry": ["fintech"], "not_contacted_in_days": 3}}}]}
        return {"content": "I found 2 leads."}

    with server("openai", model) as stub:
        use(monkeypatch, stub)
        answer = run_agent(CARD, deps=deps_for(llm_store))
    retry = [m for m in stub.requests[1]["messages"] if m["role"] == "tool"][-1]["content"]
    assert retry.startswith("Error: the arguments do not fit the tool:") and "lukewarm" in retry and "call search_leads again" in retry
    assert sorted(lead["company"] for lead in answer.leads) == ["Paywise", "Vaultline"]


def test_the_same_tool_failing_twice_ends_the_run_naming_the_tool(llm_store, monkeypatch):
    with server("openai", lambda body: {"tool_calls": [{"name": "get_lead", "arguments": {"lead_id": "forty-two"}}]}) as stub:
        use(monkeypatch, stub)
        with pytest.raises(ToolFailedError, match="^The tool get_lead failed twice for this question: the arguments do not fit"):
            run_agent("show lead forty-two", deps=deps_for(llm_store))
    assert [c["name"] for c in last_run(llm_store).tool_calls] == ["get_lead", "get_lead"]


def test_a_tools_own_error_goes_back_to_the_model_not_as_a_backend_failure(llm_store, monkeypatch):
    from leadpilot.agent.toolbox import get_tool

    tool = get_tool("aggregate_leads")
    original = tool.func

    def broken(runtime, **kwargs):
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(tool, "func", broken)
    with server("openai", lambda body: {"tool_calls": [{"name": "aggregate_leads", "arguments": {"group_by": "tier"}}]}) as stub:
        use(monkeypatch, stub)
        with pytest.raises(ToolFailedError, match="^The tool aggregate_leads failed twice for this question: the tool failed: RuntimeError: statement timeout"):
            run_agent("how many leads per tier", deps=deps_for(llm_store))
    assert "the tool failed: RuntimeError: statement timeout" in stub.requests[1]["messages"][-1]["content"]
    assert tool.func is broken and original is not broken


def test_an_unknown_tool_goes_back_to_the_model(llm_store, monkeypatch):
    def model(body):
        last = body["messages"][-1]
        if last["role"] == "tool" and "not a valid tool" in last["content"]:
            return {"tool_calls": [SEARCH]}
        if last["role"] == "tool":
            return {"content": "Here they are."}
        return {"tool_calls": [{"name": "delete_leads", "arguments": {}}]}

    with server("openai", model) as stub:
        use(monkeypatch, stub)
        answer = run_agent("show hot leads", deps=deps_for(llm_store))
    assert "delete_leads is not a valid tool, try one of [search_leads" in stub.requests[1]["messages"][-1]["content"]
    assert answer.answer == "Here they are." and len(answer.leads) == 4


def test_a_long_answer_is_cut_and_says_so(llm_store, monkeypatch):
    def model(body):
        if body["messages"][-1]["role"] == "tool":
            return {"content": "Hot leads. " * 100}
        return {"tool_calls": [SEARCH]}

    with server("openai", model) as stub:
        use(monkeypatch, stub, llm_max_answer_chars=200)
        answer = run_agent("show hot leads", deps=deps_for(llm_store))
    assert len(answer.answer) < 300 and answer.answer.endswith("cut at 200 characters (LEADPILOT_LLM_MAX_ANSWER_CHARS).]")


def test_huge_arguments_are_refused_and_not_stored(llm_store, monkeypatch):
    huge = {"name": "search_leads", "arguments": {"filter": {"company": "x" * 50_000}}}
    with server("openai", lambda body: {"tool_calls": [huge]}) as stub:
        use(monkeypatch, stub, llm_max_stored_chars=2000)
        with pytest.raises(ToolFailedError, match="more than 2,000"):
            run_agent("show leads at x", deps=deps_for(llm_store))
    run = last_run(llm_store)
    assert len(str(run.tool_calls)) < 3000


def test_the_report_tool_runs_the_reports_own_tool(llm_store, monkeypatch):
    def model(body):
        if body["messages"][-1]["role"] == "tool":
            return {"content": "Lead volume by source."}
        return {"tool_calls": [{"name": "report", "arguments": {"report": "lead_volume", "by": "source", "filter": {"scope": "all"}}}]}

    with server("openai", model) as stub:
        use(monkeypatch, stub)
        answer = run_agent("lead volume by source", deps=deps_for(llm_store))
    assert answer.tool_calls == [{"name": "lead_volume", "args": {"by": "source", "filter": {"scope": "all"}}}]
    assert answer.rows and sum(row["count"] for row in answer.rows) == 5


def test_a_failed_run_is_logged_with_its_tool_calls_on_each_store(db, monkeypatch):
    """The run log (agent_runs) keeps every tool call that ran when a limit ends the run, on SQLite and PostgreSQL."""
    from llm_stubs import fill_card_store

    fill_card_store(db, NOW)
    with server("openai", lambda body: {"tool_calls": [SEARCH, {"name": "aggregate_leads", "arguments": {"group_by": "tier"}}]}) as stub:
        use(monkeypatch, stub, llm_max_tool_calls=3)
        with pytest.raises(ModelLimitError):
            run_agent(CARD, deps=deps_for(db))
    run = last_run(db)
    assert [c["name"] for c in run.tool_calls] == ["search_leads", "aggregate_leads", "search_leads", "aggregate_leads"]
    assert run.tool_calls[0]["args"] == SEARCH["arguments"] and run.error.startswith("The model asked for more than 3 tool calls")
