"""Which CSV column feeds which canonical lead field: Leadpilot's own, HubSpot, Salesforce, Zoho CRM,
Pipedrive (each column "<Entity> - <field>": "Deal - Owner", "Person - Email - Work") and Freshsales
(Freshworks CRM contacts: "Emails", "Sales accounts", "Sales owner", "Lifecycle stage" + "Status") headers.

Headers are compared case-, space- and punctuation-insensitively ("First Name", "FirstName" and
"first_name" are one header). When several columns feed one field (HubSpot's "Lifecycle Stage"
and "Lead Status" both mean the stage), the first non-empty one in priority order wins for each
row and a differing value in another is kept in the lead's `extra`, so nothing is lost. Columns
that feed no field are kept in `extra` under their header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from leadpilot.memory.crm_engagement import ENGAGEMENT_NOUNS, engagement_key, header_key
from leadpilot.memory.lead_record import CANONICAL_FIELDS, OPTIONAL_FIELDS

# Per field, the headers that feed it, highest priority first. The canonical name always leads.
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "Record ID", "Lead ID", "Contact ID", "Deal - ID"),
    "company": (
        "company", "Company Name", "Account Name", "Company / Account", "Organization", "Organisation", "Associated Company",
        "Organization - Name", "Deal - Organization", "Person - Organization", "Sales accounts", "Sales account",
    ),
    "website": ("website", "Website URL", "Company Domain Name", "Domain", "URL", "Organization - Website"),
    "contact_name": ("contact_name", "Full Name", "Name", "Person - Name", "Deal - Contact person"),
    # Pipedrive writes one column per email and phone label: the work one first, the others when it is blank.
    "email": ("email", "Email Address", "E-mail", "Emails", "Person - Email - Work", "Person - Email", "Person - Email - Home",
              "Person - Email - Other"),
    # Freshsales: "Work" is the work number, "Mobile" the mobile one.
    "phone": ("phone", "Phone Number", "Business Phone", "Telephone", "Work", "Mobile Phone Number", "Mobile Phone", "Mobile",
              "Person - Phone - Work", "Person - Phone", "Person - Phone - Mobile", "Person - Phone - Home", "Person - Phone - Other"),
    # Not Pipedrive's "Deal - Title": that is the deal's name ("Acme deal").
    "job_title": ("job_title", "Job Title", "Title", "Position", "Person - Job title"),
    "industry": ("industry", "Organization - Industry", "Industry type"),
    "company_size": (
        "company_size", "Number of Employees", "No. of Employees", "Employees", "Employee Count", "Headcount",
        "Organization - Number of employees",
    ),
    "country": ("country", "Country/Region", "Country Code", "Organization - Address - Country"),
    "state": ("state", "State/Region", "State/Province", "Province", "Organization - Address - State/county"),
    "city": ("city", "Town", "Organization - Address - City/town/village/locality"),
    # Pipedrive: the team's "Source channel"; its "Source origin" (Web forms, Import, API: how the deal entered) stays in extra.
    "source": ("source", "Original Source", "Lead Source", "Latest Source", "Deal - Source channel"),
    # Pipedrive: the deal's pipeline stage; its open/won/lost status is DEAL_STATUS_HEADERS. Freshsales: the
    # contact's "Status" within its "Lifecycle stage" is CONTACT_STATUS_HEADERS when the file has both.
    "stage": ("stage", "Lifecycle Stage", "Lead Status", "Status", "Contact status", "Deal - Stage"),
    # `owner` is the export's copy of owner_email; the CRM owner columns may hold a name or an email.
    "owner_email": ("owner_email", "owner", "Contact owner", "Lead Owner", "HubSpot Owner", "Deal - Owner", "Sales owner"),
    "created_at": ("created_at", "Create Date", "Created Date", "Created", "Created Time", "Deal - Deal created", "Deal - Add time"),
    "last_contacted_at": (
        "last_contacted_at", "Last Contacted", "Last Activity", "Last Activity Date", "Last Contact Date", "Last Activity Time",
        "Deal - Last activity date", "Last contacted time",
    ),
    "notes": ("notes", "Description", "Comments"),
    "converted": ("converted", "IsConverted"),
    # The close date of a won lead (a lost one's goes to extra.closed_lost_at: memory.lead_record._close).
    "converted_at": ("converted_at", "Converted Date", "Became a Customer Date", "Close Date", "Closed Date",
                     "Deal - Won time", "Deal - Lost time", "Deal - Deal closed on", "Deal - Close time"),
    "language": ("language", "Preferred Language"),
}
# A deal's open | won | lost (memory.lead_record.DEAL_STATUS_FIELD): closed or not, whatever its stage says.
DEAL_STATUS_HEADERS: tuple[str, ...] = ("Deal - Status", "Deal Status")
# A contact's status within its lifecycle stage (Freshsales "Status": New, Interested, Won, Lost, Unqualified —
# memory.lead_record.CONTACT_STATUS_FIELD), read so only beside one of LIFECYCLE_HEADERS; alone, it is the stage.
CONTACT_STATUS_HEADERS: tuple[str, ...] = ("Status", "Contact status")
LIFECYCLE_HEADERS: tuple[str, ...] = ("Lifecycle stage",)
# Joined into contact_name when no full-name column has a value.
FIRST_NAME_HEADERS: tuple[str, ...] = ("First Name", "Given Name")
LAST_NAME_HEADERS: tuple[str, ...] = ("Last Name", "Surname", "Family Name")
# Leadpilot computes these (the export writes them); an import never overwrites them.
COMPUTED_HEADERS: tuple[str, ...] = ("id", "score", "tier")
# Salesforce's API export names its lead id "Id"; read it as the external id when nothing else is.
SALESFORCE_ID_HEADER = "id"
# Bookkeeping columns of a rejects file, so a fixed rejects file can be imported as it is.
REJECTS_COLUMNS: tuple[str, ...] = ("_line", "_errors")
# A file must have one of these (first/last name count as contact_name) or no row could be identified.
IDENTIFYING_FIELDS: tuple[str, ...] = ("company", "email", "contact_name")


normalise_header = header_key  # lower case, letters and digits only ("No. of Employees" -> "noofemployees")
_LIFECYCLE_KEYS = frozenset(header_key(header) for header in LIFECYCLE_HEADERS)
_CONTACT_STATUS_KEYS = frozenset(header_key(header) for header in CONTACT_STATUS_HEADERS)


@lru_cache(maxsize=1)
def _header_index() -> dict[str, tuple[str, int]]:
    """Normalised header -> (target, priority); target is a field, "first_name", "last_name" or "computed"."""
    index: dict[str, tuple[str, int]] = {}
    for name, headers in FIELD_HEADERS.items():
        for priority, header in enumerate(headers):
            index.setdefault(normalise_header(header), (name, priority))
    for target, headers in (("first_name", FIRST_NAME_HEADERS), ("last_name", LAST_NAME_HEADERS), ("deal_status", DEAL_STATUS_HEADERS)):
        for priority, header in enumerate(headers):
            index.setdefault(normalise_header(header), (target, priority))
    for header in COMPUTED_HEADERS:
        index[normalise_header(header)] = ("computed", 0)
    return index


@dataclass(frozen=True)
class HeaderMapping:
    """How one file's columns are read. Column positions index the CSV row."""

    headers: tuple[str, ...]
    labels: tuple[str, ...]  # unique name per column (duplicates get " (2)"), used as the `extra` key
    fields: dict[str, tuple[int, ...]]  # canonical field -> columns feeding it, by priority
    first_name: tuple[int, ...] = ()
    last_name: tuple[int, ...] = ()
    deal_status: tuple[int, ...] = ()
    contact_status: tuple[int, ...] = ()
    extra: tuple[int, ...] = ()
    ignored: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def identifies_leads(self) -> bool:
        return bool(self.first_name or self.last_name) or any(name in self.fields for name in IDENTIFYING_FIELDS)

    @property
    def extra_columns(self) -> list[str]:
        return [self.labels[i] for i in self.extra]

    @property
    def ignored_columns(self) -> list[str]:
        return [self.labels[i] for i in self.ignored]

    def mapped_columns(self) -> dict[str, str]:
        """Header -> canonical field, for every column that feeds one (names: "contact_name")."""
        mapped = {self.labels[i]: name for name, columns in self.fields.items() for i in columns}
        mapped.update({self.labels[i]: "contact_name" for i in (*self.first_name, *self.last_name)})
        mapped.update({self.labels[i]: "stage (deal status: won, lost, open)" for i in self.deal_status})
        mapped.update({self.labels[i]: "stage (contact status: closes on won, lost, unqualified)" for i in self.contact_status})
        return dict(sorted(mapped.items(), key=lambda item: self.labels.index(item[0])))


