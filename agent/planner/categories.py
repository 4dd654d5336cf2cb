"""The categories pass: tier, industry, source, stage and segment phrases, open / converted,
and companies named by their name in the store.
"""

from __future__ import annotations

import re
from datetime import datetime

from leadpilot.agent.planner.kept_fields import add_label
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.reading import Reading, alternation
from leadpilot.agent.planner.store_values import named_as_source, shared_industry_words
from leadpilot.memory.lifecycle import SALESFORCE_LEAD_STATUS
from leadpilot.memory.vocab import INDUSTRIES, INDUSTRY_ALIASES, QUALIFIED_NAMES, QUALIFIED_STAGES

INDUSTRY_PHRASES: dict[str, str] = {
    **{slug.replace("-", " "): slug for slug in INDUSTRIES},
    **{label.lower(): slug for slug, label in INDUSTRIES.items()},
    **{alias: slug for alias, slug in INDUSTRY_ALIASES.items() if alias not in {"technology", "internet", "web"}},
    "fin-tech": "fintech", "fintechs": "fintech", "payments companies": "fintech", "payment companies": "fintech",
    "banks": "banking", "insurers": "insurance", "insurance companies": "insurance",
    "health-care": "healthcare", "hospitals": "healthcare", "health tech": "healthcare", "healthtech": "healthcare",
    "saas": "saas", "software companies": "saas", "b2b software": "saas", "software": "saas",
    "e-commerce": "ecommerce", "ecommerce": "ecommerce", "ecom": "ecommerce", "online stores": "ecommerce",
    "e-comm": "ecommerce", "ecomm": "ecommerce", "e-com": "ecommerce", "e comm": "ecommerce", "d2c": "ecommerce", "dtc": "ecommerce",
    "fin tech": "fintech", "health care": "healthcare", "cybersec": "cybersecurity", "infosec": "cybersecurity",
    "retailers": "retail", "manufacturers": "manufacturing", "factories": "manufacturing",
    "logistics": "logistics", "shipping": "logistics", "trucking": "logistics", "freight": "logistics",
    "edtech": "education", "schools": "education", "universities": "education",
    "proptech": "real-estate", "realestate": "real-estate",
    "media": "media", "publishers": "media", "energy": "energy", "utilities": "energy",
    "telecoms": "telecom", "telcos": "telecom", "telco": "telecom",
    "travel": "hospitality", "hotels": "hospitality",
    "security": "cybersecurity", "cyber security": "cybersecurity", "cyber": "cybersecurity",
    "pharma": "biotech", "life sciences": "biotech", "biotechs": "biotech",
    "public sector": "government", "nonprofits": "nonprofit", "non-profits": "nonprofit", "charities": "nonprofit",
    "consulting": "professional-services", "consultancies": "professional-services", "agencies": "professional-services",
}


