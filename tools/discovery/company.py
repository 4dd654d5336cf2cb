"""A company a discovery provider found, in one shape whatever the provider (file row, model answer).

Providers hand over raw mappings; `company_from_mapping` maps their keys onto the lead record's
fields (a company file says "name" and "employees" where a lead CSV says "company" and
"company_size"). Validation itself is the lead record's (`validate_lead`), so a discovered company
is held to the same rules as an imported lead. Keys that map to nothing are kept in `extra`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadpilot.tools.leads import normalise_header

# Lead record field <- the keys a company file or a model answer may use, compared like CSV headers.
COMPANY_KEYS: dict[str, tuple[str, ...]] = {
    "company": ("name", "company", "company_name", "organization", "organisation", "account_name"),
    "website": ("website", "domain", "url", "homepage", "web"),
    "industry": ("industry", "sector", "vertical"),
    "company_size": ("size", "company_size", "employees", "employee_count", "headcount", "number_of_employees"),
    "country": ("country", "country_code", "hq_country"),
    "state": ("state", "province", "state_province"),
    "city": ("city", "town", "hq_city"),
    "notes": ("description", "about", "summary", "notes"),
    "contact_name": ("contact_name", "contact", "contact_full_name"),
    "email": ("email", "contact_email", "email_address"),
    "job_title": ("title", "job_title", "contact_title", "position"),
}
_FIELD_BY_KEY: dict[str, str] = {normalise_header(key): name for name, keys in COMPANY_KEYS.items() for key in keys}
IDENTIFYING_KEYS = COMPANY_KEYS["company"]


@dataclass
class DiscoveredCompany:
    """One found company: lead record fields (raw), what else came with it, and where it came from."""

    item: str  # "line 7" of a file, "company 3" of a model answer
    fields: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # shape problems found while mapping

    @property
    def name(self) -> str | None:
        value = self.fields.get("company")
        return str(value).strip() if value not in (None, "") else None


@dataclass
class Rejection:
    """Something a campaign did not take, and why."""

    item: str
    company: str | None
    reason: str
    kind: str = "invalid"  # invalid | criteria (outside them) | repeat (twice in one run) | limit

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "company": self.company, "kind": self.kind, "reason": self.reason}


def field_for_key(key: str) -> str | None:
    """The lead record field a company file header or answer key feeds, or None."""
    return _FIELD_BY_KEY.get(normalise_header(key))


def company_from_mapping(raw: Mapping[str, Any], *, item: str) -> DiscoveredCompany:
    """Map a provider's record onto lead fields; the first non-empty key for a field wins."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        name = field_for_key(str(key))
        if name is None or name in fields:
            extra[str(key)] = value
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            fields[name] = value.strip() if isinstance(value, str) else value
        else:
            problems.append(f"{key}: must be text or a number, got {type(value).__name__}")
    return DiscoveredCompany(item=item, fields=fields, extra=extra, problems=problems)


class DiscoveryError(RuntimeError):
    """A provider could not deliver at all (unreadable file, model down or answering nonsense).

    The message says what went wrong and how to fix it; the campaign fails with it.
    """


@dataclass
class Discovery:
    """What a provider delivered: companies to consider, and items it could not use at all."""

    companies: list[DiscoveredCompany] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def found(self) -> int:
        return len(self.companies) + len(self.rejections)
