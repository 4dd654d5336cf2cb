"""Answers as a rep reads them in Slack, the web chat and `leadpilot ask` (#15, #21), through the
renderers the three share (interfaces/answer_view.py, score_card.py): "why is X hot?" of a lead that
is not hot says so on every score card; a filtered total names its filter, not "all leads"; reps by
name, not email, in tables, filter lines and multi-part counts; days written one way.

Slack through the real Bolt app (signed requests, a loopback Slack Web API); the web chat through
the Markdown renderer its page shows. Expectations come from the store, never from the answer."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from sqlalchemy import select

from leadpilot.agent.runner import run_agent
from leadpilot.interfaces import answer_view
from leadpilot.interfaces.cli.one_question import render_answer
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.interfaces.score_card import from_explanation
from leadpilot.interfaces.slack import blocks as slack_blocks
from leadpilot.interfaces.web import render
from leadpilot.memory.db import open_database
from leadpilot.memory.models import Lead, Rep
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import load_settings

from conftest import NOW, _drop_postgres_database, fresh_store_url

MANAGER = "U0DEMO01"  # Rachel Adams in the demo: sees every lead
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path_factory):
    """300 demo leads scored by the shipped policy, once per backend for the module."""
    from leadpilot.tools.scoring import load_policy, rescore_leads

    url = fresh_store_url(request.param, tmp_path_factory.mktemp("cards"))
    db = open_database(url)
    try:
        seed_demo(db, now=NOW, n_leads=300)
        rescore_leads(db, policy=load_policy(), now=NOW)
        yield db
    finally:
        db.dispose()
        if request.param == "postgresql":
            _drop_postgres_database(url)


def ask(db, question: str):
    return run_agent(question, deps=make_deps(db, viewer=viewer_for(db, email=None)))


def reps(db) -> dict[str, str]:
    with db.session() as session:
        return {email: name for email, name in session.execute(select(Rep.email, Rep.name))}


@pytest.fixture(scope="module")
def not_hot(store) -> Lead:
    """An open lead that is scored but not hot, the only lead of a company the question can name."""
    with store.session() as session:
        leads = list(session.scalars(select(Lead).where(Lead.company.is_not(None))))
        session.expunge_all()
    by_company: dict[str, list[Lead]] = {}
    for lead in leads:
        by_company.setdefault(lead.company, []).append(lead)
    for company, same in sorted(by_company.items()):
        lead = same[0]
        if (len(same) == 1 and lead.tier in ("warm", "cold") and lead.score is not None and lead.stage not in ("CUSTOMER", "LOST")
                and re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", company)):
            return lead
    raise AssertionError("no single-lead company with an open, not-hot lead in the test store")


def slack_reply(db, text: str) -> dict:
    from slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackAPIStub, SlackSender, serve_slack_app

    with SlackAPIStub() as api:
        settings = load_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api.base_url)
        with serve_slack_app(settings, db) as url:
            ts = "1763700101.000100"
            assert SlackSender(url).mention(user=MANAGER, channel="C0SALES", text=text, ts=ts).status_code == 200
            return api.wait_for("chat.postMessage", lambda args: args.get("thread_ts") == ts)["args"]


def block_text(reply: dict) -> str:
    texts = []
    for block in reply["blocks"]:
        texts.append((block.get("text") or {}).get("text", ""))
        texts += [field["text"] for field in block.get("fields") or []]
        texts += [element["text"] for element in block.get("elements") or [] if isinstance(element.get("text"), str)]
    return "\n".join(text for text in texts if not text.startswith(":wrench:"))  # the tool calls as made keep their arguments


def cli_text(answer) -> str:
    buffer = io.StringIO()
    render_answer(Console(file=buffer, width=250, color_system=None), answer)
    return "\n".join(line for line in buffer.getvalue().splitlines() if not line.startswith("tool calls:"))


# -- "why is X hot?" of a lead that is not hot: every card says so ------------------------------


def test_every_score_card_says_the_lead_is_not_the_tier_asked_about(store, not_hot):
    question = f"why is {not_hot.company} hot?"
    said = f"{not_hot.company} is {not_hot.tier} ({not_hot.score}), not hot."
    answer = ask(store, question)
    assert answer.tool_calls[0]["name"] == "explain_score" and said in answer.answer  # the text answer, as before
    assert answer.score_explanation["asked_tier"] == "hot"
    card = from_explanation(answer.score_explanation)
    web = render.score_card(card)
    assert f"**{render.md(said)}**" in web and f"— {not_hot.tier}, {not_hot.score}" in web
    reply = slack_reply(store, question)  # the real Bolt app
    header = next(block for block in reply["blocks"] if block.get("block_id") == "answer")["text"]["text"]
    assert f"is {not_hot.tier} ({not_hot.score}), not hot. Why it is {not_hot.tier}:" in header
    assert f"*{not_hot.company} (lead {not_hot.id})*" in header
    assert any(block.get("block_id") == "score" for block in reply["blocks"])  # the card is still drawn under it
    # Asked about the tier it has: no "not" on any card.
    same = ask(store, f"why is {not_hot.company} {not_hot.tier}?")
    same_card = from_explanation(same.score_explanation)
    assert same_card.not_asked is None and "not " + not_hot.tier not in render.score_card(same_card)
    header = slack_blocks.answer_blocks(same)[0]["text"]["text"]
    assert header == f"Why *{not_hot.company} (lead {not_hot.id})* is {not_hot.tier}:"


def test_a_card_without_an_asked_tier_is_unchanged():
    card = from_explanation({"kind": "score", "lead_id": 5, "company": "Acme", "score": 40, "tier": "warm", "breakdown": {}})
    assert card.not_asked is None
    asked = from_explanation({"kind": "score", "lead_id": 5, "company": "Acme", "score": None, "tier": None, "breakdown": {},
                              "asked_tier": "hot"})
    assert asked.not_asked == "Acme is not hot: it has no score yet."
    assert from_explanation({"kind": "score", "lead_id": 5, "company": "Acme", "score": 9, "tier": "cold",
                             "asked_tier": "purple"}).not_asked is None  # only a tier the policy has


# -- totals name their filters; reps by name ---------------------------------------------------


def test_a_filtered_total_names_its_filter_in_every_interface(store):
    answer = ask(store, "how many hot leads in fintech")
    assert answer.rows and list(answer.rows[0].values())[0] == "all leads"  # what the tool writes
    named = answer_view.total_name(answer.filters_applied)
    assert "tier: hot" in named and named.startswith("open leads (")
    web = render.aggregate_table(answer.rows, filters_applied=answer.filters_applied)
    slack = block_text({"blocks": slack_blocks.answer_blocks(answer)})
    cli = cli_text(answer)
    for shown in (web, slack, cli):
        assert "all leads" not in shown and "tier: hot" in shown and "Fintech" in shown, shown
    assert "| which leads | leads |" in web
    everything = ask(store, "how many leads")
    assert answer_view.total_name(everything.filters_applied).startswith("all ")
    assert "all open leads" in cli_text(everything)


def test_reps_are_named_not_emailed(store):
    names = reps(store)
    by_owner = ask(store, "how many open leads by owner and how many are hot by owner")
    assert len(by_owner.parts) == 2 and by_owner.rep_names
    for shown in (cli_text(by_owner), block_text({"blocks": slack_blocks.answer_blocks(by_owner)}),
                  answer_view.with_names(by_owner.answer, by_owner.rep_names)):  # the web chat's text (web/app.py)
        assert not set(EMAIL.findall(shown)) & set(names), shown
        assert sum(name in shown for name in names.values()) >= 3
    email = by_owner.parts[0]["rows"][0]["owner"]  # the rep with the most open leads
    name = names[email]
    listed = ask(store, f"show leads owned by {name}")
    assert listed.leads and all(lead["owner"] == email for lead in listed.leads)  # the data keeps the email
    slack = block_text({"blocks": slack_blocks.answer_blocks(listed)})
    web = render.leads_table(listed.leads, names=listed.rep_names) + render.context_line(
        listed.filters_applied, listed.tool_calls, listed.rep_names)
    for shown in (slack, web, cli_text(listed)):
        assert email not in shown and name in shown, shown
    assert f"owner: {name}" in slack and f"owner: {render.md(name)}" in web  # the filters line
    one = ask(store, f"show lead {listed.leads[0]['id']}")
    card = block_text({"blocks": slack_blocks.answer_blocks(one)}) + render.lead_card(one.leads[0], names=one.rep_names)
    assert email not in card and name in card and "None" not in card


def test_cells_as_a_rep_reads_them():
    names = {"ana@t.co": "Ana Lima"}
    assert answer_view.with_names("owner: ana@t.co; contact bob@acme.com", names) == "owner: Ana Lima; contact bob@acme.com"
    assert answer_view.rep_name(None) == "unassigned" and answer_view.rep_name("cy@t.co", names) == "cy@t.co"
    headers, body = answer_view.rows_table(
        [{"owner": "ana@t.co", "conversion_rate": 0.25, "median_hours": 6.6666, "industry": "real-estate", "x": None}], names=names)
    assert headers == ["rep", "conversion rate", "median hours", "industry", "x"]
    assert body == [["Ana Lima", "25.0%", "6.67", "Real Estate", "n/a"]]
    headers, body = answer_view.rows_table([{"leads": "all leads", "median_hours": 3.0}], filters_applied=["including closed"])
    assert headers[0] == "which leads" and body[0][0] == "all leads, open or closed"
    assert answer_view.day_text("2026-08-03T10:00:00+00:00") == "3 Aug 2026" and answer_view.day_text(None) == "never"


# -- a list in an 80-column terminal: the columns a rep acts on, not every word folded -----------


def test_a_lead_list_in_a_narrow_terminal_keeps_whole_names(store):
    answer = ask(store, "show hot leads in fintech not contacted in 3 days")
    lead = answer.leads[0]
    narrow, wide = io.StringIO(), io.StringIO()
    render_answer(Console(file=narrow, width=80, color_system=None), answer)
    render_answer(Console(file=wide, width=160, color_system=None), answer)
    header = next(line for line in narrow.getvalue().splitlines() if "company" in line)
    assert "contact" not in header.replace("last contact", "") and "owner" in header and "tier" in header
    assert any(lead["company"] in line for line in narrow.getvalue().splitlines())  # not folded mid-word
    assert "(contact, industry and city in a terminal of" in narrow.getvalue()
    wide_header = next(line for line in wide.getvalue().splitlines() if "company" in line)
    assert "contact" in wide_header.replace("last contact", "") and "industry" in wide_header
    assert "(contact, industry and city" not in wide.getvalue()


# -- several parts and comparisons: each part's own table, a corner cell with a word ---------------


def test_a_comparison_reads_in_every_interface(store):
    answer = ask(store, "hot leads US vs Europe")
    lines = answer.answer.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("|"))
    assert lines[header - 1] == "" and lines[header].replace(" ", "") == "|measure|US|Europe|"  # a word in the corner
    end = max(n for n, line in enumerate(lines) if line.startswith("|"))
    assert lines[end + 1] == "" and lines[end + 2].startswith("Each side:")  # Markdown ends the table there, not at "Each side"
    counts = [str(part["rows"][0]["count"]) for part in answer.parts]
    blocks = slack_blocks.answer_blocks(answer)
    said = blocks[0]["text"]["text"]
    assert "```" in said and "|---" not in said and "| US |" not in said  # Slack draws no Markdown tables: a code block
    assert re.search(r"Lead count\s+" + r"\s+".join(counts), said), said
    assert not any(str(block.get("block_id", "")).startswith("aggregate") for block in blocks)  # not the last side's table again
    shared = answer_view.answer_filters(answer)
    assert "tier: hot" in shared and not any("region" in item or "country" in item for item in shared)  # not the last side's
    assert render.part_sections(answer) == []  # the web chat: the table is in the text


def test_each_part_of_a_several_part_answer_is_drawn_under_its_heading(store):
    answer = ask(store, "how many leads by industry and show me hot leads in fintech")
    assert [part["call"]["name"] for part in answer.parts] == ["aggregate_leads", "search_leads"]
    counted, listed = answer.parts
    assert counted["rows"] and listed["leads"]
    blocks = slack_blocks.answer_blocks(answer)
    ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(ids) == len(set(ids))  # Slack refuses a message whose block ids repeat
    text = block_text({"blocks": blocks})
    assert "Part 1 (by industry):" in text and "Part 2 (tier hot; industry Fintech):" in text
    first = text.split("Part 1 (by industry):")[1].split("Part 2")[0]  # part 1's own rows, under its heading
    assert all(re.search(rf"{re.escape(slack_blocks.escape(answer_view.cell_text('industry', row['industry'])))}\s+{row['count']}\n", first)
               for row in counted["rows"][:5]), first
    assert listed["leads"][0]["company"] in text.split("Part 2")[1]
    web = render.part_sections(answer)
    assert len(web) == 2 and "| industry | leads |" in web[0] and f"| {listed['leads'][0]['id']} |" in web[1]
    total = ask(store, "how many leads came in this week and show me hot leads in fintech")
    assert [heading for heading, _ in answer_view.part_tables(total)] == ["Part 2 (tier hot; industry Fintech):"]  # a total is said in the text


def test_ask_json_names_reps_in_its_text_and_keeps_email_fields(store):
    from leadpilot.interfaces.cli.one_question import answer_json

    names = reps(store)
    answer = ask(store, "how many open leads by owner and how many are hot by owner")
    raw = answer_json(answer)
    assert set(EMAIL.findall(raw["answer"])) & set(names)  # the agent's text holds the emails the tools return
    named = answer_view.named_json(raw, answer.rep_names)
    assert not set(EMAIL.findall(named["answer"])) & set(names) and sum(name in named["answer"] for name in names.values()) >= 3
    assert named["rows"] == [{**row, "part": answer_view.with_names(row["part"], names)} for row in raw["rows"]]
    assert {row["owner"] for row in named["rows"]} - {"unassigned"} <= set(names)  # an email field keeps the address
    assert named["tool_calls"] == raw["tool_calls"] and named["leads"] == raw["leads"]


def test_days_and_activity_kinds_in_words():
    assert answer_view.filters_text(["created since 2026-12-07", "tier: hot"]) == "created since 7 Dec 2026; tier: hot"
    assert answer_view.filters_text(["updated 2026-12-07T10:00:00"]) == "updated 2026-12-07T10:00:00"  # a time, not a day
    lead = {"id": 7, "company": "Acme", "activities": [{"occurred_at": "2026-12-01T09:00:00+00:00", "kind": "email_opened",
                                                         "direction": "inbound"}]}
    assert "- 1 Dec 2026 email opened (inbound)" in render.lead_card(lead)
