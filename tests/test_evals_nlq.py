"""`evals nlq`: the truth evaluator on a tiny handmade store (its open default, scopes, any-of,
people fields, regions), the judge (sets, rows, refusals, parts, readings), the datasets (tools,
splits), the CLI's JSON and exit codes, and the offline planner's accuracy on the clean dataset."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from leadpilot.agent.toolbox import tool_names
from leadpilot.evals.cli import EXIT_BAD_INPUT, EXIT_BELOW_THRESHOLD, app
from leadpilot.evals.nlq import DEFAULT_MIN_ACCURACY, judge, run_nlq_eval
from leadpilot.evals.nlq_cases import (
    REQUIRED_TOOLS,
    Case,
    DatasetError,
    datasets_dir,
    default_dataset_path,
    default_dataset_paths,
    load_cases,
    load_datasets,
    sample_cases,
)
from leadpilot.evals.nlq_stores import is_store_file
from leadpilot.evals.nlq_truth import Expected, Truth, resolve_window
from leadpilot.memory.models import Activity, Lead, Rep

from conftest import NOW  # Friday 2026-11-20 12:00 UTC

runner = CliRunner()


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


# id, company, industry, country, city, size, source, stage, owner, score, tier, created, last contact, converted
HANDMADE = [
    (1, "Ledgerly", "fintech", "US", "San Francisco", 50, "referral", "PROSPECT", "ana", 91, "hot", at(16, 9), None, None),
    (2, "Coinbridge", "fintech", "US", "New York", 5000, "paid", "LOST", None, 88, "hot", at(19, 23), NOW - timedelta(days=5), False),
    (3, "Vaultline", "fintech", "GB", "London", 1200, "referral", "CUSTOMER", "ana", 72, "hot", at(10, 12, 10), NOW - timedelta(days=1), True),
    (4, "Medicore", "healthcare", "US", "Boston", 300, "event", "LEAD", "mo", 60, "warm", at(20, 8), NOW - timedelta(days=3), None),
    (5, "Carepath", "healthcare", None, None, None, "organic", "OPPORTUNITY", None, 91, "hot", at(1, 12, 9), None, None),
    (6, "Shopora", "ecommerce", "DE", "Berlin", 8, "referral", "LOST", "ana", None, None, at(1, 0), NOW - timedelta(days=10), False),
]
# id: job title (seniority and department are derived from it at every write), phone, email
PEOPLE = {
    1: ("VP Sales", "+1 415 555 0101", "ana@ledgerly.io"),
    2: ("CFO", None, "cfo@coinbridge.com"),
    3: ("Director of Engineering", "+44 20 7946 0000", None),
    4: ("Marketing Manager", "  ", "  "),
    5: (None, None, None),
    6: ("Sales Associate", "+49 30 1234567", "hi@shopora.de"),
}
ACTIVITIES = [
    (1, "page_view", at(18), "/pricing"),
    (2, "page_view", at(19), "/blog/usage-based-pricing-guide"),
    (3, "form_submit", at(2), "/demo-request"),
    (3, "email_opened", at(17), "Quick intro"),
    (5, "form_submit", at(10), "/lp/demo"),
]


@pytest.fixture
def handmade(sqlite_db):
    with sqlite_db.transaction() as session:
        reps = {
            "ana": Rep(email="ana@team.io", name="Ana Lima", role="rep", created_at=NOW),
            "mo": Rep(email="mo@team.io", name="Mo Reyes", role="manager", created_at=NOW),
        }
        session.add_all(reps.values())
        session.flush()
        for (lead_id, company, industry, country, city, size, source, stage, owner, score, tier, created, contacted,
             converted) in HANDMADE:
            job_title, phone, email = PEOPLE[lead_id]
            session.add(Lead(
                id=lead_id, company=company, industry=industry, country=country, city=city, company_size=size,
                source=source, stage=stage, owner_id=reps[owner].id if owner else None, score=score, tier=tier,
                created_at=created, updated_at=created, last_contacted_at=contacted, converted=converted,
                job_title=job_title, phone=phone, email=email,
            ))
        session.flush()
        for lead_id, kind, when, detail in ACTIVITIES:
            session.add(Activity(lead_id=lead_id, kind=kind, direction="inbound", occurred_at=when, detail=detail))
    return Truth.from_store(sqlite_db, now=NOW)


def ids(truth: Truth, where: dict[str, Any], as_user: str | None = None) -> set[int]:
    """The leads a filter holds for, with the open default."""
    return {lead.id for lead in truth.select(where, as_user=as_user)}


def every(truth: Truth, where: dict[str, Any], as_user: str | None = None) -> set[int]:
    """The leads a filter holds for, open or closed (scope: all)."""
    return ids(truth, {**where, "scope": "all"}, as_user)


def expected(truth: Truth, expect: dict[str, Any], as_user: str | None = None) -> Expected:
    return truth.expected(Case(id="t", category="t", turns=("q",), expect=expect, as_user=as_user))


def test_truth_filters_by_hand(handmade):
    t = handmade
    # "Not contacted in 3 days" includes never; a contact exactly 3 days ago is within the 3 days.
    assert every(t, {"tier": ["hot"], "industry": ["fintech"], "not_contacted_days": 3}) == {1, 2}
    assert every(t, {"not_contacted_days": 3}) == {1, 2, 5, 6}
    assert every(t, {"never_contacted": True}) == {1, 5}
    assert every(t, {"contacted": {"days": 2}}) == {3}
    # A page is a path segment's start: the pricing blog post is not the pricing page; both demo forms count.
    assert every(t, {"activity": [{"kind": "page_view", "page": "pricing"}]}) == {1}
    assert every(t, {"activity": [{"kind": "form_submit", "page": "demo"}]}) == {3, 5}
    assert every(t, {"activity": [{"kind": "email_opened", "window": "this_week"}]}) == {3}
    assert every(t, {"activity": [{"kind": "email_opened", "absent": True}], "industry": ["fintech"]}) == {1, 2}
    # Missing values count as "not": lead 5 has no country.
    assert every(t, {"not_country": ["US"]}) == {3, 5, 6}
    assert every(t, {"region": ["EMEA"]}) == {3, 6}
    assert every(t, {"segment": ["smb"]}) == {1}
    assert every(t, {"employees": {"gte": 300, "lt": 5000}}) == {3, 4}
    assert every(t, {"score": {"gt": 88}}) == {1, 5}
    assert every(t, {"open": True}) == {1, 4, 5}
    assert every(t, {"owner": ["unassigned"]}) == {2, 5}


def test_truth_windows_follow_the_pinned_clock(handmade):
    t = handmade
    assert every(t, {"created": "this_week"}) == {1, 2, 4}  # since Monday 16 November, 00:00 UTC
    assert every(t, {"created": {"since": "monday"}}) == {1, 2, 4}
    assert every(t, {"created": "yesterday"}) == {2}
    assert every(t, {"created": "today"}) == {4}
    assert every(t, {"created": "this_month"}) == {1, 2, 4, 6}  # 1 November 00:00 is in
    assert every(t, {"created": "last_month"}) == every(t, {"created": {"month": "october"}}) == {3}
    assert every(t, {"created": {"days": 7}}) == {1, 2, 4}  # since 13 November, 12:00
    assert every(t, {"created": {"before": "october"}}) == {5}
    assert resolve_window("weekend", NOW) == (at(14, 0), at(16, 0))


def test_truth_visibility_and_me(handmade):
    t = handmade
    assert every(t, {}, as_user="ana@team.io") == {1, 2, 3, 5, 6}  # a rep: own and unassigned
    assert every(t, {"owner": ["me"]}, as_user="ana@team.io") == {1, 3, 6}
    assert every(t, {}, as_user="mo@team.io") == {1, 2, 3, 4, 5, 6}  # a manager sees everything
    assert every(t, {"owner": ["me"]}, as_user="mo@team.io") == {4}
    assert every(t, {"owner": ["me"]}) == set()  # "my leads" from no rep at all


def test_truth_reads_open_leads_unless_told(handmade):
    t = handmade  # open: 1 PROSPECT, 4 LEAD, 5 OPPORTUNITY; closed: 2 LOST, 3 CUSTOMER, 6 LOST
    # The card's question: hot fintech leads not contacted in 3 days are the open one, not the lost deal.
    assert ids(t, {"tier": ["hot"], "industry": ["fintech"], "not_contacted_days": 3}) == {1}
    assert ids(t, {}) == {1, 4, 5} and ids(t, {"scope": "open"}) == {1, 4, 5}
    assert ids(t, {"scope": "closed"}) == {2, 3, 6} and ids(t, {"scope": "all"}) == {1, 2, 3, 4, 5, 6}
    # A filter naming the lifecycle decides it: stages, converted, open; not_stage narrows the default.
    assert ids(t, {"stage": ["CUSTOMER"]}) == {3}
    assert ids(t, {"not_stage": ["PROSPECT"]}) == {4, 5} and ids(t, {"not_stage": ["LOST"], "scope": "all"}) == {1, 3, 4, 5}
    assert ids(t, {"converted": False}) == {2, 6}
    assert ids(t, {"open": False}) == {2, 3, 6}
    assert ids(t, {"stage": ["CUSTOMER", "PROSPECT"], "scope": "closed"}) == {3}  # an explicit scope still holds
    # Counts and average scores are open by default; rates and reports read history.
    assert expected(t, {"rows": {"metric": "count"}}).rows == (("total", 3),)
    assert expected(t, {"rows": {"metric": "count", "where": {"scope": "all"}}}).rows == (("total", 6),)
    assert expected(t, {"rows": {"metric": "avg_score", "where": {"industry": ["fintech"]}}}).rows == (("total", 91),)
    assert expected(t, {"rows": {"metric": "conversion_rate"}}).rows == (("total", pytest.approx(1 / 3)),)  # 1 won of 3 closed
    assert expected(t, {"rows": {"metric": "conversion_rate"}}).scope == "all"
    assert expected(t, {"leads": {"tier": ["hot"]}}).scope == "open"


def test_a_company_name_is_its_open_lead(handmade):
    # Ledgerly once more, as a won customer (lead 7): the name means the open lead 1.
    t = Truth([*handmade.leads, replace(handmade.leads[0], id=7, stage="CUSTOMER", converted=True)], now=NOW)
    assert expected(t, {"lead": {"company": "ledgerly"}}).ids == (1,)
    assert expected(t, {"lead": {"company": "Coinbridge"}}).ids == (2,)  # no open lead: the closed one
    assert expected(t, {"lead": {"id": 7}}).ids == (7,)  # an id is that lead, whatever its stage


def test_truth_any_of_people_channels_and_regions(handmade):
    t = handmade
    assert every(t, {"any_of": [{"industry": ["fintech"]}, {"city": ["Boston"]}]}) == {1, 2, 3, 4}
    assert every(t, {"country": ["US"], "any_of": [{"tier": ["warm"]}, {"owner": ["unassigned"]}]}) == {2, 4}
    assert ids(t, {"any_of": [{"industry": ["fintech"]}, {"city": ["Boston"]}]}) == {1, 4}  # open by default
    assert every(t, {"seniority": ["vp", "c-level"]}) == {1, 2}
    assert every(t, {"department": ["Sales"]}) == {1, 6} and every(t, {"not_department": ["sales"]}) == {2, 3, 4, 5}
    assert every(t, {"has_phone": True}) == {1, 3, 6}  # blanks are no phone
    assert every(t, {"has_email": False}) == {3, 4, 5}
    assert every(t, {"channel": ["referral"]}) == {1, 3, 6} and every(t, {"not_channel": ["referral", "paid"]}) == {4, 5}
    assert every(t, {"region": ["DACH"]}) == {6} and every(t, {"region": ["uki"]}) == {3}
    assert every(t, {"region": ["NORDICS", "ANZ", "BENELUX"]}) == set()
    by_channel = expected(t, {"rows": {"group_by": "channel", "metric": "count", "where": {"scope": "all"}}})
    assert by_channel.rows == (("event", 1), ("organic", 1), ("paid", 1), ("referral", 3))
    assert expected(t, {"rows": {"group_by": "seniority", "metric": "count"}}).rows == (("manager", 1), ("unknown", 1), ("vp", 1))


def test_truth_order_and_rows(handmade):
    t = handmade
    assert expected(t, {"leads": {"tier": ["hot"], "scope": "all"}, "order": "score desc", "limit": 3}).ids == (1, 5, 2)  # ties by id
    assert expected(t, {"leads": {"tier": ["hot"]}, "order": "score desc", "limit": 3}).ids == (1, 5)
    assert expected(t, {"leads": {"scope": "all"}, "order": "company_size asc"}).ids == (6, 1, 4, 3, 2, 5)  # unknown size last
    assert expected(t, {"leads": {"scope": "all"}, "order": "created_at desc", "offset": 1, "limit": 1}).ids == (2,)
    by_source = expected(t, {"rows": {"group_by": "source", "metric": "count", "where": {"scope": "all"}}})
    assert by_source.rows == (("event", 1), ("organic", 1), ("paid", 1), ("referral", 3))
    assert expected(t, {"rows": {"group_by": "source", "metric": "count"}}).rows == (("event", 1), ("organic", 1), ("referral", 1))
    rates = dict(expected(t, {"rows": {"group_by": "source", "metric": "conversion_rate"}}).rows)
    assert rates == {"referral": 0.5, "paid": 0.0, "event": None, "organic": None}  # won / closed
    average = expected(t, {"rows": {"metric": "avg_score", "where": {"industry": ["fintech"], "scope": "all"}}})
    assert average.kind == "total" and average.rows[0][1] == pytest.approx(251 / 3)
    assert dict(expected(t, {"rows": {"group_by": "owner", "metric": "count", "where": {"scope": "all"}}}).rows) == {
        "ana@team.io": 3, "mo@team.io": 1, "unassigned": 2,
    }


@pytest.mark.parametrize(
    ("lead_filter", "where"),
    [
        ({"activity": [{"kind": "page_view", "page": "pricing"}]}, {"activity": [{"kind": "page_view", "page": "pricing"}]}),
        ({"activity": [{"kind": "form_submit", "page": "demo"}]}, {"activity": [{"kind": "form_submit", "page": "demo"}]}),
        ({"tier": ["hot"], "not_contacted_in_days": 3}, {"tier": ["hot"], "not_contacted_days": 3}),
        ({"not_country": ["US"], "segment": ["enterprise"]}, {"not_country": ["US"], "segment": ["enterprise"]}),
        ({"contacted_since": "2026-11-19", "not_contacted_since": "2026-11-20"}, {"contacted": "yesterday"}),
        # The lifecycle: open by default, unless a scope, a stage or converted says otherwise.
        ({}, {}),
        ({"tier": ["hot"]}, {"tier": ["hot"]}),
        ({"tier": ["hot"], "scope": "all"}, {"tier": ["hot"], "scope": "all"}),
        ({"scope": "closed"}, {"scope": "closed"}),
        ({"stage": ["CUSTOMER"]}, {"stage": ["CUSTOMER"]}),
        ({"converted": False}, {"converted": False}),
        ({"not_stage": ["PROSPECT"]}, {"not_stage": ["PROSPECT"]}),
        # Any-of across fields, people fields, channels and sub-regions.
        ({"any_of": [{"industry": ["fintech"]}, {"city": ["Boston"]}], "scope": "all"},
         {"any_of": [{"industry": ["fintech"]}, {"city": ["Boston"]}], "scope": "all"}),
        ({"seniority": ["vp", "c-level"], "scope": "all"}, {"seniority": ["vp", "c-level"], "scope": "all"}),
        ({"has_phone": True, "scope": "all"}, {"has_phone": True, "scope": "all"}),
        ({"channel": ["referral"], "scope": "all"}, {"channel": ["referral"], "scope": "all"}),
        ({"region": ["DACH", "UKI"], "scope": "all"}, {"region": ["DACH", "UKI"], "scope": "all"}),
    ],
)
def test_the_query_tool_agrees_with_the_truth(sqlite_db, handmade, lead_filter, where):
    """The SQL compilation and the Python truth, side by side on the handmade store."""
    from leadpilot.tools.leads.filter import LeadFilter, Viewer
    from leadpilot.tools.leads.search import SearchLeads, search_leads

    with sqlite_db.session() as session:
        result = search_leads(session, query=SearchLeads(filter=LeadFilter(**lead_filter)), viewer=Viewer(), now=NOW, row_cap=100)
    assert {lead["id"] for lead in result.leads} == ids(handmade, where)


def test_truth_rejects_a_typo_in_the_language(handmade):
    with pytest.raises(DatasetError, match="unknown condition `teir`"):
        handmade.select({"teir": ["hot"]})
    with pytest.raises(DatasetError, match="unknown window"):
        handmade.select({"created": "this_fortnight"})
    with pytest.raises(DatasetError, match="bad scope"):
        handmade.select({"scope": "everything"})
    with pytest.raises(DatasetError, match="cannot have any_of or scope"):
        handmade.select({"any_of": [{"tier": ["hot"], "scope": "all"}]})
    with pytest.raises(DatasetError, match="unknown region 'MARS'"):
        handmade.select({"region": ["MARS"]})
    with pytest.raises(DatasetError, match="unknown group_by"):
        expected(handmade, {"rows": {"group_by": "colour"}})
    with pytest.raises(DatasetError, match="two or more"):
        expected(handmade, {"parts": [{"leads": {}}]})
    with pytest.raises(DatasetError, match="`refuse` is true"):
        expected(handmade, {"refuse": "maybe"})


def answer(*, calls: bool = True, leads: list[int] = (), rows: list[dict[str, Any]] = (), text: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        tool_calls=[{"name": "search_leads", "args": {}}] if calls else [],
        leads=[{"id": i} for i in leads], rows=list(rows), answer=text,
    )


def test_truth_computes_the_report_numbers(handmade):
    def rows(spec: dict[str, Any]) -> tuple:
        return handmade.expected(Case(id="r", category="c", turns=("q",), expect={"rows": spec})).rows

    everything = {"scope": "all"}
    assert rows({"group_by": "score_bucket", "metric": "count", "where": everything}) == (
        ("60-69", 1), ("70-79", 1), ("80-89", 1), ("90-100", 2), ("unscored", 1))
    assert rows({"group_by": "score_bucket", "metric": "count"}) == (("60-69", 1), ("90-100", 2))  # open leads
    # Vaultline, the one won lead: a referral whose last inbound touch was opening our email.
    assert rows({"group_by": "channel", "metric": "first_touch"}) == (("referral", 1),)
    assert rows({"group_by": "channel", "metric": "last_touch"}) == (("outbound", 1),)
    # No outbound activities here, so first contact is the last contact date (0 when it predates the lead).
    assert rows({"group_by": "owner", "metric": "median_hours"}) == (("ana@team.io", 594.0), ("mo@team.io", 0.0), ("unassigned", 0.0))
    call = handmade.expected(Case(id="c", category="c", turns=("q",), expect={"call": {"name": "follow_ups_due", "args": {"day": "today"}}}))
    assert judge(call, answer(calls=True)).correct is False
    assert judge(call, SimpleNamespace(tool_calls=[{"name": "follow_ups_due", "args": {"day": "today"}}], leads=[], rows=[], answer="")).correct


def test_judge_compares_sets_order_rows_and_refusals():
    assert judge(Expected(kind="set", ids=(1, 2, 3)), answer(leads=[3, 1, 2])).correct
    miss = judge(Expected(kind="set", ids=(1, 2, 3)), answer(leads=[1, 2, 4]))
    assert not miss.correct and miss.missing == [3] and miss.extra == [4]
    assert not judge(Expected(kind="ordered", ids=(1, 2)), answer(leads=[2, 1])).correct
    rows = Expected(kind="rows", rows=(("paid", 0.12345), ("referral", 0.5)), group_by="source", metric="conversion_rate")
    assert judge(rows, answer(rows=[{"source": "referral", "conversion_rate": 0.5}, {"source": "paid", "conversion_rate": 0.1235}])).correct
    assert not judge(rows, answer(rows=[{"source": "referral", "conversion_rate": 0.5}, {"source": "paid", "conversion_rate": 0.1233}])).correct
    assert not judge(rows, answer(rows=[{"industry": "referral", "conversion_rate": 0.5}])).correct
    total = Expected(kind="total", rows=(("total", 28),), metric="count")
    assert judge(total, answer(rows=[{"source": "referral", "count": 28}])).correct  # one group is a total too
    refuse = Expected(kind="refuse")
    assert judge(refuse, answer(calls=False, text="I don't understand 'pizza' in that question")).correct
    assert not judge(refuse, answer(leads=[1])).correct
    assert not judge(Expected(kind="set", ids=(1,)), answer(calls=False, text="I don't understand 'x'")).correct


def test_judge_tells_a_write_request_from_an_unknown_question():
    write = Expected(kind="refuse", refusal="write")
    cant = "I can’t change data from the chat — use Assign/Snooze in Slack or the web chat."
    assert judge(write, answer(calls=False, text=cant)).correct  # typographic apostrophe too
    assert not judge(write, answer(calls=False, text="I don't understand 'delete'")).correct
    assert not judge(Expected(kind="refuse", refusal="unknown"), answer(calls=False, text=cant)).correct
    assert not judge(write, answer(calls=True, text=cant)).correct  # no tool may run


def test_judge_wants_the_reading_said():
    want = Expected(kind="set", ids=(1,), reads=("healthcare", "san francisco"))
    said = "Read 'helthcare' as healthcare and 'san fransisco' as San Francisco.\n1 open lead"
    assert judge(want, answer(leads=[1], text=said)).correct
    half = judge(want, answer(leads=[1], text="Read 'helthcare' as healthcare. 1 lead in San Francisco"))
    assert not half.correct and "san francisco" in half.why  # named, but not as something it read
    # A word read on its own counts when the answer names the whole value; plurals are the same word.
    word = "Read 'fransisco' as Francisco and 'referals' as referrals. 1 open lead (city: San Francisco)."
    assert judge(Expected(kind="set", ids=(1,), reads=("san francisco", "referral")), answer(leads=[1], text=word)).correct
    assert not judge(Expected(kind="set", ids=(1,), reads=("new york",)), answer(leads=[1], text=word)).correct
    assert not judge(want, answer(leads=[2], text=said)).correct  # the data still has to be right


def test_judge_reads_the_lead_a_score_explanation_is_about():
    """ "why is Northgate Systems hot?" answers about one lead without listing it: that lead is what
    the answer is about."""
    explained = SimpleNamespace(tool_calls=[{"name": "explain_score", "args": {"company": "Northgate Systems"}}], leads=[], rows=[],
                                answer="Lead 7 ...", parts=[], score_explanation={"kind": "score", "lead_id": 7})
    assert judge(Expected(kind="set", ids=(7,)), explained).correct
    assert not judge(Expected(kind="set", ids=(8,)), explained).correct


def test_judge_takes_parts_in_order():
    parts = Expected(kind="parts", parts=(
        Expected(kind="total", rows=(("total", 5),), metric="count"),
        Expected(kind="set", ids=(1, 2)),
    ))

    def results(*items: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(tool_calls=[r["call"] for r in items], leads=[], rows=[], answer="", parts=list(items))

    count = {"call": {"name": "aggregate_leads", "args": {}}, "rows": [{"count": 5}], "leads": []}
    leads = {"call": {"name": "search_leads", "args": {}}, "rows": [], "leads": [{"id": 2}, {"id": 1}]}
    assert judge(parts, results(count, leads)).correct
    swapped = judge(parts, results(leads, count))
    assert not swapped.correct and swapped.why.startswith("part 1")
    short = judge(parts, results(count))
    assert not short.correct and "expected 2 parts, got 1" in short.why


def test_every_tool_the_dataset_needs_is_registered():
    cases = load_datasets()
    assert len(cases) >= 150
    registered = set(tool_names())
    needed = set().union(*(REQUIRED_TOOLS[case.kind] for case in cases))
    assert needed == {"search_leads", "aggregate_leads", "get_lead"} and needed <= registered
    assert {case.kind for case in cases} == {"leads", "rows", "lead", "refuse", "call", "parts", "asks", "owner", "unknown"}
    assert {case.expect["call"]["name"] for case in cases if case.kind == "call"} <= registered
    assert sum(case.kind == "refuse" for case in cases) >= 5 and any(len(case.turns) > 1 for case in cases)
    assert any(case.expect.get("refuse") == "write" for case in cases)


def test_every_case_has_a_split_and_each_dataset_holds_some_out():
    """About 30% of the clean set is held out, spread over its categories; a messy set has both splits."""
    clean = load_cases()
    assert all(case.split in ("tuning", "held_out") for case in clean)
    assert 0.25 <= sum(case.split == "held_out" for case in clean) / len(clean) <= 0.35
    big = {c.category for c in clean if sum(o.category == c.category for o in clean) >= 4}
    assert big <= {c.category for c in clean if c.split == "held_out"}
    shipped = sorted(path.stem for path in datasets_dir().glob("nlq*.yaml") if not is_store_file(path))
    assert {case.dataset for case in load_datasets()} == set(shipped)  # every shipped batch is run, nlq_fresh too
    for name in shipped:
        if name != "nlq":
            assert {case.split for case in load_cases(datasets_dir() / f"{name}.yaml")} == {"tuning", "held_out"}


def test_datasets_load_together_with_unique_ids(tmp_path: Path):
    one = _write(tmp_path / "one.yaml", "- id: a\n  category: c\n  question: hot leads\n  expect: {leads: {tier: [hot]}}\n")
    two = _write(tmp_path / "two.yaml", "- id: a\n  category: c\n  split: held_out\n  question: warm leads\n  expect: {leads: {tier: [warm]}}\n")
    with pytest.raises(DatasetError, match="'a' is in both one and two"):
        load_datasets([one, two])
    bad = _write(tmp_path / "bad.yaml", "- id: b\n  category: c\n  split: later\n  question: q\n  expect: {leads: {}}\n")
    with pytest.raises(DatasetError, match="`split` is tuning or held_out"):
        load_cases(bad)
    (case,) = load_cases(one)
    assert (case.split, case.dataset) == ("tuning", "one")


def test_sample_keeps_every_category():
    cases = load_cases()
    sample = sample_cases(cases, 3)
    assert {c.category for c in sample} == {c.category for c in cases}
    assert len(sample) < len(cases) / 2 and sample_cases(cases, 1) == cases


# One offline run over every sixth case of each category of every shipped dataset (~240 cases: every
# dataset, split and category), shared by the tests below; `evals nlq` runs them all.
SAMPLE_EVERY = 6


@pytest.fixture(scope="module")
def sample_report() -> dict[str, Any]:
    return run_nlq_eval(backend="offline", every=SAMPLE_EVERY)


def test_offline_planner_reads_the_clean_questions(sample_report):
    """The clean questions' floor is the CLI's default threshold, on the sample's nlq.yaml cases."""
    clean = sample_report["by_dataset"]["nlq"]
    misses = "\n".join(f"{m['id']}: {m['turns']} -> {m['tool_calls']} ({m['why']})" for m in sample_report["misses"]
                       if m["dataset"] == "nlq")
    assert sample_report["scores_applied"] and clean["cases"] >= 80
    assert clean["accuracy"] >= DEFAULT_MIN_ACCURACY, misses
    categories = {name.split("/", 1)[1] for name in sample_report["by_dataset_category"] if name.startswith("nlq/")}
    assert categories >= {"tier", "industry", "geo", "aggregate", "follow_up", "refuse", "negation"}


