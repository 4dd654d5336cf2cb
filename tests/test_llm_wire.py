"""The agent against a loopback stub of each OpenAI-compatible server family, quirks included
(tests/llm_stubs.py): the card question answered right end to end in two model calls, the request
as every server accepts it, the prompt prefix cacheable, and context limits said in one sentence."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from leadpilot.agent.llm_loop import ContextTooSmallError
from leadpilot.agent.runner import AgentError, run_agent
from leadpilot.settings import get_settings

from conftest import NOW
from llm_stubs import fresh_llm_settings, llm_store  # noqa: F401 - fixtures
from llm_stubs import deps_for, CARD, FAMILIES, planner_model, server, use


@pytest.mark.parametrize("family", FAMILIES)
def test_the_card_question_is_answered_right_by_every_server_family(llm_store, monkeypatch, family):
    get_settings.cache_clear()
    offline = run_agent(CARD, deps=deps_for(llm_store))
    context = {"llama-cpp-python": {"llm_context": 8192}}.get(family, {})
    with server(family, planner_model(NOW), context=8192) as stub:
        use(monkeypatch, stub, **context)
        answer = run_agent(CARD, deps=deps_for(llm_store))
    assert sorted(lead["company"] for lead in answer.leads) == ["Paywise", "Vaultline"]
    assert [lead["id"] for lead in answer.leads] == [lead["id"] for lead in offline.leads]
    assert answer.tool_calls == offline.tool_calls
    assert answer.answer.startswith("I found 2 leads") and answer.usage["round_trips"] == 2
    assert answer.usage["prompt_tokens"] > 0 and answer.usage["completion_tokens"] > 0
    for request in stub.received:  # what every server accepts
        assert request["tool_choice"] == "auto" and request["tools"]
        assert all(message.get("content") is not None for message in request["messages"])
    # an 8k context gets the core tools (llama.cpp /props, Ollama /api/show, vLLM and LM Studio model lists);
    # a server that says nothing gets them all
    names = {tool["function"]["name"] for tool in stub.received[0]["tools"]}
    assert names == ({"search_leads", "aggregate_leads", "get_lead"} if family != "openai" else names | {"report"})


def test_small_context_is_one_sentence_before_anything_is_sent(llm_store, monkeypatch):
    with server("llama-server", planner_model(NOW), context=3000) as stub:
        use(monkeypatch, stub, llm_toolset="full")
        with pytest.raises(ContextTooSmallError) as raised:
            run_agent(CARD, deps=deps_for(llm_store))
    message = str(raised.value)
    assert message.startswith("This model's context is 3,000 tokens, the request needs ")
    assert message.endswith("use the core tool set (LEADPILOT_LLM_TOOLSET=core) or a larger context.")
    assert stub.received == []


@pytest.mark.parametrize("family", ["llama-cpp-python", "llama-server", "vllm"])
def test_a_servers_context_error_becomes_that_sentence(llm_store, monkeypatch, family):
    """The server's own 400 (its words differ per family) is said the same plain way, with its numbers."""
    with server(family, planner_model(NOW), context=1500) as stub:
        use(monkeypatch, stub, llm_context=1_000_000, llm_toolset="core")  # a wrong setting lets the request through
        with pytest.raises(ContextTooSmallError, match=r"^This model's context is 1,500 tokens, the request needs [\d,]+ — start the server"):
            run_agent(CARD, deps=deps_for(llm_store))
    assert len(stub.received) == 1  # no retry of a request that cannot fit


def test_ollama_truncation_is_prevented_by_asking_its_context(llm_store, monkeypatch):
    """Ollama cuts an over-long prompt silently (tools lost, then made-up answers): the agent asks
    /api/show for num_ctx and never sends what does not fit."""
    with server("ollama", planner_model(NOW), context=2048) as stub:
        use(monkeypatch, stub, llm_toolset="full")
        with pytest.raises(ContextTooSmallError, match="context is 2,048 tokens"):
            run_agent(CARD, deps=deps_for(llm_store))
    assert stub.received == []


def test_slow_first_token_is_waited_for_within_the_timeout_and_not_retried(llm_store, monkeypatch):
    with server("llama-server", planner_model(NOW), context=8192, first_delay=0.6) as stub:
        use(monkeypatch, stub, llm_timeout_s=0.3)
        with pytest.raises(AgentError, match=r"did not answer within 0 s \(LEADPILOT_LLM_TIMEOUT_S"):
            run_agent(CARD, deps=deps_for(llm_store))
        assert len(stub.received) == 1  # local server: no retry piling a second prompt on it
        use(monkeypatch, stub, llm_timeout_s=5)
        answer = run_agent(CARD, deps=deps_for(llm_store))
    assert sorted(lead["company"] for lead in answer.leads) == ["Paywise", "Vaultline"]


def test_without_tool_choice_a_server_would_drop_the_tools_and_the_made_up_answer_is_not_shown(llm_store, monkeypatch):
    """What happened before: llama-cpp-python dropped the tools, the model answered from nothing.
    The stub drops them whenever tool_choice is missing; the agent always sends it — and had the
    tools been dropped, the invented answer is caught (tests/test_llm_grounding.py)."""
    from llm_stubs import _drops_tools_without_tool_choice

    body = {"tools": [{"type": "function"}], "messages": []}
    _drops_tools_without_tool_choice(body)
    assert "tools" not in body
    with server("llama-cpp-python", planner_model(NOW)) as stub:
        use(monkeypatch, stub, llm_context=8192)
        answer = run_agent(CARD, deps=deps_for(llm_store))
    assert all("tools" in request for request in stub.requests) and answer.leads


def test_prefix_is_the_same_across_people_and_days(llm_store, monkeypatch):
    with server("llama-server", planner_model(NOW), context=8192) as stub:
        use(monkeypatch, stub)
        run_agent(CARD, deps=deps_for(llm_store, email="ana@team.io"))
        run_agent(CARD, deps=deps_for(llm_store, email="ben@team.io", now=NOW + timedelta(days=1)))
    first, third = stub.requests[0], stub.requests[2]
    assert json.dumps([first["messages"][0], first["tools"]]) == json.dumps([third["messages"][0], third["tools"]])
    assert first["messages"][1] != third["messages"][1]  # the facts: another person, another day


def test_parallel_tool_calls_off_runs_one_call_per_reply(llm_store, monkeypatch):
    calls = [{"name": "search_leads", "arguments": {"filter": {"tier": ["hot"]}}},
             {"name": "aggregate_leads", "arguments": {"group_by": "tier"}}]

    def model(body):
        if body["messages"][-1]["role"] == "tool":
            return {"content": "Done."}
        return {"tool_calls": calls}

    with server("openai", model) as stub:
        use(monkeypatch, stub, llm_parallel_tool_calls="off")
        answer = run_agent("hot leads and a count by tier", deps=deps_for(llm_store))
    assert stub.requests[0]["parallel_tool_calls"] is False
    results = [m for m in stub.requests[1]["messages"] if m["role"] == "tool"]
    assert '"total"' in results[0]["content"] and results[1]["content"].startswith("Not run: one tool call at a time")
    assert [c["name"] for c in answer.tool_calls] == ["search_leads", "aggregate_leads"] and answer.rows == []
