"""The right lead (#15): a company or person names its OPEN lead, the others are listed (stage,
owner, created) or — several open — the answer asks which; a closed lead's outcome comes first and
is not predicted; "it" after one lead means that lead. Through the runner (what Slack and the web
chat call), the `leadpilot` command and the real Bolt app, on the demo data.

Expectations are computed from the store, never from the agent's answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpilot.agent.intents import read_choice, read_intent
from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.db import Database, open_database
from leadpilot.memory.lead_lookup import LeadCandidate, choose_lead, day_label, lead_outcome, leads_named
from leadpilot.memory.models import AuditEvent, Lead
from leadpilot.settings import load_settings

from conftest import NOW

LEADPILOT = str(Path(sys.executable).with_name("leadpilot"))
CLOSED = ("CUSTOMER", "LOST")
MANAGER = "U0DEMO01"  # Rachel Adams in the demo: sees every lead


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([LEADPILOT, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    if result.returncode != 0:
        raise AssertionError(f"leadpilot {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """The demo data as `leadpilot seed` loads it, scored by the shipped policy (once for the module)."""
    data_dir = tmp_path_factory.mktemp("right-lead")
    run("seed", env={"LEADPILOT_DATA_DIR": str(data_dir), "LEADPILOT_NOW": NOW.isoformat()})
    return data_dir


@pytest.fixture(scope="module")
def demo(demo_dir: Path):
    db = open_database(f"sqlite:///{demo_dir / 'leadpilot.db'}")
    yield db
    db.dispose()


def cli(demo_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, env={"LEADPILOT_DATA_DIR": str(demo_dir), "LEADPILOT_NOW": NOW.isoformat()})


def deps_for(db: Database, conversation: str | None = None):
    return make_deps(db, viewer=viewer_for(db, email=None), conversation_id=conversation)


def leads_at(db: Database, company: str) -> list[Lead]:
    with db.session() as session:
        leads = list(session.scalars(select(Lead).where(Lead.company == company)))
        for lead in leads:
            _ = lead.owner
        session.expunge_all()
    return leads


@pytest.fixture(scope="module")
def northgate(demo) -> dict:
    """The issue's case: Northgate Capital has one open lead and a won customer record (and lost deals)."""
    leads = leads_at(demo, "Northgate Capital")
    open_leads = [lead for lead in leads if lead.stage not in CLOSED]
    won = [lead for lead in leads if lead.stage == "CUSTOMER"]
    assert len(open_leads) == 1 and won, "the demo's Northgate Capital case changed"
    return {"open": open_leads[0], "won": won[0], "others": [lead for lead in leads if lead is not open_leads[0]]}


def company_with_two_open_leads(db: Database) -> tuple[str, list[int]]:
    """A company of the demo with exactly two open leads (newest first), found from the store."""
    with db.session() as session:
        rows = session.execute(select(Lead.company, Lead.id, Lead.created_at).where(Lead.stage.not_in(CLOSED), Lead.company.is_not(None))).all()
    by_company: dict[str, list] = {}
    for company, lead_id, created in rows:
        by_company.setdefault(company, []).append((created, lead_id))
    for company in sorted(by_company):
        if len(by_company[company]) == 2 and " " in company and "." not in company:
            return company, [lead_id for _, lead_id in sorted(by_company[company], reverse=True)]
    raise AssertionError("no demo company with two open leads")


# -- a name means its open lead -------------------------------------------------------------------


def test_why_is_northgate_capital_hot_explains_the_open_lead_and_lists_the_others(demo, northgate):
    answer = run_agent("why is Northgate Capital hot?", deps=deps_for(demo))
    assert answer.tool_calls == [{"name": "explain_score", "args": {"company": "Northgate Capital", "asked_tier": "hot"}}]
    lead = northgate["open"]
    first = f"Northgate Capital is {lead.tier} ({lead.score}), not hot. " if lead.tier != "hot" else ""  # said first when it is not hot
    assert answer.answer.startswith(f"{first}Northgate Capital has {len(northgate['others']) + 1} leads; this is the open one.")
    assert f"Lead {lead.id} (Northgate Capital, {lead.contact_name}): {lead.score}, {lead.tier}" in answer.answer
    listed = answer.answer.split("Other leads under Northgate Capital:")[1]
    for other in northgate["others"]:  # each with its stage or outcome, owner and created day
        assert f"lead {other.id} ({other.contact_name}" in listed
        assert f"owner {other.owner.name}" in listed and f"created {day_label(other.created_at)}" in listed
    won = northgate["won"]
    assert f"lead {won.id} ({won.contact_name}, customer, won {day_label(won.converted_at)}" in listed