# Phrases for a group of sources (memory.vocab.Channel): "paid leads" are the channel, whatever the
# team calls each source. A phrase that is also one of the store's own source values ("paid search"
# when the store has paid_search) is read as that source instead (Categories.read_sources).
CHANNEL_PHRASES: dict[str, str] = {
    "referrals": "referral", "referral": "referral", "referred": "referral", "word of mouth": "referral",
    "organic search": "organic", "organic": "organic", "seo": "organic", "inbound organic": "organic",
    "paid ads": "paid", "paid search": "paid", "paid social": "paid", "paid": "paid", "ads": "paid", "advertising": "paid",
    "ppc": "paid", "paid media": "paid", "paid channels": "paid", "paid marketing": "paid",
    "events": "event", "event": "event", "trade shows": "event", "trade show": "event", "conferences": "event", "conference": "event",
    "tradeshows": "event", "tradeshow": "event", "field events": "event",
    "partners": "partner", "partner": "partner", "partnerships": "partner", "channel partners": "partner",
    "partner-sourced": "partner", "partner sourced": "partner", "resellers": "partner", "affiliates": "partner",
    "outbound": "outbound", "cold outreach": "outbound", "cold email": "outbound", "cold emails": "outbound",
    "cold calling": "outbound", "cold calls": "outbound", "outbound prospecting": "outbound", "sdr-sourced": "outbound",
    "owned media": "owned_media", "owned channels": "owned_media", "newsletters": "owned_media", "other sources": "other",
}
# Phrases for one source value that is not a group (the demo's webinar is owned media, not all of it).
SOURCE_PHRASES: dict[str, str] = {"webinars": "webinar", "webinar": "webinar"}
STAGE_PHRASES: dict[str, str] = {
    "discovery": "DISCOVERY", "discovery stage": "DISCOVERY",
    "prospect stage": "PROSPECT", "stage prospect": "PROSPECT", "prospecting stage": "PROSPECT",
    "opportunities": "OPPORTUNITY", "opportunity": "OPPORTUNITY", "opps": "OPPORTUNITY", "opportunity stage": "OPPORTUNITY",
    "customers": "CUSTOMER", "customer": "CUSTOMER", "closed won": "CUSTOMER", "won": "CUSTOMER",
    "lost": "LOST", "closed lost": "LOST", "lead stage": "LEAD", "new stage": "LEAD",
    "closed-won": "CUSTOMER", "closed-lost": "LOST", "won deals": "CUSTOMER", "lost deals": "LOST", "wins": "CUSTOMER",
    "close-win": "CUSTOMER", "close win": "CUSTOMER", "close-won": "CUSTOMER", "close won": "CUSTOMER", "closed-win": "CUSTOMER",
    "closed win": "CUSTOMER", "closed/won": "CUSTOMER", "close-lost": "LOST", "close lost": "LOST", "closed/lost": "LOST",
    "losses": "LOST", "clients": "CUSTOMER", "paying customers": "CUSTOMER", "existing customers": "CUSTOMER",
}
# MQL / SQL: the `qualification` filter field (memory.lifecycle: the CRM's kept lifecycle value, else
# the stage memory.vocab.QUALIFIED_STAGES says they stand for); the answer says how it read them
# (question.qualified_readings).
QUALIFIED_PHRASES: dict[str, str] = {
    f"{phrase}{plural}": short
    for short, name in QUALIFIED_NAMES.items()
    for phrase in (short, f"{name} lead", f"{name.replace('-', ' ')} lead", f"{name} contact", f"{name.replace('-', ' ')} contact")
    for plural in ("", "s")
} | {"marketing qualified": "mql", "marketing-qualified": "mql", "sales qualified": "sql", "sales-qualified": "sql", "mql's": "mql", "sql's": "sql"}
# A CRM's own lead statuses, said as its users see them ("Open - Not Contacted", "Working - Contacted"):
# the stage memory.lifecycle reads each as on import. Read before contact windows, so the "not
# contacted" in a status name is not a condition of its own (Categories.read_statuses).
STATUS_PHRASES: dict[str, str] = {
    raw.lower().replace(" - ", joint): stage.value for raw, stage in SALESFORCE_LEAD_STATUS.items() for joint in (" - ", "-", " – ", " / ", " ")
}
SEGMENT_PHRASES: dict[str, str] = {
    "enterprise": "enterprise", "enterprises": "enterprise", "large companies": "enterprise", "big companies": "enterprise",
    "large accounts": "enterprise", "mid-market": "mid-market", "mid market": "mid-market", "midmarket": "mid-market",
    "mid-sized": "mid-market", "mid sized": "mid-market", "medium-sized": "mid-market", "medium sized": "mid-market",
    "smb": "smb", "smbs": "smb", "small business": "smb", "small businesses": "smb", "small companies": "smb",
    "small and medium businesses": "smb", "micro": "micro", "micro businesses": "micro", "tiny companies": "micro",
    "very small companies": "micro", "startups": "micro",
    "ent": "enterprise", "enterprise accounts": "enterprise", "enterprise companies": "enterprise", "large enterprises": "enterprise",
    "mid-mkt": "mid-market", "mid mkt": "mid-market", "midmkt": "mid-market", "mm": "mid-market", "mid-size": "mid-market",
    "mid size": "mid-market", "midsize": "mid-market", "mid-tier": "mid-market",
    "small-business": "smb", "smb's": "smb",
    "micro businesses": "micro", "microbusinesses": "micro", "very small businesses": "micro",
}
# "enterprise-sized", "smb-size", "enterprise-scale": a segment said with the word for size.
SEGMENT_PHRASES |= {
    f"{phrase}{suffix}": segment
    for phrase, segment in list(SEGMENT_PHRASES.items()) if " " not in phrase and not phrase.endswith(("sized", "size"))
    for suffix in ("-sized", " sized", "-size", "-scale", " scale")
}


