"""A CRM's own words, read as its users say them (issue #15), over a small Zoho CRM Leads export imported
like `leadpilot import`: statuses said together ("lost and junk leads"), a kept column ("the rating
Active"), a word of two industries ("ISV": both, said back), the Middle East & Africa, a source named
like its channel group ("leads from Partner"), visit days and chats, "and the month before?", and a
request for a file ("export my hot leads to csv"): the list it names, and the CLI command that writes the file."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import NOW
from crm_files import import_with_reps, write_crm_csv
from leadpilot.agent.planner import Context, ToolCall, Vocabulary, plan
from leadpilot.agent.planner.writes import EXPORT_MESSAGE, EXPORT_NOTE
from leadpilot.agent.runner import run_agent
from leadpilot.evals.nlq_fresh4_data import HEADERS
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.db import open_database


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


BASE = {"Lead Owner": "Rahul Mehta", "First Name": "Ana", "Last Name": "Ruiz", "Title": "CTO", "Lead Source": "Web Download",
        "Lead Status": "Contacted", "Industry": "ERP", "No. of Employees": "400", "Country": "India", "City": "Pune",
        "Email Opt Out": "false", "Converted": "false", "Created By": "Rahul Mehta", "Modified By": "Rahul Mehta"}
# company -> its own cells; created 3 days ago unless said (NOW is 20 Nov 2026: last month is October)
ROWS = {
    "Lostco": {"Lead Status": "Lost Lead", "Lead Source": "Trade Show", "Country": "United Kingdom", "City": "Leeds"},
    "Junkco": {"Lead Status": "Junk Lead", "Lead Source": "Trade Show", "Country": "United Kingdom", "City": "Leeds"},
    "Nopeco": {"Lead Status": "Not Qualified", "Lead Source": "Trade Show", "Country": "United Kingdom", "City": "Leeds"},
    "Openco": {"Lead Source": "Trade Show", "Country": "United Kingdom", "City": "Leeds", "Rating": "Active"},
    "Isvone": {"Industry": "ManagementISV", "Rating": "Active", "Lead Source": "Partner"},
    "Isvtwo": {"Industry": "Non-management ISV", "Rating": "Acquired", "Lead Source": "Partner"},
    "Erpco": {"Rating": "Acquired", "Lead Source": "Seminar Partner", "Created Time": _at(30)},  # in October
    "Dubaico": {"Country": "United Arab Emirates", "City": "Dubai", "Created Time": _at(52)},  # in September
    "Capeco": {"Country": "South Africa", "City": "Cape Town", "Rating": "Active", "Created Time": _at(55)},  # in September
    "Berlinco": {"Country": "Germany", "City": "Berlin", "Created Time": _at(33)},  # in October
    "Returnco": {"Days Visited": "12", "First Visit": _at(40), "Most Recent Visit": _at(1), "Number Of Chats": "1"},
    "Onceco": {"Days Visited": "2", "First Visit": _at(5), "Most Recent Visit": _at(1), "Number Of Chats": "0"},
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def zoho(request, tmp_path_factory):
    from conftest import _drop_postgres_database, _fresh_postgres_database

    folder = tmp_path_factory.mktemp("zoho")
    url = f"sqlite:///{folder / 'zoho.db'}" if request.param == "sqlite" else _fresh_postgres_database(migrated=True)
    db = open_database(url)
    rows = [{"Record Id": f"zcrm_{i}", "Company": company, "Email": f"ana@{company.lower()}.in", "Created Time": _at(3),
             "Modified Time": _at(1), **cells} for i, (company, cells) in enumerate(ROWS.items())]
    path = write_crm_csv(folder / "Leads.csv", HEADERS, BASE, rows, quoting=csv.QUOTE_ALL)
    report = import_with_reps(db, path, {"rahul.mehta@kestrelnet.io": "Rahul Mehta"})
    assert not report.rejected
    yield db
    db.dispose()
    if request.param != "sqlite":
        _drop_postgres_database(url)


def ask(db, question: str, conversation: str | None = None):
    return run_agent(question, deps=make_deps(db, viewer=viewer_for(db, email=None), conversation_id=conversation))


def _companies(answer) -> set[str]:
    return {lead["company"] for lead in answer.leads}


def _count(answer) -> int:
    return sum(row["count"] for row in answer.rows)


def test_statuses_said_together_are_any_of_those_statuses(zoho):
    both = ask(zoho, "show me lost and junk leads from trade shows in the UK")
    assert _companies(both) == {"Lostco", "Junkco"}, both.answer  # not Not Qualified, though it is closed too
    assert "status: Lost Lead or Junk Lead" in both.answer
    assert _count(ask(zoho, "how many junk or lost leads")) == 2
    assert _companies(ask(zoho, "lost leads in the UK")) == {"Lostco", "Junkco", "Nopeco"}  # "lost" alone: every closed-lost status


def test_a_column_the_crm_file_kept_is_a_condition(zoho):
    answer = ask(zoho, "how many leads have the rating Active?")
    assert _count(answer) == 3 and "Rating: Active" in answer.answer, answer.answer  # Openco, Isvone, Capeco
    assert _companies(ask(zoho, "leads rated Acquired")) == {"Isvtwo", "Erpco"}
    assert _companies(ask(zoho, "rating active or acquired leads in india")) == {"Isvone", "Isvtwo", "Erpco"}


def test_a_word_of_two_industries_is_both_and_the_answer_says_so(zoho):
    answer = ask(zoho, "how many ISV leads")
    assert _count(answer) == 2 and len(answer.rows) == 1, answer.answer  # one count, not one per industry
    assert answer.answer.startswith("Read 'ISV' as any of your industries ManagementISV or Non-management ISV."), answer.answer


def test_the_middle_east_and_africa_is_emea_outside_europe(zoho):
    answer = ask(zoho, "Europe vs Middle East & Africa lead count")
    assert [call["args"]["filter"]["region"] for call in answer.tool_calls] == [["EUROPE"], ["MEA"]]
    assert [part["rows"][0]["count"] for part in answer.parts] == [2, 2], answer.answer  # Openco, Berlinco | Dubaico, Capeco
    assert "Middle East & Africa" in answer.answer.splitlines()[0]
    assert _companies(ask(zoho, "MEA leads")) == {"Dubaico", "Capeco"}


def test_a_source_written_as_the_file_writes_it_is_that_source_and_said(zoho):
    source = ask(zoho, "list leads from Partner")
    assert _companies(source) == {"Isvone", "Isvtwo"}, source.answer
    assert source.answer.startswith("Read 'Partner' as the source Partner (the partner channel also has Seminar Partner"), source.answer
    channel = ask(zoho, "how many leads from partners")
    assert _count(channel) == 3 and "The partner channel is Partner and Seminar Partner." in channel.answer, channel.answer


def test_visit_days_and_chats_are_conditions(zoho):
    assert _companies(ask(zoho, "show leads that came back to the site on 10 or more days")) == {"Returnco"}
    assert _companies(ask(zoho, "leads that visited the site 2+ times")) == {"Returnco", "Onceco"}
    chatted = ask(zoho, "how many open leads have ever used the chat on our site?")
    assert _count(chatted) == 1, chatted.answer


def test_and_the_month_before_asks_again_for_the_period_before(zoho):
    first = ask(zoho, "how many leads came in last month", conversation="before")
    assert _count(first) == 2, first.answer  # Erpco, Berlinco (October)
    before = ask(zoho, "and the month before?", conversation="before")
    assert _count(before) == 2, before.answer  # Dubaico, Capeco (September)
    assert before.answer.startswith("Read that as the month before: 2026-09-01 to 2026-09-30."), before.answer


def test_the_period_before_moves_the_window_back_by_what_was_said():
    last = ToolCall("search_leads", {"filter": {"created_after": "2026-11-16", "tier": ["hot"]}})  # "this week" (Monday on)
    week = plan("what about the week before?", now=NOW, context=Context(last_call=last)).calls[0].args["filter"]
    assert (week["created_after"], week["created_before"], week["tier"]) == ("2026-11-09", "2026-11-16", ["hot"])
    quarter = ToolCall("aggregate_leads", {"filter": {"created_after": "2026-07-01", "created_before": "2026-10-01"}, "metric": "count"})
    earlier = plan("previous quarter?", now=NOW, context=Context(last_call=quarter)).calls[0]
    assert earlier.name == "aggregate_leads" and earlier.args["filter"] == {"created_after": "2026-04-01", "created_before": "2026-07-01"}
    assert "Ask about a time window first" in (plan("and the month before?", now=NOW).message or "")


@pytest.mark.parametrize("question", ["export these to csv", "download this list", "can I get this as a csv?", "export to excel"])
def test_a_request_for_a_file_with_no_list_to_give_is_answered_with_the_export_command(question):
    planned = plan(question, now=NOW)
    assert not planned.calls and planned.message == EXPORT_MESSAGE
    assert "leadpilot export" in EXPORT_MESSAGE


@pytest.mark.parametrize(("question", "wanted"), [
    ("send me a spreadsheet of hot leads in fintech", {"tier": ["hot"], "industry": ["fintech"]}),
    ("email me a csv of hot leads", {"tier": ["hot"]}),
    ("export my hot deals to a csv", {"owner": ["me"], "tier": ["hot"]}),
    ("give me an excel file of the hot leads", {"tier": ["hot"]}),
])
def test_a_request_for_a_file_of_some_leads_lists_them_and_says_how_to_get_the_file(question, wanted):
    planned = plan(question, now=NOW)
    assert [call.args["filter"] for call in planned.calls] == [wanted], planned
    assert planned.readings[0] == EXPORT_NOTE and "leadpilot export" in EXPORT_NOTE


def test_export_these_after_a_list_is_that_list_again():
    last = ToolCall("search_leads", {"filter": {"tier": ["hot"], "city": ["London"]}})
    for question in ("export these to csv", "download this list", "can I get this as a csv?"):
        planned = plan(question, now=NOW, context=Context(last_call=last))
        assert planned.calls == [last] and planned.readings[0] == EXPORT_NOTE, (question, planned)


@pytest.mark.parametrize("question", ["send me the hot leads", "lead volume this month", "show hot leads", "which leads opened an email"])
def test_questions_that_only_sound_like_a_file_are_read(question):
    assert plan(question, now=NOW).calls


@pytest.mark.parametrize(("question", "wanted"), [
    ("cold leads that opened 3+ emails", {"activity": [{"kind": "email_opened", "min_count": 3}], "tier": ["cold"]}),
    ("leads that visited pricing but havent requested a demo",
     {"activity": [{"kind": "page_view", "page": "pricing"}, {"kind": "form_submit", "page": "demo", "absent": True}]}),
    ("break down this month's leads by source", {"created_after": "2026-11-01"}),
])
def test_how_reps_type_it_in_slack(question, wanted):
    calls = plan(question, now=NOW).calls
    assert calls and calls[0].args["filter"] == wanted, calls


def test_whats_our_pipeline_look_like_by_stage():
    calls = plan("whats our pipeline look like by stage", now=NOW).calls
    assert calls and calls[0].args.get("group_by") == "stage", calls


PIPEDRIVE = Vocabulary(kept_fields={"Deal - Label": frozenset({"Hot", "Warm", "Cold"}), "Deal - Pipeline": frozenset({"Expansion", "New business"})},
                       countries=frozenset({"PE", "CL", "ES", "PT"}))


def test_a_crm_with_its_own_hot_label_means_that_label_and_says_so():
    planned = plan("hot deals in spain pls", now=NOW, vocabulary=PIPEDRIVE)
    assert planned.calls[0].args["filter"] == {"crm_label": ["Hot"], "country": ["ES"]}  # the typed field an LLM fills too
    assert planned.readings[0].startswith("Read 'hot' as your CRM's Deal - Label (Hot)"), planned.readings
    assert plan("deals scored hot", now=NOW, vocabulary=PIPEDRIVE).calls[0].args["filter"] == {"tier": ["hot"]}  # Leadpilot's own tier
    assert plan("hot deals", now=NOW).calls[0].args["filter"] == {"tier": ["hot"]}  # a store without its own label: the tier


def test_a_country_the_store_holds_is_read_by_its_name_and_iberia_is_spain_and_portugal():
    assert plan("deals in peru or chile", now=NOW, vocabulary=PIPEDRIVE).calls[0].args["filter"] == {"country": ["PE", "CL"]}
    calls = plan("LATAM vs Iberia, open deals count", now=NOW, vocabulary=PIPEDRIVE).calls
    assert [call.args["filter"]["region"] for call in calls] == [["LATAM"], ["IBERIA"]]


@pytest.mark.parametrize(("question", "wanted"), [
    ("how many new deals came in in march?", {"created_after": "2026-03-01", "created_before": "2026-04-01", "scope": "all"}),
    ("won deals in portugal this year", {"country": ["PT"], "stage": ["CUSTOMER"], "closed_after": "2026-01-01"}),
    ("deals with no email for the contact person?", {"has_email": False}),
])
def test_arrivals_closes_and_the_contact_person(question, wanted):
    calls = plan(question, now=NOW, vocabulary=PIPEDRIVE).calls
    assert calls and calls[0].args["filter"] == wanted, calls


def test_pushing_deals_to_a_stage_is_a_change_the_chat_does_not_make():
    from leadpilot.agent.planner.writes import WRITE_MESSAGE

    assert plan("push these deals to stage negotiation", now=NOW).message == WRITE_MESSAGE
