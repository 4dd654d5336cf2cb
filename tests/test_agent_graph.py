"""The compiled agent graph is built once and shared by every run; what belongs to one run (the
clock, who is asking, the store's current names) still reaches the model and the tools per run."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from leadpilot.agent.graph import agent_graph
from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.db import open_database
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.leads import get_lead, set_score, upsert_leads
from leadpilot.memory.reps import upsert_rep
from leadpilot.settings import get_settings

from conftest import NOW
from openai_stub import OpenAIStub

CARD = "show hot leads in fintech not contacted in 3 days"


def add_leads(db, rows: list[tuple[str, str, int | None]]) -> None:
    """(company, city, days since last contact or None) as hot fintech leads."""
    with db.transaction() as session:
        records = [
            validate_lead({
                "external_id": company, "company": company, "industry": "fintech", "city": city, "country": "US",
                "last_contacted_at": None if days is None else (NOW - timedelta(days=days)).isoformat(),
            }, now=NOW)
            for company, city, days in rows
        ]
        outcome = upsert_leads(session, records=records, now=NOW)
        for _action, lead_id in outcome.actions:
            set_score(session, lead=get_lead(session, lead_id=lead_id), score=80, tier="hot", breakdown={}, reason="test", at=NOW)


@pytest.fixture
def store(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'graph.db'}")
    with db.transaction() as session:
        upsert_rep(session, email="ana@team.io", name="Ana Lima", now=NOW)
        upsert_rep(session, email="ben@team.io", name="Ben Okafor", now=NOW, role="manager")
    add_leads(db, [("Ledgerly", "Boston", 1), ("Coinbridge", "Boston", 2), ("Vaultline", "Boston", None), ("Paywise", "Boston", 10)])
    yield db
    db.dispose()


def deps_at(db, now, *, email: str | None = None):
    return replace(make_deps(db, viewer=viewer_for(db, email=email)), now=now)


def test_runs_share_one_graph_but_each_plans_with_its_own_clock(store):
    settings = get_settings()
    assert agent_graph(settings) is agent_graph(settings)
    today = run_agent(CARD, deps=deps_at(store, NOW))
    later = run_agent(CARD, deps=deps_at(store, NOW + timedelta(days=3)))  # Ledgerly and Coinbridge go stale
    assert sorted(lead["company"] for lead in today.leads) == ["Paywise", "Vaultline"]
    assert sorted(lead["company"] for lead in later.leads) == ["Coinbridge", "Ledgerly", "Paywise", "Vaultline"]
    assert agent_graph(get_settings()) is agent_graph(settings)


def test_the_planner_knows_a_city_added_after_the_graph_was_built(store):
    before = run_agent("show leads in Springfield", deps=deps_at(store, NOW))
    # A place name no lead has yet: said so, not searched (and not "I don't understand": it was read).
    assert before.tool_calls == [] and before.answer.startswith("No lead in your data has the city 'Springfield'"), before.answer
    add_leads(store, [("Fundsy", "Springfield", None)])
    after = run_agent("show leads in Springfield", deps=deps_at(store, NOW))
    assert [lead["company"] for lead in after.leads] == ["Fundsy"]


def _use_stub(monkeypatch, stub: OpenAIStub) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    get_settings.cache_clear()


def test_openai_prompt_prefix_is_the_same_for_everyone_and_the_run_facts_come_later(store, monkeypatch):
    """The static system prompt and the tools lead every request, the same for every person and day
    (a server's prompt cache keeps them); the date and the asker come in a later message."""
    with OpenAIStub(lambda body: {"content": "Hello."}) as stub:
        _use_stub(monkeypatch, stub)
        run_agent("hello", deps=deps_at(store, NOW, email="ana@team.io"))
        run_agent("hello", deps=deps_at(store, NOW + timedelta(days=1), email="ben@team.io"))
    first, second = stub.requests
    assert first["messages"][0] == second["messages"][0] and first["messages"][0]["role"] == "system"
    assert first["tools"] == second["tools"]
    assert "ana@team.io" not in json.dumps(first["messages"][0]) and "2026-11-20" not in json.dumps(first["messages"][0])
    facts_first, facts_second = first["messages"][-2], second["messages"][-2]
    assert "Ana Lima <ana@team.io> (rep)" in facts_first["content"] and "Today is 2026-11-20" in facts_first["content"]
    assert "Ben Okafor <ben@team.io> (manager)" in facts_second["content"] and "Today is 2026-11-21" in facts_second["content"]
    assert first["messages"][-1] == {"role": "user", "content": "hello"}


def test_run_facts_can_ride_in_the_question_for_single_system_message_templates(store, monkeypatch):
    monkeypatch.setenv("LEADPILOT_LLM_FACTS_ROLE", "user")
    with OpenAIStub(lambda body: {"content": "Hello."}) as stub:
        _use_stub(monkeypatch, stub)
        run_agent("hello", deps=deps_at(store, NOW, email="ana@team.io"))
    (request,) = stub.requests
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["messages"][1]["content"].startswith("Today is 2026-11-20") and request["messages"][1]["content"].endswith("hello")


def test_model_arguments_are_still_validated(store, monkeypatch):
    """Validation covers what the model sends (the runtime is injected, not validated): a bad tier
    comes back to the model as a tool error, and no leads are returned."""

    def responder(body: dict[str, Any]) -> dict[str, Any]:
        if body["messages"][-1]["role"] == "tool":
            return {"content": "That tier does not exist."}
        return {"tool_calls": [{"name": "search_leads", "arguments": {"filter": {"tier": ["lukewarm"]}}}]}

    with OpenAIStub(responder) as stub:
        _use_stub(monkeypatch, stub)
        answer = run_agent("show lukewarm leads", deps=deps_at(store, NOW))
    tool_result = stub.requests[1]["messages"][-1]
    assert tool_result["role"] == "tool" and "tier" in tool_result["content"] and "lukewarm" in tool_result["content"]
    assert answer.leads == [] and answer.answer == "That tier does not exist."
    schema = json.dumps(stub.requests[0]["tools"])
    assert "runtime" not in schema and "not_contacted_in_days" in schema
