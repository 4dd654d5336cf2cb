"""Chat as people type it in Slack, rewritten into the plain words the passes read.

Mentions ("@Leadpilot", "<@U123>") and Slack formatting go; chat shorthand is spelled out ("r" ->
are, "u" -> you, "pls" -> please, "w/" -> with, "w/o" -> without, "# of" -> number of, "3d" ->
3 days, "qtr" -> quarter); apostrophes missing from contractions come back ("havent" -> haven't).
Only whole words are rewritten, and never a word that could mean something else in a question
about leads ("us" stays: it may be the country), so a clean question is left exactly as it was.
"""

from __future__ import annotations

import re

# Slack's own markup: user/channel mentions, links with a label, bold/italic/strike/code markers.
_MENTIONS = re.compile(r"<[@#!][^>]*>|(?<![\w.@])@(?:leadpilot|lead-pilot|lead_pilot|here|channel|everyone)\b[:,]?", re.I)
_LINK = re.compile(r"<(?:https?|mailto):[^|>]*\|([^>]*)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^>]*)>")
_MARKERS = re.compile(r"(?<!\w)[*_~`]+|[*_~`]+(?!\w)")

# Whole-word shorthand, matched case-insensitively; the value replaces the word.
SHORTHAND: dict[str, str] = {
    "r": "are", "u": "you", "ur": "your", "ya": "you", "pls": "please", "plz": "please", "plse": "please",
    "thx": "thanks", "thnx": "thanks", "tnx": "thanks", "ty": "thanks", "cheers": "thanks",
    "ppl": "people", "acct": "account", "accts": "accounts", "acc": "account", "accs": "accounts",
    "cust": "customer", "custs": "customers", "qtr": "quarter", "qtrs": "quarters", "mgr": "manager",
    "mgrs": "managers", "mktg": "marketing", "eng": "engineering", "ops": "operations", "dept": "department",
    "depts": "departments", "wk": "week", "wks": "weeks", "yr": "year", "yrs": "years", "mo": "month",
    "mos": "months", "mth": "month", "mths": "months", "atm": "right now",
    "rn": "right now", "tmrw": "tomorrow", "tmr": "tomorrow", "tmw": "tomorrow", "yday": "yesterday",
    "yest": "yesterday", "2day": "today", "b4": "before", "thru": "through", "cuz": "because", "bc": "because",
    "lmk": "let me know", "fyi": "", "btw": "", "tbh": "", "imo": "", "asap": "", "quick q": "", "q:": "",
    "gimmie": "gimme", "wanna": "want to", "gonna": "going to", "hv": "have", "nd": "and", "n": "and",
    "w": "with", "abt": "about", "frm": "from", "wht": "what", "whos": "who's", "whats": "what's",
    "wat": "what", "wats": "what's", "watz": "what's", "wut": "what", "wot": "what", "whatre": "what are", "whore": "who are",
    "hw": "how", "hmany": "how many", "wich": "which", "whcih": "which", "tht": "that", "thn": "than", "ths": "this",
    "mnth": "month", "mnths": "months", "lst": "last", "2morrow": "tomorrow", "tmrw's": "tomorrow's",
    "tues": "tuesday", "tue": "tuesday", "weds": "wednesday", "wed": "wednesday", "thurs": "thursday", "thur": "thursday",
    "thu": "thursday", "fri": "friday",
    "thats": "that's", "theres": "there's", "im": "i'm", "ive": "i've", "id": "i'd",
    "havent": "haven't", "havnt": "haven't", "hvnt": "haven't", "hasn": "hasn't", "dint": "didn't", "dnt": "don't", "hasnt": "hasn't", "hadnt": "hadn't", "dont": "don't", "doesnt": "doesn't",
    "didnt": "didn't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't", "werent": "weren't",
    "cant": "can't", "couldnt": "couldn't", "shouldnt": "shouldn't", "wouldnt": "wouldn't",
    "weve": "we've", "theyre": "they're", "theyve": "they've", "youre": "you're",
    "any1": "anyone", "some1": "someone", "every1": "everyone", "no1": "no one", "cos": "companies", "cmpys": "companies", "v": "vs", "vs.": "vs", "v.": "vs", "incl": "including", "incl.": "including", "excl": "excluding",
    "excl.": "excluding", "w/in": "within", "w/": "with", "w/o": "without", "cnt": "count", "approx": "about", "appx": "about",
    "lookup": "look up", "look-up": "look up", "2nite": "tonight", "mfg": "manufacturing", "manuf": "manufacturing",
    "finserv": "financial services", "fin-serv": "financial services",
}
# "id" is also "lead id": spelled out as "i'd" only before a verb.
_ID_VERB = re.compile(r"^\s*(?:like|love|want|need|prefer)\b")
_NUMBER_UNITS = re.compile(r"\b(?!2day\b)(\d+)\s*(d|days?|wks?|weeks?|mos?|mths?|months?|yrs?|years?)\b", re.I)  # "2day" is today
_UNIT_WORDS = {"d": "days", "wk": "weeks", "wks": "weeks", "mo": "months", "mos": "months",
               "mth": "months", "mths": "months", "yr": "years", "yrs": "years"}