def _unique_labels(headers: Sequence[str]) -> tuple[str, ...]:
    labels: list[str] = []
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        label = header or f"column {position}"
        candidate, n = label, 1
        while candidate in seen:
            n += 1
            candidate = f"{label} ({n})"
        seen.add(candidate)
        labels.append(candidate)
    return tuple(labels)


def map_headers(headers: Sequence[str]) -> HeaderMapping:
    """Map a file's header row onto canonical fields; unknown columns go to `extra`."""
    cleaned = tuple(header.strip().lstrip("\ufeff").strip() for header in headers)
    keys = [normalise_header(header) for header in cleaned]
    index = _header_index()
    targets = [index.get(key) for key in keys]
    sources_external_id = any(t is not None and t[0] == "external_id" for t in targets)
    notes: list[str] = []

    by_target: dict[str, list[tuple[int, int]]] = {}  # target -> [(priority, column)]
    extra: list[int] = []
    ignored: list[int] = []
    for column, (header, key, target) in enumerate(zip(cleaned, keys, targets)):
        if header in REJECTS_COLUMNS:
            ignored.append(column)
            notes.append(f"column {header!r} is rejects-file bookkeeping; ignored")
        elif key == SALESFORCE_ID_HEADER and not sources_external_id:
            by_target.setdefault("external_id", []).append((len(FIELD_HEADERS["external_id"]), column))
            notes.append(f"column {header!r} read as external_id (Salesforce lead id)")
        elif target is not None and target[0] == "computed":
            ignored.append(column)
            notes.append(f"column {header!r} is computed by Leadpilot; ignored on import")
        elif target is not None:
            by_target.setdefault(target[0], []).append((target[1], column))
        else:
            extra.append(column)

    def columns_of(target: str) -> tuple[int, ...]:
        return tuple(column for _, column in sorted(by_target.pop(target, [])))

    contact_status: tuple[int, ...] = ()
    stage_columns = [column for _, column in by_target.get("stage", [])]
    if any(keys[c] in _LIFECYCLE_KEYS for c in stage_columns):  # a lifecycle stage, and the contact's status within it
        contact_status = tuple(c for c in stage_columns if keys[c] in _CONTACT_STATUS_KEYS)[:1]
        by_target["stage"] = [(priority, c) for priority, c in by_target["stage"] if c not in contact_status]
    first_name, last_name, deal_status = columns_of("first_name"), columns_of("last_name"), columns_of("deal_status")
    fields = {name: columns_of(name) for name in (*CANONICAL_FIELDS, *OPTIONAL_FIELDS) if name in by_target}
    labels = _unique_labels(cleaned)
    if read := [f"{labels[c]!r} ({ENGAGEMENT_NOUNS[key]})" for c in extra if (key := engagement_key(labels[c])) is not None]:
        notes.append("engagement columns, kept in extra and made into activities that scoring reads (dated as "
                     "docs/csv-mapping.md says; re-imports replace them): " + ", ".join(read))
    if contact_status:
        notes.append(f"{labels[contact_status[0]]!r} decides closed within the lifecycle stage: Won is a customer, Lost and "
                     "Unqualified lost, whatever the stage; it is kept as written (docs/csv-mapping.md \"Freshsales\")")
    if deal_status:
        notes.append(f"{labels[deal_status[0]]!r} decides open or closed: won deals are customers and lost ones lost, whatever "
                     "their stage; the stage is kept as written (docs/csv-mapping.md \"Pipedrive\")")
    for name, columns in fields.items():
        if len(columns) > 1:
            shared = ", ".join(repr(labels[column]) for column in columns)
            notes.append(f"{shared} all feed {name}: the first with a value wins; a different value in another is kept in extra")
    return HeaderMapping(
        headers=cleaned,
        labels=labels,
        fields=fields,
        first_name=first_name,
        last_name=last_name,
        deal_status=deal_status,
        contact_status=contact_status,
        extra=tuple(extra),
        ignored=tuple(ignored),
        notes=tuple(notes),
    )


def expected_headers_hint() -> str:
    """The headers a file needs, for the message that refuses one with none of them."""
    return (
        "a column for company, email or contact name: the canonical "
        + ", ".join(CANONICAL_FIELDS)
        + "; or CRM export headers such as 'Company Name'/'Company', 'Email', 'First Name' + 'Last Name'"
    )
