"""Questions about one lead or account rather than a list: explain a score, predict conversion,
enrich, find duplicates, who should take a lead and why. Read before the filter reader, because
these sentences name a target ("lead 42", "Acme", "Madison O'Brien", "stripe.com") instead of
conditions. A company or person is passed to the tool by name (the tool finds its open lead); "it",
"this lead", "they" mean the one lead the conversation was last about (`last_lead_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadpilot.agent.numbers import words_to_digits
from leadpilot.agent.regex_gate import Gated

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1, "top": 1}
_LEAD_ID = Gated(r"\blead\s*(?:id\s*|#\s*|number\s*)?(\d+)\b|#\s*(\d+)\b")
_ORDINAL = Gated(r"\b(?:the\s+)?(first|second|third|fourth|fifth|last|top)\s+(?:one|lead|result|company)\b")
_TARGET_WORDS = Gated(r"\b(?:the\s+)?(?:lead|leads|account|company|at|for|of|from|with|about)\b")


@dataclass(frozen=True)
class Intent:
    tool: str
    args: dict[str, Any]


class TargetMissing(ValueError):
    """The question is one of these intents but names no lead we can find."""


# "it", "this lead", "they": the one lead the conversation is about (never a list: see `last_lead_id`).
_PRONOUN = Gated(
    r"\b(?:it|its|it's|him|his|her|he|she|he's|she's|they|them|their|they're)\b|\b(?:this|that|the\s+same)\s+(?:one|lead|account|company|contact|person|guy|prospect|deal)\b"
)


def _named(text: str, *, companies: dict[str, str], contacts: dict[str, str]) -> dict[str, Any] | None:
    """{"company": name} or {"contact": name} for the longest store name the text mentions
    (a company wins a tie; a person needs a full name of two words or more)."""
    words = re.findall(r"[a-z0-9][a-z0-9&.'’-]*", text.replace("’", "'"))
    for size in range(min(6, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size]).removesuffix("'s")
            if phrase in companies:
                return {"company": companies[phrase]}
            if size >= 2 and phrase in contacts:
                return {"contact": contacts[phrase]}
    return None


def _target(
    text: str, *, companies: dict[str, str], last_lead_ids: tuple[int, ...], contacts: dict[str, str] | None = None,
    last_lead_id: int | None = None,
) -> dict[str, Any]:
    """{"lead_id": n}, {"company": name} or {"contact": name} for the lead the sentence names: by id,
    by position in the last list, by company or person, or by a pronoun after one lead."""
    if match := _LEAD_ID.search(text):
        return {"lead_id": int(match.group(1) or match.group(2))}
    if (match := _ORDINAL.search(text)) and last_lead_ids:
        position = _ORDINALS[match.group(1)]
        index = position - 1 if position > 0 else len(last_lead_ids) - 1
        if index < len(last_lead_ids):
            return {"lead_id": last_lead_ids[index]}
    if (found := _named(text, companies=companies, contacts=contacts or {})) is not None:
        return found
    if last_lead_id is not None and _PRONOUN.search(text):
        return {"lead_id": last_lead_id}
    raise TargetMissing(text)


_EXPLAIN = Gated(
    r"\b(?:explain|why)\b.*\b(?:score|scored|scoring|hot|warm|cold|tier)\b|\bscore\s+(?:breakdown|explanation)\b|\bbreak\s+down\b.*\bscore\b"
)
_SCORE_OF = Gated(r"'s\s+(?:lead\s+)?score\b|\bscore\s+(?:of|for|on)\s+(?!leads\b|at\s+least|above|over|more|less|below|under|\d)")
_PREDICT = Gated(
    r"\b(?:predict|prediction)\b|\bwill\b.*\b(?:convert|close|buy|sign)\b|\bhow\s+likely\b|\b(?:chance|odds|probability|likelihood)\s+(?:that|of|to)\b.*\b(?:convert|close|buy|sign|converting|closing)\b"
)
_ENRICH = Gated(r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?enrich\s+(.+?)\s*[?.!]*\s*$")
_DUPLICATES = Gated(
    r"\b(?:duplicates?|dupes?|dups?|duplicated)\b(?:\s+(?:of|for|to))?\s*(.*?)\s*[?.!]*\s*$|\b(?:already|existing)\s+(?:a\s+)?(?:lead|customer|account)s?\b"
)
_EMAILISH = Gated(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAINISH = Gated(r"\b(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b")


_SUGGEST = Gated(
    r"\bwho\s+should\s+(?:take|get|own|work|handle|have|be\s+assigned|we\s+assign|i\s+assign)\b|\broute\s+(?:lead|the|this)\b"
    r"|\bwho\s+(?:gets|would\s+get)\b|\bwhich\s+rep\s+(?:should|would|gets)\b|\bwho\s+is\s+the\s+right\s+rep\b"
)
_WHY_ASSIGNED = Gated(r"\bwhy\s+(?:does|did|do|is|was)\b.*\b(?:have|own|owns|got|get|assigned|given)\b")
_WHAT_IF_OUT = Gated(
    r"\bwhat\s+if\s+(?P<who>.+?)\s+(?:is|are|was|were|goes|go)\s+(?:out|off|away|on\s+holiday|on\s+vacation|on\s+leave|sick|unavailable|out\s+of\s+(?:the\s+)?office)"
    r"(?:\s+(?:on\s+)?(?P<day>tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2}))?"
)
_POOL_CHANGE = Gated(
    r"\b(?:what\s+if\s+(?:we\s+)?)?(?P<verb>add|put|move|remove|take|drop)\s+(?P<who>.+?)\s+(?:to|into|from|out\s+of)\s+(?:the\s+)?(?P<pool>[a-z0-9_-]+)(?:\s+pool)?\b"
)

_BEST_TIME = Gated(
    r"\b(?:best|good|right|ideal|optimal|better)\s+(?:time|day|hour|moment|window)s?\s+(?:to|for)\s+(?:call(?:ing)?|contact(?:ing)?|reach(?:ing)?|"
    r"email(?:ing)?|ring(?:ing)?|phon(?:e|ing)|catch(?:ing)?|ping(?:ing)?|get(?:ting)?\s+(?:hold\s+of|through\s+to)|follow(?:ing)?\s+up\s+with)\b"
    r"|\bwhen\s+(?:should|can|do|could|shall)\s+(?:i|we)\s+(?:call|contact|reach|email|ring|phone|catch|ping)\b"
    r"|\bwhen\s+is\s+.+?\s+(?:most\s+)?(?:responsive|reachable|active|engaged|available)\b"
)


def _reps_in(text: str, reps: dict[str, str]) -> list[str]:
    """Rep emails named in `text` (full names first, then first names / emails), in order."""
    found: list[str] = []
    for name in sorted(reps, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", text) and reps[name] not in found:
            found.append(reps[name])
            text = re.sub(rf"\b{re.escape(name)}\b", " ", text)
    return found


# "who owns it?", "tell me more about it", "show that lead": the profile of the lead just discussed.
_ABOUT_IT = Gated(
    r"^\s*(?:and\s+|so\s+|ok\s+|okay\s+)?(?:who\s+(?:owns|has|is\s+working(?:\s+on)?|is\s+(?:the\s+)?(?:owner|rep)\s+(?:of|for|on))"
    r"|(?:what|which)\s+stage\s+is|(?:please\s+)?(?:show(?:\s+me)?|open|tell\s+me\s+(?:more\s+)?about|more\s+(?:on|about)|details\s+(?:on|of|for)))\s+"
    r"(?P<it>it|him|her|them|this\s+(?:one|lead)|that\s+(?:one|lead))(?:\s+in)?\s*[?.!]*\s*$"
)


# "who's the owner?", "who's the rep?", "and the owner?": asked right after one lead, about that lead.
_ITS_OWNER = Gated(
    r"^\s*(?:and\s+|so\s+|ok\s+|okay\s+)?(?:(?:who(?:'s|\s+is|\s+was)|which\s+rep\s+(?:is|has))\s+(?:the\s+|its\s+|their\s+)?"
    r"(?:owner|rep|ae|account\s+(?:owner|exec(?:utive)?)|sales\s*rep|point\s+of\s+contact)|the\s+owner|owner|who\s+owns\s+(?:this|that))"
    r"(?:\s+(?:on\s+(?:it|this|that)|there|now))?\s*[?.!]*\s*$"
)


# "when was it last contacted?", "what stage are they in?", "is it still open?": a short question about one
# field of the lead just discussed; its profile answers it. Lists ("which of them", "their leads") are not this.
_IT_FIELD = Gated(
    r"^\s*(?:and\s+|so\s+|ok\s+|okay\s+)?(?:when|what|what's|whats|where|which|how|is|was|has|have|did|does|do|are)\b"
    r"(?!.*\b(?:leads|deals|accounts|companies|customers|ones|many|much|all|every|list|avg|average|mean|median|total|sum|count|number|most|top|of\s+(?:them|those|these))\b)"
    r"(?=.*\b(?:contact(?:ed)?|touched|called|emailed|stage|status|open|closed|won|lost|owner|owns|rep|score|scored|tier|hot|warm|cold|"
    r"based|located|where|created|added|email|phone|industry|size|employees|big|title|role|source)\b)"
    r".*\b(?:it|its|it's|they|their|they're|them|he|she|his|her|this\s+(?:one|lead)|that\s+(?:one|lead))\b"
)


def read_intent(
    question: str, *, companies: dict[str, str], last_lead_ids: tuple[int, ...] = (), reps: dict[str, str] | None = None,
    contacts: dict[str, str] | None = None, last_lead_id: int | None = None,
) -> Intent | None:
    """The single-target intent of a question, or None when it is a question about a list.

    `contacts`: the store's contact names (lower case -> as stored), so a person names their lead;
    `last_lead_id`: the one lead the conversation was last about, what "it" and "they" mean."""
    text = " ".join(words_to_digits(question).replace("’", "'").lower().split())
    reps = reps or {}

    def target(words: str) -> dict[str, Any]:
        return _target(words, companies=companies, last_lead_ids=last_lead_ids, contacts=contacts, last_lead_id=last_lead_id)

    if match := _WHAT_IF_OUT.search(text):
        out = _reps_in(match.group("who"), reps)
        if out:
            return Intent("routing_what_if", {"out": out, "day": match.group("day") or "tomorrow"})
    if (match := _POOL_CHANGE.search(text)) and "pool" in text:
        people = _reps_in(match.group("who"), reps)
        if people:
            key = "add_to_pool" if match.group("verb") in ("add", "put", "move") else "remove_from_pool"
            return Intent("routing_what_if", {key: [{"rep": rep, "pool": match.group("pool")} for rep in people]})
    if last_lead_id is not None and (_ABOUT_IT.search(text) or _ITS_OWNER.search(text)):
        return Intent("get_lead", {"lead_id": last_lead_id})
    if _BEST_TIME.search(text):
        return Intent("best_time_to_contact", target(text))
    if _SUGGEST.search(text):
        return Intent("suggest_owner", target(text))
    if _WHY_ASSIGNED.search(text) and (_LEAD_ID.search(text) or (last_lead_id is not None and _PRONOUN.search(text))):
        lead = _LEAD_ID.search(text)
        args: dict[str, Any] = {"lead_id": int(lead.group(1) or lead.group(2)) if lead else last_lead_id}
        if named := _reps_in(text, reps):
            args["rep"] = named[0]
        return Intent("explain_assignment", args)
    if match := _ENRICH.match(text):
        aim = match.group(1).strip()
        if email := _EMAILISH.search(aim):
            return Intent("enrich", {"target": email.group(0)})
        if (lead := _LEAD_ID.search(aim)) is not None:
            return Intent("enrich", {"target": f"lead {lead.group(1) or lead.group(2)}"})
        if domain := _DOMAINISH.search(aim):
            return Intent("enrich", {"target": domain.group(1)})
        found = target(aim)
        return Intent("enrich", {"target": f"lead {found['lead_id']}" if "lead_id" in found else found.get("company") or found["contact"]})
    if _DUPLICATES.search(text):
        if email := _EMAILISH.search(text):
            return Intent("find_duplicates", {"query": email.group(0)})
        if (lead := _LEAD_ID.search(text)) is not None:
            return Intent("find_duplicates", {"lead_id": int(lead.group(1) or lead.group(2))})
        if domain := _DOMAINISH.search(text):
            return Intent("find_duplicates", {"query": domain.group(1)})
        found = target(text)
        return Intent("find_duplicates", {"lead_id": found["lead_id"]} if "lead_id" in found else {"query": found.get("company") or found["contact"]})
    if _EXPLAIN.search(text) and not re.search(r"\b(?:leads|which|how many|show|list)\b", text):
        return Intent("explain_score", target(text))
    if _PREDICT.search(text) and not re.search(r"\b(?:leads|which|how many|show|list)\b", text):
        return Intent("predict_conversion", target(text))
    if _SCORE_OF.search(text) and not re.search(r"\b(?:leads|which|how many|list|average|avg|mean|median|total)\b", text):
        try:  # "what's Acme's score?", "score for lead 42": only when it names a lead (else a score filter)
            return Intent("explain_score", target(text))
        except TargetMissing:
            return None
    if len(text.split()) <= 9 and (_IT_FIELD.search(text) or _ABOUT_IT.search(text) or _ITS_OWNER.search(text)):
        if last_lead_id is None:
            raise TargetMissing(text)  # "who owns it?" with nothing said before: ask which lead, not "what to look up"
        return Intent("get_lead", {"lead_id": last_lead_id})
    return None


_SEMANTIC = Gated(
    r"\b(?:leads?|accounts?|compan(?:y|ies)|prospects?|contacts?|people|customers?|ones|firms|businesses|who|that|which)\s+"
    r"(?:(?:are|is|were)\s+)?(?:currently\s+|actively\s+)?(?:interested\s+in|looking\s+(?:at|for|into)|"
    r"evaluating|exploring|considering|asking\s+about|researching|needs?|needing|want(?:s|ing)?(?:\s+to)?)\s+(?P<text>.+)$"
)
_LIKE = Gated(r"\b(?:(?:companies|accounts|leads|businesses|firms|ones)\s+)?(?:like|similar\s+to)\s+(?P<target>.+)$")
# Where a need ends and the structured conditions start again.
_NEED_END = Gated(
    r"\s+(?:and\s+|but\s+|that\s+|who\s+|which\s+)?(?:(?:have|has)\s+(?:not\s+)?been\s+|were\s+)?(?:not\s+contacted|never\s+contacted|uncontacted|contacted|created|added|"
    r"in\s+the\s+last|this\s+(?:week|month|quarter|year)|since|with\s+(?:a\s+)?score|score\s+(?:above|over|below)|owned\s+by|assigned|"
    r"sorted|sort|order(?:ed)?|top\s+\d+)\b|\s*[?.!]+\s*$"
)


@dataclass(frozen=True)
class SemanticAsk:
    """A need to search by meaning (or a lead/company to find look-alikes of) and the rest of the question."""

    tool: str
    args: dict[str, Any]
    rest: str  # the question without the need, for the filter reader


def read_semantic(question: str, *, companies: dict[str, str]) -> SemanticAsk | None:
    """'leads interested in our API', 'hot leads at companies like Spendwise not contacted in 3 days'."""
    text = " ".join(words_to_digits(question).lower().split())
    if match := _LIKE.search(text):
        tail = match.group("target")
        end = _NEED_END.search(tail)
        target_text, after = (tail[: end.start()], tail[end.start():]) if end else (tail, "")
        try:
            found = _target(target_text, companies=companies, last_lead_ids=())
        except TargetMissing:
            return None
        return SemanticAsk("similar_leads", found, rest=(text[: match.start()] + " " + after).strip())
    if match := _SEMANTIC.search(text):
        tail = match.group("text")
        end = _NEED_END.search(tail)
        need, after = (tail[: end.start()], tail[end.start():]) if end else (tail, "")
        need = re.sub(r"^(?:our|the|a|an|some|any)\s+", "", need.strip())
        if need:
            return SemanticAsk("semantic_search_leads", {"text": need}, rest=(text[: match.start()] + " " + after).strip())
    return None


# --- reports: follow-up lists and analytics -------------------------------------------------------
# A report phrase names the tool; what is left of the question is read as its filter by the planner
# ("conversion by tier *for fintech this quarter*", "who should *Maya* call today").

_DAY = Gated(
    r"\b(?:for\s+|on\s+|due\s+)?(?:(?P<today>today|tonight|this\s+(?:morning|afternoon|evening))|(?P<tomorrow>tomorrow)"
    r"|(?:next\s+|this\s+coming\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?P<iso>\d{4}-\d{2}-\d{2}))\b"
)
_CALL = r"(?:call|ring|phone|contact|reach\s+out\s+to|follow\s+up\s+(?:with|on)|email|ping|chase|get\s+in\s+touch\s+with|prioriti[sz]e|focus\s+on)"
_PERSON = r"(?P<who>i|we|(?!the\b|a\b)[a-z][\w.'@-]*(?:\s+(?!call\b|contact\b|ring\b|phone\b|email\b)[a-z][\w.'@-]*)?)"
_FOLLOW_UPS = (
    Gated(rf"\bwho\s+(?:should|do|must|can|shall|ought)\s+{_PERSON}\s+(?:to\s+)?{_CALL}\b"),
    Gated(rf"\b(?:which|what)\s+(?:leads?|accounts?|prospects?|people)\s+(?:should|do|must|can)\s+{_PERSON}\s+(?:to\s+)?{_CALL}\b"),
    Gated(rf"\b(?:leads?|accounts?|prospects?|people|ones)\s+(?:that\s+|which\s+)?(?P<who>i|we)\s+(?:should|need\s+to|must|have\s+to|ought\s+to)\s+{_CALL}\b"),
    Gated(rf"\b(?:who|leads?|accounts?|people|ones)\s+to\s+{_CALL}\b|\bwho(?:'s|\s+is|\s+are)\s+(?:due|next)(?:\s+for\s+(?:a\s+)?(?:call|follow[\s-]?up))?\b"),
    Gated(r"\b(?:(?:my|our|the|(?P<who>[a-z]+)'s)\s+)?(?:follow[\s-]?ups?|call\s+(?:list|queue|sheet)|calls\s+to\s+make)(?:\s+(?:due|list))?\b"),
    # "any hot leads in nyc i should ping today?": the conditions come first, who calls last.
    Gated(rf"\b(?:leads?|accounts?|prospects?|people|ones|anyone|anybody)\b.*?\s(?P<tail>(?:that\s+|which\s+)?(?P<who>i|we)\s+(?:should|need\s+to|must|have\s+to|ought\s+to)\s+{_CALL}\b)"),
)
_REPORTS: tuple[tuple[str, Gated], ...] = (
    ("score_distribution", Gated(
        r"\b(?:lead\s+)?score\s+(?:distribution|histogram|spread|breakdown|buckets?)\b|\b(?:distribution|histogram|spread)\s+of\s+(?:the\s+)?(?:lead\s+)?scores?\b"
        r"|\bhow\s+are\s+(?:lead\s+)?scores\s+distributed\b")),
    ("source_attribution", Gated(
        r"\b(?:first[\s-]touch\s+(?:vs\.?|versus|and|or|compared\s+(?:to|with))\s+last[\s-]touch|last[\s-]touch\s+(?:vs\.?|versus|and|or)\s+first[\s-]touch"
        r"|first[\s-]touch)(?:\s+(?:source\s+|channel\s+)?attribution)?\b|\b(?:source|channel|lead|marketing|conversion|last[\s-]touch)?\s*attribution\b")),
    ("time_to_first_contact", Gated(
        r"\b(?:(?:average|avg|median|mean|typical)\s+)?(?:time\s+to\s+(?:first\s+)?(?:contact|touch|response|outreach|call)|(?:first[\s-])?response\s+times?"
        r"|speed[\s-]to[\s-]lead|how\s+(?:fast|quickly|long)\s+(?:do|did|are|were|does|it\s+takes?)\s+(?:we|reps|the\s+reps|our\s+reps|the\s+team|us)\s+(?:to\s+)?"
        r"(?:contact|reach\s+out\s+to|respond\s+to|call|follow\s+up\s+(?:on|with)|get\s+back\s+to)\s+(?:new\s+)?leads)"
        r"(?:\s+(?:by|per|for\s+each|across|broken\s+down\s+by)\s+(?P<by>reps?|owners?|salespeople|sources?|channels?))?\b")),
    ("rep_performance", Gated(
        r"\b(?:how\s+(?:are|is|were|was)\s+(?:the\s+|my\s+|our\s+)?(?:reps|team|sales\s+team|salespeople|sellers|aes)\s+(?:doing|performing)"
        r"|rep\s+(?:performance|leaderboard|scorecard|stats|metrics)|(?:sales\s+)?(?:team\s+)?leaderboard|(?:sales\s+)?performance\s+(?:by|per|of\s+(?:the|each|our))\s+reps?"
        r"|how\s+(?:is|was)\s+(?P<who>[a-z]+(?:\s+[a-z]+)?)\s+(?:doing|performing))\b")),
    ("conversion_by_tier", Gated(
        r"\b(?:conversion|win|close)(?:\s+rates?)?\s+(?:by|per|for\s+each|across|broken\s+down\s+by)\s+(?:lead\s+|score\s+)?tiers?\b|\bhow\s+(?:well\s+)?do\s+(?:the\s+)?tiers\s+convert\b")),
    ("lead_volume", Gated(
        r"\b(?:(?P<monthly>monthly)\s+)?(?:new\s+)?(?:lead\s+)?(?:volume|inflow|intake)(?:\s+(?:of\s+)?(?:new\s+)?leads)?"
        r"(?:\s+(?:by|per|from|across|for\s+each)\s+(?P<by1>sources?|channels?|months?))?(?:\s+(?:and|&|by|per)\s+(?P<by2>sources?|channels?|months?))?"
        r"(?P<trend>\s+(?:over\s+time|trend|per\s+month|by\s+month|monthly))?\b")),
)


REPORT_TOOLS = frozenset({"follow_ups_due", *(tool for tool, _ in _REPORTS)})

# Reports on the policies themselves (they count every lead and take no lead filter): the tiers'
# calibration, the week-by-week score drift, and the reps' first-touch SLA record.
_POLICY_REPORTS: tuple[tuple[str, Gated], ...] = (
    ("sla_performance", Gated(
        r"\bslas?\b|\bfirst[\s-]touch\s+(?:deadlines?|targets?)\b|\bmissed\s+(?:their|the|his|her|my|our)\s+(?:first[\s-]touch\s+)?(?:sla|deadline)")),
    ("tier_calibration", Gated(
        r"\b(?:tier|tiers|score|scoring)\s+calibration\b|\bcalibrat\w*\s+(?:the\s+|our\s+)?(?:tiers?|scores?|scoring|thresholds?)\b"
        r"|\b(?:are|is)\s+(?:our\s+|the\s+)?(?:tiers|scoring|scores)\s+(?:well\s+)?calibrated\b|\b(?:tier|score|scoring)\s+thresholds?\b")),
    ("score_drift", Gated(
        r"\b(?:score|tier|scoring)\s+drift\b|\b(?:tiers?|scores?)\s+(?:drift(?:ed)?|moved?|changed?|shift(?:ed)?)\s+(?:week\s+(?:by|over|on)\s+week|over\s+time|by\s+week|weekly)\b"
        r"|\bhow\s+(?:did|have|has)\s+(?:the\s+|our\s+)?(?:tiers|scores)\s+(?:moved?|changed?|shifted|drifted)\b")),
)


def read_policy_report(question: str) -> tuple[str, dict[str, Any]] | None:
    """"how are reps doing on SLAs?", "tier calibration", "how did tiers move week by week?": the tool
    and its arguments (a number of days or weeks said with it), or None."""
    text = " ".join(question.replace("’", "'").lower().split())
    for tool, pattern in _POLICY_REPORTS:
        if pattern.search(text) is None:
            continue
        args: dict[str, Any] = {}
        span = re.search(r"\b(?:last|past)\s+(\d{1,3})\s+(days?|weeks?)\b", text)
        if span and tool == "sla_performance":
            args["days"] = int(span.group(1)) * (7 if span.group(2).startswith("week") else 1)
        elif span and tool == "score_drift":
            args["weeks"] = max(1, int(span.group(1)) // (1 if span.group(2).startswith("week") else 7))
        return tool, args
    return None



@dataclass(frozen=True)
class ReportAsk:
    """A report tool, its own arguments, and the rest of the question (read as its filter)."""

    tool: str
    args: dict[str, Any]
    rest: str


def _without(text: str, match: re.Match[str], keep: str | None = None) -> str:
    """`text` without the match (its "tail" group only, when it has one: the words before it are
    conditions); `keep` (a name said inside it) stays for the filter reader."""
    start, end = match.span("tail") if match.groupdict().get("tail") else match.span()
    return " ".join(f"{text[:start]} {keep or ''} {text[end:]}".split())


def _follow_up_day(text: str) -> tuple[str, str]:
    """("today" | "tomorrow" | a weekday | an ISO date, the text without it)."""
    match = _DAY.search(text)
    if match is None:
        return "today", text
    day = "today" if match.group("today") else "tomorrow" if match.group("tomorrow") else match.group("weekday") or match.group("iso")
    return day, _without(text, match)


def read_report(question: str) -> ReportAsk | None:
    """'who should I call today?', 'conversion by tier', 'lead volume by source this quarter', ..."""
    text = " ".join(words_to_digits(question).replace("’", "'").lower().split())
    for pattern in _FOLLOW_UPS:
        if match := pattern.search(text):
            who = match.groupdict().get("who")
            keep = who if who and who not in ("i", "we") else None
            day, rest = _follow_up_day(_without(text, match, keep))
            args: dict[str, Any] = {"day": day}
            if top := re.search(r"\b(?:top|first|best)\s+(\d+)\b", rest):
                args["limit"] = int(top.group(1))
                rest = _without(rest, top)
            return ReportAsk("follow_ups_due", args, rest)
    for tool, pattern in _REPORTS:
        if (match := pattern.search(text)) is None:
            continue
        groups = match.groupdict()
        args = {}
        if tool == "time_to_first_contact":
            said = groups.get("by") or ""
            # Asked without "by ...": one total ("what's our median speed to lead?").
            args["by"] = "source" if said.startswith("source") else "channel" if said.startswith("channel") else "rep" if said else "all"
        elif tool == "lead_volume":
            said = {(groups.get(k) or "")[:5] for k in ("by1", "by2")}
            monthly = bool(groups.get("monthly") or groups.get("trend")) or "month" in said
            group = "channel" if "chann" in said else "source"  # a channel is the source's group (paid, referral, ...)
            by_group = bool(said & {"sourc", "chann"})
            args["by"] = f"{group}_by_month" if monthly and by_group else "month" if monthly else group
        keep = groups.get("who") if tool == "rep_performance" else None
        return ReportAsk(tool, args, _without(text, match, keep))
    return None


# --- answering "which one?" -------------------------------------------------------------------------
# After a name with several open leads the answer asks which one; the reply picks one of them.

_PICK_ORDINAL = Gated(
    r"^(?:the\s+)?(?:(?P<word>first|second|third|fourth|fifth|last)|#?\s*(?P<n>[1-9])(?:st|nd|rd|th)?|number\s+(?P<num>[1-9]))"
    r"(?:\s+(?:one|lead|option))?$"
)
_PICK_AGE = Gated(r"^(?:the\s+)?(?P<age>newer|newest|latest|most\s+recent|recent|older|oldest|earlier|first\s+created)(?:\s+(?:one|lead))?$")
_FILLER = Gated(r"^(?:(?:i\s+mean|i\s+meant|ok|okay|yes|yeah|please|pls|sorry|oh|so|um)\s*,?\s+)+|[\s,]*(?:please|pls|thanks|thank\s+you)$")


def read_choice(reply: str, candidates: list[dict[str, Any]]) -> int | None:
    """The lead id a short reply picks from the `candidates` a "which one?" answer listed (newest
    first): "the first one", "2", "lead 1963", the contact's name, "the opportunity", "the newer one".
    None when the reply is not a pick (a new question)."""
    text = _FILLER.sub("", " ".join(reply.replace("’", "'").lower().split()).strip(" ?.!"))
    ids = [c["id"] for c in candidates]
    if not ids or len(text.split()) > 6:
        return None
    if (match := re.fullmatch(r"(?:lead\s*(?:id\s*|#\s*)?|#\s*)?(\d+)", text)) and int(match.group(1)) in ids:
        return int(match.group(1))  # an id listed beats a position ("9" when lead 9 is listed)
    if match := _PICK_ORDINAL.match(text):
        position = _ORDINALS.get(match.group("word") or "") or int(match.group("n") or match.group("num") or 0)
        index = position - 1 if position > 0 else len(ids) - 1
        return ids[index] if 0 <= index < len(ids) else None
    if match := _PICK_AGE.match(text):
        return ids[-1] if match.group("age") in ("older", "oldest", "earlier", "first created") else ids[0]
    text = re.sub(r"^(?:the\s+)?(?:one\s+(?:with|for|at|owned\s+by)\s+|lead\s+(?:with|for|at|of)\s+)?", "", text)
    for key in ("contact_name", "company", "owner", "stage"):
        picked = [c["id"] for c in candidates if c.get(key) and (str(c[key]).lower() == text or str(c[key]).lower().split()[0] == text)]
        if len(picked) == 1:
            return picked[0]
    return None
