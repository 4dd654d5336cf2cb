"""Block Kit for Leadpilot's Slack messages: pure functions from answer data to blocks.

Nothing here talks to Slack or the store; each function takes plain data (an `AgentAnswer`, lead
rows as the agent returns them) and returns Block Kit dicts, so every layout is unit-testable.

Action ids the listeners handle (listeners/actions.py):
- ``lead_row``: the overflow menu on a lead row; option values are ``assign:ID``, ``snooze:ID``,
  ``explain:ID``.
- ``lead_assign`` / ``lead_snooze`` / ``lead_explain``: buttons on a lead card or a hot-lead
  alert; the value is the lead id.
- ``show_more``: value ``TOKEN:OFFSET``, the next page of a long list.
Modal callback ids (listeners/views.py): ``confirm_assign``, ``confirm_snooze``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from leadpilot.interfaces.answer_view import (answer_filters, cell_text, day_text, filters_text, list_offset, part_tables, rep_name,
                                              rows_table, split_tables, stage_text, with_names)

PAGE_SIZE = 10  # lead rows per message (Slack allows 50 blocks)
PART_LEADS = 5  # lead rows per part of a several-part answer
AGGREGATE_ROWS = 20  # rows of an aggregate table
SNOOZE_CHOICES = (1, 3, 7, 14, 30)
DEFAULT_SNOOZE_DAYS = 7

TIER_EMOJI = {"hot": ":fire:", "warm": ":large_orange_diamond:", "cold": ":snowflake:"}
_SECTION_LIMIT = 3000  # characters in a section's text
_CONTEXT_LIMIT = 2000
_FALLBACK_LIMIT = 3000  # notification text


# ---------------------------------------------------------------------------------------------
# Text helpers


def escape(text: Any) -> str:
    """Slack mrkdwn escaping: only &, < and > are control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int = _SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def _date(value: str | None) -> str:
    return day_text(value)


def _company(lead: Mapping[str, Any]) -> str:
    return lead.get("company") or lead.get("contact_name") or f"lead {lead['id']}"


def _tier(lead: Mapping[str, Any]) -> str:
    tier = lead.get("tier")
    score = lead.get("score")
    if not tier and score is None:
        return "not scored"
    emoji = TIER_EMOJI.get(tier or "", "")
    return " ".join(part for part in (emoji, f"*{tier}*" if tier else "", "" if score is None else str(score)) if part)


