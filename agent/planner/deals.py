"""The deals pass: what a team whose CRM keeps deals asks about them, read only where the store holds such
deals (memory.crm_facets: a Pipedrive Deals export, a HubSpot or Salesforce deal report):

- the deal's value as people type it: "over 20k", "€5,000+", "under 500 euros", "worth more than 10k",
  "no value set" -> deal_value_over / _min / _under / _max; "biggest deals", "top 5 by value" -> sorted by it
- why a deal was lost, in the words its lost reasons use: "lost on price", "to a competitor", "ghosted"
  -> lost_reason (the reason as the CRM wrote it), a lost deal
- the pipeline by its name: "expansion deals", "in the New business pipeline" -> pipeline
- the CRM's own pipeline stages by the word people use: "in negotiation", "proposal", "demo scheduled"
  -> status (the open deals sitting there)

In a store with none of these (the demo), nothing here is read: "biggest" stays company size.
"""

from __future__ import annotations

import re

from leadpilot.agent.planner.reading import Reading, alternation
from leadpilot.memory.crm_facets import DEAL_VALUE_COLUMNS, LOST_REASON_COLUMNS, PIPELINE_COLUMNS
from leadpilot.memory.lifecycle import deal_pipeline_stage, lifecycle_key

_CURRENCY = r"(?:€|\$|£|eur\b|usd\b|gbp\b)"
_UNIT = r"(?:\s*(?:€|\$|£|eur(?:os?)?|euros?|usd|dollars?|gbp|pounds?)(?![\w]))"
_NUMBER = rf"{_CURRENCY}?\s*(?P<n>\d[\d,.]*)(?P<mult>\s*(?:k|m|mm|thousand|million)\b)?{_UNIT}?(?P<plus>\+)?"
_COMPARE = {
    "over": r"over|above|more\s+than|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|worth\s+more\s+than|>",
    "min": r"at\s+least|min(?:imum)?|>=|≥|worth\s+at\s+least",
    "under": r"under|below|less\s+than|smaller\s+than|lower\s+than|worth\s+less\s+than|<",
    "max": r"at\s+most|up\s+to|max(?:imum)?|<=|≤|no\s+more\s+than",
}
_NOT_AMOUNT = r"(?!\s*(?:%|days?|weeks?|months?|years?|hours?|employees|people|staff|points?|times|visits?|pages?|leads?|[.,]?\d))"
# An amount that can only be money ("20k", "€500", "500 euros"), said to a store that keeps no deal value.
_MONEY = (rf"(?:{_CURRENCY}\s*\d|\d[\d,.]*\s*(?:k|m|mm|thousand|million)\b|\d[\d,.]*{_UNIT}"
          rf"|\b(?:over|above|under|below|than|least|most|worth)\s+\d{{4,}}{_NOT_AMOUNT})")  # "20k" reads as 20000
NO_DEAL_VALUES = ("Your leads carry no deal value, so I can't compare amounts: import the CRM's value column "
                  "(e.g. 'Amount' or 'Deal - Value'; see docs/csv-mapping.md) and ask again.")
# The words people use for a pipeline stage of the CRM's (memory.lifecycle.PIPEDRIVE_DEAL_STAGES, by key).
_STAGE_WORDS = {
    "negotiationsstarted": ("negotiations started", "negotiations", "negotiation", "negociation", "negotiating", "negotiate"),
    "proposalmade": ("proposal made", "proposals", "proposal sent", "proposal stage", "proposal"),
    "demoscheduled": ("demo scheduled", "demos scheduled", "demo booked", "demo stage"),
    "contactmade": ("contact made",),
    "needsdefined": ("needs defined",),
}
# Words of a lost reason too plain to name it ("No budget" is "budget").
_PLAIN = frozenset({"no", "not", "now", "a", "an", "the", "too", "high", "chose", "other", "lost", "reason", "deal", "to", "of", "on"})
_STEMS = {"competitor": ("competitors", "competition", "competing"), "price": ("pricing", "prices", "expensive", "too expensive"),
          "ghosted": ("ghosting", "no response", "went dark", "unresponsive", "never replied"),
          "budget": ("budgets",), "timing": ("bad timing", "not now")}


def deal_amount(m: re.Match[str]) -> float:
    """The number a match of _NUMBER says: "30k" 30000, "€5,000" 5000, "5.000" 5000, "1.5m" 1500000."""
    digits = m.group("n").rstrip(".,")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits):
        digits = re.sub(r"[.,]", "", digits)  # thousands separators, either way
    value = float(digits.replace(",", ""))
    mult = (m.group("mult") or "").strip()
    return value * (1000 if mult in ("k", "thousand") else 1_000_000 if mult in ("m", "mm", "million") else 1)