_GENERIC_WORDS = frozenset({"contact", "contacts", "person", "people", "deal", "deals", "lead", "leads", "account", "accounts",
                            "tech", "technology", "services", "service", "and", "management", "solutions", "products", "goods",
                            "industry", "industries", "other", "general", "business", "companies"})


def industry_table(vocabulary) -> dict[str, str]:
    """How people say an industry -> the value to filter on: the store's own values first ("legal
    tech" -> legal-tech), then the planner's words for the usual industries; a word of one of the
    store's values ("renewables" for renewable-energy) stands for that value when it is the only
    one with that word and the planner's own reading of it names an industry the store does not
    hold. Kept on the vocabulary (built once per store)."""
    cached = vocabulary.__dict__.get("_industry_table")
    if cached is not None:
        return cached
    table = dict(INDUSTRY_PHRASES)
    if vocabulary.industries:
        from leadpilot.memory.vocab import industry_slug

        held = set(vocabulary.industries) | {industry_slug(value) for value in vocabulary.industries}
        owners: dict[str, set[str]] = {}
        for value in vocabulary.industries:
            words = value.split("-")
            for word in words if len(words) > 1 else ():
                if len(word) >= 4 and word not in _GENERIC_WORDS:
                    for form in (word, f"{word}s"):
                        owners.setdefault(form, set()).add(value)
        for word, values in owners.items():
            if len(values) == 1 and (word not in table or table[word] not in held):
                table[word] = next(iter(values))
        table |= shared_industry_words(vocabulary, table, held)
        table |= vocabulary.industry_names
        if "technology" in vocabulary.industries:  # a store whose own industry is "Technology": "tech" is it
            table.setdefault("tech", "technology")
    vocabulary.__dict__["_industry_table"] = table
    return table


def crm_label(vocabulary: Vocabulary) -> tuple[str, dict[str, str]] | None:
    """The CRM's own hot / warm / cold label the store kept (Pipedrive's "Deal - Label", a Salesforce Rating):
    (its column, tier word -> the value as written), which "hot deals" means there; None when it has none."""
    for column, values in sorted(vocabulary.kept_fields.items()):
        spelled = {value.lower(): value for value in values}
        if set(spelled) <= {"hot", "warm", "cold"}:
            return column, {tier: spelled.get(tier, tier.title()) for tier in ("hot", "warm", "cold")}
    return None


def store_statuses(vocabulary: Vocabulary, now: datetime) -> dict[str, str]:
    """How the store's kept CRM statuses are said -> the status as written: "junk lead(s)", "pre
    qualified", "interested". Only statuses the reader would not read another way ("Lost Lead" stays the
    LOST stage, "Not Contacted" a contact condition), a single word of five letters or more."""
    cached = vocabulary.__dict__.get("_store_statuses")
    if cached is not None:
        return cached
    vocabulary.__dict__["_store_statuses"] = {}  # while the statuses themselves are read below
    from leadpilot.agent.planner.core import read_fragment

    table: dict[str, str] = {}
    for status in sorted(vocabulary.statuses):
        said = " ".join(status.lower().split())
        if (not re.search(r"[\s-]", said) and len(said) < 5) or read_fragment(said, now=now, vocabulary=vocabulary).read_in_full:
            continue  # "New": too short to tell from other words; "Contacted", "Won": read as the reader's own conditions
        for phrase in {said, said.replace("-", " "), said.replace("-", ""), said.replace(" - ", " "), *((said + "s",) if said.endswith(" lead") else ())}:
            table.setdefault(phrase, status)
    vocabulary.__dict__["_store_statuses"] = table
    return table


