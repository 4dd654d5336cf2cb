"""A team's CRM deals, asked about as people type it (issue #15), over a small Pipedrive Deals export imported
like `leadpilot import`: the deal's value ("over 20k", "€5,000+", "under 500 euros", "biggest deals"), why it
was lost ("lost on price", "to a competitor", "ghosted"), its pipeline ("expansion deals"), the CRM's own
stage words ("in negotiation", "proposal") and the lost date window. Each is a typed filter field an LLM
fills in too, compiled to SQL by memory.crm_facets, and said back in the answer's filters line. A store
with no deals (the demo) reads none of it: "biggest" stays company size."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import NOW
from crm_files import import_with_reps, write_crm_csv
from leadpilot.agent.planner import Vocabulary, plan
from leadpilot.agent.runner import run_agent
from leadpilot.evals.nlq_fresh5_data import HEADERS
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.db import open_database
from leadpilot.tools.leads.filter import LeadFilter
from leadpilot.tools.leads.filter_words import describe_filter


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


BASE = {"Deal - Owner": "Lucía Herrera", "Deal - Currency": "EUR", "Deal - Pipeline": "New business", "Deal - Status": "open",
        "Deal - Stage": "Qualified", "Deal - Deal created": _at(200), "Organization - Address - Country": "Spain",
        "Organization - Industry": "Hotels & Hostels"}
# title -> its own cells (NOW is 20 Nov 2026: this year is 2026, last month October)
ROWS = {
    "Big": {"Deal - Value": "45000", "Deal - Stage": "Negotiations Started", "Deal - Label": "Hot"},
    "Mid": {"Deal - Value": "20000", "Deal - Stage": "Proposal Made", "Deal - Label": "Warm"},
    "Small": {"Deal - Value": "500", "Deal - Stage": "Negotiations Started", "Deal - Label": "Cold"},
    "Tiny": {"Deal - Value": "300", "Deal - Pipeline": "Expansion", "Deal - Label": "Hot"},
    "Zero": {"Deal - Value": "0", "Deal - Pipeline": "Expansion", "Deal - Stage": "Demo Scheduled", "Deal - Label": "Warm"},
    "Pricey": {"Deal - Value": "9000", "Deal - Status": "lost", "Deal - Lost reason": "Price too high",
               "Deal - Lost time": _at(40), "Deal - Stage": "Proposal Made", "Deal - Label": "Cold"},  # lost in October
    "Rival": {"Deal - Value": "7000", "Deal - Status": "lost", "Deal - Lost reason": "Chose a competitor",
              "Deal - Lost time": _at(35)},  # lost in October, created 200 days ago
    "Rival2": {"Deal - Value": "6000", "Deal - Status": "lost", "Deal - Lost reason": "Chose a competitor",
               "Deal - Lost time": _at(400)},  # lost last year
    "Ghost": {"Deal - Value": "1000", "Deal - Status": "lost", "Deal - Lost reason": "No response / ghosted",
              "Deal - Lost time": _at(5)},
    "Winner": {"Deal - Value": "30000", "Deal - Status": "won", "Deal - Won time": _at(3), "Deal - Stage": "Negotiations Started"},
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def deals(request, tmp_path_factory):
    from conftest import _drop_postgres_database, _fresh_postgres_database

    folder = tmp_path_factory.mktemp("deals")
    url = f"sqlite:///{folder / 'deals.db'}" if request.param == "sqlite" else _fresh_postgres_database(migrated=True)
    db = open_database(url)
    rows = [{"Deal - ID": str(100 + i), "Deal - Title": f"{title} deal", "Organization - Name": f"{title} Hoteles",
             "Person - Email - Work": f"ana@{title.lower()}.es", **cells} for i, (title, cells) in enumerate(ROWS.items())]
    report = import_with_reps(db, write_crm_csv(folder / "deals.csv", HEADERS, BASE, rows), {"lucia.herrera@turnio.app": "Lucía Herrera"})
    assert not report.rejected
    yield db
    db.dispose()
    if request.param != "sqlite":
        _drop_postgres_database(url)


def ask(db, question: str):
    return run_agent(question, deps=make_deps(db, viewer=viewer_for(db, email=None), conversation_id=None))


def _titles(answer) -> set[str]:
    return {lead["company"].removesuffix(" Hoteles") for lead in answer.leads}


def _count(answer) -> int:
    return sum(row["count"] for row in answer.rows)


def test_amounts_as_people_type_them_are_the_deal_value(deals):
    over = ask(deals, "deals over 20k")
    assert _titles(over) == {"Big"}, over.answer  # open deals; 20000 itself is not over 20k
    assert "deal value > 20,000" in over.answer
    assert _titles(ask(deals, "deals worth €20,000+")) == {"Big", "Mid"}
    assert _titles(ask(deals, "deals under 500 euros")) == {"Tiny", "Zero"}  # 500 is not under 500
    assert _titles(ask(deals, "worth more than 10k deals in spain")) == {"Big", "Mid"}
    assert _count(ask(deals, "how many open deals have no value set (0 eur)?")) == 1
    assert _titles(ask(deals, "won deals over 25k this year")) == {"Winner"}


def test_biggest_deals_sort_by_value(deals):
    answer = ask(deals, "biggest 2 deals")
    assert [lead["company"] for lead in answer.leads] == ["Big Hoteles", "Mid Hoteles"], answer.answer
    top = ask(deals, "top 3 open deals by value")
    assert [lead["company"] for lead in top.leads] == ["Big Hoteles", "Mid Hoteles", "Small Hoteles"], top.answer


def test_lost_reasons_in_the_words_the_crm_uses(deals):
    price = ask(deals, "deals we lost on price")
    assert _titles(price) == {"Pricey"}, price.answer
    assert "lost reason: 'Price too high'" in price.answer
    assert _titles(ask(deals, "which deals did we lose to a competitor last month")) == {"Rival"}  # the lost date, not created
    assert _titles(ask(deals, "deals that ghosted us")) == {"Ghost"}
    assert _count(ask(deals, "how many deals did we lose this year?")) == 3  # Pricey, Rival, Ghost: not Rival2 (last year)


def test_pipeline_and_the_crms_stage_words(deals):
    assert _count(ask(deals, "how many expansion deals are open?")) == 2
    assert _titles(ask(deals, "open deals in the expansion pipeline")) == {"Tiny", "Zero"}
    negotiation = ask(deals, "deals in negociation over 400")
    assert _titles(negotiation) == {"Big", "Small"}, negotiation.answer  # open only: Winner was won at that stage
    assert _titles(ask(deals, "late stage deals (proposal or negotiation)")) == {"Big", "Mid", "Small"}
    assert _titles(ask(deals, "which deals have a demo scheduled")) == {"Zero"}


def test_a_hot_word_is_the_crm_label_where_the_store_keeps_one(deals):
    hot = ask(deals, "hot deals")
    assert _titles(hot) == {"Big", "Tiny"}, hot.answer
    assert "Read 'hot'" in hot.answer and "score" in hot.answer  # says what it read, and how to ask for the tier


def test_the_crm_label_is_read_into_the_typed_field_with_the_leads_of_its_column(deals):
    """The reader writes the CRM's hot / warm / cold label as `crm_label` (the field an LLM fills), never as a
    kept-column condition: the same leads as that column's own condition, "labelled" and "not hot" too."""
    from leadpilot.tools.leads import SearchLeads, Viewer, search_leads

    def column(values):
        with deals.session() as session:
            query = SearchLeads.model_validate({"filter": {"kept": [{"column": "Deal - Label", "values": values}]}})
            return {lead["company"].removesuffix(" Hoteles") for lead in search_leads(session, query=query, viewer=Viewer(), now=NOW, row_cap=100).leads}

    for question, values in (("hot deals", ["Hot"]), ("deals labelled warm", ["Warm"]), ("deals that are not hot", ["Warm", "Cold"])):
        answer = ask(deals, question)
        lead_filter = answer.tool_calls[0]["args"]["filter"]
        assert sorted(lead_filter["crm_label"]) == sorted(values) and "kept" not in lead_filter, (question, lead_filter)
        assert _titles(answer) == column(values) and _titles(answer), (question, answer.answer)


