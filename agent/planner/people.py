"""The people pass: who the contact is — seniority and department from the job title ("VPs of
sales", "C-level", "CFOs", "marketing directors") — and whether we can reach them ("with a phone
number", "without an email").

Seniority and department are the store's own classification of the job title
(memory.job_titles.classify_title): c-level, vp, director, manager, individual; a department is
read only next to a seniority or a people word ("VPs of engineering", "the finance team"), so
"sales leads" and "security companies" stay what they were. A level "and up" ("VP-and-up", "director
level or above", "VP+") is that level and every one above it; "leaders" are the senior levels.
"""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import Reading, alternation
from leadpilot.memory.job_titles import ROLE_NOUNS, ROLE_WORDS

SENIORITY_PHRASES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("c-level", "c level", "clevel", "c-suite", "c suite", "csuite", "cxo", "cxos", "c-levels", "c-level execs",
         "c-level executives", "chiefs", "chief officers", "execs", "executives", "exec", "founders", "co-founders",
         "cofounders", "owners and founders"),
        ("c-level",),
    ),
    **dict.fromkeys(("vp", "vps", "vice president", "vice presidents", "svps", "svp", "evps", "evp"), ("vp",)),
    **dict.fromkeys(("director", "directors", "heads", "head"), ("director",)),
    **dict.fromkeys(("manager", "managers", "team leads", "team leaders"), ("manager",)),
    **dict.fromkeys(("individual contributors", "ics", "individual contributor", "non-managers", "practitioners"), ("individual",)),
    **dict.fromkeys(("decision makers", "decision-makers", "senior people", "senior leaders", "leadership", "senior contacts",
                     "leaders", "senior leadership", "senior management", "execs and vps"),
                    ("c-level", "vp", "director")),
}
# Most senior first: "VP and up" is every level from the top down to VP.
LEVELS: tuple[str, ...] = ("c-level", "vp", "director", "manager", "individual")
# A C-level title names its department too (classify_title: "CFO" is c-level, finance).
C_TITLES: dict[str, str | None] = {
    "ceo": "executive", "cto": "engineering", "cfo": "finance", "coo": "operations", "cmo": "marketing", "cio": "it",
    "cro": "sales", "cpo": "product", "cdo": "data", "ciso": "security", "chro": "hr", "cso": None,
}
DEPARTMENT_WORDS: dict[str, str] = {
    "engineering": "engineering", "engineers": "engineering", "r&d": "engineering", "account": "customer success", "it": "it", "information technology": "it", "data": "data", "analytics": "data",
    "product": "product", "design": "product", "sales": "sales", "revenue": "sales", "business development": "sales",
    "marketing": "marketing", "growth": "marketing", "demand gen": "marketing", "customer success": "customer success",
    "support": "customer success", "cs": "customer success", "finance": "finance", "financial": "finance",
    "accounting": "finance", "hr": "hr", "human resources": "hr", "talent": "hr", "recruiting": "hr",
    "legal": "legal", "compliance": "legal", "operations": "operations", "ops": "operations", "procurement": "operations",
    "security": "security", "infosec": "security",
    # Operations teams named after what they run: classify_title reads "Revenue Operations" as sales.
    "revops": "sales", "rev ops": "sales", "revenue operations": "sales", "sales ops": "sales", "sales operations": "sales",
    "bizdev": "sales", "biz dev": "sales", "marketing ops": "marketing", "marketing operations": "marketing", "devops": "engineering",
}


def _departments(dept: str) -> str:
    """Several departments said together: "sales and revops", "engineering, data or product"."""
    return rf"(?:{dept})(?:\s*(?:,\s*(?:and|or)|,|/|&|and|or)\s*(?:{dept}))*"


_NOTHING = r"(?!)"  # a table none of whose words the question says: its pattern cannot match
_PEOPLE = (r"(?:people|folks|contacts|teams?|departments?|dept|org|functions?|leaders|leadership|persona|buyers|staff|"
           r"roles?|positions?|titles?|jobs?|seats?|side)")
