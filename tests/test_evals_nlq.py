"""`evals nlq`: the truth evaluator on a tiny handmade store, the judge, the dataset's tools, the
CLI's JSON and exit codes, and the offline planner's accuracy on the dataset."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from leadpilot.agent.toolbox import tool_names
from leadpilot.evals.cli import EXIT_BAD_INPUT, EXIT_BELOW_THRESHOLD, app
from leadpilot.evals.nlq import judge, run_nlq_eval
from leadpilot.evals.nlq_cases import REQUIRED_TOOLS, Case, DatasetError, load_cases, sample_cases
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
            session.add(Lead(
                id=lead_id, company=company, industry=industry, country=country, city=city, company_size=size,
                source=source, stage=stage, owner_id=reps[owner].id if owner else None, score=score, tier=tier,
                created_at=created, updated_at=created, last_contacted_at=contacted, converted=converted,
            ))
        session.flush()
        for lead_id, kind, when, detail in ACTIVITIES:
            session.add(Activity(lead_id=lead_id, kind=kind, direction="inbound", occurred_at=when, detail=detail))
    return Truth.from_store(sqlite_db, now=NOW)


def ids(truth: Truth, where: dict[str, Any], as_user: str | None = None) -> set[int]:
    return {lead.id for lead in truth.select(where, as_user=as_user)}


def expected(truth: Truth, expect: dict[str, Any], as_user: str | None = None) -> Expected:
    return truth.expected(Case(id="t", category="t", turns=("q",), expect=expect, as_user=as_user))


def test_truth_filters_by_hand(handmade):
    t = handmade
    # "Not contacted in 3 days" includes never; a contact exactly 3 days ago is within the 3 days.
    assert ids(t, {"tier": ["hot"], "industry": ["fintech"], "not_contacted_days": 3}) == {1, 2}
    assert ids(t, {"not_contacted_days": 3}) == {1, 2, 5, 6}
    assert ids(t, {"never_contacted": True}) == {1, 5}
    assert ids(t, {"contacted": {"days": 2}}) == {3}
    # A page is a path segment's start: the pricing blog post is not the pricing page; both demo forms count.
    assert ids(t, {"activity": [{"kind": "page_view", "page": "pricing"}]}) == {1}
    assert ids(t, {"activity": [{"kind": "form_submit", "page": "demo"}]}) == {3, 5}
    assert ids(t, {"activity": [{"kind": "email_opened", "window": "this_week"}]}) == {3}
    assert ids(t, {"activity": [{"kind": "email_opened", "absent": True}], "industry": ["fintech"]}) == {1, 2}
    # Missing values count as "not": lead 5 has no country.
    assert ids(t, {"not_country": ["US"]}) == {3, 5, 6}
    assert ids(t, {"region": ["EMEA"]}) == {3, 6}
    assert ids(t, {"segment": ["smb"]}) == {1}
    assert ids(t, {"employees": {"gte": 300, "lt": 5000}}) == {3, 4}
    assert ids(t, {"score": {"gt": 88}}) == {1, 5}
    assert ids(t, {"open": True}) == {1, 4, 5}
    assert ids(t, {"owner": ["unassigned"]}) == {2, 5}


def test_truth_windows_follow_the_pinned_clock(handmade):
    t = handmade
    assert ids(t, {"created": "this_week"}) == {1, 2, 4}  # since Monday 16 November, 00:00 UTC
    assert ids(t, {"created": {"since": "monday"}}) == {1, 2, 4}
    assert ids(t, {"created": "yesterday"}) == {2}
    assert ids(t, {"created": "today"}) == {4}
    assert ids(t, {"created": "this_month"}) == {1, 2, 4, 6}  # 1 November 00:00 is in
    assert ids(t, {"created": "last_month"}) == ids(t, {"created": {"month": "october"}}) == {3}
    assert ids(t, {"created": {"days": 7}}) == {1, 2, 4}  # since 13 November, 12:00
    assert ids(t, {"created": {"before": "october"}}) == {5}
    assert resolve_window("weekend", NOW) == (at(14, 0), at(16, 0))


def test_truth_visibility_and_me(handmade):
    t = handmade
    assert ids(t, {}, as_user="ana@team.io") == {1, 2, 3, 5, 6}  # a rep: own and unassigned
    assert ids(t, {"owner": ["me"]}, as_user="ana@team.io") == {1, 3, 6}
    assert ids(t, {}, as_user="mo@team.io") == {1, 2, 3, 4, 5, 6}  # a manager sees everything
    assert ids(t, {"owner": ["me"]}, as_user="mo@team.io") == {4}
    assert ids(t, {"owner": ["me"]}) == set()  # "my leads" from no rep at all


def test_truth_order_and_rows(handmade):
    t = handmade
    assert expected(t, {"leads": {"tier": ["hot"]}, "order": "score desc", "limit": 3}).ids == (1, 5, 2)  # ties by id
    assert expected(t, {"leads": {}, "order": "company_size asc"}).ids == (6, 1, 4, 3, 2, 5)  # unknown size last
    assert expected(t, {"leads": {}, "order": "created_at desc", "offset": 1, "limit": 1}).ids == (2,)
    by_source = expected(t, {"rows": {"group_by": "source", "metric": "count"}})
    assert by_source.rows == (("event", 1), ("organic", 1), ("paid", 1), ("referral", 3))
    rates = dict(expected(t, {"rows": {"group_by": "source", "metric": "conversion_rate"}}).rows)
    assert rates == {"referral": 0.5, "paid": 0.0, "event": None, "organic": None}  # won / closed
    average = expected(t, {"rows": {"metric": "avg_score", "where": {"industry": ["fintech"]}}})
    assert average.kind == "total" and average.rows[0][1] == pytest.approx(251 / 3)
    assert dict(expected(t, {"rows": {"group_by": "owner", "metric": "count"}}).rows) == {
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


def answer(*, calls: bool = True, leads: list[int] = (), rows: list[dict[str, Any]] = (), text: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        tool_calls=[{"name": "search_leads", "args": {}}] if calls else [],
        leads=[{"id": i} for i in leads], rows=list(rows), answer=text,
    )


def test_truth_computes_the_report_numbers(handmade):
    def rows(spec: dict[str, Any]) -> tuple:
        return handmade.expected(Case(id="r", category="c", turns=("q",), expect={"rows": spec})).rows

    assert rows({"group_by": "score_bucket", "metric": "count"}) == (("60-69", 1), ("70-79", 1), ("80-89", 1), ("90-100", 2), ("unscored", 1))
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


def test_every_tool_the_dataset_needs_is_registered():
    cases = load_cases()
    assert len(cases) >= 150
    registered = set(tool_names())
    needed = set().union(*(REQUIRED_TOOLS[case.kind] for case in cases))
    assert needed == {"search_leads", "aggregate_leads", "get_lead"} and needed <= registered
    assert {case.kind for case in cases} == {"leads", "rows", "lead", "refuse", "call"}
    assert {case.expect["call"]["name"] for case in cases if case.kind == "call"} <= registered
    assert sum(case.kind == "refuse" for case in cases) >= 5 and any(len(case.turns) > 1 for case in cases)


def test_sample_keeps_every_category():
    cases = load_cases()
    sample = sample_cases(cases, 3)
    assert {c.category for c in sample} == {c.category for c in cases}
    assert len(sample) < len(cases) / 2 and sample_cases(cases, 1) == cases


def test_offline_planner_reads_the_dataset():
    """Every second case of each category, to stay quick (`evals nlq` runs them all)."""
    report = run_nlq_eval(backend="offline", every=2)
    assert report["scores_applied"] and report["cases"] >= 150
    misses = "\n".join(f"{m['id']}: {m['turns']} -> {m['tool_calls']} ({m['why']})" for m in report["misses"])
    assert report["accuracy"] >= 0.95, misses
    assert set(report["by_category"]) >= {"tier", "industry", "geo", "aggregate", "follow_up", "refuse", "negation"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_json_and_exit_codes(tmp_path: Path):
    ok = runner.invoke(app, ["nlq", "--json", "--case", "combo-card", "--case", "refuse-weather"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert (report["eval"], report["cases"], report["accuracy"], report["passed"]) == ("nlq", 2, 1.0, True)
    assert report["now"] == NOW.isoformat()  # LEADPILOT_NOW, pinned by conftest

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