def test_the_typed_fields_are_what_an_llm_fills_in():
    described = describe_filter(LeadFilter(deal_value_min=5000, deal_value_under=10000.5, lost_reason=["price"], pipeline=["Expansion"],
                                           crm_label=["Hot"]))
    assert described == ["CRM label: Hot", "deal value ≥ 5,000", "deal value < 10,000.50", "lost reason: 'price'", "pipeline: Expansion"]
    with pytest.raises(ValueError, match="deal_value_min"):
        LeadFilter(deal_value_min=10, deal_value_max=5)


def test_an_llm_fills_the_typed_fields(deals):
    from leadpilot.tools.leads import SearchLeads, Viewer, search_leads  # what the search_leads tool runs, with an LLM's filter

    def search(**args):
        with deals.session() as session:
            return search_leads(session, query=SearchLeads.model_validate(args), viewer=Viewer(), now=NOW, row_cap=100)

    hot = search(filter={"crm_label": ["hot"]})  # any case: the team's Hot, never Leadpilot's tier
    assert {lead["company"] for lead in hot.leads} == {"Big Hoteles", "Tiny Hoteles"} and "CRM label: hot" in hot.filters_applied
    ranked = search(filter={"pipeline": ["expansion"], "scope": "all"}, sort_by="deal_value", descending=True)
    assert [lead["company"] for lead in ranked.leads] == ["Tiny Hoteles", "Zero Hoteles"]
    lost = search(filter={"lost_reason": ["competitor"], "deal_value_over": 6500})
    assert [lead["company"] for lead in lost.leads] == ["Rival Hoteles"]  # lost deals, though the filter names no stage


def test_a_store_without_deals_reads_none_of_it():
    demo = Vocabulary()  # the demo's vocabulary holds no deal column: "biggest" is company size, "over 20k" no value
    biggest = plan("biggest 3 accounts", now=NOW, vocabulary=demo).calls[0].args
    assert biggest.get("sort_by") == "company_size" and biggest.get("limit") == 3
    for question in ("leads over 20k", "lost on price", "expansion deals"):
        calls = plan(question, now=NOW, vocabulary=demo).calls
        assert not any(key.startswith(("deal_value", "lost_reason", "pipeline")) for call in calls for key in call.args.get("filter", {})), question
    # an amount that can only be money, asked of a store with no deal value: said so, not "I don't understand"
    for question in ("biggest deals over 20k", "deals worth more than €5,000", "open deals under 500 euros"):
        said = plan(question, now=NOW, vocabulary=demo)
        assert not said.calls and "no deal value" in (said.message or "") and "Deal - Value" in said.message, question
    assert plan("fintech leads over 5000 ppl", now=NOW, vocabulary=demo).calls  # employees, not money