# "VP-level", "director level", "VP and up", "director or above", "VP+": a level and every one above it.
_LEVEL_WORD = r"(?:[\s-]+(?:level|levels|titles?|roles?|grade|types?))?"
_AND_UP = r"(?:\s*\+|[\s-]+(?:and|or|&)[\s-]+(?:up|above|higher|over|beyond|upwards?|more\s+senior))"
# The contact the conditions are about, said outright: "where the contact is a", "whose buyer is an".
_WHO_IS = (
    r"\b(?:where|whose|in\s+which|with)\s+(?:the\s+)?(?:main\s+|primary\s+|key\s+)?(?:contact|buyer|person|champion|"
    r"decision[\s-]maker|point\s+of\s+contact|poc)(?:'s|\s+is|\s+are|\s+was|\s+sits|\s+works|\s+belongs|\s+is\s+based)?(?:\s+(?:an?|the|our))?"
    r"|\b(?:contacts?|people|persons?|leads?|buyers|ones)\s+(?:who|that|which)\s+(?:are|is)(?:\s+(?:an?|the))?"
)


class People(Reading):
    """Reads seniority, department and reachability conditions on the lead's contact."""

    def read_people(self) -> None:
        self.read_reachability()
        # Built from the words the question says (Reading.said), so unused ones cost nothing to compile.
        self.read_roles()
        senior_said, titles_said, dept_said = self.said(SENIORITY_PHRASES), self.said(C_TITLES), self.said(DEPARTMENT_WORDS)
        if not (senior_said or titles_said or dept_said):
            return
        levels_said = alternation(senior_said) if senior_said else _NOTHING
        titles = alternation(titles_said) if titles_said else _NOTHING
        # A role word ("fleet", "supply chain") stands where a department does: "fleet managers" (ROLE_WORDS).
        dept_said += [word for word in self.said(ROLE_WORDS) if word not in DEPARTMENT_WORDS]
        dept = alternation(dept_said) if dept_said else _NOTHING
        depts = _departments(dept)

        def senior(m: re.Match[str]) -> None:
            levels = SENIORITY_PHRASES[m.group("level")]
            if m.group("up") or m.group("least"):
                levels = LEVELS[: max(LEVELS.index(level) for level in levels) + 1]
            for level in levels:
                self.add("seniority", level)
            for said in (m.group("dept"), m.group("dept2")):
                for department in re.finditer(rf"\b(?:{dept})\b", said or ""):
                    self.add_team(department.group(0))

        def titled(m: re.Match[str]) -> None:
            self.add("seniority", "c-level")
            department = C_TITLES[m.group("title")]
            if department == "executive":  # a CEO is the title, not every executive (an owner, a founder)
                for said in ("ceo", "chief executive"):
                    self.add("title", said)
            elif department:
                self.add("department", department)

        # "where the contact is a manager", "contacts who are VPs": the words say whose conditions follow.
        self.take(rf"(?:{_WHO_IS})(?=\s+(?:(?:in|on|within|from)\s+)?(?:the\s+|an?\s+)?(?:{levels_said}|{titles}|{dept})\b)", lambda m: None)
        # "VPs of sales", "heads of engineering", "marketing directors", "C-level in finance",
        # "VP-level contacts in sales and revops", "director level or above", "VP-and-up".
        self.take(
            rf"\b(?:(?P<dept>{depts})\s+)?(?P<least>at\s+least\s+|minimum\s+)?(?P<level>{levels_said}){_LEVEL_WORD}(?P<up>{_AND_UP})?{_LEVEL_WORD}"
            rf"(?:\s+{_PEOPLE})?(?:\s+(?:of|in|for|from|on|within)\s+(?:the\s+)?(?P<dept2>{depts})(?:\s+{_PEOPLE})?)?(?![\w+-])",
            self._only_with_level(senior),
        )
        self.take(rf"\b(?P<title>{titles})s?\b", titled)
        # "people in marketing", "the finance team", "contacts in engineering", "in finance roles".
        def departments(m: re.Match[str]) -> None:
            for department in re.finditer(rf"\b(?:{dept})\b", m.group("a") or m.group("b")):
                self.add_team(department.group(0))

        roles = r"(?:team|department|dept|org|function|people|folks|persona|role|position|job|title|seat|leader)s?"
        self.take(
            rf"\b(?:(?:people|folks|contacts|someone|anyone|leads?|buyers)\s+(?:in|from|on|within)\s+(?:the\s+)?(?P<a>{depts})(?:\s+{_PEOPLE})?(?:\s+{roles})?"
            rf"|(?:(?:in|with|from|on|within)\s+(?:an?\s+|the\s+)?)?(?P<b>{depts})\s+{roles})\b",
            departments,
        )
        if {"seniority", "department", "title"} & set(self.filter):  # "with an HR director as contact": whose conditions these are
            self.take(r"\bas\s+(?:the\s+|their\s+|our\s+)?(?:main\s+|primary\s+|key\s+)?(?:contacts?|buyers?|champions?|point\s+of\s+contact|poc)\b", lambda m: None)

    def add_team(self, word: str) -> None:
        """A department word is the department; a role word what the job title contains ("fleet")."""
        if word in DEPARTMENT_WORDS:
            self.add("department", DEPARTMENT_WORDS[word])
        else:
            self.add("title", ROLE_WORDS[word])

    def read_roles(self) -> None:
        """ "software engineers", "accountants", "SDRs": a job title said whole, what the title contains."""
        said = self.said(ROLE_NOUNS)
        if said:
            self.take(rf"\b(?:{alternation(said)})\b", lambda m: self.add("title", ROLE_NOUNS[m.group(0)]))

    @staticmethod
    def _only_with_level(handle):  # type: ignore[no-untyped-def]
        def checked(m: re.Match[str]) -> bool | None:
            level = m.group("level")
            if level in ("head", "heads") and not re.match(r"\s+of\b", m.string[m.end("level") :]) and not m.group("dept"):
                return False  # "head" alone is not a seniority ("head count")
            if level == "leaders" and not m.group("dept") and re.search(r"\b(?:market|industry|category|thought|team)\s*$", m.string[: m.start()]):
                return False  # "market leaders" are companies, not the people in them
            handle(m)
            return None

        return checked

    def read_reachability(self) -> None:
        phone = r"(?:phone(?:\s+numbers?|\s+#)?|phones|(?:mobile|cell)(?:\s+numbers?)?|numbers?\s+to\s+call|direct\s+dials?)"
        email = r"(?:e-?mail(?:\s+address(?:es)?)?s?|e-?mail\s+on\s+file|contact\s+e-?mails?)"
        has = r"(?:with|having|that\s+(?:have|has)|who\s+(?:have|has)|which\s+(?:have|has)|has|have|incl(?:uding)?)\s+(?:an?\s+|the(?:ir)?\s+|a\s+valid\s+|valid\s+|any\s+)?"
        lacks = (
            r"(?:without|with\s+no|having\s+no|lacking|missing|no|(?:that|who|which)\s+(?:don't|do\s+not|doesn't|does\s+not)\s+have|"
            r"(?:that|who|which)\s+(?:have|has)\s+no|(?:we|i)\s+(?:(?:don't|do\s+not)\s+have|(?:haven't|have\s+not)(?:\s+got)?))"
            r"\s+(?:an?\s+|the(?:ir)?\s+|any\s+|valid\s+)?"
        )
        self.take(rf"\b{lacks}{phone}(?:\s+for)?\b", lambda m: self.filter.update(has_phone=False))
        self.take(rf"\b{lacks}{email}(?:\s+for)?\b", lambda m: self.filter.update(has_email=False))
        self.take(rf"\b{has}(?:both\s+)?(?:an?\s+)?{phone}\s*(?:and|&|\+|,)\s*(?:an?\s+)?{email}\b|\b{has}(?:both\s+)?(?:an?\s+)?{email}\s*(?:and|&|\+|,)\s*(?:an?\s+)?{phone}\b",
                  lambda m: self.filter.update(has_phone=True, has_email=True))
        self.take(rf"\b{has}{phone}(?:\s+on\s+file)?\b", lambda m: self.filter.update(has_phone=True))
        self.take(rf"\b{has}{email}(?:\s+on\s+file)?\b", lambda m: self.filter.update(has_email=True))
