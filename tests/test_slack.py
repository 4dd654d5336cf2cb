"""The Slack bot for real: the Bolt app served over HTTP on loopback receives requests signed with
the signing secret (mentions, DMs, thread replies, /leads, button clicks, modal submissions), and
its Web API client talks to a loopback stand-in for Slack that records every call.

Expectations are computed from the store directly, never from the agent's answer."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from slack_sdk import WebClient
from sqlalchemy import func, select

from leadpilot.interfaces.slack import blocks as slack_blocks
from leadpilot.interfaces.slack.alerts import post_hot_lead_alert
from leadpilot.interfaces.slack.app import SlackConfigError, build_slack_app
from leadpilot.interfaces.lead_actions import score_lines
from leadpilot.interfaces.slack.runtime import question_from_text
from leadpilot.memory.conversations import AgentRun
from leadpilot.memory.db import open_database
from leadpilot.memory.models import Assignment, AuditEvent, Lead, Rep
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import SettingsError, load_settings
from leadpilot.tools.leads.search import lead_row

from conftest import NOW
from slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackAPIStub, SlackSender, serve_slack_app, sign

CARD = "show hot leads in fintech not contacted in 3 days"
CHANNEL = "C0SALES"
MANAGER = "U0DEMO01"  # Rachel Adams, manager: sees every lead
REP = "U0DEMO02"  # Maya Chen, rep: sees her leads and unassigned ones
ROOT = Path(__file__).resolve().parents[1]


def apply_rule_scores(db) -> None:
    """Demo leads have no tiers until scored: the rule scorer when present, else fixed scores."""
    try:
        from leadpilot.tools.scoring.rescore import rescore_leads
        from leadpilot.tools.scoring.policy import load_policy
    except ImportError:
        from leadpilot.memory.leads import set_score

        with db.transaction() as session:
            for lead in session.scalars(select(Lead)):
                score = (lead.id * 37) % 100
                set_score(session, lead=lead, score=score, tier="hot" if score >= 70 else "warm" if score >= 40 else "cold",
                          breakdown={}, reason="test", at=NOW)
        return
    rescore_leads(db, policy=load_policy(), now=NOW)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('slack') / 'store.db'}")
    seed_demo(db, now=NOW, n_leads=2400)  # the demo size: the card question then has more than a page of leads
    apply_rule_scores(db)
    yield db
    db.dispose()


class Harness:
    def __init__(self, api: SlackAPIStub, send: SlackSender, db):
        self.api, self.send, self.db = api, send, db
        self._ts = 0

    def new_ts(self) -> str:
        self._ts += 1
        return f"{1763700000 + self._ts}.000100"

    def reply_in(self, thread_ts: str, *, after: int = 0) -> dict:
        """The chat.postMessage posted in this thread after `after` earlier ones."""
        return self.api.wait_for("chat.postMessage", lambda args: args.get("thread_ts") == thread_ts, nth=after)


@pytest.fixture(scope="module")
def slack(store):
    with SlackAPIStub() as api:
        settings = load_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api.base_url)
        with serve_slack_app(settings, store) as url:
            yield Harness(api, SlackSender(url), store)


# -- expectations from the store ------------------------------------------------------------------


def rep_of(db, slack_user: str) -> Rep:
    with db.session() as session:
        rep = session.scalar(select(Rep).where(Rep.slack_user_id == slack_user))
        session.expunge(rep)
        return rep


def expected_card(db, *, city: str | None = None) -> list[int]:
    """Open hot fintech leads with no contact in 3 days (or never), best score first, ties by id."""
    with db.session() as session:
        leads = [
            lead for lead in session.scalars(select(Lead))
            if lead.tier == "hot" and lead.industry == "fintech" and lead.stage not in ("CUSTOMER", "LOST")
            and (lead.last_contacted_at is None or lead.last_contacted_at < NOW - timedelta(days=3))
            and (city is None or lead.city == city)
        ]
    return [lead.id for lead in sorted(leads, key=lambda lead: (-lead.score, lead.id))]


def row_ids(message_blocks: list[dict]) -> list[int]:
    return [int(b["block_id"].split(":")[1]) for b in message_blocks if b.get("block_id", "").startswith("lead:") and b["type"] == "section"]


def agent_runs(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AgentRun))


def block(message_blocks: list[dict], block_id: str) -> dict:
    return next(b for b in message_blocks if b.get("block_id") == block_id)


# -- the card question, its thread, show more ---------------------------------------------------------


def test_card_question_in_a_mention_gets_exactly_the_expected_leads_in_its_thread(slack):
    expected = expected_card(slack.db)
    assert len(expected) > slack_blocks.PAGE_SIZE  # a long list: the test walks "show more" too
    ts = slack.new_ts()
    response = slack.send.mention(user=MANAGER, channel=CHANNEL, text=CARD, ts=ts)
    assert response.status_code == 200

    reply = slack.reply_in(ts)["args"]
    assert reply["channel"] == CHANNEL and reply["thread_ts"] == ts
    message_blocks = reply["blocks"]
    assert row_ids(message_blocks) == expected[: slack_blocks.PAGE_SIZE]
    said = block(message_blocks, "answer")["text"]["text"]
    assert f"Found {len(expected)} open leads" in said and "closed ones not shown — ask 'including closed'" in said
    context = " ".join(e["text"] for e in block(message_blocks, "context")["elements"])
    assert "tier: hot" in context and "Fintech" in context and "not contacted in 3 days" in context
    assert "search_leads(" in context and "not_contacted_in_days=3" in context
    first_row = block(message_blocks, f"lead:{expected[0]}")
    with slack.db.session() as session:
        lead = session.get(Lead, expected[0])
        assert lead.company.replace("&", "&amp;") in first_row["text"]["text"] and str(lead.score) in first_row["text"]["text"]
    assert {o["value"].split(":")[0] for o in first_row["accessory"]["options"]} == {"assign", "snooze", "explain"}

    # "Show more" until the list is done: together the pages are exactly the expected leads.
    collected = row_ids(message_blocks)
    message = {"ts": slack.api.calls_to("chat.postMessage")[-1]["ts"], "thread_ts": ts, "text": reply["text"], "blocks": message_blocks}
    pages = 0
    while any(b.get("block_id") == "more" for b in message["blocks"]):
        button = block(message["blocks"], "more")["elements"][0]
        before = len(slack.api.calls_to("chat.postMessage"))
        slack.send.block_action(user=MANAGER, channel=CHANNEL, message=message, response_url=slack.api.response_url("more"),
                                action={"type": "button", "action_id": "show_more", "block_id": "more", "value": button["value"], "text": button["text"]})
        posted = slack.reply_in(ts, after=1 + pages)
        assert len(slack.api.calls_to("chat.postMessage")) == before + 1
        collected += row_ids(posted["args"]["blocks"])
        update = slack.api.wait_for("chat.update", lambda args: args["ts"] == message["ts"])
        assert not any(b.get("block_id") == "more" for b in update["args"]["blocks"])  # the used button is gone
        message = {"ts": posted["ts"], "thread_ts": ts, "text": posted["args"]["text"], "blocks": posted["args"]["blocks"]}
        pages += 1
    assert collected == expected


def test_follow_ups_in_the_thread_narrow_the_list(slack):
    ts = slack.new_ts()
    slack.send.mention(user=MANAGER, channel=CHANNEL, text=CARD, ts=ts)
    first = slack.reply_in(ts)["args"]
    assert row_ids(first["blocks"]) == expected_card(slack.db)[: slack_blocks.PAGE_SIZE]

    follow_up = slack.new_ts()
    slack.send.mention(user=MANAGER, channel=CHANNEL, text="only the ones in SF", ts=follow_up, thread_ts=ts)
    narrowed = slack.reply_in(ts, after=1)["args"]
    in_sf = expected_card(slack.db, city="San Francisco")
    assert in_sf and row_ids(narrowed["blocks"]) == in_sf[: slack_blocks.PAGE_SIZE]
    assert "city: San Francisco" in json.dumps(block(narrowed["blocks"], "context"))

    # A plain reply in the thread (no mention) is a follow-up too, because Leadpilot owns the thread.
    slack.send.message(user=MANAGER, channel=CHANNEL, text="sorted by score", ts=slack.new_ts(), thread_ts=ts, channel_type="channel")
    again = slack.reply_in(ts, after=2)["args"]
    assert row_ids(again["blocks"]) == in_sf[: slack_blocks.PAGE_SIZE]

    # Another person replying in the thread is answered too, in a conversation of their own: the
    # manager's earlier turns (and their tool results) are not the rep's context.
    slack.send.message(user=REP, channel=CHANNEL, text="only the ones in SF", ts=slack.new_ts(), thread_ts=ts, channel_type="channel")
    theirs = json.dumps(slack.reply_in(ts, after=3)["args"]["blocks"])
    assert "San Francisco" in theirs and "fintech" not in theirs  # not narrowed from the manager's list

    # ...but chatter outside Leadpilot's threads is not answered.
    runs = agent_runs(slack.db)
    slack.send.message(user=MANAGER, channel=CHANNEL, text="lunch?", ts=slack.new_ts(), channel_type="channel")
    slack.send.message(user=MANAGER, channel=CHANNEL, text="lunch?", ts=slack.new_ts(), thread_ts="1.000001", channel_type="channel")
    time.sleep(0.3)
    assert agent_runs(slack.db) == runs


def test_a_multi_part_question_is_answered_part_by_part(slack):
    """"how many came in this week and how many of those are hot?": two counts, neither part dropped,
    each checked against the store: every arrival this week, open or closed (inflow, the lead's
    ruling on #15), then the open hot ones of those."""
    monday = (NOW - timedelta(days=NOW.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    with slack.db.session() as session:
        arrived = [lead for lead in session.scalars(select(Lead)) if lead.created_at.replace(tzinfo=NOW.tzinfo) >= monday]
    this_week = [lead for lead in arrived if lead.stage not in ("CUSTOMER", "LOST")]
    hot = [lead for lead in this_week if lead.tier == "hot"]
    assert this_week and hot and len(hot) < len(this_week)  # two different, non-trivial numbers

    ts = slack.new_ts()
    slack.send.mention(user=MANAGER, channel=CHANNEL, text="how many leads came in this week and how many of those are hot?", ts=ts)
    said = json.dumps(slack.reply_in(ts)["args"]["blocks"])
    first, _, second = said.partition("2.")
    assert "1." in first and f"{len(arrived)} leads came in (" in first and "not shown" not in first
    assert f"Open lead count: {len(hot)} (tier: hot" in second


# -- writes: confirmation first, then the write, audited with the Slack user's rep -----------------------


def test_assign_to_me_asks_for_confirmation_then_assigns_and_records_it(slack):
    rachel = rep_of(slack.db, MANAGER)
    ts = slack.new_ts()
    slack.send.mention(user=MANAGER, channel=CHANNEL, text=CARD, ts=ts)
    reply = slack.reply_in(ts)
    candidates = [i for i in row_ids(reply["args"]["blocks"])]
    with slack.db.session() as session:
        lead_id = next(i for i in candidates if session.get(Lead, i).owner_id != rachel.id)
        before_owner = session.get(Lead, lead_id).owner_id
    message = {"ts": reply["ts"], "thread_ts": ts, "text": reply["args"]["text"], "blocks": reply["args"]["blocks"]}
    row = block(message["blocks"], f"lead:{lead_id}")
    option = next(o for o in row["accessory"]["options"] if o["value"] == f"assign:{lead_id}")
    response = slack.send.block_action(user=MANAGER, channel=CHANNEL, message=message, response_url=slack.api.response_url("assign"),
                                       action={"type": "overflow", "action_id": "lead_row", "block_id": f"lead:{lead_id}", "selected_option": option})
    assert response.status_code == 200

    opened = slack.api.wait_for("views.open", lambda args: json.loads(args["view"]["private_metadata"])["lead"] == lead_id)
    view = opened["view"]
    assert view["callback_id"] == "confirm_assign" and "Rachel Adams" in json.dumps(view["blocks"])
    with slack.db.session() as session:  # nothing written before the confirmation
        assert session.get(Lead, lead_id).owner_id == before_owner
        assert session.scalar(select(func.count()).select_from(Assignment).where(Assignment.lead_id == lead_id, Assignment.actor == rachel.email)) == 0

    submitted = slack.send.view_submission(user=MANAGER, view=view)
    assert submitted.status_code == 200 and submitted.text == ""  # acknowledged: the dialog closes
    with slack.db.session() as session:
        assert session.get(Lead, lead_id).owner_id == rachel.id
        assignment = session.scalars(select(Assignment).where(Assignment.lead_id == lead_id).order_by(Assignment.id.desc())).first()
        assert assignment.rep_id == rachel.id and assignment.actor == rachel.email and "Slack" in assignment.reason
        audit = session.scalars(select(AuditEvent).where(AuditEvent.lead_id == lead_id, AuditEvent.field == "owner").order_by(AuditEvent.id.desc())).first()
        assert audit.actor == rachel.email and audit.new_value == rachel.email
    told = slack.reply_in(ts, after=1)["args"]
    assert ":white_check_mark:" in told["text"] and f"lead {lead_id}" in told["text"]


def test_a_rep_cannot_take_another_reps_lead(slack):
    maya = rep_of(slack.db, REP)
    ts = slack.new_ts()
    slack.send.mention(user=MANAGER, channel=CHANNEL, text=CARD, ts=ts)
    reply = slack.reply_in(ts)
    with slack.db.session() as session:
        lead_id = next(i for i in row_ids(reply["args"]["blocks"]) if session.get(Lead, i).owner_id not in (None, maya.id))
        owner = session.get(Lead, lead_id).owner_id
    message = {"ts": reply["ts"], "thread_ts": ts, "blocks": reply["args"]["blocks"]}
    opened_before = len(slack.api.calls_to("views.open"))
    slack.send.block_action(user=REP, channel=CHANNEL, message=message, response_url=slack.api.response_url("steal"),
                            action={"type": "button", "action_id": "lead_assign", "block_id": f"actions:{lead_id}", "value": str(lead_id)})
    refused = slack.api.wait_for("chat.postEphemeral", lambda args: args["user"] == REP and f"Lead {lead_id} " in args["text"])
    assert "belongs to another rep" in refused["args"]["text"]
    assert len(slack.api.calls_to("views.open")) == opened_before
    with slack.db.session() as session:
        assert session.get(Lead, lead_id).owner_id == owner


def test_hot_lead_alert_has_buttons_and_a_rep_can_claim_and_snooze_from_it(slack):
    maya = rep_of(slack.db, REP)
    with slack.db.session() as session:
        lead = session.scalars(select(Lead).where(Lead.tier == "hot", Lead.owner_id.is_(None)).order_by(Lead.id)).first()
        row = lead_row(lead)
    alerts = WebClient(token=BOT_TOKEN, base_url=slack.api.base_url)
    posted = post_hot_lead_alert(alerts, channel="C0ALERTS", lead_row=row)
    assert posted["ok"]
    alert = slack.api.wait_for("chat.postMessage", lambda args: args["channel"] == "C0ALERTS")
    buttons = block(alert["args"]["blocks"], f"alert:{row['id']}")["elements"]
    assert [b["action_id"] for b in buttons] == ["lead_assign", "lead_snooze", "lead_explain"]
    assert row["company"].replace("&", "&amp;") in alert["args"]["blocks"][0]["text"]["text"]

    message = {"ts": alert["ts"], "text": alert["args"]["text"], "blocks": alert["args"]["blocks"]}
    for action_id in ("lead_assign", "lead_snooze"):
        slack.send.block_action(user=REP, channel="C0ALERTS", message=message, response_url=slack.api.response_url(action_id),
                                action={"type": "button", "action_id": action_id, "block_id": f"alert:{row['id']}", "value": str(row["id"])})
    assign_view = slack.api.wait_for("views.open", lambda args: args["view"]["callback_id"] == "confirm_assign" and f"lead {row['id']}," in json.dumps(args["view"]))["view"]
    snooze_view = slack.api.wait_for("views.open", lambda args: args["view"]["callback_id"] == "confirm_snooze" and f"lead {row['id']})" in json.dumps(args["view"]))["view"]

    assert slack.send.view_submission(user=REP, view=assign_view).status_code == 200
    three_days = {"days": {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "3 days"}, "value": "3"}}}}
    assert slack.send.view_submission(user=REP, view=snooze_view, values=three_days).status_code == 200
    with slack.db.session() as session:
        claimed = session.get(Lead, row["id"])
        assert claimed.owner_id == maya.id
        assert claimed.snoozed_until == NOW + timedelta(days=3)
        actors = {e.field: e.actor for e in session.scalars(select(AuditEvent).where(AuditEvent.lead_id == row["id"], AuditEvent.field.in_(("owner", "snooze"))))}
        assert actors == {"owner": maya.email, "snooze": maya.email}
    # Both confirmations land in the alert's thread.
    slack.reply_in(alert["ts"], after=1)

    # Claiming it again: already hers, so no dialog.
    opened = len(slack.api.calls_to("views.open"))
    slack.send.block_action(user=REP, channel="C0ALERTS", message=message, response_url=slack.api.response_url("again"),
                            action={"type": "button", "action_id": "lead_assign", "block_id": f"alert:{row['id']}", "value": str(row["id"])})
    slack.api.wait_for("chat.postEphemeral", lambda args: "already yours" in args["text"])
    assert len(slack.api.calls_to("views.open")) == opened