def test_a_person_names_their_lead(demo, northgate):
    person = northgate["open"].contact_name
    with demo.session() as session:
        assert len(session.scalars(select(Lead.id).where(Lead.contact_name == person)).all()) == 1
    answer = run_agent(f"why is {person} hot?", deps=deps_for(demo))
    assert answer.tool_calls == [{"name": "explain_score", "args": {"contact": person, "asked_tier": "hot"}}]
    assert f"Lead {northgate['open'].id} (Northgate Capital)" in answer.answer


def test_several_open_leads_ask_which_then_the_reply_picks_one(demo):
    company, (newest, older) = company_with_two_open_leads(demo)
    asked = run_agent(f"why is {company} hot?", deps=deps_for(demo, "which-1"))
    assert asked.tool_calls == [{"name": "explain_score", "args": {"company": company, "asked_tier": "hot"}}]
    assert "so I have not picked one. Which one do you mean?" in asked.answer
    assert f"1. lead {newest} (" in asked.answer and f"2. lead {older} (" in asked.answer
    assert "Lead " not in asked.answer.split("Which one")[0]  # nothing explained before the person chose

    picked = run_agent("the second one", deps=deps_for(demo, "which-1"))
    assert picked.tool_calls == [{"name": "explain_score", "args": {"lead_id": older}}]
    assert picked.answer.startswith(f"Lead {older} ({company}")

    # The same rule for the other single-lead questions, and an id answers too.
    routed = run_agent(f"best time to call {company}", deps=deps_for(demo, "which-2"))
    assert "Which one do you mean?" in routed.answer
    again = run_agent(f"lead {newest}", deps=deps_for(demo, "which-2"))
    assert again.tool_calls == [{"name": "best_time_to_contact", "args": {"lead_id": newest}}]


def test_routing_by_company_takes_the_open_lead(demo, northgate):
    answer = run_agent("who should take Northgate Capital's lead?", deps=deps_for(demo))
    assert answer.tool_calls == [{"name": "suggest_owner", "args": {"company": "Northgate Capital"}}]
    assert f"lead {northgate['open'].id} (Northgate Capital)" in answer.answer
    assert "this is the open one" in answer.answer


# -- a closed lead says how it ended --------------------------------------------------------------


def test_explaining_a_closed_lead_states_its_outcome_first(demo, northgate):
    won = northgate["won"]
    answer = run_agent(f"why is lead {won.id} hot?", deps=deps_for(demo))
    not_hot = f"Northgate Capital is {won.tier} ({won.score}), not hot. " if won.tier != "hot" else ""  # after the outcome
    assert answer.answer.startswith(f"Won on {day_label(won.converted_at)} — this is a customer. {not_hot}Lead {won.id} (Northgate Capital)")
    lost = next(lead for lead in northgate["others"] if lead.stage == "LOST")
    answer = run_agent(f"explain the score of lead {lost.id}", deps=deps_for(demo))
    with demo.session() as session:
        closed_on = lead_outcome(session, lost.id).closed_on
    assert closed_on is not None and answer.answer.startswith(f"Lost on {day_label(closed_on)}. Lead {lost.id}")


