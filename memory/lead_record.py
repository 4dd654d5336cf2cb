"""The canonical lead record and its validation, shared by CSV import, the webhook and the seeder.

`validate_lead` turns one raw record (strings from a CSV, or JSON values) into store values. It
collects every problem in the record rather than stopping at the first, so a person can fix a row
in one go. Problems that lose nothing (an unknown stage stored as LEAD) are warnings; the record
still loads and the raw value is kept in `extra`.

A source is the user's own value, normalised ("Website Form" -> website_form), never a warning.
Beside the record's fields it fills what the store derives from them at every write
(`derived_columns`): the source's `channel` group, and `seniority` and `department` from the job
title.

It is hand-written rather than a pydantic model because imports validate 100,000 rows at a time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from leadpilot.memory.crm_engagement import read_engagement
from leadpilot.memory.geo import country_code, state_code
from leadpilot.memory.job_titles import title_columns
from leadpilot.memory.vocab import SOURCE_MAX_LENGTH, Stage, channel_of, industry_value, normalise_source, parse_stage

CANONICAL_FIELDS: tuple[str, ...] = (
    "external_id",
    "company",
    "website",
    "contact_name",
    "email",
    "phone",
    "job_title",
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "source",
    "stage",
    "owner_email",
    "created_at",
    "last_contacted_at",
    "notes",
    "converted",
    "converted_at",
)
# Accepted beside the canonical fields (not in the contract, but the store models them).
OPTIONAL_FIELDS: tuple[str, ...] = ("language",)
# Kept in `extra`: the team's stage when the store's differs from it ("Marketing Qualified Lead" is
# stored as LEAD; see memory/lifecycle.py), and a lost lead's close date.
STAGE_RAW_KEY = "stage_raw"
CLOSED_LOST_KEY = "closed_lost_at"
# The team's industry label when the store's value differs from it ("EdTech" is stored as edtech):
# an export writes the label back (tools/leads/export.py).
INDUSTRY_RAW_KEY = "industry_raw"
# A "Converted" cell that says no on an open stage ("0" on "Open - Not Contacted"): the store keeps no
# outcome (converted NULL: not decided yet, never counted as a loss); an export writes the cell back.
CONVERTED_RAW_KEY = "converted_raw"
# The team's source label when the store's value differs from it ("Partner Referral" is stored as
# partner_referral; a blank cell as NO_SOURCE): an export writes the label back.
SOURCE_RAW_KEY = "source_raw"
# The source of a record that names none (a blank "Lead Source" cell): memory.vocab lists it (channel
# other) and describe_source says "unknown" for no source; kept apart from a team's own "Other". An export
# writes it as a blank cell (a team's own "Unknown" keeps its label in source_raw).
NO_SOURCE = "unknown"
# A deal's status (Pipedrive "Deal - Status": open | won | lost), beside its pipeline stage in `stage`:
# the status decides open or closed, the stage is kept as written (memory.lifecycle).
DEAL_STATUS_FIELD = "deal_status"
# A contact's status within its lifecycle stage (Freshsales "Status" beside "Lifecycle stage"): a closing status
# (Won, Lost, Unqualified) decides, an open one is kept as written in stage_raw and the lifecycle stage, as written,
# in extra.lifecycle_raw (memory.lifecycle).
CONTACT_STATUS_FIELD = "contact_status"
LIFECYCLE_RAW_KEY = "lifecycle_raw"
# An email cell holding several addresses (Freshsales "Emails"): the first is the email, the cell is kept as written.
EMAILS_RAW_KEY = "emails_raw"
# A record's engagement as a CRM states it (counts and dates by header or property name: memory.crm_engagement).
ENGAGEMENT_FIELD = "engagement"
# Derived by the store from the fields above at every write (`derived_columns`), never read from input.
DERIVED_FIELDS: tuple[str, ...] = ("channel", "seniority", "department")

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_SEVERAL = re.compile(r"\s*[,;]\s*|\s+")  # between the addresses of one email cell
_SIZE_CLEAN = re.compile(r"[,_\s]")
_SIZE_RANGE = re.compile(r"^(\d+)\s*(?:-|–|to)\s*(\d+)$")
_SIZE_PLUS = re.compile(r"^(\d+)\s*\+$")
_TRUE = frozenset({"true", "yes", "y", "1", "t", "won", "converted"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "lost"})
_DATE_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%b %d, %Y",
    "%d %b %Y",
)
# Free-mail domains are not a company's domain.
FREE_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
        "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "proton.me", "protonmail.com",
        "gmx.de", "gmx.net", "web.de", "mail.ru", "yandex.ru", "qq.com", "163.com", "zoho.com",
    }
)
_LIMITS = {
    "external_id": 128, "company": 300, "website": 500, "contact_name": 300, "phone": 64, "job_title": 300,
    "state": 100, "city": 200,
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{self.field}: {self.message} (got {shown!r})" if self.value else f"{self.field}: {self.message}"


@dataclass
class ValidatedLead:
    """Store-ready column values plus what needs resolving (owner) and what was kept aside."""

    values: dict[str, Any]
    owner_email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[FieldProblem] = field(default_factory=list)
    # Fields that had a value in the input: an update touches only these, so a file without a
    # phone column (or with an empty cell) never wipes a phone number already stored.
    provided: frozenset[str] = frozenset()
    closed_without_date: bool = False  # CUSTOMER or LOST with no close date
    # The CRM's engagement columns read (memory.crm_engagement.read_engagement): {key: count | datetime}.
    engagement: dict[str, Any] = field(default_factory=dict)


class LeadValidationError(ValueError):
    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def parse_datetime(text: str) -> datetime:
    """ISO 8601 first, then the usual CRM export formats (US month-first), then epoch seconds/ms."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
        if value.isdigit() and len(value) in (10, 13):
            seconds = int(value) / (1000 if len(value) == 13 else 1)
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValueError("not a date; use ISO 8601 such as 2026-03-05 or 2026-03-05T14:22:00Z") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError("out of range; use a date between the years 1 and 9999") from None