def deal_columns(extras) -> dict[str, frozenset[str]]:
    """The store's lost reasons and pipelines as the CRM wrote them (memory.crm_facets' columns), from the
    leads' kept cells (`extras`: Lead.extra dicts)."""
    values: dict[str, set[str]] = {}
    for extra in extras:
        for column in (*LOST_REASON_COLUMNS, *PIPELINE_COLUMNS):
            value = (extra or {}).get(column)
            if isinstance(value, str) and value.strip() and len(value) <= 60 and len(values.setdefault(column, set())) < 50:
                values[column].add(value.strip())
    return {column: frozenset(found) for column, found in values.items()}


def has_deal_values(extras) -> bool:
    """Whether a lead kept a CRM deal's value as a plain number (memory.crm_facets.DEAL_VALUE_COLUMNS), from
    the leads' kept cells: then "over 20k" is a deal value."""
    return any(re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", str((extra or {}).get(column) or "")) is not None
               for extra in extras for column in DEAL_VALUE_COLUMNS)


def _kept(vocabulary, columns: tuple[str, ...]) -> list[str]:
    return sorted({value for column in columns for value in getattr(vocabulary, "deal_columns", {}).get(column, ())})


def has_deals(vocabulary) -> bool:
    """Whether the store holds CRM deals (a value, a lost reason or a pipeline column kept)."""
    return bool(getattr(vocabulary, "deal_values", False) or _kept(vocabulary, LOST_REASON_COLUMNS) or _kept(vocabulary, PIPELINE_COLUMNS))