def test_predicting_a_closed_lead_reports_the_outcome_not_a_probability(demo, demo_dir, northgate):
    won = northgate["won"]
    answer = run_agent(f"how likely is lead {won.id} to convert?", deps=deps_for(demo))
    assert answer.tool_calls == [{"name": "predict_conversion", "args": {"lead_id": won.id}}]
    assert answer.answer.startswith(f"Won on {day_label(won.converted_at)} — this is a customer. There is nothing left to predict")
    assert "%" not in answer.answer and "Next:" not in answer.answer

    printed = json.loads(cli(demo_dir, "predict", str(won.id), "--json").stdout)
    assert printed["outcome"] == "won" and printed["closed_on"] == won.converted_at.date().isoformat()
    assert "probability" not in printed and "recommendations" not in printed
    text = cli(demo_dir, "predict", str(won.id)).stdout
    assert "Won on" in " ".join(text.split()) and "likely to convert" not in text


def test_predict_lead_of_a_closed_lead_carries_the_outcome_and_records_nothing(sqlite_db, tmp_path):
    from synthetic_leads import add_history

    from leadpilot.memory.ml_models import Prediction
    from leadpilot.tools.prediction import load_latest_model, predict_lead, train_conversion_model

    ids = add_history(sqlite_db, now=NOW, n_closed=70, n_open=2, seed=3)
    train_conversion_model(sqlite_db, now=NOW, data_dir=tmp_path)
    model = load_latest_model(sqlite_db, tmp_path)
    with sqlite_db.transaction() as session:
        closed = session.get(Lead, ids[0])
        stage, converted_at, updated_at = closed.stage, closed.converted_at, closed.updated_at
        prediction = predict_lead(session, lead_id=ids[0], model=model, now=NOW)
        still_open = predict_lead(session, lead_id=ids[-1], model=model, now=NOW)
    assert prediction.outcome == ("won" if stage == "CUSTOMER" else "lost") and prediction.prediction_id is None
    assert prediction.closed_on.date() == (converted_at or updated_at).date()
    assert prediction.recommendations == [] and prediction.time_to_close is None
    assert "probability" not in prediction.to_dict() and prediction.to_dict()["outcome_sentence"] == prediction.outcome_sentence
    assert still_open.outcome is None and still_open.prediction_id is not None and "probability" in still_open.to_dict()
    with sqlite_db.session() as session:
        assert [p.lead_id for p in session.scalars(select(Prediction))] == [ids[-1]]


# -- "it" after one lead --------------------------------------------------------------------------


def test_pronouns_after_one_lead_refer_to_it(demo, northgate):
    lead = northgate["open"]
    conversation = "pronouns-1"
    run_agent("why is Northgate Capital hot?", deps=deps_for(demo, conversation))
    owner = run_agent("who owns it?", deps=deps_for(demo, conversation))
    assert owner.tool_calls == [{"name": "get_lead", "args": {"lead_id": lead.id}}]
    assert lead.owner.email in owner.answer and [l["id"] for l in owner.leads] == [lead.id]
    likely = run_agent("how likely is it to convert?", deps=deps_for(demo, conversation))
    assert likely.tool_calls == [{"name": "predict_conversion", "args": {"lead_id": lead.id}}]
    enriched = run_agent("enrich it", deps=deps_for(demo, conversation))
    assert enriched.tool_calls == [{"name": "enrich", "args": {"target": f"lead {lead.id}"}}]
    why = run_agent("why is it hot?", deps=deps_for(demo, conversation))
    assert why.tool_calls == [{"name": "explain_score", "args": {"lead_id": lead.id, "asked_tier": "hot"}}]

    # After a list of many, "it" means no one lead: the agent asks rather than guesses.
    run_agent("show hot leads in fintech", deps=deps_for(demo, conversation))
    unclear = run_agent("why is it hot?", deps=deps_for(demo, conversation))
    assert unclear.tool_calls == [] and "which lead you mean" in unclear.answer


# -- the CLI and Slack give the same answer -------------------------------------------------------


def test_cli_ask_explains_the_open_lead(demo_dir, northgate):
    output = json.loads(cli(demo_dir, "ask", "why is Northgate Capital hot?", "--json").stdout)
    assert output["tool_calls"] == [{"name": "explain_score", "args": {"company": "Northgate Capital", "asked_tier": "hot"}}]
    assert f"Lead {northgate['open'].id} (Northgate Capital" in output["answer"]
    assert f"lead {northgate['won'].id} (" in output["answer"].split("Other leads")[1]


