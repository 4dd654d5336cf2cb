"""Grounded answers on the LLM path: what a person sees as leads, counts and numbers comes from the
tools. A model that answers a lead question without a tool, states numbers no tool returned,
echoes a write as if done or says nothing gets one correction; a second such answer is reported as
"the model did not use its tools" (a non-zero exit for `leadpilot ask`), and the run is logged."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from leadpilot.agent.llm_grounding import unsupported_numbers
from leadpilot.agent.llm_loop import ModelDidNotUseToolsError
from leadpilot.agent.runner import run_agent
from leadpilot.memory.conversations import recent_runs

from conftest import NOW
from llm_stubs import fresh_llm_settings, llm_store  # noqa: F401 - fixtures
from llm_stubs import deps_for, CARD, CORRECTION_START, server, use


def corrected(body) -> bool:
    return any(m["role"] == "user" and m["content"].startswith(CORRECTION_START) for m in body["messages"])


def search_then(prose: str, fixed: str | None = None):
    """A model that searches right, then writes `prose` (and `fixed` once corrected)."""
    def model(body):
        if corrected(body) and fixed is not None and body["messages"][-1]["role"] != "user":
            return {"content": fixed}
        if body["messages"][-1]["role"] == "tool":
            return {"content": prose}
        if corrected(body):
            return {"content": fixed if fixed is not None else prose}
        return {"tool_calls": [{"name": "search_leads", "arguments": {"filter": {"tier": ["hot"], "industry": ["fintech"], "not_contacted_in_days": 3}}}]}

    return model


def test_a_model_that_invents_leads_without_tools_is_not_shown(llm_store, monkeypatch):
    invent = lambda body: {"content": "You have 12 hot fintech leads; the best is Ledgerly (lead 43)."}  # noqa: E731
    with server("openai", invent) as stub:
        use(monkeypatch, stub)
        with pytest.raises(ModelDidNotUseToolsError, match="^The model did not use its tools: it answered a question about leads without calling a tool"):
            run_agent(CARD, deps=deps_for(llm_store))
    assert len(stub.requests) == 2 and corrected(stub.requests[1])
    with llm_store.session() as session:
        (run,) = recent_runs(session, limit=1)
    assert run.backend == "openai" and run.error.startswith("The model did not use its tools") and run.tool_calls == []


def test_a_number_no_tool_returned_gets_a_correction_then_the_true_answer(llm_store, monkeypatch):
    with server("openai", search_then("I found 17 hot fintech leads.", fixed="I found 2 hot fintech leads.")) as stub:
        use(monkeypatch, stub)
        answer = run_agent(CARD, deps=deps_for(llm_store))
    assert answer.answer == "I found 2 hot fintech leads." and answer.usage["corrections"] == 1
    assert "it states 17, which no tool result holds" in stub.requests[2]["messages"][-1]["content"]
    assert sorted(lead["company"] for lead in answer.leads) == ["Paywise", "Vaultline"]  # from the tool, not the prose
    assert [c["name"] for c in answer.tool_calls] == ["search_leads"]


def test_invented_numbers_twice_fail_and_the_tool_calls_are_still_logged(llm_store, monkeypatch):
    with server("openai", search_then("I found 17 leads, 9 of them in lead 43's city.")) as stub:
        use(monkeypatch, stub)
        with pytest.raises(ModelDidNotUseToolsError, match="it states 17, 9, 43"):
            run_agent(CARD, deps=deps_for(llm_store))
    with llm_store.session() as session:
        (run,) = recent_runs(session, limit=1)
    assert [c["name"] for c in run.tool_calls] == ["search_leads"] and "did not use its tools" in run.error


def test_an_empty_answer_is_not_an_answer(llm_store, monkeypatch):
    with server("openai", search_then("")) as stub:
        use(monkeypatch, stub)
        with pytest.raises(ModelDidNotUseToolsError, match="the answer was empty"):
            run_agent(CARD, deps=deps_for(llm_store))


def test_an_echoed_write_is_not_shown_as_done(llm_store, monkeypatch):
    echo = lambda body: {"content": "Done: all fintech leads are now assigned to you."}  # noqa: E731
    with server("openai", echo) as stub:
        use(monkeypatch, stub)
        with pytest.raises(ModelDidNotUseToolsError, match="asks to change data"):
            run_agent("assign all fintech leads to me", deps=deps_for(llm_store))
    honest = lambda body: {"content": "I can't change data from the chat; assign leads in Slack or the web chat."}  # noqa: E731
    with server("openai", honest) as stub:
        use(monkeypatch, stub)
        assert run_agent("assign all fintech leads to me", deps=deps_for(llm_store)).answer.startswith("I can't")


def test_a_question_that_is_not_about_leads_may_be_answered_without_tools(llm_store, monkeypatch):
    with server("openai", lambda body: {"content": "I only answer questions about your leads."}) as stub:
        use(monkeypatch, stub)
        answer = run_agent("what is the weather in paris", deps=deps_for(llm_store))
    assert answer.answer == "I only answer questions about your leads." and len(stub.requests) == 1


def test_numbers_are_checked_against_the_tool_results():
    results = [json.dumps({"total": 1234, "rate": 0.257, "created": "2026-11-20"})]
    assert unsupported_numbers("1,234 leads, 25.7% converted, since 2026-11-20", results) == []
    assert unsupported_numbers("1,235 leads, 26% converted", results) == ["1,235"]


def test_ask_exits_non_zero_when_the_model_did_not_use_its_tools(llm_store, monkeypatch, tmp_path):
    from leadpilot.interfaces.cli import app

    monkeypatch.setenv("LEADPILOT_DATABASE_URL", str(llm_store.engine.url))
    monkeypatch.setenv("LEADPILOT_NOW", NOW.isoformat())
    with server("openai", lambda body: {"content": "There are 40 hot fintech leads."}) as stub:
        use(monkeypatch, stub)
        result = CliRunner().invoke(app, ["ask", CARD, "--json"])
    assert result.exit_code != 0
    assert "did not use its tools" in result.stdout


def test_a_lead_no_tool_returned_is_not_named_as_fact(llm_store, monkeypatch):
    """The search returns Paywise and Vaultline (the card's answer); a model that adds Ledgerly
    (contacted yesterday: not in the result) is corrected."""
    with server("openai", search_then("Paywise, Vaultline and Ledgerly need a call.", fixed="Paywise and Vaultline need a call.")) as stub:
        use(monkeypatch, stub)
        answer = run_agent(CARD, deps=deps_for(llm_store))
    assert "it names Ledgerly, which no tool result holds" in stub.requests[2]["messages"][-1]["content"]
    assert answer.answer == "Paywise and Vaultline need a call."