def test_explain_score_posts_the_breakdown_in_the_thread(slack):
    ts = slack.new_ts()
    slack.send.mention(user=MANAGER, channel=CHANNEL, text=CARD, ts=ts)
    reply = slack.reply_in(ts)
    lead_id = row_ids(reply["args"]["blocks"])[0]
    message = {"ts": reply["ts"], "thread_ts": ts, "blocks": reply["args"]["blocks"]}
    slack.send.block_action(user=MANAGER, channel=CHANNEL, message=message, response_url=slack.api.response_url("explain"),
                            action={"type": "overflow", "action_id": "lead_row", "block_id": f"lead:{lead_id}",
                                    "selected_option": {"text": {"type": "plain_text", "text": "Explain score"}, "value": f"explain:{lead_id}"}})
    explained = slack.reply_in(ts, after=1)["args"]
    text = block(explained["blocks"], "explain")["text"]["text"]
    with slack.db.session() as session:
        lead = session.get(Lead, lead_id)
        assert f"lead {lead_id}) scores {lead.score}" in text
        assert score_lines(lead.score_breakdown)
        # The score card: tier and score, a bar per category with its points, no policy version.
        card = " ".join(b["text"]["text"] for b in explained["blocks"])
        assert f"*{lead.tier}*  *{lead.score}* of 100" in card
        # Fit × engagement: the cell in words and each axis with its score and grade or level.
        axes, cell = lead.score_breakdown["axes"], lead.score_breakdown["cell"]
        assert f"*Cell {cell}: " in card and ("fit, " in card and "engaged" in card)
        assert f"*Fit {axes['fit']['score']:g} of 100, grade {axes['fit']['grade']} (" in card
        assert f"*Engagement {axes['engagement']['score']:g} of 100, level {axes['engagement']['level']} (" in card
        for name, part in lead.score_breakdown["categories"].items():
            assert f"{name.replace('_', ' ')}" in card and f"{part['points']:g} of {part['cap']:g}" in card
        assert lead.score_breakdown["policy_version"] not in card and "capped at" not in card