def test_every_shipped_dataset_runs_and_reports_both_splits(sample_report):
    """The harness over every batch: each dataset's sample is asked on its own store, every category
    is there, and both splits are reported per dataset. No floor for the messy batches: their first-run
    and current accuracy are in the issue's notes."""
    shipped = {path.stem for path in default_dataset_paths()}
    assert set(sample_report["by_dataset"]) == shipped >= {"nlq", "nlq_messy", "nlq_fresh2", "nlq_fresh3", "nlq_fresh4", "nlq_fresh5",
                                                          "nlq_fresh6"}
    assert set(sample_report["by_dataset_split"]) == {f"{name}/{split}" for name in shipped for split in ("tuning", "held_out")}
    every_category = {f"{case.dataset}/{case.category}" for case in load_datasets()}
    assert set(sample_report["by_dataset_category"]) == every_category
    assert all(miss["split"] in ("tuning", "held_out") for miss in sample_report["misses"])
    stores = {store["store"]: store["datasets"] for store in sample_report["stores"]}
    assert stores["nlq_fresh3.leads.csv"] == ["nlq_fresh3"] and stores["nlq_fresh2.leads.csv"] == ["nlq_fresh2"]
    assert stores["nlq_fresh4.leads.csv"] == ["nlq_fresh4"] and stores["nlq_fresh5.leads.csv"] == ["nlq_fresh5"]
    assert stores["nlq_fresh6.leads.csv"] == ["nlq_fresh6"]
    assert sample_report["cases"] == len(sample_cases(load_datasets(), SAMPLE_EVERY))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_json_and_exit_codes(tmp_path: Path):
    ok = runner.invoke(app, ["nlq", "--json", "--case", "combo-card", "--case", "refuse-weather"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert (report["eval"], report["cases"], report["accuracy"], report["passed"]) == ("nlq", 2, 1.0, True)
    assert report["now"] == NOW.isoformat()  # LEADPILOT_NOW, pinned by conftest
    assert report["datasets"][0].endswith("nlq.yaml") and report["min_accuracy"] == DEFAULT_MIN_ACCURACY

    first = _write(tmp_path / "first.yaml", "- id: f\n  category: tier\n  question: hot leads\n  expect: {leads: {tier: [hot]}}\n")
    second = _write(tmp_path / "second.yaml", "- id: s\n  category: tier\n  split: held_out\n  question: hot leads\n  expect: {leads: {tier: [hot], scope: all}}\n")
    both = runner.invoke(app, ["nlq", "--json", "--min-accuracy", "0", "--dataset", str(first), "--dataset", str(second)])
    assert both.exit_code == 0, both.output
    report = json.loads(both.stdout)
    assert set(report["by_dataset"]) == {"first", "second"} and set(report["by_split"]) == {"tuning", "held_out"}
    assert report["by_dataset_split"]["first/tuning"]["cases"] == report["by_dataset_split"]["second/held_out"]["cases"] == 1

    wrong = _write(tmp_path / "wrong.yaml", "- id: w\n  category: tier\n  question: hot leads\n  expect: {leads: {tier: [warm]}}\n")
    below = runner.invoke(app, ["nlq", "--json", "--dataset", str(wrong)])
    assert below.exit_code == EXIT_BELOW_THRESHOLD
    (miss,) = json.loads(below.stdout)["misses"]
    assert miss["id"] == "w" and miss["tool_calls"][0]["args"]["filter"] == {"tier": ["hot"]}
    assert miss["expected_count"] > 0 and miss["got_count"] > 0 and miss["got_not_expected"]

    broken = _write(tmp_path / "broken.yaml", "- id: b\n  category: tier\n  question: hot leads\n  expect: {leads: {teir: [hot]}}\n")
    bad = runner.invoke(app, ["nlq", "--json", "--dataset", str(broken)])
    assert bad.exit_code == EXIT_BAD_INPUT and "teir" in json.loads(bad.stdout)["error"]


def _stub_llm(body: dict[str, Any]) -> dict[str, Any]:
    """A stand-in model that plans like the offline planner and sums up the tool result."""
    from leadpilot.agent.planner import plan

    messages = body["messages"]
    if messages[-1]["role"] == "tool":
        return {"content": f"Found {json.loads(messages[-1]['content']).get('total')} leads."}
    decided = plan(messages[-1]["content"], now=NOW)
    return {"tool_calls": [{"name": c.name, "arguments": c.args} for c in decided.calls]} if decided.calls else {"content": decided.message}


def test_openai_backend_is_judged_the_same_way(monkeypatch):
    from leadpilot.settings import get_settings
    from openai_stub import OpenAIStub

    with OpenAIStub(_stub_llm) as stub:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        get_settings.cache_clear()
        report = run_nlq_eval(backend="openai", case_ids=["combo-card", "refuse-weather", "agg-count-by-source"])
    assert (report["backend"], report["cases"], report["accuracy"]) == ("openai", 3, 1.0), report["misses"]
    assert stub.requests and all(request["tools"] for request in stub.requests if request["messages"][-1]["role"] == "user")


def test_unreachable_model_is_bad_input(monkeypatch):
    from leadpilot.settings import get_settings

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    get_settings.cache_clear()
    result = runner.invoke(app, ["nlq", "--json", "--backend", "openai", "--case", "combo-card"])
    assert result.exit_code == EXIT_BAD_INPUT and "127.0.0.1:9" in json.loads(result.stdout)["error"]


# ---------------------------------------------------------------------------------------------
# What an answer says (asks which, names the owner, an unknown value), closed-won windows, and
# datasets over a store of their own (evals/nlq_said.py, evals/nlq_stores.py)
# ---------------------------------------------------------------------------------------------


def said(text: str, leads: list[dict[str, Any]] | None = None, explained: dict[str, Any] | None = None) -> SimpleNamespace:
    return SimpleNamespace(tool_calls=[], leads=leads or [], rows=[], answer=text, parts=[], score_explanation=explained)


def test_judge_asks_which_names_the_owner_and_tells_unknown_from_none():
    asks = Expected(kind="asks", names=("Harbor Freight", "Harbor Mutual"))
    assert judge(asks, said("Several companies match 'harbor': Harbor Freight (LEAD) and Harbor Mutual (PROSPECT). Which one?")).correct
    assert not judge(asks, said("Harbor Freight: lead 4, owner Ana.")).correct  # picked one
    assert not judge(asks, said("Harbor Freight and Harbor Mutual match.")).correct  # did not ask
    assert not judge(asks, said("Harbor Freight or Harbor Mutual?", leads=[{"id": 4, "company": "Harbor Freight"}])).correct
    assert not judge(asks, said("Harbor Freight or Harbor Mutual?", explained={"lead_id": 4})).correct

    owner = Expected(kind="owner", names=("Tomás Silva", "tomas.silva@team.io"), others=("Ana Lima", "Mo Reyes"))
    assert judge(owner, said("Pioneer Systems (lead 12) is owned by Tomas Silva.")).correct  # accents optional
    assert judge(owner, said("Owner: tomas.silva@team.io")).correct
    assert not judge(owner, said("Pioneer Systems is owned by Ana Lima.")).correct
    assert not judge(owner, said("Tomás Silva owns the open lead; Mo Reyes won the old one.")).correct
    unassigned = Expected(kind="owner", names=("unassigned", "no owner"), others=("Ana Lima",))
    assert judge(unassigned, said("Upland Agri (lead 294) is unassigned.")).correct

    unknown = Expected(kind="unknown", names=("tiktok",), field="source")
    assert judge(unknown, said("No lead in your data has the source 'tiktok'. Sources in your data: g2, webinar.")).correct
    assert not judge(unknown, said("0 open leads match source tiktok.")).correct  # a 0-result answer is not enough
    assert not judge(unknown, said("I don't understand 'tiktok'")).correct
    none = Expected(kind="set", ids=())
    calls = [{"name": "search_leads", "args": {}}]
    assert judge(none, SimpleNamespace(tool_calls=calls, leads=[], rows=[], answer="0 open leads match.", parts=[])).correct
    wrong = SimpleNamespace(tool_calls=calls, leads=[], rows=[], answer="No lead in your data has the city 'Nairobi'.", parts=[])
    assert not judge(none, wrong).correct  # Nairobi is in the data; only no lead matches


def test_truth_checks_what_an_answer_must_say_and_closed_won_windows(sqlite_db, handmade):
    with sqlite_db.transaction() as session:
        session.get(Lead, 3).converted_at = at(10)  # Vaultline, a customer, won on 10 November
    t = Truth.from_store(sqlite_db, now=NOW)
    assert every(t, {"won_in": "this_month"}) == ids(t, {"won_in": "this_month"}) == {3}  # names a lifecycle: not open-only
    assert every(t, {"won_in": "last_month"}) == set()
    asks = expected(t, {"asks": ["Ledgerly", "coinbridge"]})
    assert (asks.kind, asks.names) == ("asks", ("Ledgerly", "coinbridge"))
    owner = expected(t, {"owner": {"company": "Ledgerly"}})
    assert (owner.names, owner.others, owner.ids) == (("Ana Lima", "ana@team.io"), ("Mo Reyes",), (1,))
    assert expected(t, {"owner": {"company": "Carepath"}}).names[0] == "unassigned"
    assert expected(t, {"unknown": {"source": "tiktok"}}).names == ("tiktok",)
    for bad, message in (
        ({"asks": ["Ledgerly", "Nowhere Inc"]}, "no visible lead's company"),
        ({"unknown": {"source": "Referral"}}, "is in the data"),
        ({"unknown": {"colour": "red"}}, "`unknown` is one field"),
        ({"owner": {"company": "Ledgerly"}, "limit": 3}, "takes no order"),
    ):
        with pytest.raises(DatasetError, match=message):
            expected(t, bad)


FRESH_CSV = """Record ID,First Name,Last Name,Email,Company Name,Industry,Country/Region,City,Lead Source,Lifecycle Stage,Contact owner,Create Date,Converted Date
11,Ola,Berg,ola@fjordline.no,Fjordline,Logistics,Norway,Bergen,Trade Show,Lead,Kari Nordmann,2027-01-12 09:00,
12,Ola,Berg,ola@fjordline.no,Fjordline,Logistics,Norway,Bergen,Webinar,Customer,Kari Nordmann,2026-06-01 09:00,2026-12-02
13,Ina,Moe,ina@tundra.fi,Tundra Labs,Biotech,Finland,Tampere,G2,Sales Qualified Lead,,2027-01-05 10:00,
"""
FRESH_STORE = """import: t.leads.csv
now: "2027-01-13T14:00:00Z"
reps:
  - {name: Kari Nordmann, email: kari@team.io}
  - {name: Lea Boss, email: lea@team.io, role: manager}
"""


def test_a_dataset_names_its_own_store(tmp_path: Path):
    """`t.store.yaml` beside `t.yaml`: its CSV is imported with its roster at its clock, its truth is
    computed over that store (a company only the CSV has), and the report names the store."""
    from leadpilot.evals.nlq_stores import store_for

    _write(tmp_path / "t.leads.csv", FRESH_CSV)
    _write(tmp_path / "t.store.yaml", FRESH_STORE)
    dataset = _write(tmp_path / "t.yaml", (
        "- id: t-owner\n  category: owner\n  question: delete Fjordline\n  expect: {refuse: write}\n"
        "- id: t-won\n  category: close_date\n  split: held_out\n  question: remove all leads\n  expect: {refuse: write}\n"
    ))
    spec = store_for(dataset)
    assert (spec.name, spec.now, len(spec.reps), spec.scores) == ("t.leads.csv", datetime(2027, 1, 13, 14, tzinfo=timezone.utc), 2, True)
    assert store_for(tmp_path / "other.yaml").name == "demo"
    report = run_nlq_eval(backend="offline", datasets=[dataset])
    (store,) = report["stores"]
    assert (store["store"], store["datasets"], store["now"]) == ("t.leads.csv", ["t"], "2027-01-13T14:00:00+00:00")
    assert report["now"] == NOW.isoformat() and report["by_dataset_split"]["t/held_out"]["cases"] == 1

    # The truth is the imported store's: the roster resolved the owner names, the won date was kept.
    from leadpilot.evals.nlq_stores import build_store
    from leadpilot.memory.db import open_database

    db = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    build_store(db, spec, now=spec.now, workdir=tmp_path)
    truth = Truth.from_store(db, now=spec.now)
    assert expected(truth, {"owner": {"company": "Fjordline"}}).names == ("Kari Nordmann", "kari@team.io")
    assert [lead.company for lead in truth.select({"won_in": "last_month"})] == ["Fjordline"]
    assert {lead.source for lead in truth.leads} == {"trade_show", "webinar", "g2"}  # the team's own sources
    db.dispose()


def test_a_store_file_that_cannot_work_says_why(tmp_path: Path):
    from leadpilot.evals.nlq import EvalSetupError
    from leadpilot.evals.nlq_stores import build_store, store_for
    from leadpilot.memory.db import open_database

    dataset = tmp_path / "t.yaml"
    for text, message in (
        ("now: 2027-01-13\n", "a mapping with `import`"),
        ("import: missing.csv\n", "missing.csv, which is not a file"),
        ("import: t.leads.csv\nnow: soon\n", "`now` must be an ISO date-time"),
        ("import: t.leads.csv\nscores: magic\n", "`scores` is rules or none"),
        ("import: t.leads.csv\nreps: [{name: X}]\n", "each rep needs name and email"),
    ):
        _write(tmp_path / "t.leads.csv", FRESH_CSV)
        _write(tmp_path / "t.store.yaml", text)
        with pytest.raises(DatasetError, match=message):
            store_for(dataset)
    _write(tmp_path / "t.leads.csv", FRESH_CSV + "14,No,Body,not-an-email,,,,,,,,,\n")
    _write(tmp_path / "t.store.yaml", "import: t.leads.csv\n")
    db = open_database(f"sqlite:///{tmp_path / 'bad.db'}")
    with pytest.raises(EvalSetupError, match="1 rows rejected on import"):
        build_store(db, store_for(dataset), now=NOW, workdir=tmp_path)
    db.dispose()


@pytest.mark.parametrize(("name", "rows", "own_labels"), [
    ("nlq_fresh2", 1500, {"logistics", "edtech", "agtech"}),  # a HubSpot contact export
    ("nlq_fresh3", 1300, {"banking", "technology", "not-for-profit"}),  # a Salesforce Lead report export
    ("nlq_fresh4", 1200, {"erp", "managementisv", "optical-networking"}),  # a Zoho CRM Leads module export
    ("nlq_fresh5", 1000, {"restaurants-and-bars", "retail-chains", "contact-centres"}),  # a Pipedrive Deals export
    # a Freshsales Contacts export
    ("nlq_fresh6", 1000, {"information-technology-and-services", "staffing-and-recruiting", "hospital-and-health-care"}),
])
def test_a_fresh_batch_is_over_its_own_imported_store(tmp_path: Path, name: str, rows: int, own_labels: set[str]):
    """A batch over another team's file (not the demo): the shipped CSV is what its generator writes,
    every row imports (with its company), and every expectation of the batch evaluates on that store.
    The store is the one `evals nlq` built in this process (sample_report), else built here."""
    from importlib import import_module

    from leadpilot.evals.nlq import prepared_store
    from leadpilot.evals.nlq_stores import store_for

    dataset = datasets_dir() / f"{name}.yaml"
    shipped = default_dataset_paths()
    assert dataset in shipped and not any(is_store_file(path) for path in shipped)
    spec = store_for(dataset)
    generator = import_module(f"leadpilot.evals.{name}_data")
    generator.write_csv(tmp_path / "again.csv", generator.build_rows())
    assert (tmp_path / "again.csv").read_bytes() == spec.csv.read_bytes()
    db, truth, scored = prepared_store(spec, clock=spec.now, workdir=tmp_path)
    db.dispose()
    cases = load_cases(dataset)
    truth.check(cases)
    assert scored and len(truth.leads) == rows and len(cases) >= 120
    assert all(lead.company for lead in truth.leads)
    assert 0.35 <= sum(c.split == "held_out" for c in cases) / len(cases) <= 0.45
    assert own_labels <= {lead.industry for lead in truth.leads}  # the team's own labels


def test_conversion_rate_is_won_of_closed_whatever_an_open_leads_flag_says():
    """A Salesforce export says Converted = 0 on open leads too: they are undecided, not lost."""
    from leadpilot.evals.nlq_facts import LeadFact

    def fact(lead_id: int, stage: str, converted: bool | None) -> LeadFact:
        return LeadFact(id=lead_id, company=f"C{lead_id}", industry="banking", country="US", state=None, city=None,
                        company_size=None, source="web", stage=stage, owner=None, score=None, tier=None, probability=None,
                        created_at=NOW - timedelta(days=30), last_contacted_at=None, converted=converted)

    truth = Truth([fact(1, "CUSTOMER", True), fact(2, "LOST", False), fact(3, "PROSPECT", False), fact(4, "LEAD", None)], now=NOW)
    assert expected(truth, {"rows": {"metric": "conversion_rate"}}).rows == (("total", 0.5),)
    assert expected(truth, {"rows": {"group_by": "stage", "metric": "conversion_rate"}}).rows == (
        ("CUSTOMER", 1.0), ("LEAD", None), ("LOST", 0.0), ("PROSPECT", None))


def test_a_store_is_built_once_per_process_and_copied(tmp_path: Path):
    """Every run gets its own copy of the (store, clock) built first: a change to one copy stays there."""
    from sqlalchemy import func, select

    from leadpilot.evals.nlq_stores import _BUILT, open_store, store_for

    _write(tmp_path / "t.leads.csv", FRESH_CSV)
    _write(tmp_path / "t.store.yaml", FRESH_STORE)
    spec = store_for(tmp_path / "t.yaml")
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir(), second_dir.mkdir()
    first = open_store(spec, now=spec.now, workdir=first_dir)
    built = len(_BUILT)
    with first.transaction() as session:
        session.execute(Lead.__table__.delete())
    second = open_store(spec, now=spec.now, workdir=second_dir)
    with second.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 3
    assert len(_BUILT) == built  # the second was a copy
    first.dispose(), second.dispose()

    # A prepared store (scored, say) is prepared once per `prepared` key, and copied after.
    calls: list[str] = []

    def prepare(db: Any) -> None:
        calls.append("prepared")
        with db.transaction() as session:
            session.execute(Lead.__table__.update().values(score=7))

    for n, version in enumerate(("v1", "v1", "v2")):
        (tmp_path / f"p{n}").mkdir()
        db = open_store(spec, now=spec.now, workdir=tmp_path / f"p{n}", prepare=prepare, prepared=version)
        with db.session() as session:
            assert set(session.scalars(select(Lead.score))) == {7}
        db.dispose()
    assert len(calls) == 2 and len(_BUILT) == built + 2
