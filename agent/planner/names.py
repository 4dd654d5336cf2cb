"""Names the planner recognises from the store: the Vocabulary of cities, reps and companies.

Each name also answers to its accent-free spelling (`fold`), and a company to its name without
"Inc." or "GmbH" — a name two companies share that way ("Alhambra Logística" S.L. and Ltd) to that shared
name, which finds both (the answer lists them and asks which).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache


def fold(text: str) -> str:
    """Lower case without accents: "Lucía" and "Lucia" are the same name to someone typing."""
    lowered = text.lower()
    if lowered.isascii():  # most names: nothing to strip (the vocabulary folds every company name)
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(?:inc|llc|ltd|ltda|lda|gmbh|sas|sa|srl|s\.a\.?(?:\s+de\s+c\.v)?|s\.a\.s|s\.a\.u|s\.l\.u|s\.r\.l|s\.p\.a|s\.l|b\.v|n\.v|ab|"
    r"pte\.?\s+ltd|k\.k|pvt\.?\s+ltd|private\s+limited|pty\s+ltd|plc|corp|co|limited|llp|fze|fzco|fz[\s-]llc)\.?$", re.I
)


def _with_aliases(names: dict[str, str], *, companies: bool = False) -> dict[str, str]:
    """`names` plus accent-free keys and, for companies, keys without the legal suffix ("Acme" for
    "Acme Inc."), unless that short name is another company's too."""
    return _alias_table(frozenset(names.items()), companies)


@lru_cache(maxsize=16)  # a vocabulary is rebuilt per question from the same store
def _alias_table(names: frozenset[tuple[str, str]], companies: bool) -> dict[str, str]:
    aliases: dict[str, str] = {}
    taken: dict[str, set[str]] = {}
    for key, value in names:
        plain = fold(key).rstrip(".")
        for alias in {plain, _LEGAL_SUFFIX.sub("", plain).strip() if companies else plain}:
            if alias in aliases and aliases[alias] != value:
                taken.setdefault(alias, {aliases[alias]}).add(value)
            aliases.setdefault(alias, value)
    for alias, values in taken.items():  # "Alhambra Logística" for its S.L. and its Ltd: the name they share, which lists both
        shared = {_LEGAL_SUFFIX.sub("", value.rstrip(".")).strip() for value in values}
        aliases[alias] = next(iter(shared)) if companies and len(shared) == 1 and alias not in dict(names) else ""
    return {**{k: v for k, v in aliases.items() if v and k}, **dict(names)}


def _parts_said(said: str) -> tuple[str, ...]:
    """ "msp (management service provider)", "x (twitter)": a value's short name and the name in
    brackets, each said on its own (three letters or more)."""
    both = re.fullmatch(r"(.+?)\s*\((.+)\)", said)
    return tuple(part.strip() for part in both.groups() if len(part.strip()) >= 3) if both else ()


def source_phrases(values: object) -> dict[str, str]:
    """How people say the store's source values: website_form is "website_form", "website form",
    "website forms" and "websiteform" (values are normalised: lower case, "_" between words)."""
    phrases: dict[str, str] = {}
    for value in values:  # type: ignore[attr-defined]
        said = " ".join(str(value).replace("_", " ").split())
        if not said or said == "other":
            continue
        joined = (said.replace(" ", ""), f"{said.replace(' ', '')}s") if said.count(" ") == 1 else ()  # "webform" for web_form
        for phrase in (str(value), said, said if said.endswith("s") else f"{said}s", said.replace(" ", "-"), *joined, *_parts_said(said)):
            phrases.setdefault(phrase.lower(), str(value))
    return phrases


_NOT_AN_INDUSTRY_NAME = frozenset({"other", "others", "unknown", "none", "n/a", "na", "misc", "general", "all", "any", "it", "tech"})


