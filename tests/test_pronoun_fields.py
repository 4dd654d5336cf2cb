"""A short question about one field of the lead just discussed ("when was it last contacted?", "what stage are
they in?") answers with that lead's profile; the same question with no lead before asks which lead is meant;
questions about lists, or that another intent reads ("when should I call them?"), keep their own reading."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from leadpilot.agent.planner.core import Context, plan

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
AFTER_ONE_LEAD = Context(last_lead_id=2366, last_lead_ids=(2366,))


@pytest.mark.parametrize(
    "question",
    ["when was it last contacted", "what stage are they in?", "is it still open?", "where are they based?",
     "ok what's its stage", "and who owns it?", "has she been contacted?"],
)
def test_a_field_question_after_one_lead_shows_that_lead(question):
    result = plan(question, now=NOW, context=AFTER_ONE_LEAD)
    assert [(call.name, call.args) for call in result.calls] == [("get_lead", {"lead_id": 2366})]


@pytest.mark.parametrize("question", ["when was it last contacted", "who owns it?", "what stage are they in?"])
def test_the_same_question_with_no_lead_before_asks_which_lead(question):
    result = plan(question, now=NOW, context=Context())
    assert not result.calls
    assert "which lead you mean" in result.message


@pytest.mark.parametrize("question", ["how many of them are hot?", "which of them are in fintech?", "show all leads in fintech"])
def test_list_questions_are_not_read_as_one_lead(question):
    result = plan(question, now=NOW, context=AFTER_ONE_LEAD)
    assert all(call.name != "get_lead" for call in result.calls)


def test_a_second_part_about_a_list_is_not_one_lead():
    result = plan("how many opportunities do we have and what's their avg score?", now=NOW, context=Context())
    assert [call.name for call in result.calls] == ["aggregate_leads", "aggregate_leads"]