def _owner(lead: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The lead's owner by name (their email when no name is known), or "unassigned"."""
    return escape(rep_name(lead.get("owner"), names))


def describe_call(call: Mapping[str, Any]) -> str:
    """`search_leads(tier=hot, industry=fintech, not_contacted_in_days=3)`: one tool call, compact."""
    args = dict(call.get("args") or {})
    flat: dict[str, Any] = {}
    flat.update(args.pop("filter", None) or {})
    flat.update(args)
    parts = []
    for key, value in flat.items():
        if isinstance(value, list):
            value = ",".join(json.dumps(v, default=str) if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            value = json.dumps(value, default=str)
        parts.append(f"{key}={value}")
    return f"{call.get('name', '?')}({', '.join(parts)})"


# ---------------------------------------------------------------------------------------------
# Lead rows, tables, context


def lead_row_text(lead: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Two lines: company and contact; tier, score, last contact and owner (by name)."""
    contact = escape(lead.get("contact_name") or "no contact")
    title = f", {escape(lead['job_title'])}" if lead.get("job_title") else ""
    text = (
        f"*{escape(_company(lead))}* · {contact}{title}\n"
        f"{_tier(lead)} · last contact {_date(lead.get('last_contacted_at'))} · owner {_owner(lead, names)}"
    )
    if follow_up := lead.get("follow_up"):  # a follow-up list: when to call, and why
        text += f"\n:telephone_receiver: {escape(follow_up['suggested_time'])} — {escape(follow_up['reason'])}; {escape(follow_up['why_this_time'])}"
    return text


def lead_row_actions(lead_id: int) -> dict[str, Any]:
    """The overflow menu on a lead row: assign to me, snooze, explain score."""
    return {
        "type": "overflow",
        "action_id": "lead_row",
        "options": [
            {"text": _plain("Assign to me"), "value": f"assign:{lead_id}"},
            {"text": _plain("Snooze…"), "value": f"snooze:{lead_id}"},
            {"text": _plain("Explain score"), "value": f"explain:{lead_id}"},
        ],
    }


def lead_row_block(lead: Mapping[str, Any], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "type": "section",
        "block_id": f"lead:{lead['id']}",
        "text": _mrkdwn(lead_row_text(lead, names)),
        "accessory": lead_row_actions(int(lead["id"])),
    }


def leads_table_blocks(
    leads: Sequence[Mapping[str, Any]], *, start: int = 0, total: int | None = None, more_token: str | None = None,
    page_size: int = PAGE_SIZE, offset: int = 0, names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """A page of lead rows (from `start`), a "showing a–b of n" line and a "Show more" button when
    more rows follow. `more_token` names the full list for the show-more listener; `offset` is where
    the returned leads start in the whole list (a typed "next page")."""
    page = list(leads[start : start + page_size])
    total = offset + len(leads) if total is None else total
    blocks: list[dict[str, Any]] = [lead_row_block(lead, names) for lead in page]
    end = start + len(page)
    shown = f"Showing {offset + start + 1}–{offset + end} of {total}" if page else f"No more leads (of {total})"
    if total > offset + len(leads) and end >= len(leads):
        which = f"the first {len(leads)}" if offset == 0 else f"leads {offset + 1}–{offset + len(leads)}"
        shown += f" ({which} were returned; ask for the next page or narrow the question to see the rest)"
    blocks.append({"type": "context", "elements": [_mrkdwn(shown + " · company · contact · tier score · last contact · owner")]})
    if more_token is not None and end < len(leads):
        following = min(page_size, len(leads) - end)
        blocks.append({
            "type": "actions",
            "block_id": "more",
            "elements": [{
                "type": "button",
                "action_id": "show_more",
                "text": _plain(f"Show {following} more"),
                "value": f"{more_token}:{end}",
            }],
        })
    return blocks


def aggregate_table_block(rows: Sequence[Mapping[str, Any]], *, filters_applied: Sequence[str] = (),
                          names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Aggregate rows (one name column, then number columns) as a short aligned table, in a rep's
    words (interfaces/answer_view.rows_table: headers in words, reps by name, a total named by its filters)."""
    if not rows:
        return {"type": "section", "text": _mrkdwn("_No rows._")}
    headers, body = rows_table(list(rows[:AGGREGATE_ROWS]), filters_applied=filters_applied, names=names)
    if len(headers) == 1:  # one column: the number is its own name
        headers, body = ["", *headers], [["", *row] for row in body]
    more = [f"… and {len(rows) - AGGREGATE_ROWS} more"] if len(rows) > AGGREGATE_ROWS else []
    return {"type": "section", "block_id": "aggregate", "text": _mrkdwn(_code_table(headers, body, more))}


def _code_table(headers: Sequence[str], body: Sequence[Sequence[str]], more: Sequence[str] = ()) -> str:
    """A table as an aligned code block (Slack draws no Markdown tables): the name column left, the numbers right."""
    name_key, metrics = headers[0], list(headers[1:])
    labels = [row[0] for row in body]
    cells = [list(row[1:]) + [""] * (len(metrics) - len(row) + 1) for row in body]
    width = min(max([len(name_key)] + [len(n) for n in labels]), 40)
    widths = [max([len(metric)] + [len(row[i]) for row in cells]) for i, metric in enumerate(metrics)]
    lines = ["  ".join([f"{name_key:<{width}}", *(f"{m:>{w}}" for m, w in zip(metrics, widths))]),
             "  ".join(["-" * width, *("-" * w for w in widths)])]
    lines += ["  ".join([f"{_cut(n, width):<{width}}", *(f"{v:>{w}}" for v, w in zip(row, widths))]) for n, row in zip(labels, cells)]
    return "```\n" + escape("\n".join([*lines, *more])) + "\n```"


def slack_text(text: str) -> str:
    """An answer's text as Slack mrkdwn: a Markdown table in it (a comparison) as an aligned code block."""
    return "\n".join(escape(piece) if isinstance(piece, str) else _code_table(*piece) for piece in split_tables(text))


def context_block(filters_applied: Sequence[str], tool_calls: Sequence[Mapping[str, Any]],
                  names: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The small grey line under an answer: the filters applied (reps by name) and the tool calls behind it."""
    elements = []
    if filters_applied:
        elements.append(_mrkdwn(":mag: Filters: " + escape(filters_text(filters_applied, names)), _CONTEXT_LIMIT))
    if tool_calls:
        elements.append(_mrkdwn(":wrench: " + escape(" · ".join(describe_call(call) for call in tool_calls)), _CONTEXT_LIMIT))
    return {"type": "context", "block_id": "context", "elements": elements} if elements else None


def lead_card_blocks(lead: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One lead in detail, with Assign / Snooze / Explain buttons."""
    where = ", ".join(escape(x) for x in (lead.get("city"), lead.get("state"), lead.get("country")) if x)
    fields = [
        f"*Contact*\n{escape(lead.get('contact_name') or '—')}" + (f", {escape(lead['job_title'])}" if lead.get("job_title") else ""),
        f"*Tier / score*\n{_tier(lead)}",
        f"*Industry*\n{escape(cell_text('industry', lead.get('industry')))}",
        f"*Where*\n{where or '—'}",
        f"*Stage*\n{escape(stage_text(lead.get('stage')))}",
        f"*Owner*\n{_owner(lead, names)}",
        f"*Last contact*\n{_date(lead.get('last_contacted_at'))}",
        f"*Source*\n{escape(cell_text('source', lead.get('source')))}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": f"lead:{lead['id']}", "text": _mrkdwn(f"*{escape(_company(lead))}* (lead {lead['id']})"),
         "fields": [_mrkdwn(f, 2000) for f in fields]},
        lead_buttons(int(lead["id"])),
    ]
    return blocks


def lead_buttons(lead_id: int, *, block_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": block_id or f"actions:{lead_id}",
        "elements": [
            {"type": "button", "action_id": "lead_assign", "text": _plain("Assign to me"), "style": "primary", "value": str(lead_id)},
            {"type": "button", "action_id": "lead_snooze", "text": _plain("Snooze…"), "value": str(lead_id)},
            {"type": "button", "action_id": "lead_explain", "text": _plain("Explain score"), "value": str(lead_id)},
        ],
    }


def answer_blocks(answer: Any, *, more_token: str | None = None, page_size: int = PAGE_SIZE, asked_by: str | None = None) -> list[dict[str, Any]]:
    """An agent answer as a message: the answer text, then the leads (a table, or a card for one
    looked-up lead) or the aggregate table, then the filters and tool calls."""
    names = getattr(answer, "rep_names", None) or {}
    header = slack_text(with_names(answer.answer or "Done.", names))
    if asked_by:
        header = f"<@{asked_by}> asked: _{escape(answer.question)}_\n{header}"
    card = _score_card_of(answer)
    if card is not None and len(answer.tool_calls) == 1:  # the card says it all; the full text is the notification's
        header = (f"<@{asked_by}> asked: _{escape(answer.question)}_\n" if asked_by else "") + _card_header(card)
    blocks: list[dict[str, Any]] = [{"type": "section", "block_id": "answer", "text": _mrkdwn(header)}]
    looked_up = bool(answer.tool_calls) and answer.tool_calls[-1].get("name") == "get_lead"
    parts = part_tables(answer)  # a several-part answer: each part's own table, not only the last part's
    if card is not None:
        blocks += score_card_blocks(card)
    elif parts:
        for number, (heading, part) in enumerate(parts, start=1):
            drawn = (leads_table_blocks(part["leads"], total=part.get("total"), page_size=PART_LEADS, names=names) if part.get("leads")
                     else [aggregate_table_block(part["rows"], filters_applied=part.get("filters_applied") or [], names=names)])
            blocks.append({"type": "context", "block_id": f"part:{number}", "elements": [_mrkdwn(f"*{escape(heading)}*")]})
            # Block ids are unique in a message: the same lead may be listed by two parts.
            blocks += [{**block, "block_id": f"{block['block_id']}:part{number}"} if "block_id" in block else block for block in drawn]
    elif len(answer.parts or []) > 1:
        pass  # a comparison: its figures are the table in the text
    elif answer.leads and looked_up and len(answer.leads) == 1:
        blocks += lead_card_blocks(answer.leads[0], names)
    elif answer.leads:
        blocks.append({"type": "divider"})
        blocks += leads_table_blocks(answer.leads, total=answer.total, more_token=more_token, page_size=page_size,
                                     offset=list_offset(answer.tool_calls), names=names)
    elif answer.rows:
        blocks.append(aggregate_table_block(answer.rows, filters_applied=answer.filters_applied, names=names))
    context = context_block(answer_filters(answer), answer.tool_calls, names)
    if context:
        blocks.append(context)
    return blocks


def _card_header(card: Any) -> str:
    """The line over a score card: "Why *Acme (lead 7)* is hot:"; asked about a tier it is not, that
    first: "*Northgate Capital (lead 2366)* is warm (38), not hot. Why it is warm:"."""
    if card.not_asked and card.tier and card.score is not None:
        return f"*{escape(card.title)}* is {escape(card.tier)} ({card.score}), not {escape(card.asked)}. Why it is {escape(card.tier)}:"
    if card.not_asked:
        return escape(card.not_asked)
    return f"Why *{escape(card.title)}* is {escape(card.tier)}:" if card.tier else f"*{escape(card.title)}* has no score yet."


def answer_text(answer: Any) -> str:
    """The notification / screen-reader text that goes with the blocks."""
    lines = [with_names(answer.answer or "Done.", getattr(answer, "rep_names", None))]
    for lead in answer.leads[:5]:
        score = "" if lead.get("score") is None else f" {lead['score']}"
        lines.append(f"{_company(lead)} ({lead.get('tier') or 'unscored'}{score})")
    return _cut("\n".join(lines), _FALLBACK_LIMIT)


def page_blocks(leads: Sequence[Mapping[str, Any]], *, start: int, total: int | None, more_token: str | None, page_size: int = PAGE_SIZE,
                names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """A "show more" page posted in the thread."""
    return leads_table_blocks(leads, start=start, total=total, more_token=more_token, page_size=page_size, names=names)


def without_more_button(blocks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A message's blocks with its "Show more" button removed (after it was used)."""
    return [dict(block) for block in blocks if block.get("block_id") != "more"]


# ---------------------------------------------------------------------------------------------
# Explanations, notices, alerts


def _score_card_of(answer: Any):
    from leadpilot.interfaces.score_card import from_explanation

    explanation = getattr(answer, "score_explanation", None)
    return from_explanation(explanation) if explanation else None


def score_card_blocks(card: Any, *, block_id: str = "score") -> list[dict[str, Any]]:
    """Why a lead has its score (interfaces.score_card.ScoreCard): tier and score, a bar per
    category against its cap, the top reasons in words."""
    from leadpilot.interfaces.score_card import bar, number

    tier = " ".join(part for part in (TIER_EMOJI.get(card.tier or "", ""), f"*{card.tier}*" if card.tier else "") if part)
    head = f"*{escape(card.title)}*  {tier}" + (f"  *{card.score}* of 100" if card.score is not None else "  _not scored yet_")
    if card.threshold_note:
        head += f"\n_{escape(card.threshold_note)}_"
    notes = " ".join(note for note in (card.outcome, card.others) if note)
    if notes:
        head += f"\n{escape(notes)}"
    head += "".join(f"\n{line}" for line in score_card_axes(card))
    blocks: list[dict[str, Any]] = [{"type": "section", "block_id": block_id, "text": _mrkdwn(head)}]
    if card.categories:
        width = max(len(c.label) for c in card.categories)
        rows = [f"{c.label:<{width}}  {bar(c.share)}  {number(c.points)}" + (f" of {number(c.cap)}" if c.cap is not None else "")
                for c in card.categories]
        blocks.append({"type": "section", "block_id": f"{block_id}:categories", "text": _mrkdwn("```" + escape("\n".join(rows)) + "```")})
    if card.reasons:
        reasons = "\n".join(f"{n}. {escape(reason)}" for n, reason in enumerate(card.reasons, start=1))
        blocks.append({"type": "section", "block_id": f"{block_id}:reasons", "text": _mrkdwn(f"*Top reasons*\n{reasons}")})
    return blocks


def score_card_axes(card: Any) -> list[str]:
    """The card's fit × engagement lines in mrkdwn: the cell in words, each axis with a bar and its top
    reasons, the model's probability and the sentence when the rules and the model disagree."""
    from leadpilot.interfaces.score_card import bar

    lines = [f"*{escape(card.cell_line)}*"] if card.cell_line else []
    for axis in card.axes:
        reasons = " · ".join(escape(reason) for reason in axis.reasons) or "nothing yet"
        lines.append(f"*{escape(axis.heading)}*  `{bar(axis.share)}`\n      _{reasons}_")
    if card.model is not None:
        disagreement = card.model.disagreement
        lines.append(escape(card.model.sentence) + (f" _{escape(disagreement)}_" if disagreement else ""))
    return lines


def explain_blocks(lead: Mapping[str, Any], lines: Sequence[str]) -> list[dict[str, Any]]:
    """Why a lead has its score: the score card from its breakdown (`lines`, the breakdown in the
    scoring tool's words, only when there is no breakdown to draw)."""
    from leadpilot.interfaces.score_card import from_lead

    title = f"*Why {escape(_company(lead))} (lead {lead['id']}) scores {lead.get('score') if lead.get('score') is not None else 'nothing yet'}*"
    if lead.get("score_breakdown"):
        return [{"type": "section", "block_id": "explain", "text": _mrkdwn(title)}, *score_card_blocks(from_lead(lead))]
    body = "\n".join(f"• {escape(line)}" for line in lines) if lines else "_Not scored yet._"
    return [{"type": "section", "block_id": "explain", "text": _mrkdwn(f"{title}\n{body}")}]


def notice_blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": _mrkdwn(text)}]


def hot_lead_alert_blocks(lead: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A new hot lead, announced in the alert channel, with Assign / Snooze buttons."""
    where = ", ".join(escape(x) for x in (lead.get("city"), lead.get("country")) if x)
    facts = " · ".join(
        x for x in (
            escape(lead.get("industry") or ""), where, f"score {lead.get('score')}" if lead.get("score") is not None else "",
            f"model {lead['conversion_probability']:.0%}" if isinstance(lead.get("conversion_probability"), float) else "",
            f"source {escape(lead['source'])}" if lead.get("source") else "", f"owner {_owner(lead)}",
        ) if x
    )
    contact = escape(lead.get("contact_name") or "no contact")
    title = f", {escape(lead['job_title'])}" if lead.get("job_title") else ""
    return [
        {"type": "section", "block_id": f"lead:{lead['id']}",
         "text": _mrkdwn(f":fire: *New hot lead: {escape(_company(lead))}* — {contact}{title}\n{facts}")},
        {
            "type": "actions",
            "block_id": f"alert:{lead['id']}",
            "elements": [
                {"type": "button", "action_id": "lead_assign", "text": _plain("Assign to me"), "style": "primary", "value": str(lead["id"])},
                {"type": "button", "action_id": "lead_snooze", "text": _plain("Snooze…"), "value": str(lead["id"])},
                {"type": "button", "action_id": "lead_explain", "text": _plain("Explain score"), "value": str(lead["id"])},
            ],
        },
        *([{"type": "context", "block_id": "story", "elements": [_mrkdwn(escape(lead["score_story"]))]}] if lead.get("score_story") else []),
        {"type": "context", "elements": [_mrkdwn(f"lead {lead['id']} · created {_date(lead.get('created_at'))}")]},
    ]


def hot_lead_alert_text(lead: Mapping[str, Any]) -> str:
    return f"New hot lead: {_company(lead)} (score {lead.get('score')})"


# ---------------------------------------------------------------------------------------------
# Confirmation modals (writes happen only after the person confirms)


def confirm_assign_view(lead: Mapping[str, Any], *, to_name: str, metadata: str) -> dict[str, Any]:
    current = lead.get("owner") or "nobody (unassigned)"
    return {
        "type": "modal",
        "callback_id": "confirm_assign",
        "private_metadata": metadata,
        "title": _plain("Assign lead", 24),
        "submit": _plain("Assign to me", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {"type": "section", "block_id": "question", "text": _mrkdwn(
                f"Assign *{escape(_company(lead))}* (lead {lead['id']}, {_tier(lead)}) to you, *{escape(to_name)}*?\n"
                f"Current owner: {escape(current)}."
            )},
            {"type": "context", "elements": [_mrkdwn("The change is recorded in the lead's history with your name.")]},
        ],
    }


def confirm_snooze_view(lead: Mapping[str, Any], *, metadata: str, days: int = DEFAULT_SNOOZE_DAYS) -> dict[str, Any]:
    options = [{"text": _plain(f"{d} day{'s' if d > 1 else ''}"), "value": str(d)} for d in SNOOZE_CHOICES]
    initial = next(option for option in options if option["value"] == str(days))
    return {
        "type": "modal",
        "callback_id": "confirm_snooze",
        "private_metadata": metadata,
        "title": _plain("Snooze lead", 24),
        "submit": _plain("Snooze", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {"type": "section", "block_id": "question", "text": _mrkdwn(
                f"Snooze *{escape(_company(lead))}* (lead {lead['id']})? No reminders or alerts for it until the snooze ends."
            )},
            {"type": "input", "block_id": "days", "label": _plain("For how long"),
             "element": {"type": "static_select", "action_id": "value", "options": options, "initial_option": initial}},
        ],
    }


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (e.g. why a write did not happen)."""
    return {"type": "modal", "title": _plain(title, 24), "close": _plain("Close", 24), "blocks": notice_blocks(text)}