def industry_phrases(values: object) -> dict[str, str]:
    """How people say the store's own industry values: legal-tech is "legal-tech", "legal tech" and
    its label; a one-word value also in the plural ("agritechs"). A value that is a common word
    ("other", "it") is not read on its own: it would swallow ordinary words."""
    from leadpilot.memory.vocab import industry_label

    phrases: dict[str, str] = {}
    for value in sorted(str(v) for v in values):  # type: ignore[attr-defined]
        said = " ".join(value.replace("-", " ").replace("_", " ").split()).lower()
        if len(said) < 3 or said in _NOT_AN_INDUSTRY_NAME:
            continue
        parts = [part for part in _parts_said(said) if part not in _NOT_AN_INDUSTRY_NAME]
        for phrase in (value.lower(), said, industry_label(value).lower(), *((f"{said}s",) if " " not in said and not said.endswith("s") else ()),
                       *parts):
            phrases.setdefault(phrase, value)
    return phrases


@dataclass(frozen=True)
class Vocabulary:
    """Names that come from the store: cities, reps and companies, all lower-case -> canonical.

    Each also answers to its accent-free spelling, and a company to its name without "Inc." or "GmbH".
    """

    cities: dict[str, str] = field(default_factory=dict, repr=False)
    reps: dict[str, str] = field(default_factory=dict, repr=False)  # name / first name / email -> rep email
    rep_names: dict[str, str] = field(default_factory=dict, repr=False)  # rep email -> name, as answers name a rep
    companies: dict[str, str] = field(default_factory=dict, repr=False)
    contacts: dict[str, str] = field(default_factory=dict, repr=False)  # lead contact names, so a person names their lead
    sources: dict[str, str] = field(default_factory=dict, repr=False)  # the store's own source values, by how they are said
    # The values the store holds for these fields (empty: not known, nothing is checked against them).
    industries: frozenset[str] = field(default_factory=frozenset, repr=False)
    departments: frozenset[str] = field(default_factory=frozenset, repr=False)
    statuses: frozenset[str] = field(default_factory=frozenset, repr=False)  # the CRM lead statuses the store kept, as written
    industry_labels: frozenset[str] = field(default_factory=frozenset, repr=False)  # the industries as the file wrote them ("ManagementISV")
    source_labels: frozenset[str] = field(default_factory=frozenset, repr=False)  # the sources as the file wrote them ("Seminar Partner")
    # Columns of the imported file kept as written whose values are a few words ("Rating": Active, Acquired, ...).
    kept_fields: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    deal_values: bool = field(default=False, repr=False)  # the store keeps CRM deal values (memory.crm_facets): "over 20k" is one
    deal_columns: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)  # lost reasons, pipelines as written (planner deals)
    queues: frozenset[str] = field(default_factory=frozenset, repr=False)  # owner names that are no rep ("Web Leads"), lower case
    countries: frozenset[str] = field(default_factory=frozenset, repr=False)  # the ISO countries the store's leads are in
    states: dict[str, str] = field(default_factory=dict, repr=False)  # the store's states / provinces, lower case -> as stored
    # The store's industry values, by how they are said (from `industries`): "legal tech" -> legal-tech.
    industry_names: dict[str, str] = field(default_factory=dict, repr=False, init=False)
    status_names: dict[str, str] = field(default_factory=dict, repr=False, init=False)  # from `statuses`, lower case -> as written

    def __post_init__(self) -> None:
        object.__setattr__(self, "cities", _with_aliases(self.cities))
        object.__setattr__(self, "reps", _with_aliases(self.reps))
        object.__setattr__(self, "companies", _with_aliases(self.companies, companies=True))
        object.__setattr__(self, "contacts", _with_aliases(self.contacts))
        object.__setattr__(self, "sources", source_phrases(self.sources.values()))
        object.__setattr__(self, "industry_names", industry_phrases(self.industries))
        object.__setattr__(self, "status_names", {" ".join(status.lower().split()): status for status in self.statuses})