def parse_company_size(text: str) -> int:
    """Employees: '1200', '1,200', '1.2k', '51-200' (lower bound), '10000+'."""
    value = text.strip()
    if value.isascii() and value.isdigit():  # the common case, without the regexes
        if int(value) > 10_000_000:
            raise ValueError
        return int(value)
    value = _SIZE_CLEAN.sub("", value.lower())
    if value.endswith("k") and value[:-1].replace(".", "", 1).isdigit():
        return int(float(value[:-1]) * 1000)
    if match := _SIZE_RANGE.match(value):
        return int(match.group(1))
    if match := _SIZE_PLUS.match(value):
        return int(match.group(1))
    number = float(value)  # raises ValueError on text
    if not 0 <= number <= 10_000_000 or number != int(number):  # also refuses nan and inf
        raise ValueError
    return int(number)


def domain_of(website: str | None, email: str | None) -> str | None:
    """The company's web domain: from the website, else from a non-free-mail email address."""
    if website:
        try:
            host = urlsplit(website if "//" in website else "//" + website).hostname
        except ValueError:  # "[" and other text that is not a URL: no domain from it
            host = None
        if host:
            return host.removeprefix("www.")
    if email and "@" in email:
        host = email.rsplit("@", 1)[1]
        if host not in FREE_EMAIL_DOMAINS:
            return host
    return None


def derived_columns(*, source: str | None, job_title: str | None) -> dict[str, str | None]:
    """What the store derives from a lead's source and job title: `channel` (memory.vocab.channel_of),
    `seniority` and `department` (memory.job_titles.title_columns; None without a title)."""
    seniority, department = title_columns(job_title)
    return {"channel": channel_of(source or "other").value, "seniority": seniority, "department": department}


# Plain text fields and their length limits (None: no limit).
_TEXT_FIELDS: tuple[tuple[str, int | None], ...] = tuple(
    (name, _LIMITS.get(name)) for name in ("external_id", "company", "contact_name", "phone", "job_title", "city", "notes")
)


def _texts(raw: Mapping[str, Any]) -> dict[str, str]:
    """Each field's value as stripped text; missing, None and blank values are left out."""
    texts: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if value := value.strip():
                texts[name] = value
        elif value is not None and not isinstance(value, Mapping):  # a mapping: the engagement cells, read apart
            texts[name] = str(value)
    return texts


def _too_long(name: str, value: str) -> FieldProblem | None:
    limit = _LIMITS.get(name)
    if limit is not None and len(value) > limit:
        return FieldProblem(name, value, f"longer than {limit} characters")
    return None


