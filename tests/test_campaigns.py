"""Discovery campaigns on both databases: the job lifecycle, dedup against customers and leads,
criteria, bad input, concurrent workers, stale runs, the LLM provider (loopback stub) and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpilot.memory import campaigns as store
from leadpilot.memory.leads import count_leads
from leadpilot.memory.models import AuditEvent, Lead
from leadpilot.settings import get_settings
from leadpilot.tools.discovery.campaigns import CampaignError, create_campaign, get_campaign, list_campaigns, run_next_campaign
from leadpilot.tools.discovery.criteria import parse_criteria
from leadpilot.tools.leads.importer import import_leads_csv

from conftest import NOW
from openai_stub import OpenAIStub

HEADER = "name,website,industry,size,country,state,city,description,contact_name,email,title\n"
COMPANIES = (
    "Acme Robotics Inc.,https://www.acmerobotics.com,Manufacturing,400,US,CA,San Jose,Warehouse robots,,,\n"  # customer
    "Globex,globex.io,Software,120,Germany,,Berlin,Billing software for utilities,,,\n"  # open lead
    "Tidewell Payments,tidewellpay.com,Payments,95,Netherlands,,Amsterdam,Payments orchestration for merchants,,,\n"
    "Quillmark Analytics,quillmark-analytics.com,SaaS,180,Germany,,Berlin,Revenue analytics,Lena Vogt,lena@quillmark-analytics.com,Head of Sales\n"
    "Saltmarsh Foods,saltmarshfoods.com,Retail,2500,US,TX,Austin,Grocery chain,,,\n"
)
KNOWN = (
    "company,website,contact_name,email,industry,stage\n"
    "Acme Robotics,acmerobotics.com,Ann Lee,ann@acmerobotics.com,manufacturing,Customer\n"
    "Globex GmbH,https://globex.io,Gil Bates,gil@globex.io,saas,Lead\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _known_accounts(db, tmp_path: Path) -> None:
    report = import_leads_csv(db, path=_write(tmp_path, "known.csv", KNOWN), now=NOW)
    assert report.inserted == 2


def _start(db, *, path: Path | None, criteria: dict | None = None, name: str = "Test", provider: str = "file") -> int:
    with db.transaction() as session:
        return create_campaign(session, name=name, provider=provider, criteria=criteria or {}, source_path=path, now=NOW, actor="test").id


def _campaign(db, campaign_id: int) -> dict:
    with db.session() as session:
        return get_campaign(session, campaign_id=campaign_id)


def _assert_accounted(campaign: dict) -> None:
    counts = campaign["counts"]
    assert counts["found"] == counts["new"] + counts["duplicate_customers"] + counts["duplicate_leads"] + counts["rejected"]


def test_file_campaign_runs_dedups_stores_at_discovery_scores_and_audits(db, tmp_path):
    _known_accounts(db, tmp_path)
    path = _write(tmp_path, "companies.csv", HEADER + COMPANIES)
    campaign_id = _start(db, path=path, name="Spring outreach")
    assert _campaign(db, campaign_id)["status"] == "queued"

    assert run_next_campaign(db, now=NOW, settings=get_settings()) == campaign_id
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "done" and campaign["error"] is None and campaign["attempts"] == 1
    assert campaign["counts"] == {"found": 5, "new": 3, "duplicate_customers": 1, "duplicate_leads": 1, "rejected": 0}
    assert campaign["started_at"] and campaign["finished_at"] and campaign["claimed_by"]
    known = {d["company"]: d for d in campaign["duplicates"]}
    assert known["Acme Robotics Inc."]["customer"] is True and "domain" in known["Acme Robotics Inc."]["matched"]
    assert known["Globex"]["customer"] is False and known["Globex"]["known_as"] == "Globex GmbH"

    with db.session() as session:
        leads = session.scalars(select(Lead).where(Lead.id.in_(campaign["lead_ids"])).order_by(Lead.id)).all()
        assert [lead.company for lead in leads] == ["Tidewell Payments", "Quillmark Analytics", "Saltmarsh Foods"]
        for lead in leads:
            assert lead.stage == "DISCOVERY" and lead.source == "outbound"
            assert lead.extra["campaign_id"] == campaign_id and lead.extra["campaign_name"] == "Spring outreach"
            assert lead.score is not None and lead.tier in {"hot", "warm", "cold"} and lead.score_breakdown
        quill = leads[1]
        assert (quill.contact_name, quill.email, quill.job_title, quill.domain) == ("Lena Vogt", "lena@quillmark-analytics.com", "Head of Sales", "quillmark-analytics.com")
        assert leads[0].industry == "payments" and leads[0].country == "NL" and leads[0].notes == "Payments orchestration for merchants"
        found = session.scalars(select(AuditEvent).where(AuditEvent.lead_id == leads[0].id, AuditEvent.field == "stage")).one()
        assert found.new_value == "DISCOVERY" and found.actor == f"campaign:{campaign_id}"
        assert "Spring outreach" in found.reason and "line 4" in found.reason
        total = count_leads(session)

    # The same file again (a new campaign, or the same one re-run): everything is already known.
    again = _start(db, path=path, name="Spring outreach, again")
    assert run_next_campaign(db, now=NOW, settings=get_settings()) == again
    rerun = _campaign(db, again)
    assert rerun["counts"] == {"found": 5, "new": 0, "duplicate_customers": 1, "duplicate_leads": 4, "rejected": 0}
    assert {d["lead_id"] for d in rerun["duplicates"]} >= set(campaign["lead_ids"])
    with db.session() as session:
        assert count_leads(session) == total
        assert [c["id"] for c in list_campaigns(session)] == [again, campaign_id]
    assert run_next_campaign(db, now=NOW, settings=get_settings()) is None  # nothing queued


def test_criteria_filter_with_a_reason_for_each_company(db, tmp_path):
    path = _write(tmp_path, "companies.csv", HEADER + COMPANIES + "Nameless Size Co,nosize.com,Fintech,,France,,Paris,Payments,,,\n")
    campaign_id = _start(db, path=path, criteria={"industries": ["fintech", "Software"], "countries": ["EMEA"], "min_size": 50, "max_size": 1000})
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, campaign_id)
    _assert_accounted(campaign)
    assert campaign["counts"]["new"] == 3  # Globex (SaaS, DE), Tidewell (fintech, NL), Quillmark (SaaS, DE)
    reasons = {r["company"]: r["reason"] for r in campaign["rejections"]}
    assert set(reasons) == {"Acme Robotics Inc.", "Saltmarsh Foods", "Nameless Size Co"}
    assert "industry manufacturing is not fintech or saas" in reasons["Acme Robotics Inc."]
    assert "company size unknown" in reasons["Nameless Size Co"]
    assert all(r["kind"] == "criteria" for r in campaign["rejections"])

    keyword = _start(db, path=path, criteria={"keywords": ["analytics", "grocery"], "countries": ["US-TX", "DE"], "limit": 1})
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, keyword)
    _assert_accounted(campaign)
    # Quillmark (DE, "analytics") is already a lead from the first campaign; Saltmarsh (US-TX, "grocery") fits.
    assert campaign["counts"]["new"] == 1 and campaign["counts"]["duplicate_leads"] == 1
    kinds = Counter(r["kind"] for r in campaign["rejections"])
    assert kinds == {"criteria": 4}
    assert any("none of the keywords analytics, grocery" in r["reason"] for r in campaign["rejections"])


def test_limit_caps_new_leads_and_says_so(db, tmp_path):
    campaign_id = _start(db, path=_write(tmp_path, "c.csv", HEADER + COMPANIES), criteria={"limit": 2})
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, campaign_id)
    assert campaign["counts"]["new"] == 2 and campaign["counts"]["rejected"] == 3
    assert all("limit of 2 new leads" in r["reason"] and r["kind"] == "limit" for r in campaign["rejections"])


def test_criteria_and_campaign_errors_name_every_problem_and_the_fix(tmp_path):
    with pytest.raises(CampaignError) as caught:
        parse_criteria({"industries": ["fintec"], "countries": ["Narnia", "EMEA"], "min_size": 500, "max_size": 50, "limit": 0, "colour": "red"})
    text = str(caught.value)
    for expected in ("unknown industry 'fintec'", "use one of", "unknown country or region 'Narnia'", "region (NA, LATAM, EMEA, APAC, DACH, NORDICS, BENELUX, UKI, ANZ, EUROPE)",
                     "min_size 500 is above max_size 50", "limit: 0 is out of range", "colour: not a campaign criterion"):
        assert expected in text
    assert parse_criteria({"industries": "Financial Services, saas", "countries": ["germany", "us-ca"], "keywords": ["AI"]}).as_dict() == {
        "industries": ["fintech", "saas"], "countries": ["DE", "US-CA"], "min_size": None, "max_size": None, "keywords": ["ai"], "limit": 100,
    }


def test_create_campaign_refuses_bad_requests_clearly(sqlite_db, tmp_path):
    def problems(**kwargs) -> str:
        arguments = {"name": "X", "provider": "file", "criteria": {}, "source_path": None, "now": NOW, "actor": "t", **kwargs}
        with sqlite_db.transaction() as session, pytest.raises(CampaignError) as caught:
            create_campaign(session, **arguments)
        return str(caught.value)

    assert "needs a CSV or JSON file" in problems()
    assert "no such file" in problems(source_path=tmp_path / "missing.csv")
    assert "unsupported file type '.xlsx'" in problems(source_path=_write(tmp_path, "a.xlsx", "x"))
    assert "not a discovery provider" in problems(provider="crawler")
    assert "at least one of --industry, --country, --keyword" in problems(provider="llm")
    assert "name: give the campaign a name" in problems(name="  ", source_path=_write(tmp_path, "ok.csv", HEADER))
    with sqlite_db.session() as session:
        assert list_campaigns(session) == []


def test_bad_rows_are_rejected_with_line_and_reason_while_good_rows_load(db, tmp_path):
    text = HEADER + (
        "Good One,goodone.com,SaaS,50,US,NY,New York,Fine,,,\n"
        ",noname.com,SaaS,50,US,NY,New York,No name,,,\n"
        "Bad Email,bademail.com,SaaS,50,US,NY,New York,x,Jo,jo@nowhere,CTO\n"
        "Bad Size,badsize.com,SaaS,lots,US,NY,New York,x,,,\n"
        "Too Many,toomany.com,SaaS,50,US,NY,New York,x,,,,extra,values\n"
        "\n"
        "Good One Inc,https://goodone.com,SaaS,50,US,NY,New York,Same company again,,,\n"
        "Good Two,goodtwo.com,SaaS,60,US,NY,New York,Fine,,,\n"
    )
    campaign_id = _start(db, path=_write(tmp_path, "rows.csv", text))
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "done"
    _assert_accounted(campaign)
    assert campaign["counts"]["new"] == 2 and campaign["counts"]["rejected"] == 5
    reasons = {r["item"]: r["reason"] for r in campaign["rejections"]}
    assert "company name" in reasons["line 3"]
    assert "email: not a valid email address" in reasons["line 4"]
    assert "company_size: must be a number of employees" in reasons["line 5"]
    assert "13 values but 11 columns" in reasons["line 6"]
    assert reasons["line 8"] == "the same company as line 2 of this campaign"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("nocol.csv", "website,industry\nacme.com,SaaS\n", "no company name column (found: website, industry)"),
        ("broken.json", '[{"name": "Acme",}]', "not valid JSON at line 1"),
        ("shape.json", '{"items": []}', "expected a JSON list of companies"),
        ("latin1.csv", "name\nCaf\xe9 Soci\xe9t\xe9\n", "not UTF-8 text"),
    ],
)
def test_an_unreadable_file_fails_the_campaign_with_a_clear_error(db, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1") if name.startswith("latin1") else content.encode())
    campaign_id = _start(db, path=path)
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "failed" and expected in campaign["error"] and campaign["finished_at"]
    assert campaign["counts"]["new"] == 0


def test_a_file_gone_by_run_time_fails_and_json_files_work(db, tmp_path):
    gone = _write(tmp_path, "gone.csv", HEADER + COMPANIES)
    gone_id = _start(db, path=gone)
    gone.unlink()
    companies = {"companies": [{"name": "Orbital Labs", "domain": "orbital.dev", "employees": 12, "country": "US", "industry": "saas"},
                               "not an object", {"name": "Nested", "industry": ["a", "b"]}]}
    json_id = _start(db, path=_write(tmp_path, "c.json", json.dumps(companies)))
    assert run_next_campaign(db, now=NOW, settings=get_settings()) == gone_id
    assert run_next_campaign(db, now=NOW, settings=get_settings()) == json_id
    assert "no such file" in _campaign(db, gone_id)["error"]
    campaign = _campaign(db, json_id)
    assert campaign["counts"]["new"] == 1 and campaign["counts"]["rejected"] == 2
    reasons = {r["item"]: r["reason"] for r in campaign["rejections"]}
    assert "expected an object" in reasons["company 2"] and "industry: must be text or a number, got list" in reasons["company 3"]


def test_two_workers_never_run_the_same_campaign(db, tmp_path):
    names = ["Quantum Freight", "Basalt Labs", "Cobalt Retail", "Dune Pharma", "Emberline Media", "Fjordic Energy", "Garnet Legal",
             "Harborview Clinics", "Iris Optics", "Jadeway Travel", "Kelp Foods", "Lumen Robotics", "Mosaic Insurance", "Nectar Bank",
             "Opal Textiles", "Prism Security"]  # no two within the fuzzy company-name cutoff
    rows = [f"{name},{name.replace(' ', '').lower()}.com,SaaS,50,US,,,x,,,\n" for name in names]
    ids = [_start(db, path=_write(tmp_path, f"c{n}.csv", HEADER + rows[2 * n] + rows[2 * n + 1])) for n in range(8)]
    ran: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            start.wait()
            while (campaign_id := run_next_campaign(db, now=NOW, settings=get_settings(), worker=name)) is not None:
                ran[name].append(campaign_id)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ran]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(ran["a"] + ran["b"]) == ids  # every campaign once, none twice
    for campaign_id in ids:
        campaign = _campaign(db, campaign_id)
        assert campaign["status"] == "done" and campaign["attempts"] == 1 and campaign["counts"]["new"] == 2
    with db.session() as session:
        assert count_leads(session) == 16


def test_concurrent_claims_of_one_campaign_have_exactly_one_winner(db, tmp_path):
    path = _write(tmp_path, "c.csv", HEADER)
    for _round in range(4):
        _start(db, path=path)
        barrier = threading.Barrier(3)
        wins: list[int] = []

        def claim(worker: str) -> None:
            barrier.wait()
            with db.transaction() as session:
                if (claim := store.claim_next(session, now=NOW, worker=worker)) is not None:
                    wins.append(claim[0].id)

        threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(wins) == 1


def test_a_stale_running_campaign_is_requeued_and_finished_once(db, tmp_path):
    campaign_id = _start(db, path=_write(tmp_path, "c.csv", HEADER + COMPANIES))
    with db.transaction() as session:  # a worker claims it, then dies without a word
        _, dead_token = store.claim_next(session, now=NOW, worker="dead-worker")
    assert run_next_campaign(db, now=NOW + timedelta(minutes=5), settings=get_settings()) is None  # still fresh
    assert _campaign(db, campaign_id)["status"] == "running"

    later = NOW + timedelta(minutes=11)
    assert run_next_campaign(db, now=later, settings=get_settings(), worker="live-worker") == campaign_id
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "done" and campaign["attempts"] == 2 and campaign["claimed_by"].startswith("live-worker")
    assert campaign["counts"]["new"] == 5 and campaign["error"] is None
    # The dead worker waking up cannot overwrite the finished run.
    with db.transaction() as session:
        assert not store.beat(session, campaign_id=campaign_id, token=dead_token, now=later)
        assert not store.finish(session, campaign_id=campaign_id, token=dead_token, now=later, status="failed", error="late")
    assert _campaign(db, campaign_id)["status"] == "done"


def test_a_campaign_that_keeps_killing_its_worker_fails_after_max_attempts(db, tmp_path):
    campaign_id = _start(db, path=_write(tmp_path, "c.csv", HEADER))
    now = NOW
    for attempt in range(1, 4):
        with db.transaction() as session:
            store.requeue_stale(session, now=now, stale_after=timedelta(minutes=10), max_attempts=3)
            claimed, _ = store.claim_next(session, now=now, worker=f"w{attempt}")
            assert claimed.id == campaign_id and claimed.attempts == attempt
        now += timedelta(minutes=11)
    assert run_next_campaign(db, now=now, settings=get_settings()) is None
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "failed" and "gave up after 3 attempts" in campaign["error"]


# --- the LLM provider, against a loopback OpenAI-compatible server --------------------------------

def _answer(content: str):
    return lambda body: {"content": content}


@pytest.fixture
def llm(monkeypatch):
    """Point the settings at a loopback stub; yields a function that starts it with a responder."""
    stubs: list[OpenAIStub] = []

    def start(responder, *, key: str = "sk-test", model: str | None = None) -> OpenAIStub:
        stub = OpenAIStub(responder).__enter__()
        stubs.append(stub)
        monkeypatch.setenv("OPENAI_API_KEY", key)
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        if model:
            monkeypatch.setenv("LEADPILOT_MODEL", model)
        get_settings.cache_clear()
        return stub

    yield start
    for stub in stubs:
        stub.__exit__(None, None, None)


def test_llm_provider_asks_for_the_criteria_and_stores_valid_companies(db, tmp_path, llm):
    _known_accounts(db, tmp_path)
    answer = {"companies": [
        {"name": "Tidewell Payments", "website": "tidewellpay.com", "industry": "fintech", "employees": 95, "country": "NL",
         "state": None, "city": "Amsterdam", "description": "Payments orchestration"},
        {"name": "Acme Robotics", "website": "https://acmerobotics.com", "industry": "fintech", "employees": 400, "country": "DE"},
        {"website": "noname.com", "industry": "fintech", "country": "DE"},
        {"name": "Far Away Pay", "website": "farawaypay.com", "industry": "fintech", "employees": 30, "country": "JP"},
    ]}
    stub = llm(_answer("```json\n" + json.dumps(answer) + "\n```"))
    with db.transaction() as session:
        with pytest.raises(CampaignError, match="file: the llm provider finds companies itself"):
            create_campaign(session, name="x", provider="llm", criteria={"industries": ["fintech"]}, source_path="a.csv", now=NOW, actor="t")
    campaign_id = _start(db, path=None, provider="llm", name="Fintech EMEA", criteria={"industries": ["fintech"], "countries": ["EMEA"], "limit": 20})
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "done", campaign["error"]
    assert campaign["counts"] == {"found": 4, "new": 1, "duplicate_customers": 1, "duplicate_leads": 0, "rejected": 2}
    reasons = {r["item"]: r["reason"] for r in campaign["rejections"]}
    assert "company name" in reasons["company 3"] and "location JP is not in EMEA" in reasons["company 4"]
    request = stub.requests[-1]
    prompt = request["messages"][-1]["content"]
    assert "industry Fintech" in prompt and "in EMEA" in prompt and "At most 20 companies" in prompt
    assert request["response_format"] == {"type": "json_object"} and "web_search_options" not in request
    with db.session() as session:
        lead = session.get(Lead, campaign["lead_ids"][0])
        assert (lead.company, lead.stage, lead.extra["discovered_by"]) == ("Tidewell Payments", "DISCOVERY", "llm")


def test_a_search_model_gets_web_search_options(db, llm):
    stub = llm(_answer('{"companies": []}'), model="gpt-4o-search-preview")
    campaign_id = _start(db, path=None, provider="llm", criteria={"keywords": ["payments"]})
    run_next_campaign(db, now=NOW, settings=get_settings())
    assert _campaign(db, campaign_id)["status"] == "done"
    assert stub.requests[-1]["web_search_options"] == {} and "response_format" not in stub.requests[-1]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Sure! Here are some companies: Acme, Globex.", "the model did not answer with valid JSON"),
        ('{"companies": [{"name": "Acme"}', "the model did not answer with valid JSON"),
        ('{"results": [{"name": "Acme"}]}', 'not the shape asked for ({"companies": [...]})'),
        ("", "(an empty answer)"),
    ],
)
def test_malformed_model_output_fails_the_campaign_clearly(db, llm, content, expected):
    llm(_answer(content))
    campaign_id = _start(db, path=None, provider="llm", criteria={"industries": ["saas"]})
    run_next_campaign(db, now=NOW, settings=get_settings())
    campaign = _campaign(db, campaign_id)
    assert campaign["status"] == "failed" and expected in campaign["error"]
    with db.session() as session:
        assert count_leads(session) == 0


def test_model_endpoint_errors_and_missing_configuration_fail_clearly(sqlite_db, llm, monkeypatch):
    llm(_answer("{}"), key="sk-wrong")
    campaign_id = _start(sqlite_db, path=None, provider="llm", criteria={"industries": ["saas"]})
    run_next_campaign(sqlite_db, now=NOW, settings=get_settings())
    error = _campaign(sqlite_db, campaign_id)["error"]
    assert "answered HTTP 401" in error and "OPENAI_API_KEY" in error

    monkeypatch.delenv("OPENAI_API_KEY")
    get_settings.cache_clear()
    campaign_id = _start(sqlite_db, path=None, provider="llm", criteria={"industries": ["saas"]})
    run_next_campaign(sqlite_db, now=NOW, settings=get_settings())
    assert "set OPENAI_API_KEY" in _campaign(sqlite_db, campaign_id)["error"]


def test_the_shipped_demo_file_finds_new_companies_and_recognises_the_demo_seeds(sqlite_db):
    from leadpilot.memory.seed import seed_demo

    seed_demo(sqlite_db, now=NOW)
    demo = Path(str(files("leadpilot.config").joinpath("discovery_demo.csv")))
    campaign_id = _start(sqlite_db, path=demo, name="Demo")
    run_next_campaign(sqlite_db, now=NOW, settings=get_settings())
    campaign = _campaign(sqlite_db, campaign_id)
    assert campaign["counts"] == {"found": 40, "new": 28, "duplicate_customers": 5, "duplicate_leads": 5, "rejected": 2}


# --- the command line ---------------------------------------------------------------------------

LEADPILOT = str(Path(sys.executable).with_name("leadpilot"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    # Wide enough that rich does not wrap the messages the test looks for.
    return subprocess.run([LEADPILOT, *args], capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "250"})


def test_cli_start_list_status_and_run(tmp_path):
    from leadpilot.memory.db import open_database

    store_db = open_database(get_settings().resolved_database_url)  # the data dir the commands use
    _known_accounts(store_db, tmp_path)
    store_db.dispose()
    path = _write(tmp_path, "companies.csv", HEADER + COMPANIES)

    started = _cli("campaign", "start", "Germany push", "--file", str(path), "--country", "DE", "--country", "NL", "--json")
    assert started.returncode == 0, started.stderr
    campaign = json.loads(started.stdout)
    assert campaign["status"] == "done"
    assert campaign["counts"] == {"found": 5, "new": 2, "duplicate_customers": 0, "duplicate_leads": 1, "rejected": 2}

    shown = _cli("campaign", "status", str(campaign["id"]))
    assert shown.returncode == 0 and "Germany push" in shown.stdout and "Globex GmbH" in shown.stdout
    assert "2 companies were outside the criteria" in shown.stdout

    queued = _cli("campaign", "start", "Later", "--file", str(path), "--no-run")
    assert queued.returncode == 0 and "queued" in queued.stdout
    ran = _cli("campaign", "run", "--json")
    assert ran.returncode == 0, ran.stderr
    [later] = json.loads(ran.stdout)
    # Only Saltmarsh is new: the German and Dutch ones came in with the first campaign, Acme is a customer.
    assert later["name"] == "Later" and later["status"] == "done"
    assert later["counts"] == {"found": 5, "new": 1, "duplicate_customers": 1, "duplicate_leads": 3, "rejected": 0}

    listed = json.loads(_cli("campaign", "list", "--json").stdout)
    assert [c["name"] for c in listed] == ["Later", "Germany push"]

    refused = _cli("campaign", "start", "Bad", "--file", str(path), "--industry", "fintec", "--min-size", "500", "--max-size", "5")
    assert refused.returncode == 2
    assert "unknown industry 'fintec'" in refused.stderr and "min_size 500 is above max_size 5" in refused.stderr

    failing = _cli("campaign", "start", "No names", "--file", str(_write(tmp_path, "bad.csv", "website\nacme.com\n")))
    assert failing.returncode == 1 and "no company name column" in failing.stdout

    missing = _cli("campaign", "status", "999")
    assert missing.returncode == 1 and "no campaign with id 999" in missing.stderr
