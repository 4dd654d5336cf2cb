"""Open by default (issue #15): lists and counts are of open leads unless the question says
otherwise, the answer says what was left out, history reads all leads; and the filter's any-of
across fields, people and source fields and sub-regions. The card's question through the CLI on
the demo returns only open, hot, fintech leads not contacted in 3 days."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from pydantic import ValidationError
from sqlalchemy import select

from leadpilot.agent.answers import compose_answer
from leadpilot.memory.models import Lead
from leadpilot.tools.followups.daily import FollowUpQuery, follow_ups_due
from leadpilot.tools.followups.policy import load_policy
from leadpilot.tools.leads.filter import LeadConditions, LeadFilter, Viewer
from leadpilot.tools.leads.filter_words import describe_filter
from leadpilot.tools.leads.search import AggregateLeads, SearchLeads, aggregate_leads, search_leads

from conftest import NOW

ADMIN = Viewer(role="admin")
# id, company, industry, city, country, tier, score, stage, converted, source, phone, job title (-> seniority,
# department: c-level executive, vp finance, director finance, vp sales, manager it, individual), days since contact
LEADS = [
    (1, "Ledgerly", "fintech", "San Francisco", "US", "hot", 91, "LEAD", None, "Website Form", "+1 415 555 0101", "CEO", 5),
    (2, "Coinbridge", "fintech", "London", "GB", "hot", 88, "CUSTOMER", True, "linkedin_ads", None, "VP Finance", None),
    (3, "Vaultline", "fintech", "New York", "US", "hot", 84, "LOST", False, "referral", "+1 212 555 0103", "Finance Director", 40),
    (4, "Paywise", "fintech", "London", "GB", "warm", 60, "PROSPECT", None, "email_campaign", "  ", "VP of Sales", 1),
    (5, "Medicore", "healthcare", "London", "GB", "hot", 80, "OPPORTUNITY", None, "event", "+44 20 5555 0105", "IT Manager", None),
    (6, "Carepath", "healthcare", "Berlin", "DE", "hot", 75, "CUSTOMER", True, "partner", None, "Nurse", 10),
    (7, "Shopora", "ecommerce", "Stockholm", "SE", "cold", 20, "DISCOVERY", None, "paid_search", None, None, None),
    (8, "Fundsy", "fintech", "Zurich", "CH", "hot", 77, "LEAD", None, "website_form", "+41 44 555 0108", "VP Engineering", 9),
]


@pytest.fixture
def store(db):
    with db.transaction() as session:
        for lead_id, company, industry, city, country, tier, score, stage, converted, source, phone, title, days in LEADS:
            session.add(Lead(  # the store derives source spelling, channel, seniority and department on write
                id=lead_id, company=company, industry=industry, city=city, country=country, tier=tier, score=score,
                stage=stage, converted=converted, source=source, phone=phone, job_title=title,
                email=None if lead_id == 7 else f"buyer@{company.lower()}.com",
                created_at=NOW - timedelta(days=30 + lead_id), updated_at=NOW,
                last_contacted_at=None if days is None else NOW - timedelta(days=days),
            ))
    return db


def search(db, lead_filter: LeadFilter, **query):
    with db.read_only(timeout_ms=5000) as session:
        return search_leads(session, query=SearchLeads(filter=lead_filter, **query), viewer=ADMIN, now=NOW, row_cap=100)


def ids(db, **fields) -> set[int]:
    return {lead["id"] for lead in search(db, LeadFilter(**fields)).leads}


def aggregate(db, **query):
    with db.read_only(timeout_ms=5000) as session:
        return aggregate_leads(session, query=AggregateLeads(**query), viewer=ADMIN, now=NOW, row_cap=100)


def answer_for(name: str, result) -> str:
    return compose_answer([ToolMessage(content=json.dumps(result.model_dump(mode="json")), name=name, tool_call_id="1")])


def test_a_list_is_of_open_leads_and_says_how_many_closed_ones_it_left_out(store):
    result = search(store, LeadFilter(tier=["hot"], industry=["fintech"]))
    assert {lead["id"] for lead in result.leads} == {1, 8} and result.total == 2
    assert result.closed_not_shown == 2  # Coinbridge won, Vaultline lost
    assert result.filters_applied == ["open leads", "tier: hot", "industry: Fintech"]
    assert answer_for("search_leads", result).startswith(
        "Found 2 open leads (tier: hot; industry: Fintech). 2 closed ones not shown — ask 'including closed'. Top: Ledgerly"
    )
    nothing = search(store, LeadFilter(industry=["fintech"], city=["New York"]))
    assert nothing.total == 0 and nothing.closed_not_shown == 1
    assert answer_for("search_leads", nothing) == (
        "No open leads match (industry: Fintech; city: New York). 1 closed one not shown — ask 'including closed'."
    )
    none_closed = search(store, LeadFilter(industry=["ecommerce"]))
    assert none_closed.closed_not_shown == 0 and "not shown" not in answer_for("search_leads", none_closed)


def test_a_page_counts_its_matches_and_the_closed_ones_in_its_own_pass(store):
    """The page, its total and the closed ones the default left out come from one statement, open
    leads first whatever their score: every page of the open list, and the same numbers, whether the
    page starts at the top, further down, or past the end."""
    whole = search(store, LeadFilter(tier=["hot"]))
    assert [lead["id"] for lead in whole.leads] == [1, 5, 8] and whole.total == 3 and whole.closed_not_shown == 3
    for offset, limit, page in ((0, 2, [1, 5]), (2, 2, [8]), (1, 1, [5]), (5, 2, [])):
        result = search(store, LeadFilter(tier=["hot"]), limit=limit, offset=offset)
        assert [lead["id"] for lead in result.leads] == page, (offset, limit)
        assert (result.total, result.closed_not_shown, result.offset) == (3, 3, offset)
    assert search(store, LeadFilter(tier=["hot"]), limit=2, offset=2).truncated is False  # the last page is all there is
    ledgerly = whole.leads[0]  # dates as the aware UTC value's isoformat, read straight from the stored value
    assert ledgerly["created_at"] == (NOW - timedelta(days=31)).isoformat() and ledgerly["last_contacted_at"] == (NOW - timedelta(days=5)).isoformat()


def test_a_stored_date_in_any_spelling_reads_as_its_isoformat():
    from leadpilot.tools.leads.search import iso_text

    assert iso_text("2026-11-20 12:00:00.000000") == "2026-11-20T12:00:00+00:00"
    assert iso_text("2026-11-20 12:00:00.250000") == "2026-11-20T12:00:00.250000+00:00"
    assert iso_text("2026-11-20 12:00:00") == "2026-11-20T12:00:00+00:00"
    assert iso_text("2026-11-20T14:00:00+02:00") == "2026-11-20T12:00:00+00:00"
    assert iso_text(datetime(2026, 11, 20, 12)) == "2026-11-20T12:00:00+00:00"


def test_scope_or_a_named_stage_or_outcome_decides_instead(store):
    everything = search(store, LeadFilter(tier=["hot"], industry=["fintech"], scope="all"))
    assert {lead["id"] for lead in everything.leads} == {1, 2, 3, 8} and everything.closed_not_shown is None
    assert everything.filters_applied[0] == "including closed"
    assert answer_for("search_leads", everything).startswith("Found 4 leads (including closed; tier: hot; industry: Fintech). Top")
    closed = search(store, LeadFilter(industry=["fintech"], scope="closed"))
    assert {lead["id"] for lead in closed.leads} == {2, 3} and answer_for("search_leads", closed).startswith("Found 2 closed leads (industry")
    assert ids(store, industry=["fintech"], scope="open") == {1, 4, 8}
    customers = search(store, LeadFilter(stage=["CUSTOMER"]))
    assert {lead["id"] for lead in customers.leads} == {2, 6} and customers.closed_not_shown is None
    assert customers.filters_applied == ["stage: CUSTOMER"]
    assert ids(store, converted=False) == {3} and ids(store, converted=True) == {2, 6}
    assert ids(store, stage=["LEAD", "PROSPECT"]) == {1, 4, 8}


def test_counts_are_of_open_leads_and_conversion_rates_read_history(store):
    counted = aggregate(store, filter=LeadFilter(tier=["hot"]), group_by="industry")
    assert counted.rows == [{"industry": "fintech", "count": 2}, {"industry": "healthcare", "count": 1}]
    assert counted.closed_not_shown == 3
    assert answer_for("aggregate_leads", counted) == (
        "Open lead count by industry (tier: hot): Fintech 2, Healthcare 1. 3 closed ones not shown — ask 'including closed'."
    )
    total = aggregate(store)
    assert total.rows == [{"total": "all leads", "count": 5}] and total.closed_not_shown == 3
    average = aggregate(store, filter=LeadFilter(industry=["fintech"]), metric="avg_score")
    assert average.rows[0]["avg_score"] == pytest.approx((91 + 60 + 77) / 3, abs=0.1)
    assert answer_for("aggregate_leads", average).startswith("Average score of open leads: ")
    rates = aggregate(store, group_by="industry", metric="conversion_rate")
    assert {row["industry"]: row["conversion_rate"] for row in rates.rows} == {"fintech": 0.5, "healthcare": 1.0, "ecommerce": None}
    assert rates.closed_not_shown is None and rates.filters_applied == []


def test_any_of_is_an_or_of_ands_anded_with_the_rest(store):
    fintech_or_london = [{"industry": ["fintech"]}, {"city": ["London"]}]
    either = search(store, LeadFilter(any_of=fintech_or_london))
    assert {lead["id"] for lead in either.leads} == {1, 4, 5, 8} and either.closed_not_shown == 2
    assert either.filters_applied == ["open leads", "any of: (industry: Fintech) or (city: London)"]
    assert ids(store, tier=["hot"], any_of=fintech_or_london) == {1, 5, 8}
    assert ids(store, any_of=fintech_or_london, scope="all") == {1, 2, 3, 4, 5, 8}
    # "Singapore or Sydney" style: two values of one field, or two alternatives of several fields each
    assert ids(store, any_of=[{"industry": ["fintech"], "city": ["London"]}, {"country": ["Germany"], "industry": ["healthcare"]}],
               scope="all") == {2, 4, 6}
    # An alternative that names a stage decides its own lifecycle; the others stay open.
    mixed = LeadFilter(any_of=[{"industry": ["fintech"]}, {"stage": ["CUSTOMER"], "city": ["London"]}])
    assert ids(store, **mixed.model_dump(exclude_none=True)) == {1, 2, 4, 8}
    assert describe_filter(mixed)[0] == "open leads (except where a stage or outcome is named)"


def test_any_of_alternatives_are_flat_and_not_empty():
    with pytest.raises(ValidationError, match="cannot have its own scope or any_of"):
        LeadFilter(any_of=[{"industry": ["fintech"], "scope": "all"}])
    with pytest.raises(ValidationError, match="cannot have its own scope or any_of"):
        LeadFilter(any_of=[LeadFilter(any_of=[{"city": ["London"]}])])
    with pytest.raises(ValidationError, match="alternative is empty"):
        LeadFilter(any_of=[{"industry": ["fintech"]}, {}])
    nested = LeadFilter(any_of=[LeadFilter(industry=["FinTech"])])
    assert type(nested.any_of[0]) is LeadConditions and nested.any_of[0].industry == ["fintech"]
    assert LeadFilter(any_of=[]).any_of is None


def test_people_source_channel_and_sub_region_fields(store):
    assert ids(store, region=["dach"]) == {8} and ids(store, region=["DACH"], scope="all") == {6, 8}
    assert ids(store, region=["Nordics"]) == {7} and ids(store, region=["UKI"], scope="all") == {2, 4, 5}
    assert ids(store, not_region=["EMEA"]) == {1}
    assert ids(store, seniority=["VP"]) == {4, 8} and ids(store, seniority=["vice president"], scope="all") == {2, 4, 8}
    assert ids(store, department=["Finance"], scope="all") == {2, 3} and ids(store, department=["IT"]) == {5}
    assert ids(store, has_phone=True) == {1, 5, 8}  # a blank phone is no phone
    assert ids(store, has_phone=False) == {4, 7} and ids(store, has_email=False) == {7}
    assert ids(store, source=["Website Form"]) == {1, 8} and ids(store, not_source=["website-form"]) == {4, 5, 7}
    assert ids(store, channel=["paid"], scope="all") == {2, 7} and ids(store, channel=["owned media"]) == {4}
    assert ids(store, not_channel=["organic", "paid"]) == {4, 5}
    words = describe_filter(LeadFilter(seniority=["c-suite"], department=["Customer_Success"], has_phone=True, has_email=False,
                                       channel=["paid"], source=["LinkedIn Ads"], region=["anz"]))
    assert words == ["open leads", "region: ANZ", "source: linkedin_ads", "channel: paid", "seniority: c-level",
                     "department: customer success", "with a phone number", "without an email address"]
    with pytest.raises(ValidationError):
        LeadFilter(region=["Atlantis"])


def test_follow_ups_are_always_open_and_say_so_when_asked_for_closed_ones(store):
    policy = load_policy()
    with store.read_only(timeout_ms=5000) as session:
        listed = follow_ups_due(session, query=FollowUpQuery(day="today", filter=LeadFilter(scope="all")), viewer=ADMIN,
                                now=NOW, policy=policy, row_cap=100)
    stages = {row[0]: row[7] for row in LEADS}
    assert all(stages[lead["id"]] not in ("CUSTOMER", "LOST") for lead in listed.leads)
    assert listed.problems == ["follow-ups are for open leads only: won and lost leads are never on the list"]
    assert not any(line in ("open leads", "including closed") for line in listed.filters_applied)


def test_the_tools_say_the_default_in_their_schema():
    from leadpilot.agent.toolbox import aggregate_leads_tool, conversion_by_tier_tool, search_leads_tool

    schema = json.dumps(search_leads_tool.tool_call_schema.model_json_schema())
    assert "Omit it for the default: OPEN leads only" in schema and "any_of" in schema and "DACH" in schema
    def said(tool) -> str:
        return " ".join(tool.description.split())

    assert "OPEN leads only" in said(search_leads_tool) and "a conversion rate is history" in said(aggregate_leads_tool)
    assert "History: all leads unless filter.scope is set" in said(conversion_by_tier_tool)


# ---------------------------------------------------------------------------------------------
# The README card's question, through the CLI, on the demo


LEADPILOT = str(Path(sys.executable).with_name("leadpilot"))
CARD = "show hot leads in fintech not contacted in 3 days"


def test_the_card_question_on_the_demo_returns_only_open_hot_fintech_leads_not_contacted_in_3_days(tmp_path):
    from leadpilot.memory.db import open_database

    env = {**os.environ, "LEADPILOT_DATA_DIR": str(tmp_path / "demo"), "LEADPILOT_NOW": "2026-11-20T12:00:00Z"}
    subprocess.run([LEADPILOT, "seed"], env=env, check=True, capture_output=True, timeout=600)
    asked = subprocess.run([LEADPILOT, "ask", CARD, "--json"], env=env, check=True, capture_output=True, text=True, timeout=300)
    output = json.loads(asked.stdout)
    cutoff = datetime(2026, 11, 17, 12, tzinfo=timezone.utc)
    db = open_database(f"sqlite:///{tmp_path / 'demo' / 'leadpilot.db'}")
    try:
        with db.session() as session:
            matches = [lead for lead in session.scalars(select(Lead).where(Lead.tier == "hot", Lead.industry == "fintech"))
                       if lead.last_contacted_at is None or lead.last_contacted_at < cutoff]
    finally:
        db.dispose()
    open_ids = {lead.id for lead in matches if lead.stage not in ("CUSTOMER", "LOST")}
    closed = len(matches) - len(open_ids)
    assert open_ids and closed  # the demo has both, so the default is what decides
    assert {lead["id"] for lead in output["leads"]} == open_ids
    assert all(lead["stage"] not in ("CUSTOMER", "LOST") and lead["tier"] == "hot" and lead["industry"] == "fintech"
               and (lead["last_contacted_at"] is None or lead["last_contacted_at"] < cutoff.isoformat()) for lead in output["leads"])
    assert output["answer"].startswith(f"Found {len(open_ids)} open leads (tier: hot; industry: Fintech; not contacted in 3 days")
    assert f"{closed} closed ones not shown — ask 'including closed'." in output["answer"]


class _WordEmbedder:
    """A tiny stand-in embedder (no model file): one dimension per word of a small vocabulary."""

    model_id = "test-words-1"
    words = ("fintech", "healthcare", "ecommerce", "payments", "card", "hospital", "checkout")
    dimension = len(words)

    def embed(self, texts):
        import numpy as np

        vectors = np.array([[1.0 if word in text.lower() else 0.0 for word in self.words] for text in texts], np.float32) + 1e-3
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_semantic_search_says_how_many_closed_leads_it_left_out(store, tmp_path):
    from leadpilot.memory.numpy_vectors import NumpyVectorStore
    from leadpilot.tools.semantic.search import SemanticIndex, reindex, semantic_search_leads

    index = SemanticIndex(store=NumpyVectorStore(tmp_path / "vectors", dimension=_WordEmbedder.dimension), embedder=_WordEmbedder())
    reindex(store, index)
    with store.read_only(timeout_ms=5000) as session:
        found = semantic_search_leads(session, index=index, text="fintech card payments", viewer=ADMIN, now=NOW, limit=10,
                                      min_similarity=0.5)
        everything = semantic_search_leads(session, index=index, text="fintech card payments", filter=LeadFilter(scope="all"),
                                           viewer=ADMIN, now=NOW, limit=10, min_similarity=0.5)
    open_ids = {lead["id"] for lead in found.leads}
    closed_close = {lead["id"] for lead in everything.leads} - open_ids
    assert open_ids and closed_close == {2, 3}  # Coinbridge (won) and Vaultline (lost) are fintech too
    assert found.closed_not_shown == 2 and everything.closed_not_shown is None
    said = answer_for("semantic_search_leads", found)
    assert "2 closed ones not shown — ask 'including closed'" in said
