"""Sales talk a rep types that the reader now reads (issue #15), each a rule that holds on any store: "close-win"
spellings, a later part that asks "which of them", "also" joining
parts, "on Beatriz's plate", "he" for the rep named before, a CEO as the title, "as contact", "stale ... no activity
for 60+ days", "won this month vs last month", the store's own states by name, two companies that share a name but
for "S.L." / "Ltd", "labelled hot" where the store keeps no CRM label, a lowercase place no lead is in, and "worth"."""

from __future__ import annotations

import pytest

from conftest import NOW
from leadpilot.agent.planner import Vocabulary, plan

STORE = Vocabulary(
    reps={"beatriz lopes": "beatriz@x.io", "beatriz": "beatriz@x.io", "sander de groot": "sander@x.io", "sander": "sander@x.io"},
    cities={"lima": "Lima", "madrid": "Madrid"},
    states={"catalonia": "Catalonia", "lima": "Lima", "île-de-france": "Île-de-France", "ca": "CA"},
    companies={"tejo moda s.a.s.": "Tejo Moda S.A.S.", "alhambra logística ltd": "Alhambra Logística Ltd",
               "alhambra logística s.l.": "Alhambra Logística S.L."},
    countries=frozenset({"ES", "PE", "IT", "FR"}),
)


def _filters(question: str, vocabulary: Vocabulary = STORE) -> list[dict]:
    planned = plan(question, now=NOW, vocabulary=vocabulary)
    assert planned.calls, planned.message
    return [call.args.get("filter") for call in planned.calls]


@pytest.mark.parametrize(("question", "wanted"), [
    ("what did we close-win this month", {"stage": ["CUSTOMER"], "closed_after": "2026-11-01"}),
    ("closed/won deals", {"stage": ["CUSTOMER"]}),
    ("close-lost deals in spain", {"country": ["ES"], "stage": ["LOST"]}),
    ("what's on Beatriz's plate that's hot", {"owner": ["beatriz@x.io"], "tier": ["hot"]}),
    ("deals where the contact is a CEO", {"seniority": ["c-level"], "title": ["ceo", "chief executive"]}),
    ("open deals with an HR director as contact", {"seniority": ["director"], "department": ["hr"], "scope": "open"}),
    ("stale deals with no activity for 60+ days", {"not_contacted_in_days": 60}),
    ("deals in catalonia", {"state": ["Catalonia"]}),  # the store's own state, by name, in lower case
    ("deals in ile-de-france", {"state": ["Île-de-France"]}),
    ("leads in lima", {"city": ["Lima"]}),  # a city and a state of the same name: the city
    ("who's handling tejo moda?", {"company": "Tejo Moda S.A.S."}),  # the name without its legal form
    ("hows the alhambra logistica deal going", {"company": "Alhambra Logística"}),  # both companies of that name: the answer asks which
])
def test_sales_talk_reads_as_a_rep_means_it(question, wanted):
    assert _filters(question) == [wanted]


def test_a_later_part_asks_about_the_leads_of_the_part_before():
    # "which of them": those leads listed, not counted again; "also" joins the parts, it widens no list.
    calls = plan("how many open deals in spain, and which of them are hot?", now=NOW, vocabulary=STORE).calls
    assert [call.name for call in calls] == ["aggregate_leads", "search_leads"], calls
    assert calls[1].args["filter"] == {"country": ["ES"], "scope": "open", "tier": ["hot"]}
    calls = plan("how many open deals in italy; also list the ones in france", now=NOW, vocabulary=STORE).calls
    assert calls[1].name == "search_leads" and calls[1].args["filter"]["country"] == ["FR"], calls
    # "he" is the rep the part before named
    calls = plan("list sander's hot deals + how many deals he lost this year", now=NOW, vocabulary=STORE).calls
    assert [call.args["filter"].get("owner") for call in calls] == [["sander@x.io"], ["sander@x.io"]], calls
    assert calls[1].args["filter"]["stage"] == ["LOST"]


def test_a_comparison_of_windows_on_won_deals_compares_when_they_closed():
    calls = plan("won this month vs last month", now=NOW, vocabulary=STORE).calls
    assert [call.args["filter"] for call in calls] == [
        {"stage": ["CUSTOMER"], "closed_after": "2026-11-01"},
        {"stage": ["CUSTOMER"], "closed_after": "2026-10-01", "closed_before": "2026-11-01"},
    ]


