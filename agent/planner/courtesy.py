"""Courtesy: the words around a question that carry no condition — greetings ("Hi there,", "good
morning!", "Dear Leadpilot,"), well-wishes ("hope you're well!"), thanks ("thank you so much",
"many thanks in advance"), apologies ("sorry to bother you"), polite framing ("I'd really
appreciate it if you could", "would it be possible to see", "when you have a moment", "for me,
please") and chat laughter ("lol", "haha").

They are taken out before the question is read, so the reader never has to guess whether
"thank" or "well" was a condition; anything that could be one stays ("this morning" is a time,
"leads for me" are my leads: only "... for me, please" at the end of a request is courtesy).
"""

from __future__ import annotations

import re

_BOT = r"(?:lead\s*pilot|bot|team|all|everyone|folks|guys|mate|there|friend|you)"
_DAY_PART = r"(?:morning|afternoon|evening|day)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

# At the start of the message: a greeting and who it is addressed to ("Hi there,", "morning!").
_GREETING = re.compile(
    rf"^(?:(?:(?:hi|hey|hello|hiya|howdy|yo|greetings|dear|gm|good\s+{_DAY_PART}|happy\s+{_WEEKDAY})\b(?:\s+{_BOT}\b)?[\s,!.:;-]*"
    rf"|{_DAY_PART}(?:\s+{_BOT})?\s*[,!.:;-]+\s*|lead\s*pilot\s*[,!.:;-]+\s*"
    r"|(?:what'?s\s+up|sup|wassup|how'?s\s+it\s+going|how\s+are\s+things)\s*[,!.:;?-]+\s*)+)",
    re.I,
)
# At the end: a sign-off and maybe a first name ("Kind regards, Sam", "thanks! - Priya").
_SIGN_OFF = re.compile(
    r"[\s,.!-]*\b(?i:(?:kind|best|warm|many)\s+(?:regards|wishes)|regards|best\s+wishes|cheers|thanks|thank\s+you|ta|thx)"
    r"[\s,.!-]*(?:[A-Z][a-z]+)?[\s.!]*$"
)
# Anywhere: clauses that only wish well, thank, apologise or soften the request.
_CLAUSES = re.compile(
    r"(?:\b(?:i\s+)?hope\s+(?:you(?:'re|\s+are)\s+(?:doing\s+)?(?:well|good|great|ok|okay|fine)(?:\s+today)?"
    r"|you(?:'re|\s+are)\s+having\s+an?\s+(?:good|great|nice|lovely)\s+(?:day|week|morning|afternoon)"
    r"|(?:all\s+is|everything(?:'s|\s+is))\s+(?:well|good)|this\s+finds\s+you\s+well)"
    r"|\bhow\s+are\s+(?:you|u)(?:\s+doing)?(?:\s+today)?(?=\s*[?!.,])"
    r"|\b(?:thank\s+you|thanks|thx|ty|cheers)\b(?:\s+(?:so|very)\s+much|\s+(?:a\s+lot|a\s+bunch|a\s+ton|loads|heaps|again|much))?(?:\s+in\s+advance)?"
    r"|\bmany\s+thanks(?:\s+in\s+advance)?|\bthanks?\s+in\s+advance|\btia\b|\bmuch\s+appreciated|\b(?:i\s+)?appreciate\s+(?:it|this|that|the\s+help|your\s+help)(?=\s*[!.,?]|\s*$)"
    r"|\bsorry\s+to\s+(?:bother|trouble|pester|bug|disturb)(?:\s+you)?(?:\s+again)?|\bsorry\s+for\s+the\s+(?:bother|trouble|hassle)|^\s*sorry\b"
    r"|\b(?:i'd|i\s+would|we'd|we\s+would)\s+(?:really\s+|very\s+much\s+|so\s+)?(?:appreciate|love)\s+it\s+if\s+(?:you|u)\s+(?:could|can|would)"
    r"|\bit\s+would\s+be\s+(?:great|nice|awesome|helpful|lovely|amazing|super\s+helpful)\s+if\s+(?:you|u)\s+(?:could|can|would)"
    r"|\b(?:would|will)\s+it\s+be\s+possible\s+(?:for\s+(?:you|me)\s+)?to|\bis\s+it\s+possible\s+(?:for\s+(?:you|me)\s+)?to"
    r"|\b(?:would|could)\s+(?:you|u)\s+be\s+(?:able|so\s+kind\s+as)\s+to|\b(?:would|do)\s+(?:you|u)\s+mind"
    r"|\bi\s+(?:was|am)\s+(?:just\s+)?wondering\s+if\s+(?:you|u)\s+(?:could|can|would)|\bi\s+wonder\s+if\s+(?:you|u)\s+(?:could|can)"
    r"|\b(?:when(?:ever)?|if)\s+(?:you|u)\s+(?:have|get|got)\s+a\s+(?:sec|second|moment|minute|min|chance)|\bwhenever\s+(?:you|u)\s+can"
    r"|\bat\s+your\s+(?:earliest\s+)?convenience|\bno\s+(?:rush|hurry|pressure)|\bif\s+(?:it's|it\s+is)\s+not\s+too\s+much\s+trouble"
    r"|\bif\s+(?:you|u)\s+(?:don't|do\s+not)\s+mind|\bif\s+possible|\bif\s+(?:that's|that\s+is|it's|it\s+is)\s+(?:possible|ok|okay|alright)|\bquick\s+(?:question|one)\b"
    r"|\b(?:i'd|i\s+would|we'd|we\s+would)\s+(?:really\s+|very\s+much\s+|so\s+|greatly\s+)?appreciate(?=\s+(?:a|an|the|some|seeing|getting)\b)"
    r"|\b(?:lol|lmao|rofl|haha\w*|hehe\w*|xoxo|xx)\b"
    r"|\byou(?:'re|\s+are)\s+(?:the\s+best|a\s+star|a\s+legend|awesome)|\byou\s+rock)(?![\w'])",
    re.I,
)
# Why the person asks, which sets no condition: "I'm putting together a territory review for Canada -"
# keeps "for Canada"; "pulling together the leads" is showing them.
_PURPOSE = re.compile(
    r"\b(?:(?:i'm|i\s+am|we're|we\s+are)\s+(?:putting\s+together|pulling\s+together|preparing|prepping|working\s+on|building|writing|doing)"
    r"\s+(?:a|an|the|my|our)\s+(?:[\w-]+\s+){0,3}?(?:review|report|deck|presentation|summary|analysis|update|forecast|qbr|plan|brief|slides?)"
    r"|(?:pull(?:ing)?|put(?:ting)?)\s+together"
    # "I'm prepping for a call tomorrow;": the occasion, not a condition.
    r"|(?:i'm|i\s+am|we're|we\s+are)\s+(?:prepping|preparing|getting\s+ready|gearing\s+up)\s+for\s+(?:a|an|the|my|our)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:call|meeting|demo|pitch|visit|trip|chat|qbr|review)(?:\s+(?:tomorrow|today|later(?:\s+today)?|this\s+(?:week|afternoon|morning)|next\s+week))?)\b",
    re.I,
)
# "... for me, please?" at the end of a request: courtesy, not "my leads".
# "..., need it for the forecast call": why it is asked, not a condition.
_NEED_IT = re.compile(r"[,;.\s]+(?:i\s+|we\s+)?need\s+(?:it|this|them|these|those|the\s+list)\s+for\s+(?:the|a|an|my|our|tomorrow's|today's)\s+[\w\s'-]{1,40}?[.!?]*\s*$", re.I)
_FOR_ME = re.compile(r"\s+for\s+me(?=\s*(?:[,.!?]+\s*)?(?:please|pls|thanks|thank\s+you)?\s*[.!?]*\s*$)", re.I)
_VERBS = r"(?:show|pull|list|get|fetch|find|give|bring|grab|dig|look|send|run|tell|break)\b"
_REQUEST = re.compile(rf"^\s*(?:please\s+)?{_VERBS}|\b(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?{_VERBS}", re.I)


def strip_courtesy(text: str) -> str:
    """`text` without greetings, thanks, apologies and polite framing; the question itself, as said."""
    stripped = _SIGN_OFF.sub("", _GREETING.sub("", text))
    stripped = _CLAUSES.sub(" ", _PURPOSE.sub(" ", _NEED_IT.sub("", stripped)))
    stripped = re.sub(r"(?:^|\s)[,!.;:-]+(?=\s|$)", " ", stripped)  # punctuation left alone by what was taken out
    if _REQUEST.search(stripped):
        stripped = _FOR_ME.sub("", stripped)
    stripped = " ".join(stripped.split()).strip(" ,;:-")
    return stripped if re.search(r"\w", stripped) else text
