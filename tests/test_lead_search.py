"""search_leads on SQLite and PostgreSQL: the page query (rank narrow rows, then fetch the page's
wide rows) returns the same leads, order, total and contract fields as reading each lead whole."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from leadpilot.memory.models import Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.tools.leads.filter import LeadFilter, Viewer
from leadpilot.tools.leads.filter_sql import compile_filter
from leadpilot.tools.leads.search import LEAD_FIELDS, SearchLeads, lead_row, search_leads, search_statement

from conftest import NOW

# score, tier, days since last contact (None = never); microseconds on some, NULL scores on others
LEADS = [
    (90, "hot", 5.5), (90, "hot", None), (None, "hot", 9), (75, "hot", 1), (82, "hot", 4.000001),
    (None, "hot", None), (71, "hot", 30), (88, "warm", 10), (95, "hot", 12.25), (82, "hot", 7),
]


@pytest.fixture
def store(db):
    with db.transaction() as session:
        ana = upsert_rep(session, email="ana@team.io", name="Ana Lima", now=NOW)
        for i, (score, tier, days) in enumerate(LEADS):
            session.add(Lead(
                external_id=f"S-{i}", company=f"Company {chr(ord('J') - i)}", industry="fintech", country="US",
                source="web", stage="LEAD", score=score, tier=tier, owner_id=ana.id if i % 2 else None,
                created_at=NOW - timedelta(days=i, microseconds=i * 7), updated_at=NOW,
                last_contacted_at=None if days is None else NOW - timedelta(days=days),
            ))
    return db


def expected(db, *, key, descending: bool, where=lambda lead: True) -> list[dict]:
    """Every matching lead read whole through the ORM, sorted in Python: NULLs last, ties by id."""
    with db.session() as session:
        leads = [lead for lead in session.scalars(select(Lead)) if where(lead)]
        present = sorted((lead for lead in leads if key(lead) is not None), key=lambda lead: lead.id)
        present.sort(key=key, reverse=descending)  # stable: ids stay ascending within ties
        return [lead_row(lead) for lead in present + sorted((l for l in leads if key(l) is None), key=lambda l: l.id)]


def run(db, **query) -> object:
    with db.read_only(timeout_ms=5000) as session:
        return search_leads(session, query=SearchLeads(**query), viewer=Viewer(), now=NOW, row_cap=4)


@pytest.mark.parametrize(("sort_by", "key", "descending"), [
    ("score", lambda lead: lead.score, True),
    ("score", lambda lead: lead.score, False),
    ("last_contacted_at", lambda lead: lead.last_contacted_at, True),
    ("company", lambda lead: lead.company, False),
])
def test_a_capped_page_matches_the_whole_leads_in_order(store, sort_by, key, descending):
    truth = expected(store, key=key, descending=descending, where=lambda lead: lead.tier == "hot")
    result = run(store, filter=LeadFilter(tier=["hot"]), sort_by=sort_by, descending=descending)
    assert result.leads == truth[:4]  # same leads, order and contract fields (datetimes as ISO 8601 UTC)
    assert result.total == len(truth) == 9 and result.truncated


def test_top_n_and_not_contacted_window(store):
    def stale(lead) -> bool:
        return lead.tier == "hot" and (lead.last_contacted_at is None or lead.last_contacted_at < NOW - timedelta(days=5))

    truth = expected(store, key=lambda lead: lead.score, descending=True, where=stale)
    result = run(store, filter=LeadFilter(tier=["hot"], not_contacted_in_days=5), limit=2)
    assert [lead["id"] for lead in result.leads] == [lead["id"] for lead in truth[:2]]
    assert result.total == len(truth) == 7 and not result.truncated  # the top 2 asked for, all given
    assert result.leads[0]["last_contacted_at"].endswith("+00:00")


def test_no_match_is_an_empty_page(store):
    result = run(store, filter=LeadFilter(industry=["healthcare"]))
    assert result.leads == [] and result.total == 0 and not result.truncated


def test_an_owner_named_in_the_filter_is_looked_up_by_name(store):
    with store.session() as session:
        anas = set(session.scalars(select(Lead.id).where(Lead.owner_id.is_not(None))))
    result = run(store, filter=LeadFilter(owner=["ana lima"]))
    assert result.total == len(anas) == 5 and {lead["id"] for lead in result.leads} <= anas and result.problems == []
    assert {lead["owner"] for lead in result.leads} == {"ana@team.io"}
    nobody = run(store, filter=LeadFilter(owner=["Bruno"]))
    assert nobody.leads == [] and nobody.problems == ["there is no rep called 'Bruno'"]


def test_the_cards_question_is_ranked_from_the_index_alone(sqlite_db):
    """Tier + industry + last contact + open stage, by score: every match is ranked from
    ix_leads_tier_industry_rank without reading the table (migrations 0010, 0012); only the page's
    rows are read whole. The count of closed leads the open default left out reads the index only too."""
    from sqlalchemy import func

    query = SearchLeads(filter=LeadFilter(tier=["hot"], industry=["fintech"], not_contacted_in_days=3))
    compiled = compile_filter(query.filter, now=NOW, viewer=Viewer(), owner_ids={})
    statement = search_statement(query, compiled, row_cap=1000)
    counted = select(func.count()).select_from(Lead).where(*compiled.widened)

    def plan_of(statement) -> list[str]:
        sql = str(statement.compile(sqlite_db.engine, compile_kwargs={"literal_binds": True}))
        with sqlite_db.engine.connect() as connection:
            return [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]

    plan = plan_of(statement)
    assert any("COVERING INDEX ix_leads_tier_industry_rank" in step for step in plan), plan
    assert any("leads USING INTEGER PRIMARY KEY" in step for step in plan), plan  # the page's rows, by id
    assert any("COVERING INDEX ix_leads_tier_industry_rank" in step for step in plan_of(counted))


def test_open_leads_by_default_with_the_closed_ones_counted(store):
    with store.transaction() as session:
        won = session.scalar(select(Lead).where(Lead.external_id == "S-0"))
        won.stage, won.converted = "CUSTOMER", True
    truth = expected(store, key=lambda lead: lead.score, descending=True, where=lambda l: l.tier == "hot" and l.stage != "CUSTOMER")
    result = run(store, filter=LeadFilter(tier=["hot"]))
    assert result.leads == truth[:4] and result.total == 8 and result.closed_not_shown == 1
    assert result.filters_applied == ["open leads", "tier: hot"]
    everything = run(store, filter=LeadFilter(tier=["hot"], scope="all"))
    assert everything.total == 9 and everything.closed_not_shown is None


def test_a_page_row_is_the_contract_dict_with_its_keys_in_order(store):
    """Rows become dicts with LEAD_FIELDS' keys in order; a short page is every match (no COUNT),
    a full one is counted, and both say the same total."""
    short = run(store, filter=LeadFilter(tier=["warm"]))
    assert [list(lead) for lead in short.leads] == [list(LEAD_FIELDS)] and short.total == 1 and not short.truncated
    full = run(store, filter=LeadFilter(industry=["fintech"]), sort_by="created_at", descending=False)
    assert full.total == 10 and len(full.leads) == 4 and full.truncated
    assert full.leads == expected(store, key=lambda lead: lead.created_at, descending=False)[:4]


def test_a_page_whose_order_sqlite_and_python_disagree_on_comes_sorted_by_the_database(sqlite_db):
    """On SQLite the page is read without its final ORDER BY and its order checked in Python; a text
    among the numbers of the sort column (SQLite puts texts after numbers; Python cannot compare
    them) must fall back to the database's sort, not raise or return another order."""
    from sqlalchemy import text

    with sqlite_db.transaction() as session:
        for i, size in enumerate([50, None, 7, 50, 900, 3]):
            session.add(Lead(external_id=f"M-{i}", company=f"Mixed {i}", industry="saas", source="web", stage="LEAD",
                             company_size=size, created_at=NOW, updated_at=NOW))
        session.flush()
        session.execute(text("UPDATE leads SET company_size = 'about 40' WHERE external_id = 'M-2'"))  # kept as text
    for descending in (True, False):
        query = SearchLeads(sort_by="company_size", descending=descending)
        with sqlite_db.read_only(timeout_ms=5000) as session:
            found = search_leads(session, query=query, viewer=Viewer(), now=NOW, row_cap=100)
            compiled = compile_filter(query.filter, now=NOW, viewer=Viewer(), owner_ids={})
            ordered = [row[0] for row in session.execute(search_statement(query, compiled, row_cap=100))]
        assert [lead["id"] for lead in found.leads] == ordered
        sizes = [lead["company_size"] for lead in found.leads]
        assert sizes == (["about 40", 900, 50, 50, 3, None] if descending else [3, 50, 50, 900, "about 40", None])