def test_slack_mention_explains_the_open_lead(demo, northgate):
    from slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackAPIStub, SlackSender, serve_slack_app

    with SlackAPIStub() as api:
        settings = load_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api.base_url)
        with serve_slack_app(settings, demo) as url:
            send = SlackSender(url)
            ts = "1763700001.000100"
            assert send.mention(user=MANAGER, channel="C0SALES", text="why is Northgate Capital hot?", ts=ts).status_code == 200
            reply = api.wait_for("chat.postMessage", lambda args: args.get("thread_ts") == ts)["args"]
            follow = "1763700002.000100"
            send.mention(user=MANAGER, channel="C0SALES", text="who owns it?", ts=follow, thread_ts=ts)
            owner = api.wait_for("chat.postMessage", lambda args: args.get("thread_ts") == ts, nth=1)["args"]
    # The answer line and the score card under it: the open lead, why it was chosen, the others listed.
    text = " ".join(b["text"]["text"] for b in reply["blocks"] if b.get("block_id") in ("answer", "score"))
    assert "this is the open one" in text and f"Northgate Capital (lead {northgate['open'].id})" in text
    assert f"lead {northgate['won'].id} (" in text
    owner_text = next(b for b in owner["blocks"] if b.get("block_id") == "answer")["text"]["text"]
    assert f"Lead {northgate['open'].id}:" in owner_text and northgate["open"].owner.name in owner_text  # Slack names the rep (answer_view)


# -- the rule and the readers, directly -----------------------------------------------------------


def _candidate(lead_id: int, stage: str, *, owner: str | None = "Ana", days_ago: int = 1, closed_days_ago: int | None = None) -> LeadCandidate:
    from leadpilot.memory.lead_lookup import LeadOutcome

    outcome = None
    if stage in CLOSED:
        outcome = LeadOutcome(lead_id, stage, "won" if stage == "CUSTOMER" else "lost", NOW - timedelta(days=closed_days_ago or 0))
    return LeadCandidate(lead_id, "Acme", f"Person {lead_id}", stage, owner, NOW - timedelta(days=days_ago), 50, "warm", outcome)


def test_choose_lead_prefers_the_open_lead_and_never_picks_silently():
    customer, lost, new = _candidate(1, "CUSTOMER", closed_days_ago=90), _candidate(2, "LOST", closed_days_ago=5), _candidate(3, "LEAD")
    choice = choose_lead([customer, new, lost])
    assert choice.chosen == new and {c.id for c in choice.others} == {1, 2} and not choice.ambiguous
    two_open = choose_lead([new, _candidate(4, "PROSPECT", days_ago=9), customer])
    assert two_open.chosen is None and two_open.ambiguous and [c.id for c in two_open.choices] == [3, 4]
    waiting = choose_lead([new, _candidate(5, "LEAD", owner=None)], prefer_unassigned=True)
    assert waiting.chosen.id == 5  # routing: the open lead waiting for an owner
    assert choose_lead([customer, lost]).chosen == lost  # none open: the latest to close
    assert choose_lead([]).chosen is None and not choose_lead([]).ambiguous


def test_leads_named_matches_company_keys_and_people(db):
    from synthetic_leads import add_lead

    created = NOW - timedelta(days=3)
    won = add_lead(db, company="Acme, Inc.", contact_name="Ana Díaz", stage="CUSTOMER", converted=True,
                   converted_at=NOW - timedelta(days=40), created_at=created - timedelta(days=90))
    lost = add_lead(db, company="ACME", contact_name="Bo Li", stage="LOST", converted=False, created_at=created - timedelta(days=60))
    new = add_lead(db, company="Acme Inc", contact_name="Ana Díaz", stage="LEAD", created_at=created)
    add_lead(db, company="Acme Rockets", stage="LEAD", created_at=created)
    with db.transaction() as session:
        session.add(AuditEvent(lead_id=lost, at=NOW - timedelta(days=20), field="stage", old_value="PROSPECT", new_value="LOST", reason="t"))
    with db.session() as session:
        at_acme = leads_named(session, company="acme")
        person = leads_named(session, contact="ana diaz")
        outcomes = {c.id: c.outcome for c in at_acme}
    assert [c.id for c in at_acme] == [new, lost, won]  # open first, then newest
    assert [c.id for c in person] == [new, won]
    assert outcomes[new] is None and outcomes[won].sentence() == f"Won on {day_label(NOW - timedelta(days=40))} — this is a customer."
    assert outcomes[lost].sentence() == f"Lost on {day_label(NOW - timedelta(days=20))}."  # the audit's date