# -- DMs, /leads, unknown users ------------------------------------------------------------------------------


def test_a_dm_answers_as_the_rep_who_sent_it(slack):
    maya = rep_of(slack.db, REP)
    ts = slack.new_ts()
    slack.send.message(user=REP, channel="D0MAYA", text="show my leads", ts=ts, channel_type="im")
    reply = slack.reply_in(ts)["args"]
    with slack.db.session() as session:
        owned = select(Lead).where(Lead.owner_id == maya.id, Lead.stage.not_in(("CUSTOMER", "LOST")))  # open: the default
        mine = sorted(session.scalars(owned), key=lambda l: (l.score is None, -(l.score or 0), l.id))
    assert row_ids(reply["blocks"]) == [l.id for l in mine][: slack_blocks.PAGE_SIZE]
    assert f"Found {len(mine)} open leads" in block(reply["blocks"], "answer")["text"]["text"]


def test_slash_command_posts_the_answer_and_its_thread_is_the_conversation(slack):
    expected = expected_card(slack.db)
    response = slack.send.command(user=MANAGER, channel=CHANNEL, text=CARD, response_url=slack.api.response_url("cmd"))
    assert response.status_code == 200 and response.text == ""  # acknowledged at once
    placeholder = slack.api.wait_for("chat.postMessage", lambda args: args["channel"] == CHANNEL and "hourglass" in args.get("text", ""))
    updated = slack.api.wait_for("chat.update", lambda args: args["ts"] == placeholder["ts"] and args.get("blocks"))["args"]
    assert row_ids(updated["blocks"]) == expected[: slack_blocks.PAGE_SIZE]
    assert f"<@{MANAGER}> asked" in block(updated["blocks"], "answer")["text"]["text"]

    slack.send.mention(user=MANAGER, channel=CHANNEL, text="only the ones in SF", ts=slack.new_ts(), thread_ts=placeholder["ts"])
    narrowed = slack.reply_in(placeholder["ts"])["args"]
    assert row_ids(narrowed["blocks"]) == expected_card(slack.db, city="San Francisco")[: slack_blocks.PAGE_SIZE]

    # Where the bot may not post, the answer comes back privately through the response URL.
    slack.api.channels_without_bot.add("C0PRIVATE")
    slack.send.command(user=MANAGER, channel="C0PRIVATE", text=CARD, response_url=slack.api.response_url("private"))
    private = slack.api.wait_for("response_url", lambda args: args.get("response_type") == "ephemeral" and args.get("blocks"))
    assert row_ids(private["args"]["blocks"]) == expected[: slack_blocks.PAGE_SIZE]


