"""Job titles -> seniority (c-level, vp, director, manager, individual) and department."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Checked in order: "Vice President" must win over "President", "Head of" over "Manager".
_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("vp", re.compile(r"\b(?:vp|svp|evp|avp|vice[\s-]+president)\b")),
    ("c-level", re.compile(r"\b(?:c[a-z]o|ciso|chief|founder|co-?founder|owner|president|managing partner)\b")),
    ("director", re.compile(r"\b(?:director|head of|head|principal)\b")),
    ("manager", re.compile(r"\b(?:manager|mgr|lead|supervisor|team lead)\b")),
)
_C_TITLES = frozenset({"ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "cpo", "cdo", "cso", "chro", "ciso", "cco"})

# Department keywords; the first department whose keyword appears wins, so specific ones come first.
_DEPARTMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("security", re.compile(r"\b(?:security|ciso|infosec)\b")),
    ("engineering", re.compile(r"\b(?:engineer\w*|cto|developer|software|devops|sre|platform|technical|technology|r&d|architect)\b")),
    ("data", re.compile(r"\b(?:data|analytics|cdo|machine learning|bi)\b")),
    ("product", re.compile(r"\b(?:product|cpo|ux|design)\b")),
    ("sales", re.compile(r"\b(?:sales|account executive|ae|business development|bdr|sdr|cro|revenue|partnerships?)\b")),
    ("marketing", re.compile(r"\b(?:marketing|cmo|growth|brand|demand gen\w*|content|communications|pr)\b")),
    ("customer success", re.compile(r"\b(?:customer success|customer experience|support|account manag\w*|cs)\b")),
    ("finance", re.compile(r"\b(?:finance|financial|cfo|controller|accounting|accountant|treasur\w*|fp&a)\b")),
    ("it", re.compile(r"\b(?:it|cio|information technology|systems|infrastructure)\b")),
    ("hr", re.compile(r"\b(?:hr|human resources|people|talent|recruit\w*|chro)\b")),
    ("legal", re.compile(r"\b(?:legal|counsel|compliance|cco)\b")),
    ("operations", re.compile(r"\b(?:operations|coo|ops|procurement|supply chain)\b")),
    ("executive", re.compile(r"\b(?:ceo|founder|co-?founder|owner|president|managing director|general manager)\b")),
)


@dataclass(frozen=True)
class TitleFacts:
    title: str
    seniority: str  # c-level | vp | director | manager | individual
    department: str | None
    matched: tuple[str, ...]  # the words that decided, for the explanation


def classify_title(*, title: str) -> TitleFacts:
    text = " ".join(title.lower().replace(",", " ").split())
    matched: list[str] = []
    seniority = "individual"
    words = set(re.findall(r"[a-z]+", text))
    if words & _C_TITLES and not re.search(r"\b(?:vp|vice)\b", text):
        seniority = "c-level"
        matched.append(sorted(words & _C_TITLES)[0])
    else:
        for level, pattern in _SENIORITY_RULES:
            if match := pattern.search(text):
                seniority = level
                matched.append(match.group(0))
                break
    department = None
    for name, pattern in _DEPARTMENTS:
        if match := pattern.search(text):
            department = name
            matched.append(match.group(0))
            break
    return TitleFacts(title=title, seniority=seniority, department=department, matched=tuple(matched))
