"""Company names tidied for display ('ACME, INC.' -> 'Acme') and keyed for matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadpilot.memory.company_names import LEGAL_SUFFIXES, company_key

_TRAILING_LEGAL = re.compile(
    r"[\s,]+(?:" + "|".join(re.escape(s).replace(r"\ ", r"[\s.]*") for s in sorted(LEGAL_SUFFIXES, key=len, reverse=True)) + r")\.?$",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_KEEP_UPPER = 3  # all-caps words this short are acronyms (IBM, SAP): kept as they are


@dataclass(frozen=True)
class CompanyName:
    raw: str
    display: str  # "Acme" from "ACME, Inc."
    key: str | None  # the matching key shared with the import and dedup
    legal_form: str | None  # "Inc." when the name carried one


def _recase(text: str) -> str:
    if text.isupper() or text.islower():
        return " ".join(w if w.isupper() and len(w) <= _KEEP_UPPER else w.capitalize() for w in text.split())
    return text


def normalise_company(*, name: str) -> CompanyName:
    raw = _SPACES.sub(" ", name).strip()
    display, legal_form = raw, None
    while match := _TRAILING_LEGAL.search(display):
        if match.start() == 0:
            break  # the name is only a legal form: keep it
        legal_form = match.group(0).strip(" ,") if legal_form is None else legal_form
        display = display[: match.start()].rstrip(" ,&")
    return CompanyName(raw=raw, display=_recase(display), key=company_key(raw), legal_form=legal_form)