def validate_lead(raw: Mapping[str, Any], *, now: datetime) -> ValidatedLead:
    """Validate one canonical record; raise LeadValidationError listing every problem in it."""
    problems: list[FieldProblem] = []
    warnings: list[FieldProblem] = []
    extra: dict[str, Any] = {}
    values: dict[str, Any] = {}
    texts = _texts(raw)
    text_of = texts.get

    for name, limit in _TEXT_FIELDS:
        value = text_of(name)
        if value is not None and limit is not None and len(value) > limit:
            problems.append(FieldProblem(name, value, f"longer than {limit} characters"))
            continue
        values[name] = value

    email = text_of("email")
    if email is not None:
        email = email.lower()
        if ("," in email or ";" in email or " " in email) and len(several := _SEVERAL.split(email)) > 1 \
                and all(_EMAIL.match(one) for one in several):
            extra[EMAILS_RAW_KEY], email = text_of("email"), several[0]  # "Emails" (Freshsales): the first is the primary
        if len(email) > 254 or not _EMAIL.match(email):
            problems.append(FieldProblem("email", email, "not a valid email address"))
            email = None
    values["email"] = email

    website = text_of("website")
    if website is not None and (problem := _too_long("website", website)):
        problems.append(problem)
        website = None
    values["website"] = website
    values["domain"] = domain_of(website, email)

    if values.get("company") is None and email is None and "email" not in {p.field for p in problems}:
        problems.append(FieldProblem("company", "", "a lead needs a company or an email address"))

    industry = text_of("industry")
    values["industry"] = industry_value(industry) if industry else None  # the team's own; its group: vocab.industry_group
    if industry and industry != values["industry"]:
        extra[INDUSTRY_RAW_KEY] = industry  # the label as written ("EdTech"), which an export writes back

    size = raw.get("company_size")
    if isinstance(size, bool):
        problems.append(FieldProblem("company_size", str(size), "must be a number of employees"))
    elif isinstance(size, int):
        values["company_size"] = size if 0 <= size <= 10_000_000 else None
        if size < 0:
            problems.append(FieldProblem("company_size", str(size), "must not be negative"))
        elif size > 10_000_000:  # as for text sizes; a bigger number is a typo and does not fit the column
            problems.append(FieldProblem("company_size", str(size), "must be at most 10,000,000 employees"))
    elif (size_text := text_of("company_size")) is not None:
        try:
            values["company_size"] = parse_company_size(size_text)
        except ValueError:
            problems.append(FieldProblem("company_size", size_text, "must be a number of employees, e.g. 250"))
    else:
        values["company_size"] = None

    country_raw = text_of("country")
    country = country_code(country_raw) if country_raw else None
    if country_raw and country is None:
        warnings.append(FieldProblem("country", country_raw, "unknown country; kept in extra.country_raw"))
        extra["country_raw"] = country_raw
    values["country"] = country
    state = state_code(text_of("state"), country)
    if state is not None and (problem := _too_long("state", state)):
        problems.append(problem)
    values["state"] = state

    source_raw = text_of("source")
    source = normalise_source(source_raw) if source_raw else NO_SOURCE  # a blank is not the team's own "Other"
    if source_raw and (source_raw != source or source == NO_SOURCE):
        extra[SOURCE_RAW_KEY] = source_raw  # the label as written ("Partner Referral"), which an export writes back
    if len(source) > SOURCE_MAX_LENGTH:
        problems.append(FieldProblem("source", source_raw or "", f"longer than {SOURCE_MAX_LENGTH} characters"))
    values["source"] = source

    stage_raw = text_of("stage")
    deal_status = text_of(DEAL_STATUS_FIELD)
    if deal_status is not None:  # a deal export: the status says open or closed, the stage where in the pipeline
        stage = _deal_stage(deal_status, stage_raw, warnings)
    elif (contact_status := text_of(CONTACT_STATUS_FIELD)) is not None:  # the status within the lifecycle stage
        stage = _contact_stage(contact_status, stage_raw)
        if stage_raw:
            extra[LIFECYCLE_RAW_KEY] = stage_raw
        stage_raw = contact_status  # the team's finer word, kept as written
    else:
        stage = (parse_stage(stage_raw) or _crm_status_stage(stage_raw)) if stage_raw else None
    if stage_raw and stage is None:
        warnings.append(FieldProblem("stage", stage_raw, "unknown stage, stored as LEAD"))
    if stage_raw and (stage is None or _letters(stage_raw) != _letters(stage.value)):
        extra[STAGE_RAW_KEY] = stage_raw  # the team's own spelling ("Marketing Qualified Lead"), written back by export
    if stage is not None or "stage" in raw:
        values["stage"] = (stage or Stage.LEAD).value

    language = text_of("language")
    values["language"] = language.lower()[:8] if language else None

    owner_email = text_of("owner_email")
    if owner_email is not None:
        owner_email = owner_email.lower()
        if not _EMAIL.match(owner_email):
            problems.append(FieldProblem("owner_email", owner_email, "not a valid email address"))
            owner_email = None

    for name in ("created_at", "last_contacted_at", "converted_at"):
        value = raw.get(name)
        if isinstance(value, datetime):
            values[name] = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            continue
        text = text_of(name)
        if text is None:
            values[name] = None
            continue
        try:
            values[name] = parse_datetime(text)
        except ValueError as error:
            problems.append(FieldProblem(name, text, str(error)))
    if values.get("created_at") is None:
        values["created_at"] = now

    converted = raw.get("converted")
    if isinstance(converted, bool) or converted is None:
        values["converted"] = converted
    elif (text := text_of("converted")) is None:
        values["converted"] = None
    elif text.lower() in _TRUE:
        values["converted"] = True
    elif text.lower() in _FALSE:
        values["converted"] = False
    else:
        problems.append(FieldProblem("converted", text, "must be true or false"))

    if values.get("converted") is False and stage_raw and stage not in (Stage.CUSTOMER, Stage.LOST):
        # "Converted = 0" on an open status (Open - Not Contacted, MQL, ...) is "not yet", not a loss:
        # no outcome is stored; the cell is kept so an export writes back what the file said. (A
        # record that names no stage keeps its false: a history file of outcomes.)
        values["converted"] = None
        if isinstance(converted, str):
            extra[CONVERTED_RAW_KEY] = converted.strip()
    if values.get("converted") is True and stage_raw and stage not in (Stage.CUSTOMER, Stage.LOST):
        # Zoho CRM keeps a converted lead's last status ("Pre-Qualified"): converted is won. The status is
        # kept as written, so an export writes it back; an explicit closed status (Lost Lead) still wins.
        stage = Stage.CUSTOMER
        values["stage"] = stage.value
        extra[STAGE_RAW_KEY] = stage_raw
    closed_without_date = _close(values, extra, stage, converted_given=values.get("converted") is not None)
    engagement: dict[str, Any] = {}
    if isinstance(cells := raw.get(ENGAGEMENT_FIELD), Mapping) and cells:
        engagement, unread = read_engagement(cells, parse_date=parse_datetime)
        warnings += [FieldProblem(column, value, f"{why}; kept in extra, no activity made from it") for column, value, why in unread]
    if problems:
        raise LeadValidationError(problems)
    values.update(derived_columns(source=values["source"], job_title=values.get("job_title")))
    provided = {name for name in values if name in texts and name not in DERIVED_FIELDS}
    if "website" in provided or "email" in provided:
        provided.add("domain")
    if "source" in provided:
        provided.add("channel")
    if "job_title" in provided:
        provided.update(("seniority", "department"))
    if values.get("converted") is not None:  # given, or said by a closed stage
        provided.add("converted")
    return ValidatedLead(
        values=values, owner_email=owner_email, extra=extra, warnings=warnings, provided=frozenset(provided),
        closed_without_date=closed_without_date, engagement=engagement,
    )