def test_unknown_slack_users_are_told_and_never_reach_the_agent(slack):
    runs = agent_runs(slack.db)
    slack.send.mention(user="U0STRANGER", channel=CHANNEL, text=CARD, ts=slack.new_ts())
    told = slack.api.wait_for("chat.postEphemeral", lambda args: args["user"] == "U0STRANGER")
    assert "not linked to a rep" in told["args"]["text"] and "U0STRANGER" in told["args"]["text"]
    slack.send.command(user="U0STRANGER", channel=CHANNEL, text=CARD, response_url=slack.api.response_url("stranger"))
    assert "not linked to a rep" in slack.api.wait_for("response_url", lambda args: "U0STRANGER" in args.get("text", ""))["args"]["text"]
    assert agent_runs(slack.db) == runs


# -- request verification -----------------------------------------------------------------------------------


def test_unsigned_badly_signed_and_replayed_requests_are_refused_before_any_listener(slack):
    runs, calls = agent_runs(slack.db), len(slack.api.calls)
    body = slack.send.event_body({"type": "app_mention", "user": MANAGER, "text": f"<@U0BOT> {CARD}", "ts": "1.1", "channel": CHANNEL, "event_ts": "1.1"})
    now = int(time.time())
    refused = {
        "unsigned": slack.send.post(body, "application/json", signed=False),
        "bad signature": slack.send.post(body, "application/json", signature="v0=" + "0" * 64),
        "signed with another secret": SlackSender(slack.send.url, secret="not-the-secret").post(body, "application/json"),
        "stale (replayed) timestamp": slack.send.post(body, "application/json", timestamp=now - 600),
        "body changed after signing": slack.send.post(body.replace(CARD, "show all leads"), "application/json",
                                                      timestamp=now, signature=sign(SIGNING_SECRET, now, body)),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 401)
    command = slack.send.post("command=%2Fleads&text=show+all+leads&user_id=U0DEMO01&channel_id=C0SALES&team_id=T0TEST",
                              "application/x-www-form-urlencoded", signed=False)
    assert command.status_code == 401
    time.sleep(0.3)
    assert agent_runs(slack.db) == runs and len(slack.api.calls) == calls