class Categories(Reading):
    """Reads what kind of lead: its tier, whether it is open or converted, and its company."""

    asks_owner = False  # "who owns Acme?", "who's the rep for Acme?": the answer is who, not a list

    def read_tiers(self) -> None:
        label = crm_label(self.vocabulary)
        # "scored hot", "hot by score", "score tier hot": Leadpilot's own tier even where the CRM keeps its own label.
        self.take(r"\b(?:scored\s+(?:as\s+)?|score\s+tier\s+|leadpilot\s+tier\s+)(hot|warm|cold)\b|\b(hot|warm|cold)\s+(?:by|on)\s+(?:the\s+)?score\b",
                  lambda m: self.add("tier", m.group(1) or m.group(2)))

        def add(value: str) -> None:
            if label is None:
                self.add("tier", value)
                return
            add_label(self.filter, label[0], label[1][value])

        def tier(m: re.Match[str]) -> None:
            negated, negator_start = self.negated_before(m.start())
            if negated:
                for other in ("hot", "warm", "cold"):
                    if other != m.group(1):
                        add(other)
                self.blank(negator_start, m.start())
            else:
                add(m.group(1))

        # "hot", "hot-rated", "rated hot", "rating: hot" (a CRM's Rating says the tier in the same words).
        # "labelled hot", "tagged as warm": the CRM's label where the store keeps one, else Leadpilot's tier (said so).
        self.take(r"\b(?:(?:tier|rating|label)\s*(?:is\s+|:\s*|=\s*)?|(?:rated|labell?ed|tagged|marked|flagged)\s+(?:as\s+)?)(hot|warm|cold)\b", tier)
        self.take(r"\b(hot|warm|cold)(?:est)?\b(?!\s+(?:outreach|e-?mails?|call(?:s|ing)?|outbound))(?:\s+tier|[\s-]+rat(?:ed|ing))?", tier)

    def read_misc(self) -> None:
        # Ways of asking that carry no condition: "I'd like to see"; "who owns Acme?" (worded as its owner: agent/answer_owner).
        self.take(r"\b(?:i'?d|i\s+would|we'?d|we\s+would)\s+(?:like|love)\s+to\s+(?:see|get|have|know|look\s+at|pull(?:\s+up)?)\b", lambda m: None)
        self.take(r"\b(?:send|shoot|dm|ping)\s+(?:me|us)(?:\s+(?:over|across))?\b", lambda m: None)
        # "pls share negotiation stage contacts": share is show (not "share of leads", a metric)
        self.take(r"(?:^\s*|\b(?:please|can\s+you|could\s+you|would\s+you)\s+)share(?:\s+with\s+(?:me|us))?\b(?!\s+of\b)", lambda m: None)  # "send me the hot leads": show them
        # "which leads should I call first today?": the order is the report's own (first: who to call first).
        self.take(r"\bfirst(?:\s+thing)?\s*(?:in\s+the\s+morning\s*)?[?.!]*\s*$", lambda m: None)

        def asks_owner(m: re.Match[str]) -> bool:
            if m.group("after_name") and not {"company", "contact"} & set(self.filter):
                return False  # "owner" alone at the end names no lead
            self.asks_owner = True
            return True

        self.take(r"\bwho(?:'s|\s+is)?\s+(?:the\s+)?(?:owner|rep|ae|account\s+exec(?:utive)?)\s+(?:of|for|on)\b|\bwho\s+owns\b"
                  r"|\bwho(?:'s|\s+is)\s+(?:working|handling)(?:\s+on)?\b|\bwhose\s+(?:lead|account|deal)\s+is\b"
                  r"|\b(?P<after_name>owner|rep|ae|account\s+owner)\s*[?.!]*\s*$", asks_owner)  # "Acme owner?"
        self.take(r"\bwhat(?:'s|\s+is)\s+(?:the\s+(?:deal|story|status|situation)|up|going\s+on|happening)\s+(?:with|on)\b|\bhow\s+are\s+we\s+doing\s+(?:with|on)\b", lambda m: None)
        if self.filter.get("company") or self.filter.get("contact"):  # "how's the Acme deal going?": about that lead
            self.take(r"\bhow(?:'?s|\s+is)\s+(?:the\s+|our\s+)?(?:(?:deal|account|lead|opp(?:ortunity)?)\s+(?:with\s+)?)?(?=\s)"
                      r"|(?<=\s)(?:(?:deal|account|lead|opp(?:ortunity)?)\s+)?(?:going|doing|looking|progressing|coming\s+along)\s*[?.!]*\s*$", lambda m: None)
        self.take(r"^\s*(?:add|include)\b(?!\s+(?:an?|new|the)\b)", lambda m: None)  # "add healthcare": widen the last list
        self.take(r"\b(?:sales|new\s+business)\s+(?=(?:leads?|prospects?|pipeline|deals|opportunities|opps)\b)|\bso\s+far\b|\bat\s+the\s+moment\b|\bcurrently\b", lambda m: None)
        # "narrow that down to", "filter them to": how a follow-up says "only".
        self.take(r"\b(?:narrow|filter|limit|restrict|cut)\s+(?:(?:it|that|this|them|those|these|the\s+list)\s+)?(?:down\s+)?(?:to|by)?\b", lambda m: None)
        self.take(r"\b(?:open|active|still\s+open|in\s+progress|in\s+the\s+pipeline|in\s+pipeline)\b(?!\s+(?:an?\s+)?e-?mail)", lambda m: self.filter.update(scope="open"))

        def pipeline(m: re.Match[str]) -> None:
            self.filter.setdefault("scope", "open")  # "our pipeline" is the open leads

        self.take(r"\b(?:(?:the|our|my|current|open)\s+)?pipeline\b", pipeline)
        self.take(r"\b(?:that\s+|which\s+|who\s+)?(?:converted|closed\s+won|became\s+customers?)\b", lambda m: self.filter.update(converted=True))
        self.take(r"\b(?:that\s+|which\s+|who\s+)?(?:did\s+not|didn't|never)\s+convert(?:ed)?\b|\bnot\s+converted\b", lambda m: self.filter.update(converted=False))

    def read_statuses(self) -> None:
        """ "still Open - Not Contacted", "in Working - Contacted status": the stage the status is.
        Not when a time follows ("open not contacted in 3 days" is open leads and a contact window).
        The store's own statuses that no other words say ("junk leads", "Pre-Qualified", "Attempted
        to Contact"): the `status` field, as the CRM wrote it."""
        later = (r"(?!\s+(?:(?:in|for|over|within|during)\s+(?:the\s+)?(?:last|past|next|this|a|an|one|two|three|few|\d+)\b"
                 r"|(?:since|this|last|past|yet|today|yesterday|\d)\b))")  # "Interested in India": a place is no time
        present = self.said(STATUS_PHRASES)
        if present:
            self.take(rf"\b(?:{alternation(present)})\b{later}", lambda m: self.add("stage", STATUS_PHRASES[m.group(0)]))
        statuses = store_statuses(self.vocabulary, self.now)
        self.read_listed_statuses(statuses)
        if statuses and (present := self.said(statuses)):
            self.take(rf"(?<![\w-])['\"]?(?P<status>{alternation(present)})['\"]?(?![\w-]){later}(?:\s+(?:stage|status))?(?![\w-])",
                      lambda m: self.add("status", statuses[m.group("status")]))

    def read_listed_statuses(self, statuses: dict[str, str]) -> None:
        """ "lost and junk leads", "junk or lost": statuses said together are all the CRM's statuses, any of
        them — "lost" next to "junk" is the store's "Lost Lead" status, not every closed lead. Only when one
        of them is a status no other words say, and every one is a status the store kept ("X Lead" said "X")."""
        if not statuses:
            return
        short = {name.removesuffix(" lead"): status for name, status in self.vocabulary.status_names.items() if name.endswith(" lead")}
        said = {**short, **statuses}
        present = self.said(said)
        if len(present) < 2:
            return
        item = alternation(present)
        joint = r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*|\s*&\s*|\s*\+\s*)"

        def listed(m: re.Match[str]) -> bool:
            names = re.findall(rf"(?<![\w-])(?:{item})(?![\w-])", m.group(0))
            if not any(name in statuses or f"{name} lead" in statuses for name in names):
                return False  # "won and lost": stages, read below
            for name in names:
                self.add("status", said[name])
            return True

        self.take(rf"(?<![\w-])(?:{item})(?:{joint}(?:{item}))+(?![\w-])(?:\s+(?:leads?|statuse?s?|ones))?", listed, gated=False)

    def read_qualifications(self) -> None:
        """ "MQLs", "sales qualified leads": the qualification field. "not MQLs" excludes the stage an
        MQL stands for (the filter has no not_qualification)."""
        present = self.said(QUALIFIED_PHRASES)
        if not present:
            return

        def qualified(m: re.Match[str]) -> None:
            short = QUALIFIED_PHRASES[m.group(0)]
            negated, negator_start = self.negated_before(m.start())
            if negated:
                self.add("not_stage", QUALIFIED_STAGES[short].value)
                self.blank(negator_start, m.start())
            else:
                self.add("qualification", short)

        self.take(rf"\b(?:{alternation(present)})\b", qualified)

    def read_scope(self) -> None:
        """Which leads by lifecycle, said outright: "including closed", "all time", "ever" (all);
        "not closed" (open). Read before stages, so "including customers" is not a stage."""
        closed = r"(?:closed|won|lost|customers?|won\s+(?:and|or|&|/)\s+lost|lost\s+(?:and|or|&|/)\s+won|inactive|dead)(?:\s+(?:ones|leads|deals|accounts))?"
        # "including the ones that have closed since", "incl. ones that already closed", "even those we won or lost".
        since_closed = (
            r"(?:ones?|those|leads?|deals?|accounts?)\s+(?:that|which|who|we)?\s*(?:'ve\s+|have\s+|has\s+|had\s+|were\s+|are\s+|is\s+|was\s+)?"
            r"(?:already\s+|since\s+|now\s+|eventually\s+|then\s+)?(?:been\s+|got\s+)?"
            r"(?:(?:won|closed)\s+(?:or|and|/)\s+(?:lost|won)|closed|won|lost|converted|churned|became\s+customers)"
            r"(?:\s+(?:since(?:\s+then)?|already|by\s+now|out|off|too|as\s+well|in\s+the\s+meantime))?"
        )
        self.take(
            rf"\b(?:including|incl\.?|include|inc\.|plus|even|as\s+well\s+as|along\s+with|together\s+with|counting)\s+"
            rf"(?:all\s+)?(?:the\s+|of\s+the\s+)?{since_closed}\b"
            rf"|\b(?:and\s+|also\s+|plus\s+)?(?:the\s+)?{closed}\s+(?:ones\s+)?(?:too|as\s+well|also)\b"
            rf"|\b(?:including|incl\.?|include|inc\.|plus|even|as\s+well\s+as|along\s+with)\s+(?:the\s+|all\s+(?:the\s+)?)?{closed}\b"
            r"|\b(?:open\s+(?:and|or|&|/|\+)\s+closed|closed\s+(?:and|or|&|/|\+)\s+open)\b"
            r"|\b(?:of\s+)?all[\s-]+time\b|\bever\b|\bhistoric(?:al(?:ly)?)?\b|\bin\s+history\b"
            r"|\b(?:in\s+)?(?:any|all|every)\s+stages?\b|\b(?:regardless\s+of|whatever|irrespective\s+of)\s+(?:the\s+)?(?:stage|status|outcome)\b",
            lambda m: self.filter.update(scope="all"),
        )
        self.take(
            r"\b(?:not|non|un|excluding|except(?:\s+for)?|without)[\s-]*(?:the\s+)?closed(?:\s+(?:ones|leads|deals))?\b",
            lambda m: self.filter.update(scope="open"),
        )

        def every_outcome(m: re.Match[str]) -> bool:
            said = set(re.findall(r"open|won|lost|closed|active|customers?", m.group(0)))
            if "open" in said or "active" in said:  # "won, lost or open": every lead
                self.filter["scope"] = "all"
                return True
            return False  # "won or lost": the stages, read below

        kind = r"(?:open|won|lost|closed|active|customers?)"
        self.take(rf"\b{kind}(?:\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+|\s*/\s*|\s*&\s*){kind}){{1,3}}\b", every_outcome)

    def read_closed(self) -> None:
        """ "closed" on its own (after "closed won" / "closed lost" were read as stages): won or lost."""
        self.take(r"\bclosed(?:\s+(?:deals?|leads?|ones|accounts|opportunities|opps))?\b", lambda m: self.filter.update(scope="closed"))
        if {"LOST", "CUSTOMER"} & set(self.filter.get("not_stage", [])) and not {"stage", "scope", "converted"} & set(self.filter):
            self.filter["scope"] = "all"  # "not lost": everything else, won ones included

    def read_no_source(self) -> None:
        """ "leads with no source", "source is blank": the leads whose file gave no source (stored as
        memory.lead_record.NO_SOURCE, shown as "(no source)")."""
        from leadpilot.memory.lead_record import NO_SOURCE

        self.take(r"\b(?:no|without\s+(?:a\s+|any\s+)?|missing(?:\s+(?:a|the))?|(?:a\s+)?blank|(?:an\s+)?empty)\s+(?:lead\s+)?source\b"
                  r"|\bsources?\s+(?:is\s+|are\s+)?(?:blank|empty|missing|not\s+set|unknown)\b|\(no\s+source\)",
                  lambda m: self.add("source", NO_SOURCE))

    def read_sources(self) -> None:
        """Sources and channel groups: "paid leads" is the paid channel; "paid search leads" the
        store's own paid_search source when it has one (else the paid channel); "webinars" a source."""
        table = {phrase: ("channel", value) for phrase, value in CHANNEL_PHRASES.items()}
        table |= {phrase: ("source", value) for phrase, value in SOURCE_PHRASES.items()}
        groups = {value for value in CHANNEL_PHRASES.values()} | {f"{value}s" for value in CHANNEL_PHRASES.values()}
        table |= {phrase: ("source", value) for phrase, value in self.vocabulary.sources.items()
                  if phrase not in groups or named_as_source(self.original, phrase, self.vocabulary)}
        phrases = {phrase: f"{key}\t{value}" for phrase, (key, value) in table.items()}
        found: list[tuple[str, str]] = []

        def handle(key: str, value: str, negated: bool) -> None:
            self.add(f"not_{key}" if negated else key, value)
            if not negated:
                found.append((key, value))

        present = self.said(phrases)
        # "from the Advertisement source", "the web channel": the field's own word after the value is part of it.
        pattern = rf"\b(?P<said>{alternation(present)})\b(?:\s+(?:lead\s+)?(?:sources?|channels?)\b)?" if present else None
        ends: list[int] = []

        def match(m: re.Match[str]) -> None:
            key, value = phrases[m.group("said")].split("\t")
            negated, negator_start = self.negated_in_list(m.start(), ends)
            if negated:
                self.blank(negator_start, m.start())
                ends.append(m.end())
            handle(key, value, negated)

        if pattern is not None:
            self.take(pattern, match)
        # "inbound leads": the ones that came to us, i.e. not from outbound prospecting.
        self.take(r"\binbound\b(?!\s+(?:organic|calls?|e-?mails?))", lambda m: self.add("not_channel", "outbound"))
        if self.filter.get("source") and self.filter.get("channel"):
            self.join_channels_and_sources()

    def read_long_sources(self) -> None:
        """The store's own sources of several words ("sales email alias", "web download") before the passes that
        would take one of their words ("from sales" is a department): the longer name wins."""
        phrases = {phrase: value for phrase, value in self.vocabulary.sources.items() if " " in phrase and phrase not in CHANNEL_PHRASES}
        present = self.said(phrases)
        if not present:
            return

        def source(m: re.Match[str]) -> None:
            negated, negator_start = self.negated_before(m.start())
            if negated:
                self.blank(negator_start, m.start())
            self.add("not_source" if negated else "source", phrases[m.group("said")])

        self.take(rf"(?<![\w-])(?P<said>{alternation(present)})(?![\w-])(?:\s+(?:lead\s+)?sources?\b)?", source, gated=False)

    def join_channels_and_sources(self) -> None:
        """"events or webinars": a channel and a source named together mean either, so the channel
        becomes the store's sources in it (or, without the store's list, an any_of)."""
        channels, sources = self.filter.pop("channel"), self.filter.pop("source")
        known = sorted(set(self.vocabulary.sources.values()))
        if known:
            from leadpilot.memory.vocab import channel_of

            self.filter["source"] = sources + [s for s in known if channel_of(s) in channels and s not in sources]
        else:
            self.filter.setdefault("any_of", []).extend([{"channel": channels}, {"source": sources}])

    def read_contacts(self) -> None:
        """A person named in full ("who's Johanna Krüger?"): their leads (a rep's name is an owner instead)."""
        def contact(key: str, start: int, end: int) -> None:
            if key in self.vocabulary.reps:
                return
            self.filter["contact"] = self.vocabulary.contacts[key]
            self.blank(start, end)

        self.ngrams(self.vocabulary.contacts, contact, max_words=4, min_words=2)

    def read_companies(self, *, min_words: int = 1) -> None:
        def company(key: str, start: int, end: int) -> None:
            self.filter["company"] = self.vocabulary.companies[key]
            self.blank(start, end)

        self.ngrams(self.vocabulary.companies, company, min_words=min_words)