def test_labelled_hot_without_a_crm_label_is_leadpilots_tier_and_the_answer_says_so():
    planned = plan("leads labelled hot", now=NOW)
    assert planned.calls[0].args["filter"] == {"tier": ["hot"]}
    assert any("no CRM label" in line and "score tier hot" in line for line in planned.readings), planned.readings
    label = Vocabulary(kept_fields={"Rating": frozenset({"Hot", "Warm", "Cold"})})
    assert plan("leads labelled hot", now=NOW, vocabulary=label).calls[0].args["filter"] == {"crm_label": ["Hot"]}
    zoho = Vocabulary(kept_fields={"Rating": frozenset({"Active", "Acquired"})})  # another column stays a kept condition
    assert plan("rating Active", now=NOW, vocabulary=zoho).calls[0].args["filter"] == {"kept": [{"column": "Rating", "values": ["Active"]}]}


@pytest.mark.parametrize("question", ["deals in berlin", "any leads in springfield?"])
def test_a_lowercase_place_no_lead_is_in_is_said_so_not_misread(question):
    message = plan(question, now=NOW, vocabulary=STORE).message or ""
    assert message.startswith("No lead in your data has the city") and "did you mean" not in message, message


def test_a_deal_worth_on_a_store_without_values_is_said_without_a_spelling_hint():
    message = plan("deals worth more than €5,000", now=NOW).message or ""
    assert message.startswith("Your leads carry no deal value") and "did you mean" not in message, message


def test_leads_by_rating_is_the_tier_where_the_crm_kept_no_rating_and_said_plainly_where_it_did():
    assert plan("leads by rating", now=NOW).calls[0].args == {"filter": {}, "group_by": "tier", "metric": "count"}
    zoho = Vocabulary(kept_fields={"Rating": frozenset({"Active", "Acquired"}), "Deal - Stage": frozenset({"Won", "Lost"})})
    message = plan("leads by rating", now=NOW, vocabulary=zoho).message or ""
    assert message.startswith("I can't count by your CRM's Rating column yet") and "Active" in message, message
    assert plan("deals by stage", now=NOW, vocabulary=zoho).calls[0].args["group_by"] == "stage"  # Leadpilot's own grouping


FRESHSALES = Vocabulary(statuses=frozenset({"Interested", "Negotiation", "Unqualified", "Open - Not Contacted"}), countries=frozenset({"IN", "AE"}),
                        sources={"web_form": "web_form", "email_campaign": "email_campaign"}, industries=frozenset({"hospitality", "retail"}))


@pytest.mark.parametrize(("question", "wanted"), [
    ("list contacts with status = Interested in India", {"status": ["Interested"], "country": ["IN"]}),  # a one-word status; a place is no time
    ("@Leadpilot pls share negotiation stage contacts for hospitality & retail, need it for the forecast call",
     {"status": ["Negotiation"], "industry": ["hospitality", "retail"]}),
    ("Open - Not Contacted in 3 days", {"not_contacted_in_days": 3, "scope": "open"}),  # a time after it: the contact window, as before
    ("webform leads", {"source": ["web_form"]}),
    ("cnt of open leads w/ no sales owner in the gulf", None),
    ("email campaign leads that never got contacted", {"source": ["email_campaign"], "never_contacted": True}),
])
def test_a_crms_one_word_statuses_and_how_its_users_type(question, wanted):
    calls = plan(question, now=NOW, vocabulary=FRESHSALES).calls
    if wanted is None:
        assert calls[0].name == "aggregate_leads" and calls[0].args["filter"]["owner"] == ["unassigned"] and calls[0].args["filter"]["region"] == ["GCC"]
    else:
        assert [call.args["filter"] for call in calls] == [wanted]


def test_there_in_a_later_part_is_the_place_of_the_part_before():
    calls = plan("how many customers in india and what's the win rate there", now=NOW, vocabulary=FRESHSALES).calls
    assert [call.args["filter"].get("country") for call in calls] == [["IN"], ["IN"]] and calls[1].args["metric"] == "conversion_rate"