class Deals(Reading):
    """Reads the deal facets (see the module docstring)."""

    def read_deals(self) -> None:
        if not has_deals(self.vocabulary):
            return
        self.read_lost_reasons()
        self.read_pipelines()
        self.read_deal_stages()
        if getattr(self.vocabulary, "deal_values", False):
            self.read_deal_sort()

    def read_lost_reasons(self) -> None:
        reasons = _kept(self.vocabulary, LOST_REASON_COLUMNS)
        words: dict[str, str] = {}
        for reason in reasons:
            for word in re.findall(r"[a-z]+", reason.lower()):
                if len(word) >= 3 and word not in _PLAIN:
                    for form in (word, *_STEMS.get(word, ())):
                        words.setdefault(form, reason)
        present = self.said(words)
        if not present:
            return
        said = rf"(?P<w>{alternation(present)})"
        lost = r"(?:(?:we\s+)?(?:lost|lose|losing|loses)\s+(?:it\s+|them\s+|deals?\s+)?)"
        why = r"(?:on|to|because(?:\s+of)?|due\s+to|over|for|from|as|with\s+reason|-|:)?\s*(?:a\s+|an\s+|the\s+|no\s+|too\s+|being\s+)*"

        def reason(m: re.Match[str]) -> None:
            self.add("lost_reason", words[m.group("w")])
            self.add("stage", "LOST")

        self.take(rf"\b{lost}{why}{said}\b(?:\s+too\s+high)?", reason, gated=False)
        self.take(rf"\blost\s+reasons?\s*(?:is|=|:|of)?\s*(?:a\s+|no\s+)?{said}\b", reason, gated=False)
        ghosted = [word for word in present if word.startswith(("ghost", "no response", "went dark", "unresponsive", "never"))]
        if ghosted:  # "deals that ghosted us", "ghosted deals": lost to no response, as the CRM wrote it
            self.take(rf"\b(?:that\s+|who\s+)?(?P<w>{alternation(ghosted)})\b(?:\s+(?:us|me))?", reason, gated=False)

    def read_pipelines(self) -> None:
        names = {" ".join(value.lower().split()): value for value in _kept(self.vocabulary, PIPELINE_COLUMNS)}
        present = self.said(names)
        if not present:
            return
        name = rf"(?P<p>{alternation(present)})"

        def pipeline(m: re.Match[str]) -> None:
            self.add("pipeline", names[m.group("p")])

        self.take(rf"\b(?:(?:in|from|on)\s+)?(?:the\s+)?{name}\s+pipelines?\b", pipeline, gated=False)
        self.take(rf"\bpipeline\s*(?:is|=|:)?\s*{name}\b", pipeline, gated=False)
        single = [phrase for phrase in present if " " not in phrase]  # "expansion deals", as a team names its pipeline
        if single:
            self.take(rf"\b(?P<p>{alternation(single)})(?=\s+(?:deals?|opportunit(?:y|ies)|ones)\b)", pipeline, gated=False)

    def read_deal_stages(self) -> None:
        held = {lifecycle_key(status): status for status in self.vocabulary.statuses if deal_pipeline_stage(status) is not None}
        phrases = {phrase: held[key] for key, words in _STAGE_WORDS.items() if key in held for phrase in words}
        present = self.said(phrases)
        if not present:
            return

        def stage(m: re.Match[str]) -> None:
            for word in re.findall(rf"(?<![\w-])(?:{alternation(present)})(?![\w-])", m.group(0)):
                self.add("status", phrases[word])

        one = rf"(?:{alternation(present)})"
        self.take(rf"(?:\blate[- ]stage\s+)?(?:\b(?:in|at)\s+(?:the\s+)?)?(?:\bhave\s+)?(?:\ba\s+)?(?<![\w-]){one}(?:\s*(?:,|or|and|/)\s*{one})*(?![\w-])"
                  r"(?:\s+stage)?", stage, gated=False)
        self.take(r"\blate[- ]stage\b", lambda m: None)  # "late stage deals (proposal or negotiation)": the stages say which

    def read_deal_sort(self) -> None:
        def biggest(m: re.Match[str]) -> None:
            self.search.update(sort_by="deal_value", descending=not m.groupdict().get("small"))
            if m.groupdict().get("k"):
                self.search["limit"] = int(m.group("k"))

        self.take(r"\b(?:biggest|largest|most\s+valuable|highest[- ]value|(?P<small>smallest|lowest[- ]value))(?:\s+(?P<k>\d+))?"
                  r"(?=(?:\s+(?:open|won|lost))?\s+deals?\b)", biggest)
        self.take(r"\b(?:most\s+valuable|highest[- ]value)\b", biggest)
        self.take(r"\b(?:by|sorted\s+by|ordered\s+by)\s+(?:deal\s+)?(?:value|amount|size\s+of\s+the\s+deal)\b", biggest)

    def read_deal_values(self) -> None:
        """Amounts after the employee and score bounds are read: what is left ("over 20k") is the deal's value."""
        if not getattr(self.vocabulary, "deal_values", False):
            if re.search(r"\b(?:deals?|worth|value|amount)\b", self.text) and re.search(_MONEY, self.text):
                def no_values(_: re.Match[str]) -> None:
                    self.unsupported = self.unsupported or NO_DEAL_VALUES

                compare = "|".join(_COMPARE.values())
                self.take(rf"(?:\b(?:deal\s+)?(?:value|amount)\s+)?(?:\bworth\s+)?(?:(?:{compare})\s*)?{_NUMBER}{_NOT_AMOUNT}",
                          no_values, gated=False)
            return

        def bound(kind: str):
            def read(m: re.Match[str]) -> bool | None:
                if re.search(r"(?:score|scored|probability|employees|staff)\W*(?:\w+\W+)?$", self.text[: m.start()]):
                    return False
                self.filter[f"deal_value_{'min' if m.group('plus') else kind}"] = deal_amount(m)
                return None
            return read

        value = r"(?:\s+(?:in\s+)?(?:deal\s+)?(?:value|amount|size))?"
        for kind, words in _COMPARE.items():
            self.take(rf"(?:\b(?:with\s+(?:a\s+)?)?(?:deal\s+)?(?:value|amount)\s+)?(?<![\w])(?:worth\s+)?(?:{words})\s*{_NUMBER}{_NOT_AMOUNT}{value}", bound(kind))

        def worth(m: re.Match[str]) -> None:
            self.filter.update(deal_value_min=deal_amount(m), **({} if m.group("plus") else {"deal_value_max": deal_amount(m)}))

        self.take(rf"\b(?:worth|valued\s+at)\s+{_NUMBER}{_NOT_AMOUNT}", worth)
        self.take(rf"(?<![\w.,]){_NUMBER}(?<=\+){_NOT_AMOUNT}", bound("min"))  # "€5,000+"
        self.take(r"\b(?:(?:with\s+)?no\s+(?:deal\s+)?(?:value|amount)(?:\s+set)?|(?:zero|0)[- ](?:value|eur|euros?))\b"
                  r"(?:\s*\(\s*0\s*(?:€|eur(?:os?)?)?\s*\))?", lambda m: self.filter.update(deal_value_max=0.0))
