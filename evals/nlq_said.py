"""`evals nlq` expectations about what an answer SAYS rather than which rows it returns:

- `asks: [Harbor Freight Partners, Harbor Mutual Insurance]` — a name that fits several companies:
  the answer lists every candidate and asks which one; it does not explain, predict or list the
  leads of only one of them.
- `owner: {company: X}` or `owner: {id: N}` — "who owns it?": the answer names the owner of the
  lead a rep would work (its rep's name or email, or says it is unassigned) and no other rep.
- `unknown: {source: tiktok}` — a value no lead has: the answer names the value and says it is not
  in the data, and lists no leads. Its counterpart, a value that IS in the data with no lead
  matching the rest of the question, is `leads: {...}` with an empty truth: there, an answer saying
  the value is not in the data is a miss.

The truth side checks each against the facts (the candidates exist, the lead has one owner, the
value is really absent), so a typo in the dataset fails before any question runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from leadpilot.evals.nlq_cases import DatasetError

UNKNOWN_FIELDS = ("industry", "source", "channel", "city", "country", "state", "stage", "tier", "seniority", "department")
_UNASSIGNED = ("unassigned", "no owner", "not assigned", "nobody owns", "no one owns", "no rep")
# "No lead in your data has the source 'tiktok'", "'tiktok' is not in your data", but not a 0-result
# "no open leads in your data match that".
_NOT_IN_DATA = re.compile(r"\b(?:no|not|n't)\b[^.\n]{0,80}\bin (?:your|the) data\b(?![^.\n]{0,30}\bmatch)")


def _plain(text: str) -> str:
    """Lower case, accents folded, curly quotes straightened: "Tomás" and "tomas" compare equal."""
    folded = unicodedata.normalize("NFKD", str(text).lower().replace("’", "'"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def names_in(text: str, name: str) -> bool:
    """Does `text` name `name` as whole words (any case, accents optional)?"""
    return re.search(rf"(?<![a-z0-9]){re.escape(_plain(name))}(?![a-z0-9])", _plain(text)) is not None


def says_not_in_data(text: str) -> bool:
    return _NOT_IN_DATA.search(_plain(text)) is not None


# ---------------------------------------------------------------------------------------------
# Truth: check the expectation against the facts
# ---------------------------------------------------------------------------------------------


def asks_truth(spec: Any, companies: set[str], case_id: str) -> tuple[str, ...]:
    """The candidate companies, each of which must be a company of a lead the asker may see."""
    if not isinstance(spec, list) or len(spec) < 2 or not all(isinstance(name, str) and name.strip() for name in spec):
        raise DatasetError(f"case {case_id!r}: `asks` is a list of two or more company names")
    known = {name.lower() for name in companies}
    missing = [name for name in spec if name.lower() not in known]
    if missing:
        raise DatasetError(f"case {case_id!r}: `asks` names {missing[0]!r}, which is no visible lead's company")
    return tuple(spec)


def owner_truth(owners: set[str | None], rep_names: dict[str, str], case_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what may name the owner, the other reps' names) for the lead(s) whose owners are `owners`."""
    if len(owners) != 1:
        raise DatasetError(f"case {case_id!r}: `owner` needs one lead (or leads with one owner); these have {len(owners)} owners")
    owner = next(iter(owners))
    if owner is None:
        return _UNASSIGNED, tuple(rep_names.values())
    name = rep_names.get(owner)
    names = (name, owner) if name else (owner,)
    return names, tuple(other for email, other in rep_names.items() if email != owner)


def unknown_truth(spec: Any, values: Sequence[str | None], case_id: str) -> tuple[str, str]:
    """(field, value) for a value that no visible lead has; `values` are every visible lead's value."""
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in UNKNOWN_FIELDS:
        raise DatasetError(f"case {case_id!r}: `unknown` is one field ({', '.join(UNKNOWN_FIELDS)}) and its value")
    field, value = next(iter(spec.items()))
    if str(value).lower() in {str(v).lower() for v in values if v is not None}:
        raise DatasetError(f"case {case_id!r}: {field} {value!r} is in the data; for no matching lead use `leads` (an empty set)")
    return field, str(value)


# ---------------------------------------------------------------------------------------------
# Judging: (correct, why)
# ---------------------------------------------------------------------------------------------


def judge_asks(candidates: Sequence[str], answer: Any) -> tuple[bool, str]:
    text = str(answer.answer or "")
    unnamed = [name for name in candidates if not names_in(text, name)]
    if unnamed:
        return False, f"the answer does not list the candidate(s) {', '.join(map(repr, unnamed))}"
    if "?" not in text and not re.search(r"\bwhich\b", _plain(text)):
        return False, "the answer lists the candidates but does not ask which one"
    if getattr(answer, "score_explanation", None):
        return False, "the answer explains one lead instead of asking which"
    companies = {_plain(lead.get("company") or "") for lead in answer.leads or []}
    if len(candidates) > 1 and len(companies) == 1 and companies & {_plain(c) for c in candidates}:
        return False, "the answer picked one candidate's leads"
    return True, ""


def judge_owner(names: Sequence[str], others: Sequence[str], answer: Any) -> tuple[bool, str]:
    text = str(answer.answer or "")
    if not any(names_in(text, name) for name in names):
        return False, f"the answer does not name the owner ({names[0]})"
    wrong = [name for name in others if names_in(text, name)]
    if wrong:
        return False, f"the answer also names {', '.join(wrong[:3])}"
    return True, ""


def judge_unknown(value: str, answer: Any) -> tuple[bool, str]:
    text = str(answer.answer or "")
    if answer.leads:
        return False, f"the answer lists {len(answer.leads)} leads for a value no lead has"
    if not names_in(text, value):
        return False, f"the answer does not name {value!r}"
    if not says_not_in_data(text):
        return False, f"the answer does not say {value!r} is not in the data (a 0-result answer is not enough)"
    return True, ""
