"""The score card's asked tier on the LLM path: "why is Fundsy hot?" of a warm lead says "not hot" on
the card when the model passes explain_score's typed `asked_tier` argument, as the offline reader
does (#15 review: it used to be read from the offline model's wording, so an LLM's card never said it).

A scripted model behind the OpenAI stub (real HTTP, the chat-completions wire), over the small card
store (tests/llm_stubs.py): Fundsy is its warm lead, score 50."""

from __future__ import annotations

from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.score_card import from_explanation
from leadpilot.interfaces.slack import blocks as slack_blocks
from leadpilot.interfaces.web import render

from llm_stubs import fresh_llm_settings, llm_store  # noqa: F401 - fixtures
from llm_stubs import deps_for, server, unwrapped, use


def explains(arguments: dict):
    """A model that calls explain_score with `arguments`, then says what the tool's result says first."""
    def model(body):
        last = body["messages"][-1]
        if last["role"] == "tool":
            result = unwrapped(last["content"])
            return {"content": result.get("not_asked") or f"{result['company']} is {result['tier']} ({result['score']})."}
        return {"tool_calls": [{"name": "explain_score", "arguments": arguments}]}

    return model


def test_an_llm_that_passes_the_asked_tier_gets_a_card_that_says_not_hot(llm_store, monkeypatch):
    with server("openai", explains({"company": "Fundsy", "asked_tier": "hot"})) as stub:
        use(monkeypatch, stub)
        answer = run_agent("why is Fundsy hot?", deps=deps_for(llm_store))
    offered = next(t for t in stub.requests[0]["tools"] if t["function"]["name"] == "explain_score")["function"]["parameters"]
    assert offered["properties"]["asked_tier"]["enum"] == ["hot", "warm", "cold"]  # typed and offered to the model
    assert answer.backend == "openai" and answer.tool_calls == [{"name": "explain_score", "args": {"company": "Fundsy", "asked_tier": "hot"}}]
    assert answer.answer == "Fundsy is warm (50), not hot."  # the model read it from the result
    assert answer.score_explanation["asked_tier"] == "hot"
    card = from_explanation(answer.score_explanation)
    assert card.not_asked == "Fundsy is warm (50), not hot."
    assert f"**{render.md('Fundsy is warm (50), not hot.')}**" in render.score_card(card)
    header = slack_blocks.answer_blocks(answer)[0]["text"]["text"]
    assert header.startswith("*Fundsy (lead ") and header.endswith("is warm (50), not hot. Why it is warm:")


def test_without_an_asked_tier_or_asked_the_tier_it_has_no_card_says_not(llm_store, monkeypatch):
    for arguments in ({"company": "Fundsy"}, {"company": "Fundsy", "asked_tier": "Warm"}):  # a model's "Warm" is warm
        with server("openai", explains(arguments)) as stub:
            use(monkeypatch, stub)
            answer = run_agent("why is Fundsy warm?", deps=deps_for(llm_store))
        card = from_explanation(answer.score_explanation)
        assert card.tier == "warm" and card.not_asked is None and "not_asked" not in answer.score_explanation
        assert answer.score_explanation.get("asked_tier") == ("warm" if "asked_tier" in arguments else None)
        assert slack_blocks.answer_blocks(answer)[0]["text"]["text"].startswith("Why *Fundsy (lead ")
