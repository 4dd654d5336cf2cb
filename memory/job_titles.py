"""Job titles -> seniority (c-level, vp, director, manager, individual) and department.

The store derives a lead's `seniority` and `department` columns from its job title with
`classify_title` at every write (import, webhook capture, discovery, the demo seed) and the
migration 0011 backfilled them, so "VPs in SaaS" or "leads in finance" are plain column filters.
The offline enricher (tools/enrichment/offline.py) explains the same classification to a rep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
    ("customer success", re.compile(r"\b(?:customer success|customer experience|patient experience|support|account manag\w*|cs)\b")),
    ("finance", re.compile(r"\b(?:finance|financial|cfo|controller|accounting|accountant|treasur\w*|fp&a|risk|payments|underwriting)\b")),
    ("it", re.compile(r"\b(?:it|cio|information technology|systems|infrastructure)\b")),
    ("hr", re.compile(r"\b(?:hr|human resources|people|talent|recruit\w*|chro)\b")),
    ("legal", re.compile(r"\b(?:legal|counsel|compliance|cco)\b")),
    ("operations", re.compile(r"\b(?:operations|operating|operational|coo|ops|procurement|purchasing|sourcing|supply chain|"
                              r"logistics|fleet|warehouse|warehousing|dispatch\w*|inventory|shipping|transportation|"
                              r"facilities|facility|office|administration|administrative)\b")),
    ("executive", re.compile(r"\b(?:ceo|founder|co-?founder|owner|president|managing director|general manager)\b")),
)


SENIORITIES: tuple[str, ...] = ("c-level", "vp", "director", "manager", "individual")

# Words people name a role by that are narrower than its department: "fleet managers" are the
# managers whose title says fleet, not every operations manager. -> what the job title contains
# (the filter's `title` condition, matched as text, case-insensitive). Read next to a level
# ("fleet managers", "head of procurement" is a department, "VP of supply chain").
ROLE_WORDS: dict[str, str] = {
    "fleet": "fleet", "office": "office", "warehouse": "warehouse", "facilities": "facilit", "facility": "facilit",
    "supply chain": "supply chain", "plant": "plant", "payroll": "payroll", "brand": "brand", "store": "store",
    "clinic": "clinic", "practice": "practice", "innovation": "innovation", "digital": "digital", "partnerships": "partner",
    "product marketing": "product marketing", "field marketing": "field marketing", "inside sales": "inside sales",
    "channel sales": "channel", "talent acquisition": "talent acquisition", "content": "content",
}
# Job titles said as a whole ("software engineers", "accountants") -> what the job title contains.
ROLE_NOUNS: dict[str, str] = {
    **{f"{noun}{plural}": contains for noun, contains in (
        ("software engineer", "software engineer"), ("engineer", "engineer"), ("software developer", "developer"),
        ("accountant", "accountant"), ("controller", "controller"), ("recruiter", "recruit"), ("data scientist", "data scien"),
        ("designer", "design"), ("analyst", "analyst"), ("account executive", "account executive"), ("sdr", "sdr"), ("bdr", "bdr"),
        ("solutions architect", "architect"), ("office administrator", "office admin"),
        ("procurement specialist", "procurement"), ("dispatcher", "dispatch"), ("nurse", "nurs"), ("paralegal", "paralegal"),
    ) for plural in ("", "s")},
}


@dataclass(frozen=True)
class TitleFacts:
    title: str
    seniority: str  # c-level | vp | director | manager | individual
    department: str | None
    matched: tuple[str, ...]  # the words that decided, for the explanation


def classify_title(*, title: str) -> TitleFacts:
    """The seniority (always one of SENIORITIES; "individual" when nothing senior is named) and the
    department (None when no keyword names one) a job title says, with the words that decided."""
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


@lru_cache(maxsize=8192)  # an import classifies every row; titles repeat
def title_columns(job_title: str | None) -> tuple[str | None, str | None]:
    """(seniority, department) as the store keeps them: both None for a lead without a job title."""
    if not job_title or not job_title.strip():
        return None, None
    facts = classify_title(title=job_title)
    return facts.seniority, facts.department
