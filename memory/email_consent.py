"""A CRM file's email opt-out columns: which imported addresses must not be emailed.

CRMs export the person's email consent as a checkbox column — Zoho and Salesforce reports "Email
Opt Out", Salesforce's API `HasOptedOutOfEmail`, HubSpot "Unsubscribed from all email"
(`hs_email_optout`). The CSV import keeps such a column in the lead's `extra` as written and adds
every address whose cell is checked to the suppression list (memory.outbox.EmailSuppression,
reason `unsubscribed`), so nurture emails and the outbox never write to someone who opted out in
the CRM. A later file whose cell is unchecked does not lift the suppression: re-subscribing is the
person's act, not an export's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadpilot.memory.crm_engagement import header_key

OPT_OUT_COLUMNS: tuple[str, ...] = (
    "Email Opt Out", "Email Opt-Out", "HasOptedOutOfEmail", "Unsubscribed from all email", "hs_email_optout",
    "Opted out of email", "Do Not Email", "Email Unsubscribed",
)
_KEYS = frozenset(header_key(column) for column in OPT_OUT_COLUMNS)
_CHECKED = frozenset({"true", "yes", "y", "1", "x", "checked", "opted out", "unsubscribed"})


def opt_out_column(extra: Mapping[str, Any]) -> str | None:
    """The opt-out column of a record's kept cells whose value is checked ("true", "Yes", "1", "x"),
    or None: not opted out, or the file says nothing."""
    for label, value in extra.items():
        if header_key(label) in _KEYS and str(value).strip().lower() in _CHECKED:
            return label
    return None
