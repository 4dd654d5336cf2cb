"""Analytics reports on a small handmade store whose numbers are worked out by hand below, on
SQLite and PostgreSQL: lead volume, conversion by tier, time to first contact, rep performance,
score distribution and first/last-touch attribution; a rep sees only their own and unassigned
leads in every report; the agent answers the phrasings with the same tool calls, rows and charts."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.models import Activity, Lead
from leadpilot.tools.analytics.reports import conversion_by_tier, lead_volume, quantile, rep_performance, score_bucket, score_distribution, time_to_first_contact
from leadpilot.tools.analytics.attribution import source_attribution, touch_channel
from leadpilot.tools.leads.filter import LeadFilter, Viewer

from conftest import NOW
from small_team import ANA, BEN, add_team


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


# id, owner, source, tier, score, stage, created, converted, converted_at, last contacted (for a lead without activities)
LEADS = [
    (1, "ana", "referral", "hot", 95, "CUSTOMER", at(10, 1, 10), True, at(10, 20), None),
    (2, "ana", "organic", "hot", 100, "LOST", at(10, 2), False, None, None),
    (3, "ana", "paid", "warm", 55, "LEAD", at(11, 2), None, None, None),
    (4, "ben", "event", "warm", 45, "CUSTOMER", at(9, 10), True, at(10, 1), None),
    (5, "ben", "referral", "cold", 20, "LOST", at(9, 15), False, None, None),
    (6, None, "organic", None, None, "LEAD", at(11, 10), None, None, at(11, 10, 6)),  # imported: a contact date, no activities
    (7, "ana", "partner", "hot", 72, "CUSTOMER", at(11, 5), True, at(11, 15), None),
]
# lead, kind, direction, when, detail, meta
ACTIVITIES = [
    (1, "email_sent", "outbound", at(10, 1, 12), "Quick intro", None),  # first contact after 2 h
    (1, "page_view", "inbound", at(10, 5), "/pricing", {"channel": "paid"}),
    (1, "email_clicked", "inbound", at(10, 10), "/customers", None),  # the last touch before winning: outbound
    (1, "page_view", "inbound", at(10, 25), "/docs", {"channel": "event"}),  # after the win: not a touch that counts
    (2, "call", "outbound", at(10, 2, 4), "Connected", {"outcome": "connected"}),  # 4 h
    (3, "email_sent", "outbound", at(11, 3), "Quick intro", None),  # 24 h
    (4, "meeting", "outbound", at(9, 10, 10), "Discovery call", None),  # 10 h
    (4, "form_submit", "inbound", at(9, 20), "/webinar-registration", None),  # last touch: webinar
    (7, "email_sent", "outbound", at(11, 5, 8), "Quick intro", None),  # 8 h; no inbound touch: last touch = partner
    (7, "note", "outbound", at(11, 5, 1), "Called the office, no answer", None),  # a note is not a contact
]


@pytest.fixture
def store(db):
    with db.transaction() as session:
        reps = add_team(session)
        for lead_id, owner, source, tier, score, stage, created, converted, converted_at, contacted in LEADS:
            session.add(Lead(
                id=lead_id, company=f"Company {lead_id}", owner_id=reps[owner].id if owner else None, source=source, tier=tier,
                score=score, stage=stage, created_at=created, updated_at=created, converted=converted, converted_at=converted_at,
                last_contacted_at=contacted,
            ))
        session.flush()
        for lead_id, kind, direction, when, detail, meta in ACTIVITIES:
            session.add(Activity(lead_id=lead_id, kind=kind, direction=direction, occurred_at=when, detail=detail, meta=meta))
    return db


ADMIN = Viewer(role="admin")


def ana(db) -> Viewer:
    return viewer_for(db, email=ANA)


def test_lead_volume_by_source_month_and_both(store):
    with store.session() as session:
        quarter = lead_volume(session, lead_filter=LeadFilter(created_after=at(10, 1)), by="source", viewer=ADMIN, now=NOW, row_cap=100)
        months = lead_volume(session, lead_filter=None, by="month", viewer=ADMIN, now=NOW, row_cap=100)
        both = lead_volume(session, lead_filter=None, by="source_by_month", viewer=ADMIN, now=NOW, row_cap=100)
    assert quarter.rows == [
        {"source": "organic", "count": 2, "share": 0.4}, {"source": "paid", "count": 1, "share": 0.2},
        {"source": "partner", "count": 1, "share": 0.2}, {"source": "referral", "count": 1, "share": 0.2},
    ]
    assert quarter.based_on == 5 and quarter.filters_applied == ["created since 2026-10-01"]
    assert months.rows == [{"month": "2026-09", "count": 2}, {"month": "2026-10", "count": 2}, {"month": "2026-11", "count": 3}]
    assert both.rows[0] == {"month": "2026-09", "event": 1, "referral": 1, "organic": 0, "paid": 0, "partner": 0, "count": 2} or \
        {k: v for k, v in both.rows[0].items() if v} == {"month": "2026-09", "event": 1, "referral": 1, "count": 2}
    assert both.chart.type == "stacked" and set(both.chart.y) == {"referral", "organic", "paid", "event", "partner"}


def test_conversion_by_tier_counts_only_closed_leads(store):
    with store.session() as session:
        result = conversion_by_tier(session, lead_filter=None, viewer=ADMIN, now=NOW)
    assert result.rows == [
        {"tier": "hot", "conversion_rate": 0.6667, "won": 2, "lost": 1, "open": 0, "count": 3},
        {"tier": "warm", "conversion_rate": 1.0, "won": 1, "lost": 0, "open": 1, "count": 2},
        {"tier": "cold", "conversion_rate": 0.0, "won": 0, "lost": 1, "open": 0, "count": 1},
        {"tier": "unknown", "conversion_rate": None, "won": 0, "lost": 0, "open": 1, "count": 1},
    ]
    assert result.chart.unit == "percent" and "won / closed" in result.definitions[0]


def test_time_to_first_contact_by_rep_and_source(store):
    assert quantile([2, 4, 8, 24], 0.5) == 6.0 and quantile([2, 4, 8, 24], 0.9) == pytest.approx(19.2) and quantile([], 0.5) is None
    with store.session() as session:
        by_rep = time_to_first_contact(session, lead_filter=None, by="rep", viewer=ADMIN, now=NOW)
        by_source = time_to_first_contact(session, lead_filter=None, by="source", viewer=ADMIN, now=NOW)
    assert by_rep.rows == [
        {"owner": ANA, "median_hours": 6.0, "p90_hours": 19.2, "contacted": 4, "not_contacted": 0},  # 2, 4, 8, 24 h
        {"owner": "unassigned", "median_hours": 6.0, "p90_hours": 6.0, "contacted": 1, "not_contacted": 0},  # from last_contacted_at
        {"owner": BEN, "median_hours": 10.0, "p90_hours": 10.0, "contacted": 1, "not_contacted": 1},
    ]
    rows = {row["source"]: (row["median_hours"], row["p90_hours"], row["not_contacted"]) for row in by_source.rows}
    assert rows == {"referral": (2.0, 2.0, 1), "organic": (5.0, 5.8, 0), "paid": (24.0, 24.0, 0), "event": (10.0, 10.0, 0), "partner": (8.0, 8.0, 0)}


def test_rep_performance(store):
    with store.session() as session:
        result = rep_performance(session, lead_filter=None, viewer=ADMIN, now=NOW)
    assert result.rows == [
        {"owner": ANA, "conversion_rate": 0.6667, "leads": 4, "contacted": 4, "converted": 2, "lost": 1, "open_pipeline": 1,
         "median_hours_to_first_contact": 6.0},
        {"owner": BEN, "conversion_rate": 0.5, "leads": 2, "contacted": 1, "converted": 1, "lost": 1, "open_pipeline": 0,
         "median_hours_to_first_contact": 10.0},
    ]


def test_score_distribution_buckets_by_tier(store):
    assert [score_bucket(s, 10) for s in (0, 9, 10, 99, 100)] == ["0-9", "0-9", "10-19", "90-100", "90-100"]
    assert score_bucket(100, 25) == "75-100" and score_bucket(150, 10) == "150-159"
    with store.session() as session:
        pipeline = score_distribution(session, lead_filter=None, bucket_size=10, viewer=ADMIN, now=NOW)
        result = score_distribution(session, lead_filter=LeadFilter(scope="all"), bucket_size=10, viewer=ADMIN, now=NOW)
    # The pipeline as it stands: open leads by default (3 and 6), said so; all of them on request.
    assert pipeline.rows == [
        {"score_bucket": "50-59", "hot": 0, "warm": 1, "cold": 0, "count": 1},
        {"score_bucket": "unscored", "hot": 0, "warm": 0, "cold": 0, "count": 1},
    ]
    assert pipeline.filters_applied == ["open leads"] and result.filters_applied == ["including closed"]
    assert result.rows == [
        {"score_bucket": "20-29", "hot": 0, "warm": 0, "cold": 1, "count": 1},
        {"score_bucket": "40-49", "hot": 0, "warm": 1, "cold": 0, "count": 1},
        {"score_bucket": "50-59", "hot": 0, "warm": 1, "cold": 0, "count": 1},
        {"score_bucket": "70-79", "hot": 1, "warm": 0, "cold": 0, "count": 1},
        {"score_bucket": "90-100", "hot": 2, "warm": 0, "cold": 0, "count": 2},
        {"score_bucket": "unscored", "hot": 0, "warm": 0, "cold": 0, "count": 1},
    ]


def test_first_touch_vs_last_touch(store):
    assert touch_channel("page_view", "/lp/demo", None) == "paid" and touch_channel("page_view", "/docs", {"channel": "Paid Social"}) == "paid_social"
    assert touch_channel("form_submit", "/webinar-registration", None) == "webinar" and touch_channel("call", None, None) == "other"
    with store.session() as session:
        result = source_attribution(session, lead_filter=None, viewer=ADMIN, now=NOW)
    got = {row["channel"]: (row["first_touch"], row["last_touch"]) for row in result.rows}
    assert got == {"referral": (1, 0), "event": (1, 0), "partner": (1, 1), "outbound": (0, 1), "webinar": (0, 1)}
    assert result.based_on == 3 and all(abs(sum(r[k] for r in result.rows) - 1) < 1e-3 for k in ("first_touch_share", "last_touch_share"))
    assert "2 of 3 converted leads were last touched through another channel" in result.definitions[-1]


def test_a_rep_sees_only_their_own_and_unassigned_leads_in_every_report(store):
    viewer = ana(store)
    with store.session() as session:
        reports = [
            lead_volume(session, lead_filter=None, by="source", viewer=viewer, now=NOW, row_cap=100),
            conversion_by_tier(session, lead_filter=None, viewer=viewer, now=NOW),
            time_to_first_contact(session, lead_filter=None, by="rep", viewer=viewer, now=NOW),
            rep_performance(session, lead_filter=None, viewer=viewer, now=NOW),
            score_distribution(session, lead_filter=None, bucket_size=10, viewer=viewer, now=NOW),
            source_attribution(session, lead_filter=None, viewer=viewer, now=NOW),
            # asking for Ben's leads by name gets nothing either
            rep_performance(session, lead_filter=LeadFilter(owner=[BEN]), viewer=viewer, now=NOW),
        ]
    assert [r.based_on for r in reports] == [5, 5, 5, 4, 2, 2, 0]  # the score distribution: her open leads 3 and 6
    assert all(BEN not in str(r.rows) for r in reports)
    assert [row["owner"] for row in reports[3].rows] == [ANA]
    assert {row["tier"]: row["conversion_rate"] for row in reports[1].rows} == {"hot": 0.6667, "warm": None, "unknown": None}
    assert "your leads and unassigned ones" in reports[0].filters_applied


QUESTIONS = [
    ("conversion by tier", "conversion_by_tier", {}),
    ("lead volume by source this quarter", "lead_volume", {"by": "source", "filter": {"created_after": "2026-10-01"}}),
    ("time to first contact by rep", "time_to_first_contact", {"by": "rep"}),
    ("how are reps performing", "rep_performance", {}),
    ("score distribution", "score_distribution", {}),
    ("first touch vs last touch attribution", "source_attribution", {}),
]


@pytest.mark.parametrize(("question", "tool", "args"), QUESTIONS)
def test_the_agent_answers_analytics_questions_with_rows(store, question, tool, args):
    answer = run_agent(question, deps=make_deps(store, viewer=viewer_for(store)))
    assert answer.tool_calls == [{"name": tool, "args": args}]
    assert answer.rows and answer.leads == []
    name = next(iter(answer.rows[0]))
    assert all(isinstance(row[name], str) for row in answer.rows)  # a name column, then numbers
    assert all(isinstance(v, (int, float)) or v is None for row in answer.rows for k, v in row.items() if k != name)
    assert answer.contract()["rows"] == answer.rows and "(" in answer.answer


def test_the_agent_keeps_a_reps_analytics_to_their_leads(store):
    deps = make_deps(store, viewer=ana(store))
    performance = run_agent("how are reps performing", deps=deps)
    assert [row["owner"] for row in performance.rows] == [ANA] and BEN not in performance.answer
    referrals = run_agent("conversion by tier for referrals", deps=deps)
    assert referrals.tool_calls == [{"name": "conversion_by_tier", "args": {"filter": {"channel": ["referral"]}}}]
    assert referrals.rows == [{"tier": "hot", "conversion_rate": 1.0, "won": 1, "lost": 0, "open": 0, "count": 1}]  # not Ben's lead 5


def test_planner_reads_report_phrasings_and_narrows_a_report_on_follow_up():
    from leadpilot.agent.planner import Context, ToolCall, Vocabulary, plan

    vocabulary = Vocabulary(reps={"maya": "maya@team.io", "maya chen": "maya@team.io"})
    calls = {q: [(c.name, c.args) for c in plan(q, now=NOW, vocabulary=vocabulary).calls] for q in (
        "conversion rate by tier for fintech", "monthly lead volume", "lead volume by month and source", "median response time by source",
        "how is Maya performing this quarter", "distribution of scores in healthcare", "last touch attribution", "hot leads sorted by last touch",
    )}
    assert calls == {
        "conversion rate by tier for fintech": [("conversion_by_tier", {"filter": {"industry": ["fintech"]}})],
        "monthly lead volume": [("lead_volume", {"by": "month"})],
        "lead volume by month and source": [("lead_volume", {"by": "source_by_month"})],
        "median response time by source": [("time_to_first_contact", {"by": "source"})],
        "how is Maya performing this quarter": [("rep_performance", {"filter": {"created_after": "2026-10-01", "owner": ["maya@team.io"]}})],
        "distribution of scores in healthcare": [("score_distribution", {"filter": {"industry": ["healthcare"]}})],
        "last touch attribution": [("source_attribution", {})],
        "hot leads sorted by last touch": [("search_leads", {"filter": {"tier": ["hot"]}, "sort_by": "last_contacted_at"})],
    }
    refused = plan("score distribution for purple leads", now=NOW)
    assert not refused.calls and "'purple'" in refused.message
    context = Context(last_call=ToolCall("conversion_by_tier", {}))
    follow_up = plan("what about referrals?", now=NOW, context=context).calls
    assert [(c.name, c.args) for c in follow_up] == [("conversion_by_tier", {"filter": {"channel": ["referral"]}})]


def test_reports_render_as_tables_and_charts_in_the_web_chat_and_slack():
    from leadpilot.interfaces.slack import blocks
    from leadpilot.interfaces.web import render

    rows = [{"channel": "referral", "first_touch": 12, "last_touch": 3, "first_touch_share": 0.6, "last_touch_share": 0.15},
            {"channel": "outbound", "first_touch": 8, "last_touch": 17, "first_touch_share": 0.4, "last_touch_share": 0.85}]
    assert render.aggregate_table(rows).splitlines() == [
        "| channel | first touch | last touch | first touch share | last touch share |", "|---|---:|---:|---:|---:|",
        "| referral | 12 | 3 | 60.0% | 15.0% |", "| outbound | 8 | 17 | 40.0% | 85.0% |",
    ]
    for kind in ("grouped", "stacked", "line", "bar"):
        png = render.chart_png(rows, chart={"type": kind, "x": "channel", "y": ["first_touch", "last_touch"], "title": "t"})
        assert png.startswith(b"\x89PNG")
    table = blocks.aggregate_table_block(rows)["text"]["text"]
    assert "first touch share" in table and "85.0%" in table and "referral" in table  # headers in words

    lead = {"id": 7, "company": "Acme", "contact_name": "Jo", "tier": "hot", "score": 90, "owner": ANA, "last_contacted_at": None,
            "follow_up": {"reason": "hot, never contacted (hot: every 2 days)", "suggested_time": "Fri 20 Nov 06:00–08:00 America/Los_Angeles",
                          "why_this_time": "opened 4 of 5 emails Fri 09:00–11:00 local"}}
    web = render.leads_table([lead]).splitlines()
    assert web[0] == "| id | company | tier | score | owner | call at | why |" and "Fri 20 Nov 06:00–08:00" in web[2]
    assert "opened 4 of 5 emails" in blocks.lead_row_text(lead) and "Fri 20 Nov 06:00" in blocks.lead_row_text(lead)