def test_read_intent_targets_and_pronouns():
    companies, contacts = {"acme": "Acme"}, {"ana diaz": "Ana Díaz", "ana díaz": "Ana Díaz"}
    assert read_intent("why is Acme hot?", companies=companies).args == {"company": "Acme"}
    assert read_intent("why is Ana Diaz hot?", companies=companies, contacts=contacts).args == {"contact": "Ana Díaz"}
    assert read_intent("how likely is it to convert?", companies=companies, last_lead_id=7).args == {"lead_id": 7}
    assert read_intent("who owns it?", companies=companies, last_lead_id=7) == read_intent("tell me more about that lead", companies=companies, last_lead_id=7)
    assert read_intent("who owns it?", companies=companies, last_lead_id=7).tool == "get_lead"
    assert read_intent("enrich it", companies=companies, last_lead_id=7).args == {"target": "lead 7"}
    assert read_intent("why does Ana have it?", companies=companies, reps={"ana": "ana@t.co"}, last_lead_id=7).args == {"lead_id": 7, "rep": "ana@t.co"}


def test_read_choice_picks_from_the_listed_leads():
    listed = [{"id": 12, "contact_name": "Liam Reed", "company": "Beacon", "owner": "Jordan Brooks", "stage": "PROSPECT"},
              {"id": 9, "contact_name": "Chinedu Mwangi", "company": "Beacon", "owner": "Maya Chen", "stage": "OPPORTUNITY"}]
    picks = {"the first one": 12, "2": 9, "#2": 9, "the second": 9, "last one": 9, "lead 9": 9, "9": 9, "Liam Reed": 12,
             "i mean chinedu": 9, "the opportunity": 9, "the one owned by Maya Chen": 9, "the older one": 9, "newest": 12}
    assert {reply: read_choice(reply, listed) for reply in picks} == picks
    for reply in ("lead 44", "the third one", "show hot leads in fintech not contacted in 3 days please", "beacon"):
        assert read_choice(reply, listed) is None


def test_a_company_with_no_open_lead_shows_its_closed_one_with_the_outcome(demo):
    with demo.session() as session:
        companies = {}
        for company, stage in session.execute(select(Lead.company, Lead.stage)):
            companies.setdefault(company, set()).add(stage)
    closed_only = sorted(c for c, stages in companies.items() if stages <= set(CLOSED) and len(stages) == 1)
    assert closed_only, "the demo has companies whose every lead is closed"
    company = closed_only[0]
    expected = {lead.id for lead in leads_at(demo, company)}
    answer = run_agent(f"pull up {company}", deps=deps_for(demo))
    assert {lead["id"] for lead in answer.leads} == expected  # not "no open leads match"
    outcome = "won (a customer)" if companies[company] == {"CUSTOMER"} else "lost"
    assert f"no open lead for '{company}': showing its closed" in answer.answer and outcome in answer.answer


def test_a_person_asked_about_by_name_is_their_lead(demo):
    with demo.session() as session:
        lead = session.scalar(select(Lead).where(Lead.stage.not_in(CLOSED), Lead.contact_name.is_not(None)).order_by(Lead.id))
        same_name = set(session.scalars(select(Lead.id).where(Lead.contact_name == lead.contact_name, Lead.stage.not_in(CLOSED))))
    answer = run_agent(f"who's {lead.contact_name}?", deps=deps_for(demo))
    assert {found["id"] for found in answer.leads} == same_name and lead.id in same_name