def _crm_status_stage(raw: str) -> Stage | None:
    """A CRM's default lead status (Zoho's "Junk Lead", Salesforce's) as a stage: memory.lifecycle's tables,
    imported here so validating a record with a known stage loads no SQLAlchemy."""
    from leadpilot.memory.lifecycle import crm_status_stage

    return crm_status_stage(raw)


def _contact_stage(status: str, lifecycle: str | None) -> Stage | None:
    """A contact's stage from its lifecycle stage and its status within it (memory.lifecycle's table)."""
    from leadpilot.memory.lifecycle import contact_status_stage

    return contact_status_stage(status, lifecycle)


def _deal_stage(status: str, stage_raw: str | None, warnings: list[FieldProblem]) -> Stage | None:
    """A deal's stage from its status (won, lost) or, open, its pipeline stage (memory.lifecycle's table)."""
    from leadpilot.memory.lifecycle import DEAL_STATUSES, deal_pipeline_stage

    key = status.strip().lower()
    if key not in DEAL_STATUSES:
        warnings.append(FieldProblem(DEAL_STATUS_FIELD, status, "not open, won or lost; the stage alone says where the deal is"))
    elif (closed := DEAL_STATUSES[key]) is not None:
        return closed
    if not stage_raw:
        return None
    return deal_pipeline_stage(stage_raw) or parse_stage(stage_raw) or _crm_status_stage(stage_raw)


def _letters(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def _close(values: dict[str, Any], extra: dict[str, Any], stage: Stage | None, *, converted_given: bool) -> bool:
    """A closed stage says the outcome when the record has no `converted` of its own: CUSTOMER (Customer,
    Closed Won, Closed - Converted) converted=True, LOST (Closed Lost, ...) converted=False. The close
    date is `converted_at` (its columns: tools/leads/csv_headers.py) for a won lead; a lost lead's close
    date is kept in extra.closed_lost_at, so "won last month" never counts it. True when the lead is
    closed and has no close date (the import report counts these)."""
    if stage not in (Stage.CUSTOMER, Stage.LOST):
        return False
    if not converted_given:
        values["converted"] = stage is Stage.CUSTOMER
        if stage is Stage.LOST and (closed := values.get("converted_at")) is not None:
            extra[CLOSED_LOST_KEY] = closed.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
            values["converted_at"] = None
    return values.get("converted_at") is None and CLOSED_LOST_KEY not in extra