# -- pure parts: text parsing, blocks, manifest -----------------------------------------------------------


def test_question_from_slack_text():
    assert question_from_text("<@U0BOT> show hot leads in <https://stripe.com|stripe.com> &amp; more") == "show hot leads in stripe.com & more"
    assert question_from_text("<@U0BOT>   ") == ""


def test_lead_table_pages_and_escapes():
    leads = [{"id": i, "company": f"A&B <{i}>", "contact_name": "Jo", "tier": "hot", "score": 90 - i, "owner": None,
              "last_contacted_at": None} for i in range(1, 24)]
    first = slack_blocks.leads_table_blocks(leads, more_token="tok")
    assert row_ids(first) == list(range(1, 11))
    assert "A&amp;B &lt;1&gt;" in first[0]["text"]["text"] and "never" in first[0]["text"]["text"] and "unassigned" in first[0]["text"]["text"]
    assert block(first, "more")["elements"][0]["value"] == "tok:10"
    last = slack_blocks.leads_table_blocks(leads, start=20, more_token="tok")
    assert row_ids(last) == [21, 22, 23] and not any(b.get("block_id") == "more" for b in last)
    assert "Showing 21–23 of 23" in json.dumps(last, ensure_ascii=False)
    assert len(first) <= 50  # Slack's limit per message
    # A typed "next page" searched from offset 10 of 17: the rows are 11–17 of the whole list.
    paged = slack_blocks.leads_table_blocks(leads[:7], total=17, offset=10)
    assert "Showing 11–17 of 17" in json.dumps(paged, ensure_ascii=False) and "were returned" not in json.dumps(paged)
    middle = slack_blocks.leads_table_blocks(leads[:10], total=40, offset=10)
    assert "Showing 11–20 of 40 (leads 11–20 were returned" in json.dumps(middle, ensure_ascii=False)