_WORD = re.compile(r"(?<![\w/'@.-])(w/in|w/o|w/|v\.|vs\.|incl\.|excl\.|quick q|q:|[a-z0-9]+)(?![\w'@-]|/\w|\.\w)", re.I)


def _units(match: re.Match[str]) -> str:
    unit = match.group(2).lower()
    return f"{match.group(1)} {_UNIT_WORDS.get(unit, unit)}"


def normalise_chat(text: str) -> str:
    """The question with chat mentions, markup and shorthand spelled out; case is kept."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _LINK.sub(r"\1", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _MENTIONS.sub(" ", text)
    text = _MARKERS.sub(" ", text)
    text = re.sub(r"\b(phone|contact)\s*#", r"\1 number", text, flags=re.I)  # "phone #"
    text = re.sub(r"(?<!\w)#\s*(?:of\s+)?(?=[a-z])", "number of ", text, flags=re.I)  # "# of leads", "#leads"; "#42" stays
    text = re.sub(r"\bw/in\b", "within", text, flags=re.I)
    text = re.sub(r"\bw/o(?=\s|\w|$)", "without ", text, flags=re.I)  # "w/o email", "w/oemail"
    text = re.sub(r"\bw/(?=\s|\w|$)", "with ", text, flags=re.I)  # "w/ phone", "w/phone"
    text = _NUMBER_UNITS.sub(_units, text)
    text = re.sub(r"\b(?:earlier|so\s+far)\s+(?=this\s+(?:week|month|quarter|year)\b)", "", text, flags=re.I)  # "earlier this month"
    text = re.sub(r"\bhow'?s\b", "how is", text, flags=re.I)
    text = re.sub(r"\b(in|from|across)\s+(the|our|my)\s+pipe\b", r"\1 \2 pipeline", text, flags=re.I)  # "in the pipe"
    # "with a CFO as the contact person", "no email for the contact": the lead's contact is who people fields are about.
    text = re.sub(r"\s(?:for|as|of|on)\s+(?:the|their|its|a)\s+contact(?:\s+person)?\b", " ", text, flags=re.I)
    # "this month's leads", "today's signups": the window, not a possessive.
    text = re.sub(r"\b(today|yesterday|(?:this|last|past|previous)\s+(?:week|month|quarter|year|fortnight))'s\b", r"\1", text, flags=re.I)
    # "what's our pipeline look like by stage", "how does Q4 look": the asking, no condition.
    if re.match(r"\s*(?:what(?:'?s)?|how|hows)\b", text, re.I):
        text = re.sub(r"\s\b(?:look(?:s|ing)?|looks)(?:\s+like)?(?=\s+(?:by|per|for|in|across|this|last|today|right|now|so|at)\b|\s*[?.!]*\s*$)", " ", text, flags=re.I)
    text = text.replace("🔥", " hot ").replace("🧊", " cold ").replace("❄️", " cold ")
    text = re.sub(r"\bb/w\b", "between", text, flags=re.I)
    text = re.sub(r"\b(more|less|fewer|greater|bigger|larger|smaller|higher|lower|older|newer|other|rather)\s+then\b", r"\1 than", text, flags=re.I)
    # A hedge before an amount: "in like a week", "like 3 days ago", "roughly 2 weeks".
    text = re.sub(r"\b(?:like|roughly|approximately|approx\.?|about|around|~)\s*,?\s+(?=(?:a|an|one|\d+)\s+(?:days?|weeks?|months?|years?|fortnight)\b)",
                  "", text, flags=re.I)

    def word(match: re.Match[str]) -> str:
        said = match.group(1)
        key = said.lower()
        if key not in SHORTHAND:
            return said
        if key == "id" and not _ID_VERB.match(text[match.end() :]):
            return said  # "lead id 42"
        if key in ("n", "w", "v") and said.isupper():
            return said
        return SHORTHAND[key]

    text = _WORD.sub(word, text)
    return " ".join(text.split())
