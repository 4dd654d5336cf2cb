"""Requests to change data ("delete ...", "assign all fintech leads to me", "email them", "mark lead
12 as lost"): the chat only reads, so these get a plain answer saying where the change can be made,
never a tool call and never "I don't understand". A request for a file ("export these to csv",
"download this list") likewise gets where to get one: `leadpilot export`.

A request is an imperative at the start of the sentence (after "please", "can you", ...) that acts on
the data: it names leads or what they hold ("the cold leads", "lead 12", "them", "the opps", a
company, contact or rep of the store). An action on anything else ("book me a flight to Berlin") is
not a data change but a question out of scope, refused like any other. Words that also start read
questions are guarded: "close rate by source", "score distribution", "add healthcare" (a
follow-up), "remove the cold ones" (a follow-up filter), "give me ...".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WRITE_MESSAGE = (
    "I can't change data from the chat — use Assign/Snooze in Slack or the web chat. "
    "I can look things up, e.g. 'show hot leads in fintech not contacted in 3 days'."
)

_POLITE = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|now|then|and|also|just|quickly|please|kindly|leadpilot|go\s+ahead\s+and|"
    r"(?:can|could|would|will)\s+(?:you|u)(?:\s+please)?|i\s+(?:want|need|would\s+like|'d\s+like)\s+(?:you\s+)?to|"
    r"i'd\s+like\s+(?:you\s+)?to|let's|lets|help\s+me|we\s+(?:need|want)\s+to)[\s,!.:]+)+"
)
_WRITE = re.compile(
    r"^(?:"
    r"(?:delete|erase|purge|wipe|destroy|truncate|archive|merge|unsubscribe|undo|revert|restore|rescore|re-score|"
    r"disqualify|reopen|re-open|snooze|unsnooze|enrol|enroll|upload|import|insert|schedule|book|log)\b"
    r"|drop\s+(?:the\s+)?(?:table|database|db)\b"
    r"|(?:remove|drop|take)\s+.*\b(?:from|out\s+of)\s+(?:the\s+)?(?:crm|database|db|system|store|salesforce|hubspot)\b"
    r"|(?:re-?assign|un-?assign|assign|allocate|transfer|hand\s+(?:over|off)|give)\s+(?!me\b|us\b)\S.*\bto\s+\S"
    r"|(?:re-?assign|un-?assign|assign|allocate)\s+(?:them|those|these|it|all|every|each|lead)\b"
    r"|(?:email|e-mail|mail|message|text|dm|call|phone|ring|contact|ping|reach\s+out\s+to|follow\s+up\s+(?:with|on)|nudge|chase)"
    r"\s+(?:them|those|these|him|her|it|all|every|each|everyone|lead\s+\d+|the\s+(?:first|second|third|last|top|hot|warm|cold|lead|leads|ones?))\b"
    r"|send\s+(?!me\b|us\b)\S"
    r"|(?:update|change|set|edit|modify|move|push|bump|promote|demote|upgrade|downgrade|rename|correct|fix|convert|close|qualify|tag|label|flag)"
    r"\s+(?!rates?\b|of\b|in\b|on\b|over\b|since\b|from\b|me\b|us\b)\S"
    r"|mark\s+(?!'s\b).*\bas\b|mark\s+(?:them|it|all|these|those|lead|leads|every|each)\b|mark\s+as\b"
    r"|(?:add|create)\s+(?:an?\s+|the\s+)?(?:new\s+)?(?:lead|leads|contact|contacts|note|notes|task|tasks|tag|tags|account|deal|them|it|him|her)\b"
    r"|(?:add|put)\s+(?:them|those|these|it|lead\s+\d+)\s+(?:to|in|into|on)\b"
    r")"
)


# Requests for a file ("export these to csv", "download this list", "send me a spreadsheet of ..."): the chat
# writes no files; the CLI does.
EXPORT_MESSAGE = (
    "I can't export files from the chat. To get a CSV, run `leadpilot export -o leads.csv` (every lead, with the columns "
    "`leadpilot import` reads; add `--with-scores` for score, tier and owner, or `--format json`). "
    "Here I can show the leads themselves, e.g. 'show hot leads in fintech'."
)
_FILE = r"(?:csv|\.csv|excel|xlsx?|spreadsheet|sheet|google\s+sheets?|gsheets?|file|json|download(?:able)?\s+(?:file|list|copy))"
_EXPORT = re.compile(
    r"^(?:(?:export|download|extract|dump)\b(?!\s+(?:rates?|volume)\b)"
    r"|(?:send|give|get|email|e-mail|share|make|create|generate|build|pull|attach)\s+(?:me\s+|us\s+)?(?:an?\s+|the\s+|this\s+as\s+an?\s+)?"
    rf"(?:{_FILE})\b|(?:an?\s+)?(?:csv|excel|xlsx?|spreadsheet)\s+(?:of|with|for)\b)"
    rf"|\b(?:(?:to|into|in|as)\s+(?:an?\s+)?{_FILE}|{_FILE}\s+(?:export|download|of\s+(?:this|these|that|those|them|the))|"
    r"exports?\s+(?:of\s+)?(?:this|these|that|those|them|the\s+(?:list|leads|results?))|"
    r"(?:can|could)\s+(?:i|we)\s+(?:export|download)\b)"
)


EXPORT_NOTE = ("I can't write files from the chat, so here is the list; for a CSV run `leadpilot export -o leads.csv` "
               "(every lead; `--with-scores` adds score, tier and owner).")
_EXPORT_WORDS = re.compile(
    r"^\s*(?:(?:export|download|extract|dump)(?:\s+(?:me|us))?|(?:send|give|get|email|e-mail|share|make|create|generate|build|pull|attach)"
    rf"\s+(?:me\s+|us\s+)?(?:an?\s+|the\s+)?{_FILE}(?:\s+file)?(?:\s+(?:of|with|for))?|(?:an?\s+)?(?:csv|excel|xlsx?|spreadsheet)\s+(?:of|with|for)"
    r"|(?:can|could|may)\s+(?:i|we|you)\s+(?:please\s+)?(?:get|have|grab|send\s+me))\b"
    rf"|\s*,?\s*\b(?:(?:to|into|in|as)\s+(?:an?\s+)?{_FILE}(?:\s+file)?|(?:for|as)\s+(?:an?\s+)?(?:export|download))\s*[?.!]*\s*$",
    re.I,
)


def export_rest(text: str) -> str:
    """What an export request asks for, without the asking for a file: "export my hot deals to a csv" -> "my hot deals"."""
    return " ".join(_EXPORT_WORDS.sub(" ", _POLITE.sub("", text.strip().lower())).split())


def is_export_request(text: str) -> bool:
    """True when `text` asks for the leads as a file (CSV, spreadsheet, download), which the chat does not write."""
    lowered = " ".join(text.lower().split())
    for sentence in re.split(r"[.;!?]\s+|,?\s+(?:and\s+then|then|and|&)\s+", lowered):
        if _EXPORT.search(_POLITE.sub("", sentence.strip())):
            return True
    return False


# What a data change acts on: leads and what they hold, the store itself, or a pronoun for the last answer.
_DATA = re.compile(
    r"\b(?:leads?|prospects?|contacts?|accounts?|compan(?:y|ies)|deals?|opps?|opportunit(?:y|ies)|customers?|clients?|"
    r"records?|rows?|entries|pipeline|crm|database|db|data|salesforce|hubspot|scores?|tiers?|stages?|owners?|reps?|"
    r"territor(?:y|ies)|notes?|tasks?|tags?|labels?|sequences?|campaigns?|nurture|follow[\s-]?ups?|csv|file|meetings?|demos?|"
    r"calls?|emails?|them|those|these|it|him|her|everyone|everybody|everything|all|every|each|hot|warm|cold|won|lost|ones)\b"
    r"|#\s*\d+|\bdrop\s+(?:the\s+)?table\b"
)


def _names_a_record(sentence: str, names: Iterable[dict[str, str]]) -> bool:
    """Does the sentence name a company, contact or rep of the store (a run of up to 4 words)?"""
    words = re.findall(r"[a-z0-9][a-z0-9&.'-]*", sentence)
    tables = [table for table in names if table]
    return any(
        " ".join(words[i : i + n]).removesuffix("'s") in table
        for table in tables for n in range(1, 5) for i in range(len(words) - n + 1)
    )


def is_write_request(text: str, *, names: Iterable[dict[str, str]] = ()) -> bool:
    """True when `text` asks to change data (or act on leads) rather than to read them. `names`: the
    store's name tables (companies, contacts, reps, lower case), so "call Acme" acts on a lead."""
    lowered = " ".join(text.lower().split())
    if "pool" in lowered or lowered.startswith(("what if", "what happens if", "who ")):
        return False  # routing what-ifs read a policy, they change nothing
    for sentence in re.split(r"[.;!?]\s+|,?\s+(?:and\s+then|then|and|&)\s+", lowered):
        request = _POLITE.sub("", sentence.strip())
        if _WRITE.match(request) and (_DATA.search(request) or _names_a_record(request, names)):
            return True
    return False