def test_aggregate_answers_render_as_a_short_table():
    table = slack_blocks.aggregate_table_block([{"source": "referral", "conversion_rate": 0.4321}, {"source": "paid", "conversion_rate": 0.1}])
    text = table["text"]["text"]
    assert text.startswith("```") and "referral" in text and "43.2%" in text and "10.0%" in text


def test_manifest_matches_the_listeners():
    manifest = yaml.safe_load((ROOT / "interfaces" / "slack" / "manifest.yaml").read_text())
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) >= {"app_mention", "message.im", "message.channels"}
    assert settings["interactivity"]["is_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/leads"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history", "channels:history"} <= scopes
    urls = {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"], manifest["features"]["slash_commands"][0]["url"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


def test_missing_slack_settings_are_named():
    with pytest.raises(SlackConfigError, match="LEADPILOT_SLACK_BOT_TOKEN.*LEADPILOT_SLACK_SIGNING_SECRET"):
        build_slack_app(load_settings(), None)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="starts with xoxb-") as error:
        load_settings(slack_bot_token="xoxp-user-token-do-not-print")
    assert "do-not-print" not in str(error.value) and "LEADPILOT_SLACK_BOT_TOKEN='***'" in str(error.value)
    with pytest.raises(SettingsError, match="channel ID"):
        load_settings(slack_alert_channel="#sales")


def test_socket_mode_is_chosen_by_the_app_token_and_needs_no_signing_secret():
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    settings = load_settings(slack_bot_token=BOT_TOKEN, slack_app_token="xapp-1-test")
    assert settings.slack_mode == "socket" and load_settings(slack_bot_token=BOT_TOKEN).slack_mode == "http"
    app = build_slack_app(settings, None)  # type: ignore[arg-type]

    async def build() -> None:  # built, not connected (that needs Slack's servers)
        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        assert handler.app is app and handler.client.app_token == "xapp-1-test"
        await handler.client.close()

    asyncio.run(build())


def test_leadpilot_slack_command_serves_signed_requests_only(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADPILOT_SLACK")}
    env.update(LEADPILOT_SLACK_BOT_TOKEN=BOT_TOKEN, LEADPILOT_SLACK_SIGNING_SECRET=SIGNING_SECRET, LEADPILOT_SLACK_PORT=str(port),
               LEADPILOT_SLACK_API_URL="http://127.0.0.1:9/api/")
    process = subprocess.Popen([sys.executable, "-m", "leadpilot.interfaces.cli", "slack"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "leadpilot slack did not start"
            time.sleep(0.1)
        sender = SlackSender(f"{url}/slack/events")
        challenge = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
        assert sender.post(challenge, "application/json", signed=False).status_code == 401
        ok = sender.post(challenge, "application/json")
        assert ok.status_code == 200 and ok.json() == {"challenge": "abc123"}
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/slack/events" in output

    missing = subprocess.run([sys.executable, "-m", "leadpilot.interfaces.cli", "slack"], env={k: v for k, v in env.items() if k != "LEADPILOT_SLACK_SIGNING_SECRET"},
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "LEADPILOT_SLACK_SIGNING_SECRET" in missing.stderr and re.search(r"Socket\s+Mode", missing.stderr)


def test_every_layout_passes_the_slack_sdk_block_kit_validation():
    """Slack's own SDK models check lengths, required fields and element types."""
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    from leadpilot.agent.runner import AgentAnswer

    lead = {"id": 7, "company": "Ledgerly & Co " + "x" * 200, "contact_name": "Ana Lima", "job_title": "CFO", "industry": "fintech",
            "city": "San Francisco", "state": "CA", "country": "US", "tier": "hot", "score": 91, "owner": "ana@team.io", "stage": "LEAD",
            "source": "referral", "last_contacted_at": "2026-11-10T09:00:00+00:00", "created_at": "2026-11-01T09:00:00+00:00",
            "score_breakdown": {"policy_version": "abc123"}}
    many = [{**lead, "id": i} for i in range(1, 40)]
    calls = [{"name": "search_leads", "args": {"filter": {"tier": ["hot"], "industry": ["fintech"], "not_contacted_in_days": 3}}}]
    layouts = [
        slack_blocks.answer_blocks(AgentAnswer(question=CARD, answer="Found 39 leads.", tool_calls=calls, leads=many, total=39,
                                               filters_applied=["tier: hot"]), more_token="t0k", asked_by="U1"),
        slack_blocks.answer_blocks(AgentAnswer(question="show lead 7", answer="Lead 7.", tool_calls=[{"name": "get_lead", "args": {"lead_id": 7}}], leads=[lead])),
        slack_blocks.answer_blocks(AgentAnswer(question="by source", answer="Counts.", rows=[{"source": "referral", "count": 3}] * 30)),
        slack_blocks.answer_blocks(AgentAnswer(question="purple", answer="I don't understand 'purple'.")),
        slack_blocks.hot_lead_alert_blocks(lead),
        slack_blocks.explain_blocks(lead, ["source +25 (cap 25): referral source +25"] * 5),
    ]
    for layout in layouts:
        assert len(layout) <= 50
        for item in layout:
            parsed = Block.parse(item)
            assert parsed is not None, item
            parsed.to_dict()  # raises SlackObjectFormationError when a limit is broken
    for view in (slack_blocks.confirm_assign_view(lead, to_name="Ana Lima", metadata="{}"),
                 slack_blocks.confirm_snooze_view(lead, metadata="{}"), slack_blocks.notice_view("Not assigned", "Nope.")):
        View(**view).to_dict()
